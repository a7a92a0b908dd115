//! Shared fixtures: the network binary, and real HTTP servers on loopback that record every
//! request they receive (method, path, user agent, headers), plus bare TCP listeners that only
//! count connections (to prove a refused target was never connected to).

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use fleet_testkit::Server;
use tokio::net::TcpListener;

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_sanctuary-network");

/// The five tools of the network cluster, sorted.
pub const TOOLS: [&str; 5] = [
    "check_site_status",
    "fetch",
    "fetch_url",
    "http_request",
    "web_search",
];

/// One request a test site received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Every header.
    pub headers: HeaderMap,
}

/// A real HTTP server on loopback.
#[derive(Debug)]
pub struct Site {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every request so far.
    pub hits: Arc<Mutex<Vec<Hit>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Site {
    /// `http://127.0.0.1:<port>` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The origin, `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests whose path (with query) starts with `prefix`.
    pub fn hits_on(&self, prefix: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Number of requests so far.
    pub fn count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

async fn record(State(hits): State<Arc<Mutex<Vec<Hit>>>>, req: Request, next: Next) -> Response {
    let hit = Hit {
        method: req.method().to_string(),
        path: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        headers: req.headers().clone(),
    };
    hits.lock().unwrap().push(hit);
    next.run(req).await
}

/// Serve `router` on `127.0.0.1:0`.
pub async fn site(router: Router) -> Site {
    site_on("127.0.0.1:0".parse().unwrap(), router).await
}

/// Serve `router` on `addr`.
pub async fn site_on(addr: SocketAddr, router: Router) -> Site {
    let listener = TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(Mutex::new(Vec::new()));
    let app = router.layer(middleware::from_fn_with_state(hits.clone(), record));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Site { addr, hits, task }
}

/// A TCP listener that accepts and counts connections, answering nothing.
#[derive(Debug)]
pub struct Counter {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Counter {
    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Listen on `addr` and count connections.
pub async fn counter(addr: SocketAddr) -> Counter {
    let listener = TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    Counter {
        addr,
        accepted,
        task,
    }
}

/// An HTML response.
pub fn html(body: &'static str) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// A response with a status, content type and body.
pub fn respond(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

/// A redirect with `status` to `location`.
pub fn redirect(status: u16, location: &str) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header(header::LOCATION, location)
        .body(Body::empty())
        .unwrap()
}

/// Environment every test server gets: loopback sites at 127.0.0.1 are allow-listed (the only
/// way tests reach them), logs are JSON.
pub const BASE_ENV: [(&str, &str); 2] = [("NET_ALLOW", "127.0.0.1"), ("RUST_LOG", "info")];

/// Start the binary over HTTP with [`BASE_ENV`] plus `extra` (later entries win).
pub async fn start(extra: &[(&str, &str)]) -> Server {
    let mut env: Vec<(&str, &str)> = BASE_ENV.to_vec();
    env.extend_from_slice(extra);
    Server::start(BIN, &env).await.expect("server starts")
}

/// Start the binary and connect a Streamable HTTP client.
pub async fn client(extra: &[(&str, &str)]) -> (Server, fleet_testkit::Client) {
    let server = start(extra).await;
    let client = fleet_testkit::http_client(&server.url("/mcp"))
        .await
        .unwrap();
    (server, client)
}

/// A long, real-world-shaped news article: navigation, a cookie banner, a sidebar, comments and
/// a footer around the story.
pub const NEWS_ARTICLE: &str = include_str!("pages/news_article.html");
/// A documentation page: sidebar navigation, code blocks, a table, admonitions.
pub const DOCS_PAGE: &str = include_str!("pages/docs_page.html");
/// A listing page with no single article (readability finds no main content).
pub const LISTING_PAGE: &str = include_str!("pages/listing.html");
