//! The cortex cluster (`sanctuary-cortex`): the MCP front of the intelligence cluster. ChromaDB
//! (storage) and Ollama (compute) are backends reached by network alias; they expose no tools.
//!
//! | group | tools |
//! |---|---|
//! | ingest | `cortex_ingest_full`, `cortex_ingest_incremental` |
//! | query | `cortex_query`, `cortex_ask` |
//! | cache | `cortex_cache_get`, `cortex_cache_set`, `cortex_cache_warmup`, `cortex_cache_stats` |
//! | status | `cortex_get_stats`, `cortex_guardian_wakeup` |
//! | model | `query_sanctuary_model`, `check_sanctuary_model_status` |
//! | collections | `cortex_list_collections`, `cortex_collection_info`, `cortex_collection_count`, `cortex_peek_collection`, `cortex_get_documents`, `cortex_delete_documents` |
//!
//! Resources: `cortex://collections`, `cortex://collections/{name}`, `cortex://stats`,
//! `cortex://guardian/digest`.
//!
//! # Layout
//! - [`config`]: `CORTEX_*` settings. [`error`]: the one error enum.
//! - [`chroma`]: typed Chroma v2 REST client. [`ollama`]: `/api/embed`, `/api/chat`, `/api/tags`.
//! - [`embed`]: the `Embedder` trait, the in-process MiniLM and the Ollama embedder.
//! - [`chunking`]: parent/child splitting (Markdown, tree-sitter code, text), content ids.
//! - [`walk`]: which files an ingest reads (root jail, .gitignore, exclusions).
//! - [`store`]: parents, file records and the ingest log in SQLite. [`cache`]: the two-tier cache.
//! - [`engine`]: backends + state, the collection handle. [`ingest`], [`rag`] (query, ask),
//!   [`status`] (health, stats, digest), [`collections`]: the operations.
//! - [`server`]: the `Cluster` impl (readiness, resources); `tools/`: one file per tool group.
//!
//! This crate knows no transport: fleet-core serves it.

pub mod cache;
pub mod chroma;
pub mod chunking;
pub mod collections;
pub mod config;
pub mod embed;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod ollama;
pub mod rag;
pub mod server;
pub mod status;
pub mod store;
mod tools;
pub mod walk;

pub use config::{CORTEX_VARS, CortexConfig};
pub use error::CortexError;
pub use server::CortexServer;
