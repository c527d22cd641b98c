use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use super::{CliError, data_dir};
use crate::model::FleetSpec;
use crate::server::{self, Orchestrator, ServerConfig, Tokens, WorldSource};
use crate::sim::{DEMO_FLEET, Scenario};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Fleet file; the embedded demo fleet when absent.
    #[arg(long)]
    pub fleet: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, default_value = "127.0.0.1:7700")]
    pub listen: SocketAddr,
    /// Database URL: sqlite:///var/lib/warroom/warroom.db, sqlite::memory: or postgres://USER@HOST:PORT/DB (default: a SQLite file in the data dir).
    #[arg(long)]
    pub db: Option<String>,
    /// Tokens file (TOML: [[token]] name, role, token). Without it, a commander token is generated.
    #[arg(long)]
    pub tokens: Option<PathBuf>,
    /// Scenario to play on the simulator: a built-in name (switch-2017, db-master-2020) or a file.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Sim seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Seed of the simulator's random numbers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// This replica's name among replicas on one PostgreSQL database;
    /// unique per replica, the same across its restarts (default: the
    /// advertised host:port).
    #[arg(long)]
    pub node_id: Option<String>,
    /// The URL other replicas reach this one at, to forward leader-only
    /// requests (default: http:// and the address it listens on).
    #[arg(long)]
    pub advertise: Option<String>,
    /// Also serve `GET /metrics` (no token) on this address, apart from the
    /// API: for a Prometheus that should not reach the API.
    #[arg(long)]
    pub metrics_listen: Option<SocketAddr>,
}

pub fn serve(args: ServeArgs) -> Result<(), CliError> {
    init_logging();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(args)).map_err(CliError::from)
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,warroom=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let (fleet_name, spec) = match &args.fleet {
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read fleet file {name}"))?;
            (name.clone(), FleetSpec::parse(&name, &text)?)
        }
        None => (
            "the embedded demo fleet".to_string(),
            FleetSpec::parse("demo.toml", DEMO_FLEET)?,
        ),
    };
    let source = if spec.is_probed() {
        if args.scenario.is_some() {
            anyhow::bail!(
                "{fleet_name} names real probe targets; --scenario needs a simulated fleet"
            );
        }
        WorldSource::Probed
    } else {
        let scenario = args.scenario.as_deref().map(Scenario::load).transpose()?;
        WorldSource::Simulated {
            seed: args.seed,
            speed: args.speed,
            scenario,
        }
    };
    let db_url = match args.db {
        Some(url) => url,
        None => {
            let dir = data_dir()?;
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            format!("sqlite://{}", dir.join("warroom.db").display())
        }
    };
    let store = crate::store::open(&db_url).await?;
    let tokens = match &args.tokens {
        Some(path) => Tokens::load(path)?,
        None => {
            let path = server::default_token_path(&data_dir()?);
            let (tokens, created) = server::generated_token(&path)?;
            if created {
                println!(
                    "created a commander token in {} (mode 0600)",
                    path.display()
                );
            } else {
                println!("using the commander token in {}", path.display());
            }
            tokens
        }
    };
    let describe = match &source {
        WorldSource::Probed => "probed for real".to_string(),
        WorldSource::Simulated {
            speed, scenario, ..
        } => match scenario {
            Some(s) => format!("simulated, scenario {} at {speed}x", s.name),
            None => format!("simulated at {speed}x"),
        },
        WorldSource::Virtual { .. } => "simulated on virtual time".to_string(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let url = match &args.advertise {
        Some(url) => {
            let parsed = reqwest::Url::parse(url)
                .with_context(|| format!("--advertise {url:?} is not a URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                anyhow::bail!(
                    "--advertise must be an http:// or https:// URL with a host, got {url:?}"
                );
            }
            url.trim_end_matches('/').to_string()
        }
        None => format!("http://{addr}"),
    };
    let mut node = server::NodeConfig::at(&url);
    if let Some(id) = &args.node_id {
        if id.trim().is_empty() || id.chars().any(char::is_control) || id.len() > 128 {
            anyhow::bail!("--node-id must be 1 to 128 printable characters");
        }
        node.id = id.clone();
    }
    let orchestrator = Orchestrator::start_node(
        ServerConfig {
            spec,
            store,
            tokens,
            source,
        },
        node,
    )
    .await?;
    let role = match orchestrator.state.node.role() {
        server::node::Role::Standalone => "standalone".to_string(),
        _ => format!(
            "replica {} advertised at {url}, campaigning for the lease",
            orchestrator.state.node.id
        ),
    };
    let state = orchestrator.state.clone();
    if let Some(metrics_addr) = args.metrics_listen {
        let metrics = tokio::net::TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("cannot listen on {metrics_addr} (--metrics-listen)"))?;
        let bound = metrics.local_addr()?;
        println!("warroom serve: metrics on http://{bound}/metrics");
        let router = server::metrics_router(state.clone());
        tokio::spawn(async move {
            if let Err(err) = axum::serve(metrics, router).await {
                tracing::error!(%err, "the metrics listener stopped");
            }
        });
    }
    println!("warroom serve: listening on http://{addr} ({fleet_name}, {describe}; {role})");
    let store = state.store.clone();
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel();
    let stop = async move {
        shutdown_signal().await;
        // A leader gives its lease up before the listener closes, so
        // another replica leads at once.
        orchestrator.stopped().await;
        let _ = stopped_tx.send(());
    };
    server::serve(listener, state, stop).await?;
    let _ = stopped_rx.await;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
