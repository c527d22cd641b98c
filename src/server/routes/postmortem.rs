use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::model::ComponentKind;
use crate::report::{self, PostmortemInput};
use crate::server::AppState;
use crate::server::auth::Caller;
use crate::server::error::{ApiResult, Failure};

#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Md,
    Json,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostmortemQuery {
    /// `md` (default: Markdown) or `json`.
    #[param(inline)]
    pub format: Option<Format>,
    /// IANA time zone for the narrative, e.g. `America/Los_Angeles` (default UTC).
    #[param(schema_with = time_zone_schema)]
    pub tz: Option<String>,
}

/// Every time zone name the server knows, as it spells them (names are
/// case-sensitive).
fn time_zone_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
        .examples(["America/Los_Angeles"])
        .build()
}

/// The postmortem draft of an incident, computed from its timeline and the
/// recorded health history. Same incident, same bytes.
#[utoipa::path(get, path = "/v1/incidents/{id}/postmortem", tag = "incidents", operation_id = "get_postmortem",
    params(("id" = i64, Path), PostmortemQuery),
    responses((status = 200, description = "the draft: Markdown, or JSON with `format=json`",
            content((String = "text/markdown"), (Object = "application/json"))),
        (status = 404, description = "no such incident", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn postmortem(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<i64>, PathRejection>,
    query: Result<Query<PostmortemQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let Query(query) = query?;
    let tz: chrono_tz::Tz = match query.tz.as_deref() {
        None => chrono_tz::UTC,
        Some(name) => name.parse().map_err(|_| {
            Failure::invalid(format!(
                "unknown time zone '{name}'; use an IANA name such as America/Los_Angeles"
            ))
        })?,
    };
    let incident = state.store.get_incident(id).await?;
    let entries = state.store.list_entries(id).await?;
    let until = incident.resolved_at.unwrap_or_else(|| state.clock.now());
    // A day before the start tells what state each site was in when it began.
    let history = state
        .store
        .health_window(incident.started_at - chrono::TimeDelta::days(1), until)
        .await?;
    let (site_history, component_history): (Vec<_>, Vec<_>) = history
        .into_iter()
        .partition(|s| s.component == ComponentKind::Site);
    let (service, total_sites) = {
        let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        let topology = fleet.topology();
        (topology.service.clone(), topology.sites.len() as u32)
    };
    let roles = state.store.role_terms(id).await?;
    let pm = report::build(&PostmortemInput {
        service: &service,
        incident: &incident,
        entries: &entries,
        site_history: &site_history,
        total_sites,
        component_history: &component_history,
        tz,
        until,
        roles: &roles,
    });
    match query.format.unwrap_or_default() {
        Format::Json => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            report::render_json(&pm),
        )
            .into_response()),
        Format::Md => {
            let text = report::render_markdown(&pm, report::DEFAULT_TEMPLATE)
                .map_err(|e| Failure::internal("postmortem template", e))?;
            Ok((
                [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
                text,
            )
                .into_response())
        }
    }
}

/// Each site's downtime within the incident (from `started_at` to its
/// resolution, or now), from the store's health history by the
/// postmortem's rule: what the console's sites pane counts, also for
/// spells that ended before it connected.
#[utoipa::path(get, path = "/v1/incidents/{id}/downtime", tag = "incidents", operation_id = "incident_downtime",
    params(("id" = i64, Path)),
    responses((status = 200, body = crate::model::IncidentDowntime),
        (status = 404, description = "no such incident", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn downtime(
    State(state): State<AppState>,
    _caller: crate::server::auth::Caller,
    path: Result<Path<i64>, PathRejection>,
) -> ApiResult<axum::Json<crate::model::IncidentDowntime>> {
    let Path(id) = path?;
    let incident = state.store.get_incident(id).await?;
    let until = incident.resolved_at.unwrap_or_else(|| state.clock.now());
    // A day before the start tells what state each site was in when it began.
    let history = state
        .store
        .health_window(incident.started_at - chrono::TimeDelta::days(1), until)
        .await?;
    let site_history: Vec<_> = history
        .into_iter()
        .filter(|s| s.component == ComponentKind::Site)
        .collect();
    let sites = report::down_windows(&site_history, incident.started_at, until)
        .into_iter()
        .map(|(site, windows)| crate::model::SiteDowntime {
            site,
            seconds: windows.iter().map(|w| w.seconds()).sum(),
            spells: windows
                .iter()
                .map(|w| crate::model::DownSpell {
                    from: w.from,
                    to: w.to,
                })
                .collect(),
        })
        .collect();
    Ok(axum::Json(crate::model::IncidentDowntime {
        incident_id: id,
        from: incident.started_at,
        until,
        sites,
    }))
}
