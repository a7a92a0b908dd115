//! The DNS side of the SSRF guard: a reqwest resolver that resolves, drops every forbidden
//! address, and hands the connector only the addresses it checked.
//!
//! reqwest asks this resolver for every new connection and connects to nothing else, so the
//! address that was checked is the address that is connected to: there is no second lookup an
//! attacker's DNS server could answer differently (DNS rebinding). IP-literal hosts never reach a
//! resolver; [`super::client`] checks them before the request. Lookups go through the operator's
//! static table first, then the system resolver (`getaddrinfo`), bounded by the connect timeout.

use std::{
    collections::BTreeMap,
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    time::Duration,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::policy::{AddressPolicy, Refusal, normalize_host};

/// A boxed lookup future.
pub type LookupFuture = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Where answers come from: the system resolver, or a test's scripted one.
pub trait Lookup: Send + Sync {
    /// Every address of `host`.
    fn lookup(&self, host: &str) -> LookupFuture;
}

/// The system resolver (`getaddrinfo` on a blocking thread, through tokio).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let host = host.to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// The resolver reqwest uses: static table, then `inner`, then the policy's filter.
#[derive(Clone)]
pub struct GuardedResolver {
    policy: Arc<AddressPolicy>,
    static_hosts: Arc<BTreeMap<String, Vec<IpAddr>>>,
    inner: Arc<dyn Lookup>,
    timeout: Duration,
}

impl std::fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedResolver")
            .field("policy", &self.policy)
            .field("static_hosts", &self.static_hosts.len())
            .finish_non_exhaustive()
    }
}

impl GuardedResolver {
    /// A resolver applying `policy` to answers from `static_hosts`, else `inner`.
    pub fn new(
        policy: Arc<AddressPolicy>,
        static_hosts: Arc<BTreeMap<String, Vec<IpAddr>>>,
        inner: Arc<dyn Lookup>,
        timeout: Duration,
    ) -> Self {
        Self {
            policy,
            static_hosts,
            inner,
            timeout,
        }
    }

    /// Resolve `host` and keep only the addresses the policy lets through.
    pub async fn resolve_checked(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        let key = normalize_host(host);
        self.policy
            .check_name(&key)
            .map_err(ResolveError::Refused)?;
        let answers = match self.static_hosts.get(&key) {
            Some(fixed) => fixed.clone(),
            None => tokio::time::timeout(self.timeout, self.inner.lookup(&key))
                .await
                .map_err(|_| ResolveError::Timeout {
                    host: key.clone(),
                    after: self.timeout,
                })?
                .map_err(|source| ResolveError::Lookup {
                    host: key.clone(),
                    source,
                })?,
        };
        let kept = self
            .policy
            .filter(&key, answers.clone())
            .map_err(ResolveError::Refused)?;
        if kept.len() < answers.len() {
            tracing::debug!(host = %key, ?answers, ?kept, "resolver dropped forbidden addresses");
        }
        Ok(kept)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let kept = this.resolve_checked(name.as_str()).await?;
            let addrs: Addrs = Box::new(kept.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// Why a name gave no usable address.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Every address was refused by the SSRF guard (or the name itself was).
    #[error("{0}")]
    Refused(Refusal),
    /// The lookup took longer than the connect timeout.
    #[error("looking up {host} timed out after {}", fleet_core::budget::fmt_duration(*after))]
    Timeout {
        /// The name.
        host: String,
        /// The limit.
        after: Duration,
    },
    /// The lookup failed (unknown name, no resolver).
    #[error("cannot resolve {host}: {source}")]
    Lookup {
        /// The name.
        host: String,
        /// The resolver's error.
        #[source]
        source: io::Error,
    },
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;
    use crate::net::policy::AllowEntry;

    /// A scripted DNS server: answers `script[i]` on the i-th query (the last one after that).
    pub(crate) struct Scripted {
        pub(crate) script: Vec<Vec<IpAddr>>,
        pub(crate) queries: AtomicUsize,
        pub(crate) asked: Mutex<Vec<String>>,
    }

    impl Scripted {
        pub(crate) fn new(script: &[&[&str]]) -> Arc<Self> {
            Arc::new(Self {
                script: script
                    .iter()
                    .map(|a| a.iter().map(|s| s.parse().unwrap()).collect())
                    .collect(),
                queries: AtomicUsize::new(0),
                asked: Mutex::new(Vec::new()),
            })
        }
    }

    impl Lookup for Scripted {
        fn lookup(&self, host: &str) -> LookupFuture {
            self.asked.lock().unwrap().push(host.to_owned());
            let i = self.queries.fetch_add(1, Ordering::SeqCst);
            let answer = self.script[i.min(self.script.len() - 1)].clone();
            Box::pin(async move { Ok(answer) })
        }
    }

    fn resolver(policy: AddressPolicy, inner: Arc<dyn Lookup>) -> GuardedResolver {
        GuardedResolver::new(
            Arc::new(policy),
            Arc::new(BTreeMap::from([(
                "pinned.test".to_owned(),
                vec!["10.0.0.9".parse().unwrap()],
            )])),
            inner,
            Duration::from_secs(1),
        )
    }

    #[tokio::test]
    async fn forbidden_answers_are_dropped_and_public_ones_kept() {
        let dns = Scripted::new(&[&["10.0.0.1", "93.184.215.14", "::1"]]);
        let r = resolver(AddressPolicy::default(), dns.clone());
        let kept = r.resolve_checked("Mixed.Example.").await.unwrap();
        assert_eq!(kept, vec!["93.184.215.14".parse::<IpAddr>().unwrap()]);
        assert_eq!(*dns.asked.lock().unwrap(), vec!["mixed.example".to_owned()]);
    }

    #[tokio::test]
    async fn a_name_with_only_private_answers_is_refused() {
        let dns = Scripted::new(&[&["169.254.169.254"]]);
        let r = resolver(AddressPolicy::default(), dns);
        let err = r.resolve_checked("evil.example").await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with("evil.example resolves to 169.254.169.254, which is not a public address: cloud metadata endpoint"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn static_hosts_are_checked_like_dns_answers() {
        let dns = Scripted::new(&[&["8.8.8.8"]]);
        let r = resolver(AddressPolicy::default(), dns.clone());
        assert!(matches!(
            r.resolve_checked("pinned.test").await,
            Err(ResolveError::Refused(_))
        ));
        assert_eq!(
            dns.queries.load(Ordering::SeqCst),
            0,
            "static names skip DNS"
        );
        let allowed = resolver(
            AddressPolicy::new(false, vec![AllowEntry::parse("10.0.0.0/24").unwrap()]),
            dns,
        );
        assert_eq!(
            allowed.resolve_checked("pinned.test").await.unwrap().len(),
            1
        );
    }

    #[tokio::test]
    async fn localhost_never_reaches_dns() {
        let dns = Scripted::new(&[&["127.0.0.1"]]);
        let r = resolver(AddressPolicy::default(), dns.clone());
        assert!(r.resolve_checked("localhost").await.is_err());
        assert_eq!(dns.queries.load(Ordering::SeqCst), 0);
    }
}
