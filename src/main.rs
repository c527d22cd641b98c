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
    /// Console theme: default, light, high-contrast, colorblind, or a theme file.
    #[arg(long, global = true)]
    theme: Option<String>,
    /// Time zone (IANA name, e.g. America/Los_Angeles): the console's second clock, export's narrative.
    #[arg(long = "tz", global = true)]
    time_zone: Option<String>,
    /// Config file (default: $XDG_CONFIG_HOME/warroom/config.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Start with mouse support off (text stays selectable).
    #[arg(long, global = true)]
    no_mouse: bool,
    /// No bell or desktop notification for new critical alerts.
    #[arg(long, global = true)]
    no_notify: bool,
    /// Console only: disable every action.
    #[arg(long)]
    read_only: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

impl Cli {
    fn console_options(&self) -> cli::ConsoleOptions {
        cli::ConsoleOptions {
            api: self.api.clone(),
            token: self.token.clone(),
            theme: self.theme.clone(),
            time_zone: self.time_zone.clone(),
            mouse: self.no_mouse.then_some(false),
            notify: self.no_notify.then_some(false),
            config: self.config.clone(),
            read_only: self.read_only,
        }
    }
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
    /// The same on real infrastructure on loopback: HAProxy, app nodes, memcached, PostgreSQL.
    Lab(cli::LabArgs),
    /// One app node of the lab (started by `warroom lab`).
    #[command(hide = true)]
    LabNode(cli::LabNodeArgs),
    /// Run the orchestration API.
    Serve(cli::ServeArgs),
    /// Postmortem draft of an incident, from the API.
    Export(cli::ExportArgs),
    /// Backfill an incident from a status-page style report.
    Import { file: PathBuf },
    /// Replay a scenario headless with scripted responses and print a scorecard.
    Drill(cli::DrillArgs),
    /// Plain mode: alerts, timeline entries, incident changes and action progress as plain lines.
    Tail(cli::TailArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let console = cli.console_options();
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
            console,
        ),
        Some(Command::Lab(args)) => cli::lab(args, console),
        Some(Command::LabNode(args)) => cli::lab_node(args),
        Some(Command::Export(args)) => cli::api_client(&cli.api, cli.token)
            .map_err(Into::into)
            .and_then(|c| cli::export(c, args, console.time_zone.as_deref())),
        Some(Command::Import { file }) => cli::api_client(&cli.api, cli.token)
            .map_err(Into::into)
            .and_then(|c| cli::import(c, &file)),
        Some(Command::Drill(args)) => cli::drill(args),
        Some(Command::Tail(args)) => cli::tail(args, console),
        None => cli::console(console),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("warroom: {err:#}");
            ExitCode::from(err.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
