//! The orchestrator's own endpoints: liveness, metrics and the contract.

use std::time::Duration;

use crate::support::raw::Api;
use crate::support::wait::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_without_a_token() {
    let api = Api::sim(1.0).await;
    let response = api.http().get(api.at("/healthz")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["simulated"], true, "{body}");
    // The real client (which sends a token) reads it too.
    let via_client = api.viewer().healthz().await.unwrap();
    assert_eq!(via_client["status"], "ok");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_about_the_fleet() {
    let api = Api::sim(600.0).await;
    let client = api.viewer();
    // At 600x the demo fleet's 153 sites are probed up within a second or so.
    let text = eventually(
        Duration::from_secs(10),
        "sites up in the metrics",
        || async {
            let text = client.metrics().await.ok()?;
            let up = metric(&text, "warroom_sites{state=\"up\"}")?;
            (up > 0.0).then_some(text)
        },
    )
    .await;
    let response = api.http().get(api.at("/metrics")).send().await.unwrap();
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    for name in [
        "warroom_http_requests_total",
        "warroom_topology_version",
        "warroom_alerts_open",
        "warroom_sse_clients",
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "no {name} in:\n{text}"
        );
        assert!(
            metric(&text, name).is_some(),
            "no sample of {name} in:\n{text}"
        );
    }
    // Sites by state add up to the whole demo fleet.
    let sites: f64 = ["up", "degraded", "down", "flapping", "unknown"]
        .iter()
        .map(|s| {
            metric(&text, &format!("warroom_sites{{state=\"{s}\"}}"))
                .unwrap_or_else(|| panic!("no sites {s}:\n{text}"))
        })
        .sum();
    assert_eq!(sites, 153.0, "{text}");
    // Every non-comment line is `name[{labels}] value`.
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (_, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line {line:?}"));
        assert!(value.parse::<f64>().is_ok(), "bad value in {line:?}");
    }
    api.stop().await;
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_every_endpoint_of_the_contract() {
    let api = Api::sim(1.0).await;
    let doc = api.viewer().openapi().await.unwrap();
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "openapi version: {}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths object");
    // DESIGN.md §3, all but plans, actions and the postmortem (later issues).
    let expected: &[(&str, &[&str])] = &[
        ("/healthz", &["get"]),
        ("/metrics", &["get"]),
        ("/v1/openapi.json", &["get"]),
        ("/v1/topology", &["get"]),
        ("/v1/health/{component_id}/history", &["get"]),
        ("/v1/events", &["get"]),
        ("/v1/alerts", &["get"]),
        ("/v1/incidents", &["get", "post"]),
        ("/v1/incidents/{id}", &["get", "patch"]),
        ("/v1/incidents/{id}/timeline", &["get", "post"]),
        (
            "/v1/incidents/{id}/timeline/{entry_id}",
            &["patch", "delete"],
        ),
        ("/v1/sim", &["get"]),
        ("/v1/sim/faults", &["post"]),
    ];
    for (path, methods) in expected {
        let item = paths.get(*path).unwrap_or_else(|| {
            panic!(
                "{path} missing; paths: {:?}",
                paths.keys().collect::<Vec<_>>()
            )
        });
        for method in *methods {
            assert!(item.get(*method).is_some(), "{method} {path} missing");
        }
    }
    // The error shape and the bearer scheme are part of the contract.
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas.get("ApiErrorBody").is_some(),
        "no ApiErrorBody schema"
    );
    assert!(
        schemas.get("TimelineEntry").is_some(),
        "no TimelineEntry schema"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // Error codes are one documented enum, every code the server sends.
    assert_eq!(
        schemas["ApiError"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let codes: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    let expected: Vec<&str> = warroom::model::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(codes, expected);
    for code in ["version_conflict", "forbidden", "no_simulator", "cooldown"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    assert!(!codes.contains(&"unknown"), "{codes:?}");
    // whoami answers a typed name and role.
    assert!(paths.contains_key("/v1/whoami"), "no /v1/whoami");
    assert_eq!(
        schemas["Whoami"]["properties"]["role"]["$ref"],
        "#/components/schemas/AccessRole"
    );
    let roles = &schemas["AccessRole"]["enum"];
    assert_eq!(
        roles,
        &serde_json::json!(["viewer", "responder", "commander"])
    );
    api.stop().await;
}

// ---- Compressed responses ----

/// A client that neither asks for nor undoes compression by itself, so
/// each test says what it accepts and sees the bytes as sent.
fn raw_bytes_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .no_zstd()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

fn content_encoding(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("<not text>").to_string())
}

/// `GET /v1/topology` as `accept_encoding` asks: (Content-Encoding, body).
async fn topology_bytes(api: &Api, accept_encoding: Option<&str>) -> (Option<String>, Vec<u8>) {
    let mut request = raw_bytes_client()
        .get(api.at("/v1/topology"))
        .bearer_auth(crate::support::tokens::VIEWER);
    if let Some(accept) = accept_encoding {
        request = request.header(reqwest::header::ACCEPT_ENCODING, accept);
    }
    let response = request.send().await.expect("topology answers");
    assert_eq!(response.status().as_u16(), 200);
    let encoding = content_encoding(&response);
    let body = response.bytes().await.expect("topology body").to_vec();
    (encoding, body)
}

fn topology(json: &[u8]) -> warroom::model::Topology {
    serde_json::from_slice(json).unwrap_or_else(|e| {
        panic!(
            "not a topology ({e}): {}",
            String::from_utf8_lossy(&json[..json.len().min(200)])
        )
    })
}

/// Large answers travel compressed as the client accepts (gzip or zstd),
/// and plain to a client that accepts neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_responses_are_compressed_as_the_client_accepts() {
    use std::io::Read;
    let api = Api::sim(1.0).await;

    let (encoding, plain) = topology_bytes(&api, None).await;
    assert_eq!(encoding, None, "compressed without being asked");
    let fleet = topology(&plain);
    assert!(plain.len() > 4096, "the topology is {} bytes", plain.len());

    let (encoding, gzipped) = topology_bytes(&api, Some("gzip")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(gzipped.as_slice())
        .read_to_end(&mut json)
        .expect("a gzip body");
    let unzipped = topology(&json);
    assert_eq!(unzipped.servers.len(), fleet.servers.len());
    assert_eq!(unzipped.sites.len(), fleet.sites.len());
    assert!(
        gzipped.len() * 4 < plain.len(),
        "gzip: {} bytes for {} plain",
        gzipped.len(),
        plain.len()
    );

    let (encoding, zstded) = topology_bytes(&api, Some("zstd")).await;
    assert_eq!(encoding.as_deref(), Some("zstd"));
    let json = zstd::decode_all(zstded.as_slice()).expect("a zstd body");
    assert_eq!(topology(&json).servers.len(), fleet.servers.len());
    assert!(zstded.len() * 4 < plain.len());

    // An encoding the server does not speak: plain, not an error.
    let (encoding, body) = topology_bytes(&api, Some("br")).await;
    assert_eq!(encoding, None);
    topology(&body);

    // Small answers are not worth it: whoami and errors stay plain.
    let http = raw_bytes_client();
    for (path, token, status) in [
        ("/v1/whoami", crate::support::tokens::VIEWER, 200),
        ("/v1/incidents/999", crate::support::tokens::VIEWER, 404),
        ("/v1/topology", crate::support::raw::WRONG, 401),
    ] {
        let response = http
            .get(api.at(path))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT_ENCODING, "gzip, zstd")
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(content_encoding(&response), None, "{path}");
        let body: serde_json::Value = response.json().await.expect("plain JSON");
        assert!(body.is_object(), "{path}: {body}");
    }

    // The real client asks for compression and reads it back.
    let through_client = api
        .viewer()
        .topology()
        .await
        .expect("topology via the client");
    assert_eq!(through_client.servers.len(), fleet.servers.len());
    assert_eq!(through_client.sites.len(), fleet.sites.len());
    api.stop().await;
}

/// The real client sends `Accept-Encoding` and undoes the encoding the
/// answer names: checked against a loopback listener that records the
/// request and answers gzip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_asks_for_and_decodes_compressed_answers() {
    use std::io::Write;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let api = Api::sim(1.0).await;
    let (_, plain) = topology_bytes(&api, None).await;
    let fleet = topology(&plain);
    api.stop().await;

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&plain).expect("gzip");
    let gzipped = encoder.finish().expect("gzip");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("the client connects");
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.expect("read the request");
            assert!(n > 0, "the client hung up mid-request");
            head.extend_from_slice(&buf[..n]);
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            gzipped.len()
        );
        socket.write_all(answer.as_bytes()).await.expect("write");
        socket.write_all(&gzipped).await.expect("write");
        socket.shutdown().await.expect("shutdown");
        String::from_utf8_lossy(&head).to_ascii_lowercase()
    });

    let client = crate::support::client::client_for(&url, Some(crate::support::tokens::VIEWER));
    let got = client.topology().await;
    let head = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the listener finishes")
        .expect("the listener task");
    let accept = head
        .lines()
        .find_map(|line| line.strip_prefix("accept-encoding:"))
        .unwrap_or_else(|| panic!("no Accept-Encoding in the request:\n{head}"));
    assert!(
        accept.contains("gzip") && accept.contains("zstd"),
        "{accept}"
    );
    let got = got.expect("the client decodes the gzip answer");
    assert_eq!(got.servers.len(), fleet.servers.len());
    assert_eq!(got.version, fleet.version);
}

