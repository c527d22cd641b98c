//! The lab's load generator: steady requests to every site through HAProxy,
//! a page (`/`) and the cart (`/cart`, the 2017 code path) each period, and
//! the outcome of every request. What the scorecard's site-minutes down and
//! failing-request windows are measured from on the lab.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::HealthState;

/// A request that gets no answer within this is a failed request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// The two code paths every site is asked for.
pub const PATHS: [&str; 2] = ["/", "/cart"];

/// One request's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOutcome {
    pub site: String,
    pub path: &'static str,
    /// When it was sent, from the start of the traffic.
    pub sent: Duration,
    /// The HTTP status; `None` when no answer came (refused, timed out).
    pub status: Option<u16>,
}

impl RequestOutcome {
    pub fn ok(&self) -> bool {
        self.status == Some(200)
    }
}

/// Traffic running in the background; stopped (and in-flight requests
/// abandoned) when stopped or dropped.
pub struct Traffic {
    started: Instant,
    outcomes: Arc<Mutex<Vec<RequestOutcome>>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Traffic {
    /// Sends `GET /` and `GET /cart` with each site's Host header to
    /// `front` every `every`, without waiting for earlier answers.
    pub fn start(
        front: SocketAddr,
        sites: Vec<String>,
        every: Duration,
    ) -> anyhow::Result<Traffic> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .build()?;
        let started = Instant::now();
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&outcomes);
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut in_flight = tokio::task::JoinSet::new();
            loop {
                ticker.tick().await;
                // Reap what finished so the set does not grow.
                while in_flight.try_join_next().is_some() {}
                for site in &sites {
                    for path in PATHS {
                        let request = client
                            .get(format!("http://{front}{path}"))
                            .header(reqwest::header::HOST, site.as_str());
                        let recorded = Arc::clone(&recorded);
                        let site = site.clone();
                        let sent = started.elapsed();
                        in_flight.spawn(async move {
                            let status = match request.send().await {
                                Ok(response) => {
                                    let status = response.status().as_u16();
                                    // The whole body, or the answer did not arrive.
                                    response.bytes().await.ok().map(|_| status)
                                }
                                Err(_) => None,
                            };
                            recorded.lock().unwrap_or_else(|e| e.into_inner()).push(
                                RequestOutcome {
                                    site,
                                    path,
                                    sent,
                                    status,
                                },
                            );
                        });
                    }
                }
            }
        });
        Ok(Traffic {
            started,
            outcomes,
            task: Some(task),
        })
    }

    /// When the traffic started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Every outcome recorded so far, in the order the answers came.
    pub fn outcomes(&self) -> Vec<RequestOutcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The latest answer of each (site, path) sent after `since`, by site.
    pub fn latest_since(&self, since: Duration) -> BTreeMap<(String, &'static str), bool> {
        let mut latest: BTreeMap<(String, &'static str), (Duration, bool)> = BTreeMap::new();
        for o in self.outcomes().into_iter().filter(|o| o.sent >= since) {
            let entry = latest
                .entry((o.site.clone(), o.path))
                .or_insert((o.sent, o.ok()));
            if o.sent >= entry.0 {
                *entry = (o.sent, o.ok());
            }
        }
        latest.into_iter().map(|(k, (_, ok))| (k, ok)).collect()
    }

    /// Stops sending; returns every outcome recorded.
    pub fn stop(mut self) -> Vec<RequestOutcome> {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.outcomes()
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A site's measured health over time, from its requests in the order they
/// were sent: Down while its pages fail, Degraded while only its cart fails,
/// Up otherwise. One entry per change, the first at the first request.
pub fn site_states(outcomes: &[RequestOutcome], site: &str) -> Vec<(Duration, HealthState)> {
    let mut mine: Vec<&RequestOutcome> = outcomes.iter().filter(|o| o.site == site).collect();
    mine.sort_by_key(|o| o.sent);
    let mut page_ok = true;
    let mut cart_ok = true;
    let mut states: Vec<(Duration, HealthState)> = Vec::new();
    for o in mine {
        match o.path {
            "/cart" => cart_ok = o.ok(),
            _ => page_ok = o.ok(),
        }
        let state = if !page_ok {
            HealthState::Down
        } else if !cart_ok {
            HealthState::Degraded
        } else {
            HealthState::Up
        };
        if states.last().is_none_or(|(_, s)| *s != state) {
            states.push((o.sent, state));
        }
    }
    states
}

/// Failed requests sent in `[from, to)`, for the sites `counts` accepts:
/// (failed, sent, first failure, last failure).
pub fn failed_between(
    outcomes: &[RequestOutcome],
    from: Duration,
    to: Duration,
    counts: impl Fn(&str) -> bool,
) -> FailedRequests {
    let mut out = FailedRequests::default();
    for o in outcomes {
        if o.sent < from || o.sent >= to || !counts(&o.site) {
            continue;
        }
        out.sent += 1;
        if !o.ok() {
            out.failed += 1;
            out.first = Some(out.first.map_or(o.sent, |f: Duration| f.min(o.sent)));
            out.last = Some(out.last.map_or(o.sent, |l: Duration| l.max(o.sent)));
        }
    }
    out
}

/// Requests counted in one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FailedRequests {
    pub failed: u64,
    pub sent: u64,
    /// When the first and last failed request were sent.
    #[serde(skip)]
    pub first: Option<Duration>,
    #[serde(skip)]
    pub last: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(site: &str, path: &'static str, ms: u64, status: Option<u16>) -> RequestOutcome {
        RequestOutcome {
            site: site.into(),
            path,
            sent: Duration::from_millis(ms),
            status,
        }
    }

    #[test]
    fn a_sites_state_follows_its_latest_page_and_cart_answers() {
        let outcomes = vec![
            outcome("a", "/", 0, Some(200)),
            outcome("a", "/cart", 0, Some(200)),
            outcome("b", "/", 100, None),
            outcome("a", "/cart", 500, Some(502)),
            outcome("a", "/", 500, Some(200)),
            outcome("a", "/", 1000, None),
            outcome("a", "/", 1500, Some(200)),
            outcome("a", "/cart", 2000, Some(200)),
        ];
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            site_states(&outcomes, "a"),
            vec![
                (ms(0), HealthState::Up),
                (ms(500), HealthState::Degraded),
                (ms(1000), HealthState::Down),
                (ms(1500), HealthState::Degraded),
                (ms(2000), HealthState::Up),
            ]
        );
        assert_eq!(
            site_states(&outcomes, "b"),
            vec![(ms(100), HealthState::Down)]
        );
        let failed = failed_between(&outcomes, ms(400), ms(1600), |s| s == "a");
        assert_eq!((failed.failed, failed.sent), (2, 4));
        assert_eq!((failed.first, failed.last), (Some(ms(500)), Some(ms(1000))));
    }

    #[tokio::test]
    async fn traffic_records_every_answer_and_no_answer() {
        use axum::http::HeaderMap;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let front = listener.local_addr().expect("addr");
        let app = axum::Router::new().fallback(|headers: HeaderMap| async move {
            let host = headers
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_string();
            if host == "up.lab" {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::SERVICE_UNAVAILABLE
            }
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let traffic = Traffic::start(
            front,
            vec!["up.lab".into(), "down.lab".into()],
            Duration::from_millis(20),
        )
        .expect("traffic");
        let deadline = Instant::now() + Duration::from_secs(10);
        while traffic.outcomes().len() < 12 {
            assert!(Instant::now() < deadline, "too few requests");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let outcomes = traffic.stop();
        server.abort();
        assert!(
            outcomes
                .iter()
                .all(|o| o.ok() == (o.site == "up.lab") && o.status.is_some()),
            "{outcomes:?}"
        );
        assert!(outcomes.iter().any(|o| o.path == "/cart"));
        assert_eq!(
            site_states(&outcomes, "down.lab")
                .iter()
                .map(|(_, s)| *s)
                .collect::<Vec<_>>(),
            [HealthState::Down]
        );
    }
}
