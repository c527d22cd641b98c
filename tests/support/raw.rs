//! The API harness with a plain HTTP client beside the real one, for
//! requests the real client never sends (malformed bodies, missing headers,
//! wrong tokens, raw event streams).

use std::ops::Deref;
use std::time::Duration;

use warroom::model::FleetSpec;
use warroom::server::WorldSource;
use warroom::sim::Scenario;

use super::server;

/// Long enough to look like a token, but configured for nobody.
pub const WRONG: &str = "wrong-token-0123456789abcdef";

/// A test orchestrator (`server::Api`, which it derefs to) with a plain
/// reqwest client of its own.
pub struct Api {
    api: server::Api,
    http: reqwest::Client,
}

impl Api {
    /// The simulated demo fleet, no scenario, at `speed` sim-seconds per second.
    pub async fn sim(speed: f64) -> Api {
        Api::with_http(server::Api::sim(speed).await)
    }

    /// The demo fleet playing a builtin scenario.
    pub async fn scenario(name: &str, speed: f64) -> Api {
        let scenario = Scenario::load(name).expect("builtin scenario");
        Api::with_http(server::Api::simulated(speed, Some(scenario)).await)
    }

    pub async fn start(spec: FleetSpec, source: WorldSource) -> Api {
        Api::with_http(server::Api::start(spec, source).await)
    }

    fn with_http(api: server::Api) -> Api {
        Api {
            api,
            http: raw_http(),
        }
    }

    /// A plain reqwest client, for requests the real client never sends.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The absolute URL of `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn stop(self) {
        self.api.stop().await;
    }
}

impl Deref for Api {
    type Target = server::Api;

    fn deref(&self) -> &server::Api {
        &self.api
    }
}

/// No total timeout (event streams are long); each test bounds its own waits.
pub fn raw_http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .expect("reqwest client")
}
