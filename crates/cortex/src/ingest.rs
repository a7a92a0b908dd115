//! Ingestion: files → parent/child chunks → embeddings → Chroma (children) + the parent store.
//!
//! Re-ingesting is an upsert, never a duplicate:
//! - ids derive from content (`chunking::chunk_id`), so an unchanged chunk keeps its id;
//! - each file's record (content hash, chunking signature) lets unchanged files be skipped;
//! - a changed file's chunks are upserted, then every chunk of that file carrying another
//!   content hash is deleted (which also sweeps leftovers of an interrupted run);
//! - a file that disappeared (or became excluded) loses its chunks and parents.
//!
//! Files are processed in groups: their children are embedded in batches (`CORTEX_EMBED_BATCH`,
//! each an `embed` hop), upserted in batches within Chroma's `max_batch_size` (each an `upsert`
//! hop), stale chunks removed, then the group's parents and records are committed in one
//! transaction. A backend failure stops the ingest; finished groups stay consistent, and running
//! it again picks up the rest. Progress is reported after each group.

use std::{collections::HashMap, path::PathBuf, time::Instant};

use futures::{FutureExt as _, future::BoxFuture};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    chroma::{Delete, Metadata, Upsert, is_missing_collection},
    chunking::{self, DocKind, chunk_id, sha256_hex},
    embed::EmbedKind,
    engine::{CollectionHandle, Engine},
    error::CortexError,
    store::{FileCommit, IngestRun, ParentRow, SourceRecord, unix_now},
    walk::{self, Candidate, Filters, Skipped},
};

/// Children per group before it is flushed to the backends.
const GROUP_CHUNKS: usize = 256;
/// Files per group at most (bounds the size of the stale-chunk filter).
const GROUP_FILES: usize = 64;
/// Skipped files listed in a result (the count is always complete).
const MAX_LISTED: usize = 100;

/// Where progress goes (an MCP progress token, or nowhere).
pub trait Reporter: Send + Sync {
    /// `done` of `total` steps, with a message.
    fn report(&self, done: u64, total: u64, message: String) -> BoxFuture<'_, ()>;
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {
    fn report(&self, _: u64, _: u64, _: String) -> BoxFuture<'_, ()> {
        async {}.boxed()
    }
}

impl Reporter for fleet_core::Progress {
    fn report(&self, done: u64, total: u64, message: String) -> BoxFuture<'_, ()> {
        async move {
            fleet_core::Progress::report(self, done as f64, Some(total as f64), Some(message))
                .await;
        }
        .boxed()
    }
}

/// What to ingest.
#[derive(Debug, Clone)]
pub enum IngestRequest {
    /// Walk directories; files gone from them lose their chunks.
    Full {
        /// Directories relative to the source root (`.` = all of it).
        directories: Vec<String>,
        /// Delete the collection and the parent store first.
        purge: bool,
    },
    /// These files only; a listed file that no longer exists loses its chunks.
    Incremental {
        /// Files relative to the source root.
        files: Vec<String>,
    },
}

/// A file that failed (the rest of the ingest went on).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileError {
    /// Path relative to the source root.
    pub path: String,
    /// What went wrong.
    pub error: String,
}

