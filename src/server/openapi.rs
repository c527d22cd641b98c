//! The OpenAPI document, generated from the handlers' annotations and the
//! model's schemas.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{metrics, routes, sse};
use crate::model;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "warroom orchestration API",
        version = "1",
        description = "Live fleet health, incidents and their timeline, events, failover plans and actions, and the simulator. Errors are `{\"error\": {\"code\", \"message\"}}`. Roles: viewer (GET, events), responder (+ incidents and timeline), commander (+ plans, actions, simulator faults)."
    ),
    paths(
        routes::meta::healthz,
        metrics::metrics,
        routes::meta::openapi,
        routes::meta::whoami,
        routes::presence::list,
        routes::presence::beat,
        routes::presence::leave,
        routes::topology::topology,
        routes::topology::history,
        routes::topology::latency,
        routes::topology::alerts,
        routes::alerts::ack,
        routes::alerts::silence,
        crate::server::integrations::alertmanager::receive,
        sse::events,
        routes::incidents::list,
        routes::incidents::create,
        routes::incidents::get,
        routes::incidents::update,
        routes::postmortem::postmortem,
        routes::roles::list,
        routes::roles::change,
        routes::timeline::list,
        routes::timeline::create,
        routes::timeline::update,
        routes::timeline::delete,
        routes::sim::status,
        routes::sim::inject,
        routes::plans::create,
        routes::plans::get,
        routes::plans::execute,
        routes::actions::list,
        routes::actions::get,
        routes::actions::abort,
        routes::actions::undo,
    ),
    components(schemas(
        model::ApiErrorBody, model::ApiError, model::ErrorCode, model::Whoami, model::AccessRole,
        model::Topology, model::Switch, model::Server,
        model::Site, model::Cache, model::Database, model::Health, model::HealthState,
        model::SwitchHealth, model::Role, model::Admin, model::HealthHistory, model::HealthSample, model::LatencyReport,
        crate::server::integrations::alertmanager::AlertmanagerPayload,
        crate::server::integrations::alertmanager::AlertmanagerAlert,
        crate::server::integrations::alertmanager::AlertmanagerReceipt,
        model::ComponentKind, model::Alert, model::AlertAck, model::AlertSilence, model::SilenceRequest, model::AlertKind, model::AlertSeverity, model::AlertList,
        model::Event, model::EventPayload, model::EventKind, model::HealthEvent, model::TopologyEvent,
        model::Incident, model::NewIncident, model::IncidentPatch, model::IncidentList,
        model::Severity, model::IncidentStatus, model::IncidentState, model::Impact,
        model::AffectedComponent, model::ComponentStatus, model::TimelineEntry, model::NewEntry,
        model::EntryPatch, model::Timeline, model::EntryKind, model::UpdateStatus,
        model::Visibility, model::Marker, model::Source, model::SimFault, model::FaultKind,
        model::SimStatus, model::ScheduledStep, routes::meta::Liveness,
        model::PlanRequest, model::PlanKind, model::PlanOptions, model::Plan, model::PlanStep,
        model::StepOp, model::Placement, model::Unplaceable, model::ExecuteRequest, model::Action,
        model::ActionState, model::ActionList, model::StepProgress, model::StepState,
        model::FollowUp, model::FollowUpKind,
        model::IncidentRole, model::IncidentRoles, model::RoleHandoff, model::RoleTerm,
        model::Presence, model::PresenceList, model::PresenceChange, model::PresenceEvent,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "meta", description = "liveness, metrics, this document, and who is in the room"),
        (name = "fleet", description = "topology, health history and alerts"),
        (name = "integrations", description = "Alertmanager's webhook in"),
        (name = "events", description = "the live event stream"),
        (name = "incidents", description = "incidents"),
        (name = "timeline", description = "incident timelines"),
        (name = "sim", description = "the simulator"),
        (name = "plans", description = "failover plans and their execution"),
        (name = "actions", description = "executed plans: progress, abort, undo"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
