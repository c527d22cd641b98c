//! The outbox against a local receiver that records every request (issue 16
//! points 4 and 5): public status updates reach a Statuspage-compatible API
//! (create, then update the same incident) and an HMAC-signed webhook, and
//! the incident's news reaches a Slack-compatible chat webhook; with the
//! receiver down for a while every update arrives exactly once, in order,
//! after it comes back; across a `kill -9` of the server nothing is lost or
//! sent twice.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::serve::{ServeProcess, spawn_serve_with_env};
use crate::support::serve_args::{serve_args, tokens_file_text};
use crate::support::tokens::RESPONDER;
use crate::support::wait::eventually;
use warroom::client::{Client, ClientConfig};
use warroom::model::{
    AffectedComponent, ComponentStatus, EntryKind, Impact, IncidentStatus, NewEntry, NewIncident,
    Severity, Source, UpdateStatus, Visibility,
};

const WAIT: Duration = Duration::from_secs(30);
const SECRET: &str = "hook-secret-for-the-test";
const API_KEY: &str = "statuspage-key-for-the-test";

/// One request as the receiver got it, and whether it was accepted.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    accepted: bool,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// A receiver on 127.0.0.1:0 that answers 503 while `down`; status page
/// incidents it creates are `sp-1`, `sp-2`, ….
#[derive(Clone, Default)]
struct Receiver {
    log: Arc<Mutex<Vec<Received>>>,
    down: Arc<AtomicBool>,
    created: Arc<AtomicU64>,
}

impl Receiver {
    async fn start() -> (Receiver, String, tokio::task::JoinHandle<()>) {
        let receiver = Receiver::default();
        let state = receiver.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { state.receive(method, uri, headers, body) }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (receiver, url, task)
    }

    fn receive(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> axum::response::Response {
        let accepted = !self.down.load(Ordering::SeqCst);
        let path = uri.path().to_string();
        let creates = method == Method::POST && path.ends_with("/incidents");
        self.log.lock().expect("log").push(Received {
            method,
            path,
            headers,
            body,
            accepted,
        });
        if !accepted {
            return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
        }
        if creates {
            let n = self.created.fetch_add(1, Ordering::SeqCst) + 1;
            return (
                StatusCode::CREATED,
                axum::Json(json!({"id": format!("sp-{n}")})),
            )
                .into_response();
        }
        (StatusCode::OK, axum::Json(json!({"ok": true}))).into_response()
    }

    fn all(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }

    /// The accepted requests whose path starts with `prefix`, in order.
    fn accepted(&self, prefix: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.accepted && r.path.starts_with(prefix))
            .collect()
    }

    fn refused(&self, prefix: &str) -> usize {
        self.all()
            .iter()
            .filter(|r| !r.accepted && r.path.starts_with(prefix))
            .count()
    }
}

/// The demo fleet with every outgoing integration pointed at `receiver`.
fn fleet_file(dir: &Path, receiver: &str) -> std::path::PathBuf {
    let demo = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml"),
    )
    .expect("demo fleet");
    let text = format!(
        "{demo}\n\
         [integrations.statuspage]\n\
         url = \"{receiver}\"\n\
         page_id = \"page1\"\n\
         api_key_env = \"TEST_STATUSPAGE_KEY\"\n\
         [integrations.statuspage.components]\n\
         \"Checkout\" = \"cmp-checkout\"\n\
         [integrations.webhook]\n\
         url = \"{receiver}/hook\"\n\
         secret_env = \"TEST_HOOK_SECRET\"\n\
         [integrations.chat]\n\
         url = \"{receiver}/chat\"\n"
    );
    let path = dir.join("fleet.toml");
    std::fs::write(&path, text).expect("fleet file");
    path
}

async fn serve(dir: &Path, fleet: &Path) -> ServeProcess {
    let tokens = dir.join("tokens.toml");
    std::fs::write(&tokens, tokens_file_text()).expect("tokens");
    let args = serve_args(fleet, &dir.join("warroom.db"), &tokens, &[]);
    spawn_serve_with_env(
        dir,
        &args,
        &[
            ("TEST_STATUSPAGE_KEY", API_KEY),
            ("TEST_HOOK_SECRET", SECRET),
        ],
    )
    .await
}

