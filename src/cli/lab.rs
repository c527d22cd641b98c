//! `warroom lab`: the real lab on loopback (HAProxy, app nodes, memcached,
//! PostgreSQL), an in-process orchestrator probing it with the generated
//! fleet file, steady traffic to every site, a scenario's real faults with
//! `--scenario`, and the console on it, or, with `--no-console`, the API's
//! URL and token on stdout until Ctrl-C. `warroom lab-node` is one app node;
//! `warroom drill NAME --lab` is [`drill_on_lab`].

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};

use super::CliError;
use super::console::{ConsoleOptions, run_local_console};
use crate::client::{Client, ClientConfig};
use crate::lab::drill::{DRILL_PROBES, Due, FaultScript, LabDrill, TRAFFIC_EVERY, demo_shape};
use crate::lab::faults::Faults;
use crate::lab::traffic::Traffic;
use crate::lab::{Lab, LabOptions, LabShape, LabSize, ProbeTiming, node};
use crate::model::{ExecuteRequest, PlanKind, PlanOptions, PlanRequest};
use crate::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};
use crate::sim::Scenario;

/// `warroom lab`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct LabArgs {
    /// A scenario to play with real faults (a built-in one or a file); the
    /// lab then takes the demo fleet's shape, whose ids scenarios name.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Scenario speed (with --scenario): scenario seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Where the lab's files live (default: a temporary directory, removed at the end).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No console: print the API URL and token, run until Ctrl-C.
    #[arg(long)]
    pub no_console: bool,
    /// Switches (groups of loopback addresses 127.N.S.*).
    #[arg(long, default_value_t = 2)]
    pub switches: u8,
    /// App-node processes per switch; the last of each is a failover server.
    #[arg(long, default_value_t = 3)]
    pub nodes_per_switch: u8,
    #[arg(long, default_value_t = 12)]
    pub sites: usize,
}

/// `warroom lab-node`'s flags (the lab starts it).
#[derive(Debug, Clone, clap::Args)]
pub struct LabNodeArgs {
    #[arg(long)]
    pub id: String,
    /// Address to bind (port 0: any free port; the line on stdout says which).
    #[arg(long)]
    pub listen: SocketAddr,
    /// The node's JSON configuration, written by the lab.
    #[arg(long)]
    pub config: PathBuf,
}

fn usage(error: anyhow::Error) -> CliError {
    CliError { error, code: 2 }
}

/// Scenario speeds the lab accepts: real processes need real seconds to
/// fail and be detected.
fn check_speed(speed: f64) -> Result<(), CliError> {
    if speed.is_finite() && speed > 0.0 && speed <= 3600.0 {
        return Ok(());
    }
    Err(usage(anyhow::anyhow!(
        "--speed must be above 0 and at most 3600 on the lab, got {speed}"
    )))
}

pub fn lab(args: LabArgs, console: ConsoleOptions) -> Result<(), CliError> {
    let scenario = match &args.scenario {
        Some(name) => {
            check_speed(args.speed)?;
            Some(Scenario::load(name).map_err(|e| usage(e.into()))?)
        }
        None => None,
    };
    let (shape, probe) = if scenario.is_some() {
        (demo_shape()?, DRILL_PROBES)
    } else {
        let size = LabSize {
            switches: args.switches,
            nodes_per_switch: args.nodes_per_switch,
            sites: args.sites,
        };
        crate::lab::Layout::new(1, size).map_err(|e| usage(anyhow::anyhow!(e)))?;
        (LabShape::Size(size), ProbeTiming::default())
    };
    let node_program = std::env::current_exe().context("cannot find the warroom executable")?;
    eprintln!(
        "warroom lab: starting PostgreSQL, memcached, the app nodes and HAProxy on loopback…"
    );
    let lab = Lab::start(LabOptions {
        dir: args.dir.clone(),
        shape,
        probe,
        node_program,
    })
    .map_err(|e| CliError { error: e, code: 1 })?;
    let _log = init_logging(&lab.dir().join("logs"));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let script = scenario.map(|s| (s, args.speed));
    let result = runtime.block_on(run(&lab, args.no_console, console, script));
    drop(runtime);
    lab.stop();
    result
}

async fn run(
    lab: &Lab,
    headless: bool,
    console: ConsoleOptions,
    script: Option<(Scenario, f64)>,
) -> Result<(), CliError> {
    let spec = lab.fleet_spec()?;
    let store = crate::store::open("sqlite::memory:")
        .await
        .context("cannot open the in-memory store")?;
    let token = format!("lab-{}", uuid::Uuid::new_v4().simple());
    let role = if console.read_only {
        AccessRole::Viewer
    } else {
        AccessRole::Commander
    };
    let tokens = Tokens::new(vec![TokenEntry {
        name: "lab".into(),
        role,
        token: token.clone(),
    }]);
    let server = LocalServer::start(ServerConfig {
        spec,
        store,
        tokens,
        source: WorldSource::Probed,
    })
    .await
    .map_err(usage)?;
    // Users' steady requests, so that stuck backends and stale cache
    // connections happen as they would in production.
    let sites = lab.layout.sites.iter().map(|s| s.id.clone()).collect();
    let _traffic = Traffic::start(lab.wiring.front, sites, TRAFFIC_EVERY)
        .context("cannot start the lab's traffic")?;
    let faults = Faults::new(lab);
    let player = script.map(|(scenario, speed)| {
        let client = Client::new(ClientConfig::new(vec![server.url()], Some(token.clone())));
        tokio::spawn(play_faults(faults, scenario, speed, client))
    });
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let result = if headless {
        println!("warroom lab: api {}", server.url());
        println!("warroom lab: token {token}");
        println!("warroom lab: sites {}", lab.front_url());
        println!("warroom lab: dir {}", lab.dir().display());
        println!("warroom lab: ready; Ctrl-C stops it");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
            _ = hangup.recv() => {}
        }
        eprintln!("warroom lab: stopping");
        Ok(())
    } else {
        tokio::select! {
            result = run_local_console(console, server.url(), token) => result,
            _ = terminate.recv() => Ok(()),
            _ = hangup.recv() => Ok(()),
        }
    };
    if let Some(player) = player {
        player.abort();
        // A finished player hands its faults back to clear; an aborted one
        // leaves that to the lab's stop, which continues every process.
        if let Ok(mut faults) = player.await {
            faults.clear().await;
        }
    }
    server.stop().await;
    result
}

