use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    StatusUpdate,
    Note,
    Action,
    Detection,
    Marker,
    /// An incident role changed hands (who handed what to whom).
    Role,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::StatusUpdate => "status_update",
            EntryKind::Note => "note",
            EntryKind::Action => "action",
            EntryKind::Detection => "detection",
            EntryKind::Marker => "marker",
            EntryKind::Role => "role",
        }
    }
}

/// The status a status update announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateStatus {
    Investigating,
    Identified,
    Update,
    Monitoring,
    Resolved,
}

impl UpdateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::Investigating => "investigating",
            UpdateStatus::Identified => "identified",
            UpdateStatus::Update => "update",
            UpdateStatus::Monitoring => "monitoring",
            UpdateStatus::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Internal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Marker {
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
}

impl Marker {
    pub fn as_str(self) -> &'static str {
        match self {
            Marker::Detected => "detected",
            Marker::Acknowledged => "acknowledged",
            Marker::Mitigated => "mitigated",
            Marker::Resolved => "resolved",
        }
    }
}

/// Who made an entry. Entries from detectors and actions are immutable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    User,
    Detector,
    Action,
    Import,
    /// What an outside receiver (status page, webhook, chat) made of a delivery.
    Integration,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::User => "user",
            Source::Detector => "detector",
            Source::Action => "action",
            Source::Import => "import",
            Source::Integration => "integration",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub id: i64,
    pub incident_id: i64,
    pub kind: EntryKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UpdateStatus>,
    pub visibility: Visibility,
    pub body: String,
    pub author: String,
    /// When it happened; may be back-dated.
    pub occurred_at: DateTime<Utc>,
    /// When the orchestrator stored it; never changes.
    pub recorded_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// The token name of whoever made the last edit or the delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_by: Option<String>,
    pub version: i64,
    pub starred: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<Marker>,
    pub source: Source,
    /// Set when the entry was deleted; deleted entries only appear in the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl TimelineEntry {
    /// Entries written by detectors, actions and integrations, and role
    /// handoffs, can never be edited or deleted: the record says what
    /// happened and who held what.
    pub fn is_immutable(&self) -> bool {
        matches!(
            self.source,
            Source::Detector | Source::Action | Source::Integration
        ) || self.kind == EntryKind::Role
    }
}

/// `POST /v1/incidents/{id}/timeline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    pub kind: EntryKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UpdateStatus>,
    /// Defaults to public for status updates, internal otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub starred: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<Marker>,
    /// Only `user` and `import` may be posted by clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// `PATCH /v1/incidents/{id}/timeline/{entry_id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UpdateStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starred: Option<bool>,
    /// `null` clears the marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<Option<Marker>>,
}

/// `GET /v1/incidents/{id}/timeline`, oldest first by `occurred_at`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Timeline {
    pub incident_id: i64,
    pub entries: Vec<TimelineEntry>,
}
