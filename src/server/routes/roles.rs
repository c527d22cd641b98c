//! Incident roles (commander, communications, scribe): who holds each now
//! and since when, and the handoff. Any replica serves them (they are
//! incident writes). Each change is a timeline entry of kind `role` saying
//! who handed what to whom.
//!
//! Who may change a role (responder tokens and up; viewers never):
//! a commander token may assign any role to anyone; a responder may take
//! or assign a vacant role, and hand off or step down from a role they
//! hold themselves (the holder is a token's name).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::model::{
    AccessRole, ApiErrorBody, EntryKind, ErrorCode, IncidentRole, IncidentRoles, RoleHandoff,
    Source, Visibility,
};
use crate::server::AppState;
use crate::server::auth::{Caller, Responder};
use crate::server::error::{ApiResult, Failure};
use crate::server::extract::AppJson;
use crate::store::EntryRecord;

/// Who holds each role of the incident now, and every term so far.
#[utoipa::path(get, path = "/v1/incidents/{id}/roles", tag = "incidents", operation_id = "list_roles",
    params(("id" = i64, Path)),
    responses((status = 200, body = IncidentRoles),
        (status = 404, description = "no such incident", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<IncidentRoles>> {
    let Path(id) = path?;
    let terms = state.store.role_terms(id).await?;
    Ok(Json(IncidentRoles::from_terms(id, terms)))
}

/// Hand a role to someone (`holder`), or leave it vacant (`null`). A
/// commander token may change any role; a responder may fill a vacant one
/// and hand off or step down from one they hold. Each change is a `role`
/// entry in the timeline; handing a role to its holder changes nothing.
#[utoipa::path(put, path = "/v1/incidents/{id}/roles/{role}", tag = "incidents", operation_id = "change_role",
    params(("id" = i64, Path), ("role" = inline(IncidentRole), Path, description = "commander, communications or scribe")),
    request_body = RoleHandoff,
    responses((status = 200, description = "the roles after the change", body = IncidentRoles),
        (status = 403, description = "a viewer, or a responder changing a role someone else holds", body = ApiErrorBody),
        (status = 404, description = "no such incident", body = ApiErrorBody),
        (status = 422, description = "the holder is not acceptable, or the path names no role", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn change(
    State(state): State<AppState>,
    Responder(caller): Responder,
    path: Result<Path<(i64, String)>, PathRejection>,
    AppJson(handoff): AppJson<RoleHandoff>,
) -> ApiResult<Json<IncidentRoles>> {
    let Path((id, role)) = path?;
    let role = IncidentRole::parse(&role).ok_or_else(|| {
        Failure::invalid(format!(
            "unknown role {role:?}: one of commander, communications, scribe"
        ))
    })?;
    let holder = handoff.holder.as_deref().map(|h| h.trim().to_string());
    let terms = state.store.role_terms(id).await?;
    let current = IncidentRoles::from_terms(id, terms)
        .holder(role)
        .map(str::to_string);
    if caller.role < AccessRole::Commander
        && let Some(current) = &current
        && current != &caller.name
        && holder.as_deref() != Some(current.as_str())
    {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!(
                "{current} holds {}: only they or a commander token can hand it off",
                role.title().to_lowercase()
            ),
        ));
    }
    let now = state.clock.now();
    let change = state
        .store
        .change_role(id, role, holder.as_deref(), &caller.name, now)
        .await?;
    if change.unchanged.is_none() {
        let body = handoff_text(
            &caller.name,
            role,
            change.ended.as_ref().map(|t| t.holder.as_str()),
            holder.as_deref(),
        );
        let record = EntryRecord {
            kind: EntryKind::Role,
            status: None,
            visibility: Visibility::Internal,
            body,
            author: caller.name.clone(),
            occurred_at: now,
            starred: false,
            marker: None,
            source: Source::User,
        };
        let store = state.store.clone();
        state
            .hub
            .write(async move { store.create_entry(id, &record, None, now).await })
            .await?;
    }
    let terms = state.store.role_terms(id).await?;
    Ok(Json(IncidentRoles::from_terms(id, terms)))
}

/// Who handed what to whom, in a sentence.
pub fn handoff_text(
    actor: &str,
    role: IncidentRole,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let title = role.title();
    let lower = title.to_lowercase();
    match (before, after) {
        (Some(before), Some(after)) if actor == before => {
            format!("{before} handed {lower} to {after}")
        }
        (Some(before), Some(after)) => format!("{actor} handed {lower} from {before} to {after}"),
        (None, Some(after)) if actor == after => format!("{after} took {lower}"),
        (None, Some(after)) => format!("{actor} assigned {lower} to {after}"),
        (Some(before), None) if actor == before => format!("{before} stepped down as {lower}"),
        (Some(before), None) => format!("{actor} relieved {before} as {lower}"),
        (None, None) => format!("{title} stays vacant"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handoff_says_who_handed_what_to_whom() {
        let c = IncidentRole::Commander;
        assert_eq!(
            handoff_text("ana", c, Some("ana"), Some("ben")),
            "ana handed incident commander to ben"
        );
        assert_eq!(
            handoff_text("ic", c, Some("ana"), Some("ben")),
            "ic handed incident commander from ana to ben"
        );
        assert_eq!(
            handoff_text("ben", IncidentRole::Scribe, None, Some("ben")),
            "ben took scribe"
        );
        assert_eq!(
            handoff_text("ana", IncidentRole::Communications, None, Some("cleo")),
            "ana assigned communications to cleo"
        );
        assert_eq!(
            handoff_text("ana", c, Some("ana"), None),
            "ana stepped down as incident commander"
        );
        assert_eq!(
            handoff_text("ic", c, Some("ana"), None),
            "ic relieved ana as incident commander"
        );
    }
}
