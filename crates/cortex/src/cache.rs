//! The mnemonic cache (Protocol 114's CAG), in two tiers: a bounded in-memory LRU in front of a
//! SQLite table on the state volume (`<CORTEX_STATE_DIR>/cache.sqlite`), so answers survive
//! restarts and hot ones cost no disk read.
//!
//! Keys are SHA-256 of a namespace, the normalised query (whitespace collapsed: an exact match,
//! not a semantic one) and the parameters that change the answer. Namespaces: `answer`
//! (`cortex_cache_set`/`get`), `query` (`cortex_query` results, dropped whenever an ingest changes
//! the collection). Every entry has a time to live; both tiers are bounded (entries, and bytes in
//! memory) and evict the least recently used. The counters are real: every lookup is a memory hit,
//! a SQLite hit or a miss; evictions and expiries are counted where they happen.
//!
//! Time comes from a [`Clock`], so tests drive expiry without sleeping.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use lru::LruCache;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;
use serde_json::Value;

use crate::{
    chunking::sha256_hex,
    config::CacheLimits,
    error::CortexError,
    store::{open_db, run_locked},
};

/// A source of wall-clock time in milliseconds.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// Which tier answered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The in-process LRU.
    Memory,
    /// The SQLite table.
    Sqlite,
}

/// A cache hit.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The cached value.
    pub value: String,
    /// Which tier had it.
    pub tier: Tier,
    /// How old it is, in milliseconds.
    pub age_ms: i64,
}

/// The cache key of `text` in `namespace` with `params`.
pub fn key(namespace: &str, text: &str, params: &Value) -> String {
    let normalized = normalize_query(text);
    let canonical = serde_json::json!({"ns": namespace, "q": normalized, "p": params});
    sha256_hex(canonical.to_string().as_bytes())
}

/// Trim and collapse runs of whitespace.
pub fn normalize_query(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct MemEntry {
    namespace: String,
    value: Arc<String>,
    created_at: i64,
    expires_at: i64,
    size: usize,
}

struct Memory {
    lru: LruCache<String, MemEntry>,
    bytes: usize,
}

#[derive(Default)]
struct Counters {
    memory_hits: AtomicU64,
    sqlite_hits: AtomicU64,
    misses: AtomicU64,
    sets: AtomicU64,
    memory_evictions: AtomicU64,
    sqlite_evictions: AtomicU64,
    expired: AtomicU64,
}

/// One tier's occupancy.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TierStats {
    /// Entries held.
    pub entries: u64,
    /// Bytes of values held.
    pub bytes: u64,
    /// Most entries.
    pub max_entries: u64,
    /// Byte budget (memory tier only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
    /// Entries evicted to stay within bounds since start.
    pub evictions: u64,
}

/// Counters and occupancy of both tiers.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CacheStats {
    /// The memory tier.
    pub memory: TierStats,
    /// The SQLite tier.
    pub sqlite: TierStats,
    /// The SQLite file.
    pub db_path: String,
    /// Its size on disk in bytes.
    pub db_file_bytes: u64,
    /// Entries per namespace in SQLite.
    pub namespaces: std::collections::BTreeMap<String, u64>,
    /// Lookups answered from memory since start.
    pub memory_hits: u64,
    /// Lookups answered from SQLite since start.
    pub sqlite_hits: u64,
    /// Lookups that found nothing since start.
    pub misses: u64,
    /// Hits divided by lookups (0 with no lookups).
    pub hit_rate: f64,
    /// Values stored since start.
    pub sets: u64,
    /// Entries found expired and dropped since start.
    pub expired: u64,
    /// Time to live of an entry, in seconds.
    pub ttl_seconds: u64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY, namespace TEXT NOT NULL, label TEXT NOT NULL, value TEXT NOT NULL,
    size INTEGER NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    last_access INTEGER NOT NULL, hits INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS cache_by_access ON cache (last_access);
CREATE INDEX IF NOT EXISTS cache_by_expiry ON cache (expires_at);
CREATE INDEX IF NOT EXISTS cache_by_namespace ON cache (namespace);
";

