//! A replica's campaign for the lease (DESIGN.md §4a): it follows while
//! another replica leads, starts a term when it wins, and ends the term as
//! soon as it cannot be sure it still leads.
//!
//! The lease runs `ttl` on the database's clock from each renewal. The
//! leader renews every `renew_every` and steps down by itself once
//! [`STEP_DOWN_AFTER`] of the ttl passed since the last renewal it sent
//! that succeeded, so it stops acting before anyone else may take over.
//! Its writes are fenced in any case: a leader that was paused (SIGSTOP,
//! a long GC, a lost network) and wakes up after another took over has
//! every write refused by the store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::AppState;
use super::node::{LeaderInfo, Role, View};
use super::term::{Shape, Term, follow};
use crate::store::{Candidate, Lease, LeaseTiming, Replication};

/// The share of the ttl after the last good renewal at which a leader stops
/// acting by itself.
const STEP_DOWN_AFTER: f64 = 0.8;

pub struct Elector {
    pub state: AppState,
    pub shape: Arc<Shape>,
    pub replication: Arc<dyn Replication>,
    pub timing: LeaseTiming,
    pub me: Candidate,
}

/// What the replica is doing between two campaigns.
enum Doing {
    Following { _stop: StopOnDrop },
    Leading { epoch: i64, term: Box<Term> },
}

/// Ends a follower's refresh when dropped.
struct StopOnDrop(watch::Sender<bool>);

impl Elector {
    /// Campaigns until `shutdown`, then gives the lease up if it holds it
    /// (so another replica takes over at once).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut doing = self.follow();
        let mut first = true;
        let mut renewed: Option<Instant> = None;
        loop {
            if !first {
                let every = match doing {
                    Doing::Leading { .. } => self.timing.renew_every,
                    Doing::Following { .. } => self.timing.campaign_every,
                };
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    _ = shutdown.changed() => break,
                }
            }
            let sent = Instant::now();
            let campaign = self.replication.campaign(&self.me, self.timing.ttl, first);
            let result = tokio::time::timeout(self.timing.ttl / 2, campaign).await;
            first = false;
            match result {
                Ok(Ok(lease)) if lease.held_by(&self.me) => {
                    renewed = Some(sent);
                    doing = self.lead(doing, &lease).await;
                }
                Ok(Ok(lease)) => {
                    if matches!(doing, Doing::Leading { .. }) {
                        tracing::warn!(
                            node = %lease.node_id, epoch = lease.epoch,
                            "another replica took the lease; stepping down"
                        );
                        doing = self.follow();
                    }
                    self.state.node.set(follower_view(Some(&lease)));
                }
                failed => {
                    match failed {
                        Ok(Err(err)) => tracing::warn!(%err, "could not campaign for the lease"),
                        _ => tracing::warn!("the lease campaign timed out"),
                    }
                    let sure = renewed
                        .is_some_and(|at| at.elapsed() < self.timing.ttl.mul_f64(STEP_DOWN_AFTER));
                    if matches!(doing, Doing::Leading { .. }) && !sure {
                        tracing::warn!("cannot renew the lease in time; stepping down");
                        doing = self.follow();
                        self.state.node.set(follower_view(None));
                    }
                }
            }
        }
        if let Doing::Leading { epoch, term } = doing {
            drop(term);
            let resign = self.replication.resign(&self.me, epoch);
            if let Err(err) = tokio::time::timeout(Duration::from_secs(2), resign)
                .await
                .unwrap_or_else(|_| {
                    Err(crate::store::StoreError::Backend(
                        "resigning timed out".into(),
                    ))
                })
            {
                tracing::warn!(%err, "could not give up the lease; it runs out by itself");
            }
        }
    }

    /// Starts a term when `lease` is new to us; keeps the running one when
    /// it is a renewal.
    async fn lead(&self, doing: Doing, lease: &Lease) -> Doing {
        if let Doing::Leading { epoch, .. } = &doing
            && *epoch == lease.epoch
        {
            return doing;
        }
        // End the follower's refresh (or an older term) before the new
        // term reads the world.
        drop(doing);
        tracing::info!(epoch = lease.epoch, "leading");
        self.state.node.set(View {
            role: Role::Leader,
            leader: Some(LeaderInfo {
                node_id: self.me.node_id.clone(),
                url: self.me.url.clone(),
            }),
            epoch: Some(lease.epoch),
        });
        let store = self.replication.fenced(lease.epoch);
        match Term::start(&self.state, &self.shape, store, None).await {
            Ok(term) => Doing::Leading {
                epoch: lease.epoch,
                term: Box::new(term),
            },
            Err(err) => {
                tracing::error!(%err, "could not start leading; giving the lease up");
                if let Err(err) = self.replication.resign(&self.me, lease.epoch).await {
                    tracing::warn!(%err, "could not give up the lease");
                }
                self.state.node.set(follower_view(None));
                self.follow()
            }
        }
    }

    fn follow(&self) -> Doing {
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(follow(self.state.clone(), self.shape.clone(), stopped));
        Doing::Following {
            _stop: StopOnDrop(stop),
        }
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

fn follower_view(lease: Option<&Lease>) -> View {
    View {
        role: Role::Follower,
        leader: lease.filter(|l| l.is_live()).map(|l| LeaderInfo {
            node_id: l.node_id.clone(),
            url: l.url.clone(),
        }),
        epoch: lease.map(|l| l.epoch),
    }
}
