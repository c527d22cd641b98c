//! Reading a status-page style incident report (DESIGN.md §6) back into data.
//!
//! The grammar, line by line (blank lines between blocks are allowed):
//!
//! ```text
//! <title>
//! Incident Report for <service>
//! [Postmortem
//!  <text, any lines>
//!  Posted <Mon DD, YYYY - HH:MM> UTC]          the postmortem part, optional
//! (<status>                                     Investigating | Identified | Update |
//!  <body, any lines, possibly none>              Monitoring | Resolved
//!  Posted <Mon DD, YYYY - HH:MM> UTC)*          newest first
//! [This incident affected: <name>, <name>.]
//! ```
//!
//! The postmortem text ends at the first `Posted` line followed by a status,
//! the `This incident affected` line or the end; an update's body ends at the
//! first `Posted … UTC` line.

use std::fmt;

use serde::Serialize;

use crate::model::{Timestamp, UpdateStatus};

use super::clock::{looks_like_posted_line, parse_posted_line};

/// A report read by [`parse_report`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedReport {
    pub title: String,
    pub service: String,
    pub postmortem: Option<ImportedPostmortem>,
    /// In file order: newest first.
    pub updates: Vec<ImportedUpdate>,
    pub components: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedPostmortem {
    /// The lines between `Postmortem` and its `Posted` line, without the blank
    /// lines that open and close it.
    pub body_text: String,
    pub posted_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedUpdate {
    pub status: UpdateStatus,
    /// The lines between the status and its `Posted` line, exactly.
    pub body: String,
    pub posted_at: Timestamp,
}

/// Why a report could not be read: where, what was expected, what was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based; one past the last line when the report ended too early.
    pub line: usize,
    pub expected: String,
    /// The offending line (shortened), or `end of report`.
    pub found: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: expected {}, found {}",
            self.line, self.expected, self.found
        )
    }
}

impl std::error::Error for ImportError {}

const STATUS_EXPECTED: &str =
    "a status line (Investigating, Identified, Update, Monitoring or Resolved)";
const POSTED_EXPECTED: &str = "`Posted <Mon DD, YYYY - HH:MM> UTC`";
const AFFECTED_PREFIX: &str = "This incident affected:";
const REPORT_PREFIX: &str = "Incident Report for ";
const END_OF_REPORT: &str = "end of report";

/// Reads a report. Never panics; malformed input gives the line and what was
/// expected there.
pub fn parse_report(text: &str) -> Result<ImportedReport, ImportError> {
    Parser {
        lines: text.lines().collect(),
        pos: 0,
    }
    .report()
}

/// The status a status-line names (any case, surrounding blanks ignored).
pub fn parse_status(line: &str) -> Option<UpdateStatus> {
    let word = line.trim();
    [
        ("investigating", UpdateStatus::Investigating),
        ("identified", UpdateStatus::Identified),
        ("update", UpdateStatus::Update),
        ("monitoring", UpdateStatus::Monitoring),
        ("resolved", UpdateStatus::Resolved),
    ]
    .into_iter()
    .find(|(name, _)| word.eq_ignore_ascii_case(name))
    .map(|(_, status)| status)
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    /// Index of the next line to read.
    pos: usize,
}

