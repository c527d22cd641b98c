//! The lab drill's scorecard: the simulated drill's, on scenario time, with
//! sites measured by the load generator, each failure in its own window, and
//! the failed requests per failure.

use std::time::{Duration, Instant};

use super::{Driver, RECENT};
use crate::lab::Lab;
use crate::lab::traffic::{self, FailedRequests, RequestOutcome};
use crate::model::{FaultKind, HealthSample, Timestamp};
use crate::report::{
    DrillRecord, FaultRecord, Scorecard, Totals, format_duration, format_offset, render_table,
    scorecard,
};
use crate::sim::Scenario;

/// Failed requests of one failure's window (its fault to the next failure's).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailureRequests {
    pub fault: FaultKind,
    pub target: String,
    pub fault_at_s: u64,
    pub requests: FailedRequests,
    /// First and last failed request, scenario seconds.
    pub failing_from_s: Option<u64>,
    pub failing_to_s: Option<u64>,
}

/// A lab drill's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LabScorecard {
    pub card: Scorecard,
    pub speed: f64,
    pub real_s: f64,
    pub requests: Vec<FailureRequests>,
    pub sent: u64,
    pub failed: u64,
    /// The most stale cache clients and stuck backends the fleet showed (the
    /// nodes' own reports), and how many were left at the end.
    pub stale_clients_seen: u32,
    pub stuck_backends_seen: u32,
    pub stale_clients_at_end: u32,
    pub stuck_backends_at_end: u32,
}

impl Driver {
    /// The scorecard on scenario time, sites measured by the traffic.
    pub(super) async fn score(
        &self,
        scenario: &Scenario,
        faults: Vec<FaultRecord>,
        outcomes: &[RequestOutcome],
        traffic_started: Instant,
        lab: &Lab,
    ) -> anyhow::Result<LabScorecard> {
        let real = self.started.elapsed();
        let end_s = self.scenario_s(Instant::now());
        // Traffic offsets count from the traffic's start, before offset 0.
        let zero = self.started.saturating_duration_since(traffic_started);
        let after: Vec<RequestOutcome> = outcomes
            .iter()
            .filter(|o| o.sent >= zero)
            .map(|o| RequestOutcome {
                sent: o.sent - zero,
                ..o.clone()
            })
            .collect();
        let to_scenario = |d: Duration| -> Timestamp {
            self.started_at
                + chrono::Duration::milliseconds((d.as_secs_f64() * self.speed * 1000.0) as i64)
        };
        let mut histories = std::collections::BTreeMap::new();
        for site in &lab.layout.sites {
            let samples = traffic::site_states(&after, &site.id)
                .into_iter()
                .map(|(sent, state)| HealthSample {
                    component_id: site.id.clone(),
                    component: crate::model::ComponentKind::Site,
                    at: to_scenario(sent),
                    state,
                    latency_ms: None,
                    error_rate: 0.0,
                })
                .collect();
            histories.insert(site.id.clone(), samples);
        }
        let mut targets: Vec<&String> = faults.iter().map(|f| &f.target).collect();
        targets.sort();
        targets.dedup();
        for target in targets {
            match self.client.health_history(target).await {
                Ok(history) => {
                    let samples = history
                        .samples
                        .into_iter()
                        .map(|s| HealthSample {
                            at: self.scenario_at(s.at),
                            ..s
                        })
                        .collect();
                    histories.insert(target.clone(), samples);
                }
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let topology = self.client.topology().await?;
        let recent = real.saturating_sub(RECENT);
        let mut down_at_end: Vec<String> = Vec::new();
        for site in &lab.layout.sites {
            let failing = after
                .iter()
                .filter(|o| o.site == site.id && o.sent >= recent)
                .any(|o| !o.ok());
            if failing {
                down_at_end.push(site.id.clone());
            }
        }
        let record = DrillRecord {
            scenario: scenario.name.clone(),
            started_at: self.started_at,
            ended_at: self.started_at + chrono::Duration::seconds(end_s as i64),
            faults: faults.clone(),
            site_homes: topology
                .sites
                .iter()
                .map(|s| (s.id.clone(), s.home_server.clone()))
                .collect(),
            histories,
            actions: self.actions.clone(),
            sites_down_at_end: down_at_end,
        };
        let failures: Vec<&FaultRecord> = faults
            .iter()
            .filter(|f| {
                !matches!(
                    f.kind,
                    FaultKind::Recover | FaultKind::CacheFailoverRegression
                )
            })
            .collect();
        let card = windowed_scorecard(&record, &failures, end_s);
        let real_of = |s: u64| Duration::from_secs_f64(s as f64 / self.speed);
        let requests = failures
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let from = real_of(f.at_s);
                let to = failures
                    .get(i + 1)
                    .map_or(Duration::MAX, |n| real_of(n.at_s));
                let server_fault = matches!(f.kind, FaultKind::ServerDown | FaultKind::ServerFlap);
                let counted = traffic::failed_between(&after, from, to, |site| {
                    !server_fault || record.site_homes.get(site).is_some_and(|h| *h == f.target)
                });
                let scen = |d: Duration| (d.as_secs_f64() * self.speed) as u64;
                FailureRequests {
                    fault: f.kind,
                    target: f.target.clone(),
                    fault_at_s: f.at_s,
                    requests: counted,
                    failing_from_s: counted.first.map(scen),
                    failing_to_s: counted.last.map(scen),
                }
            })
            .collect();
        Ok(LabScorecard {
            card,
            speed: self.speed,
            real_s: real.as_secs_f64(),
            requests,
            sent: after.len() as u64,
            failed: after.iter().filter(|o| !o.ok()).count() as u64,
            stale_clients_seen: self.stale_seen,
            stuck_backends_seen: self.stuck_seen,
            stale_clients_at_end: topology.cache.as_ref().map_or(0, |c| c.stale_clients),
            stuck_backends_at_end: topology.database.as_ref().map_or(0, |d| d.stuck_backends),
        })
    }
}

