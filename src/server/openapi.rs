//! The OpenAPI document, generated from the handlers' annotations and the
//! model's schemas.

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required};
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
        routes::postmortem::downtime,
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
        routes::recommendations::list,
        routes::actions::list,
        routes::actions::get,
        routes::actions::abort,
        routes::actions::undo,
        routes::autopilot::status,
        routes::autopilot::command,
    ),
    components(schemas(
        model::ApiErrorBody, model::ApiError, model::ErrorCode, model::Whoami, model::AccessRole,
        model::Topology, model::Switch, model::Server,
        model::Site, model::Cache, model::Database, model::Health, model::HealthState,
        model::SwitchHealth, model::Role, model::Admin, model::HealthHistory, model::HealthSample, model::LatencyReport,
        crate::server::integrations::alertmanager::AlertmanagerPayload,
        crate::server::integrations::alertmanager::AlertmanagerAlert,
        crate::server::integrations::alertmanager::AlertmanagerReceipt,
        model::IncidentDowntime, model::SiteDowntime, model::DownSpell,
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
        model::Recommendation, model::Recommendations,
        model::IncidentRole, model::IncidentRoles, model::RoleHandoff, model::RoleTerm,
        model::Presence, model::PresenceList, model::PresenceChange, model::PresenceEvent,
        model::AutopilotStatus, model::AutopilotMode, model::AutopilotDecision,
        model::AutopilotBlock, model::AutopilotBudget, model::AutopilotCommand, model::AutopilotVerb,
    )),
    modifiers(&BearerAuth, &ExtractorResponses, &Links),
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
        (name = "autopilot", description = "the guarded autopilot: its state, pause and resume"),
    )
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The document as served at `GET /v1/openapi.json`.
    pub fn document() -> serde_json::Value {
        let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        camel_case_links(&mut document);
        document
    }
}

/// utoipa 5 writes a link's fields in snake case (`operation_id`,
/// `request_body`), which OpenAPI spells `operationId`, `requestBody`.
fn camel_case_links(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut() {
                    if let serde_json::Value::Object(link) = link {
                        for (from, to) in [
                            ("operation_id", "operationId"),
                            ("operation_ref", "operationRef"),
                            ("request_body", "requestBody"),
                        ] {
                            if let Some(field) = link.remove(from) {
                                link.insert(to.to_string(), field);
                            }
                        }
                    }
                }
            }
            map.values_mut().for_each(camel_case_links);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(camel_case_links),
        _ => {}
    }
}

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

/// Every operation in the document, with its path.
fn operations(openapi: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .filter_map(Option::as_mut)
    })
}

/// The answers the extractors give, added to every operation that uses
/// them (an operation's own description of the same status is kept): what
/// `Caller`, `Path`, `Query`, `AppJson`, `IfMatch` and `IdempotencyKey`
/// refuse, each with the error body.
struct ExtractorResponses;

impl Modify for ExtractorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for operation in operations(openapi) {
            let mut answers: Vec<(&str, &str)> = Vec::new();
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                answers.push(("401", "`unauthorized`: no valid bearer token"));
            }
            let parameters = operation.parameters.as_deref().unwrap_or_default();
            let has = |place: ParameterIn| {
                parameters.iter().any(|p| {
                    std::mem::discriminant(&p.parameter_in) == std::mem::discriminant(&place)
                })
            };
            let header = |name: &str| {
                parameters
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name))
                    .map(|p| matches!(p.required, Required::True))
            };
            if has(ParameterIn::Path) {
                answers.push(("404", "`not_found`: the path names nothing"));
            }
            if has(ParameterIn::Query) {
                answers.push(("422", "`invalid_body`: a query parameter is not acceptable"));
            }
            if header("If-Match").is_some() {
                answers.push(("400", "`bad_if_match`: `If-Match` is not a version"));
                answers.push(("428", "`if_match_required`: send `If-Match`"));
            }
            match header("Idempotency-Key") {
                Some(true) => {
                    answers.push((
                        "428",
                        "`idempotency_key_required`: send an `Idempotency-Key`",
                    ));
                    answers.push((
                        "422",
                        "`invalid_body`: the `Idempotency-Key` is not acceptable",
                    ));
                }
                Some(false) => {
                    answers.push((
                        "422",
                        "`invalid_body`: the `Idempotency-Key` is not acceptable",
                    ));
                }
                None => {}
            }
            if let Some(body) = &operation.request_body {
                answers.extend(body_answers(body));
            }
            for (status, description) in answers {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error_response(description));
            }
        }
    }
}

