//! `warroom serve` as a child process for the console tests that need a
//! second client (the Rust API client) or a fleet of their own, and a
//! console in tmux connected to it. The server listens on 127.0.0.1:0 and
//! is killed when dropped, even when the test fails.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::serve_args::{serve_args, tokens_file_text};
use crate::support::tmux::{Tmux, binary};
use warroom::client::{Client, ClientConfig};

/// A `warroom serve` child process on 127.0.0.1:0; killed when dropped.
pub struct ApiServe {
    child: Child,
    pub url: String,
    stderr: PathBuf,
}

impl ApiServe {
    /// Starts `warroom serve` on `fleet` (a fleet file's text) with the
    /// test tokens and `extra` arguments (`--scenario`, `--speed`), and
    /// waits up to 20 s for the line saying where it listens.
    pub fn start(dir: &Path, fleet: &str, extra: &[&str]) -> ApiServe {
        let tokens = dir.join("tokens.toml");
        std::fs::write(&tokens, tokens_file_text()).expect("tokens file");
        let fleet_file = dir.join("fleet.toml");
        std::fs::write(&fleet_file, fleet).expect("fleet file");
        let args = serve_args(&fleet_file, &dir.join("warroom.db"), &tokens, extra);
        let stderr = dir.join("serve.stderr");
        let mut child = Command::new(binary())
            .args(&args)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("WARROOM_LOG", "warn")
            .env_remove("WARROOM_API")
            .env_remove("WARROOM_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("spawn warroom serve");
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("warroom serve has no stdout pipe");
        };
        let (found, url) = mpsc::channel();
        // Reads the address, then keeps draining stdout so serve never
        // blocks on a full pipe.
        std::thread::spawn(move || {
            let prefix = "warroom serve: listening on ";
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix(prefix) {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = found.send(address.to_string());
                }
            }
        });
        let serve = match url.recv_timeout(Duration::from_secs(20)) {
            Ok(url) => ApiServe { child, url, stderr },
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&stderr).unwrap_or_default();
                panic!("warroom serve did not say where it listens ({e}); stderr:\n{log}");
            }
        };
        assert!(serve.url.starts_with("http://127.0.0.1:"), "{}", serve.url);
        serve
    }

    /// What serve wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The Rust API client on this server with `token`.
    pub fn client(&self, token: &str) -> Client {
        Client::new(ClientConfig::new(
            vec![self.url.clone()],
            Some(token.to_string()),
        ))
        .expect("API client")
    }
}

impl Drop for ApiServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A console in a tmux server of its own (`width`×`height`), connected to
/// `url` with `token` (and `extra` arguments, e.g. `--config FILE`), once
/// it shows the fleet and the live API.
pub fn console(url: &str, token: &str, width: u16, height: u16, extra: &[&str]) -> Tmux {
    let tmux = Tmux::start(width, height);
    let mut line = format!("{} --api {url} --token {token}", binary());
    for arg in extra {
        line.push(' ');
        line.push_str(arg);
    }
    tmux.type_line(&line);
    tmux.wait_for("the console to connect", Duration::from_secs(30), |s| {
        s.contains("API live") && s.contains("app-01")
    });
    tmux
}

/// A runtime for the API client's calls from a plain `#[test]`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}