/// The event stream is never compressed, so each event leaves as it
/// happens: a compressor would hold events back until its buffer fills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_stays_live_for_clients_that_accept_compression() {
    use warroom::client::{StreamItem, StreamSettings};
    use warroom::model::EventPayload;

    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let http = raw_bytes_client();

    // Raw: asked for gzip, it answers an uncompressed event stream...
    let response = http
        .get(api.at("/v1/events"))
        .bearer_auth(crate::support::tokens::VIEWER)
        .header(reqwest::header::ACCEPT_ENCODING, "gzip, zstd")
        .send()
        .await
        .expect("event stream answers");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(content_encoding(&response), None);
    drop(response);

    // ...whose events arrive as they happen.
    let gzip_accepting = reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .no_zstd()
        .default_headers(
            [(
                reqwest::header::ACCEPT_ENCODING,
                reqwest::header::HeaderValue::from_static("gzip"),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .expect("reqwest client");
    let mut raw = crate::support::sse::RawSse::open(
        &gzip_accepting,
        &api.url,
        crate::support::tokens::VIEWER,
        None,
        None,
    )
    .await;
    let created = responder
        .create_incident(&crate::support::new_incident::incident(
            "raw stream, gzip accepted",
        ))
        .await
        .expect("incident");
    raw.collect_until(Duration::from_secs(5), "the incident event", |frames| {
        frames
            .iter()
            .any(|f| f.event.as_deref() == Some("incident") && f.json()["data"]["id"] == created.id)
    })
    .await;

    // The real client accepts gzip and zstd, and its stream is live too.
    let mut stream = api.viewer().events(None, StreamSettings::default());
    match tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
        Ok(Some(StreamItem::Connected { .. })) => {}
        other => panic!("expected Connected first, got {other:?}"),
    }
    let created = responder
        .create_incident(&crate::support::new_incident::incident("client stream"))
        .await
        .expect("incident");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(StreamItem::Event(event))) => {
                if matches!(&event.payload, EventPayload::Incident(i) if i.id == created.id) {
                    break;
                }
            }
            Ok(Some(other)) => panic!("the stream broke: {other:?}"),
            Ok(None) => panic!("the stream ended"),
            Err(_) => panic!("the incident event did not arrive within 5 s"),
        }
    }
    drop(stream);
    api.stop().await;
}

