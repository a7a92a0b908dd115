//! Configuration shared by every cluster, read once from the environment.
//!
//! Every variable is declared once in [`CORE_VARS`] (name, default, help); the same table drives
//! `--help`, the docs check in `tests/docs.rs` and the parser below, so a setting cannot exist in one
//! place and be missing from another. Parsing collects every problem before failing, so an operator
//! fixes a bad environment in one pass instead of one variable per restart.
//!
//! `std::env` is read only through [`EnvSource`]; tests pass a map instead of mutating the process
//! environment.

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    net::{IpAddr, SocketAddr},
    str::FromStr,
    time::Duration,
};

use url::Url;

use crate::netpolicy::{NetPolicy, UrlRole};

/// One documented environment variable.
#[derive(Debug, Clone, Copy)]
pub struct EnvVar {
    /// The variable's name, e.g. `PORT`.
    pub name: &'static str,
    /// The default, as an operator would write it (`""` means unset).
    pub default: &'static str,
    /// One sentence saying what it controls.
    pub help: &'static str,
}

/// Where configuration values come from: the process environment, or a map in tests.
pub trait EnvSource {
    /// The value of `name`, if set and non-empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl EnvSource for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name)
            .cloned()
            .filter(|v| !v.trim().is_empty())
    }
}

impl EnvSource for BTreeMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        BTreeMap::get(self, name)
            .map(|v| (*v).to_owned())
            .filter(|v| !v.trim().is_empty())
    }
}

/// A variable that was set to something unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The variable at fault.
    pub var: String,
    /// What is wrong with it, lower case, no trailing period.
    pub message: String,
}

/// Every problem found while reading the environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigError {
    /// The problems, in the order they were found.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration:")?;
        for p in &self.problems {
            write!(f, "\n  {}: {}", p.var, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Reads typed values out of an [`EnvSource`], remembering every failure.
///
/// Cluster `config.rs` files use the same reader so their errors join the core ones.
pub struct EnvReader<'a> {
    source: &'a dyn EnvSource,
    problems: Vec<ConfigProblem>,
}

impl fmt::Debug for EnvReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvReader")
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl<'a> EnvReader<'a> {
    /// Start reading from `source`.
    pub fn new(source: &'a dyn EnvSource) -> Self {
        Self {
            source,
            problems: Vec::new(),
        }
    }

    /// The raw value, trimmed, if set.
    pub fn raw(&self, name: &str) -> Option<String> {
        self.source.get(name).map(|v| v.trim().to_owned())
    }

    /// Record a problem with `var`.
    pub fn problem(&mut self, var: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            var: var.to_owned(),
            message: message.into(),
        });
    }

    /// A string, or `default` when unset.
    pub fn string(&mut self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_owned())
    }

    /// Any `FromStr` value; `None` when unset.
    pub fn parse<T>(&mut self, name: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let raw = self.raw(name)?;
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(name, format!("cannot parse {raw:?}: {e}"));
                None
            }
        }
    }

    /// Any `FromStr` value with a default.
    pub fn parse_or<T>(&mut self, name: &str, default: T) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.parse(name).unwrap_or(default)
    }

    /// A positive integer within `min..=max`.
    pub fn bounded(&mut self, name: &str, default: u64, min: u64, max: u64) -> u64 {
        let v = self.parse_or(name, default);
        if !(min..=max).contains(&v) {
            self.problem(name, format!("{v} is outside {min}..={max}"));
            return default;
        }
        v
    }

    /// A boolean: `1/true/yes/on` or `0/false/no/off`.
    pub fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.raw(name) {
            None => default,
            Some(v) => match parse_flag(&v) {
                Some(b) => b,
                None => {
                    self.problem(
                        name,
                        format!("expected 1/0, true/false, yes/no or on/off, got {v:?}"),
                    );
                    default
                }
            },
        }
    }

    /// A duration such as `30s`, `500ms`, `2m`; a bare number means seconds.
    pub fn duration(&mut self, name: &str, default: Duration) -> Duration {
        match self.raw(name) {
            None => default,
            Some(v) => match parse_duration(&v) {
                Ok(d) => d,
                Err(e) => {
                    self.problem(name, e);
                    default
                }
            },
        }
    }

    /// An absolute `http`/`https` URL; `None` when unset.
    pub fn url(&mut self, name: &str) -> Option<Url> {
        let raw = self.raw(name)?;
        match parse_http_url(&raw) {
            Ok(u) => Some(u),
            Err(e) => {
                self.problem(name, e);
                None
            }
        }
    }

    /// A comma-separated list; empty entries are dropped.
    pub fn list(&mut self, name: &str) -> Vec<String> {
        self.raw(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Finish: every problem recorded so far, or `Ok`.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                problems: self.problems,
            })
        }
    }
}

