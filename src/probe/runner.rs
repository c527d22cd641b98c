//! Prober tasks: one per server of a probed fleet, each on its own schedule.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc::{self, error::SendTimeoutError};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::model::{
    FleetSpec, NodeReport, Observation, ProbeOutcome, ProbeSettings, ProbeTarget, WorldFacts,
};

use super::{http, probe_client, tcp, within_deadline};

/// The running prober tasks of one fleet. Dropping it aborts every task (an
/// in-flight probe is cancelled and its connection closed); once the tasks
/// are gone their senders are dropped, so a receiver that holds no other
/// sender sees the channel close.
#[derive(Debug)]
pub struct Probers {
    tasks: Vec<JoinHandle<()>>,
}

impl Probers {
    /// Number of prober tasks (one per probed server).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl Drop for Probers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts one task per server of a probed fleet (`spec.is_probed()`; none for
/// a simulated fleet). Each probes its target every `interval_ms` with its own
/// settings (`spec.probe_settings`) and sends
/// `Observation::Probes { at, results: vec![(server_id, outcome)] }` to `tx`,
/// `at` being when the result was known.
///
/// Guarantees: probes of one server never overlap (the next starts only after
/// the previous one ended, and each ends within its timeout); the schedule
/// follows a fixed interval that a slow probe delays but never shortens; a
/// full channel makes a prober wait at most one interval, then drop that
/// result, so a slow consumer gets fresh results rather than a backlog; a
/// closed channel ends the prober. Start times are spread over the interval
/// so a large fleet is not probed in one burst.
///
/// Nodes whose JSON health answer carries a [`NodeReport`] also feed the
/// fleet's facts: whenever the sum over the nodes that answer changes, a
/// prober sends `Observation::World` with the stuck backends per site and the
/// stale cache clients (and no cache or database roles). A fleet whose nodes
/// never report sends none.
///
/// Must be called inside a Tokio runtime (it spawns tasks).
pub fn spawn_probers(spec: &FleetSpec, tx: mpsc::Sender<Observation>) -> Probers {
    if !spec.is_probed() {
        return Probers { tasks: Vec::new() };
    }
    let client = match probe_client() {
        Ok(client) => Some(client),
        Err(error) => {
            // HTTP probers then report a failure each interval (so the fleet
            // shows down, not silently healthy); TCP probers work without it.
            tracing::error!(error = %error, "cannot build the HTTP probe client");
            None
        }
    };
    spawn_all(client, spec, tx)
}

/// [`spawn_probers`] with a caller-built client (e.g. one with extra root
/// certificates); see [`super::probe_client`] for the settings a probe client
/// should have.
pub fn spawn_probers_with_client(
    client: reqwest::Client,
    spec: &FleetSpec,
    tx: mpsc::Sender<Observation>,
) -> Probers {
    spawn_all(Some(client), spec, tx)
}

fn spawn_all(
    client: Option<reqwest::Client>,
    spec: &FleetSpec,
    tx: mpsc::Sender<Observation>,
) -> Probers {
    let probed: Vec<_> = spec
        .servers
        .iter()
        .filter_map(|server| {
            let probe = server.probe.as_ref()?;
            Some((
                server.id.clone(),
                probe.target.clone(),
                spec.probe_settings(server),
            ))
        })
        .collect();
    let count = probed.len() as u32;
    let reports = Arc::new(Mutex::new(Reports::default()));
    let tasks = probed
        .into_iter()
        .zip(0u32..)
        .map(|((server_id, target, settings), index)| {
            let period = probe_period(settings);
            let prober = Prober {
                server_id,
                target,
                client: client.clone(),
                period,
                timeout: Duration::from_millis(settings.timeout_ms).min(period),
                reports: Arc::clone(&reports),
            };
            let first_probe_delay = stagger(settings, index, count);
            tokio::spawn(prober.run(first_probe_delay, tx.clone()))
        })
        .collect();
    Probers { tasks }
}

/// Longest probe interval honoured; longer ones are shortened to it so that
/// schedule arithmetic on instants cannot overflow.
const MAX_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);

fn probe_period(settings: ProbeSettings) -> Duration {
    Duration::from_millis(settings.interval_ms.max(1)).min(MAX_PERIOD)
}

/// Delay of the first probe of the `index`-th of `count` probers: spread
/// evenly over one interval.
fn stagger(settings: ProbeSettings, index: u32, count: u32) -> Duration {
    let period = probe_period(settings);
    period
        .checked_mul(index)
        .map_or(Duration::ZERO, |spread| spread / count.max(1))
}

