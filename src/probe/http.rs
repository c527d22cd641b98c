//! HTTP probes: GET the target, any 2xx is healthy. A JSON answer may also
//! carry the node's own report (stale cache connections, stuck database
//! calls), which is read from the same bounded body.

use std::error::Error as _;
use std::io;
use std::time::{Duration, Instant};

use crate::model::{NodeReport, ProbeOutcome};

use super::failure;

/// Most body bytes a probe reads: enough to see a small health answer arrive,
/// bounded so a large or endless body costs neither time nor memory.
const BODY_READ_LIMIT: usize = 4 * 1024;

/// GET `url`; healthy on a 2xx whose first [`BODY_READ_LIMIT`] bytes (or whole
/// body, if shorter) arrive within `timeout`. Latency covers the request and
/// that body read. The caller adds the hard deadline.
pub(super) async fn probe(client: &reqwest::Client, url: &str, timeout: Duration) -> ProbeOutcome {
    probe_with_report(client, url, timeout).await.0
}

/// [`probe`], plus the node's report when the healthy answer is a JSON
/// object, whole within [`BODY_READ_LIMIT`], with at least one of
/// [`NodeReport`]'s fields.
pub(super) async fn probe_with_report(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> (ProbeOutcome, Option<NodeReport>) {
    let started = Instant::now();
    let mut response = match client.get(url).timeout(timeout).send().await {
        Ok(response) => response,
        Err(error) => return (request_failure(&error, timeout), None),
    };
    let status = response.status();
    if !status.is_success() {
        return (
            ProbeOutcome::failed(format!("HTTP {}", status.as_u16())),
            None,
        );
    }
    let mut body = Vec::new();
    let mut complete = false;
    while body.len() < BODY_READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => {
                complete = true;
                break;
            }
            Err(error) => return (request_failure(&error, timeout), None),
        }
    }
    // Dropping the response closes the connection if the body was longer.
    let outcome = ProbeOutcome::up(started.elapsed().as_secs_f64() * 1000.0);
    let report = if complete { node_report(&body) } else { None };
    (outcome, report)
}

