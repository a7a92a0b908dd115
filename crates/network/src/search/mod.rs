//! Web search behind a small trait, so a backend is chosen by configuration.
//!
//! [`brave`] calls the Brave Search API (`BRAVE_API_KEY`); [`searxng`] calls a SearXNG instance's
//! JSON API (`NET_SEARXNG_URL`). A backend turns a [`SearchQuery`] into a [`SearchPage`]; adding
//! one is a new file implementing [`SearchBackend`] and a branch in [`backend_for`]. Backend
//! requests go through the guarded [`Engine`], which trusts the configured backend's host only.

pub mod brave;
pub mod searxng;

use std::{future::Future, pin::Pin, sync::Arc};

use fleet_core::budget::ChainBudget;
use serde::Serialize;

use crate::{config::SearchSettings, error::NetError, net::client::Engine};

/// What the caller asked for.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// The search terms.
    pub query: String,
    /// Results wanted (1–20).
    pub count: u32,
    /// Page of results to skip to, zero-based (0–9): results `offset * count` onwards.
    pub offset: u32,
}

/// One result.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct SearchResult {
    /// Page title.
    pub title: String,
    /// Page URL.
    pub url: String,
    /// Snippet describing the page, without HTML.
    pub description: String,
    /// Age of the page as the backend states it (e.g. `2 days ago`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<String>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// The results, at most `count`.
    pub results: Vec<SearchResult>,
    /// Whether the backend says more results exist, when it says.
    pub more_results_available: Option<bool>,
}

/// A boxed search future.
pub type SearchFuture<'a> = Pin<Box<dyn Future<Output = Result<SearchPage, NetError>> + Send + 'a>>;

/// A search service.
pub trait SearchBackend: Send + Sync {
    /// Short name for results and errors (`brave`, `searxng`).
    fn name(&self) -> &'static str;
    /// Run one query within `budget`.
    fn search<'a>(&'a self, query: &'a SearchQuery, budget: &'a ChainBudget) -> SearchFuture<'a>;
}

/// The backend the settings ask for, or `None` when search is not configured.
pub fn backend_for(
    settings: &SearchSettings,
    engine: &Engine,
) -> Result<Option<Arc<dyn SearchBackend>>, String> {
    Ok(match settings {
        SearchSettings::None => None,
        SearchSettings::Brave { api_key, url } => Some(Arc::new(brave::Brave::new(
            engine.trusting(url.host_str().unwrap_or_default())?,
            url.clone(),
            api_key.clone(),
        ))),
        SearchSettings::Searxng { url } => Some(Arc::new(searxng::Searxng::new(
            engine.trusting(url.host_str().unwrap_or_default())?,
            url.clone(),
        ))),
    })
}

/// Remove HTML tags and decode the common entities of a snippet (`<strong>`, `&amp;`).
pub fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_lose_their_markup() {
        assert_eq!(
            plain_text("The <strong>Rust</strong> &amp; <em>Cargo</em> book "),
            "The Rust & Cargo book"
        );
        assert_eq!(plain_text("x &lt; y"), "x < y");
    }
}