/// What reading a JSON body may answer. A required body is read by
/// `AppJson`, which wants `Content-Type: application/json` (415); an
/// optional one by `OptionalAppJson`, which takes any.
fn body_answers(body: &RequestBody) -> Vec<(&'static str, &'static str)> {
    let mut answers = vec![
        ("400", "`bad_json`: the body is not JSON"),
        ("413", "`body_too_large`: the body is over 256 KiB"),
        (
            "422",
            "`invalid_body`: the body is not acceptable (the message names the field)",
        ),
    ];
    if matches!(body.required, Some(Required::True)) {
        answers.push((
            "415",
            "`unsupported_media_type`: send `Content-Type: application/json`",
        ));
    }
    answers
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ApiErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The stateful paths through the API, as OpenAPI links: an incident to its
/// timeline, roles and postmortem; an entry to its edit and delete; a plan
/// to its execution; an action to its abort and undo; an undo's plan to its
/// execution. Each is (from operation, status, link name, to operation,
/// parameters).
#[allow(clippy::type_complexity)]
const LINKS: &[(&str, &str, &str, &str, &[(&str, &str)])] = &[
    (
        "create_incident",
        "201",
        "GetIncident",
        "get_incident",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_incident",
        "201",
        "UpdateIncident",
        "update_incident",
        &[
            ("id", "$response.body#/id"),
            ("header.If-Match", "$response.header.ETag"),
        ],
    ),
    (
        "create_incident",
        "201",
        "ListTimeline",
        "list_timeline",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_incident",
        "201",
        "CreateEntry",
        "create_entry",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_incident",
        "201",
        "ListRoles",
        "list_roles",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_incident",
        "201",
        "ChangeRole",
        "change_role",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_incident",
        "201",
        "GetPostmortem",
        "get_postmortem",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_entry",
        "201",
        "UpdateEntry",
        "update_entry",
        &[
            ("id", "$response.body#/incident_id"),
            ("entry_id", "$response.body#/id"),
            ("header.If-Match", "$response.header.ETag"),
        ],
    ),
    (
        "create_entry",
        "201",
        "DeleteEntry",
        "delete_entry",
        &[
            ("id", "$response.body#/incident_id"),
            ("entry_id", "$response.body#/id"),
            ("header.If-Match", "$response.header.ETag"),
        ],
    ),
    (
        "create_plan",
        "201",
        "GetPlan",
        "get_plan",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_plan",
        "201",
        "ExecutePlan",
        "execute_plan",
        &[
            ("id", "$response.body#/id"),
            ("header.If-Match", "$response.header.ETag"),
            ("header.Idempotency-Key", "$response.body#/id"),
        ],
    ),
    (
        "execute_plan",
        "201",
        "GetAction",
        "get_action",
        &[("id", "$response.body#/id")],
    ),
    (
        "execute_plan",
        "201",
        "AbortAction",
        "abort_action",
        &[("id", "$response.body#/id")],
    ),
    (
        "execute_plan",
        "201",
        "UndoAction",
        "undo_action",
        &[("id", "$response.body#/id")],
    ),
    (
        "execute_plan",
        "200",
        "GetAction",
        "get_action",
        &[("id", "$response.body#/id")],
    ),
    (
        "execute_plan",
        "200",
        "AbortAction",
        "abort_action",
        &[("id", "$response.body#/id")],
    ),
    (
        "execute_plan",
        "200",
        "UndoAction",
        "undo_action",
        &[("id", "$response.body#/id")],
    ),
    (
        "undo_action",
        "201",
        "GetPlan",
        "get_plan",
        &[("id", "$response.body#/id")],
    ),
    (
        "undo_action",
        "201",
        "ExecutePlan",
        "execute_plan",
        &[
            ("id", "$response.body#/id"),
            ("header.If-Match", "$response.header.ETag"),
            ("header.Idempotency-Key", "$response.body#/id"),
        ],
    ),
];

struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for operation in operations(openapi) {
            let Some(id) = operation.operation_id.clone() else {
                continue;
            };
            for (from, status, name, to, parameters) in LINKS {
                if *from != id {
                    continue;
                }
                let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status)
                else {
                    continue;
                };
                let link = parameters
                    .iter()
                    .fold(
                        LinkBuilder::new().operation_id(*to),
                        |link, (name, value)| link.parameter(*name, *value),
                    )
                    .build();
                response.links.insert(name.to_string(), link.into());
            }
        }
    }
}
