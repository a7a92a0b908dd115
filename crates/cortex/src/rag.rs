//! Retrieval and answering: `cortex_query` (embed → search → parents) and `cortex_ask`
//! (the same, then generate with Ollama, citing sources).
//!
//! Guardrail 6: each chain runs under one [`fleet_core::budget::ChainBudget`]: the embed hop
//! (5 s), the search hop (10 s: Chroma's nearest neighbours and the parent lookup) and the
//! generate hop (30 s), all within 45 s; a timeout names its hop.
//!
//! Children are what is searched; parents are what is returned. Several children of one parent
//! count once (the best one decides the parent's score), so `max_results` parents are distinct.
//! The score is cosine similarity (`1 - cosine distance`) clamped to [0, 1].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    cache::{self, Tier},
    chroma::{Hit, Query},
    embed::EmbedKind,
    engine::{CollectionHandle, Engine},
    error::CortexError,
    ollama::{ChatOptions, ChatResponse, Message, OllamaClient},
};

/// Most results a query may ask for.
pub const MAX_RESULTS: usize = 50;
/// Children fetched per wanted parent (several children often share a parent).
const OVERFETCH: usize = 4;
/// Characters of the matched child shown with a result.
const SNIPPET_CHARS: usize = 400;

/// Where in its file a piece of text sits.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Location {
    /// First line, 1-based.
    pub start_line: u64,
    /// Last line, inclusive.
    pub end_line: u64,
}

/// One retrieved parent.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueryHit {
    /// 1-based rank.
    pub rank: usize,
    /// Similarity in [0, 1] (cosine similarity of the best matching child).
    pub score: f32,
    /// Chroma's cosine distance for that child.
    pub distance: f32,
    /// Source file, relative to CORTEX_SOURCE_ROOT.
    pub source: String,
    /// Where the parent chunk sits in the file.
    pub location: Location,
    /// The parent chunk's text (the context to read).
    pub content: String,
    /// Id of the parent chunk.
    pub parent_id: String,
    /// The best matching child: id, location and text (shortened).
    pub matched_chunk: MatchedChunk,
    /// Children of this parent among the candidates.
    pub matching_chunks: usize,
    /// How the file was split: `markdown`, `code:<language>` or `text`.
    pub kind: String,
    /// True when the parent was not in the parent store (the child's text is returned instead).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parent_missing: bool,
}

/// The child that matched.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MatchedChunk {
    /// Chroma record id.
    pub id: String,
    /// Where it sits in the file.
    pub location: Location,
    /// Its text, up to 400 characters.
    pub text: String,
}

/// Result of `cortex_query`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueryOutput {
    /// `success`.
    pub status: String,
    /// The query as given.
    pub query: String,
    /// Distinct parents, best first.
    pub results: Vec<QueryHit>,
    /// Whether the answer came from the cache.
    pub cache_hit: bool,
    /// Which cache tier answered (`memory` or `sqlite`), on a hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_tier: Option<Tier>,
    /// Wall time of this call in milliseconds.
    pub query_time_ms: u64,
    /// Time of the embed hop (0 on a cache hit).
    pub embed_ms: u64,
    /// Time of the search hop (0 on a cache hit).
    pub search_ms: u64,
    /// Children compared before deduplication.
    pub candidates: usize,
    /// The collection searched.
    pub collection: String,
    /// The embedder used (`local/all-MiniLM-L6-v2`).
    pub embedder: String,
    /// The source filter applied, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_filter: Option<String>,
}

/// What `cortex_query` and `cortex_ask` retrieve with.
#[derive(Debug, Clone)]
pub struct QueryParams {
    /// The question.
    pub query: String,
    /// Distinct parents wanted.
    pub max_results: usize,
    /// Read and fill the cache.
    pub use_cache: bool,
    /// A file or directory (relative to the source root) to search within.
    pub source: Option<String>,
}

/// A source reference given to the model and returned with an answer.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Citation {
    /// The number the answer cites, `[n]`.
    pub n: usize,
    /// Source file.
    pub source: String,
    /// Lines of the parent chunk.
    pub location: Location,
    /// Similarity in [0, 1].
    pub score: f32,
    /// Whether the answer cites it.
    pub cited: bool,
}

