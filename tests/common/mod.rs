//! Harness for the API integration tests: the real orchestrator on
//! `127.0.0.1:0` (in-process, or `warroom serve` as a child process), the
//! real client, a raw HTTP client for malformed requests, a raw SSE reader,
//! and waiting on conditions with a deadline (never sleeps for readiness).

// Each test binary uses a different part of this harness.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};
use warroom::client::{Client, ClientConfig, ClientError};
use warroom::model::{EntryKind, FleetSpec, NewEntry, NewIncident, Severity};
use warroom::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};
use warroom::sim::{DEMO_FLEET, Scenario};

pub const COMMANDER: &str = "commander-token-0123456789";
pub const RESPONDER: &str = "responder-token-0123456789";
pub const VIEWER: &str = "viewer-token-0123456789abcd";
/// Long enough to look like a token, but configured for nobody.
pub const WRONG: &str = "wrong-token-0123456789abcdef";

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

/// The same tokens as a `--tokens` file.
pub fn tokens_file_text() -> String {
    format!(
        "[[token]]\nname = \"commander\"\nrole = \"commander\"\ntoken = \"{COMMANDER}\"\n\
         [[token]]\nname = \"responder\"\nrole = \"responder\"\ntoken = \"{RESPONDER}\"\n\
         [[token]]\nname = \"viewer\"\nrole = \"viewer\"\ntoken = \"{VIEWER}\"\n"
    )
}

/// An orchestrator serving the real router on a loopback port, backed by a
/// SQLite file in its own temporary directory.
pub struct Api {
    server: LocalServer,
    pub url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Api {
    /// The simulated demo fleet, no scenario, at `speed` sim-seconds per second.
    pub async fn sim(speed: f64) -> Api {
        Api::simulated(speed, None).await
    }

    /// The demo fleet playing a builtin scenario.
    pub async fn scenario(name: &str, speed: f64) -> Api {
        let scenario = Scenario::load(name).expect("builtin scenario");
        Api::simulated(speed, Some(scenario)).await
    }

    async fn simulated(speed: f64, scenario: Option<Scenario>) -> Api {
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
            http: raw_http(),
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

    /// A plain reqwest client, for requests the real client never sends.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The absolute URL of `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

pub fn client_for(url: &str, token: Option<&str>) -> Client {
    Client::new(ClientConfig::new(
        vec![url.to_string()],
        token.map(str::to_string),
    ))
    .expect("client")
}

/// No total timeout (event streams are long); each test bounds its own waits.
pub fn raw_http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .expect("reqwest client")
}

/// Polls `probe` until it gives `Some`, every 20 ms, and panics naming
/// `what` if that takes longer than `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn incident(title: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: Severity::Sev2,
        status: warroom::model::IncidentStatus::Investigating,
        impact: warroom::model::Impact::Major,
        components: Vec::new(),
        started_at: None,
    }
}

pub fn note(body: &str) -> NewEntry {
    NewEntry {
        kind: EntryKind::Note,
        status: None,
        visibility: None,
        body: body.into(),
        occurred_at: None,
        starred: false,
        marker: None,
        source: None,
    }
}

/// Asserts a client error is the API's answer with this status and code.
pub fn assert_api_error(err: &ClientError, status: u16, code: &str) {
    assert_eq!(err.status(), Some(status), "unexpected error: {err:?}");
    assert_eq!(
        err.code().map(warroom::model::ErrorCode::as_str),
        Some(code),
        "unexpected error: {err:?}"
    );
}

/// Checks a raw response is an error with `status` in the shape
/// `{"error": {"code", "message"}}` and returns (code, message).
pub async fn expect_error(response: reqwest::Response, status: u16) -> (String, String) {
    let got = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.expect("error body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "error content type {content_type:?}: {text}"
    );
    let body: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {text}"));
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code: {text}"));
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.message: {text}"));
    assert!(
        !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
        "code {code:?} is not snake_case"
    );
    assert!(!message.trim().is_empty(), "empty error message: {text}");
    (code.to_string(), message.to_string())
}

/// One Server-Sent Event as it came over the wire.
#[derive(Debug, Clone)]
pub struct SseFrame {
    pub id: Option<i64>,
    pub event: Option<String>,
    pub data: String,
}

impl SseFrame {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {}", self.data))
    }

    pub fn seq(&self) -> i64 {
        self.id
            .unwrap_or_else(|| panic!("event without id: {self:?}"))
    }
}

/// A raw `GET /v1/events` connection, parsed by hand (no SSE library), so
/// the wire format itself is what is tested. Dropping it drops the connection.
pub struct RawSse {
    body: futures::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buf: String,
}

