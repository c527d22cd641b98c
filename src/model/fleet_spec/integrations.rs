//! The fleet file's optional `[integrations]` section: Alertmanager in, the
//! status page, a signed webhook and chat out (DESIGN.md §10). Secrets are
//! never written in the file: each is named by the environment variable
//! that holds it (`*_env`), read when the server starts.
//!
//! ```toml
//! [integrations.alertmanager]
//! node_labels = ["instance", "node"]   # the first present whose value names a node
//!
//! [integrations.statuspage]
//! url = "https://api.statuspage.io"    # any Statuspage-compatible API
//! page_id = "kctbh9vrtdwd"
//! api_key_env = "STATUSPAGE_API_KEY"
//! [integrations.statuspage.components]   # warroom component name -> Statuspage id
//! "Checkout" = "8kbf7d35c070"
//!
//! [integrations.webhook]
//! url = "https://hooks.example.com/warroom"
//! secret_env = "WARROOM_WEBHOOK_SECRET"  # HMAC-SHA256 key of X-Warroom-Signature
//!
//! [integrations.chat]
//! url_env = "SLACK_WEBHOOK_URL"          # a Slack-compatible incoming webhook
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Checker, FleetFileError};

/// How long a delivery may take before it counts as failed.
pub const DEFAULT_DELIVERY_TIMEOUT_MS: u64 = 10_000;

/// `[integrations]`, checked. [`Default`]: none configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrationsSpec {
    pub alertmanager: AlertmanagerSpec,
    pub statuspage: Option<StatuspageSpec>,
    pub webhook: Option<WebhookSpec>,
    pub chat: Option<ChatSpec>,
}

impl IntegrationsSpec {
    /// True when anything goes out (the outbox then runs).
    pub fn sends(&self) -> bool {
        self.statuspage.is_some() || self.webhook.is_some() || self.chat.is_some()
    }
}

/// How Alertmanager's alerts are put on nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertmanagerSpec {
    /// Labels tried in order; the first present whose value (without a
    /// `:port`) is a node id names the alert's node.
    pub node_labels: Vec<String>,
}

