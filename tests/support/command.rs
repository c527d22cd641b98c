//! The `warroom` binary cargo built for the tests, as a child process.

use std::path::Path;
use std::process::Stdio;

/// `warroom` with its data and config dirs inside `dir`, so no test touches
/// the real ones.
pub fn warroom_command(dir: &Path, args: &[String]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
    command
        .args(args)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("WARROOM_LOG", "warn")
        .env_remove("WARROOM_API")
        .env_remove("WARROOM_TOKEN")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}
