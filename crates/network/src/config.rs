//! Settings of the network cluster (`NET_*`, plus `BRAVE_API_KEY` as the issue names it), read
//! with fleet-core's reader so their problems are reported together with the core ones.
//!
//! Nothing here touches the network: the allow-list, static host table and CA certificates are
//! parsed and validated once at start-up; [`crate::net`] applies them.

use std::{collections::BTreeMap, net::IpAddr, num::NonZeroU32, time::Duration};

use fleet_core::{EnvReader, EnvVar};
use url::Url;

use crate::net::policy::{AddressPolicy, AllowEntry};

/// Default time limit of one TCP + TLS connection attempt (and of one DNS lookup).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time limit of one hop: request sent, headers and the whole body received.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time limit of one tool call: every robots.txt lookup, request and redirect hop.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(45);
/// Default number of redirects followed before giving up.
pub const DEFAULT_MAX_REDIRECTS: u64 = 10;
/// Default cap on a response body, in bytes (bodies are streamed and cut at this size).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 5 * 1024 * 1024;
/// Default cap on an `http_request` body sent by the caller, in bytes.
pub const DEFAULT_MAX_REQUEST_BODY_BYTES: u64 = 1024 * 1024;
/// Default per-host rate: requests per period, e.g. `10/s`.
pub const DEFAULT_HOST_RATE_LIMIT: &str = "10/s";
/// Default cap on outbound requests in flight at once (all hosts, all sessions).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u64 = 16;
/// Default lifetime of a cached robots.txt (per origin).
pub const DEFAULT_ROBOTS_CACHE_TTL: Duration = Duration::from_secs(3600);
/// Default lifetime of a converted page kept for paginated `fetch` calls.
pub const DEFAULT_FETCH_CACHE_TTL: Duration = Duration::from_secs(60);
/// The Brave Search API's web endpoint.
pub const DEFAULT_BRAVE_API_URL: &str = "https://api.search.brave.com/res/v1/web/search";
/// Product token of the default user agents; robots.txt groups are matched against it.
pub const DEFAULT_AGENT_TOKEN: &str = "SanctuaryNetwork";

