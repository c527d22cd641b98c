//! DESIGN.md §8's idle bar: a console left alone on a healthy fleet of
//! 10,000 sites and 1,000 servers receives under 1 KB/s from the API and
//! uses less CPU than btop on the same machine.
//!
//! Real processes in a real terminal, loopback only: `warroom serve` (the
//! release binary) simulates a generated fleet with no scenario, so every
//! probe comes up and stays up; the console connects through a counting
//! TCP proxy in this process; the console and btop each run in a window of
//! a private tmux server at 200x60. Once the console shows the whole fleet
//! up, bytes from the API and CPU time of both programs are measured over
//! a window of `IDLE_SECS` seconds (default 30). A table shows the numbers
//! against the targets; with `IDLE_STRICT=1` a missed target fails the run.
//!
//! `cargo bench --bench idle_console`. Needs tmux and btop
//! (`apt-get install tmux btop`).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

#[path = "support/big_fleet.rs"]
mod big_fleet;
#[path = "support/idle_rig.rs"]
mod idle_rig;

use big_fleet::{FleetShape, fleet_toml};
use idle_rig::{
    CountingProxy, ServeProcess, Tmux, check_stop, clock_ticks, cpu_ticks, process_name, sh_quote,
    stop_on_signals,
};

const SIZE: (u16, u16) = (200, 60);
/// Bytes per second the idle console may receive from the API.
const BYTES_PER_SECOND_TARGET: f64 = 1024.0;
/// How long the fleet may take to be served, loaded and all up.
const READY_DEADLINE: Duration = Duration::from_secs(180);
/// Start-up is over after this long without a burst.
const SETTLE_QUIET: Duration = Duration::from_secs(12);
/// A second with more than this from the API is a burst (start-up's run to
/// 100 KB and more a second; idling is a few hundred bytes).
const BURST_BYTES: u64 = 20_000;
const SETTLE_DEADLINE: Duration = Duration::from_secs(180);

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs bench
    // targets without it. This bench needs tmux, btop and 30 s of quiet: it
    // runs only when asked for.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "idle_console: measured by `cargo bench --bench idle_console`, not under cargo test"
        );
        return;
    }
    if let Err(error) = run() {
        eprintln!("idle_console: {error:#}");
        std::process::exit(1);
    }
}

/// CPU time of one process over the window.
struct CpuProbe {
    pid: u32,
    start: u64,
}

impl CpuProbe {
    fn start(pid: u32) -> anyhow::Result<CpuProbe> {
        Ok(CpuProbe {
            pid,
            start: cpu_ticks(pid)?,
        })
    }

    /// Percent of one core since `start`.
    fn percent(&self, elapsed: Duration, ticks_per_second: f64) -> anyhow::Result<f64> {
        let used = cpu_ticks(self.pid)?.saturating_sub(self.start) as f64 / ticks_per_second;
        Ok(100.0 * used / elapsed.as_secs_f64())
    }
}

