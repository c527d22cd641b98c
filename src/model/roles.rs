//! Incident roles (DESIGN.md §5, issue 14 point 6): the incident commander,
//! communications and the scribe, assigned and handed off during the
//! incident. Each change is a timeline entry (kind `role`); the postmortem
//! lists who held each role and when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest holder name (a token's name, or a name typed in).
pub const HOLDER_MAX: usize = 80;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IncidentRole {
    /// The incident commander: decides, and hands roles off.
    Commander,
    /// Writes the status updates and talks to the outside.
    Communications,
    /// Keeps the timeline.
    Scribe,
}

impl IncidentRole {
    pub const ALL: [IncidentRole; 3] = [
        IncidentRole::Commander,
        IncidentRole::Communications,
        IncidentRole::Scribe,
    ];

    /// The wire name, as in `PUT /v1/incidents/{id}/roles/{role}`.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentRole::Commander => "commander",
            IncidentRole::Communications => "communications",
            IncidentRole::Scribe => "scribe",
        }
    }

    /// As people say it.
    pub fn title(self) -> &'static str {
        match self {
            IncidentRole::Commander => "Incident commander",
            IncidentRole::Communications => "Communications",
            IncidentRole::Scribe => "Scribe",
        }
    }

    /// Short, for the console's header.
    pub fn short(self) -> &'static str {
        match self {
            IncidentRole::Commander => "IC",
            IncidentRole::Communications => "comms",
            IncidentRole::Scribe => "scribe",
        }
    }

    pub fn parse(text: &str) -> Option<IncidentRole> {
        IncidentRole::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// `PUT /v1/incidents/{id}/roles/{role}`: who holds the role from now on;
/// `null` leaves it vacant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleHandoff {
    #[schema(schema_with = super::text::holder_schema)]
    pub holder: Option<String>,
}

/// The holder as sent (surrounding spaces count towards the length); the
/// server keeps it trimmed.
impl super::Validate for RoleHandoff {
    fn validate(&self) -> Result<(), String> {
        match &self.holder {
            Some(holder) => super::text::HOLDER.check("holder", holder),
            None => Ok(()),
        }
    }
}

/// One person's time in one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleTerm {
    pub role: IncidentRole,
    pub holder: String,
    /// When they took it (the orchestrator's clock).
    pub from: DateTime<Utc>,
    /// When they handed it on; `null` while they hold it.
    pub until: Option<DateTime<Utc>>,
    /// The token's name that made the change.
    pub assigned_by: String,
}

/// `GET /v1/incidents/{id}/roles`: who holds each role now, and every term
/// so far, by start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncidentRoles {
    pub incident_id: i64,
    /// The terms not ended, one per role held, in role order.
    pub holders: Vec<RoleTerm>,
    pub history: Vec<RoleTerm>,
}

impl IncidentRoles {
    pub fn from_terms(incident_id: i64, history: Vec<RoleTerm>) -> IncidentRoles {
        let mut holders: Vec<RoleTerm> = history
            .iter()
            .filter(|t| t.until.is_none())
            .cloned()
            .collect();
        holders.sort_by_key(|t| t.role);
        IncidentRoles {
            incident_id,
            holders,
            history,
        }
    }

    pub fn holder(&self, role: IncidentRole) -> Option<&str> {
        self.holders
            .iter()
            .find(|t| t.role == role)
            .map(|t| t.holder.as_str())
    }
}
