//! The orchestrator's clock: the wall clock for a real fleet, the sim clock
//! when a simulator drives the world, so every timestamp the API hands out
//! (health, events, timeline `recorded_at`) is on one time line.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

use crate::model::Timestamp;

#[derive(Debug, Clone)]
pub enum Clock {
    Wall,
    /// Microseconds since the Unix epoch, advanced by the sim driver.
    Sim(Arc<AtomicI64>),
}

impl Clock {
    pub fn sim(start: Timestamp) -> Clock {
        Clock::Sim(Arc::new(AtomicI64::new(start.timestamp_micros())))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::Wall => Utc::now(),
            Clock::Sim(micros) => DateTime::from_timestamp_micros(micros.load(Ordering::Acquire))
                .unwrap_or_else(Utc::now),
        }
    }

    /// Move the sim clock (no-op for the wall clock). It never goes back.
    pub fn set(&self, now: Timestamp) {
        if let Clock::Sim(micros) = self {
            micros.fetch_max(now.timestamp_micros(), Ordering::AcqRel);
        }
    }
}
