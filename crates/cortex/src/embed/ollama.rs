//! Embeddings from Ollama's `/api/embed` (default model `nomic-embed-text`).
//!
//! nomic-embed-text was trained with task prefixes: queries must start with `search_query: `
//! and documents with `search_document: `, or retrieval quality drops. The original cortex
//! forgot them; here they are added on every call (configurable, `none` for models without).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::{FutureExt as _, future::BoxFuture};

use super::{EmbedKind, Embedder, EmbedderHealth, EmbedderInfo, normalize};
use crate::{
    error::CortexError,
    ollama::{OllamaClient, has_model},
};

/// The Ollama embedder.
pub struct OllamaEmbedder {
    /// The Ollama server.
    client: OllamaClient,
    /// Embedding model.
    model: String,
    /// Prefix for queries.
    query_prefix: String,
    /// Prefix for documents.
    document_prefix: String,
    /// Per-request limit (the caller's hop bounds it further).
    timeout: Duration,
    /// Vector length seen on the last call (0 = none yet).
    dimension: AtomicUsize,
}

impl OllamaEmbedder {
    /// An embedder using `model` on `client`.
    pub fn new(
        client: OllamaClient,
        model: String,
        query_prefix: String,
        document_prefix: String,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            model,
            query_prefix,
            document_prefix,
            timeout,
            dimension: AtomicUsize::new(0),
        }
    }

    /// The texts as sent: with the task prefix of `kind`.
    pub fn prefixed(&self, texts: Vec<String>, kind: EmbedKind) -> Vec<String> {
        let prefix = match kind {
            EmbedKind::Query => &self.query_prefix,
            EmbedKind::Document => &self.document_prefix,
        };
        if prefix.is_empty() {
            return texts;
        }
        texts.into_iter().map(|t| format!("{prefix}{t}")).collect()
    }
}

impl Embedder for OllamaEmbedder {
    fn info(&self) -> EmbedderInfo {
        let d = self.dimension.load(Ordering::Relaxed);
        EmbedderInfo {
            kind: "ollama".to_owned(),
            model: self.model.clone(),
            dimension: (d > 0).then_some(d),
        }
    }

    fn embed<'a>(
        &'a self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CortexError>> {
        async move {
            if texts.is_empty() {
                return Ok(Vec::new());
            }
            let input = self.prefixed(texts, kind);
            let mut vectors = self.client.embed(&self.model, &input, self.timeout).await?;
            let dim = vectors.first().map_or(0, Vec::len);
            if dim == 0 || vectors.iter().any(|v| v.len() != dim) {
                return Err(CortexError::Embedder {
                    model: format!("ollama/{}", self.model),
                    message: "ollama returned empty or ragged embeddings".to_owned(),
                });
            }
            self.dimension.store(dim, Ordering::Relaxed);
            // /api/embed already normalises; doing it again is cheap and makes it certain.
            for v in &mut vectors {
                normalize(v);
            }
            Ok(vectors)
        }
        .boxed()
    }

    fn health(&self) -> BoxFuture<'_, EmbedderHealth> {
        async move {
            match self.client.tags(Duration::from_secs(3)).await {
                Ok(models) if has_model(&models, &self.model) => EmbedderHealth {
                    ok: true,
                    detail: format!("ollama at {} has {}", self.client.base(), self.model),
                },
                Ok(_) => EmbedderHealth {
                    ok: false,
                    detail: format!(
                        "ollama at {} has not pulled {} (run `ollama pull {}`)",
                        self.client.base(),
                        self.model,
                        self.model
                    ),
                },
                Err(e) => EmbedderHealth {
                    ok: false,
                    detail: e.to_string(),
                },
            }
        }
        .boxed()
    }
}
