//! `warroom drill NAME`: replay a scenario headless on virtual time against
//! an in-process orchestrator, with one responder or all three side by
//! side, and print the scorecard (DESIGN.md §7).
//!
//! - `script`: the scenario's scripted responses, at the times people acted
//!   in the original outage;
//! - `console`: the plan the console recommends (`GET /v1/recommendations`),
//!   taken a reaction time after it is first offered, the one-key path;
//! - `autopilot`: no human; the orchestrator's guarded autopilot acts.
//!
//! Virtual time (`server::Stepper`) makes the record exact: the same seed
//! gives the same scorecard on every run, at any `--speed`.

mod play;
mod record;
mod respond;

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use super::CliError;
use crate::report::{Comparison, Scorecard, render_comparison, render_table};
use crate::sim::Scenario;

pub use play::{Declare, DrillOptions, DrillOutcome, Responder, run_drill};

/// `warroom drill`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct DrillArgs {
    /// A built-in scenario (switch-2017, db-master-2020) or a scenario file.
    pub name: String,
    /// Who responds: `script`, `console` or `autopilot`; `all` plays the
    /// three one after the other and prints them side by side. The lab
    /// drill plays the script.
    #[arg(long, value_enum, default_value_t = ResponderArg::All)]
    pub responder: ResponderArg,
    /// The console responder's reaction time, from a recommendation first
    /// shown to its key pressed: `30s`, `2m`, `90` (seconds).
    #[arg(long, default_value = "30s", value_parser = parse_reaction)]
    pub reaction: Duration,
    /// Sim seconds per real second when watching (`--watch`) or on the lab
    /// (`--lab`, default 600). A headless drill runs on virtual time as fast
    /// as it can; its scorecard is the same at any speed.
    #[arg(long)]
    pub speed: Option<f64>,
    /// Pace the drill at `--speed` (default 60) and print the API's address
    /// and token, so `warroom --api URL --token T` can watch it live.
    #[arg(long)]
    pub watch: bool,
    /// Print the scorecard as JSON (sim offsets and durations only).
    #[arg(long)]
    pub json: bool,
    /// Seed of the simulated world.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Play it on the real lab (`warroom lab`) instead of the simulator.
    #[arg(long)]
    pub lab: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResponderArg {
    Script,
    Console,
    Autopilot,
    All,
}

fn parse_reaction(text: &str) -> Result<Duration, String> {
    let form = "write a reaction time like 30s, 2m or 90";
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a duration; {form}"))?;
    let seconds = match unit {
        "s" => value,
        "m" => value.saturating_mul(60),
        _ => return Err(format!("'{text}' has an unknown unit; {form}")),
    };
    if seconds > 24 * 3600 {
        return Err(format!("'{text}' is longer than a day; {form}"));
    }
    Ok(Duration::from_secs(seconds))
}

const DEFAULT_LAB_SPEED: f64 = 600.0;
const DEFAULT_WATCH_SPEED: f64 = 60.0;

/// Run the drill and print its scorecard. Exit code 1 when a site is still
/// not up at the end, 2 for bad arguments.
pub fn drill(args: DrillArgs) -> Result<(), CliError> {
    let bad = |error: anyhow::Error| CliError { error, code: 2 };
    let scenario = Scenario::load(&args.name).map_err(|e| bad(e.into()))?;
    if let Some(speed) = args.speed
        && !(speed.is_finite() && speed > 0.0 && speed <= 100_000.0)
    {
        return Err(bad(anyhow!(
            "--speed must be above 0 and at most 100000, got {speed}"
        )));
    }
    if args.lab {
        if matches!(
            args.responder,
            ResponderArg::Console | ResponderArg::Autopilot
        ) {
            return Err(bad(anyhow!(
                "the lab drill plays the scenario's scripted responses: drop --responder, or leave out --lab"
            )));
        }
        return super::lab::drill_on_lab(
            scenario,
            args.speed.unwrap_or(DEFAULT_LAB_SPEED),
            args.json,
        );
    }
    let responders = match args.responder {
        ResponderArg::Script => vec![Responder::Script],
        ResponderArg::Console => vec![Responder::Console],
        ResponderArg::Autopilot => vec![Responder::Autopilot],
        ResponderArg::All => vec![Responder::Script, Responder::Console, Responder::Autopilot],
    };
    if args.watch && responders.len() > 1 {
        return Err(bad(anyhow!(
            "--watch follows one responder: add --responder script, console or autopilot"
        )));
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let mut cards: Vec<Scorecard> = Vec::new();
    for responder in responders {
        let options = DrillOptions {
            seed: args.seed,
            responder,
            reaction: args.reaction,
            declare: Declare::AtStart,
            quiet: args.json,
            pace: args
                .watch
                .then(|| args.speed.unwrap_or(DEFAULT_WATCH_SPEED)),
        };
        let wall = Instant::now();
        let outcome = runtime.block_on(run_drill(&scenario, &options))?;
        eprintln!(
            "drill {} with the {} responder: {:.2} s of wall time{}",
            scenario.name,
            responder.as_str(),
            wall.elapsed().as_secs_f64(),
            if args.watch { "" } else { " on virtual time" }
        );
        cards.push(outcome.scorecard);
    }
    let down: Vec<String> = cards
        .iter()
        .filter(|c| !c.sites_down_at_end.is_empty())
        .map(|c| {
            format!(
                "{}: {} site(s) still not up at the end: {}",
                c.responder,
                c.sites_down_at_end.len(),
                c.sites_down_at_end.join(", ")
            )
        })
        .collect();
    let text = match cards.as_slice() {
        [card] if args.json => {
            serde_json::to_string_pretty(card).context("cannot render the scorecard")?
        }
        [card] => render_table(card),
        _ => {
            let comparison = Comparison::new(&scenario.name, cards);
            if args.json {
                serde_json::to_string_pretty(&comparison).context("cannot render the scorecards")?
            } else {
                render_comparison(&comparison)
            }
        }
    };
    println!("{}", text.trim_end());
    if down.is_empty() {
        Ok(())
    } else {
        Err(CliError {
            error: anyhow!(down.join("; ")),
            code: 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaction_times_read_like_people_write_them() {
        assert_eq!(parse_reaction("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_reaction("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_reaction("90"), Ok(Duration::from_secs(90)));
        assert!(parse_reaction("soon").unwrap_err().contains("like 30s"));
        assert!(parse_reaction("3h").unwrap_err().contains("unknown unit"));
        assert!(
            parse_reaction("2000m")
                .unwrap_err()
                .contains("longer than a day")
        );
    }
}
