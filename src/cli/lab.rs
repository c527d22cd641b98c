//! `warroom lab`: the real lab on loopback (HAProxy, app nodes, memcached,
//! PostgreSQL), an in-process orchestrator probing it with the generated
//! fleet file, and the console on it, or, with `--no-console`, the API's
//! URL and token on stdout until Ctrl-C. `warroom lab-node` is one app node.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};

use super::CliError;
use super::console::{ConsoleOptions, run_local_console};
use crate::lab::{Lab, LabOptions, LabSize, node};
use crate::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};

/// `warroom lab`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct LabArgs {
    /// A scenario to play with real faults (not available yet on the lab).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Scenario speed (with --scenario).
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

pub fn lab(args: LabArgs, console: ConsoleOptions) -> Result<(), CliError> {
    if let Some(scenario) = &args.scenario {
        return Err(usage(anyhow::anyhow!(
            "--scenario {scenario}: scenarios need real faults on the lab, which are not built yet; \
             run `warroom demo --scenario {scenario}` for the simulated one"
        )));
    }
    let size = LabSize {
        switches: args.switches,
        nodes_per_switch: args.nodes_per_switch,
        sites: args.sites,
    };
    crate::lab::Layout::new(1, size).map_err(|e| usage(anyhow::anyhow!(e)))?;
    let node_program = std::env::current_exe().context("cannot find the warroom executable")?;
    eprintln!(
        "warroom lab: starting PostgreSQL, memcached, the app nodes and HAProxy on loopback…"
    );
    let lab = Lab::start(LabOptions {
        dir: args.dir.clone(),
        size,
        node_program,
    })
    .map_err(|e| CliError { error: e, code: 1 })?;
    let _log = init_logging(&lab.dir().join("logs"));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let result = runtime.block_on(run(&lab, args.no_console, console));
    drop(runtime);
    lab.stop();
    result
}

async fn run(lab: &Lab, headless: bool, console: ConsoleOptions) -> Result<(), CliError> {
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
    server.stop().await;
    result
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
