//! Runs effects: API reads in tokio tasks whose results come back as
//! messages, and the event stream. Only the newest request of a kind runs;
//! every request ends (answer, error or timeout), so no task is left stuck.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::msg::{Effect, Loaded, Msg, Request, RequestKind, TerminalEffect, WriteError, Wrote};
use crate::client::journal::{self, Outcome};
use crate::client::{Client, ClientConfig, ClientError, Journal, JournalWrite, StreamSettings};
use crate::model::{HEARTBEAT_EVERY, TimelineEntry};

/// The console's connect and request timeouts: short, so a dead or
/// black-holed API shows within seconds. The event stream's wait for
/// headers uses the request timeout too.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// How the console's client reaches the API.
pub fn client_config(urls: Vec<String>, token: Option<String>) -> ClientConfig {
    ClientConfig {
        connect_timeout: CONNECT_TIMEOUT,
        request_timeout: REQUEST_TIMEOUT,
        ..ClientConfig::new(urls, token)
    }
}

pub struct EffectRunner {
    client: Client,
    tx: UnboundedSender<Msg>,
    settings: StreamSettings,
    running: HashMap<RequestKind, JoinHandle<()>>,
    /// Forwards stream items; owns the stream, so aborting it stops the stream.
    stream: Option<JoinHandle<()>>,
    /// Timeline writes go to the journal's writer task when there is a
    /// journal: it appends (and fsyncs) off the UI task, one at a time, in
    /// the order they were made.
    journal: Option<UnboundedSender<JournalWrite>>,
    journal_writer: Option<JoinHandle<()>>,
    /// The servers the next latency read asks for.
    latency_of: Vec<String>,
    /// Wakes the task that sends the journal's pending writes.
    replay: Arc<Notify>,
    replayer: Option<JoinHandle<()>>,
    /// Writes (incidents, plans, actions) still running.
    writes: Vec<JoinHandle<()>>,
    /// This console in the room: its client id, the task that renews its
    /// presence, and the wake-up that renews it at once.
    presence: Option<PresenceTask>,
}

struct PresenceTask {
    client_id: String,
    beat_now: Arc<Notify>,
    task: JoinHandle<()>,
}

impl EffectRunner {
    /// Results are sent to `tx`. Must be used inside a tokio runtime.
    pub fn new(client: Client, tx: UnboundedSender<Msg>, settings: StreamSettings) -> EffectRunner {
        EffectRunner {
            client,
            tx,
            settings,
            running: HashMap::new(),
            stream: None,
            journal: None,
            journal_writer: None,
            latency_of: Vec::new(),
            replay: Arc::new(Notify::new()),
            replayer: None,
            writes: Vec::new(),
            presence: None,
        }
    }

    /// Report this console in the room as `client_id`: now, every
    /// [`HEARTBEAT_EVERY`], and at once on [`Effect::Heartbeat`]. A failed
    /// heartbeat is tried again at the next one; the console goes on.
    pub fn with_presence(mut self, client_id: String) -> EffectRunner {
        let beat_now = Arc::new(Notify::new());
        let task = tokio::spawn(heartbeat_loop(
            self.client.clone(),
            client_id.clone(),
            beat_now.clone(),
        ));
        self.presence = Some(PresenceTask {
            client_id,
            beat_now,
            task,
        });
        self
    }