impl RawSse {
    /// Opens the stream with a token and optional `Last-Event-ID` or `?since=`.
    pub async fn open(
        http: &reqwest::Client,
        base: &str,
        token: &str,
        last_event_id: Option<i64>,
        since: Option<i64>,
    ) -> RawSse {
        let mut url = format!("{base}/v1/events");
        if let Some(since) = since {
            url.push_str(&format!("?since={since}"));
        }
        let mut request = http
            .get(&url)
            .bearer_auth(token)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = tokio::time::timeout(Duration::from_secs(5), request.send())
            .await
            .expect("event stream answers within 5 s")
            .expect("event stream request");
        assert_eq!(response.status().as_u16(), 200, "event stream status");
        let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "content type {content_type}"
        );
        RawSse {
            body: response.bytes_stream().boxed(),
            buf: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped), or `None` if none came
    /// within `within` or the stream ended.
    pub async fn next(&mut self, within: Duration) -> Option<SseFrame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if let Some(frame) = parse_block(&block) {
                    return Some(frame);
                }
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self
                    .buf
                    .push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n")),
                Ok(Some(Err(e))) => panic!("event stream broke: {e}"),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Reads events until `done` says the collected ones are enough; panics
    /// naming `what` after `within`.
    pub async fn collect_until(
        &mut self,
        within: Duration,
        what: &str,
        mut done: impl FnMut(&[SseFrame]) -> bool,
    ) -> Vec<SseFrame> {
        let deadline = Instant::now() + within;
        let mut frames = Vec::new();
        while !done(&frames) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(frame) => frames.push(frame),
                None => panic!(
                    "timed out after {within:?} waiting for {what}; got {} events",
                    frames.len()
                ),
            }
        }
        frames
    }
}

fn parse_block(block: &str) -> Option<SseFrame> {
    let mut frame = SseFrame {
        id: None,
        event: None,
        data: String::new(),
    };
    let mut any = false;
    for line in block.lines() {
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = line
            .split_once(':')
            .map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
        any = true;
        match field {
            "id" => {
                frame.id = Some(
                    value
                        .parse()
                        .unwrap_or_else(|_| panic!("SSE id is not a number: {value:?}")),
                )
            }
            "event" => frame.event = Some(value.to_string()),
            "data" => {
                if !frame.data.is_empty() {
                    frame.data.push('\n');
                }
                frame.data.push_str(value);
            }
            _ => {}
        }
    }
    any.then_some(frame)
}

/// Asserts `seqs` is exactly `first..=last` in order: nothing lost, nothing repeated.
pub fn assert_contiguous(seqs: &[i64], first: i64) {
    let expected: Vec<i64> = (first..first + seqs.len() as i64).collect();
    assert_eq!(
        seqs,
        expected.as_slice(),
        "event sequence numbers are not contiguous from {first}"
    );
}

// ---- `warroom serve` as a child process ----

/// A running `warroom serve`, killed when dropped.
pub struct ServeProcess {
    pub child: tokio::process::Child,
    pub url: String,
    pub stderr: PathBuf,
}

/// The argument list of `warroom serve` on port 0.
pub fn serve_args(fleet: &Path, db: &Path, tokens: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "serve".to_string(),
        "--fleet".into(),
        fleet.display().to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--db".into(),
        format!("sqlite://{}", db.display()),
        "--tokens".into(),
        tokens.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// `serve_args` listening on the port of `url` (a restart on the same
/// address, so clients that knew the old one find the new one).
pub fn serve_args_at(
    url: &str,
    fleet: &Path,
    db: &Path,
    tokens: &Path,
    extra: &[&str],
) -> Vec<String> {
    let port = url.rsplit(':').next().expect("a URL with a port");
    serve_args(fleet, db, tokens, extra)
        .into_iter()
        .map(|a| {
            if a == "127.0.0.1:0" {
                format!("127.0.0.1:{port}")
            } else {
                a
            }
        })
        .collect()
}

/// `warroom` with its data and config dirs inside `dir`, so no test touches
/// the real ones.
pub fn warroom_command(dir: &Path, args: &[String]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
    command
        .args(args)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("WARROOM_LOG", "warn")
        .env_remove("WARROOM_API")
        .env_remove("WARROOM_TOKEN")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Starts `warroom serve` and waits (up to 20 s) for the line that says
/// where it listens.
pub async fn spawn_serve(dir: &Path, args: &[String]) -> ServeProcess {
    let stderr = dir.join(format!("serve-{}.stderr", unique_suffix()));
    let stderr_file = std::fs::File::create(&stderr).expect("stderr file");
    let mut child = warroom_command(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr_file))
        .spawn()
        .expect("spawn warroom serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let prefix = "warroom serve: listening on ";
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.strip_prefix(prefix) {
                return Some(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
        None
    })
    .await;
    let url = match found {
        Ok(Some(url)) => url,
        other => {
            let _ = child.start_kill();
            let log = std::fs::read_to_string(&stderr).unwrap_or_default();
            panic!("warroom serve did not say where it listens ({other:?}); stderr:\n{log}");
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    ServeProcess { child, url, stderr }
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
