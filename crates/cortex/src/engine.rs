//! The cortex engine: the backends (Chroma, Ollama, the embedder), the state (parent store,
//! cache) and the operations the tools call. It knows nothing of MCP: tools are thin wrappers.
//!
//! The collection of child chunks is looked up once and remembered with the embedder it was built
//! with; when Chroma says the collection is gone (deleted, or Chroma was reset), the handle is
//! dropped and the call retried once, so cortex recovers on its own when Chroma returns.

use std::{path::PathBuf, sync::Arc, time::Duration};

use serde_json::{Map, Value, json};
use tokio::sync::{Mutex, OnceCell};

use crate::{
    cache::{Cache, SystemClock},
    chroma::{ChromaClient, Collection, Metadata, is_missing_collection},
    config::{CortexConfig, EmbedderChoice},
    embed::{Embedder, EmbedderInfo, local::LocalEmbedder, ollama::OllamaEmbedder},
    error::CortexError,
    ollama::OllamaClient,
    store::Store,
};

/// Collection metadata keys cortex writes.
pub mod meta_keys {
    /// `local` or `ollama`.
    pub const EMBEDDER: &str = "cortex:embedder";
    /// The embedding model.
    pub const MODEL: &str = "cortex:embedding_model";
    /// The vector length.
    pub const DIMENSION: &str = "cortex:dimension";
    /// Who created it.
    pub const CREATED_BY: &str = "cortex:created_by";
}

/// The cortex collection as last seen, with the embedder it records.
#[derive(Debug, Clone)]
pub struct CollectionHandle {
    /// Chroma's id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Recorded embedding model (`kind/model`).
    pub model: Option<String>,
    /// Recorded or observed dimension.
    pub dimension: Option<usize>,
}

