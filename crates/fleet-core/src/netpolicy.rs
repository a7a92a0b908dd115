//! Guardrail 3: services address each other by network alias, never by loopback or IP literal.
//!
//! Inside a container, `localhost` is the container itself and an IP literal breaks as soon as the
//! network is recreated, so in container mode such URLs are refused at start-up with a message that
//! names the variable and the fix. `FLEET_ALLOW_LOOPBACK=1` lets loopback through for local
//! development and tests (a gateway on the host's loopback); IP literals stay refused.
//! Outside containers (a developer's shell) every URL is accepted.

use std::net::IpAddr;

use url::{Host, Url};

/// What a URL is used for, so the message can say what to put there instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRole {
    /// The gateway this cluster registers with.
    Gateway,
    /// The endpoint this cluster tells the gateway to call.
    Advertised,
    /// A backend service this cluster calls (Chroma, Ollama).
    Backend,
}

impl UrlRole {
    fn example(self) -> &'static str {
        match self {
            Self::Gateway => "http://sanctuary-gateway:4444",
            Self::Advertised => "http://sanctuary-utils:8000/mcp",
            Self::Backend => "http://sanctuary-vector-db:8000",
        }
    }
}

/// The URL rules in force for this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetPolicy {
    /// Running in a container: enforce alias-only addressing.
    pub container: bool,
    /// Let loopback through anyway (local development and tests only).
    pub allow_loopback: bool,
}

impl NetPolicy {
    /// Check one service URL; the error is a sentence for the operator.
    pub fn check(&self, url: &Url, role: UrlRole) -> Result<(), String> {
        if !self.container {
            return Ok(());
        }
        let example = role.example();
        match url.host() {
            None => Err(format!(
                "{url} has no host; use a network alias such as {example}"
            )),
            Some(Host::Domain(d)) if is_loopback_name(d) => self.loopback(url, example),
            Some(Host::Domain(_)) => Ok(()),
            Some(Host::Ipv4(ip)) => self.ip(url, IpAddr::V4(ip), example),
            Some(Host::Ipv6(ip)) => self.ip(url, IpAddr::V6(ip), example),
        }
    }

    fn ip(&self, url: &Url, ip: IpAddr, example: &str) -> Result<(), String> {
        if ip.is_loopback() {
            return self.loopback(url, example);
        }
        Err(format!(
            "{url} uses an IP literal, which breaks when the container network is recreated; \
             use a network alias such as {example}"
        ))
    }

    fn loopback(&self, url: &Url, example: &str) -> Result<(), String> {
        if self.allow_loopback {
            return Ok(());
        }
        Err(format!(
            "{url} is a loopback address, which inside a container is the container itself; \
             use a network alias such as {example} (FLEET_ALLOW_LOOPBACK=1 permits loopback for local development and tests)"
        ))
    }
}

fn is_loopback_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(policy: NetPolicy, url: &str) -> Result<(), String> {
        policy.check(&Url::parse(url).unwrap(), UrlRole::Gateway)
    }

    const CONTAINER: NetPolicy = NetPolicy {
        container: true,
        allow_loopback: false,
    };

    #[test]
    fn aliases_pass_in_container_mode() {
        assert!(check(CONTAINER, "http://sanctuary-gateway:4444").is_ok());
        assert!(check(CONTAINER, "http://sanctuary_vector_db:8000").is_ok());
    }

    #[test]
    fn loopback_spellings_are_refused_in_container_mode() {
        for url in [
            "http://localhost:4444",
            "http://LOCALHOST.:4444",
            "http://api.localhost:4444",
            "http://127.0.0.1:4444",
            "http://127.8.9.10:4444",
            "http://[::1]:4444",
        ] {
            let err = check(CONTAINER, url).unwrap_err();
            assert!(
                err.contains("loopback") && err.contains("sanctuary-gateway"),
                "{url}: {err}"
            );
        }
    }

    #[test]
    fn ip_literals_are_refused_even_with_the_loopback_switch() {
        let policy = NetPolicy {
            container: true,
            allow_loopback: true,
        };
        assert!(check(policy, "http://127.0.0.1:4444").is_ok());
        for url in [
            "http://10.89.0.4:4444",
            "http://[fd00::4]:4444",
            "http://0.0.0.0:4444",
        ] {
            assert!(
                check(policy, url).unwrap_err().contains("IP literal"),
                "{url}"
            );
        }
    }

    #[test]
    fn host_mode_accepts_everything() {
        assert!(check(NetPolicy::default(), "http://127.0.0.1:4444").is_ok());
        assert!(check(NetPolicy::default(), "http://192.168.1.2:4444").is_ok());
    }
}