/// Issue 16 point 6: request durations per route (the template, never the
/// ids), an action's duration by kind and outcome, detection latency from
/// the first failed probe, SSE clients; and `--metrics-listen` serves them
/// apart from the API, without a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_have_request_action_and_detection_histograms() {
    use warroom::model::{FaultKind, PlanKind, PlanRequest, SimFault};
    let api = Api::sim(60.0).await;
    let client = api.commander();
    client.topology().await.expect("topology");
    client
        .inject_fault(&SimFault {
            kind: FaultKind::ServerDown,
            target: "app-03".into(),
        })
        .await
        .expect("fault");
    eventually(Duration::from_secs(20), "app-03's alert", || async {
        let alerts = client.alerts().await.ok()?.alerts;
        alerts.iter().any(|a| a.target == "app-03").then_some(())
    })
    .await;
    let plan = client
        .create_plan(&PlanRequest {
            kind: PlanKind::EvacuateServer,
            target: Some("app-03".into()),
            options: Default::default(),
        })
        .await
        .expect("plan");
    let started = client
        .execute_plan(&plan, "metrics-evacuate", &Default::default())
        .await
        .expect("execute")
        .value;
    eventually(Duration::from_secs(20), "the evacuation to end", || async {
        let action = client.action(&started.id).await.ok()?;
        action.state.is_finished().then_some(())
    })
    .await;
    let text = client.metrics().await.expect("metrics");
    let count =
        |series: &str| metric(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
    assert!(
        count("warroom_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/topology\"}")
            >= 1.0
    );
    assert!(
        count(
            "warroom_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/actions/{id}\"}"
        ) >= 1.0,
        "the route's template, not the action's id"
    );
    assert!(!text.contains(&started.id), "no id in a label");
    assert_eq!(
        count(
            "warroom_action_duration_seconds_count{kind=\"evacuate_server\",state=\"succeeded\"}"
        ),
        1.0
    );
    assert_eq!(
        count(
            "warroom_action_duration_seconds_bucket{kind=\"evacuate_server\",state=\"succeeded\",le=\"+Inf\"}"
        ),
        1.0
    );
    let detected = count("warroom_detection_latency_seconds_count{kind=\"server_down\"}");
    assert_eq!(detected, 1.0);
    let latency = count("warroom_detection_latency_seconds_sum{kind=\"server_down\"}");
    assert!(
        latency > 0.0 && latency < 600.0,
        "from the first failed probe to the alert, on the sim clock: {latency}"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_serves_metrics_apart_from_the_api() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = dir.path().join("tokens.toml");
    std::fs::write(&tokens, crate::support::serve_args::tokens_file_text()).expect("tokens");
    let fleet = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml");
    let mut args =
        crate::support::serve_args::serve_args(&fleet, &dir.path().join("w.db"), &tokens, &[]);
    args.extend(["--metrics-listen".to_string(), "127.0.0.1:0".to_string()]);
    let mut child = crate::support::command::warroom_command(dir.path(), &args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut metrics_url = None;
    let mut api_url = None;
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.strip_prefix("warroom serve: metrics on ") {
                metrics_url = Some(rest.trim().to_string());
            }
            if let Some(rest) = line.strip_prefix("warroom serve: listening on ") {
                api_url = rest.split_whitespace().next().map(str::to_string);
                break;
            }
        }
    })
    .await
    .expect("serve says where it listens");
    let metrics_url = metrics_url.expect("the metrics address");
    let api_url = api_url.expect("the API address");
    assert_ne!(metrics_url, format!("{api_url}/metrics"));
    let http = reqwest::Client::new();
    let text = http
        .get(&metrics_url)
        .send()
        .await
        .expect("scraped")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("# TYPE warroom_http_request_duration_seconds histogram"),
        "{text}"
    );
    assert!(text.contains("warroom_replica_role{"), "{text}");
    let api_only = http
        .get(metrics_url.replace("/metrics", "/v1/topology"))
        .send()
        .await
        .expect("answered");
    assert_eq!(api_only.status().as_u16(), 404, "only the metrics there");
    let _ = child.start_kill();
    let _ = child.wait().await;
}
