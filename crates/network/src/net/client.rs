//! The request loop every tool uses: SSRF and robots.txt checks on every hop, redirects followed
//! by hand, per-host rate limiting, a global concurrency cap, time limits, a streamed body cap,
//! and one log line per request.
//!
//! reqwest is built with `redirect::Policy::none()`, so each redirect comes back here and the next
//! URL is checked (scheme, IP literal, name, robots.txt of its own origin) before it is requested;
//! names are checked again by [`super::resolver::GuardedResolver`] when reqwest connects. The
//! proxy environment variables are ignored (`no_proxy`): a proxy would resolve names itself,
//! beyond the guard's reach.

use std::{
    error::Error as StdError,
    io,
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
    time::Duration,
};

use fleet_core::budget::{ChainBudget, Hop, HopError};
use governor::{
    Quota, RateLimiter,
    clock::{Clock as _, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
};
use reqwest::{
    Method, StatusCode,
    header::{self, HeaderMap, HeaderValue},
    redirect,
};
use tokio::{sync::Semaphore, time::Instant};
use url::{Host, Url};

use super::{
    policy::{AddressPolicy, Refusal},
    redact_url,
    resolver::{GuardedResolver, Lookup, ResolveError, SystemLookup},
    robots::{MAX_ROBOTS_BYTES, RobotsCache, Rules, Verdict},
};
use crate::{
    config::{DEFAULT_AGENT_TOKEN, HostRate, NetConfig},
    error::NetError,
};

/// Redirects followed for robots.txt itself (RFC 9309 §2.3.1.2: at least five).
const ROBOTS_MAX_REDIRECTS: usize = 5;
/// Keyed rate limiter, one bucket per host.
type HostLimiter = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// On whose behalf a request is made: decides the user agent and, for fetches, robots.txt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// The model decided to fetch (tools): robots.txt applies to page fetches.
    Autonomous,
    /// The user asked for this page (the `fetch` prompt): robots.txt is not consulted.
    User,
}

/// One request as a tool describes it.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// HTTP method.
    pub method: Method,
    /// Where.
    pub url: Url,
    /// Extra headers (the caller's, for `http_request`).
    pub headers: HeaderMap,
    /// Body to send.
    pub body: Option<Vec<u8>>,
    /// Whose request this is.
    pub agent: Agent,
    /// Consult robots.txt on every hop (page fetches by the model).
    pub robots: bool,
    /// Follow redirects (each hop re-checked); otherwise a 3xx is the answer.
    pub follow_redirects: bool,
    /// Body bytes to read at most; the rest is cut and `truncated` set.
    pub max_body: usize,
    /// Accept any certificate (only `check_site_status`, after a verified attempt failed).
    pub insecure_tls: bool,
    /// Name of the hop in timeout messages (`request`, `robots.txt`, `search`).
    pub hop_name: &'static str,
    /// Subject to the per-host rate limit (robots.txt lookups are not: they are cached).
    pub rate_limited: bool,
}

impl Outbound {
    /// A GET of `url` by `agent`, following redirects, reading up to `max_body` bytes.
    pub fn get(url: Url, agent: Agent, max_body: usize) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: None,
            agent,
            robots: false,
            follow_redirects: true,
            max_body,
            insecure_tls: false,
            hop_name: "request",
            rate_limited: true,
        }
    }
}

/// One redirect that was followed.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct RedirectHop {
    /// The redirect status, e.g. 301.
    pub status: u16,
    /// The URL that answered with it.
    pub from: String,
    /// Where it pointed.
    pub to: String,
}

/// A response with its body read (up to the cap).
#[derive(Debug)]
pub struct Fetched {
    /// Final status.
    pub status: StatusCode,
    /// Final URL, after redirects.
    pub url: Url,
    /// Final response headers.
    pub headers: HeaderMap,
    /// The body, at most `max_body` bytes.
    pub body: Vec<u8>,
    /// Whether the body was cut at `max_body`.
    pub truncated: bool,
    /// Redirects followed, in order.
    pub redirects: Vec<RedirectHop>,
    /// The address actually connected to.
    pub remote_addr: Option<SocketAddr>,
    /// DER of the server's leaf certificate (HTTPS only).
    pub peer_certificate: Option<Vec<u8>>,
    /// Time until the final response's headers arrived, from the first hop's start.
    pub latency: Duration,
    /// When the final response's headers arrived.
    headers_at: Instant,
}