/// Result of an ingest.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IngestOutput {
    /// `success`, or `partial` when some files failed (see `errors`).
    pub status: String,
    /// `full` or `incremental`.
    pub kind: String,
    /// Files (re-)ingested (the original's name for `files_ingested`).
    pub documents_processed: u64,
    /// Child chunks written (the original's name for `chunks_upserted`).
    pub chunks_created: u64,
    /// Files considered.
    pub files_seen: u64,
    /// Files new or changed, now ingested.
    pub files_ingested: u64,
    /// Files unchanged since their last ingest (skipped).
    pub files_unchanged: u64,
    /// Files deleted or excluded since their last ingest, whose chunks were removed.
    pub files_removed: u64,
    /// Paths of removed files (up to 100).
    pub removed: Vec<String>,
    /// Files left out, with the reason (up to 100 listed).
    pub skipped: Vec<Skipped>,
    /// Files left out in total (including those not listed).
    pub files_skipped: u64,
    /// Files left out for their extension (not listed).
    pub skipped_by_extension: u64,
    /// The walk stopped at CORTEX_MAX_FILES; deleted files were not looked for.
    pub truncated: bool,
    /// Parent chunks written.
    pub parents_written: u64,
    /// Child chunks upserted into Chroma.
    pub chunks_upserted: u64,
    /// Stale child chunks Chroma reports deleted.
    pub chunks_deleted: u64,
    /// Files that failed, with the reason.
    pub errors: Vec<FileError>,
    /// Wall time in milliseconds.
    pub ingestion_time_ms: u64,
    /// Child chunks embedded and written per second of wall time.
    pub chunks_per_second: f64,
    /// The collection.
    pub collection: String,
    /// The embedder.
    pub embedder: String,
    /// Where the vectors live (`<chroma url> <collection>`).
    pub vectorstore: String,
    /// Whether the collection and parent store were purged first.
    pub purged: bool,
}

/// One child record ready for Chroma.
struct Child {
    id: String,
    text: String,
    metadata: Metadata,
}

/// A file read and chunked, waiting for its group to be flushed.
struct Prepared {
    commit: FileCommit,
    children: Vec<Child>,
}

#[derive(Default)]
struct Tally {
    files_ingested: u64,
    files_unchanged: u64,
    parents: u64,
    upserted: u64,
    deleted: u64,
    done: u64,
}

impl Engine {
    /// Run an ingest. Only one runs at a time; a second call is refused at once.
    pub async fn ingest(
        &self,
        request: IngestRequest,
        force: bool,
        reporter: &dyn Reporter,
    ) -> Result<IngestOutput, CortexError> {
        let Ok(_guard) = self.ingest_lock.try_lock() else {
            return Err(CortexError::arg(
                "request",
                "another ingest is running; try again when it has finished",
            ));
        };
        let started = Instant::now();
        let started_at = unix_now();
        let kind = match &request {
            IngestRequest::Full { .. } => "full",
            IngestRequest::Incremental { .. } => "incremental",
        };
        let mut result = self
            .ingest_locked(request.clone(), force, reporter, started)
            .await;
        if let Err(e) = &result
            && is_missing_collection(root_cause(e))
        {
            // The collection vanished behind cortex's back (deleted, or Chroma lost its data):
            // look it up again, which recreates it, and ingest everything once more.
            tracing::warn!(error = %e, "the collection is gone; recreating it and ingesting again");
            self.forget_collection().await;
            result = self.ingest_locked(request, force, reporter, started).await;
        }
        let mut run = IngestRun {
            kind: kind.to_owned(),
            collection: self.config.collection.clone(),
            started_at,
            elapsed_ms: started.elapsed().as_millis() as u64,
            ..IngestRun::default()
        };
        match &result {
            Ok(out) => {
                run.status = out.status.clone();
                run.files_seen = out.files_seen;
                run.files_ingested = out.files_ingested;
                run.files_unchanged = out.files_unchanged;
                run.files_removed = out.files_removed;
                run.chunks_upserted = out.chunks_upserted;
                run.error = out
                    .errors
                    .first()
                    .map(|e| format!("{}: {}", e.path, e.error));
            }
            Err(e) => {
                run.status = "error".to_owned();
                run.error = Some(e.to_string());
            }
        }
        if let Err(e) = self.store.record_run(run).await {
            tracing::warn!(error = %e, "ingest run not logged");
        }
        result
    }

