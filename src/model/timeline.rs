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
    /// A decision of the guarded autopilot (what it did, would have done,
    /// or refused to do).
    Autopilot,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::User => "user",
            Source::Detector => "detector",
            Source::Action => "action",
            Source::Import => "import",
            Source::Integration => "integration",
            Source::Autopilot => "autopilot",
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
            Source::Detector | Source::Action | Source::Integration | Source::Autopilot
        ) || self.kind == EntryKind::Role
    }
}

/// `POST /v1/incidents/{id}/timeline`. Its schema (below) spells the rules
/// the server keeps: which kinds a client may post, which need a `status` or
/// a `marker`, and when the body may be empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Text as for a new entry; empty only for a marker entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = super::text::entry_patch_body_schema)]
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

/// What a client may post: a note, a status update (with a status) or a
/// marker (with a marker), from a user or an import; a body that keeps the
/// entry-body rule (a marker's and an imported status update's may be
/// empty). Whether `occurred_at` is in the future is the server's clock's
/// to say.
impl super::Validate for NewEntry {
    fn validate(&self) -> Result<(), String> {
        let source = self.source.unwrap_or(Source::User);
        if self.kind == EntryKind::Role {
            return Err(
                "role entries are written by PUT /v1/incidents/{id}/roles/{role}; post a note, status_update or marker"
                    .into(),
            );
        }
        if matches!(self.kind, EntryKind::Detection | EntryKind::Action)
            || matches!(
                source,
                Source::Detector | Source::Action | Source::Integration | Source::Autopilot
            )
        {
            return Err("detection, action and integration entries are written by the orchestrator; post a note, status_update or marker".into());
        }
        match (self.kind, self.status) {
            (EntryKind::StatusUpdate, None) => {
                return Err("a status_update needs a status: one of investigating, identified, update, monitoring, resolved".into());
            }
            (kind, Some(_)) if kind != EntryKind::StatusUpdate => {
                return Err("only a status_update has a status".into());
            }
            _ => {}
        }
        match (self.kind, self.marker) {
            (EntryKind::Marker, None) => {
                return Err(
                    "a marker entry needs a marker: one of detected, acknowledged, mitigated, resolved"
                        .into(),
                );
            }
            (kind, Some(_)) if kind != EntryKind::Marker => {
                return Err("only a marker entry has a marker".into());
            }
            _ => {}
        }
        // A marker needs no words; imported status updates may have had an
        // empty body on the status page.
        let may_be_empty = self.kind == EntryKind::Marker || source == Source::Import;
        if self.body.is_empty() && may_be_empty {
            return Ok(());
        }
        super::text::ENTRY_BODY.check("body", &self.body)
    }
}

/// A new body, when present; whether it may be empty (only a marker's may)
/// depends on the entry, which the server checks.
impl super::Validate for EntryPatch {
    fn validate(&self) -> Result<(), String> {
        match self.body.as_deref() {
            Some(body) if !body.is_empty() => super::text::ENTRY_BODY.check("body", body),
            _ => Ok(()),
        }
    }
}

mod new_entry_schema {
    use utoipa::openapi::schema::{
        AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
        SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};

    use super::super::text::{ENTRY_BODY, or_null};

    fn string_enum(values: &[&str]) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .enum_values(Some(values.iter().copied()))
    }

    fn null() -> ObjectBuilder {
        ObjectBuilder::new().schema_type(SchemaType::new(Type::Null))
    }

    enum Body {
        Text,
        TextOrEmpty,
        Empty,
    }

    /// One shape a new entry may take.
    fn variant(kind: &str, body: Body, status: bool, marker: bool, imported: bool) -> Schema {
        let text = || ENTRY_BODY.schema("What happened or what is said:");
        let body: RefOr<Schema> = match body {
            Body::Text => text(),
            Body::TextOrEmpty => OneOfBuilder::new()
                .item(text())
                .item(string_enum(&[""]))
                .into(),
            Body::Empty => string_enum(&[""])
                .description(Some("Empty: the status page had no text for it."))
                .into(),
        };
        let mut object = ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Object))
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .property("kind", string_enum(&[kind]))
            .required("kind")
            .property("body", body)
            .required("body")
            .property("visibility", or_null(Ref::from_schema_name("Visibility")))
            .property(
                "occurred_at",
                or_null(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::new(Type::String))
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                        .description(Some(
                            "When it happened (defaults to now); at most 5 minutes ahead of the orchestrator's clock.",
                        )),
                ),
            )
            .property(
                "starred",
                ObjectBuilder::new().schema_type(SchemaType::new(Type::Boolean)),
            );
        object = if status {
            object
                .property("status", Ref::from_schema_name("UpdateStatus"))
                .required("status")
        } else {
            object.property("status", null())
        };
        object = if marker {
            object
                .property("marker", Ref::from_schema_name("Marker"))
                .required("marker")
        } else {
            object.property("marker", null())
        };
        object = if imported {
            object
                .property("source", string_enum(&["import"]))
                .required("source")
        } else {
            object.property("source", or_null(string_enum(&["user", "import"])))
        };
        object.into()
    }

    pub(super) fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "A note, a status update (with its `status`) or a marker (with its `marker`). \
                 Detection, action and role entries are the orchestrator's own. The body is \
                 text, except that a marker's may be empty and so may an imported entry's.",
            ))
            .item(variant("note", Body::Text, false, false, false))
            .item(variant("status_update", Body::Text, true, false, false))
            .item(variant("marker", Body::TextOrEmpty, false, true, false))
            .item(variant("note", Body::Empty, false, false, true))
            .item(variant("status_update", Body::Empty, true, false, true))
            .into()
    }
}

impl utoipa::PartialSchema for NewEntry {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        new_entry_schema::schema()
    }
}

impl utoipa::ToSchema for NewEntry {}

/// `GET /v1/incidents/{id}/timeline`, oldest first by `occurred_at`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Timeline {
    pub incident_id: i64,
    pub entries: Vec<TimelineEntry>,
}
