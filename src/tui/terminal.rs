//! The real terminal: raw mode and the alternate screen, restored on every
//! way out (normal exit, error, panic, signal); synchronized updates around
//! each frame; the bell and OSC 9 notifications, written between frames.

use std::io::{self, Stdout, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::logic::sanitize::notification_text;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Whether the terminal is in the console's mode, so restoring twice (drop
/// after a panic hook ran) does nothing the second time.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Restores the terminal when dropped.
pub struct TerminalGuard(());

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Enter raw mode and the alternate screen. Installs the panic hook first,
/// so a panic at any later point restores the terminal before its message.
pub fn enter(mouse: bool) -> io::Result<(Term, TerminalGuard)> {
    install_panic_hook();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = TerminalGuard(());
    let mut stdout = io::stdout();
    execute!(stdout, EnterAlternateScreen, cursor::Hide)?;
    if mouse {
        execute!(stdout, EnableMouseCapture)?;
    }
    let terminal = Terminal::new(CrosstermBackend::new(stdout))?;
    Ok((terminal, guard))
}

/// Put the terminal back as the shell had it. Safe to call more than once.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    // Errors are ignored: this runs on the way out, often after a failure.
    let _ = execute!(
        stdout,
        DisableMouseCapture,
        EndSynchronizedUpdate,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = stdout.flush();
}

/// Restore the terminal, then run the panic hook that was there before.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Draw one frame inside a synchronized update, so the terminal shows it whole.
pub fn draw(terminal: &mut Term, render: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = terminal.draw(render).map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    drawn
}

pub fn set_mouse(terminal: &mut Term, on: bool) -> io::Result<()> {
    if on {
        execute!(terminal.backend_mut(), EnableMouseCapture)
    } else {
        execute!(terminal.backend_mut(), DisableMouseCapture)
    }
}

/// The bell and an OSC 9 desktop notification; never inside a frame.
pub fn notify(terminal: &mut Term, text: &str) -> io::Result<()> {
    let backend = terminal.backend_mut();
    write!(backend, "\x07\x1b]9;{}\x07", notification_text(text))?;
    backend.flush()
}