impl<'a> Parser<'a> {
    fn report(mut self) -> Result<ImportedReport, ImportError> {
        self.skip_blank();
        let title = match self.current() {
            Some(line) => line.trim().to_string(),
            None => return Err(self.error("the incident title")),
        };
        self.pos += 1;
        self.skip_blank();
        let service = self
            .current()
            .and_then(|line| line.trim().strip_prefix(REPORT_PREFIX))
            .map(str::trim)
            .filter(|service| !service.is_empty())
            .ok_or_else(|| self.error("`Incident Report for <service>`"))?
            .to_string();
        self.pos += 1;
        self.skip_blank();

        let postmortem = if self.current().is_some_and(|l| l.trim() == "Postmortem") {
            self.pos += 1;
            Some(self.postmortem()?)
        } else {
            None
        };

        let mut updates = Vec::new();
        let mut components = Vec::new();
        loop {
            self.skip_blank();
            let Some(line) = self.current() else { break };
            if let Some(names) = line.trim().strip_prefix(AFFECTED_PREFIX) {
                components = self.components(names)?;
                self.pos += 1;
                self.skip_blank();
                if self.current().is_some() {
                    return Err(self.error("the end of the report after `This incident affected`"));
                }
                break;
            }
            let Some(status) = parse_status(line) else {
                let expected = if updates.is_empty() && postmortem.is_none() {
                    format!("`Postmortem` or {STATUS_EXPECTED}")
                } else {
                    format!("{STATUS_EXPECTED} or `{AFFECTED_PREFIX} …`")
                };
                return Err(self.error(&expected));
            };
            self.pos += 1;
            updates.push(self.update(status)?);
        }

        if updates.is_empty() && postmortem.is_none() {
            return Err(self.error(&format!("`Postmortem` or {STATUS_EXPECTED}")));
        }
        Ok(ImportedReport {
            title,
            service,
            postmortem,
            updates,
            components,
        })
    }

    /// From the line after `Postmortem` through its `Posted` line.
    fn postmortem(&mut self) -> Result<ImportedPostmortem, ImportError> {
        let start = self.pos;
        for index in start..self.lines.len() {
            let Some(posted_at) = parse_posted_line(self.lines[index]) else {
                continue;
            };
            let next = self.lines[index + 1..]
                .iter()
                .find(|l| !l.trim().is_empty());
            let closes = next
                .is_none_or(|l| parse_status(l).is_some() || l.trim().starts_with(AFFECTED_PREFIX));
            if closes {
                let body = &self.lines[start..index];
                let first = body.iter().position(|l| !l.trim().is_empty());
                let last = body.iter().rposition(|l| !l.trim().is_empty());
                let body_text = match (first, last) {
                    (Some(first), Some(last)) => body[first..=last].join("\n"),
                    _ => String::new(),
                };
                self.pos = index + 1;
                return Ok(ImportedPostmortem {
                    body_text,
                    posted_at,
                });
            }
        }
        self.pos = self.lines.len();
        Err(self.error(&format!("{POSTED_EXPECTED} closing the postmortem")))
    }

    /// From the line after the status line through its `Posted` line.
    fn update(&mut self, status: UpdateStatus) -> Result<ImportedUpdate, ImportError> {
        let body_start = self.pos;
        // 1-based number of the status line, just before the body.
        let status_line = body_start;
        while let Some(line) = self.current() {
            if looks_like_posted_line(line) {
                let posted_at =
                    parse_posted_line(line).ok_or_else(|| self.error(POSTED_EXPECTED))?;
                let body = self.lines[body_start..self.pos].join("\n");
                self.pos += 1;
                return Ok(ImportedUpdate {
                    status,
                    body,
                    posted_at,
                });
            }
            self.pos += 1;
        }
        Err(self.error(&format!(
            "{POSTED_EXPECTED} ending the update that starts on line {status_line}"
        )))
    }

    fn components(&self, names: &str) -> Result<Vec<String>, ImportError> {
        let names = names.trim();
        let names = names.strip_suffix('.').unwrap_or(names);
        let components: Vec<String> = names.split(", ").map(|n| n.trim().to_string()).collect();
        if components.iter().any(String::is_empty) {
            return Err(self.error("`This incident affected: <name>, <name>.`"));
        }
        Ok(components)
    }

    fn current(&self) -> Option<&'a str> {
        self.lines.get(self.pos).copied()
    }

    fn skip_blank(&mut self) {
        while self.current().is_some_and(|l| l.trim().is_empty()) {
            self.pos += 1;
        }
    }

    fn error(&self, expected: &str) -> ImportError {
        ImportError {
            line: self.pos + 1,
            expected: expected.to_string(),
            found: match self.current() {
                Some(line) => shortened(line),
                None => END_OF_REPORT.to_string(),
            },
        }
    }
}

fn shortened(line: &str) -> String {
    const MAX_CHARS: usize = 60;
    let mut text: String = line.chars().take(MAX_CHARS).collect();
    if line.chars().count() > MAX_CHARS {
        text.push('…');
    }
    format!("{text:?}")
}
