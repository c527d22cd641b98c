//! `warroom demo` and `warroom [--api URL,…] [--token T]`: resolve the
//! console's settings (flags win over the config file), set up logging to
//! a file, and run the console, against an in-process orchestrator for the
//! demo or a running `warroom serve` otherwise.

use std::path::PathBuf;

use anyhow::Context;

use super::CliError;
use crate::client::Client;
use crate::model::FleetSpec;
use crate::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};
use crate::sim::{DEMO_FLEET, Scenario};
use crate::tui::{self, Config, DemoLabel, Keymap, Model, Settings, Theme};

/// What flags (and their environment variables) say; `None` falls back to
/// the config file, then to the defaults.
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    pub api: Vec<String>,
    pub token: Option<String>,
    /// A built-in theme name or a path to a theme file.
    pub theme: Option<String>,
    /// An IANA zone name for the second clock.
    pub time_zone: Option<String>,
    pub mouse: Option<bool>,
    pub notify: Option<bool>,
    /// The config file (default `$XDG_CONFIG_HOME/warroom/config.toml`).
    pub config: Option<PathBuf>,
    pub read_only: bool,
}

impl ConsoleOptions {
    pub fn new(api: Vec<String>, token: Option<String>) -> ConsoleOptions {
        ConsoleOptions {
            api,
            token,
            ..ConsoleOptions::default()
        }
    }
}

/// `warroom demo`'s own flags.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub scenario: Option<String>,
    pub speed: f64,
    pub read_only: bool,
}

/// Settings resolved from flags and the config file.
struct Resolved {
    api: Vec<String>,
    token: Option<String>,
    theme: Theme,
    keymap: Keymap,
    settings: Settings,
    mouse: bool,
    notify: bool,
}

fn usage(error: anyhow::Error) -> CliError {
    CliError { error, code: 2 }
}

fn resolve(options: ConsoleOptions) -> Result<Resolved, CliError> {
    let path = options.config.clone().or_else(Config::default_path);
    let config = match &path {
        Some(path) => Config::load(path).map_err(|e| usage(e.into()))?,
        None => Config::default(),
    };
    let config_name = path
        .as_ref()
        .map_or("config.toml".to_string(), |p| p.display().to_string());
    let keymap = Keymap::with_overrides(&config.keys)
        .map_err(|e| usage(anyhow::anyhow!("{config_name}: {e}")))?;
    let theme_spec = options
        .theme
        .or(config.theme)
        .unwrap_or_else(|| "default".into());
    let theme = Theme::load(&theme_spec).map_err(|e| usage(e.into()))?;
    let time_zone = match options.time_zone {
        Some(name) => {
            tui::parse_time_zone(&name).map_err(|e| usage(anyhow::anyhow!("--tz: {e}")))?
        }
        None => config.time_zone.unwrap_or_else(tui::local_time_zone),
    };
    let api = if options.api.is_empty() {
        config.api
    } else {
        options.api
    };
    Ok(Resolved {
        api,
        token: options.token.or(config.token),
        keymap,
        settings: Settings {
            api_urls: Vec::new(),
            time_zone,
            demo: None,
            read_only: options.read_only,
            theme_name: theme.name.clone(),
            journal_dir: config.journal_dir.clone().or_else(|| {
                tui::xdg_dir("XDG_DATA_HOME", dirs::data_dir).map(|d| d.join("warroom"))
            }),
            update_every: config.update_every,
            ..Settings::default()
        },
        theme,
        mouse: options.mouse.or(config.mouse).unwrap_or(true),
        notify: options.notify.or(config.notify).unwrap_or(true),
    })
}

/// `warroom [--api URL,…] [--token T]`: the console against a running orchestrator.
pub fn console(options: ConsoleOptions) -> Result<(), CliError> {
    let resolved = resolve(options)?;
    if resolved.api.is_empty() {
        return Err(usage(anyhow::anyhow!(
            "no API URL: pass --api URL (or set WARROOM_API, or `api` in the config file), or run `warroom demo`"
        )));
    }
    let _log = init_logging();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let urls = resolved.api.clone();
        let token = resolved.token.clone();
        run_console(resolved, urls, token, None).await
    })
}

/// `warroom demo`: the real API on a loopback port inside this process,
/// with the simulated demo fleet, and the console as its client.
pub fn demo(demo: DemoOptions, options: ConsoleOptions) -> Result<(), CliError> {
    let options = ConsoleOptions {
        read_only: options.read_only || demo.read_only,
        ..options
    };
    let resolved = resolve(options)?;
    let spec =
        FleetSpec::parse("demo.toml", DEMO_FLEET).context("the embedded demo fleet is invalid")?;
    let scenario = demo
        .scenario
        .as_deref()
        .map(Scenario::load)
        .transpose()
        .map_err(|e| usage(e.into()))?;
    let _log = init_logging();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let store = crate::store::open("sqlite::memory:")
            .await
            .context("cannot open the in-memory store")?;
        let token = format!("demo-{}", uuid::Uuid::new_v4().simple());
        let role = if resolved.settings.read_only {
            AccessRole::Viewer
        } else {
            AccessRole::Commander
        };
        let tokens = Tokens::new(vec![TokenEntry {
            name: "demo".into(),
            role,
            token: token.clone(),
        }]);
        let server = LocalServer::start(ServerConfig {
            spec,
            store,
            tokens,
            source: WorldSource::Simulated {
                seed: 1,
                speed: demo.speed,
                scenario,
            },
        })
        .await
        .map_err(usage)?;
        let label = DemoLabel {
            scenario: demo.scenario.clone(),
            speed: demo.speed,
        };
        let result = run_console(resolved, vec![server.url()], Some(token), Some(label)).await;
        server.stop().await;
        result
    })
}

/// The console on an orchestrator that lives and dies with this process
/// (`warroom lab`): like the demo's, it has no offline journal to replay.
pub(super) async fn run_local_console(
    options: ConsoleOptions,
    url: String,
    token: String,
) -> Result<(), CliError> {
    let mut resolved = resolve(options)?;
    resolved.settings.journal_dir = None;
    run_console(resolved, vec![url], Some(token), None).await
}

async fn run_console(
    resolved: Resolved,
    urls: Vec<String>,
    token: Option<String>,
    demo: Option<DemoLabel>,
) -> Result<(), CliError> {
    let client =
        Client::new(tui::client_config(urls.clone(), token)).map_err(|e| usage(e.into()))?;
    let journal_dir = match demo {
        // The demo's API lives and dies with this process: nothing to replay.
        Some(_) => None,
        None => resolved.settings.journal_dir.clone(),
    };
    let settings = Settings {
        api_urls: urls,
        demo,
        journal_dir,
        ..resolved.settings
    };
    let model = Model::new(
        settings,
        resolved.keymap,
        resolved.mouse,
        resolved.notify,
        chrono::Utc::now(),
    );
    tracing::info!(urls = ?model.settings.api_urls, "console starting");
    tui::run(model, resolved.theme, client)
        .await
        .map_err(CliError::from)
}

/// Log to `$XDG_STATE_HOME/warroom/console.log` (never to the terminal the
/// console draws on). The returned guard flushes the log when dropped.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = tui::xdg_dir("XDG_STATE_HOME", dirs::state_dir)
        .or_else(|| tui::xdg_dir("XDG_DATA_HOME", dirs::data_dir))?
        .join("warroom");
    std::fs::create_dir_all(&dir).ok()?;
    let (writer, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::never(&dir, "console.log"));
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
