//! What each subcommand does, once `main` has parsed it.

mod console;
mod drill;
mod lab;
mod report;
mod serve;
mod tail;

pub use console::{ConsoleOptions, DemoOptions, console, demo};
pub use drill::{Declare, DrillArgs, DrillOptions, DrillOutcome, Responder, drill, run_drill};
pub use lab::{LabArgs, LabNodeArgs, drill_on_lab, lab, lab_node};
pub use report::{ExportArgs, api_client, export, import};
pub use serve::{ServeArgs, serve};
pub use tail::{TailArgs, tail};

/// An error with the exit code it should end the process with.
#[derive(Debug)]
pub struct CliError {
    pub error: anyhow::Error,
    pub code: u8,
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if f.alternate() {
            write!(f, "{:#}", self.error)
        } else {
            write!(f, "{}", self.error)
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(error: anyhow::Error) -> Self {
        CliError { error, code: 1 }
    }
}

/// `$XDG_DATA_HOME/warroom` (or the platform's data dir).
pub fn data_dir() -> anyhow::Result<std::path::PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("warroom"))
        .ok_or_else(|| anyhow::anyhow!("cannot find a data directory; set XDG_DATA_HOME"))
}
