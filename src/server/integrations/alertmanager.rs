//! Alertmanager in: `POST /v1/integrations/alertmanager` takes its webhook
//! payload (version 4). A firing alert becomes a warroom alert of kind
//! `external` on the node its labels name (the first of the fleet file's
//! `[integrations.alertmanager] node_labels` present whose value, without a
//! `:port`, is a node id); a resolved one clears. They are alerts like the
//! derived ones: in `/v1/alerts`, the event stream and the console, written
//! to open incidents' timelines as detections, acknowledged and silenced the
//! same way, and saved with the world state.
//!
//! Authenticated by a bearer token of the tokens file (responder or up):
//! Alertmanager's `http_config.authorization` sends it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{AlertSeverity, AlertmanagerSpec, Validate};
use crate::server::AppState;
use crate::server::auth::Responder;
use crate::server::detect::apply_changes;
use crate::server::error::{ApiResult, Failure};
use crate::server::extract::AppJson;

/// Most alerts one notification may carry. Label and annotation values
/// of any length are taken (the body limit bounds them) and cut to 500
/// characters where they are kept.
const MAX_ALERTS: usize = 1000;

/// Alertmanager's webhook payload, version 4 (the fields warroom reads;
/// others are accepted and ignored).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AlertmanagerPayload {
    pub version: AlertmanagerVersion,
    #[serde(default, rename = "groupKey")]
    pub group_key: Option<String>,
    #[serde(default)]
    pub receiver: Option<String>,
    #[schema(max_items = 1000)]
    pub alerts: Vec<AlertmanagerAlert>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AlertmanagerAlert {
    pub status: AlertmanagerStatus,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339; a time that does not read as one counts as now.
    #[serde(default, rename = "startsAt")]
    pub starts_at: Option<String>,
    /// RFC 3339 (Alertmanager sends `0001-01-01T00:00:00Z` while firing);
    /// a time that does not read as one counts as now.
    #[serde(default, rename = "endsAt")]
    pub ends_at: Option<String>,
    /// Alertmanager's id of the alert (its labels' hash); made from the
    /// labels when absent, and from itself when it is not up to 64 letters
    /// and digits.
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// The payload version warroom reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum AlertmanagerVersion {
    #[serde(rename = "4")]
    V4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertmanagerStatus {
    Firing,
    Resolved,
}

/// What was done with a notification.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertmanagerReceipt {
    /// Firing alerts opened or still open.
    pub firing: usize,
    /// Alerts cleared.
    pub resolved: usize,
    /// Alerts whose labels name no node of the fleet (kept, on the label's value).
    pub unmapped: Vec<String>,
}