impl Default for AlertmanagerSpec {
    fn default() -> Self {
        AlertmanagerSpec {
            node_labels: vec!["instance".into(), "node".into(), "server".into()],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatuspageSpec {
    /// The API's base URL, without `/v1`.
    pub url: String,
    pub page_id: String,
    pub api_key_env: String,
    /// warroom component name -> the status page's component id.
    pub components: BTreeMap<String, String>,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSpec {
    pub url: String,
    pub secret_env: String,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSpec {
    /// The webhook's URL, or the variable holding it (Slack's URLs are secrets).
    pub url: ChatUrl,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatUrl {
    Plain(String),
    Env(String),
}

// ---- the section as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIntegrations {
    #[serde(default)]
    alertmanager: Option<RawAlertmanager>,
    #[serde(default)]
    statuspage: Option<RawStatuspage>,
    #[serde(default)]
    webhook: Option<RawWebhook>,
    #[serde(default)]
    chat: Option<RawChat>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlertmanager {
    #[serde(default)]
    node_labels: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatuspage {
    #[serde(default)]
    url: Option<String>,
    page_id: String,
    api_key_env: String,
    #[serde(default)]
    components: BTreeMap<String, String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: String,
    secret_env: String,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChat {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    url_env: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

impl RawIntegrations {
    pub(super) fn check(self, c: &Checker) -> Result<IntegrationsSpec, FleetFileError> {
        let alertmanager = match self.alertmanager.and_then(|a| a.node_labels) {
            None => AlertmanagerSpec::default(),
            Some(labels) => {
                if labels.is_empty() {
                    return Err(c.err(
                        "integrations.alertmanager.node_labels",
                        "name at least one label",
                    ));
                }
                for (i, label) in labels.iter().enumerate() {
                    if !is_label_name(label) {
                        return Err(c.err(
                            format!("integrations.alertmanager.node_labels[{i}]"),
                            "a Prometheus label name: letters, digits and _, not starting with a digit",
                        ));
                    }
                }
                AlertmanagerSpec {
                    node_labels: labels,
                }
            }
        };
        let statuspage = match self.statuspage {
            None => None,
            Some(raw) => {
                let field = "integrations.statuspage";
                let url = raw
                    .url
                    .unwrap_or_else(|| "https://api.statuspage.io".to_string());
                check_url(c, &format!("{field}.url"), &url)?;
                if raw.page_id.is_empty()
                    || !raw.page_id.chars().all(|ch| ch.is_ascii_alphanumeric())
                {
                    return Err(c.err(
                        format!("{field}.page_id"),
                        "letters and digits, as the status page gives it",
                    ));
                }
                check_env(c, &format!("{field}.api_key_env"), &raw.api_key_env)?;
                for (name, id) in &raw.components {
                    if id.is_empty() || id.chars().any(char::is_control) || id.len() > 100 {
                        return Err(c.err(
                            format!("{field}.components.{name}"),
                            "the status page's component id",
                        ));
                    }
                }
                Some(StatuspageSpec {
                    url: url.trim_end_matches('/').to_string(),
                    page_id: raw.page_id,
                    api_key_env: raw.api_key_env,
                    components: raw.components,
                    timeout_ms: timeout(c, &format!("{field}.timeout_ms"), raw.timeout_ms)?,
                })
            }
        };
        let webhook = match self.webhook {
            None => None,
            Some(raw) => {
                let field = "integrations.webhook";
                check_url(c, &format!("{field}.url"), &raw.url)?;
                check_env(c, &format!("{field}.secret_env"), &raw.secret_env)?;
                Some(WebhookSpec {
                    url: raw.url,
                    secret_env: raw.secret_env,
                    timeout_ms: timeout(c, &format!("{field}.timeout_ms"), raw.timeout_ms)?,
                })
            }
        };
        let chat = match self.chat {
            None => None,
            Some(raw) => {
                let field = "integrations.chat";
                let url = match (raw.url, raw.url_env) {
                    (Some(url), None) => {
                        check_url(c, &format!("{field}.url"), &url)?;
                        ChatUrl::Plain(url)
                    }
                    (None, Some(env)) => {
                        check_env(c, &format!("{field}.url_env"), &env)?;
                        ChatUrl::Env(env)
                    }
                    _ => {
                        return Err(c.err(
                            field,
                            "give the webhook as url or, since it is a secret, as url_env (one of them)",
                        ));
                    }
                };
                Some(ChatSpec {
                    url,
                    timeout_ms: timeout(c, &format!("{field}.timeout_ms"), raw.timeout_ms)?,
                })
            }
        };
        Ok(IntegrationsSpec {
            alertmanager,
            statuspage,
            webhook,
            chat,
        })
    }
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
        && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

fn check_url(c: &Checker, field: &str, url: &str) -> Result<(), FleetFileError> {
    let plain = !url.chars().any(char::is_control) && url.len() <= 2000;
    if plain && (url.starts_with("https://") || url.starts_with("http://")) {
        Ok(())
    } else {
        Err(c.err(
            field,
            "must be an http:// or https:// URL of at most 2000 characters",
        ))
    }
}

fn check_env(c: &Checker, field: &str, name: &str) -> Result<(), FleetFileError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if ok {
        Ok(())
    } else {
        Err(c.err(
            field,
            "the name of an environment variable (letters, digits, _); the secret itself never goes in the file",
        ))
    }
}

fn timeout(c: &Checker, field: &str, ms: Option<u64>) -> Result<u64, FleetFileError> {
    match ms {
        None => Ok(DEFAULT_DELIVERY_TIMEOUT_MS),
        Some(ms) if (100..=120_000).contains(&ms) => Ok(ms),
        Some(_) => Err(c.err(field, "between 100 and 120000 milliseconds")),
    }
}
