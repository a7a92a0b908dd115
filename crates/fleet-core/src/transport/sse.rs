//! Legacy HTTP+SSE transport (MCP 2024-11-05): `GET /sse` opens a session, `POST /messages` feeds it.
//!
//! rmcp 3.x removed its SSE server, and ContextForge registers SSE upstreams by default, so this is
//! ours, on axum. Each `GET /sse` gets its own pair of bounded queues and its own rmcp service: the
//! original shared one queue between all clients, so replies could reach the wrong client. The
//! first event is `endpoint` (`/messages?sessionId=<uuid>`); then every server message is a
//! `message` event; keep-alive comments fill the silence. Dropping the stream (client gone) removes
//! the session, which ends its service. Unknown session → 404, missing id → 400, full queue → 503.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Query, State},
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::{get, post},
};
use futures::{StreamExt as _, channel::mpsc};
use rmcp::{
    RoleServer, ServiceExt as _,
    service::{RxJsonRpcMessage, TxJsonRpcMessage},
};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::{
    cluster::Cluster,
    server::{Fleet, FleetServer},
};

/// Messages a client may have in flight to one session before `POST /messages` answers 503.
const INBOUND_QUEUE: usize = 64;
/// Server messages buffered for a slow SSE reader before the service waits for it.
const OUTBOUND_QUEUE: usize = 64;

type Inbound = mpsc::Sender<RxJsonRpcMessage<RoleServer>>;

struct SseState<C: Cluster> {
    fleet: Arc<Fleet<C>>,
    sessions: Arc<Mutex<HashMap<String, Inbound>>>,
    /// Cancelled at shutdown, after in-flight calls drained, to end every open stream.
    streams: CancellationToken,
    keepalive: Duration,
    max_sessions: usize,
}

impl<C: Cluster> Clone for SseState<C> {
    fn clone(&self) -> Self {
        Self {
            fleet: self.fleet.clone(),
            sessions: self.sessions.clone(),
            streams: self.streams.clone(),
            keepalive: self.keepalive,
            max_sessions: self.max_sessions,
        }
    }
}

/// Removes its session when the SSE response stream is dropped.
struct SessionGuard {
    id: String,
    sessions: Arc<Mutex<HashMap<String, Inbound>>>,
    service: CancellationToken,
    gauge: prometheus_client::metrics::gauge::Gauge<i64, std::sync::atomic::AtomicI64>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Ok(mut map) = self.sessions.lock() {
            map.remove(&self.id);
        }
        self.service.cancel();
        self.gauge.dec();
        tracing::debug!(session = %self.id, "sse session closed");
    }
}

/// The `/sse` and `/messages` routes for `fleet`; `streams` ends every stream at shutdown.
pub(crate) fn routes<C: Cluster>(fleet: Arc<Fleet<C>>, streams: CancellationToken) -> Router {
    let max_body = fleet.config.max_body_bytes;
    let state = SseState {
        keepalive: fleet.config.sse_keepalive,
        max_sessions: fleet.config.max_sse_sessions,
        fleet,
        sessions: Arc::default(),
        streams,
    };
    Router::new()
        .route("/sse", get(open::<C>))
        // `/messages/` is the Python SDK's spelling, `/message` the TypeScript one's.
        .route("/messages", post(deliver::<C>))
        .route("/messages/", post(deliver::<C>))
        .route("/message", post(deliver::<C>))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

fn plain(status: StatusCode, message: impl Into<String>) -> Response {
    (status, message.into()).into_response()
}

async fn open<C: Cluster>(State(state): State<SseState<C>>) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (to_server, from_client) = mpsc::channel::<RxJsonRpcMessage<RoleServer>>(INBOUND_QUEUE);
    let (to_client, from_server) = mpsc::channel::<TxJsonRpcMessage<RoleServer>>(OUTBOUND_QUEUE);
    {
        let Ok(mut sessions) = state.sessions.lock() else {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "session table unavailable",
            );
        };
        if sessions.len() >= state.max_sessions {
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "too many open SSE sessions ({}, FLEET_MAX_SSE_SESSIONS)",
                    state.max_sessions
                ),
            );
        }
        sessions.insert(id.clone(), to_server);
    }
    state.fleet.metrics.sse_sessions.inc();
    let service_ct = state.streams.child_token();
    let guard = SessionGuard {
        id: id.clone(),
        sessions: state.sessions.clone(),
        service: service_ct.clone(),
        gauge: state.fleet.metrics.sse_sessions.clone(),
    };

    let server = FleetServer::new(state.fleet.clone());
    let session = id.clone();
    tokio::spawn(async move {
        match server
            .serve_with_ct((to_client, from_client), service_ct)
            .await
        {
            Ok(running) => {
                let reason = running.waiting().await;
                tracing::debug!(session = %session, ?reason, "sse service finished");
            }
            Err(e) => {
                tracing::debug!(session = %session, error = %e, "sse session ended before initialization")
            }
        }
    });
    tracing::debug!(session = %id, "sse session opened");

    let endpoint = Event::default()
        .event("endpoint")
        .data(format!("/messages?sessionId={id}"));
    let messages = from_server.map(move |msg| {
        // The guard lives as long as the stream; dropping the stream closes the session.
        let _keep = &guard;
        let event = match serde_json::to_string(&msg) {
            Ok(json) => Event::default().event("message").data(json),
            Err(e) => Event::default()
                .event("error")
                .data(format!("unserializable message: {e}")),
        };
        Ok::<_, Infallible>(event)
    });
    let stream = futures::stream::once(async move { Ok::<_, Infallible>(endpoint) })
        .chain(messages)
        .take_until(state.streams.clone().cancelled_owned());
    Sse::new(stream)
        .keep_alive(
            KeepAlive::new()
                .interval(state.keepalive)
                .text("keep-alive"),
        )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct SessionQuery {
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
    #[serde(rename = "session_id")]
    session_id_snake: Option<String>,
}

async fn deliver<C: Cluster>(
    State(state): State<SseState<C>>,
    Query(q): Query<SessionQuery>,
    body: Bytes,
) -> Response {
    let Some(id) = q.session_id.or(q.session_id_snake) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "missing sessionId query parameter; use the URL from the endpoint event",
        );
    };
    let sender = match state.sessions.lock() {
        Ok(map) => map.get(&id).cloned(),
        Err(_) => {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "session table unavailable",
            );
        }
    };
    let Some(mut sender) = sender else {
        return plain(
            StatusCode::NOT_FOUND,
            format!("unknown or closed session {id:?}; open a new one with GET /sse"),
        );
    };
    let message: RxJsonRpcMessage<RoleServer> = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("body is not a JSON-RPC message: {e}"),
            );
        }
    };
    match sender.try_send(message) {
        Ok(()) => (StatusCode::ACCEPTED, "Accepted").into_response(),
        Err(e) if e.is_full() => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "session {id} has {INBOUND_QUEUE} messages waiting; retry after reading its SSE stream"
            ),
        ),
        Err(_) => plain(StatusCode::NOT_FOUND, format!("session {id:?} is closing")),
    }
}
