use reqwest::StatusCode;

use crate::model::{ApiErrorBody, ErrorCode};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error. `code` is `None` when the answer
    /// was not the API's error shape (e.g. a proxy's error page), and
    /// [`ErrorCode::Unknown`] when a newer server sent a code this build
    /// does not know.
    #[error("{message} ({status}{})", code_suffix(*.code))]
    Api {
        status: u16,
        code: Option<ErrorCode>,
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

    /// The API's error code, when the API answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api { code, .. } => *code,
            ClientError::Conflict { .. } => Some(ErrorCode::VersionConflict),
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
            Some(b) => (Some(b.error.code), b.error.message),
            None => (
                None,
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

fn code_suffix(code: Option<ErrorCode>) -> String {
    code.map(|c| format!(" {c}")).unwrap_or_default()
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
