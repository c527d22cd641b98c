//! A raw SSE reader for `GET /v1/events`, parsed by hand.

use std::time::{Duration, Instant};

use futures::StreamExt;

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
