//! The one error type of the API. Every failure leaves as
//! `{"error": {"code", "message"}}` with the right status; internals are
//! logged, never sent.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::model::{ApiError, ApiErrorBody, ErrorCode};
use crate::store::{Conflicting, StoreError};

/// What a 503 asks the client to wait, in seconds: about one campaign of
/// the replicas, after which a new leader usually answers.
pub const RETRY_AFTER_S: &str = "1";

#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// For 409: the current version of the object, so the client can merge.
    pub current: Option<serde_json::Value>,
}

impl Failure {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            status,
            code,
            message: message.into(),
            current: None,
        }
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBody,
            message,
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 503 with `Retry-After`: a leader-only request no leader can take now.
    pub fn no_leader(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::NoLeader,
            message,
        )
    }

    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the orchestrator hit an internal error; it is logged on the server",
        )
    }
}

/// The body of a 409: the error plus the object as it is now.
#[derive(Serialize)]
struct ConflictBody {
    error: ApiError,
    current: serde_json::Value,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let error = ApiError {
            code: self.code,
            message: self.message,
        };
        let mut response = match self.current {
            Some(current) => (self.status, Json(ConflictBody { error, current })).into_response(),
            None => (self.status, Json(ApiErrorBody { error })).into_response(),
        };
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_S),
            );
        }
        response
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what } => Failure::not_found(format!("{what} not found")),
            StoreError::Conflict { current } => {
                let (what, value) = match *current {
                    Conflicting::Incident(i) => ("incident", serde_json::to_value(i)),
                    Conflicting::Entry(e) => ("timeline entry", serde_json::to_value(e)),
                };
                let mut failure = Failure::new(
                    StatusCode::CONFLICT,
                    ErrorCode::VersionConflict,
                    format!(
                        "the {what} was changed by someone else; fetch it, merge, and retry with its current version"
                    ),
                );
                failure.current = value.ok();
                failure
            }
            StoreError::Immutable => Failure::new(
                StatusCode::CONFLICT,
                ErrorCode::ImmutableEntry,
                "entries written by detectors and actions, and role handoffs, cannot be edited or deleted",
            ),
            StoreError::IdempotencyMismatch => Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used for a different entry",
            ),
            StoreError::Fenced { .. } => Failure::no_leader(
                "this replica stopped leading while it served the request; nothing was done: try again",
            ),
            other => Failure::internal("store", other),
        }
    }
}

impl From<JsonRejection> for Failure {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                Failure::invalid(clean_serde_message(&e.body_text()))
            }
            JsonRejection::JsonSyntaxError(e) => Failure::bad_request(
                ErrorCode::BadJson,
                format!(
                    "the body is not valid JSON: {}",
                    clean_serde_message(&e.body_text())
                ),
            ),
            JsonRejection::MissingJsonContentType(_) => Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with `Content-Type: application/json`",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            other => Failure::bad_request(ErrorCode::BadBody, other.body_text()),
        }
    }
}

pub fn too_large() -> Failure {
    Failure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::BodyTooLarge,
        format!(
            "request bodies are limited to {} KiB",
            super::BODY_LIMIT / 1024
        ),
    )
}

impl From<PathRejection> for Failure {
    fn from(rejection: PathRejection) -> Self {
        Failure::not_found(format!("no such resource: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for Failure {
    fn from(rejection: QueryRejection) -> Self {
        Failure::invalid(clean_serde_message(&rejection.body_text()))
    }
}

/// axum prefixes serde's message with its own words; keep the part that says
/// what is wrong (e.g. "unknown variant `sev9`, expected one of `sev1`, …").
fn clean_serde_message(text: &str) -> String {
    let text = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .or_else(|| text.strip_prefix("Failed to parse the request body as JSON: "))
        .or_else(|| text.strip_prefix("Failed to deserialize query string: "))
        .unwrap_or(text);
    text.to_string()
}

pub type ApiResult<T> = Result<T, Failure>;