/// Timings of a chain, in milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainTimings {
    /// Embed hop.
    pub embed_ms: u64,
    /// Search hop.
    pub search_ms: u64,
    /// Generate hop.
    pub generate_ms: u64,
    /// The whole call.
    pub total_ms: u64,
}

/// Result of `cortex_ask`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AskOutput {
    /// `success`, or `no_context` when nothing relevant was found (the model is then not asked).
    pub status: String,
    /// The question.
    pub question: String,
    /// The model's answer (empty when not asked).
    pub answer: String,
    /// The chat model.
    pub model: String,
    /// The retrieved sources, numbered as the answer cites them.
    pub sources: Vec<Citation>,
    /// Tokens in the prompt, as Ollama counts them.
    pub prompt_tokens: Option<u64>,
    /// Tokens generated.
    pub completion_tokens: Option<u64>,
    /// Where the time went.
    pub timings: ChainTimings,
}

/// What `cortex_ask` generates with.
#[derive(Debug, Clone)]
pub struct AskParams {
    /// Retrieval settings (the question is `retrieval.query`).
    pub retrieval: QueryParams,
    /// Chat model (default `CORTEX_OLLAMA_MODEL`).
    pub model: Option<String>,
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens to generate.
    pub max_tokens: u32,
    /// Least score a source needs to be given to the model.
    pub min_score: f32,
}

/// Check a query string against the limits; `arg` names it in errors.
pub fn validate_query(text: &str, max_chars: usize, arg: &'static str) -> Result<(), CortexError> {
    if text.trim().is_empty() {
        return Err(CortexError::arg(arg, "empty; give the text to search for"));
    }
    let n = text.chars().count();
    if n > max_chars {
        return Err(CortexError::arg(
            arg,
            format!("{n} characters is over the limit of {max_chars} (CORTEX_MAX_QUERY_CHARS)"),
        ));
    }
    Ok(())
}

/// Normalise a source filter (`./docs/` → `docs`), refusing `..`.
pub fn normalize_source(source: &str) -> Result<Option<String>, CortexError> {
    let s = source.trim().trim_start_matches("./").trim_end_matches('/');
    if s.is_empty() || s == "." {
        return Ok(None);
    }
    if s.split('/').any(|p| p == "..") || s.starts_with('/') {
        return Err(CortexError::arg(
            "source",
            format!("{source:?} must be a path relative to CORTEX_SOURCE_ROOT without '..'"),
        ));
    }
    Ok(Some(
        s.split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect::<Vec<_>>()
            .join("/"),
    ))
}

/// The Chroma filter for a source: the file itself, or any file under the directory.
fn source_filter(source: &str) -> Value {
    json!({"$or": [{"source": source}, {"dirs": {"$contains": source}}]})
}

