//! An axum hello-world for `benches/axum.sh`: the same source is built by
//! `on-weave/` (with `tokio` patched to weave's compat crate) and by
//! `on-tokio/` (crates.io's Tokio), so the two servers differ only in the
//! runtime underneath.
//!
//! Usage: `server PORT`. Listens on 127.0.0.1:PORT and prints nothing, so
//! the script's measurements are not disturbed by logging.

use axum::{routing::get, Router};

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| {
            eprintln!("usage: server PORT");
            std::process::exit(2);
        });
    let app = Router::new().route("/", get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
