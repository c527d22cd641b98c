//! What replicas sharing one store need from it: a leader lease with a
//! fencing token, fenced writes, and a wake-up when events are appended.
//!
//! Only PostgreSQL carries replicas ([`Store::replication`] is `None` for
//! SQLite, which has one node).

use std::sync::Arc;
use std::time::Duration;

use super::{Store, StoreError};

/// A replica asking to lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The name an operator gave the replica (`--node-id`).
    pub node_id: String,
    /// This process: a restarted replica is a new instance under the same
    /// node id.
    pub instance: String,
    /// Where the replica's API answers (`--advertise`).
    pub url: String,
}

/// The lease as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub node_id: String,
    pub instance: String,
    pub url: String,
    /// The fencing token: rises by one each time the lease changes hands.
    pub epoch: i64,
    /// How long the lease still runs, on the database's clock (zero when
    /// it has run out and nobody took it yet).
    pub expires_in: Duration,
}

impl Lease {
    pub fn held_by(&self, me: &Candidate) -> bool {
        self.instance == me.instance && self.node_id == me.node_id
    }

    pub fn is_live(&self) -> bool {
        !self.expires_in.is_zero()
    }
}

/// Leadership and the event wake-up of a shared store.
#[async_trait::async_trait]
pub trait Replication: Send + Sync + 'static {
    /// Takes the lease for `ttl` when nobody holds a live one, or renews it
    /// when `me` holds it, in one atomic statement on the database's clock;
    /// returns the lease as it is afterwards (held by someone else when the
    /// campaign lost). The epoch rises whenever the holder changes; a
    /// renewal keeps it. With `take_over_own`, a lease held by another
    /// instance of `me.node_id` is taken at once (a restarted replica does
    /// not wait for its dead predecessor's lease to run out); use it only
    /// on the first campaign of a process.
    async fn campaign(
        &self,
        me: &Candidate,
        ttl: Duration,
        take_over_own: bool,
    ) -> Result<Lease, StoreError>;

    /// Gives the lease up when `me` still holds it at `epoch`, so another
    /// replica can lead without waiting for it to run out.
    async fn resign(&self, me: &Candidate, epoch: i64) -> Result<(), StoreError>;

    /// The lease now; `None` before anyone ever led.
    async fn lease(&self) -> Result<Option<Lease>, StoreError>;

    /// The same store, except that every write checks, in its own
    /// transaction, that the lease is still at `epoch`, and is refused with
    /// [`StoreError::Fenced`] (nothing written) once another replica took
    /// it: a stale leader cannot write.
    fn fenced(&self, epoch: i64) -> Arc<dyn Store>;

    /// A wake-up fired (at most once per burst) after events were
    /// appended by any replica. Only a hint: a lost connection loses
    /// wake-ups, so readers also poll.
    async fn event_wakeups(&self) -> Result<Arc<tokio::sync::Notify>, StoreError>;
}

/// How long a lease runs without renewal, and how often it is renewed.
#[derive(Debug, Clone, Copy)]
pub struct LeaseTiming {
    pub ttl: Duration,
    pub renew_every: Duration,
    /// How often a follower campaigns.
    pub campaign_every: Duration,
}

impl LeaseTiming {
    /// A dead leader is replaced within `ttl + campaign_every` plus the
    /// new leader's start: about 3.5 s.
    pub const DEFAULT: LeaseTiming = LeaseTiming {
        ttl: Duration::from_secs(3),
        renew_every: Duration::from_millis(750),
        campaign_every: Duration::from_millis(500),
    };
}
