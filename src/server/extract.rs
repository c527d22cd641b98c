//! Typed extractors: each reads one part of a request, refuses it with the
//! API's error when it is wrong, and describes itself to the OpenAPI
//! document, so the check and its documentation live in one place.
//!
//! - [`AppJson`]: a JSON body, then its [`Validate`] rules (400 bad JSON,
//!   413 too large, 415 not JSON, 422 not acceptable).
//! - [`OptionalAppJson`]: the same for a body that may be left out.
//! - [`IdempotencyKey`] (428 when missing, 422 when malformed) and
//!   [`OptionalIdempotencyKey`].
//! - [`IfMatch`]: the version an edit is based on (428 when missing, 400
//!   when it is not a version).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{Deprecated, Required};

use super::error::{Failure, too_large};
use crate::model::{ErrorCode, Validate};

/// A JSON body of type `T` that keeps `T`'s [`Validate`] rules.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Failure> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        value.validate().map_err(Failure::invalid)?;
        Ok(AppJson(value))
    }
}

/// A JSON body that may be left out: no body, an empty one or `null` reads
/// as `T::default()`. Any content type is taken, so that a bare `POST` works.
pub struct OptionalAppJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalAppJson<T>
where
    T: DeserializeOwned + Validate + Default,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Failure> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    Failure::bad_request(ErrorCode::BadBody, rejection.body_text())
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalAppJson(T::default()));
        }
        let value: Option<T> =
            serde_json::from_slice(&bytes).map_err(|err| match err.classify() {
                serde_json::error::Category::Data => Failure::invalid(err.to_string()),
                _ => Failure::bad_request(
                    ErrorCode::BadJson,
                    format!("the body is not valid JSON: {err}"),
                ),
            })?;
        let value = value.unwrap_or_default();
        value.validate().map_err(Failure::invalid)?;
        Ok(OptionalAppJson(value))
    }
}

/// The longest `Idempotency-Key`.
pub const KEY_MAX: usize = 200;
/// What an `Idempotency-Key` may be: visible ASCII, no spaces (a UUID fits).
const KEY_PATTERN: &str = "^[!-~]{1,200}$";

const KEY_NAME: &str = "Idempotency-Key";

/// A key that makes a retried request safe: the server answers a retry
/// with what the first call did. Required where this extractor is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

/// An `Idempotency-Key` the client may leave out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalIdempotencyKey(pub Option<String>);

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Failure> {
    let Some(value) = headers.get(KEY_NAME) else {
        return Ok(None);
    };
    let malformed = || {
        Failure::invalid(format!(
            "{KEY_NAME} must be 1 to {KEY_MAX} visible ASCII characters without spaces, e.g. a UUID"
        ))
    };
    let key = value.to_str().map_err(|_| malformed())?;
    if key.is_empty() || key.len() > KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(malformed());
    }
    Ok(Some(key.to_string()))
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Failure> {
        idempotency_key(&parts.headers)?.map(IdempotencyKey).ok_or_else(|| {
            Failure::new(
                StatusCode::PRECONDITION_REQUIRED,
                ErrorCode::IdempotencyKeyRequired,
                format!(
                    "send an `{KEY_NAME}` header (any unique text, e.g. a UUID) so that a retry never runs twice"
                ),
            )
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for OptionalIdempotencyKey {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Failure> {
        idempotency_key(&parts.headers).map(OptionalIdempotencyKey)
    }
}

fn key_parameter(required: bool, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(KEY_NAME)
        .parameter_in(ParameterIn::Header)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .min_length(Some(1))
                .max_length(Some(KEY_MAX))
                .pattern(Some(KEY_PATTERN)),
        ))
        .build()
}

impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![key_parameter(
            true,
            "Required: any unique text (e.g. a UUID). A retry with the same key answers with what the first call did and never runs twice.",
        )]
    }
}

impl IntoParams for OptionalIdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![key_parameter(
            false,
            "Makes retries safe: a retry with the same key returns what the first call made (200) instead of making it again.",
        )]
    }
}

/// The longest version number `If-Match` may carry (fits `i64` and `u64`).
const VERSION_DIGITS: usize = 18;
const IF_MATCH_PATTERN: &str = r#"^(?:[0-9]{1,18}|"[0-9]{1,18}"|W/"[0-9]{1,18}")$"#;

/// The version a change is based on, from `If-Match`: `3`, or the `ETag`
/// as sent (`"3"`, `W/"3"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub i64);

/// Reads `If-Match`: `Ok(None)` when it is absent.
pub fn parse_if_match(headers: &HeaderMap) -> Result<Option<i64>, Failure> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    // Surrounding spaces are not part of a header's value (HTTP strips them on the wire).
    let text = value.to_str().unwrap_or_default().trim();
    let digits = match text.strip_prefix("W/") {
        Some(etag) => etag.strip_prefix('"').and_then(|e| e.strip_suffix('"')),
        None => match text.strip_prefix('"') {
            Some(etag) => etag.strip_suffix('"'),
            None => Some(text),
        },
    };
    match digits {
        Some(d)
            if (1..=VERSION_DIGITS).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) =>
        {
            d.parse::<i64>().map(Some).map_err(|_| bad_if_match())
        }
        _ => Err(bad_if_match()),
    }
}

fn bad_if_match() -> Failure {
    Failure::bad_request(
        ErrorCode::BadIfMatch,
        "If-Match must be a version number, e.g. `If-Match: 3` or the ETag `\"3\"`",
    )
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Failure> {
        parse_if_match(&parts.headers)?
            .map(IfMatch)
            .ok_or_else(if_match_required)
    }
}

pub fn if_match_required() -> Failure {
    Failure::new(
        StatusCode::PRECONDITION_REQUIRED,
        ErrorCode::IfMatchRequired,
        "send `If-Match: <version>` with the version your change is based on (for a plan: its topology_version)",
    )
}

impl IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .deprecated(Some(Deprecated::False))
                .description(Some(
                    "Required: the version the change is based on (the object's `version`, or a plan's `topology_version`), bare or as the ETag (`\"3\"`).",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::new(Type::String))
                        .pattern(Some(IF_MATCH_PATTERN))
                        .examples(["3"]),
                ))
                .build(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: &str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn if_match_takes_a_version_bare_or_as_an_etag_and_nothing_else() {
        for (text, version) in [("3", 3), ("\"3\"", 3), ("W/\"42\"", 42), ("0", 0)] {
            assert_eq!(
                parse_if_match(&with("if-match", text)).unwrap(),
                Some(version),
                "{text}"
            );
        }
        for bad in [
            "banana",
            "-1",
            "\"3",
            "3\"",
            "W/3",
            "\"\"",
            "",
            "1234567890123456789",
            "3 4",
            "+3",
        ] {
            let err = parse_if_match(&with("if-match", bad)).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(err.code, ErrorCode::BadIfMatch);
        }
        assert_eq!(parse_if_match(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn idempotency_keys_are_visible_ascii_up_to_the_limit() {
        assert_eq!(
            idempotency_key(&with("idempotency-key", "3f2b-9c0e_5d7a:x")).unwrap(),
            Some("3f2b-9c0e_5d7a:x".to_string())
        );
        assert!(idempotency_key(&with("idempotency-key", &"k".repeat(KEY_MAX))).is_ok());
        for bad in ["", "a b", &"k".repeat(KEY_MAX + 1)] {
            let err = idempotency_key(&with("idempotency-key", bad)).unwrap_err();
            assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        }
        assert_eq!(idempotency_key(&HeaderMap::new()).unwrap(), None);
    }
}
