//! The SSRF rules: which addresses and host names a request may reach.
//!
//! An address is public only if it is global unicast and outside every special-purpose range of
//! the IANA registries. IPv6 is judged by allow-listing `2000::/3` (global unicast) minus its
//! special blocks, so loopback, link-local, unique-local, multicast, discard and NAT64 local-use
//! ranges are refused without being listed. An IPv4-mapped (`::ffff:a.b.c.d`) or well-known NAT64
//! (`64:ff9b::a.b.c.d`) address is judged by the IPv4 address it carries. Decimal, octal and hex
//! IPv4 spellings (`2130706433`, `0177.0.0.1`, `0x7f.1`) need no rule of their own: the WHATWG URL
//! parser turns them into the address before anything here sees the host.
//!
//! Cloud metadata endpoints are refused by address and by name even when the allow-list covers
//! them; only the dangerous off-switch lets them through. This module does no I/O: the resolver
//! ([`super::resolver`]) and the request loop ([`super::client`]) apply it.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    sync::LazyLock,
};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Why an address is not a public destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forbidden {
    /// The range and its name, e.g. `private network (10.0.0.0/8, RFC 1918)`.
    pub range: &'static str,
    /// A cloud metadata endpoint: refused even when allow-listed.
    pub metadata: bool,
    /// How an IPv4 address was wrapped, when it was (`IPv4-mapped`, `NAT64`).
    pub wrapped: Option<(&'static str, Ipv4Addr)>,
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.wrapped {
            Some((how, v4)) => write!(f, "an {how} form of {v4}, {}", self.range),
            None => f.write_str(self.range),
        }
    }
}

/// IPv4 ranges that are not public destinations, checked in order (first match names the reason).
const V4_FORBIDDEN: &[(&str, &str)] = &[
    ("0.0.0.0/8", "\"this network\" (0.0.0.0/8, unspecified)"),
    ("10.0.0.0/8", "private network (10.0.0.0/8, RFC 1918)"),
    (
        "100.64.0.0/10",
        "carrier-grade NAT (100.64.0.0/10, RFC 6598)",
    ),
    ("127.0.0.0/8", "loopback (127.0.0.0/8)"),
    ("169.254.0.0/16", "link-local (169.254.0.0/16)"),
    ("172.16.0.0/12", "private network (172.16.0.0/12, RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"),
    ("192.0.2.0/24", "documentation (192.0.2.0/24, TEST-NET-1)"),
    ("192.88.99.0/24", "6to4 relay anycast (192.88.99.0/24)"),
    (
        "192.168.0.0/16",
        "private network (192.168.0.0/16, RFC 1918)",
    ),
    ("198.18.0.0/15", "benchmarking (198.18.0.0/15)"),
    (
        "198.51.100.0/24",
        "documentation (198.51.100.0/24, TEST-NET-2)",
    ),
    (
        "203.0.113.0/24",
        "documentation (203.0.113.0/24, TEST-NET-3)",
    ),
    ("224.0.0.0/4", "multicast (224.0.0.0/4)"),
    ("240.0.0.0/4", "reserved (240.0.0.0/4, including broadcast)"),
];

/// Globally reachable assignments inside the ranges above (anycast services).
const V4_EXCEPTIONS: &[&str] = &["192.0.0.9/32", "192.0.0.10/32"];

/// Special blocks inside IPv6 global unicast (`2000::/3`).
const V6_FORBIDDEN: &[(&str, &str)] = &[
    (
        "2001::/23",
        "IETF protocol assignments (2001::/23, including Teredo)",
    ),
    ("2001:db8::/32", "documentation (2001:db8::/32)"),
    ("2002::/16", "6to4 (2002::/16)"),
    ("3fff::/20", "documentation (3fff::/20)"),
];

/// Globally reachable assignments inside 2001::/23 (anycast, AMT, AS112, ORCHIDv2).
const V6_EXCEPTIONS: &[&str] = &[
    "2001:1::1/128",
    "2001:1::2/128",
    "2001:3::/32",
    "2001:4:112::/48",
    "2001:20::/28",
    "2001:30::/28",
];

/// Cloud metadata endpoints (AWS, ECS, GCP, Azure, Oracle, Alibaba, AWS IPv6, GCP IPv6).
const METADATA_ADDRESSES: &[&str] = &[
    "169.254.169.254",
    "169.254.169.253",
    "169.254.169.123",
    "169.254.170.2",
    "169.254.170.23",
    "100.100.100.200",
    "fd00:ec2::254",
    "fd00:ec2::253",
    "fd00:ec2::23",
    "fd20:ce::254",
];