struct Prober {
    server_id: String,
    target: ProbeTarget,
    client: Option<reqwest::Client>,
    period: Duration,
    timeout: Duration,
    reports: Arc<Mutex<Reports>>,
}

/// Unchanged reports are restated this often: an action (a cache
/// failover) may have set the fleet's counts meanwhile.
const RESTATE: Duration = Duration::from_secs(5);

/// The last report of every node that answered its last probe, shared by
/// the probers of one fleet, and the facts last sent from them, and when.
#[derive(Debug, Default)]
struct Reports {
    by_node: BTreeMap<String, NodeReport>,
    sent: Option<(Sums, Instant)>,
}

/// Stuck backends per site and stale cache clients, over every node.
type Sums = (BTreeMap<String, u32>, u32);

impl Reports {
    /// Records what `node`'s probe said at `now` (`None`: no report, e.g. it
    /// failed) and returns the fleet's facts when their sum changed or was
    /// last sent [`RESTATE`] ago.
    fn record(
        &mut self,
        node: &str,
        report: Option<NodeReport>,
        now: Instant,
    ) -> Option<WorldFacts> {
        match report {
            Some(report) => {
                self.by_node.insert(node.to_string(), report);
            }
            None => {
                self.by_node.remove(node)?;
            }
        }
        let mut stuck: BTreeMap<String, u32> = BTreeMap::new();
        let mut stale = 0u32;
        for report in self.by_node.values() {
            stale = stale.saturating_add(report.stale_cache_connections);
            for (site, n) in &report.stuck_sites {
                if *n > 0 {
                    let total = stuck.entry(site.clone()).or_default();
                    *total = total.saturating_add(*n);
                }
            }
        }
        let sums = (stuck, stale);
        if let Some((sent, at)) = &self.sent
            && *sent == sums
            && now.saturating_duration_since(*at) < RESTATE
        {
            return None;
        }
        self.sent = Some((sums.clone(), now));
        Some(WorldFacts {
            stuck_backends: sums.0,
            stale_cache_clients: Some(sums.1),
            ..WorldFacts::default()
        })
    }
}

