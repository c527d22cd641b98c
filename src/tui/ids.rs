//! Where the console's fresh ids (journal write ids, Idempotency-Keys)
//! come from. `update` never calls a random source itself: the root owns
//! an [`IdSource`], random in the app and counting in tests, so a test
//! run is the same every time.

use std::cell::Cell;

/// Hands out ids; shared read-only with components (interior counter).
#[derive(Debug, Clone)]
pub struct IdSource {
    kind: Kind,
    next: Cell<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Random,
    Counting,
}

impl IdSource {
    /// Random v4 UUIDs: what the running console uses.
    pub fn random() -> IdSource {
        IdSource {
            kind: Kind::Random,
            next: Cell::new(0),
        }
    }

    /// `id-1`, `id-2`, …: deterministic, for tests.
    pub fn counting() -> IdSource {
        IdSource {
            kind: Kind::Counting,
            next: Cell::new(0),
        }
    }

    pub fn next(&self) -> String {
        match self.kind {
            Kind::Random => uuid::Uuid::new_v4().to_string(),
            Kind::Counting => {
                let n = self.next.get() + 1;
                self.next.set(n);
                format!("id-{n}")
            }
        }
    }
}

impl Default for IdSource {
    fn default() -> Self {
        IdSource::random()
    }
}
