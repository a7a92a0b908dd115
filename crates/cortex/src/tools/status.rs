//! `cortex_get_stats` and `cortex_guardian_wakeup`: the knowledge base's state, from live probes
//! and counts.

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::Deserialize;

use crate::{
    error::CortexError,
    server::CortexServer,
    status::{DigestOutput, StatsOutput},
};

fn default_mode() -> String {
    "full".to_owned()
}

/// Arguments of `cortex_guardian_wakeup`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct WakeupArgs {
    /// `full` (default; also `holistic`): everything, with the largest sources; `summary`:
    /// without the source list.
    #[serde(default = "default_mode")]
    pub mode: String,
}

#[tool_router(router = status_tools, vis = "pub(crate)")]
impl CortexServer {
    /// Knowledge-base statistics: files, parent and child chunk counts, the collection's embedder
    /// and dimension, every backend's health (Chroma, embedder, Ollama, each probed within 3 s),
    /// cache counters and the last ingest. `health_status` is `healthy`, `degraded` (embedder
    /// down or nothing ingested) or `error` (Chroma unreachable); the call itself succeeds either
    /// way.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_get_stats(&self) -> Result<Json<StatsOutput>, CortexError> {
        self.engine.stats().await.map(Json)
    }

    /// Build the guardian boot digest from live state (backend health, knowledge-base size,
    /// recent ingests, cache, largest sources), write it to
    /// `<CORTEX_STATE_DIR>/guardian_boot_digest.md` and return it with a GREEN/AMBER/RED status.
    /// Example: `{"mode": "summary"}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_guardian_wakeup(
        &self,
        Parameters(args): Parameters<WakeupArgs>,
    ) -> Result<Json<DigestOutput>, CortexError> {
        let full = match args.mode.to_ascii_lowercase().as_str() {
            "full" | "holistic" => true,
            "summary" => false,
            other => {
                return Err(CortexError::arg(
                    "mode",
                    format!("{other:?} is not one of full, holistic, summary"),
                ));
            }
        };
        self.engine.guardian_digest(full, true).await.map(Json)
    }
}
