//! The real orchestrator on `127.0.0.1:0`, in-process, backed by a SQLite
//! file in a temporary directory, and the real client for it (`raw.rs` adds
//! a plain HTTP client for requests the real client never sends).

use warroom::client::Client;
use warroom::model::FleetSpec;
use warroom::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};
use warroom::sim::{DEMO_FLEET, Scenario};

use super::client::client_for;
use super::tokens::{COMMANDER, RESPONDER, VIEWER};

/// The three roles, one token each (names are the role names).
pub fn tokens() -> Tokens {
    Tokens::new(vec![
        TokenEntry {
            name: "commander".into(),
            role: AccessRole::Commander,
            token: COMMANDER.into(),
        },
        TokenEntry {
            name: "responder".into(),
            role: AccessRole::Responder,
            token: RESPONDER.into(),
        },
        TokenEntry {
            name: "viewer".into(),
            role: AccessRole::Viewer,
            token: VIEWER.into(),
        },
    ])
}

/// An orchestrator serving the real router on a loopback port, backed by a
/// SQLite file in its own temporary directory.
pub struct Api {
    server: LocalServer,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Api {
    /// The simulated demo fleet, no scenario, at `speed` sim-seconds per second.
    pub async fn sim(speed: f64) -> Api {
        Api::simulated(speed, None).await
    }

    pub(super) async fn simulated(speed: f64, scenario: Option<Scenario>) -> Api {
        let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).expect("demo fleet parses");
        Api::start(
            spec,
            WorldSource::Simulated {
                seed: 7,
                speed,
                scenario,
            },
        )
        .await
    }

    pub async fn start(spec: FleetSpec, source: WorldSource) -> Api {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("sqlite://{}", dir.path().join("warroom.db").display());
        let store = warroom::store::open(&db).await.expect("open store");
        let server = LocalServer::start(ServerConfig {
            spec,
            store,
            tokens: tokens(),
            source,
        })
        .await
        .expect("server starts");
        let url = server.url();
        Api {
            server,
            url,
            _dir: dir,
        }
    }

    /// The real client with `token`.
    pub fn client(&self, token: &str) -> Client {
        client_for(&self.url, Some(token))
    }

    pub fn commander(&self) -> Client {
        self.client(COMMANDER)
    }

    pub fn responder(&self) -> Client {
        self.client(RESPONDER)
    }

    pub fn viewer(&self) -> Client {
        self.client(VIEWER)
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}
