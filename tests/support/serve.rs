//! `warroom serve` as a child process, waited for by the line that says
//! where it listens.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::command::warroom_command;
use super::serve_args::serve_args;

/// A running `warroom serve`, killed when dropped.
pub struct ServeProcess {
    pub child: tokio::process::Child,
    pub url: String,
}

/// `serve_args` listening on the port of `url` (a restart on the same
/// address, so clients that knew the old one find the new one).
pub fn serve_args_at(
    url: &str,
    fleet: &Path,
    db: &Path,
    tokens: &Path,
    extra: &[&str],
) -> Vec<String> {
    let port = url.rsplit(':').next().expect("a URL with a port");
    serve_args(fleet, db, tokens, extra)
        .into_iter()
        .map(|a| {
            if a == "127.0.0.1:0" {
                format!("127.0.0.1:{port}")
            } else {
                a
            }
        })
        .collect()
}

/// Starts `warroom serve` and waits (up to 20 s) for the line that says
/// where it listens.
pub async fn spawn_serve(dir: &Path, args: &[String]) -> ServeProcess {
    spawn_serve_with_env(dir, args, &[]).await
}

/// [`spawn_serve`] with more environment variables (a fleet file's secrets).
pub async fn spawn_serve_with_env(
    dir: &Path,
    args: &[String],
    env: &[(&str, &str)],
) -> ServeProcess {
    let stderr = dir.join(format!("serve-{}.stderr", unique_suffix()));
    let stderr_file = std::fs::File::create(&stderr).expect("stderr file");
    let mut command = warroom_command(dir, args);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr_file))
        .spawn()
        .expect("spawn warroom serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let prefix = "warroom serve: listening on ";
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.strip_prefix(prefix) {
                return Some(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
        None
    })
    .await;
    let url = match found {
        Ok(Some(url)) => url,
        other => {
            let _ = child.start_kill();
            let log = std::fs::read_to_string(&stderr).unwrap_or_default();
            panic!("warroom serve did not say where it listens ({other:?}); stderr:\n{log}");
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    ServeProcess { child, url }
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
