//! Leader-only requests on a follower (DESIGN.md §4a): forwarded to the
//! leader the lease names, with the caller's headers and body, and its
//! answer returned as it is. When no leader is known (an election is under
//! way) or it cannot be reached, the answer is 503 `no_leader` with
//! `Retry-After`, and nothing was done. A request is forwarded once: a
//! forwarded request reaching a replica that does not lead is answered 503.

use std::sync::LazyLock;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::Failure;
use super::{AppState, BODY_LIMIT};

/// Marks a forwarded request, with the id of the replica that forwarded it.
pub const FORWARDED_BY: &str = "x-warroom-forwarded-by";
/// Names the replica that served a request (on forwarded answers).
pub const SERVED_BY: &str = "x-warroom-served-by";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// A plan or an execute answers in well under this (execute returns once
/// the action started, not when it ended).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Request headers passed on; everything else (hop-by-hop headers, Host,
/// Content-Length, encodings) is the forwarder's own business.
const PASSED_ON: [HeaderName; 5] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::IF_MATCH,
    header::ACCEPT,
    HeaderName::from_static("idempotency-key"),
];

/// Answer headers passed back.
const PASSED_BACK: [HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::ETAG,
    header::LOCATION,
    header::RETRY_AFTER,
    HeaderName::from_static(SERVED_BY),
];

static HTTP: LazyLock<Option<reqwest::Client>> = LazyLock::new(|| {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|err| tracing::error!(%err, "cannot build the forwarding client"))
        .ok()
});

pub async fn leader_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.node.leads() {
        let mut response = next.run(request).await;
        if let Ok(id) = HeaderValue::from_str(&state.node.id) {
            response.headers_mut().insert(SERVED_BY, id);
        }
        return response;
    }
    let view = state.node.view();
    let Some(leader) = view.leader else {
        return Failure::no_leader(
            "no replica leads right now (an election is under way); nothing was done: try again",
        )
        .into_response();
    };
    if request.headers().contains_key(FORWARDED_BY) {
        return Failure::no_leader(format!(
            "forwarded here as to the leader, but this replica does not lead; \
             the leader is {} at {}: try again",
            leader.node_id, leader.url
        ))
        .into_response();
    }
    match forward(&state, &leader.url, request).await {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

async fn forward(
    state: &AppState,
    leader_url: &str,
    request: Request,
) -> Result<Response, Failure> {
    let Some(http) = HTTP.as_ref() else {
        return Err(Failure::no_leader(
            "this replica cannot forward requests; ask the leader",
        ));
    };
    let (parts, body) = request.into_parts();
    // Under `/v1` the router sees the path without its prefix; the leader
    // needs the whole of it.
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", leader_url.trim_end_matches('/'));
    let body = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| super::error::too_large())?;
    let mut headers = reqwest::header::HeaderMap::new();
    for name in &PASSED_ON {
        for value in parts.headers.get_all(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Ok(id) = HeaderValue::from_str(&state.node.id) {
        headers.insert(FORWARDED_BY, id);
    }
    let answer = http
        .request(parts.method.clone(), &url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|err| unreachable_leader(leader_url, &err))?;
    let status = answer.status();
    let mut back = HeaderMap::new();
    for name in &PASSED_BACK {
        if let Some(value) = answer.headers().get(name) {
            back.insert(name.clone(), value.clone());
        }
    }
    let bytes = answer
        .bytes()
        .await
        .map_err(|err| unreachable_leader(leader_url, &err))?;
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = back;
    Ok(response)
}

/// The leader did not answer. When the connection failed the request never
/// reached it (503, nothing was done); a timeout or a cut-off answer may
/// have come after it was done (504), and the caller's retry with the same
/// Idempotency-Key is what makes that safe.
fn unreachable_leader(url: &str, err: &reqwest::Error) -> Failure {
    if err.is_connect() {
        return Failure::no_leader(format!(
            "cannot reach the leader at {url}; nothing was done, and a new leader is \
             elected within seconds: try again"
        ));
    }
    Failure::new(
        axum::http::StatusCode::GATEWAY_TIMEOUT,
        crate::model::ErrorCode::LeaderTimeout,
        format!(
            "the leader at {url} did not answer in full; the request may have been done: \
             retry with the same Idempotency-Key"
        ),
    )
}
