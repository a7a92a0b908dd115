//! Health and state: each backend's status (for `/ready`, `cortex_get_stats` and the digest),
//! the knowledge base's size, and the guardian boot digest built from all of it.
//!
//! Nothing here is canned: every line of the digest comes from a probe or a count made when it is
//! built. Probes are bounded by short timeouts and run concurrently, so a dead backend costs at
//! most a few seconds and never blocks the others.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::{
    cache::CacheStats,
    embed::EmbedderInfo,
    engine::Engine,
    error::CortexError,
    ollama::has_model,
    store::{IngestRun, SourceRecord},
};

/// How long a health probe may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// The digest's file name in the state directory.
pub const DIGEST_FILE: &str = "guardian_boot_digest.md";

/// One backend's state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BackendStatus {
    /// `chroma`, `embedder` or `ollama`.
    pub name: String,
    /// Whether it answered correctly.
    pub ok: bool,
    /// What was checked, or what is wrong.
    pub detail: String,
    /// Whether cortex can serve requests without it.
    pub optional: bool,
    /// How long the probe took, in milliseconds.
    pub latency_ms: u64,
}

/// The cortex collection in Chroma.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CollectionStats {
    /// Name.
    pub name: String,
    /// Records (child chunks), when Chroma answered.
    pub count: Option<u64>,
    /// Whether it exists.
    pub exists: bool,
    /// Embedding model recorded in its metadata.
    pub embedding_model: Option<String>,
    /// Vector length.
    pub dimension: Option<u64>,
}

/// The parent store.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ParentStoreStats {
    /// Parent chunks.
    pub count: u64,
    /// Files ingested.
    pub files: u64,
    /// The SQLite file.
    pub path: String,
}

/// Both halves of the knowledge base.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CollectionsStats {
    /// Children, in Chroma.
    pub child_chunks: CollectionStats,
    /// Parents, in the state volume.
    pub parent_documents: ParentStoreStats,
}

/// Result of `cortex_get_stats`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StatsOutput {
    /// `healthy` (Chroma and the embedder work and chunks exist), `degraded` (the embedder is
    /// down or nothing is ingested), or `error` (Chroma is unreachable).
    pub health_status: String,
    /// Files ingested.
    pub total_documents: u64,
    /// Child chunks (Chroma's count; the parent store's record when Chroma is down).
    pub total_chunks: u64,
    /// Parent chunks.
    pub total_parents: u64,
    /// Details of both stores.
    pub collections: CollectionsStats,
    /// Collections in the Chroma database (any owner).
    pub chroma_collections: Option<u64>,
    /// Each backend's state.
    pub backends: Vec<BackendStatus>,
    /// The embedder in use.
    pub embedder: EmbedderInfo,
    /// Cache counters and occupancy.
    pub cache: Option<CacheStats>,
    /// The last ingest.
    pub last_ingest: Option<IngestRun>,
    /// The state directory.
    pub state_dir: String,
}

/// Result of `cortex_guardian_wakeup`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DigestOutput {
    /// `GREEN` (all good), `AMBER` (degraded: a backend down or nothing ingested) or `RED`
    /// (Chroma unreachable).
    pub status: String,
    /// Why that status.
    pub reason: String,
    /// Where the digest was written.
    pub digest_path: String,
    /// The digest (Markdown).
    pub digest: String,
    /// When it was built (RFC 3339).
    pub generated_at: String,
    /// Time to build it, in milliseconds.
    pub total_time_ms: u64,
}

fn probe<T>(
    name: &str,
    optional: bool,
    started: Instant,
    r: Result<T, String>,
    ok: impl FnOnce(T) -> String,
) -> BackendStatus {
    let latency_ms = started.elapsed().as_millis() as u64;
    match r {
        Ok(v) => BackendStatus {
            name: name.to_owned(),
            ok: true,
            detail: ok(v),
            optional,
            latency_ms,
        },
        Err(detail) => BackendStatus {
            name: name.to_owned(),
            ok: false,
            detail,
            optional,
            latency_ms,
        },
    }
}