impl Fetched {
    /// The response's `Content-Type`, or "" when absent.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// What the engine was built with.
#[derive(Debug, Clone)]
struct Settings {
    request_timeout: Duration,
    max_redirects: usize,
    ignore_robots_txt: bool,
    ua_autonomous: HeaderValue,
    ua_user: HeaderValue,
    agent_token: String,
}

/// Shared between an engine and the engines derived from it for trusted backends.
struct Shared {
    robots: RobotsCache,
    limiter: Option<(HostLimiter, HostRate)>,
    slots: Semaphore,
}

/// The guarded HTTP client. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    client: reqwest::Client,
    insecure: reqwest::Client,
    policy: Arc<AddressPolicy>,
    settings: Arc<Settings>,
    shared: Arc<Shared>,
    build: Arc<BuildInputs>,
}

/// What is needed to build a client again (for a trusted backend's engine).
struct BuildInputs {
    config: NetConfig,
    lookup: Arc<dyn Lookup>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("policy", &self.policy)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine for `config`, resolving names with the system resolver.
    pub fn new(config: &NetConfig, version: &str) -> Result<Self, String> {
        Self::with_lookup(config, version, Arc::new(SystemLookup))
    }

    /// An engine resolving names with `lookup` (tests script DNS answers with it).
    pub fn with_lookup(
        config: &NetConfig,
        version: &str,
        lookup: Arc<dyn Lookup>,
    ) -> Result<Self, String> {
        let (ua_autonomous, ua_user, agent_token) =
            user_agents(config.user_agent.as_deref(), version)?;
        let limiter = config.host_rate.map(|rate| {
            let per = rate.period / rate.count.get();
            let quota = Quota::with_period(per.max(Duration::from_nanos(1)))
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(rate.count);
            (HostLimiter::dashmap(quota), rate)
        });
        let shared = Arc::new(Shared {
            robots: RobotsCache::new(config.robots_cache_ttl),
            limiter,
            slots: Semaphore::new(config.max_concurrent_requests),
        });
        let settings = Arc::new(Settings {
            request_timeout: config.request_timeout,
            max_redirects: config.max_redirects,
            ignore_robots_txt: config.ignore_robots_txt,
            ua_autonomous,
            ua_user,
            agent_token,
        });
        let build = Arc::new(BuildInputs {
            config: config.clone(),
            lookup,
        });
        Self::assemble(config.policy.clone(), settings, shared, build)
    }

