//! `warroom tail`: the console's plain mode. What a commander needs to
//! follow an incident, as plain lines on standard output: no alternate
//! screen, no colours, no escape sequences, one flush per line. For screen
//! readers, slow links and pipes into chat or logs.
//!
//! The event stream is opened first and the snapshot loaded once it is
//! connected, so nothing that happens in between is lost; [`follow`] keeps
//! what the snapshot showed from being printed again.

#[cfg(test)]
mod fixtures;
mod fleet_lines;
mod follow;
mod lines;

use std::time::Duration;

use anyhow::anyhow;
use chrono_tz::Tz;
use tokio::io::AsyncWriteExt;

use super::{CliError, ConsoleOptions};
use crate::client::{Client, ClientError, EventStream, StreamItem, StreamSettings};
use crate::tui::{self, Config};
use follow::{ApiClock, Follower, SITE_SUMMARY_DELAY, Snapshot};

/// `warroom tail`'s own flags (`--api`, `--token`, `--tz` and `--config`
/// are the global ones).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TailArgs {
    /// Print the events after this sequence number first (resume where an
    /// earlier `warroom tail` stopped; it says where on Ctrl-C).
    #[arg(long, value_name = "SEQ", value_parser = clap::value_parser!(i64).range(0..))]
    pub since: Option<i64>,
    /// Follow this incident only (default: every open incident, and any
    /// declared while tail runs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub incident: Option<i64>,
}

/// Settings resolved from the flags, then the config file.
struct Settings {
    urls: Vec<String>,
    zone: Tz,
    client: Client,
}

fn usage(error: anyhow::Error) -> CliError {
    CliError { error, code: 2 }
}

fn resolve(options: ConsoleOptions) -> Result<Settings, CliError> {
    let path = options.config.clone().or_else(Config::default_path);
    let config = match &path {
        Some(path) => Config::load(path).map_err(|e| usage(e.into()))?,
        None => Config::default(),
    };
    let zone = match &options.time_zone {
        Some(name) => tui::parse_time_zone(name).map_err(|e| usage(anyhow!("--tz: {e}")))?,
        None => config.time_zone.unwrap_or(Tz::UTC),
    };
    let api = if options.api.is_empty() {
        config.api
    } else {
        options.api
    };
    // Without a URL or a token: a local `warroom serve` and the token it made.
    let client = super::api_client(&api, options.token.or(config.token)).map_err(usage)?;
    Ok(Settings {
        urls: client.config().urls.clone(),
        zone,
        client,
    })
}

/// How `warroom tail` ended without an error.
enum Stop {
    /// Ctrl-C.
    Interrupted { last_seq: Option<i64> },
    /// Whoever read standard output went away.
    Closed,
}

/// `warroom tail`: exits 0 on Ctrl-C or a closed standard output, non-zero
/// when the API cannot be reached or refuses at start.
pub fn tail(args: TailArgs, options: ConsoleOptions) -> Result<(), CliError> {
    let settings = resolve(options)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| anyhow!("cannot start the async runtime: {e}"))?;
    let result = runtime.block_on(run(args, settings));
    // A write blocked on a stalled pipe must not keep the process alive.
    runtime.shutdown_background();
    match result? {
        Stop::Interrupted { last_seq } => {
            if let Some(seq) = last_seq {
                eprintln!("warroom tail: stopped after event {seq}; resume with --since {seq}");
            }
            Ok(())
        }
        Stop::Closed => Ok(()),
    }
}

async fn run(args: TailArgs, settings: Settings) -> Result<Stop, CliError> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let interrupted = Stop::Interrupted {
        last_seq: args.since,
    };
    let started = tokio::select! {
        started = start(&args, &settings) => started?,
        _ = &mut ctrl_c => return Ok(interrupted),
    };
    let Started {
        mut follower,
        mut stream,
        lines,
        simulated,
    } = started;
    let mut out = Output::new();
    let mut flush_at: Option<tokio::time::Instant> = None;
    let mut pending = lines;
    loop {
        let written = tokio::select! {
            written = out.write(&pending) => written,
            _ = &mut ctrl_c => return Ok(Stop::Interrupted { last_seq: follower.last_seq() }),
        };
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Stop::Closed),
            Err(e) => return Err(anyhow!("cannot write to standard output: {e}").into()),
        }
        pending = Vec::new();
        if follower.sites_pending() {
            flush_at.get_or_insert_with(|| tokio::time::Instant::now() + SITE_SUMMARY_DELAY);
        } else {
            flush_at = None;
        }
        let flush = async {
            match flush_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            item = stream.next() => {
                let Some(item) = item else {
                    return Err(anyhow!("the event stream stopped").into());
                };
                let step = follower.item(item);
                pending = step.lines;
                if step.reload {
                    let reloaded = tokio::select! {
                        reloaded = load(&settings.client, &follower, simulated) => reloaded,
                        _ = &mut ctrl_c => return Ok(Stop::Interrupted { last_seq: follower.last_seq() }),
                    };
                    match reloaded {
                        Ok(snapshot) => pending.extend(follower.resync(snapshot)),
                        Err(error) => pending.push(follower.reload_failed(&error.to_string())),
                    }
                }
            }
            _ = flush => {
                flush_at = None;
                pending.extend(follower.flush_sites());
            }
            _ = &mut ctrl_c => return Ok(Stop::Interrupted { last_seq: follower.last_seq() }),
        }
    }
}

