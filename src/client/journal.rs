//! The offline journal: every timeline write the console makes is appended
//! here and fsynced before it is shown as saved, then sent; when the API is
//! unreachable it stays pending and is replayed in order — also after the
//! console restarts — with its Idempotency-Key, so nothing is lost and
//! nothing is posted twice.
//!
//! The file is append-only JSON lines: `write` records, then `done` records
//! naming the writes that reached the API. It is compacted (rewritten with
//! only the pending writes) atomically when nothing is pending.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Client, ClientError};
use crate::model::{EntryPatch, NewEntry, TimelineEntry, Timestamp};

/// One write the console made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalWrite {
    /// Unique; also the Idempotency-Key of a create.
    pub id: String,
    pub incident_id: i64,
    /// When the user wrote it (on the API's clock as the console knows it):
    /// a new entry that was not back-dated occurred then, however late it
    /// reaches the API.
    pub made_at: Timestamp,
    pub op: WriteOp,
}

/// The entry a create sends: `occurred_at` is the back-dated time the user
/// gave, else the moment it was written (`made_at`) — never the moment it was
/// delivered, which after an outage of the API may be much later. The
/// server still sets `recorded_at` to when it received it. Every retry sends
/// the same time, so the Idempotency-Key still matches.
pub fn written_at(entry: &NewEntry, made_at: Timestamp) -> NewEntry {
    NewEntry {
        occurred_at: Some(entry.occurred_at.unwrap_or(made_at)),
        ..entry.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum WriteOp {
    CreateEntry {
        entry: NewEntry,
    },
    UpdateEntry {
        entry_id: i64,
        base_version: i64,
        patch: EntryPatch,
    },
    DeleteEntry {
        entry_id: i64,
        base_version: i64,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum Record {
    Write(JournalWrite),
    Done { id: String },
}

/// What became of one replayed write.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent(TimelineEntry),
    /// The entry changed on the server since the edit was made: the user
    /// decides (keep theirs, take the server's, or merge).
    Conflict {
        write: JournalWrite,
        current: serde_json::Value,
    },
    /// The API refused the write for good (e.g. the incident is gone).
    Rejected {
        write: JournalWrite,
        error: ClientError,
    },
}

#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    pending: Vec<JournalWrite>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("journal {path} line {line}: {problem}")]
    Corrupt {
        path: String,
        line: usize,
        problem: String,
    },
}

impl Journal {
    /// The journal for one API (its first URL), in `dir`.
    pub fn path_for(dir: &Path, api_url: &str) -> PathBuf {
        // FNV-1a: a stable, dependency-free name per API.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in api_url.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        dir.join(format!("journal-{hash:016x}.jsonl"))
    }

    /// Open (creating if missing) and load the pending writes. A torn last
    /// line (a crash mid-append, before fsync returned) is dropped: it was
    /// never shown as saved. Any other bad line is an error, never skipped.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let io = |source| JournalError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut pending: Vec<JournalWrite> = Vec::new();
        if path.exists() {
            let reader = BufReader::new(File::open(path).map_err(io)?);
            let lines: Vec<String> = reader.lines().collect::<Result<_, _>>().map_err(io)?;
            let last = lines.len();
            for (i, line) in lines.iter().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Record>(line) {
                    Ok(Record::Write(w)) => pending.push(w),
                    Ok(Record::Done { id }) => pending.retain(|w| w.id != id),
                    Err(_) if i + 1 == last => {
                        tracing::warn!(path = %path.display(), "dropping a torn last journal line");
                    }
                    Err(e) => {
                        return Err(JournalError::Corrupt {
                            path: path.display().to_string(),
                            line: i + 1,
                            problem: e.to_string(),
                        });
                    }
                }
            }
        }
        let mut journal = Journal {
            path: path.to_path_buf(),
            file: OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(io)?,
            pending,
        };
        journal.compact_if_idle()?;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes not yet known to have reached the API, oldest first.
    pub fn pending(&self) -> &[JournalWrite] {
        &self.pending
    }

    /// Append a write and fsync; only then may the console show it as saved.
    pub fn append(&mut self, write: JournalWrite) -> Result<(), JournalError> {
        self.append_record(&Record::Write(write.clone()))?;
        self.pending.push(write);
        Ok(())
    }

    /// Record that a write reached the API (or was settled by the user).
    pub fn mark_done(&mut self, id: &str) -> Result<(), JournalError> {
        self.append_record(&Record::Done { id: id.to_string() })?;
        self.pending.retain(|w| w.id != id);
        self.compact_if_idle()
    }

    fn append_record(&mut self, record: &Record) -> Result<(), JournalError> {
        let io = |source| JournalError::Io {
            path: self.path.display().to_string(),
            source,
        };
        let mut line = serde_json::to_string(record).map_err(|e| JournalError::Corrupt {
            path: self.path.display().to_string(),
            line: 0,
            problem: e.to_string(),
        })?;
        line.push('\n');
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)
    }

    /// With nothing pending, start a fresh empty file (atomically).
    fn compact_if_idle(&mut self) -> Result<(), JournalError> {
        if !self.pending.is_empty() {
            return Ok(());
        }
        let len = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        if len == 0 {
            return Ok(());
        }
        let io = |source| JournalError::Io {
            path: self.path.display().to_string(),
            source,
        };
        let tmp = self.path.with_extension("jsonl.tmp");
        File::create(&tmp).and_then(|f| f.sync_all()).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent()
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        self.file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        Ok(())
    }
}