impl Engine {
    /// Probe every backend concurrently.
    pub async fn backends(&self) -> Vec<BackendStatus> {
        let chroma = async {
            let t = Instant::now();
            let r = async {
                self.chroma.heartbeat(PROBE_TIMEOUT).await?;
                self.chroma.version(PROBE_TIMEOUT).await
            }
            .await
            .map_err(|e| e.to_string());
            let url = self.chroma.base().to_string();
            probe("chroma", true, t, r, |v| format!("chroma {v} at {url}"))
        };
        let embedder = async {
            let t = Instant::now();
            let h = self.embedder.health().await;
            probe(
                "embedder",
                false,
                t,
                if h.ok { Ok(h.detail) } else { Err(h.detail) },
                |d| d,
            )
        };
        let ollama = async {
            let client = self.ollama.as_ref()?;
            let t = Instant::now();
            let r = client.tags(PROBE_TIMEOUT).await.map_err(|e| e.to_string());
            let model = self.config.chat_model.clone();
            let url = client.base().to_string();
            Some(probe("ollama", true, t, r, |models| {
                let chat = if has_model(&models, &model) {
                    format!("chat model {model} present")
                } else {
                    format!("chat model {model} not pulled")
                };
                format!("{} models at {url}; {chat}", models.len())
            }))
        };
        let (c, e, o) = tokio::join!(chroma, embedder, ollama);
        let mut out = vec![c, e];
        out.extend(o);
        out
    }

    /// Everything `cortex_get_stats` reports.
    pub async fn stats(&self) -> Result<StatsOutput, CortexError> {
        let name = self.config.collection.clone();
        let backends = self.backends().await;
        let chroma_ok = backends.iter().any(|b| b.name == "chroma" && b.ok);
        let embedder_ok = backends.iter().any(|b| b.name == "embedder" && b.ok);
        let totals = self.store.totals(&name).await?;
        let mut child = CollectionStats {
            name: name.clone(),
            count: None,
            exists: false,
            embedding_model: None,
            dimension: None,
        };
        let mut chroma_collections = None;
        if chroma_ok {
            if let Ok(Some(c)) = self.chroma.get_collection(&name).await {
                child.exists = true;
                child.count = self.chroma.count(&c.id).await.ok();
                let m = c.metadata.unwrap_or_default();
                child.embedding_model = m
                    .get(crate::engine::meta_keys::MODEL)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                child.dimension = m
                    .get(crate::engine::meta_keys::DIMENSION)
                    .and_then(|v| v.as_u64())
                    .or(c.dimension);
            } else {
                child.count = Some(0);
            }
            chroma_collections = self.chroma.count_collections().await.ok();
        }
        let total_chunks = child.count.unwrap_or(totals.chunks);
        let health_status = if !chroma_ok {
            "error"
        } else if !embedder_ok || total_chunks == 0 {
            "degraded"
        } else {
            "healthy"
        };
        Ok(StatsOutput {
            health_status: health_status.to_owned(),
            total_documents: totals.sources,
            total_chunks,
            total_parents: totals.parents,
            collections: CollectionsStats {
                child_chunks: child,
                parent_documents: ParentStoreStats {
                    count: totals.parents,
                    files: totals.sources,
                    path: self.store.path().display().to_string(),
                },
            },
            chroma_collections,
            backends,
            embedder: self.embedder.info(),
            cache: self.cache.stats().await.ok(),
            last_ingest: self.store.recent_runs(1).await?.into_iter().next(),
            state_dir: self.config.state_dir.display().to_string(),
        })
    }

