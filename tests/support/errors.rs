//! The API's error answers: `{"error": {"code", "message"}}`.

use warroom::client::ClientError;

/// Asserts a client error is the API's answer with this status and code.
pub fn assert_api_error(err: &ClientError, status: u16, code: &str) {
    assert_eq!(err.status(), Some(status), "unexpected error: {err:?}");
    assert_eq!(
        err.code().map(|c| c.as_str()),
        Some(code),
        "unexpected error: {err:?}"
    );
}

/// Checks a raw response is an error with `status` in the shape
/// `{"error": {"code", "message"}}` and returns (code, message).
pub async fn expect_error(response: reqwest::Response, status: u16) -> (String, String) {
    let got = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.expect("error body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "error content type {content_type:?}: {text}"
    );
    let body: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {text}"));
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code: {text}"));
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.message: {text}"));
    assert!(
        !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
        "code {code:?} is not snake_case"
    );
    assert!(!message.trim().is_empty(), "empty error message: {text}");
    (code.to_string(), message.to_string())
}
