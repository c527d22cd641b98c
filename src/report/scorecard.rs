//! The drill scorecard (DESIGN.md §7): for each failure a scenario injects,
//! how long detection and mitigation took on the sim clock and how many
//! site-minutes were lost, next to what the original outage took.
//!
//! Pure: the caller passes the recorded health history, the actions it ran
//! and the scenario's faults. Every time in the result is an offset or a
//! duration on the sim clock, never a wall-clock time, so a fixed seed gives
//! comparable documents.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{FaultKind, HealthSample, HealthState, Timestamp};

/// One injected fault, at its offset from the start of the replay.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRecord {
    pub at_s: u64,
    pub kind: FaultKind,
    pub target: String,
    pub description: String,
}

/// One action the drill ran, with its times as offsets from the start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRecord {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub started_s: u64,
    pub finished_s: Option<u64>,
    /// The end state (`succeeded`, `needs_follow_up`, …).
    pub state: String,
    /// The sum of the plan's step deadlines, for the actions the drill
    /// executed itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_s: Option<u64>,
    /// Started by the autopilot.
    pub automatic: bool,
}

impl ActionRecord {
    /// How long it ran on the sim clock; `None` while unfinished. Measured
    /// from the API's timestamps, so it may exceed the executor's own
    /// measure by the sim clock's step.
    pub fn took_s(&self) -> Option<u64> {
        self.finished_s
            .map(|end| end.saturating_sub(self.started_s))
    }
}

/// Everything a drill recorded; the input of `scorecard`.
#[derive(Debug, Clone)]
pub struct DrillRecord {
    pub scenario: String,
    /// Sim time the replay started (offset 0).
    pub started_at: Timestamp,
    /// Sim time the drill stopped observing.
    pub ended_at: Timestamp,
    pub faults: Vec<FaultRecord>,
    /// Every site and the server it calls home.
    pub site_homes: BTreeMap<String, String>,
    /// Health changes per component: each site as it really fared (the
    /// simulator's truth, or the lab's traffic), and each fault target as
    /// the orchestrator recorded it (when the failure was detected).
    pub histories: BTreeMap<String, Vec<HealthSample>>,
    pub actions: Vec<ActionRecord>,
    /// Sites not up when the drill ended.
    pub sites_down_at_end: Vec<String>,
}

/// How long the original outage took for one failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Original {
    pub minutes: u64,
    pub what: &'static str,
}

/// The score of one failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureScore {
    pub fault: FaultKind,
    pub target: String,
    pub fault_at_s: u64,
    /// Fault to the first recorded down or flapping state of the target.
    pub detect_s: Option<u64>,
    /// Fault to every affected site healthy again; `None` while one is not.
    pub mitigate_s: Option<u64>,
    /// Sites that were down, flapping or degraded after the fault.
    pub sites_affected: u32,
    /// Of those, the sites that were down or flapping.
    pub sites_down: u32,
    pub site_minutes_down: f64,
    pub site_minutes_degraded: f64,
    pub original: Option<Original>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub failures: u32,
    pub site_minutes_down: f64,
    pub site_minutes_degraded: f64,
    /// Sum of the mitigation times of the failures with an original figure.
    pub mitigate_s: u64,
    /// Sum of the original durations of those same failures.
    pub original_minutes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub scenario: String,
    /// Who responded: `script`, `console` or `autopilot`.
    pub responder: String,
    /// The console responder's reaction time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reaction_s: Option<u64>,
    pub duration_s: u64,
    pub failures: Vec<FailureScore>,
    pub actions: Vec<ActionRecord>,
    pub totals: Totals,
    pub sites_down_at_end: Vec<String>,
}

/// The durations DESIGN.md §1 gives for the original outages.
pub fn original_duration(scenario: &str, kind: FaultKind, target: &str) -> Option<Original> {
    let (minutes, what) = match (scenario, kind, target) {
        ("switch-2017", FaultKind::ServerDown, "app-04") => {
            (15, "first server: sites back on a failover server")
        }
        ("switch-2017", FaultKind::ServerDown, "app-06") => {
            (25, "third server: re-balanced by hand")
        }
        ("switch-2017", FaultKind::CacheNodeDown, _) => {
            (27, "failing requests after the cache switch")
        }
        ("db-master-2020", FaultKind::DbMasterDown, _) => (136, "sites stuck on the dead master"),
        _ => return None,
    };
    Some(Original { minutes, what })
}

