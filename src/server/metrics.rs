//! `GET /metrics` in the Prometheus text format: request counts and the
//! histograms (request duration per route, action duration, detection
//! latency) kept here, fleet gauges read from the live topology at scrape
//! time. Also served alone on `serve --metrics-listen`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use super::node::Role;
use crate::model::{HealthState, SwitchHealth};

#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub client_errors: AtomicU64,
    pub server_errors: AtomicU64,
    pub sse_clients: AtomicU64,
    pub observations: AtomicU64,
    /// Seconds to answer, by method and route template.
    pub request_seconds: Histograms,
    /// Seconds from an action's start to its end (orchestrator clock), by
    /// kind and outcome.
    pub action_seconds: Histograms,
    /// Seconds from a node's first failed probe to the alert that it is
    /// down (orchestrator clock), by alert kind.
    pub detection_seconds: Histograms,
    /// Per node, when its current run of failed probes began.
    pub first_failure: Mutex<HashMap<String, crate::model::Timestamp>>,
    /// Actions whose duration was observed (an action's end is announced once
    /// per change after it, so it is counted once).
    pub actions_seen: Mutex<std::collections::HashSet<String>>,
}

/// Upper bounds of the histograms' buckets, in seconds: from a millisecond
/// (a request) to half an hour (an action waiting for health).
const BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 300.0,
    1800.0,
];

/// One histogram per label set (`name="value"` pairs, rendered in order).
#[derive(Debug, Default)]
pub struct Histograms {
    series: Mutex<BTreeMap<String, Series>>,
}

#[derive(Debug, Default, Clone)]
struct Series {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histograms {
    /// Records one observation of `seconds` under `labels`.
    pub fn observe(&self, labels: &[(&str, &str)], seconds: f64) {
        let key = labels
            .iter()
            .map(|(name, value)| format!("{name}=\"{}\"", label(value)))
            .collect::<Vec<_>>()
            .join(",");
        let seconds = seconds.max(0.0);
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let one = series.entry(key).or_default();
        for (bound, count) in BUCKETS.iter().zip(one.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        one.count += 1;
        one.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let series = self
            .series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for (labels, one) in series {
            let sep = if labels.is_empty() { "" } else { "," };
            for (bound, count) in BUCKETS.iter().zip(one.buckets.iter()) {
                let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}\n{name}_sum{{{labels}}} {}\n{name}_count{{{labels}}} {}",
                one.count, one.sum, one.count
            );
        }
    }
}

impl Metrics {
    pub fn record_status(&self, status: u16) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if (400..500).contains(&status) {
            self.client_errors.fetch_add(1, Ordering::Relaxed);
        } else if status >= 500 {
            self.server_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Prometheus metrics of the orchestrator and the fleet it watches.
#[utoipa::path(get, path = "/metrics", tag = "meta", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, kind: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    counter(
        "warroom_http_requests_total",
        "HTTP requests answered.",
        "counter",
        m.requests.load(Ordering::Relaxed),
    );
    counter(
        "warroom_http_client_errors_total",
        "Requests answered with a 4xx status.",
        "counter",
        m.client_errors.load(Ordering::Relaxed),
    );
    counter(
        "warroom_http_server_errors_total",
        "Requests answered with a 5xx status.",
        "counter",
        m.server_errors.load(Ordering::Relaxed),
    );
    counter(
        "warroom_sse_clients",
        "Event stream clients connected now.",
        "gauge",
        m.sse_clients.load(Ordering::Relaxed),
    );
    counter(
        "warroom_events_published_total",
        "Events persisted and broadcast since start.",
        "counter",
        state.hub.published(),
    );
    counter(
        "warroom_observations_total",
        "Probe results and world facts applied since start.",
        "counter",
        m.observations.load(Ordering::Relaxed),
    );

    let view = state.node.view();
    let _ = writeln!(
        out,
        "# HELP warroom_replica_role This replica's role (1 for the one it has).\n# TYPE warroom_replica_role gauge"
    );
    for role in [Role::Standalone, Role::Leader, Role::Follower] {
        let _ = writeln!(
            out,
            "warroom_replica_role{{node_id=\"{}\",role=\"{}\"}} {}",
            label(&state.node.id),
            role.as_str(),
            u8::from(view.role == role)
        );
    }
    let _ = writeln!(
        out,
        "# HELP warroom_fencing_epoch The leader lease's fencing epoch as this replica last saw it.\n# TYPE warroom_fencing_epoch gauge\nwarroom_fencing_epoch {}",
        view.epoch.unwrap_or(0)
    );
    let _ = writeln!(
        out,
        "# HELP warroom_leader_known Whether this replica knows a live leader.\n# TYPE warroom_leader_known gauge\nwarroom_leader_known {}",
        u8::from(view.leader.is_some())
    );
    let (version, servers, sites, switches, alerts) = {
        let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        let topo = fleet.topology();
        let count = |states: &mut Vec<(HealthState, u64)>, s: HealthState| {
            if let Some(e) = states.iter_mut().find(|(k, _)| *k == s) {
                e.1 += 1;
            } else {
                states.push((s, 1));
            }
        };
        let mut servers = Vec::new();
        for s in &topo.servers {
            count(&mut servers, s.health.state);
        }
        let mut sites = Vec::new();
        for s in &topo.sites {
            count(&mut sites, s.health.state);
        }
        let suspect = topo
            .switches
            .iter()
            .filter(|s| s.health != SwitchHealth::Ok)
            .count() as u64;
        (
            topo.version,
            servers,
            sites,
            suspect,
            fleet.alerts().len() as u64,
        )
    };
    let _ = writeln!(
        out,
        "# HELP warroom_topology_version Topology version now.\n# TYPE warroom_topology_version gauge\nwarroom_topology_version {version}"
    );
    for (name, help, states) in [
        ("warroom_servers", "Servers by health state.", &servers),
        ("warroom_sites", "Sites by health state.", &sites),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for state in [
            HealthState::Up,
            HealthState::Degraded,
            HealthState::Down,
            HealthState::Flapping,
            HealthState::Unknown,
        ] {
            let n = states.iter().find(|(k, _)| *k == state).map_or(0, |e| e.1);
            let _ = writeln!(out, "{name}{{state=\"{}\"}} {n}", state.as_str());
        }
    }
    let _ = writeln!(
        out,
        "# HELP warroom_switches_unhealthy Switches suspect or down.\n# TYPE warroom_switches_unhealthy gauge\nwarroom_switches_unhealthy {switches}"
    );
    let _ = writeln!(
        out,
        "# HELP warroom_alerts_open Alerts open now.\n# TYPE warroom_alerts_open gauge\nwarroom_alerts_open {alerts}"
    );
    m.request_seconds.render(
        &mut out,
        "warroom_http_request_duration_seconds",
        "Time to answer a request, by method and route.",
    );
    m.action_seconds.render(
        &mut out,
        "warroom_action_duration_seconds",
        "An action's time from start to end on the orchestrator's clock, by kind and outcome.",
    );
    m.detection_seconds.render(
        &mut out,
        "warroom_detection_latency_seconds",
        "From a node's first failed probe to the alert that it is down, on the orchestrator's clock.",
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}

/// A label value as the text format wants it: backslash, quote and newline
/// escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
