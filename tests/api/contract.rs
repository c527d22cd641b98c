//! The OpenAPI document is exact (issue 16): the properties
//! `scripts/contract.sh` checks with schemathesis and openapi-spec-validator
//! that a regression would break first, caught by `cargo test` too, and a
//! few of the document's constraints held against the server itself.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::support::raw::Api;
use crate::support::tokens::RESPONDER;

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// Every (method, path, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_string(), path.clone(), op.clone()));
            }
        }
    }
    out
}

fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

async fn document(api: &Api) -> Value {
    let response = api
        .http()
        .get(api.at("/v1/openapi.json"))
        .send()
        .await
        .expect("get the document");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_whole_and_every_error_is_documented() {
    let api = Api::sim(1.0).await;
    let doc = document(&api).await;

    // No dangling $ref (the postmortem's `Format` was one).
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in &found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a $ref outside the schemas: {target}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling $ref {target}"
        );
    }

    let ops = operations(&doc);
    assert!(ops.len() >= 30, "{} operations", ops.len());
    let mut ids = BTreeSet::new();
    for (method, path, op) in &ops {
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            ids.insert(id.to_string()),
            "{method} {path}: operationId {id:?} not unique"
        );
        let responses = op["responses"].as_object().expect("responses");
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        if secured {
            assert!(responses.contains_key("401"), "{method} {path}: no 401");
        }
        // Every parameter is where it is declared: a path parameter names
        // a segment of the path (`incident` of GET /v1/actions was one).
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for param in &params {
            let name = param["name"].as_str().expect("name");
            if param["in"] == "path" {
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{method} {path}: {name} in path"
                );
            }
        }
        if params.iter().any(|p| p["in"] == "path") {
            assert!(responses.contains_key("404"), "{method} {path}: no 404");
        }
        if params.iter().any(|p| p["in"] == "query") {
            assert!(responses.contains_key("422"), "{method} {path}: no 422");
        }
        if params.iter().any(|p| p["name"] == "If-Match") {
            for status in ["400", "428"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: no {status}"
                );
            }
        }
        if op["requestBody"]["required"] == true {
            for status in ["400", "413", "415", "422"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: no {status}"
                );
            }
        }
        // Every error answer has the error body.
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ApiErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }

    let query_of = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name).cloned())
            .unwrap_or_else(|| panic!("{path} has no parameter {name}"))
    };
    assert_eq!(query_of("/v1/actions", "incident")["in"], "query");
    assert_eq!(query_of("/v1/incidents", "state")["in"], "query");
    assert_eq!(
        query_of("/v1/incidents/{id}/postmortem", "format")["schema"]["enum"],
        json!(["md", "json"])
    );

    // The content types the server answers with.
    let content = |path: &str| {
        doc["paths"][path]["get"]["responses"]["200"]["content"]
            .as_object()
            .map(|c| c.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(content("/v1/events"), ["text/event-stream"]);
    let postmortem = content("/v1/incidents/{id}/postmortem");
    assert!(
        postmortem.contains(&"text/markdown".to_string()),
        "{postmortem:?}"
    );

    // The stateful paths are links, and each names a real operation and
    // parameters it has.
    let by_id: HashMap<&str, &Value> = ops
        .iter()
        .map(|(_, _, op)| (op["operationId"].as_str().unwrap_or_default(), op))
        .collect();
    let mut linked = BTreeSet::new();
    for (_, _, op) in &ops {
        for response in op["responses"].as_object().expect("responses").values() {
            let Some(links) = response["links"].as_object() else {
                continue;
            };
            for (name, link) in links {
                let to = link["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: {link}"));
                let target = by_id
                    .get(to)
                    .unwrap_or_else(|| panic!("{name} -> {to}: no such operation"));
                let names: Vec<&str> = target["parameters"]
                    .as_array()
                    .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
                    .unwrap_or_default();
                for param in link["parameters"]
                    .as_object()
                    .expect("link parameters")
                    .keys()
                {
                    let bare = param.split_once('.').map_or(param.as_str(), |(_, n)| n);
                    assert!(
                        names.contains(&bare),
                        "{name} -> {to}: no parameter {param}"
                    );
                }
                linked.insert((
                    op["operationId"].as_str().unwrap_or_default().to_string(),
                    to.to_string(),
                ));
            }
        }
    }
    for (from, to) in [
        ("create_incident", "list_timeline"),
        ("create_plan", "execute_plan"),
        ("execute_plan", "get_action"),
        ("execute_plan", "abort_action"),
        ("execute_plan", "undo_action"),
    ] {
        assert!(
            linked.contains(&(from.to_string(), to.to_string())),
            "no link {from} -> {to}"
        );
    }
    api.stop().await;
}

/// The constraints the document states are the ones the server keeps: the
/// longest title and Idempotency-Key it documents are taken, one more
/// character is refused, and so is a blank title.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_the_limits_the_document_states() {
    let api = Api::sim(1.0).await;
    let doc = document(&api).await;
    let title = &doc["components"]["schemas"]["NewIncident"]["properties"]["title"];
    let max = title["maxLength"].as_u64().expect("title maxLength") as usize;
    assert_eq!(title["minLength"], 1);
    let post = |title: String| {
        api.http()
            .post(api.at("/v1/incidents"))
            .bearer_auth(RESPONDER)
            .json(&json!({"title": title, "severity": "sev3"}))
            .send()
    };
    let longest = post("t".repeat(max)).await.expect("post");
    assert_eq!(longest.status().as_u16(), 201);
    let incident: Value = longest.json().await.expect("incident");
    for refused in ["t".repeat(max + 1), " ".into(), "a\u{7}b".into()] {
        let response = post(refused.clone()).await.expect("post");
        assert_eq!(response.status().as_u16(), 422, "{refused:?}");
    }

    let key = doc["paths"]["/v1/incidents/{id}/timeline"]["post"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "Idempotency-Key").cloned())
        .expect("the timeline documents its Idempotency-Key");
    let key_max = key["schema"]["maxLength"].as_u64().expect("key maxLength") as usize;
    let path = format!("/v1/incidents/{}/timeline", incident["id"]);
    let note = |key: String| {
        api.http()
            .post(api.at(&path))
            .bearer_auth(RESPONDER)
            .header("idempotency-key", key)
            .json(&json!({"kind": "note", "body": "a note"}))
            .send()
    };
    assert_eq!(
        note("k".repeat(key_max))
            .await
            .expect("post")
            .status()
            .as_u16(),
        201
    );
    for refused in ["k".repeat(key_max + 1), "a key".into()] {
        let response = note(refused.clone()).await.expect("post");
        assert_eq!(response.status().as_u16(), 422, "{refused:?}");
    }
    api.stop().await;
}