/// Host names of cloud metadata services, refused before any lookup.
const METADATA_NAMES: &[&str] = &[
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.internal",
];

/// The tables above, parsed once (a malformed entry would be dropped, and the unit tests, which
/// check every listed range, would fail).
struct Tables {
    v4_forbidden: Vec<(Ipv4Net, &'static str)>,
    v4_exceptions: Vec<IpNet>,
    v6_forbidden: Vec<(Ipv6Net, &'static str)>,
    v6_exceptions: Vec<IpNet>,
    metadata: Vec<IpAddr>,
    nat64: Option<Ipv6Net>,
    global_unicast: Option<Ipv6Net>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| Tables {
    v4_forbidden: V4_FORBIDDEN
        .iter()
        .filter_map(|(r, n)| Some((r.parse().ok()?, *n)))
        .collect(),
    v4_exceptions: V4_EXCEPTIONS
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect(),
    v6_forbidden: V6_FORBIDDEN
        .iter()
        .filter_map(|(r, n)| Some((r.parse().ok()?, *n)))
        .collect(),
    v6_exceptions: V6_EXCEPTIONS
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect(),
    metadata: METADATA_ADDRESSES
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect(),
    nat64: "64:ff9b::/96".parse().ok(),
    global_unicast: "2000::/3".parse().ok(),
});

/// Whether `ip` is a cloud metadata endpoint (also through an IPv4-mapped or NAT64 wrapping).
pub fn is_metadata(ip: IpAddr) -> bool {
    let ip = unwrap_v4(ip).map_or(ip, |(_, v4)| IpAddr::V4(v4));
    TABLES.metadata.contains(&ip)
}

/// The IPv4 address inside an IPv4-mapped or well-known-prefix NAT64 IPv6 address.
fn unwrap_v4(ip: IpAddr) -> Option<(&'static str, Ipv4Addr)> {
    let IpAddr::V6(v6) = ip else { return None };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(("IPv4-mapped IPv6 address", v4));
    }
    if TABLES.nat64.is_some_and(|n| n.contains(&v6)) {
        let [.., a, b, c, d] = v6.octets();
        return Some(("NAT64 (64:ff9b::/96) address", Ipv4Addr::new(a, b, c, d)));
    }
    None
}

/// `None` when `ip` is a public destination; otherwise why not.
pub fn classify(ip: IpAddr) -> Option<Forbidden> {
    let metadata = is_metadata(ip);
    if let Some((how, v4)) = unwrap_v4(ip) {
        return classify_v4(v4).map(|f| Forbidden {
            wrapped: Some((how, v4)),
            metadata,
            ..f
        });
    }
    let found = match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    };
    found.map(|f| Forbidden { metadata, ..f })
}

fn classify_v4(v4: Ipv4Addr) -> Option<Forbidden> {
    let ip = IpAddr::V4(v4);
    if TABLES.v4_exceptions.iter().any(|n| n.contains(&ip)) {
        return None;
    }
    let metadata = is_metadata(ip);
    TABLES
        .v4_forbidden
        .iter()
        .find(|(range, _)| range.contains(&v4))
        .map(|(_, name)| Forbidden {
            range: if metadata {
                "cloud metadata endpoint"
            } else {
                name
            },
            metadata,
            wrapped: None,
        })
}

fn classify_v6(v6: Ipv6Addr) -> Option<Forbidden> {
    let ip = IpAddr::V6(v6);
    let forbid = |range: &'static str| {
        Some(Forbidden {
            range,
            metadata: is_metadata(ip),
            wrapped: None,
        })
    };
    if is_metadata(ip) {
        return forbid("cloud metadata endpoint");
    }
    if v6.is_unspecified() {
        return forbid("unspecified (::)");
    }
    if v6.is_loopback() {
        return forbid("loopback (::1)");
    }
    if !TABLES.global_unicast.is_some_and(|n| n.contains(&v6)) {
        let [first, second, ..] = v6.octets();
        return forbid(match (first, second & 0xc0) {
            (0xfc | 0xfd, _) => "unique local (fc00::/7)",
            (0xfe, 0x80) => "link-local (fe80::/10)",
            (0xfe, 0xc0) => "site-local (fec0::/10, deprecated)",
            (0xff, _) => "multicast (ff00::/8)",
            _ if v6.segments()[..2] == [0x0064, 0xff9b] => {
                if v6.segments()[2] == 1 {
                    "NAT64 local-use (64:ff9b:1::/48)"
                } else {
                    "NAT64 outside the well-known prefix (64:ff9b::/32)"
                }
            }
            (0x00, _) => "reserved (::/8, including IPv4-compatible addresses)",
            (0x01, _) => "reserved (discard 100::/64 and other IETF blocks)",
            _ => "outside IPv6 global unicast (2000::/3)",
        });
    }
    if TABLES.v6_exceptions.iter().any(|n| n.contains(&ip)) {
        return None;
    }
    TABLES
        .v6_forbidden
        .iter()
        .rev() // the narrower blocks come after the wider one they sit in
        .find(|(range, _)| range.contains(&v6))
        .map(|(_, name)| Forbidden {
            range: name,
            metadata: false,
            wrapped: None,
        })
}

