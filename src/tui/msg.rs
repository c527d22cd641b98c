//! What flows into `update` (messages) and out of it (effects).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::client::{JournalWrite, StreamItem};
use crate::model::{
    Action, Alert, AutopilotStatus, AutopilotVerb, ExecuteRequest, Incident, IncidentPatch,
    NewIncident, Plan, PlanRequest, Recommendations, SimStatus, Timeline, TimelineEntry, Topology,
};

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
    /// The answer to a write the console asked for (see [`Effect`]).
    Wrote(Wrote),
    /// A request failed (or timed out); `unreachable` when no API answered.
    Failed {
        request: Request,
        error: String,
        /// The API's error code, when it answered with one.
        code: Option<crate::model::ErrorCode>,
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
    Actions(Vec<Action>),
    /// The token's role.
    Role(crate::model::AccessRole),
    /// The consoles connected now.
    Presence(Vec<crate::model::Presence>),
    /// Who holds the followed incident's roles.
    Roles(crate::model::IncidentRoles),
    /// Each site's downtime within the followed incident, from the store.
    Downtime(crate::model::IncidentDowntime),
    /// The latency of the servers on screen, for the sparklines.
    Latency(std::collections::BTreeMap<String, Option<f64>>),
    /// The plans the orchestrator recommends now, best first; `None` when
    /// it has no such route (an older orchestrator answers 404).
    Recommendations(Option<Recommendations>),
    /// What the autopilot is doing; `None` when the orchestrator has none (404).
    Autopilot(Option<Box<AutopilotStatus>>),
}

/// What became of a write. Errors are the API's message, ready to show.
#[derive(Debug, Clone)]
pub enum Wrote {
    /// An incident was created (`created`) or changed.
    Incident {
        created: bool,
        result: Result<Incident, String>,
    },
    /// The journal as it stands: the writes not yet acknowledged by the
    /// API, oldest first. Sent after every append and replay.
    Journal { pending: Vec<JournalWrite> },
    /// A journaled write could not be appended: it is NOT saved.
    JournalFailed { error: String },
    /// A journaled write reached the API.
    EntrySent {
        write_id: String,
        entry: Box<TimelineEntry>,
    },
    /// A journaled edit was based on an old version: the entry as it is now.
    EntryConflict {
        write: Box<JournalWrite>,
        current: Box<TimelineEntry>,
    },
    /// The API refused a journaled write for good.
    EntryRejected {
        write: Box<JournalWrite>,
        error: String,
    },
    /// A plan was made (for `POST /v1/plans` or an undo).
    Plan(Result<Box<Plan>, WriteError>),
    /// An action was started (execute) or aborted.
    Action(Result<Box<Action>, WriteError>),
    /// An incident role changed hands (the roles after it).
    Roles(Result<crate::model::IncidentRoles, WriteError>),
    /// An alert was acknowledged or silenced (`done` says which).
    Alert {
        done: &'static str,
        result: Result<Box<Alert>, WriteError>,
    },
    /// The autopilot was paused or resumed (`verb`): its status after it.
    Autopilot {
        verb: AutopilotVerb,
        result: Result<Box<AutopilotStatus>, WriteError>,
    },
}

/// A refused write: the HTTP status (none when no API answered), the
/// error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError {
    pub status: Option<u16>,
    pub code: Option<crate::model::ErrorCode>,
    pub message: String,
}

/// A read the console makes. Only the newest request of a kind runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Request {
    Topology,
    Alerts,
    Incidents,
    Timeline(i64),
    Sim,
    /// The actions, newest first.
    Actions,
    /// The token's role.
    Role,
    /// Who is in the room.
    Presence,
    /// Who holds an incident's roles.
    Roles(i64),
    /// Each site's downtime within an incident.
    Downtime(i64),
    /// The latency of the servers on screen (the ids travel with
    /// [`Effect::FetchLatency`]).
    Latency,
    /// The plans the orchestrator recommends now.
    Recommendations,
    /// The autopilot's status.
    Autopilot,
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
            Request::Actions => RequestKind::Actions,
            Request::Role => RequestKind::Role,
            Request::Presence => RequestKind::Presence,
            Request::Roles(_) => RequestKind::Roles,
            Request::Downtime(_) => RequestKind::Downtime,
            Request::Latency => RequestKind::Latency,
            Request::Recommendations => RequestKind::Recommendations,
            Request::Autopilot => RequestKind::Autopilot,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Request::Topology => "topology",
            Request::Alerts => "alerts",
            Request::Incidents => "incidents",
            Request::Timeline(_) => "timeline",
            Request::Sim => "simulator status",
            Request::Actions => "actions",
            Request::Role => "role",
            Request::Presence => "presence",
            Request::Roles(_) => "incident roles",
            Request::Downtime(_) => "site downtime",
            Request::Latency => "latency",
            Request::Recommendations => "recommendations",
            Request::Autopilot => "autopilot status",
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
    Actions,
    Role,
    Presence,
    Roles,
    Downtime,
    Latency,
    Recommendations,
    Autopilot,
}

/// Work `update` asks for; the event loop runs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Fetch(Request),
    /// Hand an incident role to `holder` (`None`: vacant).
    ChangeRole {
        incident_id: i64,
        role: crate::model::IncidentRole,
        holder: Option<String>,
    },
    /// Renew this console's presence now (after a reconnect: the entry
    /// may have expired meanwhile).
    Heartbeat,
    /// Read the latency of these servers (the rows on screen).
    FetchLatency(Vec<String>),
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
    CreateIncident(NewIncident),
    UpdateIncident {
        id: i64,
        base_version: i64,
        patch: IncidentPatch,
    },
    /// Append a timeline write to the offline journal (fsync), then send
    /// every pending write in order.
    Journal(Box<JournalWrite>),
    /// Send the journal's pending writes (the API may be back).
    Replay,
    CreatePlan(PlanRequest),
    Execute {
        plan: Box<Plan>,
        request: ExecuteRequest,
        /// Idempotency-Key: a retry of the same press returns the same action.
        key: String,
    },
    Abort(String),
    Undo(String),
    /// Acknowledge an alert.
    AckAlert(String),
    /// Silence an alert.
    SilenceAlert {
        id: String,
        request: crate::model::SilenceRequest,
    },
    /// Pause or resume the autopilot (commander).
    CommandAutopilot(AutopilotVerb),
}

/// What only the terminal can do, handed back by the effect runner to the
/// event loop (which writes it outside the draw).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalEffect {
    /// Ring the bell and post an OSC 9 notification.
    Notify(String),
    /// Turn mouse capture on or off.
    SetMouse(bool),
}
