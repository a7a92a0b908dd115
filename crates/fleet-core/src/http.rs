//! The HTTP router: MCP transports behind a Host/Origin guard, plus `/health`, `/ready`,
//! `/manifest` and `/metrics`.
//!
//! Layer order: the Host/Origin guard wraps only the MCP routes (`/mcp`, `/sse`, `/messages`),
//! because a container runtime's health probe or a Prometheus scraper may use any Host.

use std::{collections::HashSet, sync::Arc};

use axum::{
    Json, Router,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::{cluster::Cluster, manifest::Manifest, server::Fleet, transport};

/// The full router of a cluster process. `streams` is cancelled at shutdown to end open streams.
pub fn router<C: Cluster>(fleet: Arc<Fleet<C>>, streams: CancellationToken) -> Router {
    let allowed = Arc::new(AllowedHosts::from_fleet(&fleet));
    let mcp = Router::new()
        .nest_service(
            "/mcp",
            transport::streamable_http(fleet.clone(), streams.clone()),
        )
        .layer(middleware::from_fn(session_delete_ok))
        .merge(transport::sse::routes(fleet.clone(), streams))
        .layer(middleware::from_fn_with_state(allowed, host_guard));
    Router::new()
        .route("/health", get(health::<C>))
        .route("/ready", get(ready::<C>))
        .route("/manifest", get(manifest::<C>))
        .route("/metrics", get(metrics::<C>))
        .with_state(fleet)
        .merge(mcp)
}

/// Host names accepted on MCP routes: loopback, the service aliases, the advertised host and
/// `FLEET_ALLOWED_HOSTS`. This is the DNS-rebinding defence: a browser tricked into calling us
/// sends a foreign Host (and Origin).
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    any: bool,
    names: HashSet<String>,
}

impl AllowedHosts {
    /// The allow-list for `fleet`.
    pub fn from_fleet<C: Cluster>(fleet: &Fleet<C>) -> Self {
        let cfg = &fleet.config;
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        names.extend(cfg.aliases.iter().cloned());
        if let Some(reg) = &cfg.registration
            && let Some(h) = reg.advertise_url.host_str()
        {
            names.push(h.to_owned());
        }
        let any = cfg.extra_allowed_hosts.iter().any(|h| h == "*");
        names.extend(
            cfg.extra_allowed_hosts
                .iter()
                .filter(|h| *h != "*")
                .cloned(),
        );
        Self::new(any, names)
    }

    /// An allow-list of `names`, or one that accepts anything.
    pub fn new(any: bool, names: impl IntoIterator<Item = String>) -> Self {
        Self {
            any,
            names: names.into_iter().map(|n| normalize(&n)).collect(),
        }
    }

    /// Whether a `Host` header value (`name[:port]`) is acceptable.
    pub fn host_ok(&self, host: &str) -> bool {
        self.any || self.names.contains(&normalize(strip_port(host)))
    }

    /// Whether an `Origin` header value is acceptable.
    pub fn origin_ok(&self, origin: &str) -> bool {
        if self.any {
            return true;
        }
        match Url::parse(origin) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u
                .host_str()
                .is_some_and(|h| self.names.contains(&normalize(h))),
            _ => false,
        }
    }
}

fn normalize(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        // A single colon separates a port; several mean a bare IPv6 address.
        Some((name, port)) if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

fn forbidden(message: String) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": message}});
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

async fn host_guard(
    State(allowed): State<Arc<AllowedHosts>>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if allowed.host_ok(&h) => {}
        Some(h) => {
            tracing::warn!(host = %h, "rejected request with a foreign Host header");
            return forbidden(format!(
                "Forbidden: Host header {h:?} is not allowed (add it to FLEET_ALLOWED_HOSTS or FLEET_SERVICE_ALIASES)"
            ));
        }
        None => return forbidden("Forbidden: missing Host header".to_owned()),
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("<non-ascii>");
        if !allowed.origin_ok(origin) {
            tracing::warn!(origin, "rejected request with a foreign Origin header");
            return forbidden(format!("Forbidden: Origin {origin:?} is not allowed"));
        }
    }
    next.run(req).await
}

