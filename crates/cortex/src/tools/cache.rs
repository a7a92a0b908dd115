//! The mnemonic cache tools (Protocol 114): get, set, warm up, stats. See [`crate::cache`].

use fleet_core::Progress;
use rmcp::{
    Json,
    handler::server::{tool::Extension, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    cache::{self, CacheStats, Tier},
    error::CortexError,
    rag::{QueryParams, validate_query},
    server::CortexServer,
};

/// Most queries one warm-up takes.
const MAX_WARMUP: usize = 100;
/// Characters of the top result kept as a warmed answer (the original's 1000).
const WARM_ANSWER_CHARS: usize = 1000;

/// Arguments of `cortex_cache_get`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CacheGetArgs {
    /// The query whose answer to look up (whitespace is normalised; otherwise an exact match).
    pub query: String,
}

/// Result of `cortex_cache_get`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CacheGetOutput {
    /// Whether an answer was cached.
    pub cache_hit: bool,
    /// The answer, on a hit.
    pub answer: Option<String>,
    /// Which tier had it: `memory` or `sqlite`.
    pub tier: Option<Tier>,
    /// Its age in seconds.
    pub age_seconds: Option<f64>,
    /// Time of the lookup in milliseconds.
    pub query_time_ms: f64,
    /// `success`.
    pub status: &'static str,
}

/// Arguments of `cortex_cache_set`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CacheSetArgs {
    /// The query.
    pub query: String,
    /// Its answer (up to CORTEX_CACHE_MAX_VALUE_BYTES).
    pub answer: String,
}

/// Result of `cortex_cache_set`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CacheSetOutput {
    /// The entry's key (SHA-256 hex).
    pub cache_key: String,
    /// Always true for a result (failures are tool errors).
    pub stored: bool,
    /// Seconds until it expires.
    pub ttl_seconds: u64,
    /// `success`.
    pub status: &'static str,
}

fn default_warm_results() -> usize {
    3
}

/// Arguments of `cortex_cache_warmup`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CacheWarmupArgs {
    /// Queries to warm (1 to 100): each is run through `cortex_query` (filling its result cache)
    /// and, when no answer is cached yet, its top result becomes the cached answer.
    pub genesis_queries: Vec<String>,
    /// Results per query, 1 to 50 (default 3).
    #[serde(default = "default_warm_results")]
    pub max_results: usize,
}

/// A query that could not be warmed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WarmupFailure {
    /// The query.
    pub query: String,
    /// Why.
    pub error: String,
}

/// Result of `cortex_cache_warmup`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CacheWarmupOutput {
    /// Queries given.
    pub queries: usize,
    /// Queries whose answer was newly cached.
    pub queries_cached: usize,
    /// Queries whose answer was already cached.
    pub cache_hits: usize,
    /// Queries that had no cached answer.
    pub cache_misses: usize,
    /// Queries that failed or found nothing.
    pub failures: Vec<WarmupFailure>,
    /// Wall time in milliseconds.
    pub total_time_ms: u64,
}

fn answer_key(query: &str) -> String {
    cache::key("answer", query, &Value::Null)
}

