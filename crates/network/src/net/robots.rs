//! robots.txt rules per origin, cached, fetched once however many calls ask at the same time.
//!
//! What a robots.txt answer means follows RFC 9309, with the peer's stricter reading of 401/403:
//!
//! | answer | rules |
//! |---|---|
//! | 2xx | parsed (`texting_robots`), matched against the agent's product token |
//! | 401, 403 | everything disallowed (the peer's rule: the site refuses anonymous robots) |
//! | other 4xx, too many redirects | everything allowed ("unavailable", RFC 9309 §2.3.1.3) |
//! | 5xx, unreachable, refused by the SSRF guard | everything disallowed, cached for one minute only (§2.3.1.4) |
//!
//! The fetch itself is done by [`super::client::Engine`], so it passes the same SSRF checks.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use texting_robots::Robot;
use tokio::{sync::OnceCell, time::Instant};

/// Longest robots.txt read (RFC 9309 asks crawlers to parse at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;
/// How long a failure (5xx, unreachable) is remembered.
pub const FAILURE_TTL: Duration = Duration::from_secs(60);
/// Origins remembered at once.
const MAX_ORIGINS: usize = 1024;
/// How much of a robots.txt an error message quotes.
const EXCERPT_CHARS: usize = 1000;

/// What one origin's robots.txt says.
#[derive(Debug)]
pub enum Rules {
    /// No usable robots.txt: everything may be fetched.
    AllowAll {
        /// Why, for logs.
        why: String,
    },
    /// Nothing may be fetched autonomously.
    DisallowAll {
        /// Why, quoted in the refusal.
        why: String,
        /// A transient failure: remembered for [`FAILURE_TTL`] only.
        transient: bool,
    },
    /// The SSRF guard refused the origin itself: the page would be refused too.
    Refused {
        /// The guard's reason.
        reason: String,
    },
    /// Parsed rules.
    Parsed {
        /// The matcher for our agent.
        robot: Robot,
        /// The start of the file, quoted when a rule refuses a page.
        excerpt: String,
    },
}

impl Rules {
    /// Parse a fetched robots.txt for `agent` (a product token such as `SanctuaryNetwork`).
    pub fn parse(agent: &str, body: &[u8]) -> Self {
        match Robot::new(agent, body) {
            Ok(robot) => {
                let text = String::from_utf8_lossy(body);
                let excerpt: String = text.chars().take(EXCERPT_CHARS).collect();
                Self::Parsed { robot, excerpt }
            }
            Err(e) => Self::AllowAll {
                why: format!("robots.txt could not be parsed ({e})"),
            },
        }
    }

    /// Whether `url` may be fetched.
    pub fn decide(&self, url: &str) -> Verdict {
        match self {
            Self::AllowAll { .. } => Verdict::Allowed,
            Self::DisallowAll { why, .. } => Verdict::Disallowed(why.clone()),
            Self::Refused { reason } => Verdict::Refused(reason.clone()),
            Self::Parsed { robot, excerpt } => {
                if robot.allowed(url) {
                    Verdict::Allowed
                } else {
                    Verdict::Disallowed(format!(
                        "a Disallow rule matches this path; the file begins:\n<robots>\n{excerpt}\n</robots>\n"
                    ))
                }
            }
        }
    }

    fn lifetime(&self, ttl: Duration) -> Duration {
        match self {
            Self::DisallowAll {
                transient: true, ..
            }
            | Self::Refused { .. } => ttl.min(FAILURE_TTL),
            _ => ttl,
        }
    }
}

/// What robots.txt says about one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// May be fetched.
    Allowed,
    /// May not be fetched autonomously; the reason to quote.
    Disallowed(String),
    /// The origin itself is refused by the SSRF guard; its reason.
    Refused(String),
}

struct Slot {
    created: Instant,
    rules: OnceCell<Arc<Rules>>,
}

impl Slot {
    fn expired(&self, ttl: Duration) -> bool {
        match self.rules.get() {
            Some(r) => self.created.elapsed() > r.lifetime(ttl),
            None => false, // being fetched: join that fetch
        }
    }
}

/// Rules per origin (`scheme://host:port`).
pub struct RobotsCache {
    ttl: Duration,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

impl std::fmt::Debug for RobotsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RobotsCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl RobotsCache {
    /// A cache keeping rules for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The rules of `origin`, running `fetch` only when no live entry exists and no other call
    /// is fetching them already.
    pub async fn rules<F, Fut>(&self, origin: &str, fetch: F) -> Arc<Rules>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Rules>,
    {
        let slot = {
            let mut slots = match self.slots.lock() {
                Ok(s) => s,
                Err(poisoned) => poisoned.into_inner(),
            };
            match slots.get(origin) {
                Some(s) if !s.expired(self.ttl) => s.clone(),
                _ => {
                    if slots.len() >= MAX_ORIGINS {
                        let ttl = self.ttl;
                        slots.retain(|_, s| !s.expired(ttl));
                        if slots.len() >= MAX_ORIGINS
                            && let Some(oldest) = slots
                                .iter()
                                .min_by_key(|(_, s)| s.created)
                                .map(|(k, _)| k.clone())
                        {
                            slots.remove(&oldest);
                        }
                    }
                    let fresh = Arc::new(Slot {
                        created: Instant::now(),
                        rules: OnceCell::new(),
                    });
                    slots.insert(origin.to_owned(), fresh.clone());
                    fresh
                }
            }
        };
        slot.rules
            .get_or_init(|| async { Arc::new(fetch().await) })
            .await
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const ROBOTS: &[u8] = b"# comment\nUser-agent: *\nDisallow: /private\n\nUser-agent: SanctuaryNetwork\nDisallow: /no-bots\nAllow: /no-bots/except\n";

    #[test]
    fn rules_match_our_product_token_group() {
        let r = Rules::parse("SanctuaryNetwork", ROBOTS);
        assert_ne!(r.decide("http://a.example/no-bots/page"), Verdict::Allowed);
        assert_eq!(
            r.decide("http://a.example/no-bots/except/x"),
            Verdict::Allowed
        );
        // Our own group replaces `*`, as RFC 9309 says.
        assert_eq!(r.decide("http://a.example/private"), Verdict::Allowed);
        let other = Rules::parse("OtherBot", ROBOTS);
        assert_ne!(other.decide("http://a.example/private/x"), Verdict::Allowed);
        let Verdict::Disallowed(why) = r.decide("http://a.example/no-bots") else {
            panic!("not disallowed")
        };
        assert!(
            why.contains("<robots>") && why.contains("Disallow: /no-bots"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(RobotsCache::new(Duration::from_secs(60)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .rules("http://a.example", || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Rules::parse("SanctuaryNetwork", ROBOTS)
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_ne!(
                t.await.unwrap().decide("http://a.example/no-bots"),
                Verdict::Allowed
            );
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_expire_after_a_minute_and_rules_after_the_ttl() {
        let cache = RobotsCache::new(Duration::from_secs(3600));
        let fetches = AtomicUsize::new(0);
        let fail = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Rules::DisallowAll {
                why: "503".into(),
                transient: true,
            }
        };
        cache.rules("http://down.example", fail).await;
        cache.rules("http://down.example", fail).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(61)).await;
        cache.rules("http://down.example", fail).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 2);

        let ok = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Rules::AllowAll { why: "404".into() }
        };
        cache.rules("http://up.example", ok).await;
        tokio::time::advance(Duration::from_secs(3000)).await;
        cache.rules("http://up.example", ok).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
        tokio::time::advance(Duration::from_secs(700)).await;
        cache.rules("http://up.example", ok).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 4);
    }
}