/// The report in a health answer; `None` unless it is a JSON object naming
/// at least one of the report's fields (a plain `ok` reports nothing).
pub(super) fn node_report(body: &[u8]) -> Option<NodeReport> {
    const FIELDS: [&str; 3] = [
        "stale_cache_connections",
        "stuck_db_connections",
        "stuck_sites",
    ];
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    if !FIELDS.iter().any(|f| object.contains_key(*f)) {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// A failure naming what went wrong, never the URL: reqwest's own `Display`
/// includes the URL (with any token in its query), so it is never used; only
/// the causes under it, which come from the OS, TLS and HTTP layers.
fn request_failure(error: &reqwest::Error, timeout: Duration) -> ProbeOutcome {
    if error.is_timeout() {
        return failure::timed_out(timeout);
    }
    if error.is_builder() {
        return ProbeOutcome::failed("invalid probe URL");
    }
    if let Some(io_error) = find_io_error(error) {
        if io_error.kind() == io::ErrorKind::TimedOut {
            return failure::timed_out(timeout);
        }
        if let Some(phrase) = failure::known_io_phrase(io_error.kind()) {
            return ProbeOutcome::failed(phrase);
        }
    }
    let what = if error.is_connect() {
        "connect failed"
    } else if error.is_body() || error.is_decode() {
        "reading response failed"
    } else {
        "request failed"
    };
    match innermost_cause(error) {
        Some(cause) => ProbeOutcome::failed(format!("{what}: {cause}")),
        None => ProbeOutcome::failed(what),
    }
}

fn find_io_error(error: &reqwest::Error) -> Option<&io::Error> {
    let mut source = error.source();
    while let Some(current) = source {
        if let Some(io_error) = current.downcast_ref::<io::Error>() {
            return Some(io_error);
        }
        source = current.source();
    }
    None
}

/// The deepest cause under `error`, on one line; `None` if there is none or it
/// is itself a reqwest error (whose text would name the URL).
fn innermost_cause(error: &reqwest::Error) -> Option<String> {
    let mut deepest = error.source()?;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    if deepest.downcast_ref::<reqwest::Error>().is_some() {
        return None;
    }
    Some(failure::one_line(&deepest.to_string()))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::test_servers::{
        black_hole, closed_port, endless_body_server, http_server, recording_http_server,
    };
    use super::super::{PROBE_USER_AGENT, probe_client, probe_once};
    use crate::model::ProbeTarget;

    use super::*;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    const UNAVAILABLE: &[u8] =
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown";

    async fn probe_url(url: String, timeout: Duration) -> (ProbeOutcome, Duration) {
        let client = probe_client().expect("probe client builds");
        let started = Instant::now();
        let outcome = probe_once(&client, &ProbeTarget::Http(url), timeout).await;
        (outcome, started.elapsed())
    }

    #[tokio::test]
    async fn a_200_is_healthy_with_its_latency() {
        let addr = http_server(OK).await;
        let (outcome, elapsed) =
            probe_url(format!("http://{addr}/health"), Duration::from_secs(2)).await;
        assert!(outcome.ok, "{outcome:?}");
        assert_eq!(outcome.error, None);
        let latency = outcome.latency_ms.expect("a healthy probe has a latency");
        assert!(
            latency > 0.0 && latency <= elapsed.as_secs_f64() * 1000.0,
            "{latency}"
        );
    }

    #[tokio::test]
    async fn a_503_is_a_failure_naming_the_status() {
        let addr = http_server(UNAVAILABLE).await;
        let (outcome, _) = probe_url(format!("http://{addr}/health"), Duration::from_secs(2)).await;
        assert_eq!(outcome, ProbeOutcome::failed("HTTP 503"));
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        let healthy = http_server(OK).await;
        let redirect = format!(
            "HTTP/1.1 302 Found\r\nLocation: http://{healthy}/health\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let addr = http_server(Box::leak(redirect.into_bytes().into_boxed_slice())).await;
        let (outcome, _) = probe_url(format!("http://{addr}/health"), Duration::from_secs(2)).await;
        assert_eq!(outcome, ProbeOutcome::failed("HTTP 302"));
    }

    #[tokio::test]
    async fn a_refused_connection_fails_quickly() {
        let addr = closed_port().await;
        let timeout = Duration::from_secs(5);
        let (outcome, elapsed) = probe_url(format!("http://{addr}/health"), timeout).await;
        assert_eq!(outcome, ProbeOutcome::failed("connection refused"));
        assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_fails_within_the_timeout() {
        let addr = black_hole().await;
        let timeout = Duration::from_millis(300);
        let (outcome, elapsed) = probe_url(format!("http://{addr}/health"), timeout).await;
        assert_eq!(outcome, ProbeOutcome::failed("timed out after 300 ms"));
        assert!(
            elapsed < timeout + Duration::from_millis(500),
            "took {elapsed:?}"
        );
    }

    #[tokio::test]
    async fn an_endless_body_is_read_only_up_to_the_limit() {
        let addr = endless_body_server().await;
        let timeout = Duration::from_secs(2);
        let (outcome, elapsed) = probe_url(format!("http://{addr}/health"), timeout).await;
        assert!(outcome.ok, "{outcome:?}");
        assert!(elapsed < timeout, "took {elapsed:?}");
    }

    #[tokio::test]
    async fn the_request_is_a_get_with_the_probe_user_agent() {
        let (addr, request) = recording_http_server(OK).await;
        let (outcome, _) = probe_url(format!("http://{addr}/health"), Duration::from_secs(2)).await;
        assert!(outcome.ok, "{outcome:?}");
        let head = request
            .await
            .expect("the server saw the request")
            .to_ascii_lowercase();
        assert!(head.starts_with("get /health http/1.1\r\n"), "{head}");
        assert!(
            head.contains(&format!(
                "user-agent: {}\r\n",
                PROBE_USER_AGENT.to_ascii_lowercase()
            )),
            "{head}"
        );
    }

    #[tokio::test]
    async fn failures_never_show_credentials_or_query() {
        let refused = closed_port().await;
        let unavailable = http_server(UNAVAILABLE).await;
        let silent = black_hole().await;
        for addr in [refused, unavailable, silent] {
            let url = format!("http://probe-user:s3cret-pw@{addr}/health?token=t0ken-value");
            let (outcome, _) = probe_url(url, Duration::from_millis(300)).await;
            let error = outcome.error.expect("each of these probes fails");
            for secret in [
                "probe-user",
                "s3cret",
                "token",
                "t0ken",
                "health",
                "127.0.0.1",
            ] {
                assert!(!error.contains(secret), "{error:?} leaks {secret}");
            }
        }
    }

    #[tokio::test]
    async fn a_json_health_answer_carries_the_nodes_report() {
        const REPORT: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 96\r\nConnection: close\r\n\r\n{\"status\":\"degraded\",\"stale_cache_connections\":1,\"stuck_db_connections\":3,\"stuck_sites\":{\"a\":3}}";
        let addr = http_server(REPORT).await;
        let client = probe_client().expect("probe client builds");
        let (outcome, report) = probe_with_report(
            &client,
            &format!("http://{addr}/health"),
            Duration::from_secs(2),
        )
        .await;
        assert!(outcome.ok, "{outcome:?}");
        let report = report.expect("a report");
        assert_eq!(report.stale_cache_connections, 1);
        assert_eq!(report.stuck_db_connections, 3);
        assert_eq!(report.stuck_sites.get("a"), Some(&3));
        // A plain answer reports nothing; a failed probe neither.
        let addr = http_server(OK).await;
        let (_, report) = probe_with_report(
            &client,
            &format!("http://{addr}/health"),
            Duration::from_secs(2),
        )
        .await;
        assert_eq!(report, None);
        let addr = http_server(UNAVAILABLE).await;
        let (outcome, report) = probe_with_report(
            &client,
            &format!("http://{addr}/health"),
            Duration::from_secs(2),
        )
        .await;
        assert!(!outcome.ok);
        assert_eq!(report, None);
    }

    #[test]
    fn only_json_objects_with_report_fields_are_reports() {
        assert_eq!(node_report(b"ok"), None);
        assert_eq!(node_report(br#"{"status":"ok"}"#), None);
        assert_eq!(node_report(b"[1,2]"), None);
        assert_eq!(
            node_report(br#"{"stuck_db_connections":"many"}"#),
            None,
            "a field of the wrong type is no report"
        );
        assert_eq!(
            node_report(br#"{"stale_cache_connections":0}"#),
            Some(NodeReport::default())
        );
    }

    #[tokio::test]
    async fn an_unparsable_url_is_a_failure_not_a_panic() {
        let (outcome, _) = probe_url(
            "http://[not a url/?token=x".to_string(),
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(outcome, ProbeOutcome::failed("invalid probe URL"));
    }
}