/// Faults that are failures to score (not recoveries, not latent arming).
fn is_failure(kind: FaultKind) -> bool {
    !matches!(
        kind,
        FaultKind::Recover | FaultKind::CacheFailoverRegression
    )
}

fn offset_s(start: Timestamp, at: Timestamp) -> u64 {
    u64::try_from((at - start).num_milliseconds().max(0) / 1000).unwrap_or(0)
}

/// The state intervals of one history, clipped to `[from, to]`, in seconds
/// from `start`.
fn intervals(
    samples: &[HealthSample],
    start: Timestamp,
    from_s: u64,
    to_s: u64,
) -> Vec<(u64, u64, HealthState)> {
    let mut sorted: Vec<&HealthSample> = samples.iter().collect();
    sorted.sort_by_key(|s| s.at);
    let mut out = Vec::new();
    for (i, sample) in sorted.iter().enumerate() {
        let begin = offset_s(start, sample.at);
        let end = sorted
            .get(i + 1)
            .map_or(to_s, |next| offset_s(start, next.at));
        let (begin, end) = (begin.max(from_s), end.min(to_s));
        if begin < end {
            out.push((begin, end, sample.state));
        }
    }
    out
}

fn minutes(seconds: u64) -> f64 {
    (seconds as f64 / 6.0).round() / 10.0
}

/// Whether `fault` can impair a site whose home is `home`: a server's
/// fault only its own sites, any other fault (cache, database) every site.
fn affects(fault: &FaultRecord, home: &str) -> bool {
    match fault.kind {
        FaultKind::ServerDown | FaultKind::ServerFlap => home == fault.target,
        _ => true,
    }
}

/// What a failure cost the sites, accumulated span by span.
#[derive(Default)]
struct Cost {
    sites: std::collections::BTreeSet<String>,
    /// Of those, the ones that were down or flapping (not only degraded).
    sites_down: std::collections::BTreeSet<String>,
    down_s: u64,
    degraded_s: u64,
    /// When the last impaired span ended; `None` once one lasted to the end.
    last_recovery: Option<Option<u64>>,
}

