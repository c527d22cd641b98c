//! What flows into `update` (messages) and out of it (effects).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::client::StreamItem;
use crate::model::{Alert, Incident, SimStatus, Timeline, Topology};

/// Something that happened: input, time, or an answer from the API.
#[derive(Debug, Clone)]
pub enum Msg {
    /// The console starts: subscribe and load everything.
    Start,
    /// The wall clock, once a second.
    Tick(DateTime<Utc>),
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The process was asked to end (SIGTERM, SIGHUP).
    Terminate,
    /// From the event stream.
    Stream(StreamItem),
    Loaded(Loaded),
    /// A postmortem draft was written to `Ok(path)`, or could not be (`Err`).
    Exported {
        incident_id: i64,
        result: Result<String, String>,
    },
    /// A request failed (or timed out); `unreachable` when no API answered.
    Failed {
        request: Request,
        error: String,
        unreachable: bool,
    },
}

/// A successful answer to a [`Request`].
#[derive(Debug, Clone)]
pub enum Loaded {
    Topology(Box<Topology>),
    Alerts(Vec<Alert>),
    Incidents(Vec<Incident>),
    Timeline(Timeline),
    Sim(Box<SimStatus>),
}

/// A read the console makes. Only the newest request of a kind runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Request {
    Topology,
    Alerts,
    Incidents,
    Timeline(i64),
    Sim,
}

impl Request {
    /// Requests of one kind replace each other (`Timeline` of any incident is one kind).
    pub fn kind(self) -> RequestKind {
        match self {
            Request::Topology => RequestKind::Topology,
            Request::Alerts => RequestKind::Alerts,
            Request::Incidents => RequestKind::Incidents,
            Request::Timeline(_) => RequestKind::Timeline,
            Request::Sim => RequestKind::Sim,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Request::Topology => "topology",
            Request::Alerts => "alerts",
            Request::Incidents => "incidents",
            Request::Timeline(_) => "timeline",
            Request::Sim => "simulator status",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    Topology,
    Alerts,
    Incidents,
    Timeline,
    Sim,
}

/// Work `update` asks for; the event loop runs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Fetch(Request),
    /// (Re)start the event stream from `since`.
    Subscribe {
        since: Option<i64>,
    },
    /// Ring the bell and post an OSC 9 notification (written outside the draw).
    Notify {
        text: String,
    },
    /// Turn mouse capture on or off.
    SetMouse(bool),
    /// Fetch the incident's postmortem draft and write it to a file.
    ExportPostmortem {
        incident_id: i64,
        time_zone: String,
        dir: std::path::PathBuf,
    },
}
