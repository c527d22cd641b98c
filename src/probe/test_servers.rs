//! Small real servers on 127.0.0.1 for probe tests. Each is bound before the
//! function returns, so a probe can start at once.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

async fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
}

/// Reads until the end of the request head (or EOF) and returns it.
async fn read_request_head(socket: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Answers every request with `response` (raw bytes) and closes.
pub(super) async fn http_server(response: &'static [u8]) -> SocketAddr {
    let listener = bind().await;
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                read_request_head(&mut socket).await;
                let _ = socket.write_all(response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

/// Like [`http_server`] but hands the first request head to the test.
pub(super) async fn recording_http_server(
    response: &'static [u8],
) -> (SocketAddr, oneshot::Receiver<String>) {
    let listener = bind().await;
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        if let Ok((mut socket, _)) = listener.accept().await {
            let head = read_request_head(&mut socket).await;
            let _ = tx.send(head);
            let _ = socket.write_all(response).await;
            let _ = socket.shutdown().await;
        }
    });
    (addr, rx)
}

/// Accepts connections and never answers; keeps every socket open.
pub(super) async fn black_hole() -> SocketAddr {
    let listener = bind().await;
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// Answers 200 with a huge announced body, sends 64 KiB of it, then stalls
/// with the connection open.
pub(super) async fn endless_body_server() -> SocketAddr {
    let listener = bind().await;
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                read_request_head(&mut socket).await;
                let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n";
                let _ = socket.write_all(head).await;
                let _ = socket.write_all(&[b'x'; 64 * 1024]).await;
                // Hold the connection open without sending the rest.
                std::future::pending::<()>().await;
                drop(socket);
            });
        }
    });
    addr
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub(super) async fn closed_port() -> SocketAddr {
    let listener = bind().await;
    listener.local_addr().expect("local addr")
}