fn elapsed_ms(since: std::time::Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

impl Engine {
    /// `cortex_query`.
    pub async fn query(&self, params: QueryParams) -> Result<QueryOutput, CortexError> {
        let started = std::time::Instant::now();
        validate_query(&params.query, self.config.max_query_chars, "query")?;
        if !(1..=MAX_RESULTS).contains(&params.max_results) {
            return Err(CortexError::arg(
                "max_results",
                format!("{} is outside 1..={MAX_RESULTS}", params.max_results),
            ));
        }
        let source = match &params.source {
            Some(s) => normalize_source(s)?,
            None => None,
        };
        let embedder = self.embedder.info().label();
        let key = cache::key(
            "query",
            &params.query,
            &json!({"k": params.max_results, "source": source, "collection": self.config.collection, "embedder": embedder}),
        );
        if params.use_cache
            && let Some(hit) = self.cache.get(&key).await?
            && let Ok(mut out) = serde_json::from_str::<QueryOutput>(&hit.value)
        {
            out.cache_hit = true;
            out.cache_tier = Some(hit.tier);
            out.query = params.query.clone();
            out.query_time_ms = elapsed_ms(started);
            out.embed_ms = 0;
            out.search_ms = 0;
            return Ok(out);
        }
        self.embedder.prepare().await?;
        let budget = self.config.timeouts.start();
        let (hits, candidates, timing) = self
            .retrieve(
                &budget,
                &params.query,
                params.max_results,
                source.as_deref(),
            )
            .await?;
        let out = QueryOutput {
            status: "success".to_owned(),
            query: params.query.clone(),
            results: hits,
            cache_hit: false,
            cache_tier: None,
            query_time_ms: elapsed_ms(started),
            embed_ms: timing.0,
            search_ms: timing.1,
            candidates,
            collection: self.config.collection.clone(),
            embedder,
            source_filter: source,
        };
        if params.use_cache && !out.results.is_empty() {
            match serde_json::to_string(&out) {
                Ok(v) => {
                    if let Err(e) = self.cache.put(&key, "query", &params.query, v).await {
                        // The answer is good; a full or broken cache must not turn it into an error.
                        tracing::warn!(error = %e, "query result not cached");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "query result not serializable"),
            }
        }
        Ok(out)
    }

    /// Embed then search under `budget`: the parents, the number of candidates, and the
    /// `(embed_ms, search_ms)` timings.
    async fn retrieve(
        &self,
        budget: &fleet_core::budget::ChainBudget,
        query: &str,
        k: usize,
        source: Option<&str>,
    ) -> Result<(Vec<QueryHit>, usize, (u64, u64)), CortexError> {
        let t = std::time::Instant::now();
        let vectors = budget
            .run(
                self.config.timeouts.embed,
                self.embedder
                    .embed(vec![query.to_owned()], EmbedKind::Query),
            )
            .await?;
        let embed_ms = elapsed_ms(t);
        let vector = vectors
            .into_iter()
            .next()
            .ok_or_else(|| CortexError::Internal("the embedder returned no vector".to_owned()))?;
        let t = std::time::Instant::now();
        let label = self.embedder.info().label();
        let (hits, candidates) = budget
            .run(self.config.timeouts.search, async {
                self.with_collection(false, |handle| {
                    let vector = &vector;
                    let label = &label;
                    async move { self.search(&handle, vector, label, k, source).await }
                })
                .await
            })
            .await?;
        Ok((hits, candidates, (embed_ms, elapsed_ms(t))))
    }

    /// Nearest children, grouped by parent, parents read from the store.
    async fn search(
        &self,
        handle: &CollectionHandle,
        vector: &[f32],
        embedder: &str,
        k: usize,
        source: Option<&str>,
    ) -> Result<(Vec<QueryHit>, usize), CortexError> {
        Engine::check_dimension(handle, vector, embedder)?;
        let n = (k * OVERFETCH).clamp(k, 200);
        let result = self
            .chroma
            .query(
                &handle.id,
                &Query {
                    query_embeddings: vec![vector.to_vec()],
                    n_results: n,
                    filter: source.map(source_filter),
                    include: vec!["documents", "metadatas", "distances"],
                },
            )
            .await?;
        let hits = result.hits();
        let candidates = hits.len();
        // Best child per parent, in Chroma's order (nearest first).
        let mut order: Vec<String> = Vec::new();
        let mut best: HashMap<String, (Hit, usize)> = HashMap::new();
        for hit in hits {
            let parent = meta_str(&hit.metadata, "parent_id").unwrap_or_else(|| hit.id.clone());
            match best.get_mut(&parent) {
                Some((_, count)) => *count += 1,
                None => {
                    order.push(parent.clone());
                    best.insert(parent, (hit, 1));
                }
            }
        }
        order.truncate(k);
        let parents = self.store.parents(&handle.name, order.clone()).await?;
        let mut out = Vec::with_capacity(order.len());
        for (i, pid) in order.iter().enumerate() {
            let Some((hit, count)) = best.remove(pid) else {
                continue;
            };
            let distance = hit.distance.unwrap_or(2.0);
            let child_text = hit.document.clone().unwrap_or_default();
            let child_loc = Location {
                start_line: meta_u64(&hit.metadata, "start_line"),
                end_line: meta_u64(&hit.metadata, "end_line"),
            };
            let (content, location, parent_missing) = match parents.get(pid) {
                Some(p) => (
                    p.content.clone(),
                    Location {
                        start_line: p.start_line as u64,
                        end_line: p.end_line as u64,
                    },
                    false,
                ),
                None => (child_text.clone(), child_loc.clone(), true),
            };
            out.push(QueryHit {
                rank: i + 1,
                score: (1.0 - distance).clamp(0.0, 1.0),
                distance,
                source: meta_str(&hit.metadata, "source").unwrap_or_default(),
                location,
                content,
                parent_id: pid.clone(),
                matched_chunk: MatchedChunk {
                    id: hit.id.clone(),
                    location: child_loc,
                    text: child_text.chars().take(SNIPPET_CHARS).collect(),
                },
                matching_chunks: count,
                kind: meta_str(&hit.metadata, "kind").unwrap_or_else(|| "text".to_owned()),
                parent_missing,
            });
        }
        Ok((out, candidates))
    }

    /// `cortex_ask`: retrieve, then answer with Ollama from the retrieved parents only.
    pub async fn ask(&self, params: AskParams) -> Result<AskOutput, CortexError> {
        let started = std::time::Instant::now();
        let q = &params.retrieval;
        validate_query(&q.query, self.config.max_query_chars, "question")?;
        if !(1..=MAX_RESULTS).contains(&q.max_results) {
            return Err(CortexError::arg(
                "max_results",
                format!("{} is outside 1..={MAX_RESULTS}", q.max_results),
            ));
        }
        let ollama = self.ollama("cortex_ask")?;
        let source = match &q.source {
            Some(s) => normalize_source(s)?,
            None => None,
        };
        let model = self.chat_model(params.model.clone());
        self.embedder.prepare().await?;
        let budget = self.config.timeouts.start();
        let (hits, _, (embed_ms, search_ms)) = self
            .retrieve(&budget, &q.query, q.max_results, source.as_deref())
            .await?;
        let hits: Vec<QueryHit> = hits
            .into_iter()
            .filter(|h| h.score >= params.min_score)
            .collect();
        let (context, mut sources) = build_context(&hits, self.config.ask_context_chars);
        if sources.is_empty() {
            return Ok(AskOutput {
                status: "no_context".to_owned(),
                question: q.query.clone(),
                answer: String::new(),
                model,
                sources,
                prompt_tokens: None,
                completion_tokens: None,
                timings: ChainTimings {
                    embed_ms,
                    search_ms,
                    generate_ms: 0,
                    total_ms: elapsed_ms(started),
                },
            });
        }
        let messages = [
            Message::new("system", ASK_SYSTEM_PROMPT),
            Message::new(
                "user",
                format!("Context:\n\n{context}\nQuestion: {}", q.query.trim()),
            ),
        ];
        let t = std::time::Instant::now();
        let reply = self
            .generate(
                &budget,
                ollama,
                &model,
                &messages,
                params.temperature,
                params.max_tokens,
            )
            .await?;
        let generate_ms = elapsed_ms(t);
        let answer = reply.message.content;
        for s in &mut sources {
            s.cited = answer.contains(&format!("[{}]", s.n));
        }
        Ok(AskOutput {
            status: "success".to_owned(),
            question: q.query.clone(),
            answer,
            model: answered_by(model, reply.model),
            sources,
            prompt_tokens: reply.prompt_eval_count,
            completion_tokens: reply.eval_count,
            timings: ChainTimings {
                embed_ms,
                search_ms,
                generate_ms,
                total_ms: elapsed_ms(started),
            },
        })
    }

    /// The chat model to use: `requested` unless it is blank, else CORTEX_OLLAMA_MODEL.
    pub(crate) fn chat_model(&self, requested: Option<String>) -> String {
        requested
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| self.config.chat_model.clone())
    }

    /// The generate hop of `budget`: one chat turn of `messages` with `model`.
    pub(crate) async fn generate(
        &self,
        budget: &fleet_core::budget::ChainBudget,
        ollama: &OllamaClient,
        model: &str,
        messages: &[Message],
        temperature: f32,
        max_tokens: u32,
    ) -> Result<ChatResponse, CortexError> {
        let hop = self.config.timeouts.generate;
        let reply = budget
            .run(
                hop,
                ollama.chat(
                    model,
                    messages,
                    ChatOptions {
                        temperature,
                        num_predict: max_tokens,
                    },
                    hop.limit,
                ),
            )
            .await?;
        Ok(reply)
    }
}

/// The model Ollama says answered, or `requested` when it does not say.
pub(crate) fn answered_by(requested: String, answered: String) -> String {
    if answered.is_empty() {
        requested
    } else {
        answered
    }
}

/// The instructions given to the model by `cortex_ask`.
pub const ASK_SYSTEM_PROMPT: &str = "You answer questions about the Sanctuary knowledge base using only the numbered context \
passages provided. Cite every statement with the passage number in square brackets, like [1] or [2][3]. If the context \
does not contain the answer, say that the knowledge base does not cover it. Be concise.";

/// Numbered passages within `budget` characters, and the citations they correspond to.
pub fn build_context(hits: &[QueryHit], budget: usize) -> (String, Vec<Citation>) {
    let mut context = String::new();
    let mut sources = Vec::new();
    for hit in hits {
        let header = format!(
            "[{}] {} (lines {}-{})\n",
            sources.len() + 1,
            hit.source,
            hit.location.start_line,
            hit.location.end_line
        );
        let room = budget.saturating_sub(context.chars().count() + header.chars().count() + 2);
        if room < 200 {
            break;
        }
        let body: String = hit.content.chars().take(room).collect();
        context.push_str(&header);
        context.push_str(&body);
        context.push_str("\n\n");
        sources.push(Citation {
            n: sources.len() + 1,
            source: hit.source.clone(),
            location: hit.location.clone(),
            score: hit.score,
            cited: false,
        });
    }
    (context, sources)
}

fn meta_str(m: &crate::chroma::Metadata, k: &str) -> Option<String> {
    m.get(k).and_then(Value::as_str).map(str::to_owned)
}

fn meta_u64(m: &crate::chroma::Metadata, k: &str) -> u64 {
    m.get(k).and_then(Value::as_u64).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(source: &str, content: &str, score: f32) -> QueryHit {
        QueryHit {
            rank: 1,
            score,
            distance: 1.0 - score,
            source: source.to_owned(),
            location: Location {
                start_line: 1,
                end_line: 9,
            },
            content: content.to_owned(),
            parent_id: "p".to_owned(),
            matched_chunk: MatchedChunk {
                id: "c".to_owned(),
                location: Location {
                    start_line: 2,
                    end_line: 3,
                },
                text: String::new(),
            },
            matching_chunks: 1,
            kind: "text".to_owned(),
            parent_missing: false,
        }
    }

    #[test]
    fn context_is_numbered_and_bounded() {
        let hits = [
            hit("a.md", &"alpha ".repeat(100), 0.9),
            hit("b.md", &"beta ".repeat(100), 0.8),
            hit("c.md", &"gamma ".repeat(1000), 0.7),
        ];
        let (ctx, sources) = build_context(&hits, 1500);
        assert!(ctx.starts_with("[1] a.md (lines 1-9)\nalpha"));
        assert!(ctx.contains("[2] b.md"));
        assert!(ctx.chars().count() <= 1500, "{}", ctx.len());
        assert_eq!(sources.iter().map(|s| s.n).collect::<Vec<_>>(), [1, 2, 3]);
        let (_, none) = build_context(&hits, 100);
        assert!(none.is_empty());
    }

    #[test]
    fn queries_are_bounded_and_sources_normalised() {
        assert!(
            validate_query("  ", 10, "query")
                .unwrap_err()
                .to_string()
                .starts_with("invalid query")
        );
        let e = validate_query(&"x".repeat(11), 10, "question")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("CORTEX_MAX_QUERY_CHARS") && e.starts_with("invalid question"),
            "{e}"
        );
        assert_eq!(
            normalize_source("./docs/").unwrap().as_deref(),
            Some("docs")
        );
        assert_eq!(normalize_source(".").unwrap(), None);
        assert_eq!(
            normalize_source("a//b/./c").unwrap().as_deref(),
            Some("a/b/c")
        );
        assert!(normalize_source("../x").is_err());
        assert!(normalize_source("/etc").is_err());
    }
}
