//! The orchestrator's own endpoints: liveness, metrics and the contract.

mod common;

use std::time::Duration;

use common::{Api, eventually};

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
