//! `gateway_get_capabilities`: what each cluster of the fleet offers and may touch, per ADR 060.
//!
//! The original scanned the other clusters' README files on disk; utils has no filesystem, so the
//! table is compiled in, and this server's own tools are listed live from its router.

use rmcp::{Json, schemars, tool, tool_router};
use serde::Serialize;

use crate::server::UtilsServer;

/// One cluster's role.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ClusterSummary {
    /// Service name (and network alias).
    pub name: &'static str,
    /// Risk class from ADR 060.
    pub role: &'static str,
    /// What its tools do.
    pub summary: &'static str,
    /// What it may touch.
    pub permissions: &'static str,
}

/// Result of `gateway_get_capabilities`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Capabilities {
    /// Always `ok`.
    pub status: &'static str,
    /// Number of MCP clusters.
    pub total_clusters: usize,
    /// The clusters.
    pub clusters: Vec<ClusterSummary>,
    /// The backends, which expose no MCP tools.
    pub backends: Vec<ClusterSummary>,
    /// This server's tools.
    pub utils_tools: Vec<String>,
}

const CLUSTERS: [ClusterSummary; 5] = [
    ClusterSummary {
        name: "sanctuary-utils",
        role: "low risk",
        summary: "time, calculator, uuid and string tools",
        permissions: "pure compute, no I/O",
    },
    ClusterSummary {
        name: "sanctuary-filesystem",
        role: "privileged",
        summary: "file operations, grep, patch and code analysis",
        permissions: "mounted directories only, no network",
    },
    ClusterSummary {
        name: "sanctuary-network",
        role: "external",
        summary: "fetch, HTTP requests and web search",
        permissions: "outbound network, no filesystem",
    },
    ClusterSummary {
        name: "sanctuary-git",
        role: "isolated dual-permission",
        summary: "git workflow with the Protocol 101 safety rules",
        permissions: "repository mount and network, isolated",
    },
    ClusterSummary {
        name: "sanctuary-cortex",
        role: "heavy",
        summary: "RAG ingest, query and cache over ChromaDB and Ollama",
        permissions: "its two backends only",
    },
];

const BACKENDS: [ClusterSummary; 2] = [
    ClusterSummary {
        name: "sanctuary-vector-db",
        role: "backend storage",
        summary: "ChromaDB",
        permissions: "reached by sanctuary-cortex only",
    },
    ClusterSummary {
        name: "sanctuary-ollama",
        role: "backend compute",
        summary: "Ollama LLM and embeddings",
        permissions: "reached by sanctuary-cortex only",
    },
];

#[tool_router(router = fleet_tools, vis = "pub(crate)")]
impl UtilsServer {
    /// Describe the Sanctuary Fleet: its five MCP clusters (role, tools, permissions), its two
    /// backends, and this server's own tool names.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn gateway_get_capabilities(&self) -> Json<Capabilities> {
        let mut utils_tools: Vec<String> = Self::all_tools()
            .list_all()
            .into_iter()
            .map(|t| t.name.into_owned())
            .collect();
        utils_tools.sort();
        Json(Capabilities {
            status: "ok",
            total_clusters: CLUSTERS.len(),
            clusters: CLUSTERS.into(),
            backends: BACKENDS.into(),
            utils_tools,
        })
    }
}
