//! The durable state beside Chroma, in SQLite on the state volume (`<CORTEX_STATE_DIR>/cortex.sqlite`):
//! parent chunks, what was ingested from each file, the ingest log, and which Chroma collection id
//! the state belongs to.
//!
//! Chroma holds only the children (and their vectors); a query swaps each child for its parent,
//! read from here. Per file, `sources` records the content hash and chunking signature, so an
//! unchanged file is skipped and a changed one replaces its chunks. All writes for a group of files
//! are one transaction (WAL, `synchronous=FULL`): a crash leaves either the old or the new state.
//! Every call runs on a blocking thread.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use crate::error::CortexError;

/// A parent chunk as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentRow {
    /// Content-derived id.
    pub id: String,
    /// Source file (relative path).
    pub source: String,
    /// Position of this parent in its file.
    pub ordinal: usize,
    /// First line.
    pub start_line: usize,
    /// Last line.
    pub end_line: usize,
    /// The text.
    pub content: String,
}

/// What was ingested from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SourceRecord {
    /// Relative path.
    pub source: String,
    /// SHA-256 of the content that was ingested.
    pub doc_hash: String,
    /// Chunking signature used.
    pub chunker: String,
    /// Bytes.
    pub bytes: u64,
    /// Parent chunks.
    pub parents: u64,
    /// Child chunks (records in Chroma).
    pub chunks: u64,
    /// When, in Unix seconds.
    pub ingested_at: i64,
}

/// One file's new state, written with its parents.
#[derive(Debug, Clone)]
pub struct FileCommit {
    /// The file's record.
    pub record: SourceRecord,
    /// Its parents (replacing the old ones).
    pub parents: Vec<ParentRow>,
}

/// One entry of the ingest log.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct IngestRun {
    /// `full` or `incremental`.
    pub kind: String,
    /// Collection.
    pub collection: String,
    /// Start, Unix seconds.
    pub started_at: i64,
    /// Duration in milliseconds.
    pub elapsed_ms: u64,
    /// `success`, `partial` or `error`.
    pub status: String,
    /// Files looked at.
    pub files_seen: u64,
    /// Files (re-)ingested.
    pub files_ingested: u64,
    /// Files skipped as unchanged.
    pub files_unchanged: u64,
    /// Files whose chunks were removed.
    pub files_removed: u64,
    /// Child chunks written.
    pub chunks_upserted: u64,
    /// The error, when it failed.
    pub error: Option<String>,
}

/// Totals for stats.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    /// Files ingested.
    pub sources: u64,
    /// Parents stored.
    pub parents: u64,
    /// Children recorded.
    pub chunks: u64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parents (
    collection TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, content TEXT NOT NULL,
    PRIMARY KEY (collection, id));
CREATE INDEX IF NOT EXISTS parents_by_source ON parents (collection, source);
CREATE TABLE IF NOT EXISTS sources (
    collection TEXT NOT NULL, source TEXT NOT NULL, doc_hash TEXT NOT NULL, chunker TEXT NOT NULL,
    bytes INTEGER NOT NULL, parents INTEGER NOT NULL, chunks INTEGER NOT NULL, ingested_at INTEGER NOT NULL,
    PRIMARY KEY (collection, source));
CREATE TABLE IF NOT EXISTS ingest_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, collection TEXT NOT NULL,
    started_at INTEGER NOT NULL, elapsed_ms INTEGER NOT NULL, status TEXT NOT NULL,
    files_seen INTEGER NOT NULL, files_ingested INTEGER NOT NULL, files_unchanged INTEGER NOT NULL,
    files_removed INTEGER NOT NULL, chunks_upserted INTEGER NOT NULL, error TEXT);
";

/// Open (creating) a SQLite database with the pragmas both stores use.
pub fn open_db(path: &Path) -> Result<Connection, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let conn =
        Connection::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
    )
    .map_err(|e| format!("cannot configure {}: {e}", path.display()))?;
    Ok(conn)
}

/// Now, in Unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Run `f` on the connection behind `conn` on a blocking thread. Errors name the database file
/// `path`; `holder` names what a panicked operation left locked.
pub(crate) async fn run_locked<T, F>(
    conn: Arc<Mutex<Connection>>,
    path: &Path,
    holder: &'static str,
    f: F,
) -> Result<T, CortexError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
{
    let path = path.display().to_string();
    let err_path = path.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = conn.lock().map_err(|_| CortexError::Store {
            path: path.clone(),
            message: format!("a previous operation panicked while holding the {holder}"),
        })?;
        f(&mut guard).map_err(|e| CortexError::Store {
            path,
            message: e.to_string(),
        })
    })
    .await
    .map_err(|e| CortexError::Store {
        path: err_path,
        message: format!("background task failed: {e}"),
    })?
}