/// Whether `host` names loopback by definition (RFC 6761: `localhost` and `*.localhost`).
pub fn is_localhost_name(host: &str) -> bool {
    let h = normalize_host(host);
    h == "localhost" || h.ends_with(".localhost")
}

/// Whether `host` is the name of a cloud metadata service.
pub fn is_metadata_name(host: &str) -> bool {
    let h = normalize_host(host);
    METADATA_NAMES.contains(&h.as_str())
}

/// Lower case, without the trailing root dot.
pub fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// One entry of the allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    /// Addresses in this network are let through whatever name led to them.
    Net(IpNet),
    /// This exact host name (lower case, no trailing dot).
    Host(String),
    /// Any subdomain of this suffix (`*.corp.example` matches `a.corp.example`, not `corp.example`).
    Suffix(String),
}

impl AllowEntry {
    /// Parse a CIDR, an IP address, a host name or `*.suffix`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(n) = s.parse::<IpNet>() {
            return Ok(Self::Net(n.trunc()));
        }
        if let Ok(ip) = s
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Ok(Self::Net(IpNet::from(ip)));
        }
        let (wild, name) = match s.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let name = normalize_host(name);
        let valid = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !valid || s.contains('/') {
            return Err(format!(
                "{s:?} is not a host name, *.suffix, IP address or CIDR"
            ));
        }
        Ok(if wild {
            Self::Suffix(name)
        } else {
            Self::Host(name)
        })
    }

    fn matches_host(&self, host: &str) -> bool {
        match self {
            Self::Host(h) => h == host,
            Self::Suffix(s) => host.len() > s.len() + 1 && host.ends_with(&format!(".{s}")),
            Self::Net(_) => false,
        }
    }
}

/// A destination the guard refused, before any connection to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The host as the URL named it.
    pub host: String,
    /// The address that was refused, when the refusal is about an address.
    pub addr: Option<IpAddr>,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            Some(addr) if addr.to_string() == self.host.trim_matches(['[', ']']) => {
                write!(f, "{addr} is not a public address: {}", self.reason)
            }
            Some(addr) => write!(
                f,
                "{} resolves to {addr}, which is not a public address: {}",
                self.host, self.reason
            ),
            None => write!(f, "{} is not allowed: {}", self.host, self.reason),
        }
    }
}

impl std::error::Error for Refusal {}

/// What the SSRF guard lets through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    allow_private: bool,
    allow: Vec<AllowEntry>,
}

impl AddressPolicy {
    /// A policy with the off-switch and the allow-list.
    pub fn new(allow_private: bool, allow: Vec<AllowEntry>) -> Self {
        Self {
            allow_private,
            allow,
        }
    }

    /// Whether the guard is off (dangerous).
    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// The same policy with `host` trusted too (for operator-configured backends).
    pub fn with_trusted_host(&self, host: &str) -> Self {
        let mut p = self.clone();
        p.allow.push(AllowEntry::Host(normalize_host(host)));
        p
    }

    /// Whether the allow-list names `host`.
    pub fn host_allowed(&self, host: &str) -> bool {
        let h = normalize_host(host);
        self.allow.iter().any(|e| e.matches_host(&h))
    }

