//! Retrying transactions that failed for a passing reason.

use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::store::StoreError;

/// How often and how long a failed transaction is tried again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The largest wait before the second try; it doubles per try.
    pub base: Duration,
    /// No single wait is longer.
    pub cap: Duration,
    /// No new try starts after this much time since the first.
    pub deadline: Duration,
}

impl RetryPolicy {
    /// Five tries within five seconds, waiting up to 20, 40, 80, 160 ms.
    pub const STORE: RetryPolicy = RetryPolicy {
        attempts: 5,
        base: Duration::from_millis(20),
        cap: Duration::from_millis(500),
        deadline: Duration::from_secs(5),
    };

    /// "Full jitter": uniform in [0, min(cap, base * 2^(n-1))], so writers
    /// that failed together do not retry together.
    fn delay(&self, failed_attempts: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1 << failed_attempts.saturating_sub(1).min(16))
            .min(self.cap);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// Runs `op` until it succeeds, fails for good ([`StoreError::is_retryable`]
/// is false), has been tried `policy.attempts` times, or the next try would
/// start after the deadline; then returns its last result.
pub(crate) async fn retry<T, F, Fut>(
    policy: RetryPolicy,
    what: &str,
    mut op: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        match op().await {
            Err(err) if err.is_retryable() && attempt < policy.attempts => {
                let delay = policy.delay(attempt);
                if started.elapsed() + delay > policy.deadline {
                    return Err(err);
                }
                tracing::debug!(what, attempt, ?delay, error = %err, "retrying a store call");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const FAST: RetryPolicy = RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(2),
        deadline: Duration::from_secs(5),
    };

    #[tokio::test]
    async fn a_passing_failure_is_retried_until_it_succeeds() {
        let calls = AtomicU32::new(0);
        let result = retry(FAST, "test", || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(StoreError::Database(sqlx::Error::PoolTimedOut))
            } else {
                Ok("done")
            }
        })
        .await;
        assert_eq!(result.expect("third try succeeds"), "done");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retries_stop_after_the_attempts() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry(FAST, "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Database(sqlx::Error::PoolTimedOut))
        })
        .await;
        assert!(result.expect_err("gives up").is_retryable());
        assert_eq!(calls.load(Ordering::SeqCst), FAST.attempts);
    }

    #[tokio::test]
    async fn a_fatal_failure_is_tried_once() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry(FAST, "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Database(sqlx::Error::RowNotFound))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn no_try_starts_after_the_deadline() {
        let slow = RetryPolicy {
            attempts: 100,
            base: Duration::from_millis(40),
            cap: Duration::from_millis(40),
            deadline: Duration::from_millis(150),
        };
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let result: Result<(), _> = retry(slow, "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Database(sqlx::Error::PoolTimedOut))
        })
        .await;
        assert!(result.is_err());
        assert!(started.elapsed() < Duration::from_millis(400));
        assert!(
            calls.load(Ordering::SeqCst) < 100,
            "bounded by the deadline"
        );
    }

    #[test]
    fn waits_are_jittered_below_a_doubling_ceiling() {
        for failed in 1..=6 {
            let ceiling = RetryPolicy::STORE
                .base
                .saturating_mul(1 << (failed - 1))
                .min(RetryPolicy::STORE.cap);
            for _ in 0..50 {
                assert!(RetryPolicy::STORE.delay(failed) <= ceiling);
            }
        }
        let spread: std::collections::HashSet<_> =
            (0..50).map(|_| RetryPolicy::STORE.delay(4)).collect();
        assert!(spread.len() > 1, "jittered, not fixed: {spread:?}");
    }
}
