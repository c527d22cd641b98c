use reqwest::StatusCode;

use crate::model::ApiErrorBody;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error.
    #[error("{message} ({status} {code})")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// 409: the object changed; `current` is the version on the server now.
    #[error("{message} (409 version_conflict)")]
    Conflict {
        message: String,
        current: serde_json::Value,
    },
    #[error("timed out talking to {0}")]
    Timeout(String),
    #[error("cannot reach {0}")]
    Unreachable(String),
    #[error("bad answer from the API: {0}")]
    Decode(String),
    #[error("{0}")]
    Config(String),
}

impl ClientError {
    /// The API could not be reached (as opposed to answering with an error).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClientError::Timeout(_) | ClientError::Unreachable(_))
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            ClientError::Conflict { .. } => Some(409),
            _ => None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            ClientError::Conflict { .. } => Some("version_conflict"),
            _ => None,
        }
    }

    pub(crate) fn from_reqwest(err: &reqwest::Error, base: &str) -> ClientError {
        if err.is_timeout() {
            ClientError::Timeout(base.to_string())
        } else if err.is_connect() || err.is_request() || err.is_body() {
            ClientError::Unreachable(base.to_string())
        } else {
            ClientError::Decode(err.without_url_string())
        }
    }

    pub(crate) async fn from_response(response: reqwest::Response) -> ClientError {
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        let body: Option<ApiErrorBody> =
            parsed.clone().and_then(|v| serde_json::from_value(v).ok());
        let (code, message) = match body {
            Some(b) => (b.error.code, b.error.message),
            None => (
                "http_error".to_string(),
                format!(
                    "the API answered {}",
                    status.canonical_reason().unwrap_or("with an error")
                ),
            ),
        };
        if status == StatusCode::CONFLICT
            && let Some(current) = parsed.and_then(|v| v.get("current").cloned())
        {
            return ClientError::Conflict { message, current };
        }
        ClientError::Api {
            status: status.as_u16(),
            code,
            message,
        }
    }
}

trait WithoutUrl {
    fn without_url_string(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    /// reqwest puts the URL in its messages; a URL may carry credentials.
    fn without_url_string(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(url.as_str(), "<url>");
        }
        text
    }
}