/// rmcp answers a successful `DELETE /mcp` (session end) with 202; the Python SDK expects 200 or
/// 204 and logs "Session termination failed: 202". The session is gone either way, so say 200.
async fn session_delete_ok(req: Request, next: Next) -> Response {
    let is_delete = req.method() == axum::http::Method::DELETE;
    let mut resp = next.run(req).await;
    if is_delete && resp.status() == StatusCode::ACCEPTED {
        *resp.status_mut() = StatusCode::OK;
    }
    resp
}

async fn health<C: Cluster>(State(fleet): State<Arc<Fleet<C>>>) -> Response {
    let registration = fleet.registration.borrow().clone();
    Json(json!({
        "status": "ok",
        "name": C::INFO.name,
        "version": C::INFO.version,
        "uptime_seconds": (fleet.started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "tools": fleet.tools.list_all().len(),
        "in_flight": fleet.guard.in_flight(),
        "sse_sessions": fleet.metrics.sse_sessions.get(),
        "registration": registration,
    }))
    .into_response()
}

async fn ready<C: Cluster>(State(fleet): State<Arc<Fleet<C>>>) -> Response {
    let deps = fleet.cluster.readiness().await;
    let ready = deps.iter().all(|d| d.ok || d.optional);
    let degraded = deps.iter().any(|d| !d.ok);
    let status = if !ready {
        "unready"
    } else if degraded {
        "degraded"
    } else {
        "ready"
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({"status": status, "ready": ready, "dependencies": deps})),
    )
        .into_response()
}

/// The public endpoint to put in the manifest: the advertised URL, else the first alias.
fn public_endpoint<C: Cluster>(fleet: &Fleet<C>) -> Option<Url> {
    if let Some(reg) = &fleet.config.registration {
        return Some(reg.advertise_url.clone());
    }
    let port = fleet.port()?;
    let alias = fleet.config.aliases.first()?;
    Url::parse(&format!("http://{alias}:{port}/mcp")).ok()
}

async fn manifest<C: Cluster>(State(fleet): State<Arc<Fleet<C>>>) -> Response {
    match public_endpoint(&fleet) {
        Some(endpoint) => Json(Manifest::of(&fleet, &endpoint)).into_response(),
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "no public endpoint configured",
        )
            .into_response(),
    }
}

async fn metrics<C: Cluster>(State(fleet): State<Arc<Fleet<C>>>) -> Response {
    let mut resp = fleet.metrics.render().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> AllowedHosts {
        AllowedHosts::new(
            false,
            [
                "localhost",
                "127.0.0.1",
                "::1",
                "sanctuary-utils",
                "sanctuary_utils",
            ]
            .map(String::from),
        )
    }

    #[test]
    fn hosts_with_and_without_ports() {
        let a = allowed();
        for ok in [
            "localhost",
            "localhost:8100",
            "127.0.0.1:8000",
            "[::1]:8000",
            "::1",
            "SANCTUARY-UTILS:8000",
            "sanctuary_utils",
        ] {
            assert!(a.host_ok(ok), "{ok}");
        }
        for bad in [
            "evil.example.com",
            "evil.example.com:8000",
            "127.0.0.2",
            "sanctuary-utils.evil.com",
            "[::2]:80",
        ] {
            assert!(!a.host_ok(bad), "{bad}");
        }
    }

    #[test]
    fn origins_must_name_an_allowed_host() {
        let a = allowed();
        assert!(a.origin_ok("http://localhost:6274"));
        assert!(a.origin_ok("https://sanctuary-utils"));
        assert!(!a.origin_ok("http://evil.example.com"));
        assert!(!a.origin_ok("null"));
        assert!(!a.origin_ok("file://localhost"));
    }

    #[test]
    fn star_accepts_anything() {
        let a = AllowedHosts::new(true, Vec::new());
        assert!(a.host_ok("evil.example.com") && a.origin_ok("http://evil.example.com"));
    }
}
