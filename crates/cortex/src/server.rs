//! `CortexServer`: the cortex cluster's state and its [`Cluster`] implementation: tools, per-tool
//! time limits, readiness of each backend, and the resources (collections, stats, the digest).

use std::time::Duration;

use fleet_core::{Cluster, ClusterInfo, Dependency, Session};
use rmcp::{
    ErrorData,
    handler::server::router::tool::ToolRouter,
    model::{
        CompleteRequestParams, ReadResourceResult, Reference, Resource, ResourceContents,
        ResourceTemplate,
    },
};

use crate::{
    config::{CORTEX_VARS, CortexConfig},
    engine::Engine,
};

/// URI of the collections list resource.
pub const COLLECTIONS_URI: &str = "cortex://collections";
/// Prefix of one collection's resource.
pub const COLLECTION_PREFIX: &str = "cortex://collections/";
/// URI of the guardian digest resource.
pub const DIGEST_URI: &str = "cortex://guardian/digest";
/// URI of the stats resource.
pub const STATS_URI: &str = "cortex://stats";

/// The cortex cluster: RAG over ChromaDB with Ollama or the local embedder.
pub struct CortexServer {
    /// Backends, state and settings.
    pub(crate) engine: Engine,
}

impl std::fmt::Debug for CortexServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CortexServer")
            .field("engine", &self.engine)
            .finish()
    }
}

impl CortexServer {
    /// A server with `config`; fails when the state directory cannot hold the stores.
    pub fn new(config: CortexConfig) -> Result<Self, String> {
        Ok(Self {
            engine: Engine::new(config)?,
        })
    }

    /// The engine (for embedding cortex in tests and tools).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Every tool of the cluster.
    pub(crate) fn all_tools() -> ToolRouter<Self> {
        Self::ingest_tools()
            + Self::query_tools()
            + Self::cache_tools()
            + Self::status_tools()
            + Self::model_tools()
            + Self::collection_tools()
    }
}

fn resource(uri: &str, name: &str, description: &str, mime: &str) -> Resource {
    let mut r = Resource::new(uri, name);
    r.description = Some(description.to_owned());
    r.mime_type = Some(mime.to_owned());
    r
}

fn json_contents(
    uri: &str,
    value: &impl serde::Serialize,
) -> Result<ReadResourceResult, ErrorData> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| ErrorData::internal_error(format!("cannot serialize {uri}: {e}"), None))?;
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type("application/json"),
    ]))
}

fn backend_error(uri: &str, e: crate::error::CortexError) -> ErrorData {
    ErrorData::internal_error(format!("cannot read {uri}: {e}"), None)
}

impl Cluster for CortexServer {
    const INFO: ClusterInfo = ClusterInfo {
        name: "sanctuary-cortex",
        title: "Sanctuary Cortex",
        version: env!("CARGO_PKG_VERSION"),
        description: "Intelligence cluster: RAG ingest, query, ask and cache over ChromaDB, with Ollama or an offline in-process embedder",
        instructions: "Knowledge-base tools. Ingest files with cortex_ingest_full (directories) or \
            cortex_ingest_incremental (files); re-ingesting is an upsert. Search with cortex_query \
            (parents of the best-matching chunks, with source and lines) or get a cited answer with \
            cortex_ask. Collections can be inspected with cortex_list_collections, \
            cortex_collection_info, cortex_peek_collection and cortex_get_documents. Every chain is \
            bounded (embed 5 s, search 10 s, generate 30 s, 45 s total) and a timeout names its hop.",
        tags: &["sanctuary", "cortex", "rag", "heavy"],
        env_vars: CORTEX_VARS,
    };

    fn tools(&self) -> ToolRouter<Self> {
        Self::all_tools()
    }

    fn tool_timeout(&self, tool: &str) -> Option<Duration> {
        match tool {
            "cortex_ingest_full" | "cortex_ingest_incremental" | "cortex_cache_warmup" => {
                Some(self.engine.config.ingest_timeout)
            }
            // A chain may use its whole budget; leave room to report the overrun.
            "cortex_ask" | "cortex_query" | "query_sanctuary_model" => {
                Some(self.engine.config.timeouts.total + Duration::from_secs(15))
            }
            _ => None,
        }
    }

