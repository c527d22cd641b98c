//! Short, secret-free failure messages for probe outcomes.

use std::io;
use std::time::Duration;

use crate::model::ProbeOutcome;

/// Longest cause text a failure message quotes.
const MAX_CAUSE_CHARS: usize = 100;

/// The failure of a probe that ran out of time.
pub(super) fn timed_out(timeout: Duration) -> ProbeOutcome {
    ProbeOutcome::failed(format!("timed out after {} ms", timeout.as_millis()))
}

/// A failure from an I/O error of a connection attempt. Known kinds get a
/// fixed phrase; others quote the operating system's message, which names
/// neither host nor URL.
pub(super) fn from_io(error: &io::Error, timeout: Duration) -> ProbeOutcome {
    if error.kind() == io::ErrorKind::TimedOut {
        return timed_out(timeout);
    }
    match known_io_phrase(error.kind()) {
        Some(phrase) => ProbeOutcome::failed(phrase),
        None => ProbeOutcome::failed(format!("connect failed: {}", one_line(&error.to_string()))),
    }
}

/// A fixed phrase for the I/O error kinds a probe commonly meets.
pub(super) fn known_io_phrase(kind: io::ErrorKind) -> Option<&'static str> {
    use io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset",
        K::ConnectionAborted => "connection aborted",
        K::BrokenPipe | K::UnexpectedEof => "connection closed",
        K::HostUnreachable => "host unreachable",
        K::NetworkUnreachable => "network unreachable",
        K::AddrNotAvailable => "address not available",
        K::PermissionDenied => "permission denied",
        _ => return None,
    })
}

/// `text` on one line, without control characters, at most
/// [`MAX_CAUSE_CHARS`] characters long: safe to show in a table cell or a
/// terminal.
pub(super) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CAUSE_CHARS + 3));
    let mut last_was_space = true;
    for ch in text.chars() {
        let ch = if ch.is_control() || ch.is_whitespace() {
            ' '
        } else {
            ch
        };
        if ch == ' ' && last_was_space {
            continue;
        }
        last_was_space = ch == ' ';
        if out.chars().count() == MAX_CAUSE_CHARS {
            out.push('…');
            return out;
        }
        out.push(ch);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_and_timed_out_io_errors_get_fixed_phrases() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            from_io(&refused, Duration::from_secs(2)).error.as_deref(),
            Some("connection refused")
        );
        let timed_out = io::Error::from(io::ErrorKind::TimedOut);
        assert_eq!(
            from_io(&timed_out, Duration::from_millis(2000))
                .error
                .as_deref(),
            Some("timed out after 2000 ms")
        );
    }

    #[test]
    fn other_io_errors_quote_the_cause_on_one_line() {
        let odd = io::Error::other("weird\nthing\u{1b}[31m happened");
        let outcome = from_io(&odd, Duration::from_secs(1));
        assert!(!outcome.ok);
        assert_eq!(
            outcome.error.as_deref(),
            Some("connect failed: weird thing [31m happened")
        );
    }

    #[test]
    fn long_causes_are_cut() {
        let long = "x".repeat(500);
        let cut = one_line(&long);
        assert_eq!(cut.chars().count(), MAX_CAUSE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