    /// Build the guardian digest from live state; with `write`, also write it to the state volume
    /// (atomically: a temporary file renamed over the old one).
    pub async fn guardian_digest(
        &self,
        full: bool,
        write: bool,
    ) -> Result<DigestOutput, CortexError> {
        let started = Instant::now();
        let stats = self.stats().await?;
        let runs = self.store.recent_runs(5).await?;
        let top = if full {
            self.store.top_sources(&self.config.collection, 10).await?
        } else {
            Vec::new()
        };
        let generated_at = jiff::Timestamp::now().to_string();
        let (status, reason) = verdict(&stats);
        let digest = render_digest(&stats, &runs, &top, &generated_at, status, &reason);
        let path = self.config.state_dir.join(DIGEST_FILE);
        let tmp = self.config.state_dir.join(format!("{DIGEST_FILE}.tmp"));
        if write {
            let body = digest.clone();
            let p2 = path.clone();
            tokio::task::spawn_blocking(move || {
                std::fs::write(&tmp, body.as_bytes())?;
                std::fs::rename(&tmp, &p2)
            })
            .await?
            .map_err(|e| CortexError::io(path.display(), e))?;
        }
        Ok(DigestOutput {
            status: status.to_owned(),
            reason,
            digest_path: path.display().to_string(),
            digest,
            generated_at,
            total_time_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// The last digest written, if any.
    pub async fn last_digest(&self) -> Option<String> {
        let path = self.config.state_dir.join(DIGEST_FILE);
        tokio::task::spawn_blocking(move || std::fs::read_to_string(path).ok())
            .await
            .ok()
            .flatten()
    }
}

/// GREEN, AMBER or RED, and why.
pub fn verdict(stats: &StatsOutput) -> (&'static str, String) {
    let down: Vec<&str> = stats
        .backends
        .iter()
        .filter(|b| !b.ok)
        .map(|b| b.name.as_str())
        .collect();
    if stats.backends.iter().any(|b| b.name == "chroma" && !b.ok) {
        (
            "RED",
            "chroma is unreachable: queries and ingests fail until it returns".to_owned(),
        )
    } else if !down.is_empty() {
        ("AMBER", format!("degraded: {} down", down.join(", ")))
    } else if stats.total_chunks == 0 {
        (
            "AMBER",
            "the knowledge base is empty: run cortex_ingest_full".to_owned(),
        )
    } else {
        (
            "GREEN",
            "every backend answers and the knowledge base is populated".to_owned(),
        )
    }
}

fn when(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(|_| unix.to_string(), |t| t.to_string())
}

/// The digest's Markdown.
pub fn render_digest(
    stats: &StatsOutput,
    runs: &[IngestRun],
    top: &[SourceRecord],
    generated_at: &str,
    status: &str,
    reason: &str,
) -> String {
    let mut s = String::new();
    s.push_str("# Guardian Boot Digest\n\n");
    s.push_str(&format!(
        "Generated {generated_at} by sanctuary-cortex {}.\n\n**Status: {status}**: {reason}.\n\n",
        env!("CARGO_PKG_VERSION")
    ));
    s.push_str("## Backends\n\n| backend | state | detail | probe |\n|---|---|---|---|\n");
    for b in &stats.backends {
        s.push_str(&format!(
            "| {} | {} | {} | {} ms |\n",
            b.name,
            if b.ok { "up" } else { "DOWN" },
            b.detail.replace('|', "\\|"),
            b.latency_ms
        ));
    }
    let c = &stats.collections.child_chunks;
    s.push_str("\n## Knowledge base\n\n");
    s.push_str(&format!(
        "- Collection `{}`: {} child chunks{}.\n",
        c.name,
        c.count
            .map_or_else(|| "unknown (chroma down)".to_owned(), |n| n.to_string()),
        c.embedding_model
            .as_ref()
            .map(|m| format!(", embedded with {m}"))
            .unwrap_or_default()
    ));
    s.push_str(&format!(
        "- Parent store: {} parent chunks from {} files (`{}`).\n",
        stats.collections.parent_documents.count,
        stats.collections.parent_documents.files,
        stats.collections.parent_documents.path
    ));
    s.push_str(&format!(
        "- Embedder: {}{}.\n",
        stats.embedder.label(),
        stats
            .embedder
            .dimension
            .map(|d| format!(" ({d} dimensions)"))
            .unwrap_or_default()
    ));
    s.push_str("\n## Recent ingests\n\n");
    if runs.is_empty() {
        s.push_str("None yet.\n");
    } else {
        s.push_str("| started | kind | status | ingested | unchanged | removed | chunks | time |\n|---|---|---|---|---|---|---|---|\n");
        for r in runs {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} ms |\n",
                when(r.started_at),
                r.kind,
                r.status,
                r.files_ingested,
                r.files_unchanged,
                r.files_removed,
                r.chunks_upserted,
                r.elapsed_ms
            ));
        }
        if let Some(e) = runs.iter().find_map(|r| r.error.as_ref()) {
            s.push_str(&format!("\nLatest error: {}\n", e.replace('\n', " ")));
        }
    }
    s.push_str("\n## Cache\n\n");
    match &stats.cache {
        Some(cs) => s.push_str(&format!(
            "- Memory: {} entries ({} bytes); SQLite: {} entries ({} bytes); TTL {} s.\n- Since start: {} memory hits, {} SQLite hits, {} misses (hit rate {:.0} %), {} sets.\n",
            cs.memory.entries,
            cs.memory.bytes,
            cs.sqlite.entries,
            cs.sqlite.bytes,
            cs.ttl_seconds,
            cs.memory_hits,
            cs.sqlite_hits,
            cs.misses,
            cs.hit_rate * 100.0,
            cs.sets
        )),
        None => s.push_str("- Unavailable.\n"),
    }
    if !top.is_empty() {
        s.push_str("\n## Largest sources\n\n| file | chunks | ingested |\n|---|---|---|\n");
        for r in top {
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                r.source,
                r.chunks,
                when(r.ingested_at)
            ));
        }
    }
    s
}