fn client(url: &str) -> Client {
    Client::new(ClientConfig::new(
        vec![url.to_string()],
        Some(RESPONDER.into()),
    ))
    .expect("client")
}

async fn declare(client: &Client) -> i64 {
    client
        .create_incident(&NewIncident {
            title: "Checkout errors".into(),
            severity: Severity::Sev1,
            status: IncidentStatus::Investigating,
            impact: Impact::Major,
            components: vec![AffectedComponent {
                name: "Checkout".into(),
                status: ComponentStatus::PartialOutage,
            }],
            started_at: None,
        })
        .await
        .expect("incident")
        .id
}

async fn post_update(client: &Client, incident: i64, status: UpdateStatus, body: &str) {
    let key: String = body
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    client
        .create_entry(
            incident,
            &NewEntry {
                kind: EntryKind::StatusUpdate,
                status: Some(status),
                visibility: Some(Visibility::Public),
                body: body.into(),
                occurred_at: None,
                starred: false,
                marker: None,
                source: None,
            },
            Some(&key),
        )
        .await
        .expect("status update");
}

fn hmac_of(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// The bodies of the accepted status updates at `prefix`, in order,
/// each once (a second acceptance of one delivery key fails the test).
fn accepted_once(
    receiver: &Receiver,
    prefix: &str,
    body: impl Fn(&Value) -> String,
) -> Vec<String> {
    let accepted = receiver.accepted(prefix);
    let mut keys: Vec<String> = accepted
        .iter()
        .map(|r| r.header("x-warroom-delivery").to_string())
        .collect();
    keys.sort();
    let total = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), total, "a delivery accepted twice at {prefix}");
    accepted.iter().map(|r| body(&r.json())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_updates_arrive_once_in_order_after_the_receiver_comes_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (receiver, url, task) = Receiver::start().await;
    let server = serve(dir.path(), &fleet_file(dir.path(), &url)).await;
    let client = client(&server.url);

    let incident = declare(&client).await;
    post_update(
        &client,
        incident,
        UpdateStatus::Investigating,
        "We are looking into checkout errors.",
    )
    .await;
    eventually(
        WAIT,
        "the first update on the status page and the webhook",
        || async {
            (receiver.accepted("/v1/pages").len() == 1 && receiver.accepted("/hook").len() == 1)
                .then_some(())
        },
    )
    .await;
    let created = &receiver.accepted("/v1/pages")[0];
    assert_eq!(created.method, Method::POST);
    assert_eq!(created.path, "/v1/pages/page1/incidents");
    assert_eq!(created.header("authorization"), format!("OAuth {API_KEY}"));
    let incident_json = &created.json()["incident"];
    assert_eq!(incident_json["name"], "Checkout errors");
    assert_eq!(incident_json["status"], "investigating");
    assert_eq!(incident_json["impact_override"], "major");
    assert_eq!(
        incident_json["components"],
        json!({"cmp-checkout": "partial_outage"})
    );

    // The receiver goes down; two more updates are posted meanwhile.
    receiver.down.store(true, Ordering::SeqCst);
    post_update(
        &client,
        incident,
        UpdateStatus::Identified,
        "A switch drops packets.",
    )
    .await;
    post_update(
        &client,
        incident,
        UpdateStatus::Monitoring,
        "Traffic moved off the switch.",
    )
    .await;
    eventually(
        WAIT,
        "the status page tried and was refused twice",
        || async { (receiver.refused("/v1/pages") >= 2).then_some(()) },
    )
    .await;
    let timeline = client.timeline(incident).await.expect("timeline").entries;
    assert!(
        timeline.iter().any(|e| e.source == Source::Integration
            && e.body
                .starts_with("Not yet published to the status page: 503")),
        "the timeline says the status page is not answering: {timeline:#?}"
    );
    receiver.down.store(false, Ordering::SeqCst);

    eventually(WAIT, "every update delivered everywhere", || async {
        (receiver.accepted("/v1/pages").len() == 3
            && receiver.accepted("/hook").len() == 3
            && receiver.accepted("/chat").len() == 4)
            .then_some(())
    })
    .await;
    let on_page = accepted_once(&receiver, "/v1/pages", |v| {
        format!(
            "{}: {}",
            v["incident"]["status"].as_str().unwrap_or("?"),
            v["incident"]["body"].as_str().unwrap_or("?")
        )
    });
    assert_eq!(
        on_page,
        vec![
            "investigating: We are looking into checkout errors.",
            "identified: A switch drops packets.",
            "monitoring: Traffic moved off the switch.",
        ],
        "in order, each once"
    );
    let pages = receiver.accepted("/v1/pages");
    for update in &pages[1..] {
        assert_eq!(
            update.method,
            Method::PATCH,
            "later updates update the same incident"
        );
        assert_eq!(update.path, "/v1/pages/page1/incidents/sp-1");
    }
    let hooks = accepted_once(&receiver, "/hook", |v| {
        v["update"]["body"].as_str().unwrap_or("?").to_string()
    });
    assert_eq!(hooks.len(), 3);
    assert_eq!(hooks[2], "Traffic moved off the switch.");
    for hook in receiver.all().iter().filter(|r| r.path == "/hook") {
        assert_eq!(
            hook.header("x-warroom-signature"),
            hmac_of(&hook.body),
            "the signature verifies over the body as sent"
        );
        assert_eq!(
            hook.header("idempotency-key"),
            format!("warroom-{}", hook.header("x-warroom-delivery"))
        );
    }
    let chat: Vec<String> = receiver
        .accepted("/chat")
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        chat[0].starts_with(":rotating_light: Incident declared: *#"),
        "{chat:?}"
    );
    assert!(
        chat[3].contains("(monitoring): Traffic moved off the switch."),
        "{chat:?}"
    );
    let chat_request = &receiver.accepted("/chat")[0];
    assert_eq!(
        chat_request.json()["blocks"][0]["text"]["text"],
        chat_request.json()["text"]
    );

    let timeline = client.timeline(incident).await.expect("timeline").entries;
    let published = timeline
        .iter()
        .filter(|e| {
            e.source == Source::Integration && e.body.starts_with("Published to the status page")
        })
        .count();
    assert_eq!(published, 3, "each delivery's outcome in the timeline");
    assert!(
        !server_log_contains(dir.path(), &[SECRET, API_KEY]),
        "no secret in the server's log"
    );
    drop(server);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn across_a_kill_9_of_the_server_nothing_is_lost_or_sent_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (receiver, url, task) = Receiver::start().await;
    let fleet = fleet_file(dir.path(), &url);
    let mut server = serve(dir.path(), &fleet).await;
    let client = client(&server.url);
    let incident = declare(&client).await;
    receiver.down.store(true, Ordering::SeqCst);
    for i in 1..=3 {
        post_update(
            &client,
            incident,
            UpdateStatus::Update,
            &format!("update {i}"),
        )
        .await;
    }
    eventually(WAIT, "the webhook tried", || async {
        (receiver.refused("/hook") >= 1).then_some(())
    })
    .await;
    server.child.start_kill().expect("kill -9");
    server.child.wait().await.expect("reaped");

    receiver.down.store(false, Ordering::SeqCst);
    let server = serve(dir.path(), &fleet).await;
    let client = self::client(&server.url);
    post_update(&client, incident, UpdateStatus::Resolved, "update 4").await;
    eventually(
        WAIT,
        "all four on the webhook and the status page",
        || async {
            (receiver.accepted("/hook").len() >= 4 && receiver.accepted("/v1/pages").len() >= 4)
                .then_some(())
        },
    )
    .await;
    let expected = vec!["update 1", "update 2", "update 3", "update 4"];
    let hooks = accepted_once(&receiver, "/hook", |v| {
        v["update"]["body"].as_str().unwrap_or("?").to_string()
    });
    assert_eq!(hooks, expected, "in order, none lost, none twice");
    let pages = accepted_once(&receiver, "/v1/pages", |v| {
        v["incident"]["body"].as_str().unwrap_or("?").to_string()
    });
    assert_eq!(pages, expected);
    assert_eq!(
        receiver.created.load(Ordering::SeqCst),
        1,
        "one status page incident, updated"
    );
    drop(server);
    task.abort();
}