    fn assemble(
        policy: AddressPolicy,
        settings: Arc<Settings>,
        shared: Arc<Shared>,
        build: Arc<BuildInputs>,
    ) -> Result<Self, String> {
        let policy = Arc::new(policy);
        let resolver = GuardedResolver::new(
            policy.clone(),
            Arc::new(build.config.static_hosts.clone()),
            build.lookup.clone(),
            build.config.connect_timeout,
        );
        let client = client_builder(&build.config, resolver.clone())?
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let insecure = client_builder(&build.config, resolver)?
            .tls_danger_accept_invalid_certs(true)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            insecure,
            policy,
            settings,
            shared,
            build,
        })
    }

    /// An engine that also trusts `host` (an operator-configured backend such as a SearXNG
    /// instance on the internal network); limits and caches are shared with `self`.
    pub fn trusting(&self, host: &str) -> Result<Self, String> {
        Self::assemble(
            self.policy.with_trusted_host(host),
            self.settings.clone(),
            self.shared.clone(),
            self.build.clone(),
        )
    }

    /// The user agent sent for `agent`.
    pub fn user_agent(&self, agent: Agent) -> &str {
        let v = match agent {
            Agent::Autonomous => &self.settings.ua_autonomous,
            Agent::User => &self.settings.ua_user,
        };
        v.to_str().unwrap_or(DEFAULT_AGENT_TOKEN)
    }

    /// Check a URL before any request to it: scheme, and the host when it is an IP literal or a
    /// reserved name. DNS names are checked again, address by address, when reqwest connects.
    pub fn check_url(&self, url: &Url, hop: usize) -> Result<(), NetError> {
        if !matches!(url.scheme(), "http" | "https") {
            let reason = format!(
                "scheme {}: is not supported; use http or https",
                url.scheme()
            );
            return Err(if hop == 0 {
                NetError::arg("url", reason)
            } else {
                NetError::BadRedirect {
                    url: redact_url(url),
                    reason,
                }
            });
        }
        let refused = |r: Refusal| NetError::Refused {
            url: redact_url(url),
            reason: r.to_string(),
            hop,
        };
        match url.host() {
            None => Err(NetError::arg("url", "the URL has no host")),
            Some(Host::Ipv4(ip)) => self
                .policy
                .check_addr(&ip.to_string(), IpAddr::V4(ip))
                .map_err(refused),
            Some(Host::Ipv6(ip)) => self
                .policy
                .check_addr(&ip.to_string(), IpAddr::V6(ip))
                .map_err(refused),
            Some(Host::Domain(d)) => self.policy.check_name(d).map_err(refused),
        }
    }

    /// Run `req`: every hop checked, redirects followed by hand, the body streamed up to its cap.
    pub async fn execute(&self, req: Outbound, budget: &ChainBudget) -> Result<Fetched, NetError> {
        let started = Instant::now();
        let max_redirects = if req.hop_name == "robots.txt" {
            ROBOTS_MAX_REDIRECTS.min(self.settings.max_redirects)
        } else {
            self.settings.max_redirects
        };
        let first = redact_url(&req.url);
        let mut url = req.url.clone();
        let mut method = req.method.clone();
        let mut body = req.body.clone();
        let mut headers = req.headers.clone();
        let mut redirects = Vec::new();
        for hop in 0..=max_redirects {
            self.check_url(&url, hop)?;
            if req.robots && req.agent == Agent::Autonomous && !self.settings.ignore_robots_txt {
                self.check_robots(&url, hop, budget).await?;
            }
            let step = self
                .hop(&req, &method, &url, &headers, body.clone(), hop, budget)
                .await?;
            match step {
                Step::Done(fetched) => {
                    let mut fetched = *fetched;
                    fetched.redirects = redirects;
                    fetched.latency = fetched.headers_at.duration_since(started);
                    return Ok(fetched);
                }
                Step::Redirect { status, location } => {
                    let next = url.join(&location).map_err(|e| NetError::BadRedirect {
                        url: redact_url(&url),
                        reason: format!("Location {:?} is not a URL ({e})", short(&location)),
                    })?;
                    redirects.push(RedirectHop {
                        status: status.as_u16(),
                        from: url.to_string(),
                        to: next.to_string(),
                    });
                    let keep_method = matches!(status.as_u16(), 307 | 308);
                    if !keep_method
                        && (status == StatusCode::SEE_OTHER || method == Method::POST)
                        && method != Method::HEAD
                    {
                        method = Method::GET;
                        body = None;
                        headers.remove(header::CONTENT_TYPE);
                        headers.remove(header::CONTENT_LENGTH);
                    }
                    if url.origin() != next.origin() {
                        strip_credentials(&mut headers);
                    }
                    url = next;
                }
            }
        }
        Err(NetError::TooManyRedirects {
            url: first,
            max: max_redirects,
        })
    }

    /// One request/response exchange, inside the chain budget.
    #[allow(clippy::too_many_arguments)]
    async fn hop(
        &self,
        req: &Outbound,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<Vec<u8>>,
        hop: usize,
        budget: &ChainBudget,
    ) -> Result<Step, NetError> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if req.rate_limited {
            self.wait_for_rate(&host, budget).await?;
        }
        let limit = Hop::new(req.hop_name, self.settings.request_timeout);
        let what = format!("{method} {host}");
        let start = Instant::now();
        let outcome = budget
            .run(limit, self.exchange(req, method, url, headers, body, hop))
            .await;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok(step) => {
                let (status, bytes) = match &step {
                    Step::Done(f) => (f.status.as_u16(), f.body.len()),
                    Step::Redirect { status, .. } => (status.as_u16(), 0),
                };
                tracing::info!(
                    method = %method, host = %host, status, bytes, ms = round1(ms), hop,
                    kind = req.hop_name, "outbound request"
                );
                Ok(step)
            }
            Err(e) => {
                let err = match e {
                    HopError::Failed { error, .. } => error,
                    timeout => NetError::Timeout {
                        what,
                        detail: timeout_detail(&timeout),
                    },
                };
                tracing::info!(
                    method = %method, host = %host, status = 0u16, bytes = 0usize, ms = round1(ms), hop,
                    kind = req.hop_name, error = %err, "outbound request failed"
                );
                Err(err)
            }
        }
    }

    async fn exchange(
        &self,
        req: &Outbound,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<Vec<u8>>,
        hop: usize,
    ) -> Result<Step, NetError> {
        let _slot = self
            .shared
            .slots
            .acquire()
            .await
            .map_err(|_| NetError::Internal("the request limiter was closed".to_owned()))?;
        let client = if req.insecure_tls {
            &self.insecure
        } else {
            &self.client
        };
        let mut rb = client
            .request(method.clone(), url.clone())
            .header(header::USER_AGENT, self.ua_for(req.agent))
            .headers(headers.clone());
        if let Some(b) = body {
            rb = rb.body(b);
        }
        let mut resp = rb.send().await.map_err(|e| map_send_error(&e, url, hop))?;
        let headers_at = Instant::now();
        // The same rule the resolver applied, with the host as the URL names it (an allow-listed
        // name may lead to a private address).
        let named = url.host_str().unwrap_or_default();
        if let Some(addr) = resp.remote_addr()
            && let Err(r) = self.policy.check_addr(named, addr.ip())
        {
            // Unreachable while the resolver filters every answer; kept as a second wall.
            return Err(NetError::Refused {
                url: redact_url(url),
                reason: r.to_string(),
                hop,
            });
        }
        let status = resp.status();
        if req.follow_redirects
            && matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
            && let Some(location) = resp
                .headers()
                .get(header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        {
            return Ok(Step::Redirect { status, location });
        }
        let peer_certificate = resp
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|t| t.peer_certificate().map(<[u8]>::to_vec));
        let remote_addr = resp.remote_addr();
        let headers = resp.headers().clone();
        let final_url = resp.url().clone();
        let mut body = Vec::new();
        let mut truncated = false;
        if method != Method::HEAD && req.max_body > 0 {
            let hint = resp.content_length().unwrap_or(0).min(req.max_body as u64);
            body.reserve(usize::try_from(hint).unwrap_or(0));
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| map_send_error(&e, url, hop))?
            {
                let room = req.max_body - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
        } else if method != Method::HEAD {
            truncated = resp.content_length().is_none_or(|n| n > 0);
        }
        Ok(Step::Done(Box::new(Fetched {
            status,
            url: final_url,
            headers,
            body,
            truncated,
            redirects: Vec::new(),
            remote_addr,
            peer_certificate,
            latency: Duration::ZERO,
            headers_at,
        })))
    }

    fn ua_for(&self, agent: Agent) -> HeaderValue {
        match agent {
            Agent::Autonomous => self.settings.ua_autonomous.clone(),
            Agent::User => self.settings.ua_user.clone(),
        }
    }

    /// Wait for `host`'s rate limit, or fail at once if the wait would outlast the call.
    async fn wait_for_rate(&self, host: &str, budget: &ChainBudget) -> Result<(), NetError> {
        let Some((limiter, _)) = &self.shared.limiter else {
            return Ok(());
        };
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        let key = host.to_owned();
        loop {
            match limiter.check_key(&key) {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(DefaultClock::default().now());
                    if wait >= budget.remaining() {
                        return Err(NetError::RateLimited {
                            host: key,
                            wait: fleet_core::budget::fmt_duration(wait),
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Refuse `url` if its origin's robots.txt disallows it for our agent.
    async fn check_robots(
        &self,
        url: &Url,
        hop: usize,
        budget: &ChainBudget,
    ) -> Result<(), NetError> {
        let origin = url.origin().ascii_serialization();
        let Ok(robots_url) = Url::parse(&format!("{origin}/robots.txt")) else {
            return Ok(());
        };
        let rules = self
            .shared
            .robots
            .rules(&origin, || self.fetch_robots(robots_url.clone(), budget))
            .await;
        match rules.decide(url.as_str()) {
            Verdict::Allowed => Ok(()),
            Verdict::Refused(reason) => Err(NetError::Refused {
                url: redact_url(url),
                reason,
                hop,
            }),
            Verdict::Disallowed(detail) => Err(NetError::RobotsDisallowed {
                url: redact_url(url),
                robots_url: robots_url.to_string(),
                agent: self.user_agent(Agent::Autonomous).to_owned(),
                detail,
                hop,
            }),
        }
    }

    async fn fetch_robots(&self, robots_url: Url, budget: &ChainBudget) -> Rules {
        let mut req = Outbound::get(robots_url, Agent::Autonomous, MAX_ROBOTS_BYTES);
        req.hop_name = "robots.txt";
        req.rate_limited = false;
        let outcome = Box::pin(self.execute(req, budget)).await;
        let rules = match outcome {
            Ok(f) if f.status.is_success() => Rules::parse(&self.settings.agent_token, &f.body),
            Ok(f) if matches!(f.status.as_u16(), 401 | 403) => Rules::DisallowAll {
                why: format!(
                    "robots.txt answered {}, so autonomous fetching is assumed not to be allowed",
                    status_line(f.status)
                ),
                transient: false,
            },
            Ok(f) if f.status.is_server_error() => Rules::DisallowAll {
                why: format!(
                    "robots.txt answered {}; while the server errs, RFC 9309 asks robots to assume everything is disallowed",
                    status_line(f.status)
                ),
                transient: true,
            },
            Ok(f) => Rules::AllowAll {
                why: format!("robots.txt answered {}", status_line(f.status)),
            },
            // The origin itself is refused: so is every page on it, and that is the message.
            Err(NetError::Refused { reason, hop: 0, .. }) => Rules::Refused { reason },
            Err(NetError::TooManyRedirects { .. }) => Rules::AllowAll {
                why: "robots.txt redirected too often".to_owned(),
            },
            Err(e) => Rules::DisallowAll {
                why: format!(
                    "robots.txt could not be read ({e}), so nothing is fetched autonomously"
                ),
                transient: true,
            },
        };
        tracing::debug!(rules = ?std::mem::discriminant(&rules), "robots.txt loaded");
        rules
    }
}

/// What one exchange produced.
#[derive(Debug)]
enum Step {
    Done(Box<Fetched>),
    Redirect {
        status: StatusCode,
        location: String,
    },
}

fn client_builder(
    config: &NetConfig,
    resolver: GuardedResolver,
) -> Result<reqwest::ClientBuilder, String> {
    fleet_core::install_crypto_provider();
    let mut b = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .no_proxy()
        .dns_resolver(resolver)
        .connect_timeout(config.connect_timeout)
        .tcp_nodelay(true)
        .tls_info(true)
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(4);
    if let Some(pem) = &config.extra_ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| format!("NET_EXTRA_CA_PEM: {e}"))?;
        b = b.tls_certs_merge(certs);
    }
    Ok(b)
}

/// The two default user agents (or the override for both) and the robots.txt product token.
fn user_agents(
    custom: Option<&str>,
    version: &str,
) -> Result<(HeaderValue, HeaderValue, String), String> {
    let (autonomous, user) = match custom {
        Some(ua) => (ua.to_owned(), ua.to_owned()),
        None => {
            let home = "+https://github.com/sanctuary-fleet/sanctuary-fleet";
            (
                format!("{DEFAULT_AGENT_TOKEN}/{version} (Autonomous; {home})"),
                format!("{DEFAULT_AGENT_TOKEN}/{version} (User-Specified; {home})"),
            )
        }
    };
    let token = autonomous
        .split(['/', ' '])
        .next()
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_AGENT_TOKEN)
        .to_owned();
    let value = |s: &str| {
        HeaderValue::from_str(s)
            .map_err(|_| format!("NET_USER_AGENT {s:?} is not a valid header value"))
    };
    Ok((value(&autonomous)?, value(&user)?, token))
}

/// Remove credentials before following a redirect to another origin.
fn strip_credentials(headers: &mut HeaderMap) {
    let sensitive: Vec<header::HeaderName> = headers
        .keys()
        .filter(|name| is_sensitive_header(name.as_str()))
        .cloned()
        .collect();
    for name in sensitive {
        headers.remove(name);
    }
}

/// Header names that carry credentials (never logged, dropped on cross-origin redirects).
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || [
        "token",
        "secret",
        "key",
        "auth",
        "session",
        "password",
        "signature",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Turn a reqwest failure into a message naming the cause, never the query string.
fn map_send_error(e: &reqwest::Error, url: &Url, hop: usize) -> NetError {
    let shown = redact_url(url);
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    let mut innermost = String::new();
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<ResolveError>() {
            return match r {
                ResolveError::Refused(refusal) => NetError::Refused {
                    url: shown,
                    reason: refusal.to_string(),
                    hop,
                },
                other => NetError::Connect {
                    url: shown,
                    reason: other.to_string(),
                },
            };
        }
        if let Some(tls) = rustls_error(c) {
            return NetError::Tls {
                url: shown,
                reason: tls.to_string(),
            };
        }
        let text = c.to_string();
        if !text.is_empty() && !text.contains("for url (") {
            innermost = text;
        }
        cause = c.source();
    }
    if e.is_timeout() {
        return NetError::Timeout {
            what: shown,
            detail: "the server did not answer in time".to_owned(),
        };
    }
    if innermost.is_empty() {
        innermost = if e.is_connect() {
            "connection failed"
        } else if e.is_body() || e.is_decode() {
            "the response body broke off"
        } else {
            "request failed"
        }
        .to_owned();
    }
    NetError::Connect {
        url: shown,
        reason: innermost,
    }
}

/// The rustls error inside `e`, directly or wrapped in (possibly nested) `io::Error`s, whose
/// `source()` skips the wrapped error itself.
fn rustls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    if let Some(r) = e.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    let inner: &'a (dyn StdError + 'static) = e.downcast_ref::<io::Error>()?.get_ref()?;
    rustls_error(inner)
}

