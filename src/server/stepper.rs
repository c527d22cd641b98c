//! Virtual time for drills (DESIGN.md §7): the simulator, detection, the
//! executor and its follow-ups move together on a clock the drill advances
//! from one event to the next, instead of on real time.
//!
//! One advance:
//! 1. waits until the executor is idle: every action the drill (or the
//!    autopilot) started has run as far as it can at this moment;
//! 2. steps the simulator to its next event (a probe falling due, a fault,
//!    a scenario step, the managed database acting), but not past the
//!    moment the drill asks for, and moves the clock there;
//! 3. hands what the probes saw to detection and waits until it has been
//!    applied (health, alerts, timeline entries, the autopilot's turn);
//! 4. wakes the actions parked on the clock, checks follow-ups, and waits
//!    until the executor is idle again.
//!
//! Nothing runs between two advances, so every run of a drill with the same
//! seed sees the same moments in the same order: the record is exact,
//! however fast the machine is, and takes a fraction of a second.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, watch};

use super::clock::Clock;
use crate::exec::{Executor, Host};
use crate::model::{Observation, Timestamp};
use crate::sim::Sim;

enum Command {
    Advance {
        until: Timestamp,
        reply: oneshot::Sender<Timestamp>,
    },
    Settle {
        reply: oneshot::Sender<()>,
    },
}

/// The drill's handle on virtual time. Give it to the orchestrator with
/// [`super::WorldSource::Virtual`]; its term drives the world only when
/// asked through it.
#[derive(Clone)]
pub struct Stepper {
    tx: mpsc::Sender<Command>,
    rx: Arc<Mutex<Option<mpsc::Receiver<Command>>>>,
}

impl Default for Stepper {
    fn default() -> Self {
        Stepper::new()
    }
}

impl Stepper {
    pub fn new() -> Stepper {
        let (tx, rx) = mpsc::channel(4);
        Stepper {
            tx,
            rx: Arc::new(Mutex::new(Some(rx))),
        }
    }

    /// Moves the world to its next event, or to `until` if that comes
    /// first, and lets everything that happens then settle. Returns the
    /// clock. An `until` in the past only settles.
    pub async fn advance(&self, until: Timestamp) -> anyhow::Result<Timestamp> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Advance { until, reply }).await?;
        answer.await.map_err(|_| stopped())
    }

    /// Lets the actions started since the last advance run as far as they
    /// can without the clock moving.
    pub async fn settle(&self) -> anyhow::Result<()> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Settle { reply }).await?;
        answer.await.map_err(|_| stopped())
    }

    async fn send(&self, command: Command) -> anyhow::Result<()> {
        self.tx.send(command).await.map_err(|_| stopped())
    }

    /// The commands, for the one term that drives the world.
    fn take_commands(&self) -> Option<mpsc::Receiver<Command>> {
        self.rx.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

fn stopped() -> anyhow::Error {
    anyhow::anyhow!("the orchestrator stopped driving virtual time")
}

/// What the stepping task needs from its term.
pub(super) struct Driven {
    pub sim: Arc<Mutex<Sim>>,
    pub clock: Clock,
    pub observations: mpsc::Sender<Observation>,
    /// How many observations detection has applied so far.
    pub applied: watch::Receiver<u64>,
    pub exec: Executor,
    pub host: Arc<dyn Host>,
}

/// Runs the world on `stepper`'s commands until shutdown. The first tick
/// (every node probed once) runs at once, so the fleet is known before the
/// first command.
pub(super) fn spawn(
    stepper: &Stepper,
    driven: Driven,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let Some(mut commands) = stepper.take_commands() else {
        anyhow::bail!("this stepper already drives another orchestrator");
    };
    Ok(tokio::spawn(async move {
        let mut driver = Driver { driven, sent: 0 };
        if driver.step_to(None).await.is_err() {
            return;
        }
        loop {
            let command = tokio::select! {
                command = commands.recv() => command,
                _ = shutdown.changed() => return,
            };
            match command {
                Some(Command::Advance { until, reply }) => {
                    driver.settle().await;
                    let Ok(now) = driver.step_to(Some(until)).await else {
                        return;
                    };
                    driver.driven.exec.activity().wake_parked();
                    driver.settle().await;
                    let _ = reply.send(now);
                }
                Some(Command::Settle { reply }) => {
                    driver.settle().await;
                    let _ = reply.send(());
                }
                None => return,
            }
        }
    }))
}

struct Driver {
    driven: Driven,
    /// Observations handed to detection so far.
    sent: u64,
}

/// Detection stopped: the term is ending.
struct Gone;

impl Driver {
    /// Every running action as far as it goes now, follow-ups included.
    async fn settle(&self) {
        let activity = self.driven.exec.activity();
        activity.idle().await;
        self.driven
            .exec
            .check_follow_ups(self.driven.host.as_ref())
            .await;
        activity.idle().await;
    }

    /// Steps the simulator to its next event (not past `until`; `None`:
    /// only the tick due now) and waits until detection applied what the
    /// probes saw.
    async fn step_to(&mut self, until: Option<Timestamp>) -> Result<Timestamp, Gone> {
        let (observations, now) = {
            let mut sim = self.driven.sim.lock().unwrap_or_else(|p| p.into_inner());
            let from = sim.now();
            let next = sim.started_at()
                + chrono::TimeDelta::from_std(sim.next_event()).unwrap_or(chrono::TimeDelta::MAX);
            let to = match until {
                Some(until) => next.min(until),
                None => from,
            };
            let dt = (to - from).to_std().unwrap_or_default();
            let observations = sim.step(dt);
            (observations, sim.now())
        };
        self.driven.clock.set(now);
        for observation in observations {
            if self.driven.observations.send(observation).await.is_err() {
                return Err(Gone);
            }
            self.sent += 1;
        }
        let sent = self.sent;
        if self
            .driven
            .applied
            .clone()
            .wait_for(|applied| *applied >= sent)
            .await
            .is_err()
        {
            return Err(Gone);
        }
        Ok(now)
    }
}