    /// Say goodbye: stop the heartbeats and tell the API this console
    /// left, waiting at most `within` for its answer (an unanswered
    /// goodbye expires on the server after [`crate::model::PRESENCE_TTL`]).
    pub fn leave(&mut self, within: Duration) -> impl std::future::Future<Output = ()> + use<> {
        let presence = self.presence.take();
        let client = self.client.clone();
        async move {
            let Some(presence) = presence else {
                return;
            };
            presence.task.abort();
            let goodbye = client.presence_leave(&presence.client_id);
            match tokio::time::timeout(within, goodbye).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::debug!(%err, "the goodbye was refused"),
                Err(_) => tracing::debug!("no answer to the goodbye in time"),
            }
        }
    }

    /// Send timeline writes through the journal at `path`: each is fsynced
    /// there before it is shown as saved, and sent in order by one task,
    /// now or when the API is back. Reports the pending writes at once.
    pub fn with_journal(mut self, path: &std::path::Path) -> EffectRunner {
        match Journal::open(path) {
            Ok(journal) => {
                let pending = journal.pending().to_vec();
                let journal = Arc::new(Mutex::new(journal));
                self.replayer = Some(tokio::spawn(replay_loop(
                    self.client.clone(),
                    journal.clone(),
                    self.replay.clone(),
                    self.tx.clone(),
                )));
                let (writes, queue) = tokio::sync::mpsc::unbounded_channel();
                self.journal_writer = Some(tokio::spawn(journal_writer(
                    journal,
                    queue,
                    self.replay.clone(),
                    self.tx.clone(),
                )));
                self.journal = Some(writes);
                let _ = self.tx.send(Msg::Wrote(Wrote::Journal { pending }));
                self.replay.notify_one();
            }
            Err(error) => {
                // Without a journal, writes are sent directly and fail
                // visibly when the API is down; say why once.
                let _ = self.tx.send(Msg::Wrote(Wrote::JournalFailed {
                    error: error.to_string(),
                }));
            }
        }
        self
    }

    /// Run a network effect; terminal effects (`Notify`, `SetMouse`) are
    /// handed back for the event loop.
    pub fn run(&mut self, effect: Effect) -> Option<TerminalEffect> {
        match effect {
            Effect::Fetch(request) => {
                self.fetch(request);
                None
            }
            Effect::ChangeRole {
                incident_id,
                role,
                holder,
            } => {
                self.write(Wrote::Roles(Err(no_answer())), move |client| async move {
                    Wrote::Roles(
                        client
                            .change_role(incident_id, role, holder.as_deref())
                            .await
                            .map_err(refused),
                    )
                });
                None
            }
            Effect::Heartbeat => {
                if let Some(presence) = &self.presence {
                    presence.beat_now.notify_one();
                }
                None
            }
            Effect::FetchLatency(servers) => {
                self.latency_of = servers;
                self.fetch(Request::Latency);
                None
            }
            Effect::Subscribe { since } => {
                self.subscribe(since);
                None
            }
            Effect::ExportPostmortem {
                incident_id,
                time_zone,
                dir,
            } => {
                self.export(incident_id, time_zone, dir);
                None
            }
            Effect::Journal(write) => {
                self.journal_write(*write);
                None
            }
            Effect::Replay => {
                self.replay.notify_one();
                None
            }
            Effect::CreateIncident(new) => {
                let timed_out = Wrote::Incident {
                    created: true,
                    result: Err(NO_ANSWER.into()),
                };
                self.write(timed_out, move |client| async move {
                    let result = client
                        .create_incident(&new)
                        .await
                        .map_err(|e| e.to_string());
                    Wrote::Incident {
                        created: true,
                        result,
                    }
                });
                None
            }
            Effect::UpdateIncident {
                id,
                base_version,
                patch,
            } => {
                let timed_out = Wrote::Incident {
                    created: false,
                    result: Err(NO_ANSWER.into()),
                };
                self.write(timed_out, move |client| async move {
                    let result = client
                        .update_incident(id, base_version, &patch)
                        .await
                        .map_err(|e| e.to_string());
                    Wrote::Incident {
                        created: false,
                        result,
                    }
                });
                None
            }
            Effect::CreatePlan(request) => {
                self.write(Wrote::Plan(Err(no_answer())), move |client| async move {
                    Wrote::Plan(
                        client
                            .create_plan(&request)
                            .await
                            .map(Box::new)
                            .map_err(refused),
                    )
                });
                None
            }
            Effect::Undo(action_id) => {
                self.write(Wrote::Plan(Err(no_answer())), move |client| async move {
                    Wrote::Plan(
                        client
                            .undo_action(&action_id)
                            .await
                            .map(Box::new)
                            .map_err(refused),
                    )
                });
                None
            }
            Effect::Execute { plan, request, key } => {
                self.write(Wrote::Action(Err(no_answer())), move |client| async move {
                    Wrote::Action(
                        client
                            .execute_plan(&plan, &key, &request)
                            .await
                            .map(|w| Box::new(w.value))
                            .map_err(refused),
                    )
                });
                None
            }
            Effect::Abort(action_id) => {
                self.write(Wrote::Action(Err(no_answer())), move |client| async move {
                    Wrote::Action(
                        client
                            .abort_action(&action_id)
                            .await
                            .map(Box::new)
                            .map_err(refused),
                    )
                });
                None
            }
            Effect::AckAlert(id) => {
                let failed = Wrote::Alert {
                    done: "acknowledged",
                    result: Err(no_answer()),
                };
                self.write(failed, move |client| async move {
                    Wrote::Alert {
                        done: "acknowledged",
                        result: client.ack_alert(&id).await.map(Box::new).map_err(refused),
                    }
                });
                None
            }
            Effect::SilenceAlert { id, request } => {
                let failed = Wrote::Alert {
                    done: "silenced",
                    result: Err(no_answer()),
                };
                self.write(failed, move |client| async move {
                    Wrote::Alert {
                        done: "silenced",
                        result: client
                            .silence_alert(&id, &request)
                            .await
                            .map(Box::new)
                            .map_err(refused),
                    }
                });
                None
            }
            Effect::CommandAutopilot(verb) => {
                let failed = Wrote::Autopilot {
                    verb,
                    result: Err(no_answer()),
                };
                self.write(failed, move |client| async move {
                    Wrote::Autopilot {
                        verb,
                        result: client
                            .command_autopilot(verb)
                            .await
                            .map(Box::new)
                            .map_err(refused),
                    }
                });
                None
            }
            Effect::Notify { text } => Some(TerminalEffect::Notify(text)),
            Effect::SetMouse(on) => Some(TerminalEffect::SetMouse(on)),
        }
    }

    /// Requests and writes still running.
    pub fn in_flight(&self) -> usize {
        self.running
            .values()
            .chain(&self.writes)
            .filter(|task| !task.is_finished())
            .count()
    }

    /// Run one write in a task; its answer comes back as `Msg::Wrote`.
    /// Writes are not replaced by newer ones: each is a person's decision.
    /// `timed_out` is the answer when the backstop ends the call, so a
    /// screen waiting for it never waits forever.
    fn write<F, Fut>(&mut self, timed_out: Wrote, call: F)
    where
        F: FnOnce(Client) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Wrote> + Send,
    {
        self.writes.retain(|task| !task.is_finished());
        let client = self.client.clone();
        let tx = self.tx.clone();
        let deadline = backstop(&client);
        self.writes.push(tokio::spawn(async move {
            let wrote = tokio::time::timeout(deadline, call(client))
                .await
                .unwrap_or(timed_out);
            let _ = tx.send(Msg::Wrote(wrote));
        }));
    }

    /// Append to the journal (fsync) before anything says "saved", then
    /// wake the sender. Without a journal, send directly.
    fn journal_write(&mut self, write: JournalWrite) {
        match &self.journal {
            Some(writer) => {
                if let Err(unsent) = writer.send(write) {
                    // The writer is gone (the runner is ending): say so, so
                    // the draft comes back instead of being lost.
                    let _ = self.tx.send(Msg::Wrote(Wrote::JournalFailed {
                        error: format!(
                            "the journal is closed; write {} was not saved",
                            unsent.0.id
                        ),
                    }));
                }
            }
            None => {
                let timed_out = Wrote::EntryRejected {
                    write: Box::new(write.clone()),
                    error: NO_ANSWER.into(),
                };
                self.write(timed_out, move |client| async move {
                    match journal::send(&client, &write).await {
                        Ok(outcome) => outcome_msg(&write.id, outcome),
                        Err(error) => Wrote::EntryRejected {
                            write: Box::new(write),
                            error: error.to_string(),
                        },
                    }
                });
            }
        }
    }

    fn fetch(&mut self, request: Request) {
        if let Some(older) = self.running.remove(&request.kind()) {
            older.abort();
        }
        let client = self.client.clone();
        let tx = self.tx.clone();
        let servers = self.latency_of.clone();
        // The client's own timeouts end every call; this deadline is the
        // backstop that keeps a task from outliving them.
        let deadline = backstop(&client);
        let task = tokio::spawn(async move {
            let msg = match tokio::time::timeout(deadline, load(&client, request, &servers)).await {
                Ok(Ok(loaded)) => Msg::Loaded(loaded),
                Ok(Err(error)) => Msg::Failed {
                    request,
                    unreachable: error.is_unreachable(),
                    code: error.code(),
                    error: error.to_string(),
                },
                Err(_) => Msg::Failed {
                    request,
                    error: format!("no answer within {} s", deadline.as_secs()),
                    code: None,
                    unreachable: true,
                },
            };
            let _ = tx.send(msg);
        });
        self.running.insert(request.kind(), task);
    }

    /// The draft goes to `dir/incident-N.md`.
    fn export(&mut self, incident_id: i64, time_zone: String, dir: std::path::PathBuf) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = async {
                let text = client
                    .postmortem(incident_id, "md", Some(&time_zone))
                    .await
                    .map_err(|e| e.to_string())?;
                let path = dir.join(format!("incident-{incident_id}.md"));
                tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(&dir)?;
                    std::fs::write(&path, text)?;
                    Ok::<_, std::io::Error>(path)
                })
                .await
                .map_err(|e| e.to_string())?
                .map(|path| path.display().to_string())
                .map_err(|e| format!("cannot write the draft: {e}"))
            }
            .await;
            let _ = tx.send(Msg::Exported {
                incident_id,
                result,
            });
        });
    }

    fn subscribe(&mut self, since: Option<i64>) {
        if let Some(old) = self.stream.take() {
            old.abort();
        }
        let mut stream = self.client.events(since, self.settings);
        let tx = self.tx.clone();
        self.stream = Some(tokio::spawn(async move {
            while let Some(item) = stream.next().await {
                if tx.send(Msg::Stream(item)).is_err() {
                    return;
                }
            }
        }));
    }
}

