//! Waiting on a condition with a deadline (never sleeping for readiness).

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `probe` until it gives `Some`, every 20 ms, and panics naming
/// `what` if that takes longer than `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
