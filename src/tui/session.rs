//! A console without a terminal: the model, the effect runner and the
//! message inbox. The event loop drives one with terminal input; tests
//! drive one directly against a real or a dead API.

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use super::effects::EffectRunner;
use super::model::Model;
use super::msg::{Msg, TerminalEffect};
use super::update::update;
use crate::client::{Client, Journal, StreamSettings};

pub struct Session {
    pub model: Model,
    runner: EffectRunner,
    inbox: UnboundedReceiver<Msg>,
    outbox: UnboundedSender<Msg>,
}

impl Session {
    /// Must be created inside a tokio runtime. Timeline writes go through
    /// the journal in `model.settings.journal_dir` (one file per API).
    pub fn new(model: Model, client: Client, settings: StreamSettings) -> Session {
        let (outbox, inbox) = mpsc::unbounded_channel();
        let mut runner = EffectRunner::new(client, outbox.clone(), settings);
        if let (Some(dir), Some(url)) =
            (&model.settings.journal_dir, model.settings.api_urls.first())
        {
            runner = runner.with_journal(&Journal::path_for(dir, url));
        }
        let runner = runner.with_presence(uuid::Uuid::new_v4().simple().to_string());
        Session {
            model,
            runner,
            inbox,
            outbox,
        }
    }

    /// Apply `msg`, start the network work it asks for, and return what
    /// only a terminal can do (bell, mouse capture).
    pub fn dispatch(&mut self, msg: Msg) -> Vec<TerminalEffect> {
        update(&mut self.model, msg)
            .into_iter()
            .filter_map(|effect| self.runner.run(effect))
            .collect()
    }

    /// The next message from the API side (answers, stream items).
    pub async fn next_msg(&mut self) -> Option<Msg> {
        self.inbox.recv().await
    }

    pub fn try_next_msg(&mut self) -> Option<Msg> {
        self.inbox.try_recv().ok()
    }

    /// A sender for messages from elsewhere (signals, tests).
    pub fn sender(&self) -> UnboundedSender<Msg> {
        self.outbox.clone()
    }

    /// Leave the room: the API is told this console quit (waiting at most
    /// `within`).
    pub async fn leave(&mut self, within: std::time::Duration) {
        self.runner.leave(within).await;
    }

    /// API requests still running.
    pub fn in_flight(&self) -> usize {
        self.runner.in_flight()
    }
}
