//! A small JSON API on axum: `GET /` says hello and reports the uid the
//! process runs as (65532 in a distill image), `GET /healthz` answers "ok".

use std::net::SocketAddr;

use axum::{routing::get, Json, Router};
use serde::Serialize;

#[derive(Serialize)]
struct Hello {
    message: &'static str,
    uid: Option<u32>,
}

async fn hello() -> Json<Hello> {
    Json(Hello {
        message: "hello from distill",
        uid: current_uid(),
    })
}

async fn healthz() -> &'static str {
    "ok"
}

/// The real uid, from the "Uid:" line of /proc/self/status (real, effective,
/// saved and filesystem uids), without a libc binding.
fn current_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Resolves on SIGTERM (docker stop) or Ctrl-C. The server runs as PID 1 in
/// the container, where signals without a handler are ignored.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("bad PORT {p:?}"))
        })?,
        Err(_) => 8080,
    };
    let app = Router::new()
        .route("/", get(hello))
        .route("/healthz", get(healthz));

    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port))).await?;
    eprintln!("hello-axum listening on {}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}
