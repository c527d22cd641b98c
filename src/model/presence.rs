//! Who is in the room: the consoles connected now (DESIGN.md §3
//! `GET /v1/presence`, the `presence` event, §5 header).
//!
//! A console says it is here with `PUT /v1/presence/{client_id}` when it
//! starts and every [`HEARTBEAT_EVERY`] while it runs, and goodbye with
//! `DELETE` when it quits. An entry not renewed for [`PRESENCE_TTL`] expires
//! (a console that crashed or lost its link). Presence times are wall-clock
//! (a heartbeat is real time), also when the world is simulated.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AccessRole;

/// How often a console renews its presence.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);
/// A presence not renewed for this long has left (three missed heartbeats).
pub const PRESENCE_TTL: Duration = Duration::from_secs(45);
/// Longest client id: a console sends a UUID.
pub const CLIENT_ID_MAX: usize = 64;

/// Whether `id` may name a client: 1 to [`CLIENT_ID_MAX`] ASCII letters,
/// digits, `-` or `_`.
pub fn valid_client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= CLIENT_ID_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// One console in the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Presence {
    /// The console's own id, chosen by it at start (a UUID).
    pub client_id: String,
    /// The token's name.
    pub name: String,
    /// The token's role.
    pub role: AccessRole,
    /// When this console joined (wall clock).
    pub since: DateTime<Utc>,
    /// Its last heartbeat (wall clock).
    pub seen_at: DateTime<Utc>,
}

/// `GET /v1/presence`: the consoles connected now, by join time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresenceList {
    pub consoles: Vec<Presence>,
}

/// How a console entered or left the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceChange {
    /// Its first heartbeat (or its first after it had expired).
    Joined,
    /// It said goodbye.
    Left,
    /// No heartbeat for [`PRESENCE_TTL`].
    Expired,
}

impl PresenceChange {
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceChange::Joined => "joined",
            PresenceChange::Left => "left",
            PresenceChange::Expired => "expired",
        }
    }
}

/// The `presence` event: one console joined or left. Heartbeats of a
/// console already present send none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresenceEvent {
    pub change: PresenceChange,
    pub presence: Presence,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_short_plain_tokens() {
        assert!(valid_client_id("3f2b9c0e5d7a4b1c8e6f0a9d2c4b7e1f"));
        assert!(valid_client_id("console-1_a"));
        assert!(!valid_client_id(""));
        assert!(!valid_client_id("a b"));
        assert!(!valid_client_id("é"));
        assert!(!valid_client_id(&"a".repeat(CLIENT_ID_MAX + 1)));
        assert!(valid_client_id(&"a".repeat(CLIENT_ID_MAX)));
    }

    #[test]
    fn the_event_is_spelled_as_on_the_wire() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("time");
        let event = PresenceEvent {
            change: PresenceChange::Expired,
            presence: Presence {
                client_id: "c1".into(),
                name: "alice".into(),
                role: AccessRole::Responder,
                since: at,
                seen_at: at,
            },
        };
        let wire = serde_json::to_value(&event).expect("json");
        assert_eq!(wire["change"], "expired");
        assert_eq!(wire["presence"]["role"], "responder");
        assert_eq!(
            serde_json::from_value::<PresenceEvent>(wire).expect("back"),
            event
        );
    }
}
