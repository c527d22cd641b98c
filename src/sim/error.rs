use crate::model::Role;

/// Why the simulator refused a fault or an operation. Messages are whole
/// sentences fit to show a user; `code` is a stable snake_case code for the
/// API's error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The id names nothing of the kind the request needs.
    #[error("unknown {expected} '{id}'")]
    UnknownTarget { expected: &'static str, id: String },
    /// The id names a server whose role does not fit the request.
    #[error("'{id}' has role {}; {needs}", role.as_str())]
    WrongRole {
        id: String,
        role: Role,
        needs: String,
    },
    /// The request is well formed but the world's state does not allow it
    /// now (a full server, no healthy standby, …).
    #[error("{0}")]
    Refused(String),
}

impl SimError {
    pub fn code(&self) -> &'static str {
        match self {
            SimError::UnknownTarget { .. } => "unknown_target",
            SimError::WrongRole { .. } => "wrong_role",
            SimError::Refused(_) => "refused",
        }
    }
}
