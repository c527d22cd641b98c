//! The store's conformance suite: behaviour through the [`Store`] trait,
//! the same tests on every backend.
//!
//! Each test is an `async fn name(backend: Backend)`; `conformance!(name,
//! …)` at the end of its file instantiates it as `sqlite::name` (a SQLite
//! file in a temp dir) and `postgres::name` (a fresh database in this test
//! process's throwaway PostgreSQL cluster, see `tests/support/postgres.rs`).
//! A test that is not listed is dead code, which clippy refuses.

/// Instantiates the listed conformance tests on every backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::store::tests::Backend::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::store::tests::Backend::postgres().await).await
                }
            )*
        }
    };
}

mod actions;
mod incidents;
mod lease;
mod logs;
mod open;
mod outbox;
#[path = "../../../tests/support/postgres.rs"]
mod pg_cluster;
mod postgres;
mod presence;
mod roles;
mod timeline;
mod world;

use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use super::{EntryRecord, Store, open};
use crate::model::{
    EntryKind, Impact, IncidentStatus, NewIncident, Severity, Source, Timestamp, Visibility,
};

/// One database of one backend; [`Backend::store`] opens it, again and
/// again (a reopen is a restart).
pub(crate) struct Backend {
    url: String,
    /// Keeps a SQLite file's directory until the test ends.
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    /// A new SQLite file.
    pub(crate) async fn sqlite() -> Backend {
        let dir = tempfile::tempdir().expect("temp dir");
        Backend {
            url: format!("sqlite://{}", dir.path().join("warroom.db").display()),
            _dir: Some(dir),
        }
    }

    /// A new database in this process's PostgreSQL cluster (started on
    /// first use; a missing PostgreSQL fails the test with what to install).
    pub(crate) async fn postgres() -> Backend {
        let cluster = tokio::task::spawn_blocking(pg_cluster::shared)
            .await
            .expect("the PostgreSQL cluster starts");
        Backend {
            url: cluster.database().await,
            _dir: None,
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Opens the backend's database (the same one every time).
    pub(crate) async fn store(&self) -> Arc<dyn Store> {
        open(&self.url).await.expect("the store opens")
    }
}

async fn file_store(path: &Path) -> Arc<dyn Store> {
    open(&format!("sqlite://{}", path.display()))
        .await
        .expect("file store opens")
}

/// Minutes after the start of the 2017 switch incident.
fn at(minutes: i64) -> Timestamp {
    let start = Utc
        .with_ymd_and_hms(2017, 9, 11, 22, 15, 0)
        .single()
        .expect("valid time");
    start + Duration::minutes(minutes)
}

fn new_incident(title: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: Severity::Sev2,
        status: IncidentStatus::Investigating,
        impact: Impact::Minor,
        components: vec![],
        started_at: None,
    }
}

fn note(body: &str, occurred_at: Timestamp) -> EntryRecord {
    EntryRecord {
        kind: EntryKind::Note,
        status: None,
        visibility: Visibility::Internal,
        body: body.into(),
        author: "ana".into(),
        occurred_at,
        starred: false,
        marker: None,
        source: Source::User,
    }
}