    async fn ingest_locked(
        &self,
        request: IngestRequest,
        force: bool,
        reporter: &dyn Reporter,
        started: Instant,
    ) -> Result<IngestOutput, CortexError> {
        let root = walk::canonical_root(&self.config.source_root)?;
        let filters = Filters {
            extensions: self.config.extensions.clone(),
            exclude_dirs: self.config.exclude_dirs.clone(),
            max_file_bytes: self.config.max_file_bytes,
            max_files: self.config.max_files,
        };
        let collection = self.config.collection.clone();
        let mut purged = false;

        // Decide which files to read and which records to drop, before touching any backend.
        let (candidates, mut skipped, by_ext, truncated, scope, explicit_missing) = match &request {
            IngestRequest::Full { directories, purge } => {
                let dirs = if directories.is_empty() {
                    vec![".".to_owned()]
                } else {
                    let mut dirs = Vec::new();
                    for (i, d) in directories.iter().enumerate() {
                        let arg = format!("source_directories[{i}]");
                        let (source, abs) = walk::resolve(&root, d, &arg)?;
                        if !abs.is_dir() {
                            return Err(CortexError::arg(
                                arg,
                                format!(
                                    "{d} is not a directory under CORTEX_SOURCE_ROOT ({})",
                                    root.display()
                                ),
                            ));
                        }
                        dirs.push(source);
                    }
                    dirs
                };
                if *purge {
                    self.purge().await?;
                    purged = true;
                }
                let root2 = root.clone();
                let dirs2 = dirs.clone();
                let w = tokio::task::spawn_blocking(move || walk::walk(&root2, &dirs2, &filters))
                    .await?;
                (
                    w.files,
                    w.skipped,
                    w.skipped_by_extension,
                    w.truncated,
                    Some(dirs),
                    Vec::new(),
                )
            }
            IngestRequest::Incremental { files } => {
                if files.is_empty() {
                    return Err(CortexError::arg(
                        "file_paths",
                        "empty; list at least one file",
                    ));
                }
                let mut candidates = Vec::new();
                let mut missing = Vec::new();
                let mut skipped = Vec::new();
                for (i, f) in files.iter().enumerate() {
                    let arg = format!("file_paths[{i}]");
                    let (source, abs) = walk::resolve(&root, f, &arg)?;
                    match std::fs::symlink_metadata(&abs) {
                        Ok(m) if m.is_dir() => {
                            return Err(CortexError::arg(
                                arg,
                                format!(
                                    "{f} is a directory; use cortex_ingest_full with source_directories"
                                ),
                            ));
                        }
                        Ok(m) if m.file_type().is_symlink() => skipped.push(Skipped {
                            path: source,
                            reason: "symbolic link (not followed)".to_owned(),
                        }),
                        Ok(m) if m.len() > self.config.max_file_bytes => skipped.push(Skipped {
                            path: source,
                            reason: format!(
                                "{} bytes is over CORTEX_MAX_FILE_BYTES ({})",
                                m.len(),
                                self.config.max_file_bytes
                            ),
                        }),
                        Ok(m) => candidates.push(Candidate {
                            source,
                            path: abs,
                            bytes: m.len(),
                        }),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing.push(source),
                        Err(e) => skipped.push(Skipped {
                            path: source,
                            reason: format!("unreadable: {e}"),
                        }),
                    }
                }
                candidates.sort_by(|a, b| a.source.cmp(&b.source));
                candidates.dedup_by(|a, b| a.source == b.source);
                (candidates, skipped, 0, false, None, missing)
            }
        };

        self.embedder.prepare().await?;
        // Look the collection up afresh: if it was deleted or recreated since the last call, its
        // new id makes `bind_collection` drop the stale file records, so nothing is wrongly
        // skipped as unchanged.
        self.forget_collection().await;
        let handle = self.collection(true).await?;
        if self.store.bind_collection(&collection, &handle.id).await? {
            tracing::warn!(collection = %collection, "the chroma collection was recreated; re-ingesting everything");
        }
        let records = self.store.sources(&collection).await?;
        let signature = chunking::signature(&self.config.chunks);

        // Files to remove: recorded under the walked directories but no longer walked, or listed
        // explicitly and gone. Skipped (now binary or too large) files lose their old chunks too.
        let walked: std::collections::HashSet<&str> =
            candidates.iter().map(|c| c.source.as_str()).collect();
        let mut to_remove: Vec<String> = match &scope {
            Some(dirs) if !truncated => records
                .keys()
                .filter(|s| {
                    dirs.iter().any(|d| walk::is_under(s, d)) && !walked.contains(String::as_str(s))
                })
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        for m in explicit_missing {
            if records.contains_key(&m) {
                to_remove.push(m);
            } else {
                skipped.push(Skipped {
                    path: m,
                    reason: "not found (and never ingested)".to_owned(),
                });
            }
        }
        for s in &skipped {
            if scope.is_none() && records.contains_key(&s.path) {
                to_remove.push(s.path.clone());
            }
        }
        to_remove.sort();
        to_remove.dedup();

        // Paths looked at: the candidates, and those left out before reading.
        let files_seen = (candidates.len() + skipped.len()) as u64;
        let total = (candidates.len() + to_remove.len()).max(1) as u64;
        let batch = self.upsert_batch().await?;
        let mut tally = Tally::default();
        let mut errors = Vec::new();
        let mut group: Vec<Prepared> = Vec::new();
        let mut group_chunks = 0;
        let budget = fleet_core::budget::ChainBudget::new(self.config.ingest_timeout);

        reporter
            .report(
                0,
                total,
                format!(
                    "{} files to read, {} to remove",
                    candidates.len(),
                    to_remove.len()
                ),
            )
            .await;

        for c in &candidates {
            let record = records.get(&c.source);
            match self.prepare(c, record, &signature, force).await {
                Ok(Some(p)) => {
                    group_chunks += p.children.len();
                    group.push(p);
                }
                Ok(None) => {
                    tally.files_unchanged += 1;
                    tally.done += 1;
                }
                Err(PrepareError::Skip(reason)) => {
                    if record.is_some() {
                        to_remove.push(c.source.clone());
                    }
                    skipped.push(Skipped {
                        path: c.source.clone(),
                        reason,
                    });
                    tally.done += 1;
                }
                Err(PrepareError::Failed(error)) => {
                    errors.push(FileError {
                        path: c.source.clone(),
                        error,
                    });
                    tally.done += 1;
                }
            }
            if group_chunks >= GROUP_CHUNKS || group.len() >= GROUP_FILES {
                self.flush_group(&handle, &mut group, batch, &budget, &mut tally, total)
                    .await?;
                group_chunks = 0;
                reporter
                    .report(
                        tally.done,
                        total,
                        format!(
                            "{} files ingested, {} chunks written",
                            tally.files_ingested, tally.upserted
                        ),
                    )
                    .await;
            }
        }
        self.flush_group(&handle, &mut group, batch, &budget, &mut tally, total)
            .await?;

        to_remove.sort();
        to_remove.dedup();
        if !to_remove.is_empty() {
            for chunk in to_remove.chunks(GROUP_FILES) {
                let filter = any_of(chunk.iter().map(|s| json!({"source": s})).collect());
                let deleted = self
                    .delete_where(&handle, &budget, filter)
                    .await
                    .map_err(|e| interrupted(e, tally.done, total))?;
                tally.deleted += deleted;
                self.store
                    .remove_sources(&collection, chunk.to_vec())
                    .await
                    .map_err(|e| interrupted(e, tally.done, total))?;
                tally.done += chunk.len() as u64;
            }
        }
        if tally.files_ingested > 0 || !to_remove.is_empty() || purged {
            self.cache.clear_namespace("query").await?;
        }
        reporter
            .report(
                total,
                total,
                format!(
                    "done: {} files ingested, {} removed",
                    tally.files_ingested,
                    to_remove.len()
                ),
            )
            .await;

        let elapsed = started.elapsed();
        tracing::info!(
            collection = %collection,
            files_ingested = tally.files_ingested,
            files_unchanged = tally.files_unchanged,
            files_removed = to_remove.len(),
            files_failed = errors.len(),
            chunks_upserted = tally.upserted,
            chunks_deleted = tally.deleted,
            elapsed_ms = elapsed.as_millis() as u64,
            "ingest finished"
        );
        let files_skipped = skipped.len() as u64;
        skipped.truncate(MAX_LISTED);
        let mut removed = to_remove.clone();
        removed.truncate(MAX_LISTED);
        Ok(IngestOutput {
            status: if errors.is_empty() {
                "success"
            } else {
                "partial"
            }
            .to_owned(),
            kind: match request {
                IngestRequest::Full { .. } => "full",
                IngestRequest::Incremental { .. } => "incremental",
            }
            .to_owned(),
            documents_processed: tally.files_ingested,
            chunks_created: tally.upserted,
            files_seen,
            files_ingested: tally.files_ingested,
            files_unchanged: tally.files_unchanged,
            files_removed: to_remove.len() as u64,
            removed,
            skipped,
            files_skipped,
            skipped_by_extension: by_ext,
            truncated,
            parents_written: tally.parents,
            chunks_upserted: tally.upserted,
            chunks_deleted: tally.deleted,
            errors,
            ingestion_time_ms: elapsed.as_millis() as u64,
            chunks_per_second: if elapsed.as_secs_f64() > 0.0 {
                (tally.upserted as f64 / elapsed.as_secs_f64() * 10.0).round() / 10.0
            } else {
                0.0
            },
            collection,
            embedder: self.embedder.info().label(),
            vectorstore: format!("{} {}", self.chroma.base(), self.config.collection),
            purged,
        })
    }

    /// Delete the collection, its parents and records, and the query cache.
    pub async fn purge(&self) -> Result<(), CortexError> {
        self.chroma
            .delete_collection(&self.config.collection)
            .await?;
        self.forget_collection().await;
        self.store.clear_collection(&self.config.collection).await?;
        self.cache.clear_namespace("query").await?;
        Ok(())
    }

    /// Read and chunk one file; `None` when it is unchanged since its last ingest.
    async fn prepare(
        &self,
        c: &Candidate,
        record: Option<&SourceRecord>,
        signature: &str,
        force: bool,
    ) -> Result<Option<Prepared>, PrepareError> {
        let path: PathBuf = c.path.clone();
        let sizes = self.config.chunks;
        let record = record.cloned();
        let signature = signature.to_owned();
        let source = c.source.clone();
        tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path)
                .map_err(|e| PrepareError::Failed(format!("cannot read: {e}")))?;
            if let Some(reason) = walk::not_text(&bytes) {
                return Err(PrepareError::Skip(reason.to_owned()));
            }
            let doc_hash = sha256_hex(&bytes);
            if !force
                && let Some(r) = &record
                && r.doc_hash == doc_hash
                && r.chunker == signature
            {
                return Ok(None);
            }
            let text = String::from_utf8_lossy(&bytes);
            let kind = chunking::kind_for(&path);
            let parents = chunking::chunk(&text, kind, &sizes).map_err(PrepareError::Failed)?;
            Ok(Some(build(
                &source,
                &doc_hash,
                bytes.len() as u64,
                &signature,
                kind,
                parents,
            )))
        })
        .await
        .map_err(|e| PrepareError::Failed(format!("chunking task failed: {e}")))?
    }

    /// Flush `group` (leaving it empty); a failure is an interruption after `tally.done` of
    /// `total`.
    async fn flush_group(
        &self,
        handle: &CollectionHandle,
        group: &mut Vec<Prepared>,
        batch: usize,
        budget: &fleet_core::budget::ChainBudget,
        tally: &mut Tally,
        total: u64,
    ) -> Result<(), CortexError> {
        self.flush(handle, std::mem::take(group), batch, budget, tally)
            .await
            .map_err(|e| interrupted(e, tally.done, total))
    }

    /// Embed, upsert and commit a group of prepared files.
    async fn flush(
        &self,
        handle: &CollectionHandle,
        group: Vec<Prepared>,
        batch: usize,
        budget: &fleet_core::budget::ChainBudget,
        tally: &mut Tally,
    ) -> Result<(), CortexError> {
        if group.is_empty() {
            return Ok(());
        }
        let mut children: Vec<&Child> = group.iter().flat_map(|p| &p.children).collect();
        // Texts of similar length batch together, so little of each batch is padding.
        children.sort_by_key(|c| c.text.len());
        let mut upsert = Upsert::default();
        for slice in children.chunks(self.config.embed_batch) {
            let texts: Vec<String> = slice.iter().map(|c| c.text.clone()).collect();
            let vectors = budget
                .run(
                    self.config.timeouts.embed,
                    self.embedder.embed(texts, EmbedKind::Document),
                )
                .await?;
            if let (Some(v), Some(d)) = (vectors.first(), handle.dimension)
                && v.len() != d
            {
                return Err(CortexError::Mismatch(format!(
                    "collection {:?} holds {d}-dimensional vectors but the embedder made {}-dimensional ones",
                    handle.name,
                    v.len()
                )));
            }
            for (c, v) in slice.iter().zip(vectors) {
                upsert.ids.push(c.id.clone());
                upsert.documents.push(c.text.clone());
                upsert.metadatas.push(c.metadata.clone());
                upsert.embeddings.push(v);
            }
            if upsert.ids.len() >= batch {
                self.upsert(handle, std::mem::take(&mut upsert), batch, budget, tally)
                    .await?;
            }
        }
        self.upsert(handle, upsert, batch, budget, tally).await?;

        // Sweep every chunk of these files that carries another content hash.
        let stale = any_of(
            group
                .iter()
                .map(|p| {
                    json!({"$and": [
                        {"source": p.commit.record.source},
                        {"doc_hash": {"$ne": p.commit.record.doc_hash}}
                    ]})
                })
                .collect(),
        );
        tally.deleted += self.delete_where(handle, budget, stale).await?;

        let n = group.len() as u64;
        tally.parents += group
            .iter()
            .map(|p| p.commit.parents.len() as u64)
            .sum::<u64>();
        self.store
            .commit_files(&handle.name, group.into_iter().map(|p| p.commit).collect())
            .await?;
        tally.files_ingested += n;
        tally.done += n;
        Ok(())
    }

    /// The hop of an ingest's writes to Chroma (upserts and deletions), bounded like a search.
    fn write_hop(&self) -> fleet_core::budget::Hop {
        fleet_core::budget::Hop::new("upsert", self.config.timeouts.search.limit)
    }

    /// Delete the records of `handle` matching `filter` within the write hop; how many went.
    async fn delete_where(
        &self,
        handle: &CollectionHandle,
        budget: &fleet_core::budget::ChainBudget,
        filter: Value,
    ) -> Result<u64, CortexError> {
        let deleted = budget
            .run(
                self.write_hop(),
                self.chroma.delete(
                    &handle.id,
                    &Delete {
                        ids: None,
                        filter: Some(filter),
                    },
                ),
            )
            .await?;
        Ok(deleted)
    }

    async fn upsert(
        &self,
        handle: &CollectionHandle,
        records: Upsert,
        batch: usize,
        budget: &fleet_core::budget::ChainBudget,
        tally: &mut Tally,
    ) -> Result<(), CortexError> {
        let hop = self.write_hop();
        let mut start = 0;
        while start < records.ids.len() {
            let end = (start + batch).min(records.ids.len());
            let part = Upsert {
                ids: records.ids[start..end].to_vec(),
                embeddings: records.embeddings[start..end].to_vec(),
                documents: records.documents[start..end].to_vec(),
                metadatas: records.metadatas[start..end].to_vec(),
            };
            budget
                .run(hop, self.chroma.upsert(&handle.id, &part))
                .await?;
            tally.upserted += (end - start) as u64;
            start = end;
        }
        Ok(())
    }
}

