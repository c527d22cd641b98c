//! The senders: one delivery to one receiver over HTTP, with a timeout, and
//! what came of it. Secrets are read from the environment once, at the
//! start of a term, and never logged: errors name the variable, and a
//! failed request's message leaves its URL out (a chat webhook's URL is a
//! secret).

use std::time::Duration;

use anyhow::{Context, bail};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::model::{ChatUrl, Delivery, IntegrationsSpec, OutboxTarget, StatuspageSpec};

/// The header carrying the webhook body's HMAC-SHA256, as `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-warroom-signature";
/// The header carrying the delivery's key (also sent as `Idempotency-Key`).
pub const DELIVERY_HEADER: &str = "x-warroom-delivery";

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    Delivered {
        remote_id: Option<String>,
    },
    /// The receiver is down or busy: try again (not before `after`, when it said).
    Retry {
        error: String,
        after: Option<Duration>,
    },
    /// The receiver refused it for good (a 4xx other than 408, 425 and 429).
    Refused {
        error: String,
    },
}

/// The configured receivers with their secrets.
pub struct Senders {
    statuspage: Option<(StatuspageSpec, String)>,
    webhook: Option<(String, Vec<u8>)>,
    chat: Option<String>,
    clients: [reqwest::Client; 3],
}

impl Senders {
    /// Reads the secrets the section names from the environment; a missing
    /// one is an error naming the field and the variable.
    pub fn resolve(spec: &IntegrationsSpec) -> anyhow::Result<Senders> {
        let secret = |field: &str, name: &str| -> anyhow::Result<String> {
            match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(value),
                _ => bail!(
                    "integrations.{field}: the environment variable {name} is not set (it holds the secret)"
                ),
            }
        };
        let statuspage = match &spec.statuspage {
            Some(s) => Some((s.clone(), secret("statuspage.api_key_env", &s.api_key_env)?)),
            None => None,
        };
        let webhook = match &spec.webhook {
            Some(w) => Some((
                w.url.clone(),
                secret("webhook.secret_env", &w.secret_env)?.into_bytes(),
            )),
            None => None,
        };
        let chat = match spec.chat.as_ref().map(|c| &c.url) {
            Some(ChatUrl::Plain(url)) => Some(url.clone()),
            Some(ChatUrl::Env(name)) => {
                let url = secret("chat.url_env", name)?;
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    bail!("integrations.chat.url_env: {name} does not hold an http(s) URL");
                }
                Some(url)
            }
            None => None,
        };
        let timeout = |ms: Option<u64>| -> anyhow::Result<reqwest::Client> {
            // A target not configured never sends; its client is unused.
            let timeout = Duration::from_millis(ms.unwrap_or(10_000));
            reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
                .build()
                .context("cannot make the integrations' HTTP client")
        };
        Ok(Senders {
            clients: [
                timeout(spec.statuspage.as_ref().map(|s| s.timeout_ms))?,
                timeout(spec.webhook.as_ref().map(|w| w.timeout_ms))?,
                timeout(spec.chat.as_ref().map(|c| c.timeout_ms))?,
            ],
            statuspage,
            webhook,
            chat,
        })
    }

    /// The targets configured, in a fixed order.
    pub fn targets(&self) -> Vec<OutboxTarget> {
        let mut targets = Vec::new();
        if self.statuspage.is_some() {
            targets.push(OutboxTarget::Statuspage);
        }
        if self.webhook.is_some() {
            targets.push(OutboxTarget::Webhook);
        }
        if self.chat.is_some() {
            targets.push(OutboxTarget::Chat);
        }
        targets
    }

    /// Sends one delivery. `remote` is the status page's id for the
    /// delivery's incident, when an earlier delivery made one.
    pub async fn send(&self, delivery: &Delivery, remote: Option<&str>) -> Sent {
        let request = match delivery.target {
            OutboxTarget::Statuspage => match &self.statuspage {
                Some((spec, key)) => {
                    statuspage_request(&self.clients[0], spec, key, &delivery.payload, remote)
                }
                None => return not_configured(delivery.target),
            },
            OutboxTarget::Webhook => match &self.webhook {
                Some((url, secret)) => webhook_request(&self.clients[1], url, secret, delivery),
                None => return not_configured(delivery.target),
            },
            OutboxTarget::Chat => match &self.chat {
                Some(url) => self.clients[2]
                    .post(url)
                    .json(&chat_message(&delivery.payload)),
                None => return not_configured(delivery.target),
            },
        };
        let request = request
            .header("idempotency-key", format!("warroom-{}", delivery.key))
            .header(DELIVERY_HEADER, &delivery.key);
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                return Sent::Retry {
                    error: err.without_url().to_string(),
                    after: None,
                };
            }
        };
        let status = response.status();
        let after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(300)));
        let body = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            let remote_id = (delivery.target == OutboxTarget::Statuspage && remote.is_none())
                .then(|| serde_json::from_slice::<Value>(&body).ok())
                .flatten()
                .and_then(|v| v["id"].as_str().map(str::to_string));
            return Sent::Delivered {
                remote_id: remote_id.or_else(|| remote.map(str::to_string)),
            };
        }
        let text = String::from_utf8_lossy(&body);
        let error = format!(
            "{status} from the {}: {}",
            delivery.target.title(),
            crate::tui::sanitize(text.trim().chars().take(200).collect::<String>().as_str())
        );
        let code = status.as_u16();
        if status.is_server_error() || matches!(code, 408 | 425 | 429) {
            Sent::Retry { error, after }
        } else {
            Sent::Refused { error }
        }
    }
}

