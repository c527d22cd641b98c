//! Runs effects: API reads in tokio tasks whose results come back as
//! messages, and the event stream. Only the newest request of a kind runs;
//! every request ends (answer, error or timeout), so no task is left stuck.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::msg::{Effect, Loaded, Msg, Request, RequestKind};
use crate::client::{Client, ClientConfig, ClientError, StreamSettings};
use crate::model::IncidentState;

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
        }
    }

    /// Run a network effect; terminal effects (`Notify`, `SetMouse`) are
    /// handed back for the event loop.
    pub fn run(&mut self, effect: Effect) -> Option<Effect> {
        match effect {
            Effect::Fetch(request) => {
                self.fetch(request);
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
            other => Some(other),
        }
    }

    /// Requests still running.
    pub fn in_flight(&self) -> usize {
        self.running
            .values()
            .filter(|task| !task.is_finished())
            .count()
    }

    fn fetch(&mut self, request: Request) {
        if let Some(older) = self.running.remove(&request.kind()) {
            older.abort();
        }
        let client = self.client.clone();
        let tx = self.tx.clone();
        // The client's own timeouts end every call; this deadline is the
        // backstop that keeps a task from outliving them.
        let config = client.config();
        let per_url = config.connect_timeout + config.request_timeout;
        let deadline =
            per_url * u32::try_from(config.urls.len()).unwrap_or(1).max(1) + Duration::from_secs(1);
        let task = tokio::spawn(async move {
            let msg = match tokio::time::timeout(deadline, load(&client, request)).await {
                Ok(Ok(loaded)) => Msg::Loaded(loaded),
                Ok(Err(error)) => Msg::Failed {
                    request,
                    unreachable: error.is_unreachable(),
                    error: error.to_string(),
                },
                Err(_) => Msg::Failed {
                    request,
                    error: format!("no answer within {} s", deadline.as_secs()),
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
        for task in self.running.values() {
            task.abort();
        }
        if let Some(forward) = &self.stream {
            forward.abort();
        }
    }
}

async fn load(client: &Client, request: Request) -> Result<Loaded, ClientError> {
    Ok(match request {
        Request::Topology => Loaded::Topology(Box::new(client.topology().await?)),
        Request::Alerts => Loaded::Alerts(client.alerts().await?.alerts),
        Request::Incidents => Loaded::Incidents(client.incidents(Some(IncidentState::Open)).await?),
        Request::Timeline(id) => Loaded::Timeline(client.timeline(id).await?),
        Request::Sim => Loaded::Sim(Box::new(client.sim_status().await?)),
    })
}
