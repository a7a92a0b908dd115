//! Converted pages kept in memory for a short while, so paginated `fetch` calls (`start_index`)
//! read the same document without downloading and converting it again.
//!
//! Entries live `NET_FETCH_CACHE_TTL` (default 60 s) and the cache holds at most
//! [`MAX_CACHE_BYTES`]; the oldest entries go first. Nothing is written to disk.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::time::Instant;

/// Most bytes of converted text the cache holds.
pub const MAX_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// A page ready for pagination.
#[derive(Debug)]
pub struct Page {
    /// Text before the content on every page (content-type note, `Contents of <url>:`).
    pub header: String,
    /// The converted (or raw) text that `start_index`/`max_length` select from.
    pub content: String,
}

/// What identifies a converted page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    /// The URL as requested.
    pub url: String,
    /// Raw content rather than Markdown.
    pub raw: bool,
    /// Fetched on the user's behalf (the prompt) rather than autonomously.
    pub user: bool,
}

struct Entry {
    page: Arc<Page>,
    at: Instant,
}

/// The cache; `ttl` zero disables it.
pub struct PageCache {
    ttl: Duration,
    entries: Mutex<HashMap<PageKey, Entry>>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl PageCache {
    /// A cache keeping pages for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PageKey, Entry>> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The live page for `key`, if any.
    pub fn get(&self, key: &PageKey) -> Option<Arc<Page>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.lock();
        entries
            .get(key)
            .filter(|e| e.at.elapsed() <= self.ttl)
            .map(|e| e.page.clone())
    }

    /// Remember `page` under `key`, evicting expired and then oldest entries to stay in bounds.
    pub fn put(&self, key: PageKey, page: Arc<Page>) {
        let size = page.content.len() + page.header.len();
        if self.ttl.is_zero() || size > MAX_CACHE_BYTES / 4 {
            return;
        }
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|_, e| e.at.elapsed() <= ttl);
        let mut total: usize = entries
            .values()
            .map(|e| e.page.content.len() + e.page.header.len())
            .sum();
        while total + size > MAX_CACHE_BYTES {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = entries.remove(&oldest) {
                total -= e.page.content.len() + e.page.header.len();
            }
        }
        entries.insert(
            key,
            Entry {
                page,
                at: Instant::now(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(u: &str) -> PageKey {
        PageKey {
            url: u.to_owned(),
            raw: false,
            user: false,
        }
    }

    fn page(n: usize) -> Arc<Page> {
        Arc::new(Page {
            header: String::new(),
            content: "x".repeat(n),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn pages_expire_and_the_size_stays_bounded() {
        let cache = PageCache::new(Duration::from_secs(60));
        cache.put(key("a"), page(10));
        assert!(cache.get(&key("a")).is_some());
        assert!(
            cache
                .get(&PageKey {
                    raw: true,
                    ..key("a")
                })
                .is_none()
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(cache.get(&key("a")).is_none());

        for i in 0..5 {
            cache.put(key(&i.to_string()), page(MAX_CACHE_BYTES / 4 - 1));
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        assert!(cache.get(&key("0")).is_none(), "oldest evicted");
        assert!(cache.get(&key("4")).is_some());
        let off = PageCache::new(Duration::ZERO);
        off.put(key("a"), page(1));
        assert!(off.get(&key("a")).is_none());
    }
}
