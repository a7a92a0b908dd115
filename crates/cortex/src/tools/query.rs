//! `cortex_query` and `cortex_ask`: retrieval, and answers with cited sources.

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::Deserialize;

use crate::{
    error::CortexError,
    rag::{AskOutput, AskParams, QueryOutput, QueryParams},
    server::CortexServer,
};

fn default_results() -> usize {
    5
}

fn default_true() -> bool {
    true
}

fn default_temperature() -> f32 {
    0.2
}

fn default_answer_tokens() -> u32 {
    1024
}

/// Arguments of `cortex_query`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct QueryArgs {
    /// What to search for, in natural language (up to CORTEX_MAX_QUERY_CHARS characters).
    pub query: String,
    /// Distinct parent chunks to return, 1 to 50 (default 5).
    #[serde(default = "default_results")]
    pub max_results: usize,
    /// Read and fill the result cache (default true). Results are dropped from the cache
    /// whenever an ingest changes the collection.
    #[serde(default = "default_true")]
    pub use_cache: bool,
    /// Only search this file or directory (relative to CORTEX_SOURCE_ROOT), e.g. `docs/adr`.
    #[serde(default)]
    pub source: Option<String>,
    /// Accepted for compatibility with the original cortex and ignored.
    #[serde(default)]
    pub reasoning_mode: Option<String>,
}

/// Arguments of `cortex_ask`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AskArgs {
    /// The question (up to CORTEX_MAX_QUERY_CHARS characters).
    pub question: String,
    /// Passages to retrieve and give the model, 1 to 50 (default 5).
    #[serde(default = "default_results")]
    pub max_results: usize,
    /// Only use this file or directory (relative to CORTEX_SOURCE_ROOT).
    #[serde(default)]
    pub source: Option<String>,
    /// Ollama chat model (default CORTEX_OLLAMA_MODEL).
    #[serde(default)]
    pub model: Option<String>,
    /// Sampling temperature, 0 to 2 (default 0.2).
    #[serde(default = "default_temperature")]
    pub temperature: f32,
    /// Most tokens in the answer, 1 to 8192 (default 1024).
    #[serde(default = "default_answer_tokens")]
    pub max_tokens: u32,
    /// Least similarity (0 to 1) a passage needs to be given to the model (default 0.2).
    #[serde(default)]
    pub min_score: Option<f32>,
}

/// Check the generation settings shared by `cortex_ask` and `query_sanctuary_model`.
pub(crate) fn check_generation(temperature: f32, max_tokens: u32) -> Result<(), CortexError> {
    if !(0.0..=2.0).contains(&temperature) {
        return Err(CortexError::arg(
            "temperature",
            format!("{temperature} is outside 0..=2"),
        ));
    }
    if !(1..=8192).contains(&max_tokens) {
        return Err(CortexError::arg(
            "max_tokens",
            format!("{max_tokens} is outside 1..=8192"),
        ));
    }
    Ok(())
}

#[tool_router(router = query_tools, vis = "pub(crate)")]
impl CortexServer {
    /// Search the knowledge base: embed the query, find the nearest child chunks in Chroma, and
    /// return their parent chunks (the readable context), one result per parent, best first, each
    /// with a similarity score in [0, 1], its source file and line range, and the matching chunk.
    /// Bounded by Guardrail 6 (embed 5 s, search 10 s, 45 s total). Cached by query text.
    /// Example: `{"query": "How are chain timeouts enforced?", "max_results": 3}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_query(
        &self,
        Parameters(args): Parameters<QueryArgs>,
    ) -> Result<Json<QueryOutput>, CortexError> {
        self.engine
            .query(QueryParams {
                query: args.query,
                max_results: args.max_results,
                use_cache: args.use_cache,
                source: args.source,
            })
            .await
            .map(Json)
    }

    /// Answer a question from the knowledge base: retrieve passages as `cortex_query` does, then
    /// ask the Ollama chat model to answer from them only, citing them as [n]. Returns the answer,
    /// the numbered sources (and which were cited) and where the time went. When nothing relevant
    /// is found the model is not asked (status `no_context`). Bounded by Guardrail 6: embed 5 s,
    /// search 10 s, generate 30 s, 45 s in all; a timeout names the hop.
    /// Example: `{"question": "What does Protocol 101 require before a commit?"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub async fn cortex_ask(
        &self,
        Parameters(args): Parameters<AskArgs>,
    ) -> Result<Json<AskOutput>, CortexError> {
        check_generation(args.temperature, args.max_tokens)?;
        let min_score = args.min_score.unwrap_or(0.2);
        if !(0.0..=1.0).contains(&min_score) {
            return Err(CortexError::arg(
                "min_score",
                format!("{min_score} is outside 0..=1"),
            ));
        }
        self.engine
            .ask(AskParams {
                retrieval: QueryParams {
                    query: args.question,
                    max_results: args.max_results,
                    use_cache: false,
                    source: args.source,
                },
                model: args.model,
                temperature: args.temperature,
                max_tokens: args.max_tokens,
                min_score,
            })
            .await
            .map(Json)
    }
}