/// Parse `1/true/yes/on` and `0/false/no/off`, case-insensitively.
pub fn parse_flag(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Parse `30s`, `500ms`, `2m`, `1h`, `1m30s`; a bare number is seconds (fractions allowed).
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && (0.0..1e9).contains(&secs) {
            return Ok(Duration::from_secs_f64(secs));
        }
        return Err(format!("{v:?} is not a usable number of seconds"));
    }
    humantime::parse_duration(v).map_err(|e| format!("cannot parse duration {v:?}: {e}"))
}

/// Parse an absolute `http`/`https` URL with a host.
pub fn parse_http_url(v: &str) -> Result<Url, String> {
    let url = Url::parse(v).map_err(|e| format!("not a URL ({e}): {v:?}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme must be http or https: {v:?}"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("URL has no host: {v:?}"));
    }
    Ok(url)
}

/// Default bind address when `PORT` is set.
pub const DEFAULT_HOST: &str = "0.0.0.0";
/// Default per-tool-call timeout.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// Default cap on concurrent tool calls per process.
pub const DEFAULT_MAX_CONCURRENT_CALLS: u64 = 64;
/// Default cap on one HTTP request body.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;
/// Default cap on open legacy SSE sessions.
pub const DEFAULT_MAX_SSE_SESSIONS: u64 = 256;
/// Default SSE keep-alive interval.
pub const DEFAULT_SSE_KEEPALIVE: Duration = Duration::from_secs(15);
/// Default idle timeout of a Streamable HTTP session.
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Default bound on draining in-flight calls at shutdown.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Default interval at which a registered cluster checks that the gateway still knows it.
pub const DEFAULT_REGISTRATION_CHECK_INTERVAL: Duration = Duration::from_secs(30);
/// Default ceiling of the registration retry backoff.
pub const DEFAULT_REGISTRATION_MAX_BACKOFF: Duration = Duration::from_secs(60);
/// ContextForge's default JWT audience.
pub const DEFAULT_JWT_AUDIENCE: &str = "mcpgateway-api";
/// ContextForge's default JWT issuer.
pub const DEFAULT_JWT_ISSUER: &str = "mcpgateway";
/// ContextForge's default platform admin, the subject of minted tokens.
pub const DEFAULT_JWT_SUBJECT: &str = "admin@example.com";
/// Path of the seed's manifest-registration endpoint, relative to the gateway URL.
pub const MANIFEST_REGISTER_PATH: &str = "/api/servers/register";

