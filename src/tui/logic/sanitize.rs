//! Every string that came from the API goes through [`sanitize`] before it
//! reaches the terminal, so a site named `ESC[2J` or carrying an OSC sequence
//! shows its escapes as text instead of driving the terminal.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every character that could control a terminal (C0 controls
/// incl. ESC and TAB, DEL, C1 controls) or reorder what is shown (bidi
/// overrides and isolates) replaced by a visible escape: `\x1b`, `\x7f`,
/// `\x9b`, `\u{202e}`. Text without such characters is borrowed unchanged.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            let code = u32::from(c);
            // Writing to a String cannot fail.
            let _ = if code <= 0xff {
                write!(out, "\\x{code:02x}")
            } else {
                write!(out, "\\u{{{code:04x}}}")
            };
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for a terminal notification (OSC 9 payload): sanitized, and without
/// the characters that would end the sequence early.
pub fn notification_text(text: &str) -> String {
    sanitize(text)
        .chars()
        .filter(|c| *c != ';')
        .take(200)
        .collect()
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Characters that reorder the text around them (Trojan Source, CVE-2021-42574).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed() {
        let text = "Salt & Pepper Brewery — café";
        assert!(matches!(sanitize(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(sanitize("ESC\x1b[2J"), "ESC\\x1b[2J");
        assert_eq!(sanitize("\x1b]0;pwned\x07site"), "\\x1b]0;pwned\\x07site");
        assert_eq!(sanitize("a\tb\nc\rd"), "a\\x09b\\x0ac\\x0dd");
    }

    #[test]
    fn del_and_c1_controls_are_escaped() {
        assert_eq!(sanitize("x\x7fy"), "x\\x7fy");
        // U+009B is the one-byte CSI: as dangerous as ESC [.
        assert_eq!(sanitize("a\u{9b}2Jb"), "a\\x9b2Jb");
        assert_eq!(sanitize("\u{85}"), "\\x85");
    }

    #[test]
    fn bidi_overrides_are_escaped() {
        assert_eq!(sanitize("abc\u{202e}fed"), "abc\\u{202e}fed");
    }

    #[test]
    fn no_control_character_survives() {
        let hostile: String = (0u32..0x200).filter_map(char::from_u32).collect();
        let clean = sanitize(&hostile);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean:?}");
    }

    #[test]
    fn notification_text_cannot_end_the_sequence() {
        let text = notification_text("down;\x07\x1b\\ now");
        assert!(!text.contains('\x07') && !text.contains('\x1b') && !text.contains(';'));
    }
}