    async fn readiness(&self) -> Vec<Dependency> {
        self.engine
            .backends()
            .await
            .into_iter()
            .map(|b| Dependency {
                name: b.name,
                ok: b.ok,
                detail: b.detail,
                optional: b.optional,
            })
            .collect()
    }

    async fn list_resources(&self, _session: &Session) -> Result<Vec<Resource>, ErrorData> {
        Ok(vec![
            resource(
                COLLECTIONS_URI,
                "collections",
                "Every Chroma collection with its record count and metadata (JSON)",
                "application/json",
            ),
            resource(
                DIGEST_URI,
                "guardian-digest",
                "The guardian boot digest: backend health, knowledge-base size, recent ingests, cache (Markdown; the last one written by cortex_guardian_wakeup, or a fresh one)",
                "text/markdown",
            ),
            resource(
                STATS_URI,
                "stats",
                "Knowledge-base statistics and backend health, as cortex_get_stats returns them (JSON)",
                "application/json",
            ),
        ])
    }

    fn resource_templates(&self) -> Vec<ResourceTemplate> {
        let mut t = ResourceTemplate::new("cortex://collections/{name}", "collection");
        t.description = Some(
            "One collection: count, dimension, metadata and three sample records (JSON)".to_owned(),
        );
        t.mime_type = Some("application/json".to_owned());
        vec![t]
    }

    async fn read_resource(
        &self,
        uri: &str,
        _session: &Session,
    ) -> Result<ReadResourceResult, ErrorData> {
        let e = &self.engine;
        match uri {
            COLLECTIONS_URI => {
                let (list, total) = e
                    .list_collections(crate::collections::MAX_COLLECTIONS, 0)
                    .await
                    .map_err(|err| backend_error(uri, err))?;
                json_contents(
                    uri,
                    &serde_json::json!({"total": total, "collections": list}),
                )
            }
            STATS_URI => json_contents(
                uri,
                &e.stats().await.map_err(|err| backend_error(uri, err))?,
            ),
            DIGEST_URI => {
                let text = match e.last_digest().await {
                    Some(t) => t,
                    None => {
                        e.guardian_digest(true, false)
                            .await
                            .map_err(|err| backend_error(uri, err))?
                            .digest
                    }
                };
                Ok(ReadResourceResult::new(vec![
                    ResourceContents::text(text, uri).with_mime_type("text/markdown"),
                ]))
            }
            _ => {
                let Some(name) = uri
                    .strip_prefix(COLLECTION_PREFIX)
                    .filter(|n| !n.is_empty())
                else {
                    return Err(ErrorData::resource_not_found(
                        format!("no resource {uri:?} on sanctuary-cortex; see resources/list"),
                        None,
                    ));
                };
                match e.collection_info(Some(name), 3).await {
                    Ok((summary, sample)) => json_contents(
                        uri,
                        &serde_json::json!({"collection": summary, "sample": sample}),
                    ),
                    Err(
                        err @ (crate::error::CortexError::CollectionNotFound { .. }
                        | crate::error::CortexError::InvalidArgument { .. }),
                    ) => Err(ErrorData::resource_not_found(format!("{uri}: {err}"), None)),
                    Err(err) => Err(backend_error(uri, err)),
                }
            }
        }
    }

    async fn complete(&self, request: &CompleteRequestParams) -> Result<Vec<String>, ErrorData> {
        let Reference::Resource(r) = &request.r#ref else {
            return Ok(Vec::new());
        };
        if r.uri != "cortex://collections/{name}" || request.argument.name != "name" {
            return Ok(Vec::new());
        }
        let prefix = request.argument.value.as_str();
        // Completion is advisory: with Chroma down there is simply nothing to suggest.
        let names = match self
            .engine
            .chroma
            .list_collections(crate::collections::MAX_COLLECTIONS, 0)
            .await
        {
            Ok(list) => list
                .into_iter()
                .map(|c| c.name)
                .filter(|n| n.starts_with(prefix))
                .collect(),
            Err(_) => Vec::new(),
        };
        Ok(names)
    }
}