/// Backends, state and settings shared by every tool.
pub struct Engine {
    /// Settings.
    pub config: CortexConfig,
    /// Chroma.
    pub chroma: ChromaClient,
    /// Ollama, unless disabled.
    pub ollama: Option<OllamaClient>,
    /// The embedder in use.
    pub embedder: Arc<dyn Embedder>,
    /// Parents, file records, ingest log.
    pub store: Store,
    /// The two-tier cache.
    pub cache: Cache,
    /// The cortex collection, once looked up.
    collection: Mutex<Option<CollectionHandle>>,
    /// Chroma's largest batch, asked once.
    max_batch: OnceCell<usize>,
    /// One ingest at a time: two would race on the same files' chunks.
    pub(crate) ingest_lock: Mutex<()>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("chroma", &self.chroma.base().as_str())
            .field("collection", &self.config.collection)
            .field("embedder", &self.embedder.info().label())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Build the engine: HTTP clients, the embedder, and the two SQLite stores (which must open:
    /// an unusable state directory is a start-up error naming `CORTEX_STATE_DIR`).
    pub fn new(config: CortexConfig) -> Result<Self, String> {
        let http = fleet_core::http_client(
            "sanctuary-cortex",
            env!("CARGO_PKG_VERSION"),
            Duration::from_secs(600),
        )
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let chroma = ChromaClient::new(
            http.clone(),
            config.chroma_url.clone(),
            config.chroma_tenant.clone(),
            config.chroma_database.clone(),
        );
        let ollama = config
            .ollama_url
            .clone()
            .map(|u| OllamaClient::new(http.clone(), u));
        let embedder: Arc<dyn Embedder> = match (config.embedder, &ollama) {
            (EmbedderChoice::Ollama, Some(client)) => Arc::new(OllamaEmbedder::new(
                client.clone(),
                config.embed_model.clone(),
                config.query_prefix.clone(),
                config.document_prefix.clone(),
                config.timeouts.embed.limit,
            )),
            _ => Arc::new(LocalEmbedder::new(config.model_dir.clone())),
        };
        let store = Store::open(&config.state_dir)?;
        let cache = Cache::open(&config.state_dir, config.cache, Arc::new(SystemClock))?;
        Ok(Self {
            config,
            chroma,
            ollama,
            embedder,
            store,
            cache,
            collection: Mutex::new(None),
            max_batch: OnceCell::new(),
            ingest_lock: Mutex::new(()),
        })
    }

    /// The state directory.
    pub fn state_dir(&self) -> &PathBuf {
        &self.config.state_dir
    }

    /// Ollama, or the error saying it is off.
    pub fn ollama(&self, needed_by: &'static str) -> Result<&OllamaClient, CortexError> {
        self.ollama
            .as_ref()
            .ok_or(CortexError::OllamaDisabled(needed_by))
    }

    /// Records per upsert: the configured batch, within Chroma's `max_batch_size`.
    pub async fn upsert_batch(&self) -> Result<usize, CortexError> {
        let server = self
            .max_batch
            .get_or_try_init(|| self.chroma.max_batch_size())
            .await?;
        Ok(self.config.upsert_batch.min(*server).max(1))
    }

    /// Forget the remembered collection (after Chroma said it is gone, or a purge).
    pub async fn forget_collection(&self) {
        *self.collection.lock().await = None;
    }

    /// The cortex collection. `create` makes it (recording the embedder) when missing; otherwise a
    /// missing collection is an error telling the caller to ingest first. A collection built by
    /// another embedder is a mismatch error.
    pub async fn collection(&self, create: bool) -> Result<CollectionHandle, CortexError> {
        let mut cached = self.collection.lock().await;
        if let Some(h) = cached.as_ref() {
            return Ok(h.clone());
        }
        let name = &self.config.collection;
        let found = match self.chroma.get_collection(name).await? {
            Some(c) => c,
            None if create => {
                let info = self.embedder_with_dimension().await?;
                self.chroma
                    .get_or_create_collection(name, cortex_metadata(&info))
                    .await?
            }
            None => {
                return Err(CortexError::CollectionNotFound {
                    name: name.clone(),
                    hint: ": nothing has been ingested yet; run cortex_ingest_full first"
                        .to_owned(),
                });
            }
        };
        let handle = self.verify(found).await?;
        *cached = Some(handle.clone());
        Ok(handle)
    }

    /// The embedder's identity with its dimension (asking Ollama once if it is not known yet).
    pub async fn embedder_with_dimension(&self) -> Result<EmbedderInfo, CortexError> {
        let mut info = self.embedder.info();
        if info.dimension.is_none() {
            let v = self
                .embedder
                .embed(
                    vec!["dimension probe".to_owned()],
                    crate::embed::EmbedKind::Document,
                )
                .await?;
            info.dimension = v.first().map(Vec::len);
        }
        Ok(info)
    }

    /// Check that `c` was built with our embedder; adopt a collection that records none.
    async fn verify(&self, c: Collection) -> Result<CollectionHandle, CortexError> {
        let info = self.embedder.info();
        let ours = info.label();
        let metadata = c.metadata.clone().unwrap_or_default();
        let recorded_model = metadata
            .get(meta_keys::MODEL)
            .and_then(Value::as_str)
            .map(
                |m| match metadata.get(meta_keys::EMBEDDER).and_then(Value::as_str) {
                    Some(kind) => format!("{kind}/{m}"),
                    None => m.to_owned(),
                },
            );
        let recorded_dim = metadata
            .get(meta_keys::DIMENSION)
            .and_then(Value::as_u64)
            .map(|d| d as usize)
            .or(c.dimension.map(|d| d as usize));
        if let Some(model) = &recorded_model
            && *model != ours
        {
            return Err(CortexError::Mismatch(format!(
                "collection {:?} was built with {model}{} but the configured embedder is {ours}{}; \
                 re-ingest with cortex_ingest_full purge_existing=true, or set CORTEX_EMBEDDER / CORTEX_COLLECTION",
                c.name,
                dims(recorded_dim),
                dims(info.dimension),
            )));
        }
        if let (Some(theirs), Some(mine)) = (recorded_dim, info.dimension)
            && theirs != mine
        {
            return Err(CortexError::Mismatch(format!(
                "collection {:?} holds {theirs}-dimensional vectors but {ours} makes {mine}-dimensional ones; \
                 re-ingest with cortex_ingest_full purge_existing=true, or set CORTEX_COLLECTION",
                c.name
            )));
        }
        if recorded_model.is_none() {
            // A collection cortex did not create (or an older one): record our embedder, keeping
            // what is there. Chroma replaces metadata wholesale, so merge first.
            let mut merged = metadata.clone();
            merged.remove("hnsw:space");
            for (k, v) in cortex_metadata(&info) {
                merged.insert(k, v);
            }
            self.chroma.set_collection_metadata(&c.id, &merged).await?;
            tracing::info!(collection = %c.name, embedder = %ours, "recorded the embedder in collection metadata");
        }
        Ok(CollectionHandle {
            id: c.id,
            name: c.name,
            model: Some(ours),
            dimension: recorded_dim.or(info.dimension),
        })
    }

    /// Check a query vector against the collection before searching with it.
    pub fn check_dimension(
        handle: &CollectionHandle,
        vector: &[f32],
        embedder: &str,
    ) -> Result<(), CortexError> {
        match handle.dimension {
            Some(d) if d != vector.len() => Err(CortexError::Mismatch(format!(
                "collection {:?} holds {d}-dimensional vectors but {embedder} made a {}-dimensional one; \
                 re-ingest with cortex_ingest_full purge_existing=true",
                handle.name,
                vector.len()
            ))),
            _ => Ok(()),
        }
    }

    /// Run `op` with the collection; when Chroma says the collection is gone, look it up again
    /// and retry once.
    pub async fn with_collection<T, F, Fut>(&self, create: bool, op: F) -> Result<T, CortexError>
    where
        F: Fn(CollectionHandle) -> Fut,
        Fut: std::future::Future<Output = Result<T, CortexError>>,
    {
        let handle = self.collection(create).await?;
        match op(handle).await {
            Err(e) if is_missing_collection(&e) => {
                tracing::info!(error = %e, "collection changed under cortex; looking it up again");
                self.forget_collection().await;
                let handle = self.collection(create).await?;
                op(handle).await
            }
            other => other,
        }
    }
}

fn dims(d: Option<usize>) -> String {
    d.map(|d| format!(" ({d} dimensions)")).unwrap_or_default()
}

/// The metadata cortex records on its collection.
pub fn cortex_metadata(info: &EmbedderInfo) -> Metadata {
    let mut m = Map::new();
    m.insert(meta_keys::EMBEDDER.into(), json!(info.kind));
    m.insert(meta_keys::MODEL.into(), json!(info.model));
    if let Some(d) = info.dimension {
        m.insert(meta_keys::DIMENSION.into(), json!(d));
    }
    m.insert(meta_keys::CREATED_BY.into(), json!("sanctuary-cortex"));
    m
}
