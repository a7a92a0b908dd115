//! The network cluster (`sanctuary-network`): the fleet's only door to the outside.
//!
//! | group | tools |
//! |---|---|
//! | fetch | `fetch` (mcp-server-fetch's contract: Markdown, pagination, `raw`), `fetch_url` (the original's) |
//! | status | `check_site_status` (status class, latency, final URL, certificate validity) |
//! | http | `http_request` (GET/HEAD/POST/PUT/PATCH/DELETE, headers, JSON or text body) |
//! | search | `web_search` (Brave Search API or SearXNG, behind [`search::SearchBackend`]) |
//!
//! Plus the `fetch` prompt. Every request goes through [`net::client::Engine`]: the SSRF guard on
//! every hop (IP literals checked before the request, names by a resolver that hands the connector
//! only checked addresses), robots.txt for autonomous fetches, per-host rate limits, a global
//! concurrency cap, time limits and a streamed body cap. This crate knows no transport and opens
//! no files of its own (rustls reads the system trust store): fleet-core serves it.
//!
//! # Layout
//! - [`config`]: `NET_*` variables.
//! - [`net`]: the SSRF policy, the guarded resolver, robots.txt, the request engine.
//! - [`convert`]: charset decoding, HTML to Markdown, pagination.
//! - [`pages`]: converted pages kept briefly for paginated `fetch` calls.
//! - [`search`]: the search backend trait, Brave and SearXNG.
//! - `tools/`: one file per tool group; [`prompts`]: the `fetch` prompt.
//! - [`server`]: [`NetworkServer`] and its `Cluster` implementation; [`error`]: [`NetError`].

pub mod config;
pub mod convert;
pub mod error;
pub mod net;
pub mod pages;
pub mod prompts;
pub mod search;
pub mod server;
mod tools;

pub use config::{NET_VARS, NetConfig};
pub use error::NetError;
pub use server::NetworkServer;