    fn net_allowed(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|e| match e {
            AllowEntry::Net(n) => n.contains(&ip),
            _ => false,
        })
    }

    /// Check a host name before it is resolved: names that mean loopback or a metadata service.
    pub fn check_name(&self, host: &str) -> Result<(), Refusal> {
        if self.allow_private {
            return Ok(());
        }
        let refusal = |reason: &str| Refusal {
            host: host.to_owned(),
            addr: None,
            reason: reason.to_owned(),
        };
        if is_metadata_name(host) {
            return Err(refusal("it names a cloud metadata service"));
        }
        if is_localhost_name(host) && !self.host_allowed(host) {
            return Err(refusal(
                "localhost names are loopback (RFC 6761); only public addresses may be fetched (NET_ALLOW lists trusted internal hosts)",
            ));
        }
        Ok(())
    }

    /// Check one address `host` led to (the host itself when it is an IP literal).
    pub fn check_addr(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        if self.allow_private {
            return Ok(());
        }
        let Some(forbidden) = classify(ip) else {
            return Ok(());
        };
        if !forbidden.metadata && (self.host_allowed(host) || self.net_allowed(ip)) {
            return Ok(());
        }
        let reason = if forbidden.metadata {
            format!("{forbidden}, which is never fetched, even when NET_ALLOW covers it")
        } else {
            format!(
                "{forbidden}; only public addresses may be fetched (NET_ALLOW lists trusted internal hosts)"
            )
        };
        Err(Refusal {
            host: host.to_owned(),
            addr: Some(ip),
            reason,
        })
    }

    /// Keep the addresses `host` may reach; the first refusal when none is left.
    pub fn filter(&self, host: &str, addrs: Vec<IpAddr>) -> Result<Vec<IpAddr>, Refusal> {
        let mut first_refusal = None;
        let mut kept = Vec::with_capacity(addrs.len());
        for ip in addrs {
            match self.check_addr(host, ip) {
                Ok(()) => kept.push(ip),
                Err(r) => {
                    first_refusal.get_or_insert(r);
                }
            }
        }
        match (kept.is_empty(), first_refusal) {
            (false, _) => Ok(kept),
            (true, Some(r)) => Err(r),
            (true, None) => Err(Refusal {
                host: host.to_owned(),
                addr: None,
                reason: "a name with no addresses".to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use url::{Host, Url};

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn strict() -> AddressPolicy {
        AddressPolicy::default()
    }

    #[test]
    fn every_table_entry_parses() {
        assert_eq!(TABLES.v4_forbidden.len(), V4_FORBIDDEN.len());
        assert_eq!(TABLES.v4_exceptions.len(), V4_EXCEPTIONS.len());
        assert_eq!(TABLES.v6_forbidden.len(), V6_FORBIDDEN.len());
        assert_eq!(TABLES.v6_exceptions.len(), V6_EXCEPTIONS.len());
        assert_eq!(TABLES.metadata.len(), METADATA_ADDRESSES.len());
        assert!(TABLES.nat64.is_some() && TABLES.global_unicast.is_some());
    }

    #[test]
    fn public_addresses_pass() {
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.215.14",
            "192.0.0.9",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2001:3::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(classify(ip(a)), None, "{a}");
        }
    }

    #[test]
    fn every_special_purpose_range_is_refused() {
        for (a, needle) in [
            ("0.0.0.0", "unspecified"),
            ("10.1.2.3", "RFC 1918"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("169.254.1.1", "link-local"),
            ("172.16.0.1", "RFC 1918"),
            ("172.31.255.255", "RFC 1918"),
            ("192.0.0.8", "IETF"),
            ("192.0.2.1", "documentation"),
            ("192.88.99.1", "6to4"),
            ("192.168.1.1", "RFC 1918"),
            ("198.18.0.1", "benchmarking"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "reserved"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("fc00::1", "unique local"),
            ("fd12:3456::1", "unique local"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("100::1", "discard"),
            ("64:ff9b:1::a00:1", "NAT64 local-use"),
            ("2001::1", "Teredo"),
            ("2001:db8::1", "documentation"),
            ("2002:c0a8:101::1", "6to4"),
            ("3fff::1", "documentation"),
        ] {
            let f = classify(ip(a)).unwrap_or_else(|| panic!("{a} passed"));
            assert!(f.to_string().contains(needle), "{a}: {f}");
        }
    }

    #[test]
    fn wrapped_ipv4_is_judged_by_what_it_wraps() {
        let mapped = classify(ip("::ffff:127.0.0.1")).unwrap();
        assert_eq!(
            mapped.to_string(),
            "an IPv4-mapped IPv6 address form of 127.0.0.1, loopback (127.0.0.0/8)"
        );
        let nat64 = classify(ip("64:ff9b::a00:1")).unwrap();
        assert!(nat64.to_string().contains("NAT64") && nat64.to_string().contains("10.0.0.1"));
        assert!(classify(ip("64:ff9b::c0a8:101")).is_some());
        assert!(classify(ip("::ffff:169.254.169.254")).unwrap().metadata);
    }

    #[test]
    fn whatwg_parsing_normalizes_every_ipv4_spelling() {
        // The URL parser reqwest uses turns these into 127.0.0.1 before the guard sees them.
        for spelling in [
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.0.0.1/",
            "http://0x7f000001/",
            "http://127.1/",
            "http://127.0.1/",
            "http://0177.1/",
            "http://%31%32%37.0.0.1/",
        ] {
            let url = Url::parse(spelling).unwrap();
            assert_eq!(
                url.host(),
                Some(Host::Ipv4(Ipv4Addr::LOCALHOST)),
                "{spelling}"
            );
        }
        let url = Url::parse("http://[::ffff:7f00:1]/").unwrap();
        let Some(Host::Ipv6(v6)) = url.host() else {
            panic!("not v6")
        };
        assert!(
            strict()
                .check_addr("[::ffff:7f00:1]", IpAddr::V6(v6))
                .is_err()
        );
    }

    #[test]
    fn metadata_is_refused_even_when_allow_listed() {
        let p = AddressPolicy::new(
            false,
            vec![
                AllowEntry::parse("169.254.0.0/16").unwrap(),
                AllowEntry::parse("fd00::/8").unwrap(),
            ],
        );
        assert!(p.check_addr("x", ip("169.254.1.1")).is_ok());
        let err = p.check_addr("x", ip("169.254.169.254")).unwrap_err();
        assert!(err.reason.contains("cloud metadata"), "{err}");
        assert!(p.check_addr("x", ip("fd00:ec2::254")).is_err());
        assert!(p.check_addr("x", ip("::ffff:169.254.169.254")).is_err());
        assert!(p.check_name("metadata.google.internal.").is_err());
        assert!(
            AddressPolicy::new(true, vec![])
                .check_addr("x", ip("169.254.169.254"))
                .is_ok()
        );
    }

    #[test]
    fn allow_list_matches_hosts_suffixes_and_networks() {
        let p = AddressPolicy::new(
            false,
            ["127.0.0.1", "10.8.0.0/16", "api.internal", "*.corp.example"]
                .iter()
                .map(|s| AllowEntry::parse(s).unwrap())
                .collect(),
        );
        assert!(p.check_addr("127.0.0.1", ip("127.0.0.1")).is_ok());
        assert!(p.check_addr("127.0.0.2", ip("127.0.0.2")).is_err());
        assert!(p.check_addr("db", ip("10.8.3.4")).is_ok());
        assert!(p.check_addr("db", ip("10.9.3.4")).is_err());
        assert!(p.check_addr("API.internal.", ip("10.9.3.4")).is_ok());
        assert!(p.check_addr("a.corp.example", ip("192.168.0.1")).is_ok());
        assert!(p.check_addr("corp.example", ip("192.168.0.1")).is_err());
        assert!(p.check_addr("xcorp.example", ip("192.168.0.1")).is_err());
        assert!(AllowEntry::parse("bad host!").is_err());
        assert!(AllowEntry::parse("10.0.0.0/40").is_err());
    }

    #[test]
    fn localhost_names_are_refused_before_any_lookup() {
        let err = strict().check_name("LocalHost.").unwrap_err();
        assert!(
            err.to_string().contains("RFC 6761")
                && err.to_string().starts_with("LocalHost. is not allowed"),
            "{err}"
        );
        assert!(strict().check_name("api.localhost").is_err());
        assert!(strict().check_name("localhost.example").is_ok());
        let allowed = AddressPolicy::new(false, vec![AllowEntry::parse("localhost").unwrap()]);
        assert!(allowed.check_name("localhost").is_ok());
    }

    #[test]
    fn filtering_keeps_only_checked_addresses() {
        let p = strict();
        let kept = p
            .filter(
                "dual.example",
                vec![ip("10.0.0.1"), ip("8.8.4.4"), ip("fd00::1")],
            )
            .unwrap();
        assert_eq!(kept, vec![ip("8.8.4.4")]);
        let err = p
            .filter("rebind.example", vec![ip("192.168.0.10"), ip("127.0.0.1")])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "rebind.example resolves to 192.168.0.10, which is not a public address: private network (192.168.0.0/16, RFC 1918); only public addresses may be fetched (NET_ALLOW lists trusted internal hosts)"
        );
        let literal = p.check_addr("10.0.0.1", ip("10.0.0.1")).unwrap_err();
        assert!(
            literal
                .to_string()
                .starts_with("10.0.0.1 is not a public address: private network"),
            "{literal}"
        );
    }
}
