use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::PresenceEvent;
use super::{
    Action, Alert, Cache, ComponentKind, Database, Health, HealthState, Incident, Server, Site,
    Switch, TimelineEntry,
};

/// One event on `GET /v1/events`. `seq` is the SSE `id:` and rises by one
/// per event, across restarts of the orchestrator.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Event {
    pub seq: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub payload: EventPayload,
}

/// Reads `{seq, at, kind, data}` without serde's buffering of flattened
/// fields: every console parses every event, so this is on the hot path.
impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;

        #[derive(Deserialize)]
        struct Wire<'a> {
            seq: i64,
            at: DateTime<Utc>,
            kind: EventKind,
            #[serde(borrow)]
            data: &'a serde_json::value::RawValue,
        }
        let wire = Wire::deserialize(deserializer)?;
        let data = wire.data.get();
        let payload = match wire.kind {
            EventKind::Topology => serde_json::from_str(data).map(EventPayload::Topology),
            EventKind::Health => serde_json::from_str(data).map(EventPayload::Health),
            EventKind::Alert => serde_json::from_str(data).map(EventPayload::Alert),
            EventKind::Incident => serde_json::from_str(data).map(EventPayload::Incident),
            EventKind::Timeline => serde_json::from_str(data).map(EventPayload::Timeline),
            EventKind::Action => serde_json::from_str(data).map(EventPayload::Action),
            EventKind::Presence => serde_json::from_str(data).map(EventPayload::Presence),
        }
        .map_err(D::Error::custom)?;
        Ok(Event {
            seq: wire.seq,
            at: wire.at,
            payload,
        })
    }
}

impl Event {
    pub fn kind(&self) -> EventKind {
        self.payload.kind()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EventPayload {
    Topology(TopologyEvent),
    Health(HealthEvent),
    Alert(Alert),
    Incident(Incident),
    Timeline(TimelineEntry),
    /// An action started, progressed a step, or finished.
    Action(Box<Action>),
    /// A console joined or left the room.
    Presence(PresenceEvent),
}

impl EventPayload {
    pub fn kind(&self) -> EventKind {
        match self {
            EventPayload::Topology(_) => EventKind::Topology,
            EventPayload::Health(_) => EventKind::Health,
            EventPayload::Alert(_) => EventKind::Alert,
            EventPayload::Incident(_) => EventKind::Incident,
            EventPayload::Timeline(_) => EventKind::Timeline,
            EventPayload::Action(_) => EventKind::Action,
            EventPayload::Presence(_) => EventKind::Presence,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Topology,
    Health,
    Alert,
    Incident,
    Timeline,
    Action,
    Presence,
}

impl EventKind {
    /// The SSE `event:` name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Topology => "topology",
            EventKind::Health => "health",
            EventKind::Alert => "alert",
            EventKind::Incident => "incident",
            EventKind::Timeline => "timeline",
            EventKind::Action => "action",
            EventKind::Presence => "presence",
        }
    }
}

/// The health state of one component changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthEvent {
    /// Topology version after the change.
    pub version: u64,
    pub component: ComponentKind,
    pub component_id: String,
    pub previous: HealthState,
    pub health: Health,
    /// For sites: the start of the current outage, while down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_since: Option<DateTime<Utc>>,
}

/// Objects of the topology that changed other than by health alone
/// (placement, admin state, cache or database roles, stale counts).
/// Each object is sent whole; absent objects did not change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct TopologyEvent {
    /// Topology version after the change.
    pub version: u64,
    /// Why it changed, in a few words.
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switches: Vec<Switch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<Site>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<Cache>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<Database>,
}