fn not_configured(target: OutboxTarget) -> Sent {
    Sent::Refused {
        error: format!("the {} is no longer configured", target.title()),
    }
}

/// Statuspage's incident statuses: a warroom `update` keeps the incident's.
fn statuspage_status(payload: &Value) -> Value {
    match payload["update"]["status"].as_str() {
        Some("update") | None => payload["incident"]["status"].clone(),
        Some(status) => json!(status),
    }
}

fn statuspage_request(
    client: &reqwest::Client,
    spec: &StatuspageSpec,
    key: &str,
    payload: &Value,
    remote: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut components = serde_json::Map::new();
    let mut component_ids = Vec::new();
    for component in payload["incident"]["components"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(name) = component["name"].as_str() else {
            continue;
        };
        if let Some(id) = spec.components.get(name) {
            components.insert(id.clone(), component["status"].clone());
            component_ids.push(id.clone());
        }
    }
    let mut incident = json!({
        "status": statuspage_status(payload),
        "body": payload["update"]["body"],
        "impact_override": payload["incident"]["impact"],
        "components": components,
        "component_ids": component_ids,
    });
    let base = format!("{}/v1/pages/{}/incidents", spec.url, spec.page_id);
    let request = match remote {
        None => {
            incident["name"] = payload["incident"]["title"].clone();
            client.post(base)
        }
        Some(id) => client.patch(format!("{base}/{id}")),
    };
    request
        .header(reqwest::header::AUTHORIZATION, format!("OAuth {key}"))
        .json(&json!({ "incident": incident }))
}

fn webhook_request(
    client: &reqwest::Client,
    url: &str,
    secret: &[u8],
    delivery: &Delivery,
) -> reqwest::RequestBuilder {
    let mut body = delivery.payload.clone();
    body["delivery"] = json!(delivery.key);
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature(secret, &bytes))
        .body(bytes)
}

/// `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// A Slack incoming-webhook message: the text, and the same as one block.
pub fn chat_message(payload: &Value) -> Value {
    let text = chat_text(payload);
    json!({
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    })
}

fn chat_text(payload: &Value) -> String {
    let s = |v: &Value| escape(v.as_str().unwrap_or_default());
    let incident = &payload["incident"];
    let head = |i: &Value| format!("*#{} {}*", i["id"], s(&i["title"]));
    match payload["type"].as_str() {
        Some("status_update") => format!(
            "{} status update ({}): {}",
            head(incident),
            s(&payload["update"]["status"]),
            s(&payload["update"]["body"])
        ),
        Some("incident_declared") => format!(
            ":rotating_light: Incident declared: {} ({}, {} impact)",
            head(incident),
            s(&incident["severity"]),
            s(&incident["impact"])
        ),
        Some("action_finished") => {
            let action = &payload["action"];
            format!(
                "Action {} {}: {} ({})",
                s(&action["kind"]),
                s(&action["target"]),
                s(&action["state"]),
                s(&action["summary"])
            )
        }
        Some("alert_opened") => {
            let alert = &payload["alert"];
            format!(
                ":red_circle: Critical alert on {}: {}",
                s(&alert["target"]),
                s(&alert["message"])
            )
        }
        _ => "warroom".to_string(),
    }
}

/// Slack's mrkdwn escapes, with control characters dropped.
fn escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn chat_text_escapes_what_slack_would_read_as_markup() {
        let message = chat_message(&json!({
            "type": "alert_opened",
            "alert": {"target": "app-04", "message": "<!channel> & \u{1b}[31mred"},
        }));
        assert_eq!(
            message["text"],
            ":red_circle: Critical alert on app-04: &lt;!channel&gt; &amp; [31mred"
        );
        assert_eq!(message["blocks"][0]["text"]["text"], message["text"]);
    }

    #[test]
    fn an_update_keeps_the_incidents_status_on_the_status_page() {
        let payload = json!({
            "incident": {"status": "identified"},
            "update": {"status": "update"},
        });
        assert_eq!(statuspage_status(&payload), json!("identified"));
        let payload = json!({
            "incident": {"status": "identified"},
            "update": {"status": "monitoring"},
        });
        assert_eq!(statuspage_status(&payload), json!("monitoring"));
    }
}
