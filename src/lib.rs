//! warroom: a terminal incident war-room console and the orchestration API it
//! runs on. DESIGN.md has the module map; the arrows go one way:
//! `model` <- `fleet`, `sim` <- `store`, `probe` <- `server`; `model` <- `client`.

pub mod cli;
pub mod client;
pub mod exec;
pub mod fleet;
pub mod lab;
pub mod model;
pub mod plan;
pub mod probe;
pub mod report;
pub mod server;
pub mod sim;
pub mod store;
pub mod tui;