/// Every variable fleet-core reads, with its default and meaning.
pub const CORE_VARS: &[EnvVar] = &[
    EnvVar {
        name: "PORT",
        default: "",
        help: "Serve HTTP on this port (Streamable HTTP /mcp, SSE /sse, /health, /ready, /manifest, /metrics); unset means stdio",
    },
    EnvVar {
        name: "HOST",
        default: DEFAULT_HOST,
        help: "Address to bind when PORT is set",
    },
    EnvVar {
        name: "MCP_GATEWAY_URL",
        default: "",
        help: "Gateway to register with, e.g. http://sanctuary-gateway:4444; unset disables registration",
    },
    EnvVar {
        name: "MCPGATEWAY_BEARER_TOKEN",
        default: "",
        help: "Bearer token for the gateway's API (takes precedence over MCPGATEWAY_JWT_SECRET)",
    },
    EnvVar {
        name: "MCPGATEWAY_JWT_SECRET",
        default: "",
        help: "The gateway's JWT_SECRET_KEY; used to mint short-lived HS256 tokens when no bearer token is given",
    },
    EnvVar {
        name: "MCPGATEWAY_JWT_SUBJECT",
        default: DEFAULT_JWT_SUBJECT,
        help: "Subject (an existing gateway user's email) of minted tokens",
    },
    EnvVar {
        name: "MCPGATEWAY_JWT_AUDIENCE",
        default: DEFAULT_JWT_AUDIENCE,
        help: "Audience claim of minted tokens",
    },
    EnvVar {
        name: "MCPGATEWAY_JWT_ISSUER",
        default: DEFAULT_JWT_ISSUER,
        help: "Issuer claim of minted tokens",
    },
    EnvVar {
        name: "FLEET_ADVERTISE_URL",
        default: "http://<first alias>:<PORT>/mcp",
        help: "MCP endpoint the gateway should call; a path ending in /sse registers the SSE transport",
    },
    EnvVar {
        name: "FLEET_GATEWAY_NAME",
        default: "<cluster name>",
        help: "Name under which the cluster registers (the gateway prefixes tool names with its slug)",
    },
    EnvVar {
        name: "FLEET_REGISTRATION_DIALECT",
        default: "contextforge",
        help: "contextforge (POST/PUT /gateways) or manifest (POST the seed's manifest)",
    },
    EnvVar {
        name: "FLEET_MANIFEST_REGISTER_URL",
        default: "<MCP_GATEWAY_URL>/api/servers/register",
        help: "Where the manifest dialect posts the manifest",
    },
    EnvVar {
        name: "FLEET_REGISTRATION_CHECK_INTERVAL",
        default: "30s",
        help: "How often a registered cluster checks that the gateway still knows it",
    },
    EnvVar {
        name: "FLEET_REGISTRATION_MAX_BACKOFF",
        default: "60s",
        help: "Ceiling of the exponential retry backoff while the gateway is unreachable",
    },
    EnvVar {
        name: "FLEET_DEREGISTER_ON_SHUTDOWN",
        default: "0",
        help: "Remove the registration from the gateway on graceful shutdown",
    },
    EnvVar {
        name: "FLEET_CONTAINER",
        default: "auto",
        help: "Container mode (1/0/auto); auto detects /.dockerenv, /run/.containerenv or $container",
    },
    EnvVar {
        name: "FLEET_ALLOW_LOOPBACK",
        default: "0",
        help: "Allow loopback service URLs in container mode; for local development and tests only",
    },
    EnvVar {
        name: "FLEET_SERVICE_ALIASES",
        default: "<name>,<name with _>",
        help: "Network aliases of this service; accepted as Host headers and used in the default advertise URL",
    },
    EnvVar {
        name: "FLEET_ALLOWED_HOSTS",
        default: "",
        help: "Extra Host header values accepted on /mcp, /sse and /messages (loopback and the aliases are always accepted); * accepts any host (dangerous)",
    },
    EnvVar {
        name: "FLEET_TOOL_TIMEOUT",
        default: "60s",
        help: "Default time limit of one tool call",
    },
    EnvVar {
        name: "FLEET_TOOL_TIMEOUTS",
        default: "",
        help: "Per-tool limits, e.g. calculator_calculate=2s,cortex_ingest_full=30m",
    },
    EnvVar {
        name: "FLEET_MAX_CONCURRENT_CALLS",
        default: "64",
        help: "Tool calls running at once; further calls wait within their own time limit",
    },
    EnvVar {
        name: "FLEET_MAX_BODY_BYTES",
        default: "4194304",
        help: "Largest accepted HTTP request body (413 above it)",
    },
    EnvVar {
        name: "FLEET_MAX_SSE_SESSIONS",
        default: "256",
        help: "Open legacy SSE sessions allowed at once (503 above it)",
    },
    EnvVar {
        name: "FLEET_SSE_KEEPALIVE",
        default: "15s",
        help: "Interval of keep-alive comments on SSE streams",
    },
    EnvVar {
        name: "FLEET_SESSION_IDLE_TIMEOUT",
        default: "300s",
        help: "Streamable HTTP sessions idle this long are closed",
    },
    EnvVar {
        name: "FLEET_SHUTDOWN_GRACE",
        default: "10s",
        help: "On SIGTERM, how long in-flight calls may finish before the process exits",
    },
    EnvVar {
        name: "FLEET_LOG_FORMAT",
        default: "text",
        help: "text or json (one JSON object per line, on stderr)",
    },
    EnvVar {
        name: "FLEET_FAULT_TOOLS",
        default: "0",
        help: "Debug builds only: serve fleet_fault_panic and fleet_fault_sleep for fault-containment tests",
    },
    EnvVar {
        name: "RUST_LOG",
        default: "info",
        help: "Log filter (tracing EnvFilter syntax), e.g. info,fleet_core=debug; rmcp stays at info unless named, as its debug lines print whole requests",
    },
];