#[tool_router(router = cache_tools, vis = "pub(crate)")]
impl CortexServer {
    /// Look up a cached answer for a query (two tiers: memory, then SQLite on the state volume).
    /// An exact match after whitespace normalisation, not a semantic one. Entries expire after
    /// CORTEX_CACHE_TTL (24 h). Example: `{"query": "What is Protocol 101?"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_cache_get(
        &self,
        Parameters(args): Parameters<CacheGetArgs>,
    ) -> Result<Json<CacheGetOutput>, CortexError> {
        let started = std::time::Instant::now();
        validate_query(&args.query, self.engine.config.max_query_chars, "query")?;
        let hit = self.engine.cache.get(&answer_key(&args.query)).await?;
        Ok(Json(CacheGetOutput {
            cache_hit: hit.is_some(),
            tier: hit.as_ref().map(|h| h.tier),
            age_seconds: hit.as_ref().map(|h| h.age_ms as f64 / 1000.0),
            answer: hit.map(|h| h.value),
            query_time_ms: started.elapsed().as_secs_f64() * 1000.0,
            status: "success",
        }))
    }

    /// Cache an answer for a query, in memory and in SQLite (it survives restarts), replacing any
    /// previous answer. Refuses answers over CORTEX_CACHE_MAX_VALUE_BYTES (1 MiB).
    /// Example: `{"query": "What is Protocol 101?", "answer": "The git safety protocol: ..."}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_cache_set(
        &self,
        Parameters(args): Parameters<CacheSetArgs>,
    ) -> Result<Json<CacheSetOutput>, CortexError> {
        validate_query(&args.query, self.engine.config.max_query_chars, "query")?;
        if args.answer.trim().is_empty() {
            return Err(CortexError::arg("answer", "empty; give the text to cache"));
        }
        let key = answer_key(&args.query);
        self.engine
            .cache
            .put(&key, "answer", &args.query, args.answer)
            .await?;
        Ok(Json(CacheSetOutput {
            cache_key: key,
            stored: true,
            ttl_seconds: self.engine.cache.limits().ttl.as_secs(),
            status: "success",
        }))
    }

    /// Warm the cache: run each query through `cortex_query` (filling its result cache) and cache
    /// its top result (first 1000 characters) as the answer when none is cached. Reports progress
    /// per query. Limit: 100 queries, CORTEX_INGEST_TIMEOUT overall.
    /// Example: `{"genesis_queries": ["What is Protocol 101?", "How does ingest work?"]}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_cache_warmup(
        &self,
        Parameters(args): Parameters<CacheWarmupArgs>,
        Extension(progress): Extension<Progress>,
    ) -> Result<Json<CacheWarmupOutput>, CortexError> {
        let started = std::time::Instant::now();
        let n = args.genesis_queries.len();
        if n == 0 || n > MAX_WARMUP {
            return Err(CortexError::arg(
                "genesis_queries",
                format!("{n} queries; give 1 to {MAX_WARMUP}"),
            ));
        }
        for (i, q) in args.genesis_queries.iter().enumerate() {
            validate_query(q, self.engine.config.max_query_chars, "genesis_queries").map_err(
                |e| match e {
                    CortexError::InvalidArgument { reason, .. } => {
                        CortexError::arg(format!("genesis_queries[{i}]"), reason)
                    }
                    other => other,
                },
            )?;
        }
        let mut out = CacheWarmupOutput {
            queries: n,
            queries_cached: 0,
            cache_hits: 0,
            cache_misses: 0,
            failures: Vec::new(),
            total_time_ms: 0,
        };
        for (i, q) in args.genesis_queries.iter().enumerate() {
            let key = answer_key(q);
            if self.engine.cache.get(&key).await?.is_some() {
                out.cache_hits += 1;
            } else {
                out.cache_misses += 1;
                let result = self
                    .engine
                    .query(QueryParams {
                        query: q.clone(),
                        max_results: args.max_results,
                        use_cache: true,
                        source: None,
                    })
                    .await;
                match result {
                    Ok(r) => match r.results.first() {
                        Some(top) => {
                            let answer: String =
                                top.content.chars().take(WARM_ANSWER_CHARS).collect();
                            self.engine.cache.put(&key, "answer", q, answer).await?;
                            out.queries_cached += 1;
                        }
                        None => out.failures.push(WarmupFailure {
                            query: q.clone(),
                            error: "no results".to_owned(),
                        }),
                    },
                    // A bad argument concerns every query alike: report it as the call's error.
                    Err(e @ CortexError::InvalidArgument { .. }) => return Err(e),
                    Err(e) => out.failures.push(WarmupFailure {
                        query: q.clone(),
                        error: e.to_string(),
                    }),
                }
            }
            fleet_core::Progress::report(
                &progress,
                (i + 1) as f64,
                Some(n as f64),
                Some(format!("{} of {n} queries warmed", i + 1)),
            )
            .await;
        }
        out.total_time_ms = started.elapsed().as_millis() as u64;
        Ok(Json(out))
    }

    /// Cache statistics: entries and bytes per tier and their bounds, hits per tier, misses, hit
    /// rate, sets, evictions and expiries since start, the TTL and the SQLite file.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_cache_stats(&self) -> Result<Json<CacheStats>, CortexError> {
        self.engine.cache.stats().await.map(Json)
    }
}