fn timeout_detail<E>(e: &HopError<E>) -> String
where
    E: std::fmt::Display,
{
    match e {
        HopError::HopTimeout { .. } => format!("{e} (NET_REQUEST_TIMEOUT)"),
        HopError::ChainExhausted { .. } => format!("{e} (NET_TOTAL_TIMEOUT)"),
        HopError::Failed { .. } => e.to_string(),
    }
}

/// `404 Not Found`.
pub fn status_line(s: StatusCode) -> String {
    match s.canonical_reason() {
        Some(r) => format!("{} {r}", s.as_u16()),
        None => s.as_u16().to_string(),
    }
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

fn round1(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::{Router, http::header as h, routing::get};
    use tokio::net::TcpListener;

    use super::*;
    use crate::net::{policy::AllowEntry, resolver::tests::Scripted};

    /// A loopback site whose every answer closes the connection (so each request resolves
    /// anew), plus a listener on 127.0.0.2 at the same port that counts connections.
    async fn rebinding_setup() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = Arc::new(AtomicUsize::new(0));
        let count = served.clone();
        let app = Router::new()
            .route(
                "/robots.txt",
                get(|| async { ([(h::CONNECTION, "close")], "User-agent: *\nAllow: /\n") }),
            )
            .route(
                "/page",
                get(|| async { ([(h::CONNECTION, "close")], "<p>public page</p>") }),
            )
            .layer(axum::middleware::from_fn(
                move |req, next: axum::middleware::Next| {
                    count.fetch_add(1, Ordering::SeqCst);
                    async move { next.run(req).await }
                },
            ));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let internal = TcpListener::bind(("127.0.0.2", port)).await.unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let a = accepted.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = internal.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                drop(s);
            }
        });
        (port, served, accepted)
    }

    fn engine(dns: Arc<Scripted>) -> Engine {
        let config = NetConfig {
            policy: AddressPolicy::new(false, vec![AllowEntry::parse("127.0.0.1/32").unwrap()]),
            ..NetConfig::default()
        };
        Engine::with_lookup(&config, "test", dns).unwrap()
    }

    #[tokio::test]
    async fn a_rebinding_name_is_caught_at_connect_time() {
        let (port, served, internal) = rebinding_setup().await;
        // The attacker's DNS answers the allowed address first (robots.txt check), then the
        // internal one for the page. Every connection resolves once, through the guard.
        let dns = Scripted::new(&[&["127.0.0.1"], &["127.0.0.2"]]);
        let engine = engine(dns.clone());
        let url = Url::parse(&format!("http://rebind.test:{port}/page")).unwrap();
        let mut req = Outbound::get(url, Agent::Autonomous, 1 << 20);
        req.robots = true;
        let err = engine
            .execute(req, &ChainBudget::new(Duration::from_secs(10)))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, NetError::Refused { reason, .. } if reason.contains("rebind.test resolves to 127.0.0.2")),
            "{err}"
        );
        assert_eq!(
            dns.queries.load(Ordering::SeqCst),
            2,
            "one lookup per connection"
        );
        assert_eq!(
            served.load(Ordering::SeqCst),
            1,
            "only robots.txt was served"
        );
        assert_eq!(
            internal.load(Ordering::SeqCst),
            0,
            "nothing connected to the rebound address"
        );
    }

    #[tokio::test]
    async fn the_connector_only_sees_checked_addresses() {
        let (port, served, internal) = rebinding_setup().await;
        let dns = Scripted::new(&[&["127.0.0.2", "127.0.0.1"]]);
        let engine = engine(dns);
        let url = Url::parse(&format!("http://mixed.test:{port}/page")).unwrap();
        for _ in 0..3 {
            let f = engine
                .execute(
                    Outbound::get(url.clone(), Agent::Autonomous, 1 << 20),
                    &ChainBudget::new(Duration::from_secs(10)),
                )
                .await
                .unwrap();
            assert_eq!(f.body, b"<p>public page</p>");
            assert_eq!(f.remote_addr.unwrap().ip().to_string(), "127.0.0.1");
        }
        assert_eq!(served.load(Ordering::SeqCst), 3);
        assert_eq!(internal.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn user_agents_split_and_override() {
        let (a, u, token) = user_agents(None, "1.2.3").unwrap();
        assert!(
            a.to_str()
                .unwrap()
                .starts_with("SanctuaryNetwork/1.2.3 (Autonomous;")
        );
        assert!(u.to_str().unwrap().contains("User-Specified"));
        assert_eq!(token, "SanctuaryNetwork");
        let (a, u, token) = user_agents(Some("AcmeBot/2.0 (+https://acme.example)"), "x").unwrap();
        assert_eq!(a, u);
        assert_eq!(token, "AcmeBot");
        assert!(user_agents(Some("bad\nagent"), "x").is_err());
    }

    #[test]
    fn credentials_are_recognized() {
        for h in [
            "Authorization",
            "Cookie",
            "X-Api-Key",
            "X-Auth-Token",
            "X-Subscription-Token",
            "Proxy-Authorization",
        ] {
            assert!(is_sensitive_header(h), "{h}");
        }
        for h in ["Accept", "Content-Type", "User-Agent", "X-Request-Id"] {
            assert!(!is_sensitive_header(h), "{h}");
        }
    }
}