/// How the cluster registers with the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationDialect {
    /// IBM ContextForge: `POST /gateways`, upsert with `PUT /gateways/{id}` on 409.
    ContextForge,
    /// The seed's contract: POST the manifest to a URL.
    Manifest,
}

/// The MCP transport the gateway is told to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvertisedTransport {
    /// Streamable HTTP (`/mcp`).
    StreamableHttp,
    /// Legacy HTTP+SSE (`/sse`).
    Sse,
}

impl AdvertisedTransport {
    /// The name ContextForge expects in `transport`.
    pub fn contextforge_name(self) -> &'static str {
        match self {
            Self::StreamableHttp => "STREAMABLEHTTP",
            Self::Sse => "SSE",
        }
    }
}

/// How to authenticate to the gateway's API.
#[derive(Clone)]
pub enum GatewayAuth {
    /// No credentials configured.
    None,
    /// A fixed bearer token.
    Bearer(String),
    /// Mint HS256 tokens with this secret and claims.
    Jwt {
        /// The gateway's `JWT_SECRET_KEY`.
        secret: String,
        /// `sub` claim.
        subject: String,
        /// `aud` claim.
        audience: String,
        /// `iss` claim.
        issuer: String,
    },
}

impl fmt::Debug for GatewayAuth {
    // Secrets never reach logs, even at debug level.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::Jwt { subject, .. } => {
                write!(f, "Jwt {{ subject: {subject:?}, secret: <redacted> }}")
            }
        }
    }
}

/// Everything needed to register with a gateway.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// Base URL of the gateway.
    pub gateway_url: Url,
    /// Which registration contract to speak.
    pub dialect: RegistrationDialect,
    /// Where the manifest dialect posts.
    pub manifest_url: Url,
    /// Name under which we register.
    pub name: String,
    /// The MCP endpoint the gateway should call.
    pub advertise_url: Url,
    /// The transport matching `advertise_url`.
    pub transport: AdvertisedTransport,
    /// Credentials for the gateway API.
    pub auth: GatewayAuth,
    /// How often to verify the registration once made.
    pub check_interval: Duration,
    /// Ceiling of the retry backoff.
    pub max_backoff: Duration,
    /// Deregister on graceful shutdown.
    pub deregister_on_shutdown: bool,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Configuration common to every cluster.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// HTTP bind address; `None` selects stdio.
    pub listen: Option<SocketAddr>,
    /// Network aliases of this service (Host allow-list, default advertise URL).
    pub aliases: Vec<String>,
    /// Extra accepted Host values; `["*"]` disables the check.
    pub extra_allowed_hosts: Vec<String>,
    /// Registration settings; `None` when no gateway is configured or in stdio mode.
    pub registration: Option<RegistrationConfig>,
    /// The URL policy (container mode, loopback switch) used for every service URL.
    pub net_policy: NetPolicy,
    /// Default per-call time limit.
    pub tool_timeout: Duration,
    /// Per-tool time limits from `FLEET_TOOL_TIMEOUTS`.
    pub tool_timeouts: HashMap<String, Duration>,
    /// Concurrent tool calls allowed.
    pub max_concurrent_calls: usize,
    /// Largest HTTP request body.
    pub max_body_bytes: usize,
    /// Open SSE sessions allowed.
    pub max_sse_sessions: usize,
    /// SSE keep-alive interval.
    pub sse_keepalive: Duration,
    /// Streamable HTTP session idle timeout.
    pub session_idle_timeout: Duration,
    /// Bound on the shutdown drain.
    pub shutdown_grace: Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// The stderr log filter (`RUST_LOG`), with rmcp capped at `info` unless named (see
    /// [`log_filter`]).
    pub log_filter: String,
    /// Serve the fault-injection tools (debug builds only).
    pub fault_tools: bool,
}

impl CoreConfig {
    /// Read the configuration of cluster `cluster_name` from the process environment.
    pub fn from_env(cluster_name: &str) -> Result<Self, ConfigError> {
        Self::from_source(cluster_name, &ProcessEnv)
    }

    /// Read the configuration from any source (tests pass a map).
    pub fn from_source(cluster_name: &str, source: &dyn EnvSource) -> Result<Self, ConfigError> {
        let mut r = EnvReader::new(source);
        let cfg = Self::read(cluster_name, &mut r);
        r.finish()?;
        Ok(cfg)
    }

