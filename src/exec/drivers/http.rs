//! The `http` driver: one JSON POST per step to a webhook, within a timeout.
//! Any 2xx answer is success; the answer's body is kept as the step output.

use std::time::Duration;

use super::command::{bounded, clean_text};
use super::{Failed, StepCall};
use crate::model::HttpDriverSpec;

/// Answer bytes kept before the rest is ignored.
const ANSWER_BYTES: usize = 64 * 1024;

pub(in crate::exec) struct Webhook {
    spec: HttpDriverSpec,
    client: reqwest::Client,
}

impl Webhook {
    pub(super) fn new(spec: HttpDriverSpec) -> anyhow::Result<Webhook> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_millis(spec.timeout_ms))
            .connect_timeout(Duration::from_millis(spec.timeout_ms))
            // A redirect would turn the POST into a GET somewhere else.
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback(&spec.url) {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|err| anyhow::anyhow!("executor.http: cannot build the HTTP client: {err}"))?;
        Ok(Webhook { spec, client })
    }

    /// POSTs `{action_id, step, kind, target, description, op}`; `step` is
    /// the step's index in the action (from 0).
    pub(super) async fn post(&self, call: &StepCall<'_>) -> Result<Option<String>, Failed> {
        let body = serde_json::json!({
            "action_id": call.action_id,
            "step": call.index,
            "kind": call.kind,
            "target": call.target,
            "description": call.description,
            "op": call.op,
        });
        let mut request = self.client.post(&self.spec.url).json(&body);
        if let Some(name) = &self.spec.bearer_env {
            let token = std::env::var(name).map_err(|_| {
                Failed::new(format!(
                    "environment variable {name} (executor.http.bearer_env) is not set"
                ))
            })?;
            request = request.bearer_auth(token);
        }
        let mut response = request.send().await.map_err(|err| {
            Failed::new(if err.is_timeout() {
                format!(
                    "the webhook did not answer within {} ms",
                    self.spec.timeout_ms
                )
            } else {
                format!("cannot reach the webhook: {}", without_url(&err))
            })
        })?;
        let status = response.status();
        let mut answer = Vec::new();
        while answer.len() < ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = (ANSWER_BYTES - answer.len()).min(chunk.len());
                    answer.extend_from_slice(&chunk[..room]);
                }
                Ok(None) => break,
                Err(err) => {
                    return Err(Failed::new(format!(
                        "the webhook's answer broke off: {}",
                        without_url(&err)
                    )));
                }
            }
        }
        let text = clean_text(&String::from_utf8_lossy(&answer));
        let output = (!text.trim().is_empty()).then(|| bounded(text.trim()));
        if status.is_success() {
            Ok(output)
        } else {
            Err(Failed {
                error: format!("the webhook answered {status}"),
                output,
            })
        }
    }
}

/// reqwest's message without the URL, which may carry credentials.
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "the webhook");
    }
    text
}

fn is_loopback(url: &str) -> bool {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")
}
