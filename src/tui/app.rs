//! The event loop: terminal input, a one-second clock and the API's answers
//! all become messages; `update` changes the model; a frame is drawn only
//! when the model says something visible changed.

use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;

use super::model::Model;
use super::msg::{Msg, TerminalEffect};
use super::session::Session;
use super::terminal::{self, Term};
use super::theme::Theme;
use super::view;
use crate::client::{Client, StreamSettings};

/// Messages applied before a frame at most, so a burst of events is one frame.
const MAX_BATCH: usize = 1024;

/// The longest quitting waits for the API to hear the goodbye.
const GOODBYE_WITHIN: Duration = Duration::from_secs(1);

/// Run the console until the user quits or the process is told to stop.
/// The terminal is restored on every way out.
pub async fn run(model: Model, theme: Theme, client: Client) -> anyhow::Result<()> {
    let mouse = model.ui.mouse;
    let mut session = Session::new(model, client, StreamSettings::default());
    let (mut terminal, _guard) = terminal::enter(mouse)?;
    let size = terminal.size()?;
    let mut pending = session.dispatch(Msg::Resize(size.width, size.height));
    pending.extend(session.dispatch(Msg::Tick(chrono::Utc::now())));
    pending.extend(session.dispatch(Msg::Start));
    apply_terminal_effects(&mut terminal, pending)?;

    let mut input = EventStream::new();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stop = StopSignals::new()?;
    draw(&mut terminal, &mut session.model, &theme)?;

    loop {
        let msg = tokio::select! {
            event = input.next() => match event {
                Some(Ok(event)) => terminal_msg(event),
                Some(Err(err)) => return Err(anyhow::anyhow!("reading the terminal failed: {err}")),
                None => break,
            },
            _ = clock.tick() => Some(Msg::Tick(chrono::Utc::now())),
            msg = session.next_msg() => msg,
            _ = stop.recv() => Some(Msg::Terminate),
        };
        let mut effects = Vec::new();
        if let Some(msg) = msg {
            effects.extend(session.dispatch(msg));
        }
        for _ in 0..MAX_BATCH {
            match session.try_next_msg() {
                Some(msg) => effects.extend(session.dispatch(msg)),
                None => break,
            }
        }
        apply_terminal_effects(&mut terminal, effects)?;
        if session.model.quit {
            break;
        }
        if session.model.take_dirty() {
            draw(&mut terminal, &mut session.model, &theme)?;
        }
    }
    // Say goodbye, so the others see this console leave now rather than
    // when its presence expires.
    session.leave(GOODBYE_WITHIN).await;
    Ok(())
}

fn draw(terminal: &mut Term, model: &mut Model, theme: &Theme) -> anyhow::Result<()> {
    model.settle();
    let model: &Model = model;
    terminal::draw(terminal, |frame| view::draw(frame, model, theme))?;
    Ok(())
}

fn terminal_msg(event: TermEvent) -> Option<Msg> {
    match event {
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        TermEvent::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        TermEvent::Resize(width, height) => Some(Msg::Resize(width, height)),
        // Key releases (kitty protocol), focus changes and pastes change nothing.
        TermEvent::Key(_) | TermEvent::FocusGained | TermEvent::FocusLost | TermEvent::Paste(_) => {
            None
        }
    }
}

fn apply_terminal_effects(terminal: &mut Term, effects: Vec<TerminalEffect>) -> anyhow::Result<()> {
    for effect in effects {
        match effect {
            TerminalEffect::Notify(text) => terminal::notify(terminal, &text)?,
            TerminalEffect::SetMouse(on) => terminal::set_mouse(terminal, on)?,
        }
    }
    Ok(())
}

/// SIGTERM, SIGHUP and SIGINT end the console cleanly (raw mode turns
/// Ctrl-C into a key, but `kill -INT` still arrives as a signal).
struct StopSignals {
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = vec![
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
                signal(SignalKind::interrupt())?,
            ];
            Ok(StopSignals { signals })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let waits = self.signals.iter_mut().map(|s| Box::pin(s.recv()));
            futures::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
