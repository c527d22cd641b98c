//! An edit that met a newer version of its entry: keep mine (saved again
//! on top of theirs), take theirs (mine is dropped), or merge by hand in
//! the editor (both texts, on theirs). Never a silent overwrite.

use crate::client::{JournalWrite, WriteOp};
use crate::model::TimelineEntry;
use crate::tui::component::{Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::KeyChord;
use crate::tui::msg::Effect;

use super::Overlay;
use super::composer::Composer;

/// The line between the two versions in a merge.
pub const MERGE_SEPARATOR: &str = "──── yours ────";

#[derive(Debug, Clone, PartialEq)]
pub struct ConflictView {
    /// The write as it was made (its base version is old).
    pub mine: JournalWrite,
    /// The entry as it is on the server now.
    pub theirs: TimelineEntry,
}

impl ConflictView {
    /// My text, when my write changed the text.
    pub fn my_body(&self) -> Option<&str> {
        match &self.mine.op {
            WriteOp::UpdateEntry { patch, .. } => patch.body.as_deref(),
            _ => None,
        }
    }

    /// Who made the version that is saved now: its last editor, else (an
    /// entry never edited, or edited before editors were recorded) its author.
    pub fn changed_by(&self) -> &str {
        self.theirs
            .edited_by
            .as_deref()
            .unwrap_or(&self.theirs.author)
    }

    pub fn is_delete(&self) -> bool {
        matches!(self.mine.op, WriteOp::DeleteEntry { .. })
    }

    pub fn key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        match ctx.keymap.action(Context::Conflict, &chord) {
            Some(Action::KeepMine) => {
                let op = match self.mine.op.clone() {
                    WriteOp::UpdateEntry {
                        entry_id, patch, ..
                    } => WriteOp::UpdateEntry {
                        entry_id,
                        base_version: self.theirs.version,
                        patch,
                    },
                    WriteOp::DeleteEntry { entry_id, .. } => WriteOp::DeleteEntry {
                        entry_id,
                        base_version: self.theirs.version,
                    },
                    create @ WriteOp::CreateEntry { .. } => create,
                };
                let write = JournalWrite {
                    id: ctx.ids.next(),
                    incident_id: self.mine.incident_id,
                    made_at: ctx.api_now(),
                    op,
                };
                Outcome::close()
                    .effect(Effect::Journal(Box::new(write)))
                    .note("kept yours: saved over theirs")
            }
            Some(Action::TakeTheirs | Action::Cancel) => {
                Outcome::close().note("took theirs: your change was dropped")
            }
            Some(Action::Merge) if !self.is_delete() => {
                let merged = match self.my_body() {
                    Some(mine) if mine != self.theirs.body => {
                        format!("{}\n{MERGE_SEPARATOR}\n{}", self.theirs.body, mine)
                    }
                    _ => self.theirs.body.clone(),
                };
                let composer = Composer::merge(&self.theirs, &merged, ctx);
                Outcome::replace(Overlay::Compose(Box::new(composer)))
            }
            Some(Action::Help) => {
                let me = Overlay::Conflict(Box::new(self.clone()));
                Outcome::replace(Overlay::Help(super::Help::new(Context::Conflict, Some(me))))
            }
            _ => Outcome::keep(),
        }
    }
}
