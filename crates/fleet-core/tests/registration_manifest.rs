//! The manifest registration dialect (the seed's `POST /api/servers/register` contract) against a
//! receiving endpoint: the manifest carries the seed's fields, is re-posted as a heartbeat, and is
//! withdrawn on shutdown when asked. ContextForge, the default dialect, is tested end to end
//! against the real gateway in tests/e2e/gateway_utils.py.

#![allow(clippy::unwrap_used)]

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::{delete, post},
};
use fleet_core::{Cluster, ClusterInfo, CoreConfig, Fleet};
use rmcp::{handler::server::router::tool::ToolRouter, tool, tool_router};
use serde_json::Value;

struct Echo;

#[tool_router]
impl Echo {
    /// Answer `pong`.
    #[tool]
    fn ping_tool(&self) -> String {
        "pong".to_owned()
    }
}

impl Cluster for Echo {
    const INFO: ClusterInfo = ClusterInfo {
        name: "sanctuary-echo",
        title: "Echo",
        version: "9.9.9",
        description: "test cluster",
        instructions: "",
        tags: &["test"],
        env_vars: &[],
    };

    fn tools(&self) -> ToolRouter<Self> {
        Self::tool_router()
    }
}

#[derive(Default)]
struct Received {
    posts: Vec<Value>,
    deletes: Vec<String>,
}

type Shared = Arc<Mutex<Received>>;

async fn register(State(s): State<Shared>, Json(body): Json<Value>) -> &'static str {
    s.lock().unwrap().posts.push(body);
    "ok"
}

async fn deregister(State(s): State<Shared>, Path(name): Path<String>) -> &'static str {
    s.lock().unwrap().deletes.push(name);
    "ok"
}

#[tokio::test]
async fn manifest_is_posted_refreshed_and_withdrawn() {
    let received: Shared = Arc::default();
    let gateway = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_url = format!("http://{}", gateway.local_addr().unwrap());
    let app = Router::new()
        .route("/api/servers/register", post(register))
        .route("/api/servers/{name}", delete(deregister))
        .with_state(received.clone());
    tokio::spawn(async move { axum::serve(gateway, app).await.unwrap() });

    let env: BTreeMap<&str, &str> = [
        ("PORT", "0"),
        ("HOST", "127.0.0.1"),
        ("FLEET_CONTAINER", "0"),
        ("MCP_GATEWAY_URL", gateway_url.as_str()),
        ("FLEET_REGISTRATION_DIALECT", "manifest"),
        ("FLEET_ADVERTISE_URL", "http://sanctuary-echo:8000/sse"),
        ("FLEET_REGISTRATION_CHECK_INTERVAL", "100ms"),
        ("FLEET_DEREGISTER_ON_SHUTDOWN", "1"),
    ]
    .into_iter()
    .collect();
    let config = CoreConfig::from_source("sanctuary-echo", &env).unwrap();
    let fleet = Fleet::new(Echo, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(fleet_core::serve::serve_http(
        fleet.clone(),
        listener,
        async {
            let _ = stop_rx.await;
        },
    ));

    for _ in 0..100 {
        if received.lock().unwrap().posts.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = received
        .lock()
        .unwrap()
        .posts
        .first()
        .cloned()
        .expect("a manifest was posted");
    assert_eq!(first["server_name"], "sanctuary-echo");
    assert_eq!(first["endpoint"], "http://sanctuary-echo:8000/sse");
    assert_eq!(first["tools"], serde_json::json!(["ping_tool"]));
    assert_eq!(first["version"], "9.9.9");
    assert_eq!(first["health_check"], "/health");
    assert_eq!(
        first["transports"]["streamable_http"],
        "http://sanctuary-echo:8000/mcp"
    );
    assert!(
        received.lock().unwrap().posts.len() >= 3,
        "the manifest is re-posted as a heartbeat"
    );
    let state = fleet.registration.borrow().clone();
    assert!(
        matches!(
            state,
            fleet_core::registration::RegistrationState::Registered {
                gateway_id: None,
                ..
            }
        ),
        "{state:?}"
    );

    stop_tx.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(received.lock().unwrap().deletes, ["sanctuary-echo"]);
}
