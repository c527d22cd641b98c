//! The three role tokens every test server is configured with (names are
//! the role names).

pub const COMMANDER: &str = "commander-token-0123456789";
pub const RESPONDER: &str = "responder-token-0123456789";
pub const VIEWER: &str = "viewer-token-0123456789abcd";
