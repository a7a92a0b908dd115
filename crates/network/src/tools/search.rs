//! `web_search`: web search through the configured backend (Brave Search API or SearXNG).
//!
//! Without a backend the tool is still listed and answers with an error saying which variable
//! to set, so a client sees the same tool list on every deployment.

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::{
    error::NetError,
    search::{SearchQuery, SearchResult},
    server::NetworkServer,
};

/// Longest query, in characters (Brave's limit).
pub(crate) const MAX_QUERY_CHARS: usize = 400;
/// Most words in a query (Brave's limit).
pub(crate) const MAX_QUERY_WORDS: usize = 50;

fn default_count() -> u32 {
    10
}

/// Arguments of `web_search`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct WebSearchArgs {
    /// Search terms (at most 400 characters and 50 words).
    #[schemars(length(min = 1, max = 400))]
    pub query: String,
    /// Number of results (1–20, default 10).
    #[serde(default = "default_count")]
    #[schemars(range(min = 1, max = 20))]
    pub count: u32,
    /// Page of results, zero-based (0–9, default 0): `offset: 1` returns the `count` results
    /// after the first `count`.
    #[serde(default)]
    #[schemars(range(min = 0, max = 9))]
    pub offset: u32,
}

/// Result of `web_search`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WebSearchOutput {
    /// The backend that answered (`brave` or `searxng`).
    pub backend: &'static str,
    /// The query as sent.
    pub query: String,
    /// The page requested.
    pub offset: u32,
    /// The results, best first.
    pub results: Vec<SearchResult>,
    /// Whether the backend says more results exist (absent when it does not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_results_available: Option<bool>,
}

#[tool_router(router = search_tools, vis = "pub(crate)")]
impl NetworkServer {
    /// Search the web and return results with title, URL and description. `count` is 1–20
    /// (default 10); `offset` pages through results (0–9: `offset: 1` gives results 11–20 with
    /// the default count). Uses the Brave Search API when `BRAVE_API_KEY` is set, or a SearXNG
    /// instance (`NET_SEARXNG_URL`); without either it answers with an error saying so. Follow up
    /// with `fetch` to read a result. Example: `{"query": "rust async runtime comparison", "count": 5}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    pub async fn web_search(
        &self,
        Parameters(args): Parameters<WebSearchArgs>,
    ) -> Result<Json<WebSearchOutput>, NetError> {
        let query = validate_query(&args.query)?;
        if !(1..=20).contains(&args.count) {
            return Err(NetError::arg(
                "count",
                format!("{} is outside 1..=20", args.count),
            ));
        }
        if args.offset > 9 {
            return Err(NetError::arg(
                "offset",
                format!("{} is outside 0..=9", args.offset),
            ));
        }
        let Some(backend) = &self.search else {
            return Err(NetError::SearchNotConfigured);
        };
        let q = SearchQuery {
            query: query.clone(),
            count: args.count,
            offset: args.offset,
        };
        let page = backend.search(&q, &self.budget()).await?;
        Ok(Json(WebSearchOutput {
            backend: backend.name(),
            query,
            offset: args.offset,
            results: page.results,
            more_results_available: page.more_results_available,
        }))
    }
}

/// A trimmed query within Brave's limits.
pub(crate) fn validate_query(q: &str) -> Result<String, NetError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(NetError::arg("query", "must not be empty"));
    }
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(NetError::arg(
            "query",
            format!("{chars} characters, at most {MAX_QUERY_CHARS} allowed"),
        ));
    }
    let words = q.split_whitespace().count();
    if words > MAX_QUERY_WORDS {
        return Err(NetError::arg(
            "query",
            format!("{words} words, at most {MAX_QUERY_WORDS} allowed"),
        ));
    }
    Ok(q.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_respect_the_limits() {
        assert_eq!(validate_query("  rust  ").unwrap(), "rust");
        assert!(validate_query(" ").is_err());
        assert!(validate_query(&"a".repeat(401)).is_err());
        assert!(validate_query(&"w ".repeat(51)).is_err());
    }
}