/// Every variable this cluster reads.
pub const NET_VARS: &[EnvVar] = &[
    EnvVar {
        name: "NET_ALLOW",
        default: "",
        help: "Trusted internal destinations the SSRF guard lets through: host names (api.internal, *.corp.example), IPs or CIDRs (10.1.0.0/16), comma-separated; cloud metadata stays refused",
    },
    EnvVar {
        name: "NET_ALLOW_PRIVATE_IPS",
        default: "0",
        help: "DANGEROUS: turn the SSRF guard off, letting the model reach loopback, the private network and cloud metadata endpoints",
    },
    EnvVar {
        name: "NET_STATIC_HOSTS",
        default: "",
        help: "Fixed name resolution, name=ip|ip,... (like curl --resolve); the addresses are checked like DNS answers",
    },
    EnvVar {
        name: "NET_IGNORE_ROBOTS_TXT",
        default: "0",
        help: "Do not consult robots.txt before autonomous fetches (fetch, fetch_url)",
    },
    EnvVar {
        name: "NET_USER_AGENT",
        default: "SanctuaryNetwork/<version> (Autonomous|User-Specified; +https://github.com/sanctuary-fleet/sanctuary-fleet)",
        help: "User-Agent for every request, replacing both defaults; its product token is matched against robots.txt groups",
    },
    EnvVar {
        name: "NET_CONNECT_TIMEOUT",
        default: "10s",
        help: "Time limit of one DNS lookup and of one TCP + TLS connection",
    },
    EnvVar {
        name: "NET_REQUEST_TIMEOUT",
        default: "30s",
        help: "Time limit of one hop: request, headers and the whole body",
    },
    EnvVar {
        name: "NET_TOTAL_TIMEOUT",
        default: "45s",
        help: "Time limit of one tool call across robots.txt lookups, requests and redirects",
    },
    EnvVar {
        name: "NET_MAX_REDIRECTS",
        default: "10",
        help: "Redirects followed before a request fails",
    },
    EnvVar {
        name: "NET_MAX_BODY_BYTES",
        default: "5242880",
        help: "Largest response body read, in bytes; bodies are streamed and cut there (the result says so)",
    },
    EnvVar {
        name: "NET_MAX_REQUEST_BODY_BYTES",
        default: "1048576",
        help: "Largest body http_request sends",
    },
    EnvVar {
        name: "NET_HOST_RATE_LIMIT",
        default: DEFAULT_HOST_RATE_LIMIT,
        help: "Requests per host per period (N/s, N/m or N/h, burst N), or off; a call that would wait past its time limit fails at once",
    },
    EnvVar {
        name: "NET_MAX_CONCURRENT_REQUESTS",
        default: "16",
        help: "Outbound requests in flight at once, across all hosts and sessions",
    },
    EnvVar {
        name: "NET_ROBOTS_CACHE_TTL",
        default: "1h",
        help: "How long a robots.txt is cached per origin (failures: at most 1 minute)",
    },
    EnvVar {
        name: "NET_FETCH_CACHE_TTL",
        default: "60s",
        help: "How long a converted page is kept in memory for paginated fetch calls (0 disables)",
    },
    EnvVar {
        name: "NET_EXTRA_CA_PEM",
        default: "",
        help: "PEM certificates trusted in addition to the system roots (an internal CA)",
    },
    EnvVar {
        name: "NET_SEARCH_BACKEND",
        default: "auto",
        help: "web_search backend: auto (brave when BRAVE_API_KEY is set, else searxng when NET_SEARXNG_URL is set), brave, searxng or none",
    },
    EnvVar {
        name: "BRAVE_API_KEY",
        default: "",
        help: "Brave Search API subscription token; enables web_search through Brave",
    },
    EnvVar {
        name: "NET_BRAVE_API_URL",
        default: DEFAULT_BRAVE_API_URL,
        help: "Brave web search endpoint (trusted: exempt from the SSRF guard)",
    },
    EnvVar {
        name: "NET_SEARXNG_URL",
        default: "",
        help: "Base URL of a SearXNG instance with the JSON format enabled (trusted: exempt from the SSRF guard)",
    },
];

/// A per-host rate: `count` requests per `period`, burst `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostRate {
    /// Requests allowed per period (also the burst).
    pub count: NonZeroU32,
    /// The period.
    pub period: Duration,
}

/// Which search backend `web_search` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchSettings {
    /// No backend: `web_search` answers with an error saying how to configure one.
    None,
    /// The Brave Search API.
    Brave {
        /// The subscription token (never logged: `Debug` hides it).
        api_key: Secret,
        /// The endpoint.
        url: Url,
    },
    /// A SearXNG instance.
    Searxng {
        /// Its base URL.
        url: Url,
    },
}

