//! Fetch tools: `fetch` (mcp-server-fetch's contract: Markdown, pagination, `raw`) and the
//! original fleet's `fetch_url` (status plus the first characters of the raw body).
//!
//! Both are autonomous fetches: robots.txt is consulted for the URL and for every redirect hop,
//! with the `Autonomous` user agent. The `fetch` prompt ([`crate::prompts`]) shares
//! [`NetworkServer::load_page`] but acts for the user: its own user agent, no robots.txt.

use std::sync::Arc;

use fleet_core::{Progress, budget::ChainBudget};
use rmcp::{
    Json,
    handler::server::{tool::Extension, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    convert,
    error::NetError,
    net::client::{Agent, Outbound, status_line},
    pages::{Page, PageKey},
    server::NetworkServer,
};

/// Default of `fetch`'s `max_length`, as in mcp-server-fetch.
pub(crate) const DEFAULT_MAX_LENGTH: u64 = 5000;
/// Largest `max_length` (mcp-server-fetch's bound).
pub(crate) const MAX_MAX_LENGTH: u64 = 999_999;
/// Default of `fetch_url`'s `max_chars`, as in the original fleet.
pub(crate) const DEFAULT_MAX_CHARS: u64 = 4000;
/// Largest `max_chars`.
pub(crate) const MAX_MAX_CHARS: u64 = 100_000;

fn default_max_length() -> u64 {
    DEFAULT_MAX_LENGTH
}

fn default_max_chars() -> u64 {
    DEFAULT_MAX_CHARS
}

/// Arguments of `fetch`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FetchArgs {
    /// URL to fetch (http or https).
    #[schemars(url, length(min = 1))]
    pub url: String,
    /// Maximum number of characters to return (1–999999, default 5000).
    #[serde(default = "default_max_length")]
    #[schemars(range(min = 1, max = 999_999))]
    pub max_length: u64,
    /// On return output starting at this character index, useful if a previous fetch was
    /// truncated and more context is required (default 0).
    #[serde(default)]
    pub start_index: u64,
    /// Get the actual HTML content of the requested page, without simplification (default false).
    #[serde(default)]
    pub raw: bool,
}

/// Arguments of `fetch_url`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FetchUrlArgs {
    /// URL to fetch (http or https).
    #[schemars(url, length(min = 1))]
    pub url: String,
    /// Characters of the body to return (1–100000, default 4000).
    #[serde(default = "default_max_chars")]
    #[schemars(range(min = 1, max = 100_000))]
    pub max_chars: u64,
}

/// Result of `fetch_url`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FetchUrlOutput {
    /// HTTP status code of the final response (any status, not only 2xx).
    pub status: u16,
    /// Status line, e.g. `404 Not Found`.
    pub status_text: String,
    /// The URL requested.
    pub url: String,
    /// The URL that answered, after redirects.
    pub final_url: String,
    /// The response's `Content-Type` ("" when absent).
    pub content_type: String,
    /// The first `max_chars` characters of the body, decoded to text.
    pub content: String,
    /// Characters in the whole (read) body.
    pub total_chars: usize,
    /// Whether `content` stops before the end of the body.
    pub truncated: bool,
    /// Whether the body itself was cut at `NET_MAX_BODY_BYTES` while reading.
    pub body_truncated: bool,
}

#[tool_router(router = fetch_tools, vis = "pub(crate)")]
impl NetworkServer {
    /// Fetch a URL from the internet and return its main content as Markdown (navigation,
    /// sidebars and footers removed), or the raw text with `raw: true`; non-HTML text (JSON,
    /// plain text, XML) is returned as is with its content type. Although originally you did not
    /// have internet access, this tool now grants it: fetch up-to-date information and tell the
    /// user. Output is `max_length` characters (default 5000) from `start_index`; when more
    /// remains, the text ends with a marker naming the `start_index` of the next call. Only
    /// public addresses are reachable (private, loopback and cloud-metadata addresses are refused
    /// on every redirect), robots.txt is honoured, bodies are read up to `NET_MAX_BODY_BYTES`
    /// (5 MiB) and a call is limited to `NET_TOTAL_TIMEOUT` (45 s).
    /// Example: `{"url": "https://www.rust-lang.org/", "max_length": 3000}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    pub async fn fetch(
        &self,
        Parameters(args): Parameters<FetchArgs>,
        Extension(progress): Extension<Progress>,
    ) -> Result<String, NetError> {
        let url = parse_url("url", &args.url)?;
        if !(1..=MAX_MAX_LENGTH).contains(&args.max_length) {
            return Err(NetError::arg(
                "max_length",
                format!("{} is outside 1..={MAX_MAX_LENGTH}", args.max_length),
            ));
        }
        let page = self
            .load_page(&url, args.raw, Agent::Autonomous, Some(&progress))
            .await?;
        let start = usize::try_from(args.start_index).unwrap_or(usize::MAX);
        let body = convert::paginate(&page.content, start, args.max_length as usize);
        Ok(format!("{}{body}", page.header))
    }

    /// Fetch a URL and return its HTTP status and the first characters of its body as text (the
    /// original fleet's tool; use `fetch` for readable Markdown). Any status is an answer, not an
    /// error: a 404 comes back as `status: 404`. Redirects are followed and checked like
    /// `fetch`'s; robots.txt is honoured; `max_chars` defaults to 4000 (at most 100000).
    /// Example: `{"url": "https://example.com/", "max_chars": 500}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    pub async fn fetch_url(
        &self,
        Parameters(args): Parameters<FetchUrlArgs>,
    ) -> Result<Json<FetchUrlOutput>, NetError> {
        let url = parse_url("url", &args.url)?;
        if !(1..=MAX_MAX_CHARS).contains(&args.max_chars) {
            return Err(NetError::arg(
                "max_chars",
                format!("{} is outside 1..={MAX_MAX_CHARS}", args.max_chars),
            ));
        }
        let mut req = Outbound::get(url.clone(), Agent::Autonomous, self.config.max_body_bytes);
        req.robots = true;
        let fetched = self.engine.execute(req, &self.budget()).await?;
        let content_type = fetched.content_type().to_owned();
        if !convert::is_textual(&content_type, &fetched.body) {
            return Err(binary(&content_type, fetched.body.len()));
        }
        let max = args.max_chars as usize;
        let body = fetched.body;
        let ct = content_type.clone();
        // Decoding a large body is CPU work: off the async threads.
        let (content, total_chars) = tokio::task::spawn_blocking(move || {
            let text = convert::decode(&body, &ct);
            (
                text.chars().take(max).collect::<String>(),
                text.chars().count(),
            )
        })
        .await
        .map_err(|e| NetError::Internal(format!("body decoding failed: {e}")))?;
        Ok(Json(FetchUrlOutput {
            status: fetched.status.as_u16(),
            status_text: status_line(fetched.status),
            url: url.to_string(),
            final_url: fetched.url.to_string(),
            content_type,
            content,
            total_chars,
            truncated: total_chars > max,
            body_truncated: fetched.truncated,
        }))
    }
}

