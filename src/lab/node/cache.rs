//! A minimal memcached client: the text protocol over TCP, `get` and `set`
//! only, every call bounded by a timeout.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
pub const CALL_TIMEOUT: Duration = Duration::from_millis(500);
/// Values the lab stores are small; anything bigger is a protocol error.
const MAX_VALUE: usize = 1 << 20;

/// One connection to one memcached node.
pub struct CacheConn {
    stream: BufReader<TcpStream>,
    pub addr: String,
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

fn protocol(line: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected answer from memcached: {:?}", line.trim_end()),
    )
}

impl CacheConn {
    pub async fn connect(addr: &str) -> io::Result<CacheConn> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| timed_out("connect"))??;
        stream.set_nodelay(true)?;
        Ok(CacheConn {
            stream: BufReader::new(stream),
            addr: addr.to_string(),
        })
    }

    /// The value stored under `key`, if any.
    pub async fn get(&mut self, key: &str) -> io::Result<Option<Vec<u8>>> {
        check_key(key)?;
        tokio::time::timeout(CALL_TIMEOUT, self.get_inner(key))
            .await
            .map_err(|_| timed_out("get"))?
    }

    async fn get_inner(&mut self, key: &str) -> io::Result<Option<Vec<u8>>> {
        self.stream
            .get_mut()
            .write_all(format!("get {key}\r\n").as_bytes())
            .await?;
        let line = self.line().await?;
        if line == "END\r\n" {
            return Ok(None);
        }
        // VALUE <key> <flags> <bytes>
        let fields: Vec<&str> = line.split_whitespace().collect();
        let len: usize = match fields.as_slice() {
            ["VALUE", k, _flags, bytes] if *k == key => {
                bytes.parse().map_err(|_| protocol(&line))?
            }
            _ => return Err(protocol(&line)),
        };
        if len > MAX_VALUE {
            return Err(protocol(&line));
        }
        let mut value = vec![0; len + 2];
        self.stream.read_exact(&mut value).await?;
        value.truncate(len);
        let end = self.line().await?;
        if end != "END\r\n" {
            return Err(protocol(&end));
        }
        Ok(Some(value))
    }

    /// Stores `value` under `key` for `ttl_s` seconds.
    pub async fn set(&mut self, key: &str, value: &[u8], ttl_s: u32) -> io::Result<()> {
        check_key(key)?;
        tokio::time::timeout(CALL_TIMEOUT, async {
            let mut request = format!("set {key} 0 {ttl_s} {}\r\n", value.len()).into_bytes();
            request.extend_from_slice(value);
            request.extend_from_slice(b"\r\n");
            self.stream.get_mut().write_all(&request).await?;
            let line = self.line().await?;
            if line == "STORED\r\n" {
                Ok(())
            } else {
                Err(protocol(&line))
            }
        })
        .await
        .map_err(|_| timed_out("set"))?
    }

    async fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        let n = (&mut self.stream).take(1024).read_line(&mut line).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "memcached closed the connection",
            ));
        }
        Ok(line)
    }
}

/// Keys go into a text protocol line: no spaces or control characters.
fn check_key(key: &str) -> io::Result<()> {
    if key.is_empty() || key.len() > 250 || key.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a memcached key",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake memcached answering `answers` in order, one per request line.
    async fn fake(answers: Vec<&'static str>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let mut stream = BufReader::new(stream);
            for answer in answers {
                let mut line = String::new();
                stream.read_line(&mut line).await.expect("request");
                if line.starts_with("set ") {
                    let mut data = String::new();
                    stream.read_line(&mut data).await.expect("data");
                }
                stream
                    .get_mut()
                    .write_all(answer.as_bytes())
                    .await
                    .expect("answer");
            }
        });
        addr
    }

    #[tokio::test]
    async fn get_and_set_speak_the_text_protocol() {
        let addr = fake(vec![
            "END\r\n",
            "STORED\r\n",
            "VALUE k 0 5\r\nhello\r\nEND\r\n",
        ])
        .await;
        let mut conn = CacheConn::connect(&addr).await.expect("connect");
        assert_eq!(conn.get("k").await.expect("get"), None);
        conn.set("k", b"hello", 60).await.expect("set");
        assert_eq!(conn.get("k").await.expect("get"), Some(b"hello".to_vec()));
    }

    #[tokio::test]
    async fn a_silent_node_times_out_instead_of_hanging() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let mut conn = CacheConn::connect(&addr).await.expect("connect");
        let started = std::time::Instant::now();
        let error = conn.get("k").await.expect_err("no answer");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < CALL_TIMEOUT * 4);
        drop(listener);
    }

    #[tokio::test]
    async fn keys_with_spaces_are_refused_before_sending() {
        let addr = fake(vec![]).await;
        let mut conn = CacheConn::connect(&addr).await.expect("connect");
        assert_eq!(
            conn.get("a b").await.expect_err("refused").kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
