//! warroom in the ecosystem it lives in (DESIGN.md §10): Alertmanager's
//! alerts in; status updates to a status page and a signed webhook, and the
//! incident's news to chat, out through the outbox.

pub mod alertmanager;
mod messages;
pub mod outbox;
pub mod send;

pub use send::Senders;
