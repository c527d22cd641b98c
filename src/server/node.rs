//! This process among the replicas: its id and where it answers, and what
//! it is right now (standalone, leader, follower) with the leader it knows.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;
use utoipa::ToSchema;

/// What this replica is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The only node (SQLite): it does everything.
    Standalone,
    /// Holds the lease: it probes, detects, simulates and executes.
    Leader,
    /// Serves reads, incident and timeline writes and the event stream, and
    /// forwards leader-only requests.
    Follower,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Standalone => "standalone",
            Role::Leader => "leader",
            Role::Follower => "follower",
        }
    }
}

/// The leader as a replica last saw the lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LeaderInfo {
    pub node_id: String,
    pub url: String,
}

/// The replica's view, as `/healthz` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub role: Role,
    /// The leader while the lease is live; `None` during an election.
    pub leader: Option<LeaderInfo>,
    /// The fencing epoch of the lease last seen.
    pub epoch: Option<i64>,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct Node {
    pub id: Arc<str>,
    /// Where this replica's API answers.
    pub url: Arc<str>,
    view: Arc<watch::Sender<View>>,
}

impl Node {
    pub fn new(id: &str, url: &str, role: Role) -> Node {
        let leader = (role == Role::Standalone).then(|| LeaderInfo {
            node_id: id.into(),
            url: url.into(),
        });
        let (view, _) = watch::channel(View {
            role,
            leader,
            epoch: None,
        });
        Node {
            id: id.into(),
            url: url.into(),
            view: Arc::new(view),
        }
    }

    pub fn view(&self) -> View {
        self.view.borrow().clone()
    }

    pub fn role(&self) -> Role {
        self.view.borrow().role
    }

    /// Whether this process runs the world (leader or standalone).
    pub fn leads(&self) -> bool {
        matches!(self.role(), Role::Leader | Role::Standalone)
    }

    pub(super) fn set(&self, view: View) {
        self.view.send_if_modified(|old| {
            let changed = *old != view;
            *old = view;
            changed
        });
    }

    pub fn watch(&self) -> watch::Receiver<View> {
        self.view.subscribe()
    }
}
