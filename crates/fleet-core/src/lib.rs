//! fleet-core: the machinery every Sanctuary Fleet cluster shares.
//!
//! A cluster crate implements [`Cluster`] (its identity and a tool router) and calls
//! [`run_main`]; everything else lives here: the three MCP transports, the health, readiness,
//! manifest and metrics endpoints, the six guardrails' shared parts, configuration, logging and
//! shutdown. fleet-core names no cluster and holds no tool.
//!
//! # Layout
//! - [`config`]: `CoreConfig::from_env`, the documented variable table, the error-collecting reader.
//! - [`cluster`]: the [`Cluster`] trait a cluster crate implements.
//! - [`server`]: [`Fleet`] (shared state) and [`FleetServer`] (the rmcp handler per session).
//! - [`session`]: per-session state (log level, client roots); [`progress`]: progress notifications;
//!   [`logging`]: a call's tracing events as MCP log notifications.
//! - [`guard`]: Guardrail 1, tool calls isolated with panics, timeouts and overload turned into `isError`.
//! - [`registration`]: Guardrail 2, self-registration with the gateway (ContextForge or manifest).
//! - [`netpolicy`]: Guardrail 3, alias-only service URLs in containers.
//! - [`budget`]: Guardrail 6, per-hop and total chain timeouts.
//! - `transport`: Streamable HTTP (rmcp), legacy SSE (ours), stdio (rmcp).
//! - [`http`]: the axum router, Host/Origin guard, `/health`, `/ready`, `/manifest`, `/metrics`.
//! - [`serve`]: HTTP or stdio by `PORT`, registration beside it, orderly shutdown.
//! - [`cli`]: `run_main`, `healthcheck`, `--help`.
//! - [`metrics`], [`telemetry`], [`manifest`], [`jwt`], [`shutdown`], [`error`].
//!
//! Guardrails 4 (resource caps) and 5 (volumes) live in `compose.yaml`.

pub mod budget;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod error;
#[cfg(debug_assertions)]
mod faults;
pub mod guard;
pub mod http;
pub mod jwt;
pub mod logging;
pub mod manifest;
pub mod metrics;
pub mod netpolicy;
pub mod progress;
pub mod registration;
pub mod reply;
pub mod serve;
pub mod server;
pub mod session;
pub mod shutdown;
pub mod telemetry;
mod transport;

use std::{sync::Once, time::Duration};

pub use cli::run_main;
pub use cluster::{Cluster, ClusterInfo, Dependency};
pub use config::{CoreConfig, EnvReader, EnvVar};
pub use progress::Progress;
pub use reply::Reply;
pub use server::{Fleet, FleetServer};
pub use session::Session;

static CRYPTO: Once = Once::new();

/// Install rustls' ring provider once per process (reqwest is built without a default provider,
/// because aws-lc costs minutes per cold build).
pub fn install_crypto_provider() {
    CRYPTO.call_once(|| {
        // Err means another provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An HTTP client for talking to the gateway and backends: rustls, a user agent naming the
/// cluster, connect timeout 5 s and the given total timeout.
pub fn http_client(
    cluster: &str,
    version: &str,
    timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(format!("{cluster}/{version} (sanctuary-fleet)"))
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .build()
}