/// One firing or resolved alert, checked and put on a node.
#[derive(Debug, Clone, PartialEq)]
pub struct External {
    pub id: String,
    pub firing: bool,
    pub severity: AlertSeverity,
    /// The node id, or the label's value when it names no node.
    pub target: String,
    pub mapped: bool,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// Take an Alertmanager notification (webhook payload version 4).
#[utoipa::path(post, path = "/v1/integrations/alertmanager", tag = "integrations",
    operation_id = "alertmanager_webhook",
    request_body = AlertmanagerPayload,
    responses((status = 200, body = AlertmanagerReceipt),
        (status = 403, description = "a viewer token", body = crate::model::ApiErrorBody),
        (status = 422, description = "not version 4, or an alert's field is not acceptable (the message names it)", body = crate::model::ApiErrorBody),
        (status = 503, description = "no replica leads right now; nothing was done", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn receive(
    State(state): State<AppState>,
    Responder(_caller): Responder,
    AppJson(payload): AppJson<AlertmanagerPayload>,
) -> ApiResult<Json<AlertmanagerReceipt>> {
    let now = state.clock.now();
    let (changes, receipt) = {
        let mut fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        let alerts = check(&payload, &state.alertmanager, |id| fleet.has_node(id), now)
            .map_err(Failure::invalid)?;
        let mut receipt = AlertmanagerReceipt {
            firing: 0,
            resolved: 0,
            unmapped: Vec::new(),
        };
        let mut changes = Vec::new();
        for alert in alerts {
            if !alert.mapped {
                receipt.unmapped.push(alert.id.clone());
            }
            if alert.firing {
                receipt.firing += 1;
                changes.extend(fleet.external_firing(
                    &alert.id,
                    alert.severity,
                    &alert.target,
                    &alert.message,
                    alert.at,
                ));
            } else {
                receipt.resolved += 1;
                changes.extend(fleet.external_resolved(&alert.id, alert.at.min(now)));
            }
        }
        (changes, receipt)
    };
    apply_changes(&state, changes, Vec::new()).await;
    Ok(Json(receipt))
}

impl Validate for AlertmanagerPayload {
    /// The payload's own rules; which node an alert is on is read later.
    fn validate(&self) -> Result<(), String> {
        check(self, &AlertmanagerSpec::default(), |_| false, Utc::now()).map(|_| ())
    }
}

/// Checks the payload and puts each alert on a node; the first problem is
/// an error naming its field.
pub fn check(
    payload: &AlertmanagerPayload,
    spec: &AlertmanagerSpec,
    is_node: impl Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> Result<Vec<External>, String> {
    if payload.alerts.len() > MAX_ALERTS {
        return Err(format!("alerts: at most {MAX_ALERTS} in one notification"));
    }
    let mut out = Vec::with_capacity(payload.alerts.len());
    for alert in &payload.alerts {
        let firing = alert.status == AlertmanagerStatus::Firing;
        let fingerprint = match &alert.fingerprint {
            Some(f) if is_fingerprint(f) => f.clone(),
            Some(other) => fingerprint_of([("fingerprint", other.as_str())]),
            None => fingerprint_of(alert.labels.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        };
        let named = spec
            .node_labels
            .iter()
            .find_map(|label| alert.labels.get(label))
            .map(|value| {
                value
                    .rsplit_once(':')
                    .map_or(value.as_str(), |(host, _)| host)
            });
        let (target, mapped) = match named {
            Some(node) if is_node(node) => (node.to_string(), true),
            Some(other) => (clean(other), false),
            None => ("alertmanager".to_string(), false),
        };
        let name = alert
            .labels
            .get("alertname")
            .map_or("alert", String::as_str);
        let about = alert
            .annotations
            .get("summary")
            .or_else(|| alert.annotations.get("description"))
            .map(|text| format!(": {text}"))
            .unwrap_or_default();
        let severity = match alert.labels.get("severity").map(String::as_str) {
            Some("critical" | "page" | "error") => AlertSeverity::Critical,
            Some("warning" | "warn") => AlertSeverity::Warning,
            _ => AlertSeverity::Info,
        };
        let time = if firing {
            &alert.starts_at
        } else {
            &alert.ends_at
        };
        let at = time
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| t.timestamp() > 0)
            .unwrap_or(now);
        let message = clean(&match named {
            Some(_) => format!("Alertmanager {name} on {target}{about}"),
            None => format!("Alertmanager {name}{about}"),
        });
        out.push(External {
            id: format!("external:{fingerprint}"),
            firing,
            severity,
            target,
            mapped,
            message,
            at: at.min(now),
        });
    }
    Ok(out)
}

/// Text from outside, as warroom keeps it: control characters dropped,
/// at most 500 characters.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(500).collect()
}

fn is_fingerprint(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A stable id from `name=value` pairs (FNV-1a, in order), for a sender
/// that gives no fingerprint (or one that is not an id).
fn fingerprint_of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, value) in pairs {
        for byte in name.bytes().chain([b'=']).chain(value.bytes()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(json: serde_json::Value) -> AlertmanagerPayload {
        serde_json::from_value(json).expect("a payload")
    }

    fn now() -> DateTime<Utc> {
        "2026-11-30T12:00:00Z".parse().expect("time")
    }

    #[test]
    fn the_first_node_label_present_names_the_node_without_its_port() {
        let spec = AlertmanagerSpec::default();
        let alerts = check(
            &payload(serde_json::json!({
                "version": "4",
                "alerts": [
                    {"status": "firing", "labels": {"alertname": "HighLatency", "instance": "app-04:9100", "severity": "critical"},
                     "annotations": {"summary": "p99 over 2 s"}, "startsAt": "2026-11-30T11:58:00Z", "fingerprint": "1a2b"},
                    {"status": "resolved", "labels": {"alertname": "DiskFull", "instance": "db-9:9100"},
                     "endsAt": "2026-11-30T11:59:00Z"},
                ]
            })),
            &spec,
            |id| id == "app-04",
            now(),
        )
        .expect("valid");
        assert_eq!(alerts[0].id, "external:1a2b");
        assert_eq!(alerts[0].target, "app-04");
        assert!(alerts[0].mapped && alerts[0].firing);
        assert_eq!(alerts[0].severity, AlertSeverity::Critical);
        assert_eq!(
            alerts[0].message,
            "Alertmanager HighLatency on app-04: p99 over 2 s"
        );
        assert_eq!(
            alerts[0].at,
            "2026-11-30T11:58:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            (alerts[1].target.as_str(), alerts[1].mapped),
            ("db-9", false)
        );
        assert_eq!(alerts[1].severity, AlertSeverity::Info);
        assert_eq!(
            alerts[1].id.len(),
            "external:".len() + 16,
            "a fingerprint made from the labels"
        );
    }

    #[test]
    fn what_is_not_an_id_or_a_time_is_made_one() {
        let spec = AlertmanagerSpec::default();
        let alerts = check(
            &payload(serde_json::json!({"version": "4", "alerts": [
                {"status": "firing", "fingerprint": "../x", "startsAt": "yesterday"},
                {"status": "firing", "fingerprint": "../x", "startsAt": "0001-01-01T00:00:00Z"},
            ]})),
            &spec,
            |_| true,
            now(),
        )
        .expect("valid");
        assert_eq!(
            alerts[0].id, alerts[1].id,
            "the same made-up id for the same text"
        );
        assert!(
            alerts[0].id["external:".len()..]
                .chars()
                .all(|c| c.is_ascii_hexdigit())
        );
        assert_eq!((alerts[0].at, alerts[1].at), (now(), now()));
        let too_many: Vec<_> = (0..1001)
            .map(|_| serde_json::json!({"status": "resolved"}))
            .collect();
        let error = check(
            &payload(serde_json::json!({"version": "4", "alerts": too_many})),
            &spec,
            |_| true,
            now(),
        )
        .unwrap_err();
        assert!(error.starts_with("alerts: at most 1000"), "{error}");
    }

    #[test]
    fn text_from_outside_loses_its_control_characters() {
        let spec = AlertmanagerSpec::default();
        let alerts = check(
            &payload(serde_json::json!({"version": "4", "alerts": [
                {"status": "firing", "labels": {"alertname": "X\u{1b}[2J"}, "annotations": {"summary": "a\u{7}b"}}
            ]})),
            &spec,
            |_| false,
            now(),
        )
        .expect("valid");
        assert_eq!(alerts[0].message, "Alertmanager X[2J: ab");
        assert_eq!(alerts[0].target, "alertmanager");
    }
}
