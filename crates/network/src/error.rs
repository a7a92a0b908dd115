//! Errors a network tool reports to the caller, and their one conversion into an `isError` result.
//!
//! Messages name the problem and what to do about it; they never contain request headers, bodies
//! or query strings (see [`crate::net::redact_url`]), so a secret passed to a tool is not echoed.

use rmcp::model::{ContentBlock, IntoContents};

/// A tool that ran and could not produce an answer.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// An argument was unusable; names the argument.
    #[error("invalid {arg}: {reason}")]
    InvalidArgument {
        /// The argument's name.
        arg: &'static str,
        /// Why.
        reason: String,
    },
    /// The SSRF guard refused a destination, before any connection to it.
    #[error("refused {url}: {reason}{}", hop_note(*hop))]
    Refused {
        /// The refused URL (query removed).
        url: String,
        /// Which address and why.
        reason: String,
        /// 0 for the requested URL, n for the n-th redirect.
        hop: usize,
    },
    /// robots.txt forbids this autonomous fetch.
    #[error(
        "the site's robots.txt ({robots_url}) does not allow autonomous fetching of {url} \
         for user agent {agent:?}{}: {detail}. Tell the user the page could not be read; they can fetch it \
         themselves with the `fetch` prompt, which acts on their behalf and does not consult robots.txt",
        hop_note(*hop)
    )]
    RobotsDisallowed {
        /// The page (query removed).
        url: String,
        /// Where the rules came from.
        robots_url: String,
        /// The user agent the rules were matched for.
        agent: String,
        /// The rule or status that decided it.
        detail: String,
        /// 0 for the requested URL, n for the n-th redirect.
        hop: usize,
    },
    /// A request or the whole call ran out of time.
    #[error("{what} timed out: {detail}")]
    Timeout {
        /// What was running, e.g. `GET example.com`.
        what: String,
        /// The hop and its limit, from the chain budget.
        detail: String,
    },
    /// The connection could not be made or broke.
    #[error("cannot reach {url}: {reason}")]
    Connect {
        /// The URL (query removed).
        url: String,
        /// The innermost cause.
        reason: String,
    },
    /// The server's TLS certificate was not accepted.
    #[error("TLS certificate of {url} is not valid: {reason}")]
    Tls {
        /// The URL (query removed).
        url: String,
        /// What rustls objected to.
        reason: String,
    },
    /// The server answered with an error status where a page was expected.
    #[error("failed to fetch {url}: status {status}")]
    Status {
        /// The final URL (query removed).
        url: String,
        /// The status line, e.g. `404 Not Found`.
        status: String,
    },
    /// More redirects than `NET_MAX_REDIRECTS`.
    #[error("too many redirects: {url} redirected more than {max} times (NET_MAX_REDIRECTS)")]
    TooManyRedirects {
        /// The URL that was requested (query removed).
        url: String,
        /// The limit.
        max: usize,
    },
    /// A redirect had no usable `Location`.
    #[error("bad redirect from {url}: {reason}")]
    BadRedirect {
        /// The URL that redirected (query removed).
        url: String,
        /// What was wrong with its `Location`.
        reason: String,
    },
    /// The per-host rate limit would make this call wait past its time limit.
    #[error(
        "rate limit for {host} reached (NET_HOST_RATE_LIMIT): the next request may start in {wait}, after this call's time limit; try again later"
    )]
    RateLimited {
        /// The host.
        host: String,
        /// How long until a request is allowed.
        wait: String,
    },
    /// The response cannot be shown as text.
    #[error("{0}")]
    Unsupported(String),
    /// `web_search` has no backend.
    #[error(
        "web search is not configured on this server: set BRAVE_API_KEY (Brave Search API) or NET_SEARXNG_URL (a SearXNG instance)"
    )]
    SearchNotConfigured,
    /// The search backend failed.
    #[error("{backend} search failed: {reason}")]
    Search {
        /// `brave` or `searxng`.
        backend: &'static str,
        /// Why.
        reason: String,
    },
    /// Work on a blocking thread failed (a bug, reported instead of a panic).
    #[error("internal error: {0}")]
    Internal(String),
}

fn hop_note(hop: usize) -> String {
    match hop {
        0 => String::new(),
        n => format!(" (reached through redirect {n})"),
    }
}

impl NetError {
    /// Shorthand for [`NetError::InvalidArgument`].
    pub fn arg(arg: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            arg,
            reason: reason.into(),
        }
    }
}

impl IntoContents for NetError {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.to_string())]
    }
}
