//! The orchestration API against a real server on `127.0.0.1:0`: the real
//! client, raw HTTP and SSE, `warroom serve` as a child process, the
//! executor's drivers and the offline journal's replay.

#[path = "../support"]
mod support {
    pub mod client;
    pub mod command;
    pub mod errors;
    pub mod haproxy;
    pub mod new_incident;
    pub mod new_note;
    pub mod postgres;
    pub mod raw;
    pub mod serve;
    pub mod serve_args;
    pub mod server;
    pub mod sse;
    pub mod tokens;
    pub mod wait;
}

mod alertmanager;
mod alerts;
mod auth;
mod autopilot;
mod contract;
mod detection;
mod durability;
mod errors;
mod events;
mod exec_drivers;
mod fleet;
mod incidents;
mod journal_replay;
mod lab_redundancy_runbooks;
mod lab_runbooks;
mod meta;
mod outbox;
mod plans;
mod presence;
mod probes;
mod recommendations;
mod record;
mod redundancy;
mod replicas;
mod restart;
mod roles;
mod runbooks;
mod serve_cli;
mod tail;
mod timeline;
