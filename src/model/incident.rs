use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Sev1 => "sev1",
            Severity::Sev2 => "sev2",
            Severity::Sev3 => "sev3",
            Severity::Sev4 => "sev4",
        }
    }
}

/// The public status of an incident, as status pages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Identified => "identified",
            IncidentStatus::Monitoring => "monitoring",
            IncidentStatus::Resolved => "resolved",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }
}

/// A component's status as a status page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    #[default]
    Operational,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
    UnderMaintenance,
}

impl ComponentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
            ComponentStatus::UnderMaintenance => "under_maintenance",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AffectedComponent {
    #[schema(schema_with = super::text::component_name_schema)]
    pub name: String,
    #[serde(default)]
    pub status: ComponentStatus,
}

/// Open until resolved; derived from `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    Open,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub impact: Impact,
    pub components: Vec<AffectedComponent>,
    pub state: IncidentState,
    /// When the incident started (may be back-dated).
    pub started_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Rises on every change; send it back as `If-Match` to edit.
    pub version: i64,
}

/// `POST /v1/incidents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    #[schema(schema_with = super::text::title_schema)]
    pub title: String,
    pub severity: Severity,
    #[serde(default = "investigating")]
    pub status: IncidentStatus,
    #[serde(default = "no_impact")]
    pub impact: Impact,
    #[serde(default)]
    pub components: Vec<AffectedComponent>,
    /// Back-date the start; defaults to now. At most 5 minutes ahead of
    /// the orchestrator's clock.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
}

fn investigating() -> IncidentStatus {
    IncidentStatus::Investigating
}

fn no_impact() -> Impact {
    Impact::None
}

/// `PATCH /v1/incidents/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = super::text::title_patch_schema)]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IncidentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<AffectedComponent>>,
    /// A new start; at most 5 minutes ahead of the orchestrator's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
}

fn check_components(components: &[AffectedComponent]) -> Result<(), String> {
    for (i, c) in components.iter().enumerate() {
        super::text::COMPONENT_NAME.check(&format!("components[{i}].name"), &c.name)?;
    }
    Ok(())
}

/// The title and component names; `started_at` against the clock is the
/// server's to check.
impl super::Validate for NewIncident {
    fn validate(&self) -> Result<(), String> {
        super::text::TITLE.check("title", &self.title)?;
        check_components(&self.components)
    }
}

impl super::Validate for IncidentPatch {
    fn validate(&self) -> Result<(), String> {
        if let Some(title) = &self.title {
            super::text::TITLE.check("title", title)?;
        }
        if let Some(components) = &self.components {
            check_components(components)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentList {
    pub incidents: Vec<Incident>,
}

/// `GET /v1/incidents/{id}/downtime`: each site's time down (down or
/// flapping) within the incident, from the store's health history, by the
/// postmortem's rule. Only sites that were down are listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentDowntime {
    pub incident_id: i64,
    /// The incident's `started_at`.
    pub from: DateTime<Utc>,
    /// Its `resolved_at`, or now.
    pub until: DateTime<Utc>,
    pub sites: Vec<SiteDowntime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SiteDowntime {
    pub site: String,
    /// Seconds down within the incident.
    pub seconds: i64,
    /// When it was down, clipped to the incident, merged, in time order; the
    /// last one ends at `until` while the site is still down.
    pub spells: Vec<DownSpell>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DownSpell {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}
