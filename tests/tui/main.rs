//! The console: `update` and the rendered screen from fixed models (with
//! insta snapshots), the failover actions, the incident editor, the client
//! against a real server, the command line, and the offline journal.

#[path = "../support"]
mod support {
    pub mod actions;
    pub mod client;
    pub mod command;
    pub mod console;
    pub mod demo_model;
    pub mod new_incident;
    pub mod serve;
    pub mod serve_args;
    pub mod tokens;
}

mod actions;
mod advice;
mod cli;
mod client;
mod editor;
mod journal;
mod render;
mod room;
mod update;
