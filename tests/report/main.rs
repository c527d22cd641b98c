//! Postmortem reports (build, render, import, export through the API and
//! the CLI, golden files) and whole drills played to their scorecards.

#[path = "../support"]
mod support {
    pub mod client;
    pub mod command;
    pub mod report;
    pub mod server;
    pub mod tokens;
    pub mod wait;
}

mod api;
mod api_golden;
mod declared_late;
mod drill_run;
mod errors;
mod golden;
mod impact;
mod imported;
mod roundtrip;