/// A string that never appears in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Network settings.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// What the SSRF guard refuses and what the allow-list lets through.
    pub policy: AddressPolicy,
    /// Fixed name resolution, consulted before DNS; answers are still checked.
    pub static_hosts: BTreeMap<String, Vec<IpAddr>>,
    /// Skip robots.txt for autonomous fetches.
    pub ignore_robots_txt: bool,
    /// Replaces both default user agents when set.
    pub user_agent: Option<String>,
    /// One DNS lookup or connection.
    pub connect_timeout: Duration,
    /// One hop.
    pub request_timeout: Duration,
    /// One tool call.
    pub total_timeout: Duration,
    /// Redirects followed.
    pub max_redirects: usize,
    /// Response body cap.
    pub max_body_bytes: usize,
    /// Request body cap.
    pub max_request_body_bytes: usize,
    /// Per-host rate, `None` when off.
    pub host_rate: Option<HostRate>,
    /// Outbound requests in flight at once.
    pub max_concurrent_requests: usize,
    /// robots.txt cache lifetime.
    pub robots_cache_ttl: Duration,
    /// Converted-page cache lifetime (zero disables the cache).
    pub fetch_cache_ttl: Duration,
    /// Extra trusted CA certificates, PEM.
    pub extra_ca_pem: Option<String>,
    /// The `web_search` backend.
    pub search: SearchSettings,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            policy: AddressPolicy::default(),
            static_hosts: BTreeMap::new(),
            ignore_robots_txt: false,
            user_agent: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_redirects: DEFAULT_MAX_REDIRECTS as usize,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES as usize,
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES as usize,
            host_rate: parse_rate(DEFAULT_HOST_RATE_LIMIT).ok().flatten(),
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS as usize,
            robots_cache_ttl: DEFAULT_ROBOTS_CACHE_TTL,
            fetch_cache_ttl: DEFAULT_FETCH_CACHE_TTL,
            extra_ca_pem: None,
            search: SearchSettings::None,
        }
    }
}

impl NetConfig {
    /// Read the `NET_*` variables and `BRAVE_API_KEY`.
    pub fn read(r: &mut EnvReader<'_>) -> Self {
        let mut allow = Vec::new();
        for entry in r.list("NET_ALLOW") {
            match AllowEntry::parse(&entry) {
                Ok(e) => allow.push(e),
                Err(e) => r.problem("NET_ALLOW", e),
            }
        }
        let allow_private = r.flag("NET_ALLOW_PRIVATE_IPS", false);
        let static_hosts = match r.raw("NET_STATIC_HOSTS") {
            Some(v) => parse_static_hosts(&v).unwrap_or_else(|e| {
                r.problem("NET_STATIC_HOSTS", e);
                BTreeMap::new()
            }),
            None => BTreeMap::new(),
        };
        let host_rate = match parse_rate(&r.string("NET_HOST_RATE_LIMIT", DEFAULT_HOST_RATE_LIMIT))
        {
            Ok(rate) => rate,
            Err(e) => {
                r.problem("NET_HOST_RATE_LIMIT", e);
                None
            }
        };
        let connect_timeout = bounded_duration(r, "NET_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT);
        let request_timeout = bounded_duration(r, "NET_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT);
        let total_timeout = bounded_duration(r, "NET_TOTAL_TIMEOUT", DEFAULT_TOTAL_TIMEOUT);
        let mut extra_ca_pem = r.raw("NET_EXTRA_CA_PEM");
        if let Some(pem) = &extra_ca_pem
            && let Err(e) = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| e.to_string())
                .and_then(|certs| {
                    if certs.is_empty() {
                        Err("no certificate found".to_owned())
                    } else {
                        Ok(())
                    }
                })
        {
            r.problem(
                "NET_EXTRA_CA_PEM",
                format!("not a PEM certificate bundle: {e}"),
            );
            extra_ca_pem = None;
        }
        let mut user_agent = r.raw("NET_USER_AGENT");
        if let Some(ua) = &user_agent
            && reqwest::header::HeaderValue::from_str(ua).is_err()
        {
            r.problem(
                "NET_USER_AGENT",
                "contains characters a header cannot carry (control characters)",
            );
            user_agent = None;
        }
        let search = read_search(r);
        Self {
            policy: AddressPolicy::new(allow_private, allow),
            static_hosts,
            ignore_robots_txt: r.flag("NET_IGNORE_ROBOTS_TXT", false),
            user_agent,
            connect_timeout,
            request_timeout,
            total_timeout,
            max_redirects: r.bounded("NET_MAX_REDIRECTS", DEFAULT_MAX_REDIRECTS, 0, 50) as usize,
            max_body_bytes: r.bounded(
                "NET_MAX_BODY_BYTES",
                DEFAULT_MAX_BODY_BYTES,
                1024,
                256 << 20,
            ) as usize,
            max_request_body_bytes: r.bounded(
                "NET_MAX_REQUEST_BODY_BYTES",
                DEFAULT_MAX_REQUEST_BODY_BYTES,
                0,
                64 << 20,
            ) as usize,
            host_rate,
            max_concurrent_requests: r.bounded(
                "NET_MAX_CONCURRENT_REQUESTS",
                DEFAULT_MAX_CONCURRENT_REQUESTS,
                1,
                1024,
            ) as usize,
            robots_cache_ttl: r.duration("NET_ROBOTS_CACHE_TTL", DEFAULT_ROBOTS_CACHE_TTL),
            fetch_cache_ttl: r.duration("NET_FETCH_CACHE_TTL", DEFAULT_FETCH_CACHE_TTL),
            extra_ca_pem,
            search,
        }
    }
}

/// A duration that must be positive.
fn bounded_duration(r: &mut EnvReader<'_>, name: &str, default: Duration) -> Duration {
    let d = r.duration(name, default);
    if d.is_zero() {
        r.problem(name, "must be longer than zero");
        return default;
    }
    d
}

fn read_search(r: &mut EnvReader<'_>) -> SearchSettings {
    let key = r.raw("BRAVE_API_KEY");
    let brave_url = r
        .url("NET_BRAVE_API_URL")
        .or_else(|| Url::parse(DEFAULT_BRAVE_API_URL).ok());
    let searxng = r.url("NET_SEARXNG_URL");
    let brave = |r: &mut EnvReader<'_>| match (key.clone(), brave_url.clone()) {
        (Some(k), Some(url)) => SearchSettings::Brave {
            api_key: Secret(k),
            url,
        },
        (None, _) => {
            r.problem(
                "NET_SEARCH_BACKEND",
                "brave needs BRAVE_API_KEY (a Brave Search API subscription token)",
            );
            SearchSettings::None
        }
        (Some(_), None) => SearchSettings::None,
    };
    match r
        .string("NET_SEARCH_BACKEND", "auto")
        .to_ascii_lowercase()
        .as_str()
    {
        "auto" => match (&key, &searxng) {
            (Some(_), _) => brave(r),
            (None, Some(url)) => SearchSettings::Searxng { url: url.clone() },
            (None, None) => SearchSettings::None,
        },
        "brave" => brave(r),
        "searxng" => match searxng {
            Some(url) => SearchSettings::Searxng { url },
            None => {
                r.problem("NET_SEARCH_BACKEND", "searxng needs NET_SEARXNG_URL");
                SearchSettings::None
            }
        },
        "none" | "off" => SearchSettings::None,
        other => {
            r.problem(
                "NET_SEARCH_BACKEND",
                format!("expected auto, brave, searxng or none, got {other:?}"),
            );
            SearchSettings::None
        }
    }
}