fn run() -> anyhow::Result<()> {
    let window = match std::env::var("IDLE_SECS") {
        Ok(text) => Duration::from_secs_f64(
            text.parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0)
                .with_context(|| format!("IDLE_SECS={text:?} is not a positive number"))?,
        ),
        Err(_) => Duration::from_secs(30),
    };
    let strict = std::env::var("IDLE_STRICT").is_ok_and(|v| v == "1");
    let btop = which("btop").context("install btop: apt-get install btop")?;
    let binary = Path::new(env!("CARGO_BIN_EXE_warroom"));
    if !binary.exists() {
        bail!(
            "{} is missing: run `cargo build --release` (cargo bench builds it)",
            binary.display()
        );
    }
    let ticks_per_second = clock_ticks()?;
    stop_on_signals()?;

    // Declared in this order so they drop in reverse: tmux, proxy, serve, files.
    let dir = tempfile::tempdir().context("cannot make a temp dir")?;
    let shape = FleetShape::IDLE_BAR;
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(&fleet, fleet_toml(shape)).context("cannot write the fleet file")?;
    let token = format!("idle-{}", uuid::Uuid::new_v4().simple());
    let tokens = dir.path().join("tokens.toml");
    std::fs::write(
        &tokens,
        format!("[[token]]\nname = \"idle-bench\"\nrole = \"commander\"\ntoken = \"{token}\"\n"),
    )
    .context("cannot write the tokens file")?;

    let started = Instant::now();
    let args: Vec<String> = [
        "serve",
        "--fleet",
        &fleet.display().to_string(),
        "--listen",
        "127.0.0.1:0",
        "--db",
        &format!("sqlite://{}", dir.path().join("db.sqlite").display()),
        "--tokens",
        &tokens.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut serve = ServeProcess::start(
        binary,
        &args,
        dir.path().join("serve.stderr"),
        READY_DEADLINE,
    )?;
    let api: SocketAddr = serve
        .url
        .trim_start_matches("http://")
        .parse()
        .with_context(|| format!("serve printed {:?}", serve.url))?;
    let proxy = CountingProxy::start(api)?;

    // Each program gets a clean environment and a HOME of its own, so
    // neither reads nor writes the user's config, journal or logs.
    let home = |name: &str| -> anyhow::Result<String> {
        let root = dir.path().join(name);
        for sub in ["config", "state", "data"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        let r = root.display();
        Ok(format!(
            "env -i PATH=/usr/bin:/bin HOME={h} TERM=tmux-256color LANG=C.UTF-8 \
             XDG_CONFIG_HOME={c} XDG_STATE_HOME={s} XDG_DATA_HOME={d}",
            h = sh_quote(&r.to_string()),
            c = sh_quote(&format!("{r}/config")),
            s = sh_quote(&format!("{r}/state")),
            d = sh_quote(&format!("{r}/data")),
        ))
    };
    let console_command = format!(
        "exec {env} {bin} --api http://{proxy} --token {token} --no-mouse --no-notify",
        env = home("console-home")?,
        bin = sh_quote(&binary.display().to_string()),
        proxy = proxy.addr,
    );
    let btop_command = format!(
        "exec {env} {btop} --utf-force",
        env = home("btop-home")?,
        btop = sh_quote(&btop),
    );
    let socket = format!("warroom-idle-{}", std::process::id());
    let tmux = Tmux::start(&socket, "idle", "console", SIZE, &console_command)?;
    tmux.new_window("btop", &btop_command)?;

    let console_pid = tmux.pane_pid("console")?;
    let btop_pid = tmux.pane_pid("btop")?;
    // The pane's process becomes the program once tmux's fork, the shell
    // and env have each exec'd.
    for (pid, name) in [(console_pid, "warroom"), (btop_pid, "btop")] {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            check_stop()?;
            let found = process_name(pid)?;
            if found == name {
                break;
            }
            if Instant::now() >= end {
                bail!("the pane's process {pid} is {found:?}, not {name}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    for window in ["console", "btop"] {
        let size = tmux.pane(window, "#{pane_width}x#{pane_height}")?;
        if size != format!("{}x{}", SIZE.0, SIZE.1) {
            bail!("the {window} window is {size}, not {}x{}", SIZE.0, SIZE.1);
        }
    }
    tmux.wait_for("btop", "btop's cpu box", READY_DEADLINE, |s| {
        s.contains("cpu") && s.contains("mem")
    })?;
    let servers_title = format!("{} servers ", shape.servers());
    let sites_title = format!("Sites {} ", shape.sites);
    let all_up = format!("{} up", shape.sites);
    tmux.wait_for(
        "console",
        "the whole fleet, every site up",
        READY_DEADLINE,
        |s| all_shown_up(s, &servers_title, &sites_title, &all_up),
    )?;
    let ready_after = started.elapsed();
    if !serve.running() {
        bail!("warroom serve exited:\n{}", serve.stderr_text());
    }

    // The orchestrator's first detection rounds turn every probe from
    // unknown to up (a burst of health events, about 3 MB at this size):
    // that is start-up, not idling. Wait until no second carries a burst.
    let settle_start = Instant::now();
    let mut calm_since = Instant::now();
    let mut seen = proxy.bytes_from_upstream();
    while calm_since.elapsed() < SETTLE_QUIET {
        check_stop()?;
        if settle_start.elapsed() > SETTLE_DEADLINE {
            bail!(
                "the API never settled: still bursting after {} s",
                SETTLE_DEADLINE.as_secs()
            );
        }
        std::thread::sleep(Duration::from_secs(1));
        let now = proxy.bytes_from_upstream();
        if now - seen > BURST_BYTES {
            calm_since = Instant::now();
        }
        seen = now;
    }
    let settled_after = settle_start.elapsed();

    // The window: nothing happens but time passing.
    let initial_bytes = proxy.bytes_from_upstream();
    let initial_connections = proxy.connections();
    let sent_before = proxy.bytes_to_upstream();
    let console_cpu = CpuProbe::start(console_pid)?;
    let btop_cpu = CpuProbe::start(btop_pid)?;
    let serve_cpu = CpuProbe::start(serve.pid())?;
    let window_start = Instant::now();
    let mut peak_second = 0u64;
    let mut last = initial_bytes;
    while window_start.elapsed() < window {
        check_stop()?;
        let step = (window - window_start.elapsed()).min(Duration::from_secs(1));
        std::thread::sleep(step);
        let now = proxy.bytes_from_upstream();
        peak_second = peak_second.max(now - last);
        last = now;
        for pane in ["console", "btop"] {
            if tmux.pane(pane, "#{pane_dead}")? == "1" {
                bail!(
                    "{pane} exited during the window; its screen:\n{}",
                    tmux.screen(pane)?
                );
            }
        }
    }
    let elapsed = window_start.elapsed();
    let received = proxy.bytes_from_upstream() - initial_bytes;
    let sent = proxy.bytes_to_upstream() - sent_before;
    let console_percent = console_cpu.percent(elapsed, ticks_per_second)?;
    let btop_percent = btop_cpu.percent(elapsed, ticks_per_second)?;
    let serve_percent = serve_cpu.percent(elapsed, ticks_per_second)?;
    let end_screen = tmux.screen("console")?;
    let still_up = all_shown_up(&end_screen, &servers_title, &sites_title, &all_up);

    let bytes_per_second = received as f64 / elapsed.as_secs_f64();
    let bytes_hold = bytes_per_second <= BYTES_PER_SECOND_TARGET;
    let cpu_holds = console_percent < btop_percent;
    let yes_no = |b: bool| if b { "yes" } else { "NO" };
    println!();
    println!(
        "idle console: {} sites, {} servers; `warroom serve` simulating the fleet with no \
         scenario (every probe up, no faults); console and btop in tmux at {}x{}",
        shape.sites,
        shape.servers(),
        SIZE.0,
        SIZE.1
    );
    println!(
        "start-up: {} bytes from the API over {} connection(s), fleet shown all up {:.1} s after serve started, the stream quiet {:.1} s later",
        initial_bytes,
        initial_connections,
        ready_after.as_secs_f64(),
        settled_after.as_secs_f64()
    );
    println!(
        "window: {:.1} s; {} bytes from the API ({} to it, {} connection(s) in all); busiest second {} bytes; fleet still all up at the end: {}",
        elapsed.as_secs_f64(),
        received,
        sent,
        proxy.connections(),
        peak_second,
        yes_no(still_up)
    );
    println!();
    println!("| measure                  |        value | target          | holds |");
    println!("|--------------------------|--------------|-----------------|-------|");
    println!(
        "| bytes/s from the API     | {:>12.0} | <= {:<12.0} | {:<5} |",
        bytes_per_second,
        BYTES_PER_SECOND_TARGET,
        yes_no(bytes_hold)
    );
    println!(
        "| console CPU % (one core) | {:>12.2} | < btop's {:<6.2} | {:<5} |",
        console_percent,
        btop_percent,
        yes_no(cpu_holds)
    );
    println!(
        "| btop CPU % (one core)    | {:>12.2} |                 |       |",
        btop_percent
    );
    println!(
        "| serve CPU % (for info)   | {:>12.2} |                 |       |",
        serve_percent
    );
    println!();
    if !still_up {
        eprintln!("the fleet did not stay all up; the console's last screen:\n{end_screen}");
    }
    if strict && !(bytes_hold && cpu_holds && still_up) {
        bail!("IDLE_STRICT=1 and a target was missed");
    }
    Ok(())
}

/// Whether the console's screen shows the whole fleet with every site up
/// and no server counted unhealthy (the servers pane's title says
/// "N unhealthy" when any is).
fn all_shown_up(screen: &str, servers_title: &str, sites_title: &str, all_up: &str) -> bool {
    let servers_line = screen.lines().find(|l| l.contains(servers_title));
    servers_line.is_some_and(|l| {
        // The title runs from the pane's name to the border that follows it.
        let rest = &l[l.find(servers_title).unwrap_or(0)..];
        let title = rest.split(['━', '─']).next().unwrap_or(rest);
        !title.contains("unhealthy")
    }) && screen.contains(sites_title)
        && screen.contains(all_up)
}

/// The full path of a program on PATH.
fn which(program: &str) -> anyhow::Result<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
        .with_context(|| format!("{program} is not on PATH"))
}
