//! `NetworkServer`: the network cluster's state and its [`Cluster`] implementation.

use std::{sync::Arc, time::Duration};

use fleet_core::{Cluster, ClusterInfo, Dependency, EnvReader, budget::ChainBudget};
use rmcp::{
    handler::server::router::{prompt::PromptRouter, tool::ToolRouter},
    model::JsonObject,
};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::{
    config::{NET_VARS, NetConfig},
    net::{client::Engine, client::is_sensitive_header},
    pages::PageCache,
    search::{SearchBackend, backend_for},
};

/// Extra time the guard gives a network tool beyond `NET_TOTAL_TIMEOUT`, so the tool's own,
/// more precise timeout message is the one the caller sees.
const GUARD_MARGIN: Duration = Duration::from_secs(5);
/// HTML conversions running at once. A conversion holds the page, its DOM and its Markdown: a
/// 1 MiB page peaks about 45 MiB above idle, a 5 MiB page (the default body cap) about 110 MiB
/// (docs/BENCHMARKS.md). One at a time keeps a burst of large pages inside the container's
/// 256 MiB, and a container has half a core to convert with anyway; others wait their turn.
pub const MAX_CONCURRENT_CONVERSIONS: usize = 1;

/// The network cluster: outbound HTTP behind the SSRF guard, robots.txt and limits.
pub struct NetworkServer {
    /// Limits, policy and backends.
    pub(crate) config: NetConfig,
    /// The guarded HTTP client every tool uses.
    pub(crate) engine: Engine,
    /// Converted pages for paginated `fetch` calls.
    pub(crate) pages: PageCache,
    /// The `web_search` backend, if one is configured.
    pub(crate) search: Option<Arc<dyn SearchBackend>>,
    /// Slots for HTML conversions on blocking threads.
    pub(crate) conversions: Arc<Semaphore>,
}

impl NetworkServer {
    /// A server with `config`; fails when the HTTP client cannot be built (bad CA bundle).
    pub fn new(config: NetConfig) -> Result<Self, String> {
        let engine = Engine::new(&config, env!("CARGO_PKG_VERSION"))?;
        Self::with_engine(config, engine)
    }

    /// A server whose requests go through `engine` (tests script DNS with it).
    pub fn with_engine(config: NetConfig, engine: Engine) -> Result<Self, String> {
        let search = backend_for(&config.search, &engine)?;
        Ok(Self {
            pages: PageCache::new(config.fetch_cache_ttl),
            config,
            engine,
            search,
            conversions: Arc::new(Semaphore::new(MAX_CONCURRENT_CONVERSIONS)),
        })
    }

    /// Read the `NET_*` settings and build the server; problems are recorded in `env`. Settings
    /// are validated while read, so building can only fail on the TLS configuration.
    pub fn from_env(env: &mut EnvReader<'_>) -> Option<Self> {
        let config = NetConfig::read(env);
        match Self::new(config) {
            Ok(server) => Some(server),
            Err(e) => {
                env.problem("NET_EXTRA_CA_PEM", e);
                None
            }
        }
    }

    /// A fresh time budget for one tool call.
    pub(crate) fn budget(&self) -> ChainBudget {
        ChainBudget::new(self.config.total_timeout)
    }

    /// Every tool of the cluster.
    pub(crate) fn all_tools() -> ToolRouter<Self> {
        Self::fetch_tools() + Self::status_tools() + Self::http_tools() + Self::search_tools()
    }
}

impl Cluster for NetworkServer {
    const INFO: ClusterInfo = ClusterInfo {
        name: "sanctuary-network",
        title: "Sanctuary Network",
        version: env!("CARGO_PKG_VERSION"),
        description: "The external cluster: fetch pages as Markdown, check sites, make HTTP requests and search the web, \
            with SSRF and robots.txt checks on every hop",
        instructions: "Tools that reach the public internet. `fetch` returns a page's main content as Markdown \
            (paginate with start_index); `http_request` calls APIs; `check_site_status` reports status class, latency \
            and certificate validity; `web_search` searches the web. Private, loopback and cloud-metadata addresses \
            are refused on every redirect hop, and robots.txt is honoured for fetches; a refusal is an error result \
            that says why.",
        tags: &["sanctuary", "network", "external"],
        env_vars: NET_VARS,
    };

    fn tools(&self) -> ToolRouter<Self> {
        Self::all_tools()
    }

    fn tool_timeout(&self, _tool: &str) -> Option<Duration> {
        Some(self.config.total_timeout + GUARD_MARGIN)
    }

    async fn readiness(&self) -> Vec<Dependency> {
        vec![Dependency {
            name: "web_search".to_owned(),
            ok: self.search.is_some(),
            detail: match &self.search {
                Some(b) => format!(
                    "backend {} configured (not probed: queries cost quota)",
                    b.name()
                ),
                None => "no backend: set BRAVE_API_KEY or NET_SEARXNG_URL".to_owned(),
            },
            optional: true,
        }]
    }

    fn prompts(&self) -> PromptRouter<Self> {
        Self::prompt_router()
    }

    fn redact_arguments(&self, _tool: &str, arguments: &mut JsonObject) {
        redact_arguments(arguments);
    }
}

/// Hide what may carry secrets before arguments reach the debug log: query values of `url`,
/// every header value, and request bodies (replaced by their size).
pub fn redact_arguments(arguments: &mut JsonObject) {
    if let Some(Value::String(u)) = arguments.get_mut("url")
        && let Ok(parsed) = url::Url::parse(u)
    {
        *u = crate::net::redact_url(&parsed);
    }
    if let Some(Value::Object(headers)) = arguments.get_mut("headers") {
        for (name, value) in headers.iter_mut() {
            let shown = if is_sensitive_header(name) {
                "<redacted>".to_owned()
            } else {
                format!("<{} chars>", value.as_str().map_or(0, str::len))
            };
            *value = Value::String(shown);
        }
    }
    for key in ["body", "json"] {
        if let Some(v) = arguments.get_mut(key)
            && !v.is_null()
        {
            *v = Value::String(format!("<{} bytes>", v.to_string().len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn arguments_are_redacted_for_the_log() {
        let mut args = json!({
            "url": "https://api.example/v1?token=s3cret",
            "headers": {"Authorization": "Bearer s3cret", "Accept": "application/json"},
            "json": {"password": "s3cret"},
            "method": "POST"
        })
        .as_object()
        .cloned()
        .unwrap();
        redact_arguments(&mut args);
        let text = Value::Object(args.clone()).to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert_eq!(args["method"], "POST");
        assert_eq!(args["headers"]["Accept"], "<16 chars>");
        assert_eq!(args["url"], "https://api.example/v1?…");
    }

    #[test]
    fn every_tool_is_documented_and_annotated() {
        let tools = NetworkServer::all_tools().list_all();
        let mut names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "check_site_status",
                "fetch",
                "fetch_url",
                "http_request",
                "web_search"
            ]
        );
        for t in &tools {
            let d = t.description.as_deref().unwrap_or("");
            assert!(d.len() > 80 && d.contains("Example"), "{}: {d}", t.name);
            let a = t.annotations.as_ref().unwrap();
            assert!(
                a.read_only_hint.is_some()
                    && a.destructive_hint.is_some()
                    && a.idempotent_hint.is_some()
                    && a.open_world_hint == Some(true),
                "{}",
                t.name
            );
        }
    }
}
