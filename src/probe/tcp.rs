//! TCP probes: connect to `host:port`, healthy once connected.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::model::ProbeOutcome;

use super::failure;

/// Resolve `addr` and connect to its addresses in turn; healthy on the first
/// connection established. Latency covers resolution and connect. The caller
/// adds the hard deadline.
pub(super) async fn probe(addr: &str, timeout: Duration) -> ProbeOutcome {
    let started = Instant::now();
    let resolved: Vec<SocketAddr> = match tokio::net::lookup_host(addr).await {
        Ok(addrs) => addrs.collect(),
        Err(error) if error.kind() == io::ErrorKind::InvalidInput => {
            return ProbeOutcome::failed("invalid address");
        }
        Err(_) => return ProbeOutcome::failed("name resolution failed"),
    };
    if resolved.is_empty() {
        return ProbeOutcome::failed("name resolution found no address");
    }
    match TcpStream::connect(resolved.as_slice()).await {
        // The connection is dropped at once: the probe only asks whether the
        // port accepts connections.
        Ok(_stream) => ProbeOutcome::up(started.elapsed().as_secs_f64() * 1000.0),
        Err(error) => failure::from_io(&error, timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_servers::{black_hole, closed_port};
    use super::super::{probe_client, probe_once};
    use crate::model::ProbeTarget;

    use super::*;

    async fn probe_addr(addr: String, timeout: Duration) -> (ProbeOutcome, Duration) {
        let client = probe_client().expect("probe client builds");
        let started = Instant::now();
        let outcome = probe_once(&client, &ProbeTarget::Tcp(addr), timeout).await;
        (outcome, started.elapsed())
    }

    #[tokio::test]
    async fn an_accepting_listener_is_healthy_even_if_it_never_speaks() {
        let addr = black_hole().await;
        let (outcome, _) = probe_addr(addr.to_string(), Duration::from_secs(2)).await;
        assert!(outcome.ok, "{outcome:?}");
        assert!(outcome.latency_ms.is_some_and(|ms| ms >= 0.0));
    }

    #[tokio::test]
    async fn a_closed_port_fails_quickly_as_refused() {
        let addr = closed_port().await;
        let (outcome, elapsed) = probe_addr(addr.to_string(), Duration::from_secs(5)).await;
        assert_eq!(outcome, ProbeOutcome::failed("connection refused"));
        assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    }

    #[tokio::test]
    async fn a_malformed_address_is_a_failure_not_a_panic() {
        let (outcome, _) = probe_addr("no-port-here".to_string(), Duration::from_secs(1)).await;
        assert_eq!(outcome, ProbeOutcome::failed("invalid address"));
    }
}
