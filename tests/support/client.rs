//! The real client for a URL.

use warroom::client::{Client, ClientConfig};

pub fn client_for(url: &str, token: Option<&str>) -> Client {
    Client::new(ClientConfig::new(
        vec![url.to_string()],
        token.map(str::to_string),
    ))
    .expect("client")
}
