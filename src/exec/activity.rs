//! What the executor is doing, for a world on virtual time (a drill): how
//! many actions are running, and how many of those are parked until the
//! clock moves (a `wait_healthy` step whose server is not stable yet).
//!
//! The drill's stepper advances the clock only when the executor is idle
//! (every running action is parked), then wakes the parked ones and waits
//! until they are idle again. Every action therefore sees each moment of
//! virtual time exactly once, whatever the machine's load, and a drill gives
//! the same record on every run.
//!
//! Both counts change under one lock, and parking is undone when the wait
//! is dropped (an abort, a missed deadline, shutdown), so the counts stay
//! true however an action ends.

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    /// Actions running and not parked.
    busy: usize,
    /// Actions parked until the clock moves.
    parked: usize,
    /// Rises each time the parked ones are woken.
    generation: u64,
}

/// Cheap to clone; clones share their counts.
#[derive(Clone)]
pub struct Activity {
    counts: Arc<watch::Sender<Counts>>,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            counts: Arc::new(watch::Sender::new(Counts::default())),
        }
    }
}

/// One running action; counted until dropped.
pub(super) struct Busy {
    activity: Activity,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.activity
            .counts
            .send_modify(|c| c.busy = c.busy.saturating_sub(1));
    }
}

/// A running action parked until the clock moves.
pub(super) struct Parked {
    activity: Activity,
    generation: u64,
}

impl Parked {
    /// Resolves once the stepper woke the parked actions (it has counted
    /// this one busy again by then).
    pub(super) async fn woken(&self) {
        let mut rx = self.activity.counts.subscribe();
        let _ = rx.wait_for(|c| c.generation > self.generation).await;
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        // Not woken (the wait was dropped): busy again, as before parking.
        let generation = self.generation;
        self.activity.counts.send_modify(|c| {
            if c.generation == generation {
                c.parked = c.parked.saturating_sub(1);
                c.busy += 1;
            }
        });
    }
}

impl Activity {
    /// An action starts: counted busy until the guard drops.
    pub(super) fn begin(&self) -> Busy {
        self.counts.send_modify(|c| c.busy += 1);
        Busy {
            activity: self.clone(),
        }
    }

    /// A running action waits for the clock to move.
    pub(super) fn park(&self) -> Parked {
        let mut generation = 0;
        self.counts.send_modify(|c| {
            c.busy = c.busy.saturating_sub(1);
            c.parked += 1;
            generation = c.generation;
        });
        Parked {
            activity: self.clone(),
            generation,
        }
    }

    /// The clock moved: every parked action is busy again until it parks
    /// or ends.
    pub fn wake_parked(&self) {
        self.counts.send_modify(|c| {
            c.busy += c.parked;
            c.parked = 0;
            c.generation += 1;
        });
    }

    /// Resolves once no action is busy (none running, or all parked).
    pub async fn idle(&self) {
        let mut rx = self.counts.subscribe();
        let _ = rx.wait_for(|c| c.busy == 0).await;
    }

    /// Whether an action is running or parked.
    pub fn any_running(&self) -> bool {
        let c = *self.counts.borrow();
        c.busy + c.parked > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn idle_waits_for_busy_actions_and_not_for_parked_ones() {
        let activity = Activity::default();
        let busy = activity.begin();
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), activity.idle())
                .await
                .is_err(),
            "a busy action keeps the executor from idling"
        );
        let parked = activity.park();
        activity.idle().await;
        activity.wake_parked();
        parked.woken().await;
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), activity.idle())
                .await
                .is_err(),
            "a woken action is busy until it parks again or ends"
        );
        drop(parked);
        drop(busy);
        activity.idle().await;
        assert!(!activity.any_running());
    }

    #[tokio::test]
    async fn a_wait_dropped_while_parked_leaves_the_counts_true() {
        let activity = Activity::default();
        let busy = activity.begin();
        let parked = activity.park();
        drop(parked);
        assert!(activity.any_running());
        drop(busy);
        activity.idle().await;
        assert!(!activity.any_running());
    }
}
