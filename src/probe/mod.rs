//! Real health probes for fleets whose fleet file names probe targets.
//!
//! `probe_once` checks one target (HTTP GET or TCP connect) under a hard
//! deadline; `spawn_probers` runs one prober task per server of a probed fleet
//! and reports every result as an [`Observation`] on a channel. The verdicts
//! (hysteresis, flapping) are `fleet`'s job: a probe only says what it saw.
//!
//! Failure messages are short and never name the target: a probe URL may carry
//! credentials or a token, and these messages reach logs, the API and the
//! console.

mod failure;
mod http;
mod runner;
mod tcp;
#[cfg(test)]
mod test_servers;

use std::future::Future;
use std::time::Duration;

use crate::model::{ProbeOutcome, ProbeTarget};

pub use runner::{Probers, spawn_probers, spawn_probers_with_client};

#[cfg(doc)]
use crate::model::Observation;

/// The `User-Agent` every probe request sends.
pub const PROBE_USER_AGENT: &str = concat!("warroom-probe/", env!("CARGO_PKG_VERSION"));

/// Connect timeout of [`probe_client`]; each probe's own (usually shorter)
/// timeout caps the whole request on top of it.
pub const PROBE_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One probe with a hard deadline: never takes longer than `timeout` (plus
/// small scheduling slack), never panics. An HTTP target is healthy on any 2xx
/// answer, a TCP target when a connection is established.
pub async fn probe_once(
    client: &reqwest::Client,
    target: &ProbeTarget,
    timeout: Duration,
) -> ProbeOutcome {
    match target {
        ProbeTarget::Http(url) => within_deadline(timeout, http::probe(client, url, timeout)).await,
        ProbeTarget::Tcp(addr) => within_deadline(timeout, tcp::probe(addr, timeout)).await,
    }
}

/// A reqwest client suited to probing: redirects are not followed (a 3xx is a
/// failed probe), no proxy is taken from the environment, connects time out,
/// and no idle connection is kept, so every probe opens a fresh connection as
/// a new client would (a reused keep-alive connection could hide a dead
/// listener, or fail spuriously when the server closes it mid-reuse).
/// Requests carry the user agent [`PROBE_USER_AGENT`].
pub fn probe_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(PROBE_USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .no_proxy()
        .connect_timeout(PROBE_CONNECT_TIMEOUT)
        .pool_max_idle_per_host(0)
        .tcp_nodelay(true)
        .build()
}

/// Runs `probe` but gives up at `timeout`, reporting a timed-out failure: the
/// hard cap that holds whatever the inner probe (or a library under it) does.
async fn within_deadline(
    timeout: Duration,
    probe: impl Future<Output = ProbeOutcome>,
) -> ProbeOutcome {
    tokio::time::timeout(timeout, probe)
        .await
        .unwrap_or_else(|_elapsed| failure::timed_out(timeout))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn the_hard_deadline_ends_a_probe_that_never_finishes() {
        let timeout = Duration::from_millis(50);
        let started = Instant::now();
        let outcome = within_deadline(timeout, std::future::pending()).await;
        assert!(started.elapsed() < timeout + Duration::from_millis(500));
        assert_eq!(outcome, ProbeOutcome::failed("timed out after 50 ms"));
    }

    #[tokio::test]
    async fn the_hard_deadline_passes_a_quick_result_through() {
        let outcome =
            within_deadline(Duration::from_secs(5), async { ProbeOutcome::up(1.5) }).await;
        assert_eq!(outcome, ProbeOutcome::up(1.5));
    }

    #[test]
    fn the_user_agent_names_the_version() {
        assert_eq!(
            PROBE_USER_AGENT,
            format!("warroom-probe/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