impl Drop for EffectRunner {
    fn drop(&mut self) {
        for task in self.running.values().chain(&self.writes) {
            task.abort();
        }
        if let Some(replayer) = &self.replayer {
            replayer.abort();
        }
        if let Some(writer) = &self.journal_writer {
            writer.abort();
        }
        if let Some(forward) = &self.stream {
            forward.abort();
        }
        if let Some(presence) = &self.presence {
            presence.task.abort();
        }
    }
}

/// Renews this console's presence every [`HEARTBEAT_EVERY`], and at once
/// when woken. Each call ends by the client's timeouts.
async fn heartbeat_loop(client: Client, client_id: String, beat_now: Arc<Notify>) {
    let mut every = tokio::time::interval(HEARTBEAT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = beat_now.notified() => every.reset(),
        }
        if let Err(err) = client.presence_beat(&client_id).await {
            tracing::debug!(%err, "presence heartbeat failed; trying again at the next");
        }
    }
}

async fn load(
    client: &Client,
    request: Request,
    servers: &[String],
) -> Result<Loaded, ClientError> {
    Ok(match request {
        Request::Topology => Loaded::Topology(Box::new(client.topology().await?)),
        Request::Alerts => Loaded::Alerts(client.alerts().await?.alerts),
        Request::Incidents => Loaded::Incidents(client.incidents(None).await?),
        Request::Timeline(id) => Loaded::Timeline(client.timeline(id).await?),
        Request::Sim => Loaded::Sim(Box::new(client.sim_status().await?)),
        Request::Actions => Loaded::Actions(client.actions(None).await?),
        Request::Latency => Loaded::Latency(client.latency(servers).await?.latency_ms),
        Request::Role => Loaded::Role(client.whoami().await?.role),
        Request::Presence => Loaded::Presence(client.presence().await?.consoles),
        Request::Roles(id) => Loaded::Roles(client.incident_roles(id).await?),
        Request::Downtime(id) => Loaded::Downtime(client.incident_downtime(id).await?),
        Request::Recommendations => {
            Loaded::Recommendations(absent_on_404(client.recommendations().await)?)
        }
        Request::Autopilot => {
            Loaded::Autopilot(absent_on_404(client.autopilot().await)?.map(Box::new))
        }
    })
}

