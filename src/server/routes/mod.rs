//! Handlers, one file per resource.

pub mod actions;
pub mod alerts;
pub mod incidents;
pub mod meta;
pub mod plans;
pub mod postmortem;
pub mod presence;
pub mod roles;
pub mod sim;
pub mod timeline;
pub mod topology;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

use super::error::{ApiResult, Failure};
use crate::model::ErrorCode;

/// The version an edit is based on, from `If-Match` (`3` or `"3"`).
pub fn if_match(headers: &HeaderMap) -> ApiResult<i64> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        Failure::new(
            StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::IfMatchRequired,
            "send `If-Match: <version>` with the version your edit is based on",
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| {
            Failure::bad_request(
                ErrorCode::BadIfMatch,
                "If-Match must be a version number, e.g. `If-Match: 3`",
            )
        })
}

/// `ETag: "<version>"`.
pub fn etag(version: i64) -> [(header::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""));
    [(header::ETAG, value)]
}

/// Text fields: not blank, not too long, no control characters but newlines and tabs.
pub fn check_text(field: &str, value: &str, max: usize, multiline: bool) -> ApiResult<()> {
    if value.trim().is_empty() {
        return Err(Failure::invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(Failure::invalid(format!(
            "{field} is longer than {max} characters"
        )));
    }
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')));
    if bad {
        return Err(Failure::invalid(format!(
            "{field} contains control characters"
        )));
    }
    Ok(())
}
