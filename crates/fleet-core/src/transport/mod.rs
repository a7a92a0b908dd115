//! The three ways one cluster's tools are served: Streamable HTTP (`/mcp`, rmcp's service),
//! legacy HTTP+SSE (`/sse` + `/messages`, ours) and stdio (rmcp's, selected when `PORT` is unset).

pub(crate) mod sse;

use std::sync::Arc;

use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};
use tokio_util::sync::CancellationToken;

use crate::{
    cluster::Cluster,
    server::{Fleet, FleetServer},
};

/// rmcp's Streamable HTTP service for `fleet`, with sessions (protocol 2025-11-25 and older) and
/// the stateless 2026-07-28 mode rmcp negotiates by itself.
///
/// Host and Origin are checked by fleet-core's own middleware for every MCP route, so rmcp's
/// loopback-only default is switched off here rather than configured twice.
pub(crate) fn streamable_http<C: Cluster>(
    fleet: Arc<Fleet<C>>,
    streams: CancellationToken,
) -> StreamableHttpService<FleetServer<C>, LocalSessionManager> {
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(fleet.config.session_idle_timeout);
    let config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .with_sse_keep_alive(Some(fleet.config.sse_keepalive))
        .with_max_request_body_bytes(fleet.config.max_body_bytes)
        .with_cancellation_token(streams);
    StreamableHttpService::new(
        move || Ok(FleetServer::new(fleet.clone())),
        Arc::new(sessions),
        config,
    )
}