/// The two-tier cache.
pub struct Cache {
    memory: Mutex<Memory>,
    db: Arc<Mutex<Connection>>,
    path: PathBuf,
    limits: CacheLimits,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("path", &self.path)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// Open `<dir>/cache.sqlite` with `limits`, timed by `clock`.
    pub fn open(dir: &Path, limits: CacheLimits, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let path = dir.join("cache.sqlite");
        let conn = open_db(&path)?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| format!("cannot create tables in {}: {e}", path.display()))?;
        Ok(Self {
            memory: Mutex::new(Memory {
                lru: LruCache::unbounded(),
                bytes: 0,
            }),
            db: Arc::new(Mutex::new(conn)),
            path,
            limits,
            clock,
            counters: Counters::default(),
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &CacheLimits {
        &self.limits
    }

    fn ttl_ms(&self) -> i64 {
        self.limits.ttl.as_millis().min(i64::MAX as u128) as i64
    }

    async fn db<T, F>(&self, f: F) -> Result<T, CortexError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        run_locked(self.db.clone(), &self.path, "cache", f).await
    }

    fn lock_memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        // A panic while holding this lock leaves only counters and an LRU behind: still usable.
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Look `key` up: memory first, then SQLite (promoting a hit into memory).
    pub async fn get(&self, key: &str) -> Result<Option<Hit>, CortexError> {
        let now = self.clock.now_ms();
        {
            let mut mem = self.lock_memory();
            let expired = match mem.lru.get(key) {
                Some(e) if e.expires_at > now => {
                    self.counters.memory_hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(Hit {
                        value: e.value.as_ref().clone(),
                        tier: Tier::Memory,
                        age_ms: now - e.created_at,
                    }));
                }
                Some(_) => true,
                None => false,
            };
            if expired && let Some(e) = mem.lru.pop(key) {
                mem.bytes -= e.size;
                self.counters.expired.fetch_add(1, Ordering::Relaxed);
            }
        }
        let k = key.to_owned();
        let row: Option<(String, String, i64, i64, bool)> = self
            .db(move |c| {
                let row: Option<(String, String, i64, i64)> = c
                    .query_row(
                        "SELECT namespace, value, created_at, expires_at FROM cache WHERE key = ?1",
                        [&k],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                match row {
                    Some((ns, v, created, expires)) if expires > now => {
                        c.execute(
                            "UPDATE cache SET last_access = ?2, hits = hits + 1 WHERE key = ?1",
                            params![k, now],
                        )?;
                        Ok(Some((ns, v, created, expires, true)))
                    }
                    Some((ns, v, created, expires)) => {
                        c.execute("DELETE FROM cache WHERE key = ?1", [&k])?;
                        Ok(Some((ns, v, created, expires, false)))
                    }
                    None => Ok(None),
                }
            })
            .await?;
        match row {
            Some((namespace, value, created_at, expires_at, true)) => {
                self.counters.sqlite_hits.fetch_add(1, Ordering::Relaxed);
                self.remember(key, &namespace, value.clone(), created_at, expires_at);
                Ok(Some(Hit {
                    value,
                    tier: Tier::Sqlite,
                    age_ms: now - created_at,
                }))
            }
            Some((.., false)) => {
                self.counters.expired.fetch_add(1, Ordering::Relaxed);
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
            None => {
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
        }
    }

    /// Put an entry into the memory tier, evicting least recently used ones beyond the bounds.
    fn remember(
        &self,
        key: &str,
        namespace: &str,
        value: String,
        created_at: i64,
        expires_at: i64,
    ) {
        let size = value.len() + key.len();
        if size > self.limits.memory_bytes {
            return;
        }
        let mut mem = self.lock_memory();
        if let Some(old) = mem.lru.put(
            key.to_owned(),
            MemEntry {
                namespace: namespace.to_owned(),
                value: Arc::new(value),
                created_at,
                expires_at,
                size,
            },
        ) {
            mem.bytes -= old.size;
        }
        mem.bytes += size;
        while mem.lru.len() > self.limits.memory_entries || mem.bytes > self.limits.memory_bytes {
            match mem.lru.pop_lru() {
                Some((_, e)) => {
                    mem.bytes -= e.size;
                    self.counters
                        .memory_evictions
                        .fetch_add(1, Ordering::Relaxed);
                }
                None => break,
            }
        }
    }

    /// Store `value` under `key` in both tiers. `label` (the query) is kept for inspection.
    /// A value over `CORTEX_CACHE_MAX_VALUE_BYTES` is refused.
    pub async fn put(
        &self,
        key: &str,
        namespace: &str,
        label: &str,
        value: String,
    ) -> Result<(), CortexError> {
        if value.len() > self.limits.max_value_bytes {
            return Err(CortexError::arg(
                "answer",
                format!(
                    "{} bytes is over the cache's limit of {} bytes (CORTEX_CACHE_MAX_VALUE_BYTES)",
                    value.len(),
                    self.limits.max_value_bytes
                ),
            ));
        }
        let now = self.clock.now_ms();
        let expires = now.saturating_add(self.ttl_ms());
        self.remember(key, namespace, value.clone(), now, expires);
        self.counters.sets.fetch_add(1, Ordering::Relaxed);
        let (k, ns, label) = (
            key.to_owned(),
            namespace.to_owned(),
            label.chars().take(500).collect::<String>(),
        );
        let max = self.limits.max_entries as i64;
        let (evicted, expired) = self
            .db(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "INSERT INTO cache (key, namespace, label, value, size, created_at, expires_at, last_access, hits)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, 0)
                     ON CONFLICT(key) DO UPDATE SET namespace = excluded.namespace, label = excluded.label,
                        value = excluded.value, size = excluded.size, created_at = excluded.created_at,
                        expires_at = excluded.expires_at, last_access = excluded.last_access",
                    params![k, ns, label, value, value.len() as i64, now, expires],
                )?;
                let expired = tx.execute("DELETE FROM cache WHERE expires_at <= ?1", [now])?;
                let count: i64 = tx.query_row("SELECT COUNT(*) FROM cache", [], |r| r.get(0))?;
                let evicted = if count > max {
                    tx.execute(
                        "DELETE FROM cache WHERE key IN (SELECT key FROM cache WHERE key != ?1 ORDER BY last_access ASC LIMIT ?2)",
                        params![k, count - max],
                    )?
                } else {
                    0
                };
                tx.commit()?;
                Ok((evicted as u64, expired as u64))
            })
            .await?;
        self.counters
            .sqlite_evictions
            .fetch_add(evicted, Ordering::Relaxed);
        self.counters.expired.fetch_add(expired, Ordering::Relaxed);
        Ok(())
    }

    /// Drop every entry of `namespace` from both tiers; returns how many SQLite rows went.
    pub async fn clear_namespace(&self, namespace: &str) -> Result<u64, CortexError> {
        {
            let mut mem = self.lock_memory();
            let doomed: Vec<String> = mem
                .lru
                .iter()
                .filter(|(_, e)| e.namespace == namespace)
                .map(|(k, _)| k.clone())
                .collect();
            for k in doomed {
                if let Some(e) = mem.lru.pop(&k) {
                    mem.bytes -= e.size;
                }
            }
        }
        let ns = namespace.to_owned();
        let n = self
            .db(move |c| c.execute("DELETE FROM cache WHERE namespace = ?1", [ns]))
            .await?;
        Ok(n as u64)
    }

    /// Counters and occupancy.
    pub async fn stats(&self) -> Result<CacheStats, CortexError> {
        let (mem_entries, mem_bytes) = {
            let mem = self.lock_memory();
            (mem.lru.len() as u64, mem.bytes as u64)
        };
        let (entries, bytes, namespaces) = self
            .db(|c| {
                let (n, b): (i64, i64) = c.query_row(
                    "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM cache",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let mut stmt =
                    c.prepare("SELECT namespace, COUNT(*) FROM cache GROUP BY namespace")?;
                let ns = stmt
                    .query_map([], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                    })?
                    .collect::<rusqlite::Result<std::collections::BTreeMap<_, _>>>()?;
                Ok((n as u64, b as u64, ns))
            })
            .await?;
        let c = &self.counters;
        let memory_hits = c.memory_hits.load(Ordering::Relaxed);
        let sqlite_hits = c.sqlite_hits.load(Ordering::Relaxed);
        let misses = c.misses.load(Ordering::Relaxed);
        let lookups = memory_hits + sqlite_hits + misses;
        let db_file_bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len())
            + std::fs::metadata(self.path.with_extension("sqlite-wal")).map_or(0, |m| m.len());
        Ok(CacheStats {
            memory: TierStats {
                entries: mem_entries,
                bytes: mem_bytes,
                max_entries: self.limits.memory_entries as u64,
                max_bytes: Some(self.limits.memory_bytes as u64),
                evictions: c.memory_evictions.load(Ordering::Relaxed),
            },
            sqlite: TierStats {
                entries,
                bytes,
                max_entries: self.limits.max_entries as u64,
                max_bytes: None,
                evictions: c.sqlite_evictions.load(Ordering::Relaxed),
            },
            db_path: self.path.display().to_string(),
            db_file_bytes,
            namespaces,
            memory_hits,
            sqlite_hits,
            misses,
            hit_rate: if lookups == 0 {
                0.0
            } else {
                (memory_hits + sqlite_hits) as f64 / lookups as f64
            },
            sets: c.sets.load(Ordering::Relaxed),
            expired: c.expired.load(Ordering::Relaxed),
            ttl_seconds: self.limits.ttl.as_secs(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::atomic::AtomicI64, time::Duration};

    use super::*;

    /// A clock the test moves by hand.
    #[derive(Default)]
    struct ManualClock(AtomicI64);

    impl Clock for ManualClock {
        fn now_ms(&self) -> i64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    fn limits() -> CacheLimits {
        CacheLimits {
            ttl: Duration::from_secs(60),
            memory_entries: 2,
            memory_bytes: 10_000,
            max_entries: 3,
            max_value_bytes: 1000,
        }
    }

    fn open(dir: &Path, clock: Arc<ManualClock>) -> Cache {
        Cache::open(dir, limits(), clock).unwrap()
    }

    #[tokio::test]
    async fn a_value_is_served_from_memory_then_from_sqlite_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let cache = open(dir.path(), clock.clone());
        let k = key("answer", "  What is   Protocol 101? ", &Value::Null);
        assert_eq!(k, key("answer", "What is Protocol 101?", &Value::Null));
        assert!(cache.get(&k).await.unwrap().is_none());
        cache
            .put(&k, "answer", "q", "the answer".into())
            .await
            .unwrap();
        let hit = cache.get(&k).await.unwrap().unwrap();
        assert_eq!((hit.value.as_str(), hit.tier), ("the answer", Tier::Memory));

        drop(cache);
        let cache = open(dir.path(), clock.clone());
        let hit = cache.get(&k).await.unwrap().unwrap();
        assert_eq!((hit.value.as_str(), hit.tier), ("the answer", Tier::Sqlite));
        // Promoted: the next lookup is a memory hit.
        assert_eq!(cache.get(&k).await.unwrap().unwrap().tier, Tier::Memory);
        let s = cache.stats().await.unwrap();
        assert_eq!((s.memory_hits, s.sqlite_hits, s.misses), (1, 1, 0));
        assert_eq!(s.hit_rate, 1.0);
    }

    #[tokio::test]
    async fn entries_expire_in_both_tiers() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let cache = open(dir.path(), clock.clone());
        cache.put("k", "answer", "q", "v".into()).await.unwrap();
        clock.0.store(59_999, Ordering::Relaxed);
        assert!(cache.get("k").await.unwrap().is_some());
        clock.0.store(60_000, Ordering::Relaxed);
        assert!(cache.get("k").await.unwrap().is_none());
        let s = cache.stats().await.unwrap();
        // Expired in memory, then found expired in SQLite too (and deleted there).
        assert_eq!(s.expired, 2);
        assert_eq!(s.sqlite.entries, 0);
        assert_eq!(s.misses, 1);
    }

    #[tokio::test]
    async fn both_tiers_stay_within_their_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let cache = open(dir.path(), clock.clone());
        for i in 0..5 {
            clock.0.store(i, Ordering::Relaxed);
            cache
                .put(&format!("k{i}"), "answer", "q", format!("v{i}"))
                .await
                .unwrap();
        }
        let s = cache.stats().await.unwrap();
        assert_eq!((s.memory.entries, s.memory.evictions), (2, 3));
        assert_eq!((s.sqlite.entries, s.sqlite.evictions), (3, 2));
        // The oldest went first.
        assert!(cache.get("k0").await.unwrap().is_none());
        assert_eq!(cache.get("k4").await.unwrap().unwrap().tier, Tier::Memory);
        assert_eq!(cache.get("k2").await.unwrap().unwrap().tier, Tier::Sqlite);
    }

    #[tokio::test]
    async fn the_memory_byte_budget_evicts_too() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(
            dir.path(),
            CacheLimits {
                memory_entries: 100,
                memory_bytes: 50,
                ..limits()
            },
            Arc::new(ManualClock::default()),
        )
        .unwrap();
        cache.put("a", "answer", "q", "x".repeat(30)).await.unwrap();
        cache.put("b", "answer", "q", "y".repeat(30)).await.unwrap();
        let s = cache.stats().await.unwrap();
        assert_eq!(s.memory.entries, 1);
        assert!(s.memory.bytes <= 50);
        assert_eq!(s.memory.evictions, 1);
    }

    #[tokio::test]
    async fn oversized_values_are_refused_and_namespaces_clear() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path(), Arc::new(ManualClock::default()));
        let err = cache
            .put("k", "answer", "q", "x".repeat(1001))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("CORTEX_CACHE_MAX_VALUE_BYTES"),
            "{err}"
        );
        cache.put("q1", "query", "q", "r".into()).await.unwrap();
        cache.put("a1", "answer", "q", "a".into()).await.unwrap();
        assert_eq!(cache.clear_namespace("query").await.unwrap(), 1);
        assert!(cache.get("q1").await.unwrap().is_none());
        assert!(cache.get("a1").await.unwrap().is_some());
    }
}
