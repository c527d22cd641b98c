//! CLI parsing and dispatch only.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use warroom::cli;

#[derive(Parser)]
#[command(
    name = "warroom",
    version,
    about = "Incident war-room console and orchestration API"
)]
struct Cli {
    /// API URL(s) of a running `warroom serve`; several (comma-separated) are replicas tried in order.
    #[arg(long, env = "WARROOM_API", value_delimiter = ',', global = true)]
    api: Vec<String>,
    /// Bearer token for the API.
    #[arg(long, env = "WARROOM_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The embedded default: an in-process orchestrator on the simulated demo fleet, plus the console.
    Demo {
        #[arg(long)]
        scenario: Option<String>,
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        #[arg(long)]
        read_only: bool,
    },
    /// Run the orchestration API.
    Serve(cli::ServeArgs),
    /// Postmortem draft of an incident, from the API.
    Export(cli::ExportArgs),
    /// Backfill an incident from a status-page style report.
    Import { file: PathBuf },
    /// Replay a scenario headless with scripted responses and print a scorecard.
    Drill {
        name: String,
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Serve(args)) => cli::serve(args),
        Some(Command::Demo {
            scenario,
            speed,
            read_only,
        }) => cli::demo(
            cli::DemoOptions {
                scenario,
                speed,
                read_only,
            },
            cli::ConsoleOptions::new(cli.api, cli.token),
        ),
        Some(Command::Export(args)) => cli::api_client(&cli.api, cli.token)
            .map_err(Into::into)
            .and_then(|c| cli::export(c, args)),
        Some(Command::Import { file }) => cli::api_client(&cli.api, cli.token)
            .map_err(Into::into)
            .and_then(|c| cli::import(c, &file)),
        Some(Command::Drill { .. }) => Err(cli::not_yet("drill")),
        None => cli::console(cli::ConsoleOptions::new(cli.api, cli.token)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("warroom: {err:#}");
            ExitCode::from(err.exit_code())
        }
    }
}