/// The parent store and ingest log.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open `<dir>/cortex.sqlite`, creating the directory and tables.
    pub fn open(dir: &Path) -> Result<Self, String> {
        let path = dir.join("cortex.sqlite");
        let conn = open_db(&path)?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| format!("cannot create tables in {}: {e}", path.display()))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` on the connection on a blocking thread.
    async fn run<T, F>(&self, f: F) -> Result<T, CortexError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        run_locked(self.conn.clone(), &self.path, "database", f).await
    }

    /// The Chroma collection id this state was built against, if any.
    pub async fn bound_collection_id(
        &self,
        collection: &str,
    ) -> Result<Option<String>, CortexError> {
        let key = format!("collection_id:{collection}");
        self.run(move |c| {
            c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        })
        .await
    }

    /// Bind `collection` to Chroma id `id`. When it was bound to another id (the collection was
    /// deleted and recreated behind cortex's back), the old state is dropped so everything is
    /// ingested again; returns whether that happened.
    pub async fn bind_collection(&self, collection: &str, id: &str) -> Result<bool, CortexError> {
        let collection = collection.to_owned();
        let id = id.to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            let key = format!("collection_id:{collection}");
            let old: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| r.get(0))
                .optional()?;
            let reset = old.as_deref().is_some_and(|o| o != id);
            if reset {
                tx.execute("DELETE FROM parents WHERE collection = ?1", [&collection])?;
                tx.execute("DELETE FROM sources WHERE collection = ?1", [&collection])?;
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, id],
            )?;
            tx.commit()?;
            Ok(reset)
        })
        .await
    }

    /// Forget everything about `collection` (purge).
    pub async fn clear_collection(&self, collection: &str) -> Result<(), CortexError> {
        let collection = collection.to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM parents WHERE collection = ?1", [&collection])?;
            tx.execute("DELETE FROM sources WHERE collection = ?1", [&collection])?;
            tx.execute(
                "DELETE FROM meta WHERE key = ?1",
                [format!("collection_id:{collection}")],
            )?;
            tx.commit()
        })
        .await
    }

    /// Every file record of `collection`, keyed by path.
    pub async fn sources(
        &self,
        collection: &str,
    ) -> Result<HashMap<String, SourceRecord>, CortexError> {
        let collection = collection.to_owned();
        self.run(move |c| {
            let mut stmt = c.prepare(
                "SELECT source, doc_hash, chunker, bytes, parents, chunks, ingested_at FROM sources WHERE collection = ?1",
            )?;
            let rows = stmt.query_map([&collection], |r| {
                Ok(SourceRecord {
                    source: r.get(0)?,
                    doc_hash: r.get(1)?,
                    chunker: r.get(2)?,
                    bytes: r.get::<_, i64>(3)? as u64,
                    parents: r.get::<_, i64>(4)? as u64,
                    chunks: r.get::<_, i64>(5)? as u64,
                    ingested_at: r.get(6)?,
                })
            })?;
            rows.map(|r| r.map(|s| (s.source.clone(), s))).collect()
        })
        .await
    }

    /// Write the new state of some files: their records, and their parents replacing the old.
    pub async fn commit_files(
        &self,
        collection: &str,
        files: Vec<FileCommit>,
    ) -> Result<(), CortexError> {
        if files.is_empty() {
            return Ok(());
        }
        let collection = collection.to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            {
                let mut del = tx.prepare_cached("DELETE FROM parents WHERE collection = ?1 AND source = ?2")?;
                let mut ins = tx.prepare_cached(
                    "INSERT OR REPLACE INTO parents (collection, id, source, ordinal, start_line, end_line, content)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                let mut rec = tx.prepare_cached(
                    "INSERT OR REPLACE INTO sources (collection, source, doc_hash, chunker, bytes, parents, chunks, ingested_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for f in &files {
                    del.execute(params![collection, f.record.source])?;
                    for p in &f.parents {
                        ins.execute(params![
                            collection,
                            p.id,
                            p.source,
                            p.ordinal as i64,
                            p.start_line as i64,
                            p.end_line as i64,
                            p.content
                        ])?;
                    }
                    let r = &f.record;
                    rec.execute(params![
                        collection,
                        r.source,
                        r.doc_hash,
                        r.chunker,
                        r.bytes as i64,
                        r.parents as i64,
                        r.chunks as i64,
                        r.ingested_at
                    ])?;
                }
            }
            tx.commit()
        })
        .await
    }

    /// Forget `paths` (their files were deleted, or their chunks removed).
    pub async fn remove_sources(
        &self,
        collection: &str,
        paths: Vec<String>,
    ) -> Result<(), CortexError> {
        if paths.is_empty() {
            return Ok(());
        }
        let collection = collection.to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            for p in &paths {
                tx.execute(
                    "DELETE FROM parents WHERE collection = ?1 AND source = ?2",
                    params![collection, p],
                )?;
                tx.execute(
                    "DELETE FROM sources WHERE collection = ?1 AND source = ?2",
                    params![collection, p],
                )?;
            }
            tx.commit()
        })
        .await
    }

    /// The parents with `ids`, by id (missing ones are absent).
    pub async fn parents(
        &self,
        collection: &str,
        ids: Vec<String>,
    ) -> Result<HashMap<String, ParentRow>, CortexError> {
        let collection = collection.to_owned();
        self.run(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, source, ordinal, start_line, end_line, content FROM parents WHERE collection = ?1 AND id = ?2",
            )?;
            let mut out = HashMap::new();
            for id in ids {
                if let Some(p) = stmt
                    .query_row(params![collection, id], |r| {
                        Ok(ParentRow {
                            id: r.get(0)?,
                            source: r.get(1)?,
                            ordinal: r.get::<_, i64>(2)? as usize,
                            start_line: r.get::<_, i64>(3)? as usize,
                            end_line: r.get::<_, i64>(4)? as usize,
                            content: r.get(5)?,
                        })
                    })
                    .optional()?
                {
                    out.insert(p.id.clone(), p);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Files, parents and children recorded for `collection`.
    pub async fn totals(&self, collection: &str) -> Result<Totals, CortexError> {
        let collection = collection.to_owned();
        self.run(move |c| {
            let (sources, chunks): (i64, i64) = c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(chunks), 0) FROM sources WHERE collection = ?1",
                [&collection],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let parents: i64 = c.query_row(
                "SELECT COUNT(*) FROM parents WHERE collection = ?1",
                [&collection],
                |r| r.get(0),
            )?;
            Ok(Totals {
                sources: sources as u64,
                parents: parents as u64,
                chunks: chunks as u64,
            })
        })
        .await
    }

    /// The files with the most chunks.
    pub async fn top_sources(
        &self,
        collection: &str,
        limit: usize,
    ) -> Result<Vec<SourceRecord>, CortexError> {
        let mut all: Vec<SourceRecord> = self.sources(collection).await?.into_values().collect();
        all.sort_by(|a, b| {
            b.chunks
                .cmp(&a.chunks)
                .then_with(|| a.source.cmp(&b.source))
        });
        all.truncate(limit);
        Ok(all)
    }

    /// Append a run to the ingest log (the newest 1000 are kept).
    pub async fn record_run(&self, run: IngestRun) -> Result<(), CortexError> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO ingest_runs (kind, collection, started_at, elapsed_ms, status, files_seen, files_ingested,
                    files_unchanged, files_removed, chunks_upserted, error) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                params![
                    run.kind,
                    run.collection,
                    run.started_at,
                    run.elapsed_ms as i64,
                    run.status,
                    run.files_seen as i64,
                    run.files_ingested as i64,
                    run.files_unchanged as i64,
                    run.files_removed as i64,
                    run.chunks_upserted as i64,
                    run.error
                ],
            )?;
            c.execute(
                "DELETE FROM ingest_runs WHERE id <= (SELECT MAX(id) FROM ingest_runs) - 1000",
                [],
            )?;
            Ok(())
        })
        .await
    }

    /// The newest `limit` runs, newest first.
    pub async fn recent_runs(&self, limit: usize) -> Result<Vec<IngestRun>, CortexError> {
        self.run(move |c| {
            let mut stmt = c.prepare(
                "SELECT kind, collection, started_at, elapsed_ms, status, files_seen, files_ingested, files_unchanged,
                    files_removed, chunks_upserted, error FROM ingest_runs ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], |r| {
                Ok(IngestRun {
                    kind: r.get(0)?,
                    collection: r.get(1)?,
                    started_at: r.get(2)?,
                    elapsed_ms: r.get::<_, i64>(3)? as u64,
                    status: r.get(4)?,
                    files_seen: r.get::<_, i64>(5)? as u64,
                    files_ingested: r.get::<_, i64>(6)? as u64,
                    files_unchanged: r.get::<_, i64>(7)? as u64,
                    files_removed: r.get::<_, i64>(8)? as u64,
                    chunks_upserted: r.get::<_, i64>(9)? as u64,
                    error: r.get(10)?,
                })
            })?;
            rows.collect()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(source: &str, hash: &str, parents: &[(&str, &str)]) -> FileCommit {
        FileCommit {
            record: SourceRecord {
                source: source.to_owned(),
                doc_hash: hash.to_owned(),
                chunker: "v1".to_owned(),
                bytes: 10,
                parents: parents.len() as u64,
                chunks: parents.len() as u64 * 2,
                ingested_at: 1,
            },
            parents: parents
                .iter()
                .enumerate()
                .map(|(i, (id, content))| ParentRow {
                    id: (*id).to_owned(),
                    source: source.to_owned(),
                    ordinal: i,
                    start_line: 1,
                    end_line: 2,
                    content: (*content).to_owned(),
                })
                .collect(),
        }
    }

    #[tokio::test]
    async fn a_new_version_replaces_the_old_parents_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .commit_files(
                "c1",
                vec![commit("a.md", "h1", &[("p1", "one"), ("p2", "two")])],
            )
            .await
            .unwrap();
        store
            .commit_files("c1", vec![commit("a.md", "h2", &[("p3", "three")])])
            .await
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let got = store
            .parents("c1", vec!["p1".into(), "p3".into()])
            .await
            .unwrap();
        assert_eq!(got.keys().collect::<Vec<_>>(), ["p3"]);
        assert_eq!(got["p3"].content, "three");
        let sources = store.sources("c1").await.unwrap();
        assert_eq!(sources["a.md"].doc_hash, "h2");
        let t = store.totals("c1").await.unwrap();
        assert_eq!((t.sources, t.parents, t.chunks), (1, 1, 2));
        // Other collections are separate.
        assert_eq!(store.totals("c2").await.unwrap().sources, 0);
    }

    #[tokio::test]
    async fn rebinding_to_a_new_collection_id_drops_the_old_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(!store.bind_collection("c1", "id-1").await.unwrap());
        store
            .commit_files("c1", vec![commit("a.md", "h1", &[("p1", "one")])])
            .await
            .unwrap();
        assert!(!store.bind_collection("c1", "id-1").await.unwrap());
        assert_eq!(store.totals("c1").await.unwrap().parents, 1);
        assert!(store.bind_collection("c1", "id-2").await.unwrap());
        assert_eq!(store.totals("c1").await.unwrap().parents, 0);
        assert_eq!(
            store.bound_collection_id("c1").await.unwrap().as_deref(),
            Some("id-2")
        );
    }

    #[tokio::test]
    async fn removing_sources_and_the_run_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .commit_files(
                "c1",
                vec![
                    commit("a.md", "h1", &[("p1", "one")]),
                    commit("b.md", "h1", &[("p2", "two"), ("p3", "three")]),
                ],
            )
            .await
            .unwrap();
        assert_eq!(store.top_sources("c1", 1).await.unwrap()[0].source, "b.md");
        store
            .remove_sources("c1", vec!["b.md".into()])
            .await
            .unwrap();
        assert_eq!(store.totals("c1").await.unwrap().parents, 1);
        for i in 0..3 {
            store
                .record_run(IngestRun {
                    kind: "full".into(),
                    files_seen: i,
                    status: "success".into(),
                    ..IngestRun::default()
                })
                .await
                .unwrap();
        }
        let runs = store.recent_runs(2).await.unwrap();
        assert_eq!(
            runs.iter().map(|r| r.files_seen).collect::<Vec<_>>(),
            [2, 1]
        );
    }

    #[test]
    fn an_unwritable_directory_is_a_clear_error() {
        let err = Store::open(Path::new("/proc/cortex-cannot-write-here")).unwrap_err();
        assert!(err.contains("/proc/cortex-cannot-write-here"), "{err}");
    }
}
