//! Embeddings behind one trait: the in-process all-MiniLM-L6-v2 ([`local`]) and Ollama's
//! `/api/embed` ([`ollama`]).
//!
//! Every collection records the model and dimension it was built with (see `crate::rag`), so
//! switching embedders is a clear error instead of silently comparing vectors of two models.

pub mod local;
pub mod ollama;

use futures::future::BoxFuture;
use serde::Serialize;

use crate::error::CortexError;

/// What a text is, for embedders that embed queries and documents differently (nomic's prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedKind {
    /// A search query.
    Query,
    /// A document chunk.
    Document,
}

/// Which embedder is in use, for collection metadata, stats and errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct EmbedderInfo {
    /// `local` or `ollama`.
    pub kind: String,
    /// Model name, e.g. `all-MiniLM-L6-v2` or `nomic-embed-text`.
    pub model: String,
    /// Vector length, when known (the local model knows it from its config; Ollama after a call).
    pub dimension: Option<usize>,
}

impl EmbedderInfo {
    /// `local/all-MiniLM-L6-v2`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.kind, self.model)
    }
}

/// The state of an embedder for `/ready` and stats.
#[derive(Debug, Clone)]
pub struct EmbedderHealth {
    /// Whether it can embed now.
    pub ok: bool,
    /// What was checked or what is wrong.
    pub detail: String,
}

/// Something that turns texts into unit-length vectors.
pub trait Embedder: Send + Sync {
    /// Who this is.
    fn info(&self) -> EmbedderInfo;

    /// One vector per text, in order. Heavy work runs off the async threads.
    fn embed<'a>(
        &'a self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CortexError>>;

    /// Whether it can embed now (loads the local model on first use).
    fn health(&self) -> BoxFuture<'_, EmbedderHealth>;

    /// Get ready to embed (load a model), outside any hop: a one-off start-up cost must not be
    /// charged to the first query's embed hop. Default: nothing to do.
    fn prepare(&self) -> BoxFuture<'_, Result<(), CortexError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Scale `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

/// Cosine similarity of two unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_gives_unit_length_and_keeps_zero() {
        let mut v = vec![3.0, 4.0];
        normalize(&mut v);
        assert!((dot(&v, &v) - 1.0).abs() < 1e-6);
        assert_eq!(v, [0.6, 0.8]);
        let mut z = vec![0.0; 3];
        normalize(&mut z);
        assert_eq!(z, [0.0; 3]);
    }
}