impl Prober {
    async fn run(self, first_probe_delay: Duration, tx: mpsc::Sender<Observation>) {
        let mut ticker = tokio::time::interval_at(Instant::now() + first_probe_delay, self.period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut dropped: u64 = 0;
        loop {
            ticker.tick().await;
            let (outcome, report) = self.probe().await;
            let at = Utc::now();
            let facts = self
                .reports
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .record(&self.server_id, report, Instant::now());
            let observation = Observation::Probes {
                at,
                results: vec![(self.server_id.clone(), outcome)],
            };
            if let Some(facts) = facts {
                // Lost facts would leave the fleet behind the nodes: waits
                // like a probe result, but the next change restates them all.
                let world = Observation::World { at, facts };
                if let Err(SendTimeoutError::Closed(_)) = tx.send_timeout(world, self.period).await
                {
                    return;
                }
            }
            match tx.send_timeout(observation, self.period).await {
                Ok(()) => {
                    if dropped > 0 {
                        tracing::info!(server = %self.server_id, dropped, "probe results flow again");
                        dropped = 0;
                    }
                }
                Err(SendTimeoutError::Timeout(_)) => {
                    if dropped == 0 {
                        tracing::warn!(
                            server = %self.server_id,
                            "observation channel full; dropping probe results until it drains"
                        );
                    }
                    dropped += 1;
                }
                // Nobody listens any more.
                Err(SendTimeoutError::Closed(_)) => return,
            }
        }
    }

    async fn probe(&self) -> (ProbeOutcome, Option<NodeReport>) {
        match (&self.target, &self.client) {
            (ProbeTarget::Http(url), Some(client)) => {
                let probe = http::probe_with_report(client, url, self.timeout);
                tokio::time::timeout(self.timeout, probe)
                    .await
                    .unwrap_or_else(|_elapsed| (super::failure::timed_out(self.timeout), None))
            }
            (ProbeTarget::Http(_), None) => {
                (ProbeOutcome::failed("HTTP probe client unavailable"), None)
            }
            (ProbeTarget::Tcp(addr), _) => (
                within_deadline(self.timeout, tcp::probe(addr, self.timeout)).await,
                None,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::SocketAddr;

    use super::super::test_servers::{black_hole, http_server};
    use super::*;
    use crate::model::Timestamp;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

    fn fleet(servers: &[(&str, String)], interval_ms: u64, timeout_ms: u64) -> FleetSpec {
        let mut text = String::from("service = \"probe test\"\n[[switch]]\nid = \"sw-1\"\n");
        for (id, probe) in servers {
            text.push_str(&format!(
                "[[server]]\nid = \"{id}\"\nrole = \"web\"\nswitch = \"sw-1\"\n\
                 probe = {{ {probe}, interval_ms = {interval_ms}, timeout_ms = {timeout_ms} }}\n"
            ));
        }
        FleetSpec::parse("probe-test.toml", &text).expect("test fleet parses")
    }

    fn http_target(addr: SocketAddr) -> String {
        format!("http = \"http://{addr}/health\"")
    }

    /// Receives until the channel closes; panics if it stays open past `within`.
    async fn drain_until_closed(rx: &mut mpsc::Receiver<Observation>, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        let mut drained = 0;
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(_)) => drained += 1,
                Ok(None) => return drained,
                Err(_) => panic!("the observation channel is still open after {within:?}"),
            }
        }
    }

    #[tokio::test]
    async fn probers_report_every_server_on_schedule_and_stop_on_drop() {
        let healthy = http_server(OK).await;
        let silent = black_hole().await;
        let spec = fleet(
            &[
                ("healthy", http_target(healthy)),
                ("black-hole", http_target(silent)),
            ],
            50,
            30,
        );
        let (tx, mut rx) = mpsc::channel(64);
        let probers = spawn_probers(&spec, tx);
        assert_eq!(probers.len(), 2);

        let mut seen: BTreeMap<String, Vec<(Timestamp, ProbeOutcome)>> = BTreeMap::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while seen.values().filter(|results| results.len() >= 6).count() < 2 {
            let observation = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("too few observations before the deadline: {seen:?}"))
                .expect("the channel stays open while the probers run");
            let Observation::Probes { at, results } = observation else {
                panic!("probers only send probe results");
            };
            assert_eq!(results.len(), 1);
            for (server, outcome) in results {
                seen.entry(server).or_default().push((at, outcome));
            }
        }
        assert_eq!(seen.keys().collect::<Vec<_>>(), ["black-hole", "healthy"]);
        assert!(
            seen["healthy"]
                .iter()
                .all(|(_, o)| o.ok && o.latency_ms.is_some()),
            "{seen:?}"
        );
        let failures = &seen["black-hole"];
        assert!(
            failures
                .iter()
                .all(|(_, o)| o.error.as_deref() == Some("timed out after 30 ms")),
            "{failures:?}"
        );
        // On schedule: one probe per interval, neither hot-looping nor stuck.
        let first = failures.first().map(|(at, _)| *at).expect("failures seen");
        let last = failures.last().map(|(at, _)| *at).expect("failures seen");
        let mean_gap_ms = (last - first).num_milliseconds() / (failures.len() as i64 - 1);
        assert!(
            (40..=500).contains(&mean_gap_ms),
            "mean gap {mean_gap_ms} ms"
        );

        drop(probers);
        let after_drop = drain_until_closed(&mut rx, Duration::from_secs(2)).await;
        // Only what was already queued (at most one per server in flight) arrives.
        assert!(after_drop <= 4, "{after_drop} observations after drop");
    }

    #[tokio::test]
    async fn a_slow_consumer_gets_fresh_results_not_a_backlog() {
        let healthy = http_server(OK).await;
        let spec = fleet(&[("healthy", http_target(healthy))], 20, 10);
        let (tx, mut rx) = mpsc::channel(1);
        let _probers = spawn_probers(&spec, tx);

        let first = rx.recv().await.expect("a first observation");
        // Not a readiness wait: this is the consumer being slow while the
        // channel is full.
        let stall_started = Utc::now();
        tokio::time::sleep(Duration::from_millis(400)).await;
        let _queued = rx
            .recv()
            .await
            .expect("the observation queued during the stall");
        let fresh = tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .expect("the prober is not stuck behind the full channel")
            .expect("channel open");
        let (Observation::Probes { at: first_at, .. }, Observation::Probes { at: fresh_at, .. }) =
            (first, fresh)
        else {
            panic!("probers only send probe results");
        };
        assert!(
            fresh_at - stall_started >= chrono::Duration::milliseconds(300),
            "stale result delivered: probed at {fresh_at}, stall began {stall_started}, first {first_at}"
        );
    }

    #[tokio::test]
    async fn tcp_targets_are_probed_too() {
        let listening = black_hole().await;
        let spec = fleet(&[("tcp-node", format!("tcp = \"{listening}\""))], 20, 10);
        let (tx, mut rx) = mpsc::channel(8);
        let _probers = spawn_probers(&spec, tx);
        let observation = tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .expect("an observation in time")
            .expect("channel open");
        let Observation::Probes { results, .. } = observation else {
            panic!("probers only send probe results");
        };
        assert_eq!(results[0].0, "tcp-node");
        assert!(results[0].1.ok, "{results:?}");
    }

