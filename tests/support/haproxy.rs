//! A real HAProxy (the system binary) in a temporary directory: a frontend
//! on a free loopback port routing by Host header through `sites.map`, an
//! admin runtime socket, and backends whose servers are small in-process
//! HTTP servers answering with their own name. Killed when dropped.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::wait::eventually;

const READY_WAIT: Duration = Duration::from_secs(20);
const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);

/// One backend of the generated configuration.
pub struct Backend {
    pub name: String,
    pub servers: Vec<Server>,
}

/// One server line; `disabled` starts it in maintenance.
pub struct Server {
    pub name: String,
    pub addr: SocketAddr,
    pub disabled: bool,
}

impl Backend {
    pub fn new(name: &str, servers: Vec<Server>) -> Backend {
        Backend {
            name: name.to_string(),
            servers,
        }
    }
}

impl Server {
    pub fn new(name: &str, addr: SocketAddr) -> Server {
        Server {
            name: name.to_string(),
            addr,
            disabled: false,
        }
    }

    pub fn disabled(name: &str, addr: SocketAddr) -> Server {
        Server {
            disabled: true,
            ..Server::new(name, addr)
        }
    }
}

/// Serves `name` as the body of every request, on a loopback port, for the
/// rest of the test's runtime.
pub async fn name_server(name: &str) -> SocketAddr {
    let body = name.to_string();
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { body }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The `haproxy` binary, or a failure telling how to install it.
pub fn haproxy_binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("haproxy"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("install haproxy: apt-get install haproxy"))
}

/// A running HAProxy; killed and reaped when dropped, even on a panic.
pub struct Haproxy {
    child: Option<Child>,
    config: PathBuf,
    log: PathBuf,
    pub port: u16,
    /// The admin-level runtime API socket.
    pub socket: PathBuf,
    /// A second runtime socket at `level user` (read-only).
    pub user_socket: PathBuf,
    pub map_file: PathBuf,
}

impl Haproxy {
    /// Writes `sites.map` from `sites` (Host, backend) and the configuration
    /// into `dir`, starts HAProxy and waits until it answers.
    pub async fn start(dir: &Path, backends: &[Backend], sites: &[(&str, &str)]) -> Haproxy {
        let map_file = dir.join("sites.map");
        let map: String = sites
            .iter()
            .map(|(host, backend)| format!("{host} {backend}\n"))
            .collect();
        std::fs::write(&map_file, format!("# Host -> backend\n{map}")).expect("map file");
        let port = free_port();
        let socket = dir.join("admin.sock");
        let user_socket = dir.join("user.sock");
        let config = dir.join("haproxy.cfg");
        std::fs::write(
            &config,
            config_text(port, &socket, &user_socket, &map_file, backends),
        )
        .expect("config");
        let mut haproxy = Haproxy {
            child: None,
            config,
            log: dir.join("haproxy.log"),
            port,
            socket,
            user_socket,
            map_file,
        };
        haproxy.spawn().await;
        haproxy
    }

    /// Stops HAProxy and starts it again from the same files, as a reload
    /// from disk would: what only lived in the runtime is gone.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    async fn spawn(&mut self) {
        let log = std::fs::File::create(&self.log).expect("log file");
        let child = Command::new(haproxy_binary())
            .arg("-db")
            .arg("-f")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start haproxy");
        self.child = Some(child);
        let port = self.port;
        eventually(
            READY_WAIT,
            "haproxy to accept on its socket and port",
            || {
                if let Some(status) = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten())
                {
                    panic!(
                        "haproxy exited with {status}:\n{}",
                        std::fs::read_to_string(&self.log).unwrap_or_default()
                    );
                }
                let up = UnixStream::connect(&self.socket).is_ok()
                    && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
                async move { up.then_some(()) }
            },
        )
        .await;
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The frontend's URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// HAProxy's answer to one runtime API command on the admin socket.
    pub fn ask(&self, command: &str) -> String {
        let mut stream = UnixStream::connect(&self.socket).expect("runtime socket");
        stream
            .set_read_timeout(Some(SOCKET_TIMEOUT))
            .expect("timeout");
        stream
            .write_all(format!("{command}\n").as_bytes())
            .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        answer
    }

    /// The server's `srv_admin_state` bits from `show servers state`.
    pub fn admin_state(&self, backend: &str, server: &str) -> u32 {
        let answer = self.ask(&format!("show servers state {backend}"));
        let header = answer
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .unwrap_or_else(|| panic!("no header in {answer:?}"));
        let columns: Vec<&str> = header.split_whitespace().collect();
        let at = |name: &str| columns.iter().position(|c| *c == name).expect(name);
        let (name_at, admin_at) = (at("srv_name"), at("srv_admin_state"));
        answer
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.len() > admin_at && f[name_at] == server)
            .map(|f| f[admin_at].parse().expect("a number"))
            .unwrap_or_else(|| panic!("{backend}/{server} not in {answer:?}"))
    }

    /// Status and body of `GET /` with this Host header, on a new connection.
    pub async fn get(&self, host: &str) -> (u16, String) {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client");
        let response = client
            .get(self.url())
            .header(reqwest::header::HOST, host)
            .send()
            .await
            .expect("a response through haproxy");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nothing listens on right now, for HAProxy's frontend.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn config_text(
    port: u16,
    socket: &Path,
    user_socket: &Path,
    map_file: &Path,
    backends: &[Backend],
) -> String {
    let mut text = format!(
        "global\n\
         \tstats socket {} level admin\n\
         \tstats socket {} level user\n\
         defaults\n\
         \tmode http\n\
         \ttimeout connect 2s\n\
         \ttimeout client 10s\n\
         \ttimeout server 10s\n\
         frontend sites\n\
         \tbind 127.0.0.1:{port}\n\
         \tuse_backend %[req.hdr(host),lower,map({})]\n",
        socket.display(),
        user_socket.display(),
        map_file.display(),
    );
    for backend in backends {
        text.push_str(&format!("backend {}\n", backend.name));
        for server in &backend.servers {
            let disabled = if server.disabled { " disabled" } else { "" };
            text.push_str(&format!(
                "\tserver {} {}{disabled}\n",
                server.name, server.addr
            ));
        }
    }
    text
}