/// Parse `N/s`, `N/m`, `N/h` (or `off`, `0`) into a rate.
pub fn parse_rate(v: &str) -> Result<Option<HostRate>, String> {
    let v = v.trim().to_ascii_lowercase();
    if v == "off" || v == "0" || v == "none" {
        return Ok(None);
    }
    let (n, unit) = v
        .split_once('/')
        .ok_or_else(|| format!("expected N/s, N/m, N/h or off, got {v:?}"))?;
    let count: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a whole number of requests"))?;
    let count = NonZeroU32::new(count).ok_or_else(|| "use off to disable the limit".to_owned())?;
    let period = match unit.trim() {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        other => return Err(format!("unknown period {other:?}; use s, m or h")),
    };
    Ok(Some(HostRate { count, period }))
}

/// Parse `name=ip|ip,name2=ip` into a lower-case name table.
pub fn parse_static_hosts(v: &str) -> Result<BTreeMap<String, Vec<IpAddr>>, String> {
    let mut map = BTreeMap::new();
    for entry in v.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, ips) = entry
            .split_once('=')
            .ok_or_else(|| format!("expected name=ip, got {entry:?}"))?;
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() || name.parse::<IpAddr>().is_ok() {
            return Err(format!("{entry:?} does not start with a host name"));
        }
        let mut addrs = Vec::new();
        for ip in ips.split('|').map(str::trim) {
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            addrs.push(
                ip.parse::<IpAddr>()
                    .map_err(|_| format!("{ip:?} in {entry:?} is not an IP address"))?,
            );
        }
        map.insert(name, addrs);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use fleet_core::EnvReader;

    use super::*;

    fn read(pairs: &[(&'static str, &'static str)]) -> Result<NetConfig, Vec<String>> {
        let env: BTreeMap<&str, &str> = pairs.iter().copied().collect();
        let mut r = EnvReader::new(&env);
        let cfg = NetConfig::read(&mut r);
        r.finish()
            .map(|()| cfg)
            .map_err(|e| e.problems.into_iter().map(|p| p.var).collect())
    }

    #[test]
    fn defaults_are_safe() {
        let cfg = read(&[]).unwrap();
        assert!(!cfg.policy.allow_private());
        assert!(!cfg.ignore_robots_txt);
        assert_eq!(cfg.search, SearchSettings::None);
        assert_eq!(
            cfg.host_rate,
            Some(HostRate {
                count: NonZeroU32::new(10).unwrap(),
                period: Duration::from_secs(1)
            })
        );
        assert_eq!(cfg.total_timeout, Duration::from_secs(45));
    }

    #[test]
    fn every_bad_variable_is_reported() {
        let err = read(&[
            ("NET_ALLOW", "10.0.0.0/33,ok.example"),
            ("NET_STATIC_HOSTS", "a.example=not-an-ip"),
            ("NET_HOST_RATE_LIMIT", "5 per second"),
            ("NET_MAX_BODY_BYTES", "12"),
            ("NET_SEARCH_BACKEND", "brave"),
            ("NET_EXTRA_CA_PEM", "hello"),
            ("NET_TOTAL_TIMEOUT", "0s"),
        ])
        .unwrap_err();
        for var in [
            "NET_ALLOW",
            "NET_STATIC_HOSTS",
            "NET_HOST_RATE_LIMIT",
            "NET_MAX_BODY_BYTES",
            "NET_SEARCH_BACKEND",
            "NET_EXTRA_CA_PEM",
            "NET_TOTAL_TIMEOUT",
        ] {
            assert!(err.iter().any(|v| v == var), "{var} not reported: {err:?}");
        }
    }

    #[test]
    fn search_backend_follows_the_configuration() {
        let brave = read(&[("BRAVE_API_KEY", "k3y")]).unwrap();
        assert!(
            matches!(brave.search, SearchSettings::Brave { ref api_key, .. } if api_key.0 == "k3y")
        );
        assert!(!format!("{brave:?}").contains("k3y"));
        let searx = read(&[("NET_SEARXNG_URL", "http://searxng:8080")]).unwrap();
        assert!(matches!(searx.search, SearchSettings::Searxng { .. }));
        let none = read(&[("BRAVE_API_KEY", "k"), ("NET_SEARCH_BACKEND", "none")]).unwrap();
        assert_eq!(none.search, SearchSettings::None);
    }

    #[test]
    fn rates_and_static_hosts_parse() {
        assert_eq!(parse_rate("off").unwrap(), None);
        let r = parse_rate("3/m").unwrap().unwrap();
        assert_eq!((r.count.get(), r.period), (3, Duration::from_secs(60)));
        assert!(parse_rate("0/s").is_err());
        let hosts = parse_static_hosts("API.Example.=10.0.0.1|[::1], b.test=127.0.0.1").unwrap();
        assert_eq!(hosts["api.example"].len(), 2);
        assert_eq!(
            hosts["b.test"],
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
        assert!(parse_static_hosts("127.0.0.1=127.0.0.1").is_err());
    }
}
