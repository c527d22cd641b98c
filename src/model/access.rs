use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a token may do (DESIGN.md §3). Ordered by privilege: a role may do
/// everything the roles below it may.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccessRole {
    /// Reads everything and follows the event stream.
    Viewer,
    /// + incidents and timeline writes.
    Responder,
    /// + plans, actions and simulator faults.
    Commander,
}

impl AccessRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRole::Viewer => "viewer",
            AccessRole::Responder => "responder",
            AccessRole::Commander => "commander",
        }
    }
}

/// `GET /v1/whoami`: the caller's token name and role, so a client can tell
/// what it may do before it tries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Whoami {
    pub name: String,
    pub role: AccessRole,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_privilege_and_spelled_as_on_the_wire() {
        assert!(AccessRole::Viewer < AccessRole::Responder);
        assert!(AccessRole::Responder < AccessRole::Commander);
        for role in [
            AccessRole::Viewer,
            AccessRole::Responder,
            AccessRole::Commander,
        ] {
            let wire = serde_json::to_value(role).unwrap();
            assert_eq!(wire, role.as_str());
            assert_eq!(serde_json::from_value::<AccessRole>(wire).unwrap(), role);
        }
        assert!(serde_json::from_str::<AccessRole>("\"admin\"").is_err());
    }
}
