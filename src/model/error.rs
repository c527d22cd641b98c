use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// The body of every error response: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiErrorBody {
    pub error: ApiError,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// A stable snake_case code, e.g. `version_conflict`.
    pub code: ErrorCode,
    /// A human sentence that says what is wrong.
    pub message: String,
}

/// Defines [`ErrorCode`] from one list, so the enum, its wire spelling,
/// `as_str` and `ALL` cannot drift apart.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal,)*) => {
        /// Every error code the API sends, as one vocabulary for the server,
        /// the client and the console. The HTTP status says the class of
        /// failure; the code says which one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $code)] $variant,)*
            /// A code this build does not know, from a newer server. The
            /// server never sends it; clients fall back on the HTTP status.
            #[serde(other)]
            Unknown,
        }

        impl ErrorCode {
            /// Every code the server may send (not [`ErrorCode::Unknown`]).
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it is spelled on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

error_codes! {
    // Requests the API cannot read.
    /// 400: the body is not valid JSON.
    BadJson = "bad_json",
    /// 400: the body could not be read.
    BadBody = "bad_body",
    /// 422: the body or query is well-formed but not acceptable.
    InvalidBody = "invalid_body",
    /// 415: the body was not sent as JSON.
    UnsupportedMediaType = "unsupported_media_type",
    /// 413: the body is larger than the API accepts.
    BodyTooLarge = "body_too_large",
    /// 404: no such endpoint or object.
    NotFound = "not_found",
    /// 405: the endpoint does not take that method.
    MethodNotAllowed = "method_not_allowed",
    /// 401: no valid bearer token.
    Unauthorized = "unauthorized",
    /// 403: the token's role may not do this.
    Forbidden = "forbidden",
    /// 500: the orchestrator failed; the details are in its log.
    Internal = "internal",
    /// 503: only the leader replica serves this, and none leads right now
    /// (an election is under way) or it cannot be reached; try again after
    /// `Retry-After` seconds.
    NoLeader = "no_leader",
    /// 504: a follower forwarded the request to the leader, which did not
    /// answer in time: it may have been done. Retry with the same
    /// `Idempotency-Key`.
    LeaderTimeout = "leader_timeout",
    // Versions and retries.
    /// 409: the object changed since the version in `If-Match`.
    VersionConflict = "version_conflict",
    /// 409: entries written by detectors and actions, and role handoffs, cannot be changed.
    ImmutableEntry = "immutable_entry",
    /// 422: the `Idempotency-Key` was already used for another request.
    IdempotencyKeyReused = "idempotency_key_reused",
    /// 428: the request needs an `Idempotency-Key` header.
    IdempotencyKeyRequired = "idempotency_key_required",
    /// 428: the request needs an `If-Match` header.
    IfMatchRequired = "if_match_required",
    /// 400: `If-Match` is not a version number.
    BadIfMatch = "bad_if_match",
    // The simulator.
    /// 404: the orchestrator watches a real fleet; no simulator runs.
    NoSimulator = "no_simulator",
    // Executing plans and actions.
    /// 410: the plan expired; make a new one.
    PlanExpired = "plan_expired",
    /// 409: the topology changed since the plan was made.
    TopologyChanged = "topology_changed",
    /// 412: a risky step needs the target's id typed as `confirm`.
    ConfirmationRequired = "confirmation_required",
    /// 423: another running action holds a component.
    Locked = "locked",
    /// 429: a cooldown after an automatic action holds.
    Cooldown = "cooldown",
    /// 422: no executor driver is configured for this fleet.
    NoDriver = "no_driver",
    /// 409: the action is not running (so it cannot be aborted).
    NotRunning = "not_running",
    /// 409: the action is still running (so it cannot be undone).
    ActionRunning = "action_running",
    // The autopilot.
    /// 409: the fleet file does not enable the autopilot.
    AutopilotOff = "autopilot_off",
    // The planner's refusals (422).
    /// The plan kind needs a target.
    MissingTarget = "missing_target",
    /// The target names nothing in the fleet.
    UnknownTarget = "unknown_target",
    /// The plan kind cannot act on that target.
    WrongTarget = "wrong_target",
    /// The fleet is already as the plan would make it.
    NothingToDo = "nothing_to_do",
    /// No node is healthy enough to take over.
    NoHealthyTarget = "no_healthy_target",
    /// The named target is not healthy or ready enough.
    UnsafeTarget = "unsafe_target",
    /// The fleet has no such component (no cache, no database).
    NotConfigured = "not_configured",
    /// The executed plan has no reverse.
    NotReversible = "not_reversible",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code that names none the API sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an API error code")]
pub struct UnknownErrorCode(pub String);

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == text)
            .ok_or_else(|| UnknownErrorCode(text.to_string()))
    }
}

/// The schema lists the codes the server sends; `Unknown` exists only for
/// clients reading a newer server, so it is left out.
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .description(Some(
                "A stable snake_case code that says which failure this is. Clients should \
                 expect codes added in later versions and fall back on the HTTP status.",
            ))
            .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
            .into()
    }
}

impl ToSchema for ErrorCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_spelled_the_same_on_the_wire_and_in_as_str() {
        for &code in ErrorCode::ALL {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, code.as_str());
            assert_eq!(serde_json::from_value::<ErrorCode>(wire).unwrap(), code);
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code} is not snake_case"
            );
        }
        let mut seen: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), ErrorCode::ALL.len(), "a code is listed twice");
        assert!(!ErrorCode::ALL.contains(&ErrorCode::Unknown));
    }

    #[test]
    fn a_code_from_a_newer_server_reads_as_unknown() {
        let body: ApiErrorBody = serde_json::from_str(
            r#"{"error": {"code": "quota_exceeded", "message": "too many plans"}}"#,
        )
        .unwrap();
        assert_eq!(body.error.code, ErrorCode::Unknown);
        assert_eq!(body.error.message, "too many plans");
        assert!("quota_exceeded".parse::<ErrorCode>().is_err());
    }
}
