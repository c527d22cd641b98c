//! Wire and domain types shared by the server and its clients.
//!
//! Everything here is plain data with serde and OpenAPI schemas; nothing does
//! I/O. Field names are snake_case and timestamps are RFC 3339 UTC, as the API
//! contract (DESIGN.md §3) says.

mod access;
mod action;
mod alert;
mod error;
mod event;
mod fleet_spec;
mod health;
mod incident;
mod observe;
mod outbox;
mod plan;
mod presence;
mod recommend;
mod roles;
mod sim;
mod text;
mod timeline;
mod topology;

pub use access::{AccessRole, Whoami};
pub use alert::{
    Alert, AlertAck, AlertKind, AlertList, AlertSeverity, AlertSilence, SilenceRequest,
};
pub use error::{ApiError, ApiErrorBody, ErrorCode, UnknownErrorCode};
pub use event::{Event, EventKind, EventPayload, HealthEvent, TopologyEvent};
pub use health::{
    ComponentKind, Health, HealthHistory, HealthSample, HealthState, LatencyReport, SwitchHealth,
};
pub use incident::{
    AffectedComponent, ComponentStatus, DownSpell, Impact, Incident, IncidentDowntime,
    IncidentList, IncidentPatch, IncidentState, IncidentStatus, NewIncident, Severity,
    SiteDowntime,
};
pub use presence::{
    CLIENT_ID_MAX, HEARTBEAT_EVERY, PRESENCE_TTL, Presence, PresenceChange, PresenceEvent,
    PresenceList, valid_client_id,
};
pub use recommend::{
    AutopilotBlock, AutopilotBudget, AutopilotCommand, AutopilotDecision, AutopilotMode,
    AutopilotStatus, AutopilotVerb, Recommendation, Recommendations,
};
pub use roles::{HOLDER_MAX, IncidentRole, IncidentRoles, RoleHandoff, RoleTerm};
pub use sim::{FaultKind, ScheduledStep, SimFault, SimStatus};
pub use text::{ENTRY_BODY, TextRule, Validate};
pub use timeline::{
    EntryKind, EntryPatch, Marker, NewEntry, Source, Timeline, TimelineEntry, UpdateStatus,
    Visibility,
};
pub use topology::{Admin, Cache, Database, Role, Server, Site, Switch, Topology};

/// Timestamps on the wire: RFC 3339, UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
pub use action::{
    Action, ActionList, ActionState, ExecuteRequest, FollowUp, FollowUpKind, StepProgress,
    StepState,
};
pub use fleet_spec::{
    AlertmanagerSpec, AutopilotSpec, ChatSpec, ChatUrl, ClusterSpec, DetectionSettings, DriverKind,
    ExecDriverSpec, ExecutorSpec, FleetFileError, FleetSpec, HooksSpec, HttpDriverSpec,
    IntegrationsSpec, ProbeSettings, ProbeSpec, ProbeTarget, ServerSpec, SiteSpec, StatuspageSpec,
    WebhookSpec,
};
pub use observe::{CacheFacts, DatabaseFacts, NodeReport, Observation, ProbeOutcome, WorldFacts};
pub use outbox::{Delivery, DeliveryOutcome, NewDelivery, OutboxTarget};
pub use plan::{
    NormalConfig, Placement, Plan, PlanKind, PlanOptions, PlanRequest, PlanStep, StepOp,
    Unplaceable,
};
