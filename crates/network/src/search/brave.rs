//! The Brave Search API backend: `GET /res/v1/web/search?q=&count=&offset=` with the
//! `X-Subscription-Token` header, reading `web.results[].{title,url,description,age}` and
//! `query.more_results_available` from Brave's documented response.
//!
//! `offset` is forwarded (mcp-server-brave-search 0.6.2 drops it). Brave counts it in pages of
//! `count` results, at most 9. The key is sent only to the configured endpoint and never logged.

use fleet_core::budget::ChainBudget;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::{SearchBackend, SearchFuture, SearchPage, SearchQuery, SearchResult, plain_text};
use crate::{
    config::Secret,
    error::NetError,
    net::client::{Agent, Engine, Outbound, status_line},
};

/// Largest Brave response read.
const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;

/// The Brave backend.
pub struct Brave {
    engine: Engine,
    url: Url,
    key: Secret,
}

impl Brave {
    /// A backend calling `url` with `key`, through `engine`.
    pub fn new(engine: Engine, url: Url, key: Secret) -> Self {
        Self { engine, url, key }
    }

    async fn run(&self, q: &SearchQuery, budget: &ChainBudget) -> Result<SearchPage, NetError> {
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("q", &q.query)
            .append_pair("count", &q.count.to_string())
            .append_pair("offset", &q.offset.to_string())
            .append_pair("text_decorations", "false");
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static("application/json"));
        let mut token = HeaderValue::from_str(&self.key.0).map_err(|_| NetError::Search {
            backend: "brave",
            reason: "BRAVE_API_KEY holds characters a header cannot carry".to_owned(),
        })?;
        token.set_sensitive(true);
        headers.insert("x-subscription-token", token);
        let mut req = Outbound::get(url, Agent::Autonomous, MAX_RESPONSE_BYTES);
        req.headers = headers;
        req.hop_name = "search";
        let resp = self.engine.execute(req, budget).await?;
        let fail = |reason: String| NetError::Search {
            backend: "brave",
            reason,
        };
        if !resp.status.is_success() {
            let detail = serde_json::from_slice::<BraveError>(&resp.body)
                .ok()
                .and_then(|e| e.error)
                .map(|e| {
                    format!(
                        " ({}: {})",
                        e.code.unwrap_or_default(),
                        e.detail.unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let token_refused = matches!(resp.status.as_u16(), 401 | 403)
                || (resp.status.as_u16() == 422 && detail.contains("TOKEN"));
            return Err(fail(match resp.status.as_u16() {
                _ if token_refused => format!(
                    "the API refused the subscription token (BRAVE_API_KEY): {}{detail}",
                    status_line(resp.status)
                ),
                429 => format!(
                    "Brave's rate limit for this key was reached (429){detail}; try again later"
                ),
                _ => format!("the API answered {}{detail}", status_line(resp.status)),
            }));
        }
        if resp.truncated {
            return Err(fail(format!(
                "the response exceeded {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        let body: BraveResponse = serde_json::from_slice(&resp.body)
            .map_err(|e| fail(format!("unexpected response shape: {e}")))?;
        let results = body
            .web
            .map(|w| w.results)
            .unwrap_or_default()
            .into_iter()
            .take(q.count as usize)
            .map(|r| SearchResult {
                title: plain_text(&r.title),
                url: r.url,
                description: plain_text(&r.description.unwrap_or_default()),
                age: r.age,
            })
            .collect();
        Ok(SearchPage {
            results,
            more_results_available: body.query.and_then(|q| q.more_results_available),
        })
    }
}

impl SearchBackend for Brave {
    fn name(&self) -> &'static str {
        "brave"
    }

    fn search<'a>(&'a self, query: &'a SearchQuery, budget: &'a ChainBudget) -> SearchFuture<'a> {
        Box::pin(self.run(query, budget))
    }
}

/// The parts of Brave's `WebSearchApiResponse` used here.
#[derive(Debug, Deserialize)]
struct BraveResponse {
    query: Option<BraveQuery>,
    web: Option<BraveWeb>,
}

#[derive(Debug, Deserialize)]
struct BraveQuery {
    more_results_available: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct BraveWeb {
    #[serde(default)]
    results: Vec<BraveResult>,
}

#[derive(Debug, Deserialize)]
struct BraveResult {
    title: String,
    url: String,
    description: Option<String>,
    age: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BraveError {
    error: Option<BraveErrorDetail>,
}

#[derive(Debug, Deserialize)]
struct BraveErrorDetail {
    code: Option<String>,
    detail: Option<String>,
}