/// A route an older orchestrator does not have answers 404: that is not
/// an error to show, only something this API does not offer.
fn absent_on_404<T>(result: Result<T, ClientError>) -> Result<Option<T>, ClientError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.status() == Some(404) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The longest a call may take: the client's own timeouts end every call
/// first; this keeps a task from outliving them.
fn backstop(client: &Client) -> Duration {
    let config = client.config();
    let per_url = config.connect_timeout + config.request_timeout;
    per_url * u32::try_from(config.urls.len()).unwrap_or(1).max(1) + Duration::from_secs(1)
}

const NO_ANSWER: &str = "no answer from the API in time";

/// A write the backstop ended: nothing is known to have happened, so the
/// screen offers the same retry as for an unreachable API.
fn no_answer() -> WriteError {
    WriteError {
        status: None,
        code: None,
        message: NO_ANSWER.into(),
    }
}

fn refused(error: ClientError) -> WriteError {
    WriteError {
        status: error.status(),
        code: error.code(),
        message: error.to_string(),
    }
}

fn outcome_msg(write_id: &str, outcome: Outcome) -> Wrote {
    match outcome {
        Outcome::Sent(entry) => Wrote::EntrySent {
            write_id: write_id.to_string(),
            entry: Box::new(entry),
        },
        Outcome::Conflict { write, current } => {
            match serde_json::from_value::<TimelineEntry>(current) {
                Ok(current) => Wrote::EntryConflict {
                    write: Box::new(write),
                    current: Box::new(current),
                },
                Err(e) => Wrote::EntryRejected {
                    write: Box::new(write),
                    error: format!("the entry changed, and its new version could not be read: {e}"),
                },
            }
        }
        Outcome::Rejected { write, error } => Wrote::EntryRejected {
            write: Box::new(write),
            error: error.to_string(),
        },
    }
}