    /// Read with a shared reader, so cluster settings can report their problems together with these.
    pub fn read(cluster_name: &str, r: &mut EnvReader<'_>) -> Self {
        let port: Option<u16> = r.parse("PORT");
        let host = r.string("HOST", DEFAULT_HOST);
        let listen = port.and_then(|port| match host.parse::<IpAddr>() {
            Ok(ip) => Some(SocketAddr::new(ip, port)),
            Err(_) => {
                r.problem(
                    "HOST",
                    format!("not an IP address: {host:?} (bind to 0.0.0.0, :: or a local address)"),
                );
                None
            }
        });

        let mut aliases = r.list("FLEET_SERVICE_ALIASES");
        if aliases.is_empty() {
            aliases = default_aliases(cluster_name);
        }
        let extra_allowed_hosts = r.list("FLEET_ALLOWED_HOSTS");

        let container = match r
            .raw("FLEET_CONTAINER")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("auto") => running_in_container(r),
            Some(v) => match parse_flag(v) {
                Some(b) => b,
                None => {
                    r.problem(
                        "FLEET_CONTAINER",
                        format!("expected 1, 0 or auto, got {v:?}"),
                    );
                    false
                }
            },
        };
        let net_policy = NetPolicy {
            container,
            allow_loopback: r.flag("FLEET_ALLOW_LOOPBACK", false),
        };

        let tool_timeout = r.duration("FLEET_TOOL_TIMEOUT", DEFAULT_TOOL_TIMEOUT);
        let mut tool_timeouts = HashMap::new();
        for entry in r.list("FLEET_TOOL_TIMEOUTS") {
            match entry.split_once('=') {
                Some((tool, d)) => match parse_duration(d) {
                    Ok(d) => {
                        tool_timeouts.insert(tool.trim().to_owned(), d);
                    }
                    Err(e) => r.problem("FLEET_TOOL_TIMEOUTS", format!("{tool}: {e}")),
                },
                None => r.problem(
                    "FLEET_TOOL_TIMEOUTS",
                    format!("expected tool=duration, got {entry:?}"),
                ),
            }
        }

        let log_filter = log_filter(&r.string("RUST_LOG", "info"));
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
            r.problem("RUST_LOG", format!("not a log filter: {e}"));
        }
        let log_format = match r
            .string("FLEET_LOG_FORMAT", "text")
            .to_ascii_lowercase()
            .as_str()
        {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                r.problem(
                    "FLEET_LOG_FORMAT",
                    format!("expected text or json, got {other:?}"),
                );
                LogFormat::Text
            }
        };

        let registration = read_registration(cluster_name, r, port, &aliases, net_policy);

        Self {
            listen,
            aliases,
            extra_allowed_hosts,
            registration,
            net_policy,
            tool_timeout,
            tool_timeouts,
            max_concurrent_calls: r.bounded(
                "FLEET_MAX_CONCURRENT_CALLS",
                DEFAULT_MAX_CONCURRENT_CALLS,
                1,
                100_000,
            ) as usize,
            max_body_bytes: r.bounded(
                "FLEET_MAX_BODY_BYTES",
                DEFAULT_MAX_BODY_BYTES,
                1024,
                1 << 30,
            ) as usize,
            max_sse_sessions: r.bounded(
                "FLEET_MAX_SSE_SESSIONS",
                DEFAULT_MAX_SSE_SESSIONS,
                1,
                100_000,
            ) as usize,
            sse_keepalive: r.duration("FLEET_SSE_KEEPALIVE", DEFAULT_SSE_KEEPALIVE),
            session_idle_timeout: r
                .duration("FLEET_SESSION_IDLE_TIMEOUT", DEFAULT_SESSION_IDLE_TIMEOUT),
            shutdown_grace: r.duration("FLEET_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE),
            log_format,
            log_filter,
            fault_tools: read_fault_tools(r),
        }
    }

    /// A configuration for tests: HTTP on `127.0.0.1:0`, no gateway, defaults elsewhere.
    pub fn for_tests(cluster_name: &str) -> Self {
        let mut env = HashMap::new();
        env.insert("PORT".to_owned(), "0".to_owned());
        env.insert("HOST".to_owned(), "127.0.0.1".to_owned());
        env.insert("FLEET_CONTAINER".to_owned(), "0".to_owned());
        // The map holds only valid values, so parsing cannot fail.
        Self::from_source(cluster_name, &env)
            .unwrap_or_else(|e| unreachable!("test defaults are valid: {e}"))
    }

    /// The time limit of one call to `tool`, given the cluster's own default for it.
    pub fn timeout_for(&self, tool: &str, cluster_default: Option<Duration>) -> Duration {
        self.tool_timeouts
            .get(tool)
            .copied()
            .or(cluster_default)
            .unwrap_or(self.tool_timeout)
    }
}