enum PrepareError {
    /// Not ingestible (binary); not an error.
    Skip(String),
    /// Could not be read or chunked.
    Failed(String),
}

/// The error behind an interrupted ingest.
fn root_cause(e: &CortexError) -> &CortexError {
    match e {
        CortexError::Interrupted { source, .. } => root_cause(source),
        other => other,
    }
}

fn interrupted(e: CortexError, done: u64, total: u64) -> CortexError {
    CortexError::Interrupted {
        done,
        total,
        source: Box::new(e),
    }
}

/// `$or` of the clauses (Chroma wants at least two; one clause stands alone).
fn any_of(mut clauses: Vec<Value>) -> Value {
    if clauses.len() == 1 {
        clauses.pop().unwrap_or(Value::Null)
    } else {
        json!({ "$or": clauses })
    }
}

/// The directories containing `source`, for the `dirs` metadata (`.` first).
pub fn ancestors(source: &str) -> Vec<String> {
    let mut dirs = vec![".".to_owned()];
    let parts: Vec<&str> = source.split('/').collect();
    for i in 1..parts.len() {
        dirs.push(parts[..i].join("/"));
    }
    dirs
}

/// Turn a file's chunks into Chroma records and parent rows.
fn build(
    source: &str,
    doc_hash: &str,
    bytes: u64,
    signature: &str,
    kind: DocKind,
    parents: Vec<chunking::ParentChunk>,
) -> Prepared {
    let now = unix_now();
    let file = source.rsplit('/').next().unwrap_or(source).to_owned();
    let ext = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let dirs = ancestors(source);
    let mut seen_parents: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(parents.len());
    let mut children = Vec::new();
    for (pi, p) in parents.into_iter().enumerate() {
        let occ = seen_parents.entry(p.span.text.clone()).or_insert(0);
        let parent_id = chunk_id("parent", source, &p.span.text, *occ);
        *occ += 1;
        let mut seen_children: HashMap<&str, usize> = HashMap::new();
        for c in &p.children {
            let occ = seen_children.entry(c.text.as_str()).or_insert(0);
            let id = chunk_id("child", &parent_id, &c.text, *occ);
            *occ += 1;
            let mut m = Metadata::new();
            m.insert("source".into(), json!(source));
            m.insert("filename".into(), json!(file));
            m.insert("extension".into(), json!(ext));
            m.insert("dirs".into(), json!(dirs));
            m.insert("kind".into(), json!(kind.label()));
            m.insert("parent_id".into(), json!(parent_id));
            m.insert("parent_index".into(), json!(pi));
            m.insert("chunk_index".into(), json!(children.len()));
            m.insert("start_line".into(), json!(c.start_line));
            m.insert("end_line".into(), json!(c.end_line));
            m.insert("doc_hash".into(), json!(doc_hash));
            m.insert("ingested_at".into(), json!(now));
            children.push(Child {
                id,
                text: c.text.clone(),
                metadata: m,
            });
        }
        rows.push(ParentRow {
            id: parent_id,
            source: source.to_owned(),
            ordinal: pi,
            start_line: p.span.start_line,
            end_line: p.span.end_line,
            content: p.span.text,
        });
    }
    Prepared {
        commit: FileCommit {
            record: SourceRecord {
                source: source.to_owned(),
                doc_hash: doc_hash.to_owned(),
                chunker: signature.to_owned(),
                bytes,
                parents: rows.len() as u64,
                chunks: children.len() as u64,
                ingested_at: now,
            },
            parents: rows,
        },
        children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ChunkSizes;

    #[test]
    fn ancestors_list_every_enclosing_directory() {
        assert_eq!(ancestors("a.md"), ["."]);
        assert_eq!(ancestors("docs/adr/1.md"), [".", "docs", "docs/adr"]);
    }

    #[test]
    fn the_same_content_builds_the_same_ids() {
        let text = "# T\n\nsame paragraph\n\n# T\n\nsame paragraph\n";
        let sizes = ChunkSizes {
            parent: 30,
            parent_overlap: 0,
            child: 20,
            child_overlap: 0,
        };
        let make = || {
            let parents = chunking::chunk(text, DocKind::Markdown, &sizes).unwrap();
            build("d/a.md", "h", 1, "sig", DocKind::Markdown, parents)
        };
        let (a, b) = (make(), make());
        let ids = |p: &Prepared| p.children.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        // Identical chunks in one file still get distinct ids.
        let mut unique = ids(&a);
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), a.children.len());
        assert_eq!(a.children[0].metadata["dirs"], json!([".", "d"]));
        assert_eq!(a.commit.record.chunks, a.children.len() as u64);
    }

    #[test]
    fn one_clause_is_not_wrapped_in_or() {
        assert_eq!(any_of(vec![json!({"a": 1})]), json!({"a": 1}));
        assert_eq!(
            any_of(vec![json!({"a": 1}), json!({"b": 2})]),
            json!({"$or": [{"a": 1}, {"b": 2}]})
        );
    }
}
