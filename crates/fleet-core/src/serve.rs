//! Run a cluster: HTTP when `PORT` is set, stdio otherwise (the seed's dual-mode rule), with
//! registration beside the HTTP server and an orderly shutdown.
//!
//! Shutdown order on SIGTERM: stop accepting connections and stop registration, let in-flight
//! tool calls finish within `FLEET_SHUTDOWN_GRACE`, then end the long-lived SSE and Streamable
//! HTTP streams so every connection can close, and exit. Without the last step an open SSE stream
//! would keep a graceful shutdown waiting forever.

use std::{future::Future, sync::Arc, time::Duration};

use axum::serve::ListenerExt as _;
use rmcp::ServiceExt as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    cluster::Cluster,
    error::CoreError,
    registration::{self, RegistrationState},
    server::{Fleet, FleetServer},
};

/// How long connections may take to close once their streams have ended.
const CONNECTION_CLOSE_BOUND: Duration = Duration::from_secs(3);
/// How long deregistration may take at shutdown.
const DEREGISTER_BOUND: Duration = Duration::from_secs(6);

/// Serve `fleet` in the mode its configuration selects until `shutdown` resolves.
pub async fn serve<C: Cluster>(
    fleet: Arc<Fleet<C>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CoreError> {
    match fleet.config.listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| CoreError::Bind { addr, source })?;
            serve_http(fleet, listener, shutdown).await
        }
        None => serve_stdio(fleet, shutdown).await,
    }
}

/// Serve HTTP on an already-bound listener (tests bind port 0 and read the address first).
pub async fn serve_http<C: Cluster>(
    fleet: Arc<Fleet<C>>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CoreError> {
    let local = listener.local_addr().map_err(CoreError::Serve)?;
    let _ = fleet.bound.set(local);
    let streams = CancellationToken::new();
    let stop_accepting = CancellationToken::new();
    let stop_registration = CancellationToken::new();
    let app = crate::http::router(fleet.clone(), streams.clone());

    // Without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to every SSE-framed reply.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let mut server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(stop_accepting.clone().cancelled_owned())
            .into_future(),
    );
    tracing::info!(
        cluster = C::INFO.name,
        version = C::INFO.version,
        %local,
        tools = fleet.tools.list_all().len(),
        "serving Streamable HTTP at /mcp and SSE at /sse"
    );

    let registration = match fleet.config.registration.clone() {
        Some(mut cfg) => {
            // A derived advertise URL carries the configured port, which is 0 for an ephemeral bind.
            if cfg.advertise_url.port() == Some(0) {
                let _ = cfg.advertise_url.set_port(Some(local.port()));
            }
            fleet
                .registration
                .send_replace(RegistrationState::Retrying {
                    attempt: 0,
                    last_error: "not attempted yet".to_owned(),
                    next_attempt_in_ms: 0,
                });
            Some(tokio::spawn(registration::run(
                fleet.clone(),
                cfg,
                stop_registration.clone(),
            )))
        }
        None => {
            fleet
                .registration
                .send_replace(RegistrationState::Disabled {
                    reason: "MCP_GATEWAY_URL is not set".to_owned(),
                });
            None
        }
    };

    tokio::select! {
        () = shutdown => {}
        ended = &mut server => {
            stop_registration.cancel();
            return match ended {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(CoreError::Serve(e)),
                Err(e) => Err(CoreError::Serve(std::io::Error::other(e))),
            };
        }
    }

    tracing::info!(
        in_flight = fleet.guard.in_flight(),
        "shutting down: no new connections, draining calls"
    );
    stop_accepting.cancel();
    stop_registration.cancel();
    let left = fleet.guard.drain(fleet.config.shutdown_grace).await;
    if left > 0 {
        tracing::warn!(
            left,
            "calls still running after FLEET_SHUTDOWN_GRACE; abandoning them"
        );
    }
    streams.cancel();
    if tokio::time::timeout(CONNECTION_CLOSE_BOUND, &mut server)
        .await
        .is_err()
    {
        tracing::warn!("connections did not close in time; exiting anyway");
        server.abort();
    }
    if let Some(task) = registration
        && tokio::time::timeout(DEREGISTER_BOUND, task).await.is_err()
    {
        tracing::warn!("registration task did not stop in time");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Serve one MCP session on stdin/stdout until the client closes it or `shutdown` resolves.
pub async fn serve_stdio<C: Cluster>(
    fleet: Arc<Fleet<C>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CoreError> {
    fleet
        .registration
        .send_replace(RegistrationState::Disabled {
            reason: "stdio mode has no endpoint to advertise".to_owned(),
        });
    tracing::info!(
        cluster = C::INFO.name,
        version = C::INFO.version,
        "serving MCP on stdio"
    );
    let ct = CancellationToken::new();
    let running = FleetServer::new(fleet.clone())
        .serve_with_ct(rmcp::transport::stdio(), ct.clone())
        .await
        .map_err(|e| CoreError::Stdio(e.to_string()))?;
    tokio::select! {
        quit = running.waiting() => {
            tracing::info!(reason = ?quit.ok(), "stdio session ended");
        }
        () = shutdown => {
            ct.cancel();
        }
    }
    fleet.guard.drain(fleet.config.shutdown_grace).await;
    Ok(())
}