/// The effective stderr filter for `RUST_LOG=spec`: rmcp logs every request in full (tool
/// arguments: file contents, tokens) at `debug`, so unless the operator names rmcp in the filter
/// it is capped at `info`. fleet-core's own argument logging is redacted by the cluster.
pub fn log_filter(spec: &str) -> String {
    let spec = spec.trim();
    let spec = if spec.is_empty() { "info" } else { spec };
    if spec.contains("rmcp") {
        spec.to_owned()
    } else {
        format!("{spec},rmcp=info")
    }
}

/// `sanctuary-utils` → `["sanctuary-utils", "sanctuary_utils"]`.
pub fn default_aliases(cluster_name: &str) -> Vec<String> {
    let mut v = vec![cluster_name.to_owned()];
    let underscored = cluster_name.replace('-', "_");
    if underscored != cluster_name {
        v.push(underscored);
    }
    v
}

fn read_fault_tools(r: &mut EnvReader<'_>) -> bool {
    let wanted = r.flag("FLEET_FAULT_TOOLS", false);
    if wanted && !cfg!(debug_assertions) {
        r.problem(
            "FLEET_FAULT_TOOLS",
            "fault-injection tools exist only in debug builds",
        );
    }
    wanted
}

fn running_in_container(r: &EnvReader<'_>) -> bool {
    r.raw("container").is_some()
        || std::path::Path::new("/.dockerenv").exists()
        || std::path::Path::new("/run/.containerenv").exists()
}

