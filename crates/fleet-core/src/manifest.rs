//! The seed's tool manifest, served at `GET /manifest` and posted by the manifest registration
//! dialect: `server_name`, `endpoint`, `tools`, `version`, `health_check`, plus the transports.

use serde::Serialize;
use url::Url;

use crate::{cluster::Cluster, server::Fleet};

/// Absolute URLs of each transport this process serves.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Transports {
    /// Streamable HTTP endpoint.
    pub streamable_http: String,
    /// Legacy SSE stream endpoint.
    pub sse: String,
    /// Legacy SSE message endpoint (the `endpoint` event names the session).
    pub messages: String,
}

/// The manifest document.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Manifest {
    /// Cluster name.
    pub server_name: String,
    /// The endpoint the gateway should call (the advertised URL).
    pub endpoint: String,
    /// Tool names, sorted.
    pub tools: Vec<String>,
    /// Cluster version.
    pub version: String,
    /// Liveness path.
    pub health_check: String,
    /// Readiness path.
    pub ready_check: String,
    /// Metrics path.
    pub metrics: String,
    /// One-line description.
    pub description: String,
    /// Every transport offered.
    pub transports: Transports,
}

impl Manifest {
    /// The manifest of `fleet`, whose public endpoint is `endpoint`.
    pub fn of<C: Cluster>(fleet: &Fleet<C>, endpoint: &Url) -> Self {
        let base = {
            let mut b = endpoint.clone();
            b.set_path("");
            b.set_query(None);
            b.as_str().trim_end_matches('/').to_owned()
        };
        Self {
            server_name: C::INFO.name.to_owned(),
            endpoint: endpoint.to_string(),
            tools: fleet.tool_names(),
            version: C::INFO.version.to_owned(),
            health_check: "/health".to_owned(),
            ready_check: "/ready".to_owned(),
            metrics: "/metrics".to_owned(),
            description: C::INFO.description.to_owned(),
            transports: Transports {
                streamable_http: format!("{base}/mcp"),
                sse: format!("{base}/sse"),
                messages: format!("{base}/messages"),
            },
        }
    }
}