/// Score a recorded drill.
///
/// Each span in which a site was down, flapping or degraded is charged to
/// the latest failure that could impair that site and had begun when the
/// span began: a server's sites lost to a later cache failure count against
/// the cache, not against the server that failed hours before.
pub fn scorecard(record: &DrillRecord) -> Scorecard {
    let end_s = offset_s(record.started_at, record.ended_at);
    let empty = Vec::new();
    let faults: Vec<&FaultRecord> = record
        .faults
        .iter()
        .filter(|f| is_failure(f.kind))
        .collect();
    let mut costs: Vec<Cost> = faults.iter().map(|_| Cost::default()).collect();
    for (site, home) in &record.site_homes {
        let spans = intervals(
            record.histories.get(site).unwrap_or(&empty),
            record.started_at,
            0,
            end_s,
        );
        for (begin, end, state) in spans {
            let impaired = matches!(
                state,
                HealthState::Down | HealthState::Flapping | HealthState::Degraded
            );
            if !impaired {
                continue;
            }
            let owner = faults
                .iter()
                .enumerate()
                .filter(|(_, f)| f.at_s <= begin && affects(f, home))
                .max_by_key(|(i, f)| (f.at_s, *i))
                .map(|(i, _)| i);
            let Some(cost) = owner.and_then(|i| costs.get_mut(i)) else {
                continue;
            };
            if state == HealthState::Degraded {
                cost.degraded_s += end - begin;
            } else {
                cost.down_s += end - begin;
                cost.sites_down.insert(site.clone());
            }
            cost.sites.insert(site.clone());
            cost.last_recovery = Some(match cost.last_recovery {
                // Still impaired when the drill stopped: not mitigated.
                _ if end >= end_s => None,
                Some(None) => None,
                Some(Some(seen)) => Some(seen.max(end)),
                None => Some(end),
            });
        }
    }
    let failures: Vec<FailureScore> = faults
        .iter()
        .zip(costs)
        .map(|(fault, cost)| {
            let history = record.histories.get(&fault.target).unwrap_or(&empty);
            let detect_s = intervals(history, record.started_at, fault.at_s, end_s)
                .into_iter()
                .find(|(_, _, state)| matches!(state, HealthState::Down | HealthState::Flapping))
                .map(|(begin, _, _)| begin - fault.at_s);
            FailureScore {
                fault: fault.kind,
                target: fault.target.clone(),
                fault_at_s: fault.at_s,
                detect_s,
                mitigate_s: cost
                    .last_recovery
                    .unwrap_or(Some(fault.at_s))
                    .map(|t| t - fault.at_s),
                sites_affected: u32::try_from(cost.sites.len()).unwrap_or(u32::MAX),
                sites_down: u32::try_from(cost.sites_down.len()).unwrap_or(u32::MAX),
                site_minutes_down: minutes(cost.down_s),
                site_minutes_degraded: minutes(cost.degraded_s),
                original: original_duration(&record.scenario, fault.kind, &fault.target),
            }
        })
        .collect();
    let with_original = failures.iter().filter(|f| f.original.is_some());
    let totals = Totals {
        failures: u32::try_from(failures.len()).unwrap_or(u32::MAX),
        site_minutes_down: round1(failures.iter().map(|f| f.site_minutes_down).sum()),
        site_minutes_degraded: round1(failures.iter().map(|f| f.site_minutes_degraded).sum()),
        mitigate_s: with_original
            .clone()
            .map(|f| f.mitigate_s.unwrap_or(0))
            .sum(),
        original_minutes: with_original
            .filter_map(|f| f.original.as_ref().map(|o| o.minutes))
            .sum(),
    };
    Scorecard {
        scenario: record.scenario.clone(),
        responder: "script".into(),
        reaction_s: None,
        duration_s: end_s,
        failures,
        actions: record.actions.clone(),
        totals,
        sites_down_at_end: record.sites_down_at_end.clone(),
    }
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// `+1h20m5s` style offset.
pub fn format_offset(seconds: u64) -> String {
    format!("+{}", format_duration(seconds))
}

/// `1h20m5s`, `45m`, `20s`, `0s`.
pub fn format_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// The scorecard as an aligned text table, for people.
pub fn render_table(card: &Scorecard) -> String {
    let header = [
        "fault at",
        "failure",
        "target",
        "detect",
        "mitigate",
        "sites",
        "site-min down",
        "site-min degraded",
        "original",
    ];
    let mut rows: Vec<[String; 9]> = vec![header.map(str::to_string)];
    for f in &card.failures {
        rows.push([
            format_offset(f.fault_at_s),
            f.fault.as_str().to_string(),
            f.target.clone(),
            f.detect_s.map_or("-".into(), format_duration),
            match (f.mitigate_s, f.sites_affected) {
                (_, 0) => "no impact".into(),
                (Some(s), _) => format_duration(s),
                (None, _) => "NOT MITIGATED".into(),
            },
            f.sites_affected.to_string(),
            format!("{:.1}", f.site_minutes_down),
            format!("{:.1}", f.site_minutes_degraded),
            f.original
                .as_ref()
                .map_or("-".into(), |o| format!("{}m ({})", o.minutes, o.what)),
        ]);
    }
    let t = &card.totals;
    rows.push([
        "total".into(),
        format!("{} failures", t.failures),
        String::new(),
        String::new(),
        format_duration(t.mitigate_s),
        String::new(),
        format!("{:.1}", t.site_minutes_down),
        format!("{:.1}", t.site_minutes_degraded),
        format!("{}m", t.original_minutes),
    ]);
    let mut widths = [0usize; 9];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = format!(
        "drill {} — {} responder{} — {} on the sim clock\n\n",
        card.scenario,
        card.responder,
        card.reaction_s.map_or(String::new(), |s| format!(
            " (reaction {})",
            format_duration(s)
        )),
        format_duration(card.duration_s)
    );
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str("\nactions:\n");
    for a in &card.actions {
        out.push_str(&format!(
            "  {:<9} {:<15} {:<8} {:<16} took {} (deadline {}){}\n",
            format_offset(a.started_s),
            a.kind,
            a.target.as_deref().unwrap_or("-"),
            a.state,
            a.finished_s.map_or("-".into(), |e| format_duration(
                e.saturating_sub(a.started_s)
            )),
            a.deadline_s.map_or("-".into(), format_duration),
            if a.automatic { " by the autopilot" } else { "" },
        ));
    }
    if card.sites_down_at_end.is_empty() {
        out.push_str("\nevery site is up\n");
    } else {
        out.push_str(&format!(
            "\nstill down: {}\n",
            card.sites_down_at_end.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentKind;

    fn at(start: Timestamp, s: i64) -> Timestamp {
        start + chrono::Duration::seconds(s)
    }

    fn sample(id: &str, t: Timestamp, state: HealthState) -> HealthSample {
        HealthSample {
            component_id: id.into(),
            component: ComponentKind::Site,
            at: t,
            state,
            latency_ms: None,
            error_rate: 0.0,
        }
    }

    #[test]
    fn scores_detection_mitigation_and_site_minutes_of_a_server_fault() {
        let start = chrono::DateTime::from_timestamp(1_000_000, 0).unwrap_or_default();
        let mut histories = BTreeMap::new();
        histories.insert(
            "app-04".to_string(),
            vec![
                sample("app-04", start, HealthState::Up),
                sample("app-04", at(start, 75), HealthState::Down),
            ],
        );
        histories.insert(
            "site-1".to_string(),
            vec![
                sample("site-1", start, HealthState::Up),
                sample("site-1", at(start, 75), HealthState::Down),
                sample("site-1", at(start, 195), HealthState::Up),
            ],
        );
        histories.insert(
            "site-2".to_string(),
            vec![sample("site-2", start, HealthState::Up)],
        );
        let record = DrillRecord {
            scenario: "switch-2017".into(),
            started_at: start,
            ended_at: at(start, 600),
            faults: vec![
                FaultRecord {
                    at_s: 60,
                    kind: FaultKind::ServerDown,
                    target: "app-04".into(),
                    description: String::new(),
                },
                FaultRecord {
                    at_s: 500,
                    kind: FaultKind::Recover,
                    target: "app-04".into(),
                    description: String::new(),
                },
            ],
            site_homes: [("site-1", "app-04"), ("site-2", "app-05")]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            histories,
            actions: Vec::new(),
            sites_down_at_end: Vec::new(),
        };
        let card = scorecard(&record);
        assert_eq!(card.failures.len(), 1, "recover is not a failure");
        let f = &card.failures[0];
        assert_eq!(f.detect_s, Some(15));
        assert_eq!(f.mitigate_s, Some(135));
        assert_eq!(f.sites_affected, 1);
        assert_eq!(f.site_minutes_down, 2.0);
        assert_eq!(f.original.as_ref().map(|o| o.minutes), Some(15));
        assert!(render_table(&card).contains("2m15s"));
    }

    #[test]
    fn a_site_still_down_at_the_end_is_not_mitigated() {
        let start = chrono::DateTime::from_timestamp(1_000_000, 0).unwrap_or_default();
        let mut histories = BTreeMap::new();
        histories.insert(
            "site-1".to_string(),
            vec![sample("site-1", at(start, 10), HealthState::Down)],
        );
        let record = DrillRecord {
            scenario: "x".into(),
            started_at: start,
            ended_at: at(start, 100),
            faults: vec![FaultRecord {
                at_s: 0,
                kind: FaultKind::DbMasterDown,
                target: "db-1".into(),
                description: String::new(),
            }],
            site_homes: [("site-1".to_string(), "app-01".to_string())].into(),
            histories,
            actions: Vec::new(),
            sites_down_at_end: vec!["site-1".into()],
        };
        let card = scorecard(&record);
        assert_eq!(card.failures[0].mitigate_s, None);
        assert_eq!(card.failures[0].detect_s, None);
        assert!(render_table(&card).contains("NOT MITIGATED"));
    }

    #[test]
    fn durations_read_like_scenario_offsets() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(4800), "1h20m");
        assert_eq!(format_offset(2705), "+45m5s");
    }
}
