//! Handlers, one file per resource.

pub mod actions;
pub mod alerts;
pub mod autopilot;
pub mod incidents;
pub mod meta;
pub mod plans;
pub mod postmortem;
pub mod presence;
pub mod recommendations;
pub mod roles;
pub mod sim;
pub mod timeline;
pub mod topology;

use axum::http::{HeaderValue, header};

use super::error::{ApiResult, Failure};
use crate::model::TextRule;

/// `ETag: "<version>"`.
pub fn etag(version: i64) -> [(header::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""));
    [(header::ETAG, value)]
}

/// Text fields: not blank, not too long, no control characters but
/// newlines and tabs (when `multiline`); see [`TextRule`].
pub fn check_text(field: &str, value: &str, max: usize, multiline: bool) -> ApiResult<()> {
    TextRule { max, multiline }
        .check(field, value)
        .map_err(Failure::invalid)
}
