//! The API client the console and the tests use: reqwest with a connect and
//! a request timeout on every call, several API URLs tried in order, the
//! error shape parsed back into a typed error, and the event stream with
//! resume and reconnect.

mod error;
mod events;
pub mod journal;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use error::ClientError;
pub use events::{EventStream, StreamItem, StreamSettings};
pub use journal::{Journal, JournalWrite, WriteOp};

use crate::model::{
    Action, ActionList, Alert, AlertList, AutopilotCommand, AutopilotStatus, AutopilotVerb,
    EntryPatch, ExecuteRequest, HealthHistory, Incident, IncidentList, IncidentPatch,
    IncidentState, LatencyReport, NewEntry, NewIncident, Plan, PlanRequest, Recommendations,
    SilenceRequest, SimFault, SimStatus, Timeline, TimelineEntry, Topology, Whoami,
};

/// How the client reaches the API.
#[derive(Clone)]
pub struct ClientConfig {
    /// Base URLs (`http://host:port`), tried in order when one fails.
    pub urls: Vec<String>,
    pub token: Option<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("urls", &self.urls)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

impl ClientConfig {
    pub fn new(urls: Vec<String>, token: Option<String>) -> Self {
        ClientConfig {
            urls,
            token,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// How long a call keeps trying replicas that answer 503 (no leader during
/// an election, which lasts a few seconds) before it gives the 503 back.
pub const NO_LEADER_PATIENCE: Duration = Duration::from_secs(10);

/// A 503's `Retry-After` in seconds (an HTTP date is not used by warroom and
/// counts as one second).
fn retry_after(response: &reqwest::Response) -> Duration {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
}

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    urls: Vec<String>,
    token: Option<String>,
    /// Index of the URL that answered last; calls start there.
    active: AtomicUsize,
    config: ClientConfig,
}

/// A successful write, with whether it created something (201) or matched
/// an earlier call with the same Idempotency-Key (200).
#[derive(Debug, Clone)]
pub struct Written<T> {
    pub value: T,
    pub created: bool,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ClientError> {
        if config.urls.is_empty() {
            return Err(ClientError::Config("no API URL given".into()));
        }
        let mut urls = Vec::new();
        for url in &config.urls {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| ClientError::Config(format!("'{url}' is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ClientError::Config(format!(
                    "'{url}' must start with http:// or https://"
                )));
            }
            urls.push(url.trim_end_matches('/').to_string());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .no_proxy()
            .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                urls,
                token: config.token.clone(),
                active: AtomicUsize::new(0),
                config,
            }),
        })
    }

    /// The base URL that answered last.
    pub fn active_url(&self) -> &str {
        &self.inner.urls[self.inner.active.load(Ordering::Relaxed) % self.inner.urls.len()]
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn urls(&self) -> &[String] {
        &self.inner.urls
    }

    pub(crate) fn token(&self) -> Option<&str> {
        self.inner.token.as_deref()
    }

    /// Send a request to the active URL, then to the others in order, when
    /// the connection fails. A request that reached a server is never
    /// re-sent elsewhere unless it is safe to repeat (`retry_safe`), or the
    /// server said it did nothing: a 503 (a replica with no leader to
    /// forward to, during an election) is tried again on the next URL after
    /// its `Retry-After`, for up to [`NO_LEADER_PATIENCE`].
    async fn send(
        &self,
        method: Method,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
        retry_safe: bool,
    ) -> Result<reqwest::Response, ClientError> {
        let started = std::time::Instant::now();
        loop {
            let response = self.send_once(&method, path, &build, retry_safe).await?;
            if response.status() != StatusCode::SERVICE_UNAVAILABLE {
                return Ok(response);
            }
            let wait = retry_after(&response).min(Duration::from_secs(2));
            if started.elapsed() + wait > NO_LEADER_PATIENCE {
                return Ok(response);
            }
            // The next replica may know the new leader already.
            let n = self.inner.urls.len();
            let next = (self.inner.active.load(Ordering::Relaxed) + 1) % n;
            self.inner.active.store(next, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        build: &impl Fn(RequestBuilder) -> RequestBuilder,
        retry_safe: bool,
    ) -> Result<reqwest::Response, ClientError> {
        let n = self.inner.urls.len();
        let start = self.inner.active.load(Ordering::Relaxed);
        let mut last_error = None;
        for i in 0..n {
            let index = (start + i) % n;
            let url = format!("{}{}", self.inner.urls[index], path);
            let mut request = self.inner.http.request(method.clone(), &url);
            if let Some(token) = &self.inner.token {
                request = request.bearer_auth(token);
            }
            match build(request).send().await {
                Ok(response) => {
                    self.inner.active.store(index, Ordering::Relaxed);
                    return Ok(response);
                }
                Err(err) => {
                    let error = ClientError::from_reqwest(&err, &self.inner.urls[index]);
                    // A connect failure means the request never arrived: safe to try the next URL.
                    let next =
                        err.is_connect() || (retry_safe && (err.is_timeout() || err.is_request()));
                    last_error = Some(error);
                    if !next {
                        break;
                    }
                }
            }
        }
        Err(last_error.unwrap_or_else(|| ClientError::Config("no API URL given".into())))
    }

    async fn json<T: DeserializeOwned>(
        response: reqwest::Response,
    ) -> Result<(T, StatusCode), ClientError> {
        let status = response.status();
        if status.is_success() {
            let bytes = response
                .bytes()
                .await
                .map_err(|e| ClientError::from_reqwest(&e, ""))?;
            let value =
                serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))?;
            Ok((value, status))
        } else {
            Err(ClientError::from_response(response).await)
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let response = self.send(Method::GET, path, |r| r, true).await?;
        Ok(Self::json(response).await?.0)
    }

    async fn write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        headers: &[(&str, String)],
        retry_safe: bool,
    ) -> Result<Written<T>, ClientError> {
        let response = self
            .send(
                method,
                path,
                |mut r| {
                    for (name, value) in headers {
                        r = r.header(*name, value);
                    }
                    match body {
                        Some(body) => r.json(body),
                        None => r,
                    }
                },
                retry_safe,
            )
            .await?;
        let (value, status) = Self::json(response).await?;
        Ok(Written {
            value,
            created: status == StatusCode::CREATED,
        })
    }

    /// `GET /healthz`.
    pub async fn healthz(&self) -> Result<serde_json::Value, ClientError> {
        self.get("/healthz").await
    }

    /// A GET whose answer is text rather than JSON.
    async fn get_text(&self, path: &str) -> Result<String, ClientError> {
        let response = self.send(Method::GET, path, |r| r, true).await?;
        if !response.status().is_success() {
            return Err(ClientError::from_response(response).await);
        }
        response
            .text()
            .await
            .map_err(|e| ClientError::from_reqwest(&e, ""))
    }

    pub async fn metrics(&self) -> Result<String, ClientError> {
        self.get_text("/metrics").await
    }

    pub async fn openapi(&self) -> Result<serde_json::Value, ClientError> {
        self.get("/v1/openapi.json").await
    }

    /// The token's name and role.
    pub async fn whoami(&self) -> Result<Whoami, ClientError> {
        self.get("/v1/whoami").await
    }

    /// Who holds each role of an incident, and every term so far.
    pub async fn incident_roles(
        &self,
        incident_id: i64,
    ) -> Result<crate::model::IncidentRoles, ClientError> {
        self.get(&format!("/v1/incidents/{incident_id}/roles"))
            .await
    }

    /// Hand an incident role to `holder` (`None`: leave it vacant).
    pub async fn change_role(
        &self,
        incident_id: i64,
        role: crate::model::IncidentRole,
        holder: Option<&str>,
    ) -> Result<crate::model::IncidentRoles, ClientError> {
        let path = format!("/v1/incidents/{incident_id}/roles/{}", role.as_str());
        let body = crate::model::RoleHandoff {
            holder: holder.map(str::to_string),
        };
        Ok(self
            .write(Method::PUT, &path, Some(&body), &[], true)
            .await?
            .value)
    }

    /// The consoles connected now.
    pub async fn presence(&self) -> Result<crate::model::PresenceList, ClientError> {
        self.get("/v1/presence").await
    }

    /// Says this console (`client_id`) is in the room, under the token's
    /// name and role; `created` when it joined with this call.
    pub async fn presence_beat(
        &self,
        client_id: &str,
    ) -> Result<Written<crate::model::Presence>, ClientError> {
        let path = format!("/v1/presence/{}", encode(client_id));
        self.write::<(), _>(Method::PUT, &path, None, &[], true)
            .await
    }

    /// Says goodbye: this console leaves the room. Leaving a room one is
    /// not in (the entry expired, or another replica swept it) is not an
    /// error.
    pub async fn presence_leave(&self, client_id: &str) -> Result<(), ClientError> {
        let path = format!("/v1/presence/{}", encode(client_id));
        let response = self.send(Method::DELETE, &path, |r| r, true).await?;
        match response.status() {
            status if status.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Ok(()),
            _ => Err(ClientError::from_response(response).await),
        }
    }

    pub async fn topology(&self) -> Result<Topology, ClientError> {
        self.get("/v1/topology").await
    }

    /// The latency of `servers` now (the console's sparklines).
    pub async fn latency(&self, servers: &[String]) -> Result<LatencyReport, ClientError> {
        let ids: Vec<String> = servers.iter().map(|s| encode(s)).collect();
        self.get(&format!("/v1/latency?servers={}", ids.join(",")))
            .await
    }

    pub async fn alerts(&self) -> Result<AlertList, ClientError> {
        self.get("/v1/alerts").await
    }

    /// Acknowledge an open alert (responder and up).
    pub async fn ack_alert(&self, id: &str) -> Result<Alert, ClientError> {
        let path = format!("/v1/alerts/{}/ack", encode(id));
        Ok(self
            .write::<(), _>(Method::POST, &path, None, &[], true)
            .await?
            .value)
    }

    /// Silence an open alert for a while, with a reason (responder and up).
    pub async fn silence_alert(
        &self,
        id: &str,
        request: &SilenceRequest,
    ) -> Result<Alert, ClientError> {
        let path = format!("/v1/alerts/{}/silence", encode(id));
        Ok(self
            .write(Method::POST, &path, Some(request), &[], true)
            .await?
            .value)
    }

    pub async fn health_history(&self, component_id: &str) -> Result<HealthHistory, ClientError> {
        self.get(&format!("/v1/health/{}/history", encode(component_id)))
            .await
    }

    pub async fn incidents(
        &self,
        state: Option<IncidentState>,
    ) -> Result<Vec<Incident>, ClientError> {
        let path = match state {
            None => "/v1/incidents".to_string(),
            Some(IncidentState::Open) => "/v1/incidents?state=open".to_string(),
            Some(IncidentState::Resolved) => "/v1/incidents?state=resolved".to_string(),
        };
        Ok(self.get::<IncidentList>(&path).await?.incidents)
    }

    pub async fn incident(&self, id: i64) -> Result<Incident, ClientError> {
        self.get(&format!("/v1/incidents/{id}")).await
    }

    pub async fn create_incident(&self, new: &NewIncident) -> Result<Incident, ClientError> {
        let written = self
            .write(Method::POST, "/v1/incidents", Some(new), &[], false)
            .await?;
        Ok(written.value)
    }

    /// Change an incident based on `version`; `ClientError::Conflict` carries the current one.
    pub async fn update_incident(
        &self,
        id: i64,
        version: i64,
        patch: &IncidentPatch,
    ) -> Result<Incident, ClientError> {
        let headers = [("if-match", version.to_string())];
        let path = format!("/v1/incidents/{id}");
        Ok(self
            .write(Method::PATCH, &path, Some(patch), &headers, true)
            .await?
            .value)
    }

    /// Each site's downtime within the incident (`GET /v1/incidents/{id}/downtime`).
    pub async fn incident_downtime(
        &self,
        incident_id: i64,
    ) -> Result<crate::model::IncidentDowntime, ClientError> {
        self.get(&format!("/v1/incidents/{incident_id}/downtime"))
            .await
    }

    pub async fn timeline(&self, incident_id: i64) -> Result<Timeline, ClientError> {
        self.get(&format!("/v1/incidents/{incident_id}/timeline"))
            .await
    }

    /// Add an entry. With a key, retrying is safe: the server makes it once.
    pub async fn create_entry(
        &self,
        incident_id: i64,
        entry: &NewEntry,
        idempotency_key: Option<&str>,
    ) -> Result<Written<TimelineEntry>, ClientError> {
        let headers: Vec<(&str, String)> = idempotency_key
            .map(|k| vec![("idempotency-key", k.to_string())])
            .unwrap_or_default();
        let path = format!("/v1/incidents/{incident_id}/timeline");
        self.write(
            Method::POST,
            &path,
            Some(entry),
            &headers,
            idempotency_key.is_some(),
        )
        .await
    }

    pub async fn update_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
        version: i64,
        patch: &EntryPatch,
    ) -> Result<TimelineEntry, ClientError> {
        let headers = [("if-match", version.to_string())];
        let path = format!("/v1/incidents/{incident_id}/timeline/{entry_id}");
        Ok(self
            .write(Method::PATCH, &path, Some(patch), &headers, true)
            .await?
            .value)
    }

    pub async fn delete_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
        version: i64,
    ) -> Result<TimelineEntry, ClientError> {
        let headers = [("if-match", version.to_string())];
        let path = format!("/v1/incidents/{incident_id}/timeline/{entry_id}");
        Ok(self
            .write::<(), _>(Method::DELETE, &path, None, &headers, true)
            .await?
            .value)
    }

    /// The postmortem draft: `format` is `md` or `json`; `tz` an IANA zone.
    pub async fn postmortem(
        &self,
        incident_id: i64,
        format: &str,
        tz: Option<&str>,
    ) -> Result<String, ClientError> {
        let mut path = format!(
            "/v1/incidents/{incident_id}/postmortem?format={}",
            encode(format)
        );
        if let Some(tz) = tz {
            path.push_str(&format!("&tz={}", encode(tz)));
        }
        self.get_text(&path).await
    }

    /// Make a plan (commander). Pure on the server: nothing runs yet.
    pub async fn create_plan(&self, request: &PlanRequest) -> Result<Plan, ClientError> {
        Ok(self
            .write(Method::POST, "/v1/plans", Some(request), &[], false)
            .await?
            .value)
    }

    pub async fn plan(&self, id: &str) -> Result<Plan, ClientError> {
        self.get(&format!("/v1/plans/{}", encode(id))).await
    }

    /// Execute a plan made from topology `version`. The key makes a retry
    /// return the same action instead of running the plan twice.
    pub async fn execute_plan(
        &self,
        plan: &Plan,
        idempotency_key: &str,
        request: &ExecuteRequest,
    ) -> Result<Written<Action>, ClientError> {
        let headers = [
            ("idempotency-key", idempotency_key.to_string()),
            ("if-match", plan.topology_version.to_string()),
        ];
        let path = format!("/v1/plans/{}/execute", encode(&plan.id));
        self.write(Method::POST, &path, Some(request), &headers, true)
            .await
    }

    pub async fn actions(&self, incident: Option<i64>) -> Result<Vec<Action>, ClientError> {
        let path = match incident {
            Some(id) => format!("/v1/actions?incident={id}"),
            None => "/v1/actions".to_string(),
        };
        Ok(self.get::<ActionList>(&path).await?.actions)
    }

    pub async fn action(&self, id: &str) -> Result<Action, ClientError> {
        self.get(&format!("/v1/actions/{}", encode(id))).await
    }

    pub async fn abort_action(&self, id: &str) -> Result<Action, ClientError> {
        let path = format!("/v1/actions/{}/abort", encode(id));
        Ok(self
            .write::<(), _>(Method::POST, &path, None, &[], true)
            .await?
            .value)
    }

    /// The reverse plan of an action (failback for an evacuation).
    pub async fn undo_action(&self, id: &str) -> Result<Plan, ClientError> {
        let path = format!("/v1/actions/{}/undo", encode(id));
        Ok(self
            .write::<(), _>(Method::POST, &path, None, &[], false)
            .await?
            .value)
    }

    /// `GET /v1/recommendations`: the plan to offer first for the current alerts.
    pub async fn recommendations(&self) -> Result<Recommendations, ClientError> {
        self.get("/v1/recommendations").await
    }

    /// `GET /v1/autopilot`.
    pub async fn autopilot(&self) -> Result<AutopilotStatus, ClientError> {
        self.get("/v1/autopilot").await
    }

    /// `POST /v1/autopilot` (commander): pause or resume it.
    pub async fn command_autopilot(
        &self,
        verb: AutopilotVerb,
    ) -> Result<AutopilotStatus, ClientError> {
        let body = AutopilotCommand { command: verb };
        Ok(self
            .write(Method::POST, "/v1/autopilot", Some(&body), &[], true)
            .await?
            .value)
    }

    pub async fn sim_status(&self) -> Result<SimStatus, ClientError> {
        self.get("/v1/sim").await
    }

    pub async fn inject_fault(&self, fault: &SimFault) -> Result<SimStatus, ClientError> {
        Ok(self
            .write(Method::POST, "/v1/sim/faults", Some(fault), &[], false)
            .await?
            .value)
    }

    /// Follow the event stream from `since` (or from now), reconnecting by itself.
    pub fn events(&self, since: Option<i64>, settings: StreamSettings) -> EventStream {
        events::subscribe(self.clone(), since, settings)
    }
}

/// Percent-encode a path segment (ids are plain, but never trust that).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
