//! Protocol-level checks of the lab's memcached and PostgreSQL, served by
//! the lab's monitor node for the probes: `GET /check/memcached/ADDR` and
//! `GET /check/pg/ADDR` answer 200 when the service answers within
//! `within_ms`, 503 otherwise. A stopped (SIGSTOP) process whose kernel
//! still completes the TCP handshake fails them, where a TCP connect probe
//! would call it healthy. Only loopback addresses are checked.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// PostgreSQL's SSLRequest: length 8, code 80877103. The server answers
/// one byte, `S` or `N`, before any authentication.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
const DEFAULT_WITHIN: Duration = Duration::from_millis(300);

#[derive(Debug, serde::Deserialize)]
pub struct Within {
    within_ms: Option<u64>,
}

pub async fn check(
    Path((kind, addr)): Path<(String, String)>,
    Query(within): Query<Within>,
) -> (StatusCode, String) {
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        return (StatusCode::BAD_REQUEST, "not host:port\n".into());
    };
    if !addr.ip().is_loopback() {
        return (StatusCode::FORBIDDEN, "only loopback addresses\n".into());
    }
    let within = within
        .within_ms
        .map_or(DEFAULT_WITHIN, Duration::from_millis)
        .min(Duration::from_secs(10));
    let answer = match kind.as_str() {
        "memcached" => tokio::time::timeout(within, memcached(addr)).await,
        "pg" => tokio::time::timeout(within, postgres(addr)).await,
        _ => return (StatusCode::NOT_FOUND, "check memcached or pg\n".into()),
    };
    match answer {
        Ok(Ok(())) => (StatusCode::OK, "ok\n".into()),
        Ok(Err(error)) => (StatusCode::SERVICE_UNAVAILABLE, format!("{error}\n")),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("no answer within {} ms\n", within.as_millis()),
        ),
    }
}

async fn memcached(addr: SocketAddr) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(b"version\r\n").await?;
    let mut answer = [0u8; 8];
    stream.read_exact(&mut answer).await?;
    if &answer == b"VERSION " {
        Ok(())
    } else {
        Err(std::io::Error::other("not a memcached answer"))
    }
}

async fn postgres(addr: SocketAddr) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(&SSL_REQUEST).await?;
    let mut answer = [0u8; 1];
    stream.read_exact(&mut answer).await?;
    if matches!(&answer, b"S" | b"N") {
        Ok(())
    } else {
        Err(std::io::Error::other("not a PostgreSQL answer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(router: axum::Router, uri: &str) -> StatusCode {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let status = client
            .get(format!("http://{addr}{uri}"))
            .send()
            .await
            .expect("answer")
            .status();
        server.abort();
        StatusCode::from_u16(status.as_u16()).expect("status")
    }

    fn router() -> axum::Router {
        axum::Router::new().route("/check/{kind}/{addr}", axum::routing::get(check))
    }

    #[tokio::test]
    async fn a_listener_that_never_answers_fails_the_check_within_its_time() {
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = silent.local_addr().expect("addr");
        let started = std::time::Instant::now();
        let status = get(router(), &format!("/check/pg/{addr}?within_ms=100")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() < Duration::from_secs(2));
        let status = get(router(), &format!("/check/memcached/{addr}?within_ms=100")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        drop(silent);
    }

    #[tokio::test]
    async fn a_server_answering_like_postgresql_passes_and_others_are_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 8];
                if socket.read_exact(&mut request).await.is_ok() && request == SSL_REQUEST {
                    let _ = socket.write_all(b"N").await;
                }
            }
        });
        assert_eq!(
            get(router(), &format!("/check/pg/{addr}")).await,
            StatusCode::OK
        );
        assert_eq!(
            get(router(), "/check/pg/10.1.2.3:5432").await,
            StatusCode::FORBIDDEN,
            "not an open proxy"
        );
        assert_eq!(
            get(router(), "/check/ftp/127.0.0.1:21").await,
            StatusCode::NOT_FOUND
        );
    }
}
