//! The smallest valid timeline note to create.

use warroom::model::{EntryKind, NewEntry};

pub fn note(body: &str) -> NewEntry {
    NewEntry {
        kind: EntryKind::Note,
        status: None,
        visibility: None,
        body: body.into(),
        occurred_at: None,
        starred: false,
        marker: None,
        source: None,
    }
}