    #[tokio::test]
    async fn a_simulated_fleet_gets_no_probers() {
        let text = "service = \"sim\"\n[[switch]]\nid = \"sw-1\"\n\
                    [[server]]\nid = \"app-1\"\nrole = \"app\"\nswitch = \"sw-1\"\ncapacity = 1\n";
        let spec = FleetSpec::parse("sim.toml", text).expect("parses");
        let (tx, mut rx) = mpsc::channel(8);
        let probers = spawn_probers(&spec, tx);
        assert!(probers.is_empty());
        assert_eq!(drain_until_closed(&mut rx, Duration::from_secs(1)).await, 0);
    }

    #[test]
    fn node_reports_are_summed_into_facts_sent_when_they_change_or_are_due_again() {
        let report = |stale, sites: &[(&str, u32)]| NodeReport {
            stale_cache_connections: stale,
            stuck_db_connections: sites.iter().map(|(_, n)| n).sum(),
            stuck_sites: sites.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
        };
        let at = Instant::now();
        let mut reports = Reports::default();
        assert_eq!(
            reports.record("app-01", None, at),
            None,
            "no node reports yet"
        );
        let facts = reports
            .record("web-1", Some(report(1, &[])), at)
            .expect("the first report is news");
        assert_eq!(facts.stale_cache_clients, Some(1));
        assert!(facts.cache.is_none() && facts.database.is_none());
        assert_eq!(reports.record("web-1", Some(report(1, &[])), at), None);
        let facts = reports
            .record("app-01", Some(report(0, &[("a", 2), ("b", 0)])), at)
            .expect("stuck calls are news");
        assert_eq!(facts.stuck_backends, BTreeMap::from([("a".to_string(), 2)]));
        let facts = reports
            .record("app-02", Some(report(1, &[("a", 1)])), at)
            .expect("news");
        assert_eq!(facts.stale_cache_clients, Some(2));
        assert_eq!(facts.stuck_backends["a"], 3);
        // A node that stops answering stops counting.
        let facts = reports.record("app-01", None, at).expect("news");
        assert_eq!(facts.stuck_backends["a"], 1);
        // The same sums are restated once RESTATE has passed.
        let later = at + RESTATE;
        assert_eq!(
            reports.record(
                "web-1",
                Some(report(1, &[])),
                later - Duration::from_millis(1)
            ),
            None
        );
        let again = reports
            .record("web-1", Some(report(1, &[])), later)
            .expect("restated");
        assert_eq!(again.stale_cache_clients, Some(2));
    }

    #[tokio::test]
    async fn probers_send_the_nodes_reports_as_world_facts() {
        const REPORT: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 43\r\nConnection: close\r\n\r\n{\"stuck_db_connections\":2,\"stuck_sites\":{}}";
        let reporting = http_server(REPORT).await;
        let plain = http_server(OK).await;
        let spec = fleet(
            &[
                ("reporting", http_target(reporting)),
                ("plain", http_target(plain)),
            ],
            30,
            20,
        );
        let (tx, mut rx) = mpsc::channel(64);
        let _probers = spawn_probers(&spec, tx);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut worlds = Vec::new();
        let mut probes = 0;
        while probes < 12 {
            let observation = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("observations before the deadline")
                .expect("channel open");
            match observation {
                Observation::World { facts, .. } => worlds.push(facts),
                Observation::Probes { .. } => probes += 1,
            }
        }
        assert_eq!(
            worlds,
            vec![WorldFacts {
                stale_cache_clients: Some(0),
                ..WorldFacts::default()
            }],
            "one statement, then nothing while the reports stay the same"
        );
    }

    #[test]
    fn first_probes_are_spread_over_one_interval() {
        let settings = ProbeSettings {
            interval_ms: 1000,
            ..ProbeSettings::default()
        };
        let delays: Vec<_> = (0..4)
            .map(|i| stagger(settings, i, 4).as_millis())
            .collect();
        assert_eq!(delays, [0, 250, 500, 750]);
    }

    #[test]
    fn absurd_intervals_are_capped_instead_of_overflowing() {
        let settings = ProbeSettings {
            interval_ms: u64::MAX,
            ..ProbeSettings::default()
        };
        assert_eq!(probe_period(settings), MAX_PERIOD);
        assert!(stagger(settings, u32::MAX - 1, u32::MAX) < MAX_PERIOD);
    }
}