/// Send one journaled write. `Err` means the API is unreachable: keep it
/// pending and stop replaying (order matters).
pub async fn send(client: &Client, write: &JournalWrite) -> Result<Outcome, ClientError> {
    let result = match &write.op {
        WriteOp::CreateEntry { entry } => {
            let entry = written_at(entry, write.made_at);
            client
                .create_entry(write.incident_id, &entry, Some(&write.id))
                .await
                .map(|w| w.value)
        }
        WriteOp::UpdateEntry {
            entry_id,
            base_version,
            patch,
        } => {
            client
                .update_entry(write.incident_id, *entry_id, *base_version, patch)
                .await
        }
        WriteOp::DeleteEntry {
            entry_id,
            base_version,
        } => {
            client
                .delete_entry(write.incident_id, *entry_id, *base_version)
                .await
        }
    };
    match result {
        Ok(entry) => Ok(Outcome::Sent(entry)),
        Err(err) if err.is_unreachable() => Err(err),
        Err(ClientError::Conflict { current, .. }) => Ok(Outcome::Conflict {
            write: write.clone(),
            current,
        }),
        // A 5xx may be passing; keep the write and try again later.
        Err(ClientError::Api { status, .. }) if status >= 500 => Err(ClientError::Unreachable(
            format!("{} (answered {status})", client.active_url()),
        )),
        Err(error) => Ok(Outcome::Rejected {
            write: write.clone(),
            error,
        }),
    }
}

/// Replay every pending write in order until one cannot reach the API.
/// Settled writes (sent, conflicting, rejected) are marked done; the
/// outcomes tell the console what to show.
pub async fn replay(
    client: &Client,
    journal: &std::sync::Mutex<Journal>,
) -> Result<Vec<Outcome>, ReplayStop> {
    let mut outcomes = Vec::new();
    loop {
        let next = {
            let j = journal.lock().unwrap_or_else(|p| p.into_inner());
            j.pending().first().cloned()
        };
        let Some(write) = next else {
            return Ok(outcomes);
        };
        match send(client, &write).await {
            Ok(outcome) => {
                let mut j = journal.lock().unwrap_or_else(|p| p.into_inner());
                j.mark_done(&write.id).map_err(ReplayStop::Journal)?;
                outcomes.push(outcome);
            }
            Err(error) => return Err(ReplayStop::Unreachable { error, outcomes }),
        }
    }
}

#[derive(Debug)]
pub enum ReplayStop {
    /// The API is unreachable; `outcomes` are the writes settled before that.
    Unreachable {
        error: ClientError,
        outcomes: Vec<Outcome>,
    },
    Journal(JournalError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntryKind;

    fn note(i: usize) -> JournalWrite {
        JournalWrite {
            id: format!("w{i}"),
            incident_id: 1,
            made_at: chrono::Utc::now(),
            op: WriteOp::CreateEntry {
                entry: NewEntry {
                    kind: EntryKind::Note,
                    status: None,
                    visibility: None,
                    body: format!("note {i}\nsecond line"),
                    occurred_at: None,
                    starred: false,
                    marker: None,
                    source: None,
                },
            },
        }
    }

    #[test]
    fn pending_writes_survive_reopen_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        {
            let mut j = Journal::open(&path).unwrap();
            for i in 0..5 {
                j.append(note(i)).unwrap();
            }
            j.mark_done("w1").unwrap();
        }
        let j = Journal::open(&path).unwrap();
        let ids: Vec<&str> = j.pending().iter().map(|w| w.id.as_str()).collect();
        assert_eq!(ids, ["w0", "w2", "w3", "w4"]);
    }

    #[test]
    fn a_torn_last_line_is_dropped_but_a_bad_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        {
            let mut j = Journal::open(&path).unwrap();
            j.append(note(0)).unwrap();
        }
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"record\":\"wri");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(Journal::open(&path).unwrap().pending().len(), 1);

        let bad = format!("garbage\n{text}\n");
        std::fs::write(&path, bad).unwrap();
        let err = Journal::open(&path).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn the_file_is_compacted_when_nothing_is_pending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = Journal::open(&path).unwrap();
        j.append(note(0)).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
        j.mark_done("w0").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        j.append(note(1)).unwrap();
        drop(j);
        assert_eq!(Journal::open(&path).unwrap().pending().len(), 1);
    }
}