struct Started {
    follower: Follower,
    stream: EventStream,
    lines: Vec<String>,
    simulated: bool,
}

/// Check the API answers and takes the token, open the event stream, then
/// load and print the snapshot.
async fn start(args: &TailArgs, settings: &Settings) -> Result<Started, CliError> {
    let client = &settings.client;
    let health = client
        .healthz()
        .await
        .map_err(|e| start_error(&settings.urls, &e))?;
    let simulated = health
        .get("simulated")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    client
        .whoami()
        .await
        .map_err(|e| start_error(&settings.urls, &e))?;
    if let Some(id) = args.incident {
        client.incident(id).await.map_err(|e| match e.status() {
            Some(404) => anyhow!("there is no incident {id} at {}", client.active_url()).into(),
            _ => start_error(&settings.urls, &e),
        })?;
    }
    let mut stream = client.events(args.since, StreamSettings::default());
    let url = wait_connected(client, &mut stream).await?;
    let (speed, now) = match simulated {
        true => match client.sim_status().await {
            Ok(sim) => (sim.speed, sim.clock),
            Err(_) => (1.0, chrono::Utc::now()),
        },
        false => (1.0, chrono::Utc::now()),
    };
    let mut follower = Follower::new(
        settings.zone,
        args.incident,
        args.since,
        ApiClock::new(now, speed),
    );
    let snapshot = load(client, &follower, simulated)
        .await
        .map_err(|e| start_error(&settings.urls, &e))?;
    let lines = follower.start(&url, simulated, snapshot);
    Ok(Started {
        follower,
        stream,
        lines,
        simulated,
    })
}

/// The first `Connected`; a stream that cannot connect in the time the
/// client takes to try every URL is a failed start.
async fn wait_connected(client: &Client, stream: &mut EventStream) -> Result<String, CliError> {
    let config = client.config();
    let per_url = config.connect_timeout + config.request_timeout;
    let deadline = per_url * u32::try_from(config.urls.len()).unwrap_or(1) + Duration::from_secs(1);
    let mut last_error = None;
    let waited = tokio::time::timeout(deadline, async {
        while let Some(item) = stream.next().await {
            match item {
                StreamItem::Connected { url, .. } => return Some(url),
                StreamItem::Disconnected { error, .. } => last_error = Some(error),
                StreamItem::Event(_) => {}
            }
        }
        None
    })
    .await;
    match waited {
        Ok(Some(url)) => Ok(url),
        _ => Err(anyhow!(
            "the event stream at {} did not open{}; check that the token may read events and that nothing between here and the API cuts long-lived connections",
            config.urls.join(", "),
            last_error
                .map(|e| format!(": {}", lines::clean(&e)))
                .unwrap_or_default()
        )
        .into()),
    }
}

/// Everything the start (or a reload) shows, read from the API.
async fn load(
    client: &Client,
    follower: &Follower,
    simulated: bool,
) -> Result<Snapshot, ClientError> {
    let (topology, alerts, incidents, actions) = tokio::try_join!(
        client.topology(),
        client.alerts(),
        client.incidents(None),
        client.actions(None),
    )?;
    let mut timelines = Vec::new();
    for id in follower.followed(&incidents) {
        timelines.push(client.timeline(id).await?);
    }
    let now = match simulated {
        true => client.sim_status().await?.clock,
        false => chrono::Utc::now(),
    };
    Ok(Snapshot {
        topology,
        alerts: alerts.alerts,
        incidents,
        timelines,
        actions,
        now,
    })
}

/// A failed start, saying which API and what to check.
fn start_error(urls: &[String], error: &ClientError) -> CliError {
    let urls = urls.join(", ");
    let error_text = lines::clean(&error.to_string());
    let message = if error.is_unreachable() {
        format!(
            "cannot reach the API at {urls} ({error_text}); check that `warroom serve` is running and listening there, and that --api (or WARROOM_API, or `api` in the config file) names it"
        )
    } else if error.status() == Some(401) {
        format!(
            "the API at {urls} refused the token ({error_text}); pass a valid one with --token or WARROOM_TOKEN"
        )
    } else {
        format!("the API at {urls} answered with an error: {error_text}")
    };
    anyhow!(message).into()
}

/// Standard output, one line at a time, flushed after each.
struct Output {
    out: tokio::io::Stdout,
}

impl Output {
    fn new() -> Output {
        Output {
            out: tokio::io::stdout(),
        }
    }

    async fn write(&mut self, lines: &[String]) -> std::io::Result<()> {
        for line in lines {
            let mut bytes = Vec::with_capacity(line.len() + 1);
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
            self.out.write_all(&bytes).await?;
            self.out.flush().await?;
        }
        Ok(())
    }
}