/// Plays a scenario's faults on the lab (`lab --scenario`), the managed
/// database failover through the API; responding is the console's job.
/// Logs what it does. Returns the faults, to clear, once all have played.
async fn play_faults(
    mut faults: Faults,
    scenario: Scenario,
    speed: f64,
    client: Result<Client, crate::client::ClientError>,
) -> Faults {
    let mut script = FaultScript::new(&scenario, speed);
    let started = std::time::Instant::now();
    tracing::info!(scenario = %scenario.name, speed, "playing the scenario's faults on the lab");
    while !script.is_done() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        for (at, due) in script.take_due(started.elapsed()) {
            match due {
                Due::Fault { fault, .. } => match faults.apply(&fault).await {
                    Ok(done) => {
                        tracing::info!(at = ?at, fault = fault.kind.as_str(), target = %fault.target, "{done}")
                    }
                    Err(error) => {
                        tracing::error!(fault = fault.kind.as_str(), target = %fault.target, "fault not played: {error:#}")
                    }
                },
                Due::ManagedDbFailover => match &client {
                    Ok(client) => {
                        if let Err(error) = managed_db_failover(client).await {
                            tracing::error!("the managed database failover failed: {error:#}");
                        }
                    }
                    Err(error) => {
                        tracing::error!("no API client for the managed failover: {error}")
                    }
                },
            }
        }
    }
    faults
}

/// What the managed service did in 2020: promote the replica (the
/// `db_failover` plan, executed; the console shows it as an action).
async fn managed_db_failover(client: &Client) -> anyhow::Result<()> {
    let plan = client
        .create_plan(&PlanRequest {
            kind: PlanKind::DbFailover,
            target: None,
            options: PlanOptions::default(),
        })
        .await?;
    let request = ExecuteRequest {
        confirm: plan.confirm.clone(),
        acknowledge_cooldown: true,
        automatic: false,
    };
    client
        .execute_plan(&plan, &uuid::Uuid::new_v4().to_string(), &request)
        .await?;
    Ok(())
}

/// `warroom drill NAME --lab`: the drill on a real lab; prints its scorecard.
/// Exit code 1 when a site still fails at the end.
pub fn drill_on_lab(scenario: Scenario, speed: f64, json: bool) -> Result<(), CliError> {
    check_speed(speed)?;
    let node_program = std::env::current_exe().context("cannot find the warroom executable")?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let drill = crate::lab::drill::run(LabDrill {
        scenario,
        speed,
        dir: None,
        node_program,
        quiet: json,
    });
    // On Ctrl-C or SIGTERM the drill is dropped, and with it the lab, which
    // continues what a fault stopped and stops every process.
    let card = runtime
        .block_on(async {
            let mut terminate = signal(SignalKind::terminate())?;
            tokio::select! {
                card = drill => card,
                _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
                _ = terminate.recv() => Err(anyhow::anyhow!("terminated")),
            }
        })
        .map_err(|e| CliError { error: e, code: 1 })?;
    if json {
        let text = serde_json::to_string_pretty(&card).context("cannot render the scorecard")?;
        println!("{text}");
    } else {
        print!("{}", crate::lab::drill::render(&card));
    }
    let down = &card.card.sites_down_at_end;
    if down.is_empty() {
        Ok(())
    } else {
        Err(CliError {
            error: anyhow::anyhow!(
                "{} site(s) still failing at the end: {}",
                down.len(),
                down.join(", ")
            ),
            code: 1,
        })
    }
}

/// `warroom lab-node`: binds, says where on stdout, serves until killed.
pub fn lab_node(args: LabNodeArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read {}", args.config.display()))?;
    let config: node::NodeConfig = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a node configuration", args.config.display()))?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime
        .block_on(async move {
            let listener: tokio::net::TcpListener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("cannot bind {}", args.listen))?;
            let addr = listener.local_addr()?;
            println!("lab-node {}: listening on {addr}", args.id);
            node::serve_node(args.id, listener, config).await
        })
        .map_err(CliError::from)
}

/// Log to the lab's directory, never to the terminal the console draws on.
fn init_logging(dir: &std::path::Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let (writer, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::never(dir, "warroom.log"));
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,warroom=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