fn read_registration(
    cluster_name: &str,
    r: &mut EnvReader<'_>,
    port: Option<u16>,
    aliases: &[String],
    policy: NetPolicy,
) -> Option<RegistrationConfig> {
    let gateway_url = r.url("MCP_GATEWAY_URL");
    let dialect = match r
        .string("FLEET_REGISTRATION_DIALECT", "contextforge")
        .to_ascii_lowercase()
        .as_str()
    {
        "contextforge" => RegistrationDialect::ContextForge,
        "manifest" => RegistrationDialect::Manifest,
        other => {
            r.problem(
                "FLEET_REGISTRATION_DIALECT",
                format!("expected contextforge or manifest, got {other:?}"),
            );
            RegistrationDialect::ContextForge
        }
    };
    let advertise = r.url("FLEET_ADVERTISE_URL");
    let manifest = r.url("FLEET_MANIFEST_REGISTER_URL");
    let auth = match (
        r.raw("MCPGATEWAY_BEARER_TOKEN"),
        r.raw("MCPGATEWAY_JWT_SECRET"),
    ) {
        (Some(token), _) => GatewayAuth::Bearer(token),
        (None, Some(secret)) => GatewayAuth::Jwt {
            secret,
            subject: r.string("MCPGATEWAY_JWT_SUBJECT", DEFAULT_JWT_SUBJECT),
            audience: r.string("MCPGATEWAY_JWT_AUDIENCE", DEFAULT_JWT_AUDIENCE),
            issuer: r.string("MCPGATEWAY_JWT_ISSUER", DEFAULT_JWT_ISSUER),
        },
        (None, None) => GatewayAuth::None,
    };
    let check_interval = r.duration(
        "FLEET_REGISTRATION_CHECK_INTERVAL",
        DEFAULT_REGISTRATION_CHECK_INTERVAL,
    );
    let max_backoff = r.duration(
        "FLEET_REGISTRATION_MAX_BACKOFF",
        DEFAULT_REGISTRATION_MAX_BACKOFF,
    );
    let deregister_on_shutdown = r.flag("FLEET_DEREGISTER_ON_SHUTDOWN", false);
    let name = r.string("FLEET_GATEWAY_NAME", cluster_name);

    let gateway_url = gateway_url?;
    if let Err(e) = policy.check(&gateway_url, UrlRole::Gateway) {
        r.problem("MCP_GATEWAY_URL", e);
    }
    let Some(port) = port else {
        // stdio mode has no endpoint a gateway could call.
        return None;
    };
    let advertise_url = match advertise {
        Some(u) => u,
        None => {
            let alias = aliases.first().map(String::as_str).unwrap_or(cluster_name);
            match Url::parse(&format!("http://{alias}:{port}/mcp")) {
                Ok(u) => u,
                Err(e) => {
                    r.problem(
                        "FLEET_SERVICE_ALIASES",
                        format!("{alias:?} is not a usable host name: {e}"),
                    );
                    return None;
                }
            }
        }
    };
    if let Err(e) = policy.check(&advertise_url, UrlRole::Advertised) {
        r.problem("FLEET_ADVERTISE_URL", e);
    }
    let manifest_url = match manifest {
        Some(u) => u,
        None => match gateway_url.join(MANIFEST_REGISTER_PATH) {
            Ok(u) => u,
            Err(e) => {
                r.problem(
                    "MCP_GATEWAY_URL",
                    format!("cannot derive the manifest URL: {e}"),
                );
                return None;
            }
        },
    };
    if dialect == RegistrationDialect::Manifest
        && let Err(e) = policy.check(&manifest_url, UrlRole::Gateway)
    {
        r.problem("FLEET_MANIFEST_REGISTER_URL", e);
    }
    let transport = if advertise_url.path().trim_end_matches('/').ends_with("/sse") {
        AdvertisedTransport::Sse
    } else {
        AdvertisedTransport::StreamableHttp
    };
    Some(RegistrationConfig {
        gateway_url,
        dialect,
        manifest_url,
        name,
        advertise_url,
        transport,
        auth,
        check_interval,
        max_backoff,
        deregister_on_shutdown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&'static str, &'static str)]) -> BTreeMap<&'static str, &'static str> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn unset_port_selects_stdio_and_disables_registration() {
        let cfg = CoreConfig::from_source(
            "sanctuary-utils",
            &env(&[
                ("MCP_GATEWAY_URL", "http://sanctuary-gateway:4444"),
                ("FLEET_CONTAINER", "1"),
            ]),
        )
        .unwrap();
        assert!(cfg.listen.is_none());
        assert!(cfg.registration.is_none());
    }

    #[test]
    fn container_defaults_use_aliases() {
        let cfg = CoreConfig::from_source(
            "sanctuary-utils",
            &env(&[
                ("PORT", "8000"),
                ("MCP_GATEWAY_URL", "http://sanctuary-gateway:4444"),
                ("FLEET_CONTAINER", "1"),
            ]),
        )
        .unwrap();
        let reg = cfg.registration.unwrap();
        assert_eq!(
            reg.advertise_url.as_str(),
            "http://sanctuary-utils:8000/mcp"
        );
        assert_eq!(reg.transport, AdvertisedTransport::StreamableHttp);
        assert_eq!(
            reg.manifest_url.as_str(),
            "http://sanctuary-gateway:4444/api/servers/register"
        );
        assert_eq!(cfg.aliases, ["sanctuary-utils", "sanctuary_utils"]);
        assert_eq!(cfg.listen.unwrap().to_string(), "0.0.0.0:8000");
    }

    #[test]
    fn sse_path_selects_sse_transport() {
        let cfg = CoreConfig::from_source(
            "sanctuary-utils",
            &env(&[
                ("PORT", "8000"),
                ("MCP_GATEWAY_URL", "http://sanctuary-gateway:4444"),
                ("FLEET_ADVERTISE_URL", "http://sanctuary_utils:8000/sse"),
                ("FLEET_CONTAINER", "1"),
            ]),
        )
        .unwrap();
        assert_eq!(
            cfg.registration.unwrap().transport,
            AdvertisedTransport::Sse
        );
    }

    #[test]
    fn container_mode_refuses_loopback_and_ip_literals_together() {
        let err = CoreConfig::from_source(
            "sanctuary-utils",
            &env(&[
                ("PORT", "8000"),
                ("MCP_GATEWAY_URL", "http://localhost:4444"),
                ("FLEET_ADVERTISE_URL", "http://10.0.0.7:8000/mcp"),
                ("FLEET_CONTAINER", "1"),
            ]),
        )
        .unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.var.as_str()).collect();
        assert_eq!(vars, ["MCP_GATEWAY_URL", "FLEET_ADVERTISE_URL"]);
        assert!(err.problems[0].message.contains("loopback"), "{err}");
        assert!(err.problems[1].message.contains("IP literal"), "{err}");
    }

    #[test]
    fn loopback_switch_allows_loopback_but_not_other_ip_literals() {
        let base = [
            ("PORT", "8000"),
            ("MCP_GATEWAY_URL", "http://127.0.0.1:4444"),
            ("FLEET_ADVERTISE_URL", "http://127.0.0.1:8100/sse"),
            ("FLEET_CONTAINER", "1"),
            ("FLEET_ALLOW_LOOPBACK", "1"),
        ];
        assert!(CoreConfig::from_source("sanctuary-utils", &env(&base)).is_ok());
        let mut bad = base;
        bad[1] = ("MCP_GATEWAY_URL", "http://192.168.1.9:4444");
        assert!(CoreConfig::from_source("sanctuary-utils", &env(&bad)).is_err());
    }

    #[test]
    fn host_mode_accepts_loopback() {
        let cfg = CoreConfig::from_source(
            "sanctuary-utils",
            &env(&[
                ("PORT", "8100"),
                ("MCP_GATEWAY_URL", "http://127.0.0.1:4444"),
                ("FLEET_CONTAINER", "0"),
            ]),
        );
        assert!(cfg.is_ok(), "{cfg:?}");
    }

    #[test]
    fn every_bad_variable_is_reported_at_once() {
        let err = CoreConfig::from_source(
            "sanctuary-utils",
            &env(&[
                ("PORT", "eighty"),
                ("FLEET_TOOL_TIMEOUT", "soon"),
                ("FLEET_LOG_FORMAT", "xml"),
                ("FLEET_TOOL_TIMEOUTS", "calculator_calculate"),
                ("FLEET_MAX_CONCURRENT_CALLS", "0"),
            ]),
        )
        .unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.var.as_str()).collect();
        assert_eq!(
            vars,
            [
                "PORT",
                "FLEET_TOOL_TIMEOUT",
                "FLEET_TOOL_TIMEOUTS",
                "FLEET_LOG_FORMAT",
                "FLEET_MAX_CONCURRENT_CALLS"
            ]
        );
    }

    #[test]
    fn per_tool_timeouts_override_cluster_defaults() {
        let cfg = CoreConfig::from_source(
            "x",
            &env(&[
                ("FLEET_TOOL_TIMEOUT", "5s"),
                ("FLEET_TOOL_TIMEOUTS", "slow=2m, fast=250ms"),
            ]),
        )
        .unwrap();
        assert_eq!(
            cfg.timeout_for("slow", Some(Duration::from_secs(1))),
            Duration::from_secs(120)
        );
        assert_eq!(cfg.timeout_for("fast", None), Duration::from_millis(250));
        assert_eq!(
            cfg.timeout_for("other", Some(Duration::from_secs(9))),
            Duration::from_secs(9)
        );
        assert_eq!(cfg.timeout_for("other", None), Duration::from_secs(5));
    }

    #[test]
    fn jwt_secret_mints_unless_a_bearer_token_is_given() {
        let base = [
            ("PORT", "8000"),
            ("MCP_GATEWAY_URL", "http://sanctuary-gateway:4444"),
            ("MCPGATEWAY_JWT_SECRET", "s3cret"),
            ("FLEET_CONTAINER", "1"),
        ];
        let cfg = CoreConfig::from_source("x", &env(&base)).unwrap();
        let auth = cfg.registration.unwrap().auth;
        assert!(
            matches!(auth, GatewayAuth::Jwt { ref subject, .. } if subject == DEFAULT_JWT_SUBJECT)
        );
        assert!(!format!("{auth:?}").contains("s3cret"));
        let mut with_token = base.to_vec();
        with_token.push(("MCPGATEWAY_BEARER_TOKEN", "tok"));
        let cfg = CoreConfig::from_source("x", &env(&with_token.into_iter().collect::<Vec<_>>()))
            .unwrap();
        assert!(matches!(cfg.registration.unwrap().auth, GatewayAuth::Bearer(ref t) if t == "tok"));
    }

    #[test]
    fn rmcp_request_dumps_stay_off_unless_asked_for() {
        assert_eq!(log_filter("debug"), "debug,rmcp=info");
        assert_eq!(log_filter(""), "info,rmcp=info");
        assert_eq!(log_filter("info,rmcp=debug"), "info,rmcp=debug");
        let err =
            CoreConfig::from_source("x", &env(&[("RUST_LOG", "info,=nonsense=")])).unwrap_err();
        assert_eq!(err.problems[0].var, "RUST_LOG");
    }

    #[test]
    fn durations_accept_units_and_bare_seconds() {
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("-3").is_err());
        assert!(parse_duration("later").is_err());
    }
}
