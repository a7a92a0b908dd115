//! The SearXNG backend: `GET <base>/search?q=&format=json&pageno=` (the instance must enable
//! the `json` format), reading `results[].{title,url,content}`. SearXNG pages hold its own
//! number of results, so `offset` selects page `offset + 1` and `count` cuts it.

use fleet_core::budget::ChainBudget;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::{SearchBackend, SearchFuture, SearchPage, SearchQuery, SearchResult, plain_text};
use crate::{
    error::NetError,
    net::client::{Agent, Engine, Outbound, status_line},
};

/// Largest SearXNG response read.
const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;

/// The SearXNG backend.
pub struct Searxng {
    engine: Engine,
    base: Url,
}

impl Searxng {
    /// A backend for the instance at `base`, through `engine`.
    pub fn new(engine: Engine, base: Url) -> Self {
        Self { engine, base }
    }

    async fn run(&self, q: &SearchQuery, budget: &ChainBudget) -> Result<SearchPage, NetError> {
        let fail = |reason: String| NetError::Search {
            backend: "searxng",
            reason,
        };
        let mut base = self.base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let mut url = base
            .join("search")
            .map_err(|e| fail(format!("NET_SEARXNG_URL cannot be extended: {e}")))?;
        url.query_pairs_mut()
            .append_pair("q", &q.query)
            .append_pair("format", "json")
            .append_pair("pageno", &(q.offset + 1).to_string());
        let mut req = Outbound::get(url, Agent::Autonomous, MAX_RESPONSE_BYTES);
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static("application/json"));
        req.headers = headers;
        req.hop_name = "search";
        let resp = self.engine.execute(req, budget).await?;
        if !resp.status.is_success() {
            return Err(fail(format!(
                "the instance answered {} (is the json format enabled in its settings.yml?)",
                status_line(resp.status)
            )));
        }
        let body: SearxResponse = serde_json::from_slice(&resp.body)
            .map_err(|e| fail(format!("unexpected response shape: {e}")))?;
        let results = body
            .results
            .into_iter()
            .take(q.count as usize)
            .map(|r| SearchResult {
                title: plain_text(&r.title),
                url: r.url,
                description: plain_text(&r.content.unwrap_or_default()),
                age: r.published_date,
            })
            .collect();
        Ok(SearchPage {
            results,
            // SearXNG does not say whether another page exists.
            more_results_available: None,
        })
    }
}

impl SearchBackend for Searxng {
    fn name(&self) -> &'static str {
        "searxng"
    }

    fn search<'a>(&'a self, query: &'a SearchQuery, budget: &'a ChainBudget) -> SearchFuture<'a> {
        Box::pin(self.run(query, budget))
    }
}

#[derive(Debug, Deserialize)]
struct SearxResponse {
    #[serde(default)]
    results: Vec<SearxResult>,
}

#[derive(Debug, Deserialize)]
struct SearxResult {
    title: String,
    url: String,
    content: Option<String>,
    #[serde(rename = "publishedDate")]
    published_date: Option<String>,
}
