//! The leader lease of replicas on one PostgreSQL database: one row, taken
//! and renewed by a single upsert on the database's clock, and the events
//! wake-up (LISTEN/NOTIFY on [`EVENTS_CHANNEL`]).

use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::postgres::{PgListener, PgRow};
use sqlx::{PgConnection, Row};
use tokio::sync::Notify;

use super::PgStore;
use crate::store::replication::{Candidate, Lease, Replication};
use crate::store::{Store, StoreError};

/// The channel every append of events notifies, in its transaction (so
/// the notification is sent at commit, and only then).
pub(super) const EVENTS_CHANNEL: &str = "warroom_events";

const LEASE_COLUMNS: &str = "node_id, instance, url, epoch, \
     GREATEST(EXTRACT(EPOCH FROM (expires_at - now())), 0)::float8 AS left_s";

fn lease_from_row(row: &PgRow) -> Result<Lease, StoreError> {
    let left: f64 = row.try_get("left_s")?;
    Ok(Lease {
        node_id: row.try_get("node_id")?,
        instance: row.try_get("instance")?,
        url: row.try_get("url")?,
        epoch: row.try_get("epoch")?,
        expires_in: Duration::try_from_secs_f64(left).unwrap_or(Duration::ZERO),
    })
}

async fn current(conn: &mut PgConnection) -> Result<Option<Lease>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {LEASE_COLUMNS} FROM leader_lease WHERE id = 1"
    ))
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(lease_from_row).transpose()
}

/// Inside a write's transaction: the lease must still be at `epoch` and
/// live. The row is share-locked until the commit, so no campaign can take
/// the lease between this check and the write.
pub(super) async fn check_fence(conn: &mut PgConnection, epoch: i64) -> Result<(), StoreError> {
    let row: Option<(i64, bool)> =
        sqlx::query_as("SELECT epoch, expires_at > now() FROM leader_lease WHERE id = 1 FOR SHARE")
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some((current, true)) if current == epoch => Ok(()),
        Some((current, live)) => Err(StoreError::Fenced {
            epoch,
            current: (live || current != epoch).then_some(current),
        }),
        None => Err(StoreError::Fenced {
            epoch,
            current: None,
        }),
    }
}

#[async_trait::async_trait]
impl Replication for PgStore {
    async fn campaign(
        &self,
        me: &Candidate,
        ttl: Duration,
        take_over_own: bool,
    ) -> Result<Lease, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO leader_lease AS l (id, node_id, instance, url, epoch, expires_at) \
             VALUES (1, $1, $2, $3, 1, now() + make_interval(secs => $4)) \
             ON CONFLICT (id) DO UPDATE SET \
               node_id = excluded.node_id, instance = excluded.instance, url = excluded.url, \
               epoch = CASE WHEN l.instance = excluded.instance THEN l.epoch ELSE l.epoch + 1 END, \
               expires_at = excluded.expires_at \
             WHERE l.instance = excluded.instance OR l.expires_at <= now() \
               OR ($5 AND l.node_id = excluded.node_id) \
             RETURNING {LEASE_COLUMNS}"
        ))
        .bind(&me.node_id)
        .bind(&me.instance)
        .bind(&me.url)
        .bind(ttl.as_secs_f64())
        .bind(take_over_own)
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some(row) => lease_from_row(&row),
            None => current(&mut conn).await?.ok_or_else(|| {
                StoreError::Backend("the leader lease vanished during a campaign".into())
            }),
        }
    }

    async fn resign(&self, me: &Candidate, epoch: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE leader_lease SET expires_at = now() \
             WHERE id = 1 AND instance = $1 AND epoch = $2",
        )
        .bind(&me.instance)
        .bind(epoch)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn lease(&self) -> Result<Option<Lease>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        current(&mut conn).await
    }

    fn fenced(&self, epoch: i64) -> Arc<dyn Store> {
        let mut store = self.clone();
        store.fence = Some(epoch);
        Arc::new(store)
    }

    async fn event_wakeups(&self) -> Result<Arc<Notify>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        let notify = Arc::new(Notify::new());
        tokio::spawn(forward_wakeups(listener, Arc::downgrade(&notify)));
        Ok(notify)
    }
}

/// Turns notifications into wake-ups until nobody holds the `Notify`. A
/// lost connection is re-made by the listener on its next `recv`; the
/// notifications sent meanwhile are lost, which readers allow for.
async fn forward_wakeups(mut listener: PgListener, notify: Weak<Notify>) {
    const CHECK_EVERY: Duration = Duration::from_secs(5);
    loop {
        match tokio::time::timeout(CHECK_EVERY, listener.recv()).await {
            Ok(Ok(_)) => match notify.upgrade() {
                Some(notify) => notify.notify_one(),
                None => return,
            },
            Ok(Err(err)) => {
                tracing::debug!(%err, "event notifications interrupted; reconnecting");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(_) => {}
        }
        if notify.strong_count() == 0 {
            return;
        }
    }
}