/// The scorecard with each failure scored in its own window, from its
/// fault to the next failure's (the last one to the end): on real
/// processes a later fault (the cache's, at the end of 2017) also hurts the
/// sites an earlier one moved, and is scored there, not twice.
fn windowed_scorecard(record: &DrillRecord, failures: &[&FaultRecord], end_s: u64) -> Scorecard {
    let whole = scorecard(record);
    let mut scores = Vec::new();
    for (i, fault) in failures.iter().enumerate() {
        let window_end = failures
            .get(i + 1)
            .map_or(end_s, |next| next.at_s)
            .max(fault.at_s);
        let one = DrillRecord {
            faults: vec![(*fault).clone()],
            ended_at: record.started_at + chrono::Duration::seconds(window_end as i64),
            ..record.clone()
        };
        scores.extend(scorecard(&one).failures);
    }
    let round1 = |v: f64| (v * 10.0).round() / 10.0;
    let with_original = scores.iter().filter(|f| f.original.is_some());
    let totals = Totals {
        failures: u32::try_from(scores.len()).unwrap_or(u32::MAX),
        site_minutes_down: round1(scores.iter().map(|f| f.site_minutes_down).sum()),
        site_minutes_degraded: round1(scores.iter().map(|f| f.site_minutes_degraded).sum()),
        mitigate_s: with_original
            .clone()
            .map(|f| f.mitigate_s.unwrap_or(0))
            .sum(),
        original_minutes: with_original
            .filter_map(|f| f.original.as_ref().map(|o| o.minutes))
            .sum(),
    };
    Scorecard {
        failures: scores,
        totals,
        ..whole
    }
}

/// The lab scorecard as text: the simulated drill's table on scenario time,
/// then the failed requests per failure.
pub fn render(card: &LabScorecard) -> String {
    let table = render_table(&card.card);
    let body = table.split_once('\n').map_or("", |(_, rest)| rest);
    let mut out = format!(
        "drill {} on the lab — {} of scenario time in {:.0} s real (×{}); times are scenario time\n",
        card.card.scenario,
        format_duration(card.card.duration_s),
        card.real_s,
        card.speed
    );
    out.push_str(body);
    out.push_str("\nfailed requests (real traffic through HAProxy, each site's page and cart every 0.5 s real):\n");
    for r in &card.requests {
        let window = match (r.failing_from_s, r.failing_to_s) {
            (Some(from), Some(to)) => format!(
                "failing {} to {} ({})",
                format_offset(from),
                format_offset(to),
                format_duration(to.saturating_sub(from))
            ),
            _ => "no failed request".to_string(),
        };
        out.push_str(&format!(
            "  {:<9} {:<16} {:<8} {:>5} of {:>5} failed  {window}\n",
            format_offset(r.fault_at_s),
            r.fault.as_str(),
            r.target,
            r.requests.failed,
            r.requests.sent
        ));
    }
    out.push_str(&format!(
        "  total: {} of {} requests failed\n",
        card.failed, card.sent
    ));
    out.push_str(&format!(
        "\nnodes' own reports: up to {} stale cache clients ({} at the end), up to {} stuck backends ({} at the end)\n",
        card.stale_clients_seen,
        card.stale_clients_at_end,
        card.stuck_backends_seen,
        card.stuck_backends_at_end
    ));
    out
}