/// Whether any `serve-*.stderr` in `dir` contains one of `needles`.
fn server_log_contains(dir: &Path, needles: &[&str]) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("serve-"))
        .any(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            needles.iter().any(|n| text.contains(n))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_missing_from_the_environment_stops_serve_with_its_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = fleet_file(dir.path(), "http://127.0.0.1:9");
    let tokens = dir.path().join("tokens.toml");
    std::fs::write(&tokens, tokens_file_text()).expect("tokens");
    let args = serve_args(&fleet, &dir.path().join("warroom.db"), &tokens, &[]);
    let output = crate::support::command::warroom_command(dir.path(), &args)
        .env("TEST_STATUSPAGE_KEY", API_KEY)
        .env_remove("TEST_HOOK_SECRET")
        .output();
    let output = tokio::time::timeout(WAIT, output)
        .await
        .expect("serve exits")
        .expect("serve runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "integrations.webhook.secret_env: the environment variable TEST_HOOK_SECRET is not set"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(API_KEY), "no secret in the message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_the_receiver_refuses_for_good_is_given_up_and_the_next_goes_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A receiver that refuses the first status page request with a 422.
    let (receiver, url, task) = Receiver::start().await;
    let refusing = Arc::new(AtomicBool::new(true));
    let (front, front_task) = {
        let refusing = refusing.clone();
        let upstream = url.clone();
        let http = reqwest::Client::new();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let refusing = refusing.clone();
                let upstream = upstream.clone();
                let http = http.clone();
                async move {
                    if uri.path().starts_with("/v1/pages") && refusing.swap(false, Ordering::SeqCst)
                    {
                        return (StatusCode::UNPROCESSABLE_ENTITY, "component unknown")
                            .into_response();
                    }
                    let mut request = http.request(method, format!("{upstream}{}", uri.path()));
                    for (name, value) in &headers {
                        if name != "host" && name != "content-length" {
                            request = request.header(name, value);
                        }
                    }
                    let answer = request.body(body).send().await.expect("upstream");
                    let status = StatusCode::from_u16(answer.status().as_u16()).expect("status");
                    (status, answer.bytes().await.expect("body")).into_response()
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let front = format!("http://{}", listener.local_addr().expect("addr"));
        (
            front,
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            }),
        )
    };
    let server = serve(dir.path(), &fleet_file(dir.path(), &front)).await;
    let client = client(&server.url);
    let incident = declare(&client).await;
    post_update(&client, incident, UpdateStatus::Investigating, "first").await;
    post_update(&client, incident, UpdateStatus::Identified, "second").await;
    eventually(WAIT, "the second update on the status page", || async {
        (receiver.accepted("/v1/pages").len() == 1).then_some(())
    })
    .await;
    let page = &receiver.accepted("/v1/pages")[0];
    assert_eq!(page.json()["incident"]["body"], "second");
    assert_eq!(
        page.method,
        Method::POST,
        "the refused one made no incident"
    );
    let timeline = eventually(WAIT, "the refusal in the timeline", || async {
        let entries = client.timeline(incident).await.ok()?.entries;
        entries
            .iter()
            .any(|e| {
                e.body
                    == "Not published to the status page, refused: 422 Unprocessable Entity from the status page: component unknown"
            })
            .then_some(entries)
    })
    .await;
    assert!(
        timeline
            .iter()
            .all(|e| e.source != Source::Integration || e.author != "detector")
    );
    drop(server);
    task.abort();
    front_task.abort();
}