impl NetworkServer {
    /// The converted page for `url`: from the cache, or fetched (robots.txt for autonomous
    /// fetches), checked for an error status, decoded and converted on a blocking thread.
    pub(crate) async fn load_page(
        &self,
        url: &Url,
        raw: bool,
        agent: Agent,
        progress: Option<&Progress>,
    ) -> Result<Arc<Page>, NetError> {
        let key = PageKey {
            url: url.to_string(),
            raw,
            user: agent == Agent::User,
        };
        if let Some(page) = self.pages.get(&key) {
            return Ok(page);
        }
        let budget: ChainBudget = self.budget();
        let mut req = Outbound::get(url.clone(), agent, self.config.max_body_bytes);
        req.robots = agent == Agent::Autonomous;
        let fetched = self.engine.execute(req, &budget).await?;
        if fetched.status.as_u16() >= 400 {
            return Err(NetError::Status {
                url: crate::net::redact_url(&fetched.url),
                status: status_line(fetched.status),
            });
        }
        if let Some(p) = progress {
            p.report(
                1.0,
                Some(2.0),
                Some(format!("downloaded {} bytes", fetched.body.len())),
            )
            .await;
        }
        let content_type = fetched.content_type().to_owned();
        if !convert::is_textual(&content_type, &fetched.body) {
            return Err(binary(&content_type, fetched.body.len()));
        }
        let requested = url.to_string();
        let final_url = fetched.url.clone();
        let truncated = fetched.truncated;
        let max_body = self.config.max_body_bytes;
        let body = fetched.body;
        let slot = self
            .conversions
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| NetError::Internal("the conversion limiter was closed".to_owned()))?;
        let page = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let text = convert::decode(&body, &content_type);
            drop(body);
            let html = convert::is_html(&content_type, &text);
            let mut header = String::new();
            let content = if html && !raw {
                convert::html_to_markdown(&text, &final_url)
            } else {
                header.push_str(&format!(
                    "Content type {content_type} cannot be simplified to markdown, but here is the raw content:\n"
                ));
                text
            };
            if truncated {
                header.push_str(&format!(
                    "<error>The response is larger than NET_MAX_BODY_BYTES ({max_body} bytes); only its beginning was read.</error>\n"
                ));
            }
            if final_url.as_str() == requested {
                header.push_str(&format!("Contents of {requested}:\n"));
            } else {
                header.push_str(&format!(
                    "Contents of {requested} (redirected to {final_url}):\n"
                ));
            }
            Page { header, content }
        })
        .await
        .map_err(|e| NetError::Internal(format!("page conversion failed: {e}")))?;
        if let Some(p) = progress {
            p.report(2.0, Some(2.0), Some("converted".to_owned())).await;
        }
        let page = Arc::new(page);
        self.pages.put(key, page.clone());
        Ok(page)
    }
}

/// Parse an absolute http(s) URL, naming `arg` when it is not one.
pub(crate) fn parse_url(arg: &'static str, raw: &str) -> Result<Url, NetError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(NetError::arg(arg, "must not be empty"));
    }
    let url = Url::parse(raw).map_err(|e| {
        let hint = if raw.contains("://") {
            String::new()
        } else {
            format!("; include the scheme, e.g. https://{raw}")
        };
        NetError::arg(arg, format!("{raw:?} is not an absolute URL ({e}){hint}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(NetError::arg(
            arg,
            format!(
                "scheme {}: is not supported; use http or https",
                url.scheme()
            ),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(NetError::arg(arg, format!("{raw:?} has no host")));
    }
    Ok(url)
}

fn binary(content_type: &str, bytes: usize) -> NetError {
    let shown = if content_type.is_empty() {
        "no content type"
    } else {
        content_type
    };
    NetError::Unsupported(format!(
        "cannot show the response as text: it is binary ({shown}, {bytes} bytes read); http_request returns bodies like this base64-encoded"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(parse_url("url", " https://example.com/a ").is_ok());
        let e = parse_url("url", "example.com").unwrap_err().to_string();
        assert!(
            e.starts_with("invalid url:") && e.contains("https://example.com"),
            "{e}"
        );
        let e = parse_url("url", "file:///etc/passwd")
            .unwrap_err()
            .to_string();
        assert!(e.contains("scheme file: is not supported"), "{e}");
        assert!(parse_url("url", "").is_err());
        assert!(parse_url("url", "gopher://x/").is_err());
    }
}
