//! Pure helpers the panes, overlays and views share: the status-update
//! preview, time parsing, labels and sanitising. Leaves: they know the
//! wire types and nothing of the console's state.

pub mod downtime;
pub mod labels;
pub mod preview;
pub mod sanitize;
pub mod when;