/// Append each write to the journal, in order, on the blocking pool (the
/// append fsyncs), then report the pending writes and wake the sender. A
/// failed append is reported, so the draft comes back to the editor.
async fn journal_writer(
    journal: Arc<Mutex<Journal>>,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<JournalWrite>,
    replay: Arc<Notify>,
    tx: UnboundedSender<Msg>,
) {
    while let Some(write) = queue.recv().await {
        let journal = journal.clone();
        let appended = tokio::task::spawn_blocking(move || {
            let mut journal = journal.lock().unwrap_or_else(|p| p.into_inner());
            journal.append(write).map(|()| journal.pending().to_vec())
        })
        .await;
        let msg = match appended {
            Ok(Ok(pending)) => {
                replay.notify_one();
                Wrote::Journal { pending }
            }
            Ok(Err(error)) => Wrote::JournalFailed {
                error: error.to_string(),
            },
            Err(error) => Wrote::JournalFailed {
                error: format!("the journal writer stopped: {error}"),
            },
        };
        if tx.send(Msg::Wrote(msg)).is_err() {
            return;
        }
    }
}

/// Send the journal's pending writes in order whenever woken; stop at the
/// first that cannot reach the API (order matters) and wait to be woken
/// again. Every settled write is marked done in the journal before it is
/// reported.
async fn replay_loop(
    client: Client,
    journal: Arc<Mutex<Journal>>,
    wake: Arc<Notify>,
    tx: UnboundedSender<Msg>,
) {
    loop {
        wake.notified().await;
        loop {
            let next = {
                let j = journal.lock().unwrap_or_else(|p| p.into_inner());
                j.pending().first().cloned()
            };
            let Some(write) = next else { break };
            let deadline = backstop(&client);
            let sent = tokio::time::timeout(deadline, journal::send(&client, &write)).await;
            let outcome = match sent {
                Ok(Ok(outcome)) => outcome,
                // Unreachable or too slow: it stays pending.
                Ok(Err(_)) | Err(_) => break,
            };
            let done = {
                let mut j = journal.lock().unwrap_or_else(|p| p.into_inner());
                j.mark_done(&write.id).map(|()| j.pending().to_vec())
            };
            match done {
                Ok(pending) => {
                    let _ = tx.send(Msg::Wrote(outcome_msg(&write.id, outcome)));
                    let _ = tx.send(Msg::Wrote(Wrote::Journal { pending }));
                }
                Err(error) => {
                    let _ = tx.send(Msg::Wrote(Wrote::JournalFailed {
                        error: error.to_string(),
                    }));
                    break;
                }
            }
        }
        let pending = {
            let j = journal.lock().unwrap_or_else(|p| p.into_inner());
            j.pending().to_vec()
        };
        if tx.send(Msg::Wrote(Wrote::Journal { pending })).is_err() {
            return;
        }
    }
}
