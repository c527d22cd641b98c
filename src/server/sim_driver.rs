//! Drives the simulator on real time: every tick it advances the sim clock by
//! elapsed real time × speed and forwards what the simulated probes saw.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::clock::Clock;
use crate::model::Observation;
use crate::sim::Sim;

/// Real time between two sim steps.
const TICK: Duration = Duration::from_millis(50);

pub fn spawn(
    sim: Arc<Mutex<Sim>>,
    speed: f64,
    clock: Clock,
    tx: mpsc::Sender<Observation>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let started = Instant::now();
        let mut simulated = Duration::ZERO;
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            let target = started.elapsed().mul_f64(speed);
            // The first step runs at once so the fleet is known right away.
            let dt = target.saturating_sub(simulated);
            simulated += dt;
            let (observations, now) = {
                let mut sim = sim.lock().unwrap_or_else(|p| p.into_inner());
                let observations = sim.step(dt);
                (observations, sim.now())
            };
            clock.set(now);
            for observation in observations {
                if tx.send(observation).await.is_err() {
                    return;
                }
            }
        }
    })
}
