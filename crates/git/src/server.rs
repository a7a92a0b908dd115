//! `GitServer`: the git cluster's state, its [`Cluster`] implementation, and the two ways a tool
//! reaches a repository.
//!
//! - [`GitServer::read`]: open the repository and run a read-only closure on a blocking thread.
//! - [`GitServer::write`]: the same under the repository's lock (index-changing calls are
//!   serialised per repository, and a waiting call gives up after `GIT_LOCK_TIMEOUT`), with a
//!   deadline and cancellation flag for network transfers, progress forwarded to the client, and
//!   one audit record whatever the outcome.
//!
//! libgit2 is blocking, so every repository access runs in `spawn_blocking`. A blocking thread
//! cannot be pre-empted: when the guard's time limit fires, the lock stays held until the thread
//! finishes, which keeps the index consistent; network transfers watch the deadline and the
//! cancellation flag in their progress callbacks and abort.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use fleet_core::{Cluster, ClusterInfo, Progress};
use rmcp::handler::server::router::tool::ToolRouter;
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::{
    audit::{self, AuditLog, AuditRecord},
    config::{GIT_VARS, GitConfig},
    error::GitError,
    reply::Reply,
    repo::{self, Repo},
    rules,
};

/// Tools whose time limit is `GIT_NETWORK_TIMEOUT` (plus a margin so the transfer's own deadline,
/// with its clearer message, fires first).
pub const NETWORK_TOOLS: [&str; 5] = [
    "git_fetch",
    "git_pull",
    "git_push_feature",
    "git_start_feature",
    "git_finish_feature",
];

/// What a mutating closure gets besides the repository: the transfer deadline, the cancellation
/// flag, and a progress channel.
#[derive(Debug, Clone)]
pub struct Net {
    /// When transfers must stop.
    pub deadline: Instant,
    /// Set when the caller stopped waiting (time limit or client cancellation).
    pub cancelled: Arc<AtomicBool>,
    /// Progress reports `(done, total, message)`, forwarded to the client when it asked.
    pub progress: Option<UnboundedSender<(f64, Option<f64>, String)>>,
}

impl Net {
    /// Why a transfer must stop now, if it must.
    pub fn stop_reason(&self) -> Option<&'static str> {
        if self.cancelled.load(Ordering::Relaxed) {
            Some("the call was cancelled")
        } else if Instant::now() >= self.deadline {
            Some("GIT_NETWORK_TIMEOUT passed")
        } else {
            None
        }
    }

    /// Send a progress report (dropped when nobody listens).
    pub fn report(&self, done: f64, total: Option<f64>, message: impl Into<String>) {
        if let Some(tx) = &self.progress {
            let _ = tx.send((done, total, message.into()));
        }
    }
}

/// The git cluster.
pub struct GitServer {
    /// Settings (shared with blocking threads).
    pub(crate) config: Arc<GitConfig>,
    /// The audit log (shared with blocking threads).
    pub(crate) audit: Arc<AuditLog>,
    /// One lock per repository (canonical path), created on first use.
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
    /// Open repository handles kept between calls.
    pool: Arc<RepoPool>,
}

/// Most idle handles kept per repository.
pub const POOL_PER_REPO: usize = 2;
/// Most repositories with idle handles.
pub const POOL_REPOS: usize = 8;

/// Idle repository handles, by canonical directory.
///
/// Opening a repository costs little, but a fresh handle has cold caches: every call would read
/// and inflate the same trees and commits from the pack again (on a 20,000-commit repository
/// that is most of a status call). A handle is taken for one call at a time and put back after;
/// on taking, its index is re-read from disk, so a change made by another handle, or by git
/// outside the server, is never overwritten from a stale copy. References, packed refs, config
/// and new objects are re-read by libgit2 itself.
#[derive(Default)]
pub struct RepoPool {
    idle: Mutex<HashMap<PathBuf, Vec<Repo>>>,
}

impl RepoPool {
    /// A handle for `dir`: an idle one, refreshed, or a newly opened one.
    pub fn take(&self, config: &GitConfig, dir: &Path) -> Result<Repo, GitError> {
        let idle = match self.idle.lock() {
            Ok(mut m) => m.get_mut(dir).and_then(Vec::pop),
            Err(_) => None,
        };
        match idle {
            Some(repo) => {
                repo.refresh()?;
                Ok(repo)
            }
            None => repo::open_dir(config, dir),
        }
    }

    /// Give a handle back after a call that ended normally.
    pub fn put(&self, dir: PathBuf, repo: Repo) {
        let Ok(mut m) = self.idle.lock() else { return };
        if !m.contains_key(&dir) && m.len() >= POOL_REPOS {
            // Keep the pool bounded: forget some other repository's handles.
            if let Some(k) = m.keys().next().cloned() {
                m.remove(&k);
            }
        }
        let v = m.entry(dir).or_default();
        if v.len() < POOL_PER_REPO {
            v.push(repo);
        }
    }
}

impl GitServer {
    /// A server with `config`.
    pub fn new(config: GitConfig) -> Self {
        let audit = Arc::new(AuditLog::new(config.audit.clone()));
        Self {
            config: Arc::new(config),
            audit,
            locks: Mutex::new(HashMap::new()),
            pool: Arc::new(RepoPool::default()),
        }
    }

    /// Every tool of the cluster.
    pub(crate) fn all_tools() -> ToolRouter<Self> {
        Self::status_tools()
            + Self::diff_tools()
            + Self::history_tools()
            + Self::index_tools()
            + Self::branch_tools()
            + Self::workflow_tools()
            + Self::remote_tools()
            + Self::extra_tools()
    }

    fn lock_for(&self, dir: &Path) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = match self.locks.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        locks.entry(dir.to_path_buf()).or_default().clone()
    }

    /// Run read-only `f` on the repository named by `repo_path` in a blocking thread.
    pub(crate) async fn read<T, F>(&self, repo_path: Option<String>, f: F) -> Result<T, GitError>
    where
        F: FnOnce(&Repo, &GitConfig) -> Result<T, GitError> + Send + 'static,
        T: Send + 'static,
    {
        let config = self.config.clone();
        let pool = self.pool.clone();
        blocking(move || {
            let dir = repo::resolve_dir(&config, repo_path.as_deref())?;
            let repo = pool.take(&config, &dir)?;
            let result = f(&repo, &config);
            pool.put(dir, repo);
            result
        })
        .await
    }

    /// Run mutating `f` under the repository's lock, audited as `tool` with `args`; progress goes
    /// to `progress` when given.
    ///
    /// The audit record of a call that reaches the repository is written by the blocking thread
    /// when the work ends, so it exists even if the caller stopped waiting (time limit, client
    /// cancellation); such a caller also leaves an `abandoned` record at once.
    pub(crate) async fn write<T, F>(
        &self,
        tool: &'static str,
        repo_path: Option<String>,
        args: Value,
        progress: Option<Progress>,
        f: F,
    ) -> Result<Reply<T>, GitError>
    where
        F: FnOnce(&mut Repo, &GitConfig, &Net) -> Result<Reply<T>, GitError> + Send + 'static,
        T: Send + 'static,
    {
        let mut record = AuditRecord {
            ts: audit::now(),
            tool: tool.to_owned(),
            repo: String::new(),
            branch: None,
            args: audit::trim_args(args),
            outcome: "ok",
            rule: None,
            detail: String::new(),
        };
        let audit = self.audit.clone();
        let config = self.config.clone();
        let resolved = {
            let config = config.clone();
            blocking(move || repo::resolve_dir(&config, repo_path.as_deref())).await
        };
        let dir = match resolved {
            Ok(dir) => dir,
            Err(e) => {
                audit.record(&finished::<T>(record, &Err(&e)));
                return Err(e);
            }
        };
        record.repo = dir.display().to_string();
        let lock = self.lock_for(&dir);
        let waited = Instant::now();
        let guard = match tokio::time::timeout(config.lock_timeout, lock.lock_owned()).await {
            Ok(guard) => guard,
            Err(_) => {
                let e = GitError::Busy {
                    repo: dir.display().to_string(),
                    waited_secs: waited.elapsed().as_secs(),
                };
                audit.record(&finished::<T>(record, &Err(&e)));
                return Err(e);
            }
        };
        let cancelled = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let _watch = CallWatch {
            cancelled: cancelled.clone(),
            done: done.clone(),
            audit: audit.clone(),
            record: record.clone(),
        };
        let (tx, mut rx) = unbounded_channel();
        let net = Net {
            deadline: Instant::now() + config.network_timeout,
            cancelled,
            progress: progress.as_ref().filter(|p| p.wanted()).map(|_| tx),
        };
        let worker_audit = audit.clone();
        let worker_record = record.clone();
        let pool = self.pool.clone();
        let mut task = tokio::task::spawn_blocking(move || {
            let _guard = guard;
            let mut record = worker_record;
            let result = pool.take(&config, &dir).and_then(|mut repo| {
                record.branch = rules::current_branch(&repo.git).ok().flatten();
                let result = f(&mut repo, &config, &net);
                pool.put(dir, repo);
                result
            });
            worker_audit.record(&finished(record, &result.as_ref()));
            done.store(true, Ordering::Relaxed);
            result
        });
        let mut open = true;
        let joined = loop {
            tokio::select! {
                msg = rx.recv(), if open => match msg {
                    Some((step, total, message)) => {
                        if let Some(p) = &progress {
                            p.report(step, total, Some(message)).await;
                        }
                    }
                    None => open = false,
                },
                joined = &mut task => break joined,
            }
        };
        match joined {
            Ok(result) => result,
            Err(e) => {
                // The worker panicked before it could write its record.
                let e = join_error(e);
                audit.record(&finished::<T>(record, &Err(&e)));
                Err(e)
            }
        }
    }
}

/// Complete an audit record with a call's outcome.
fn finished<T>(mut record: AuditRecord, result: &Result<&Reply<T>, &GitError>) -> AuditRecord {
    match result {
        Ok(reply) => {
            record.detail = reply.text.chars().take(500).collect();
        }
        Err(e) => {
            record.outcome = if e.rule_id().is_some() {
                "refused"
            } else {
                "error"
            };
            record.rule = e.rule_id();
            record.detail = e.to_string();
        }
    }
    record
}

/// Watches one call's async side: when it is dropped before the work finished (time limit or
/// client cancellation), it tells network transfers to stop and writes an `abandoned` record.
struct CallWatch {
    cancelled: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    audit: Arc<AuditLog>,
    record: AuditRecord,
}

impl Drop for CallWatch {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
        if !self.done.load(Ordering::Relaxed) {
            let mut record = self.record.clone();
            record.ts = audit::now();
            record.outcome = "abandoned";
            record.detail = "the caller stopped waiting (time limit or cancellation); the operation \
                             keeps the repository lock until it ends, and its outcome is recorded then"
                .to_owned();
            self.audit.record(&record);
        }
    }
}

/// Run `f` on a blocking thread; a panic there becomes an internal error.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, GitError>
where
    F: FnOnce() -> Result<T, GitError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(join_error)?
}

fn join_error(e: tokio::task::JoinError) -> GitError {
    if e.is_panic() {
        GitError::Internal("the git worker thread panicked".to_owned())
    } else {
        GitError::Internal("the git worker thread was cancelled".to_owned())
    }
}

impl Cluster for GitServer {
    const INFO: ClusterInfo = ClusterInfo {
        name: "sanctuary-git",
        title: "Sanctuary Git",
        version: env!("CARGO_PKG_VERSION"),
        description: "Isolated dual-permission cluster: git on libgit2 with the Protocol 101/122 safety rules enforced",
        instructions: "Git tools for repositories under the server's base directories. Work happens on one \
            feature/task-<id>-<slug> branch at a time: git_start_feature, edit files, git_add, git_smart_commit, \
            git_push_feature, merge on the remote, git_finish_feature. Staging, committing and pushing on main \
            are refused; git_get_safety_rules lists every rule with its remedy. repo_path may be omitted when \
            the server has a default repository. Author identity and credentials come from the server.",
        tags: &["sanctuary", "git", "dual-permission"],
        env_vars: GIT_VARS,
    };

    fn tools(&self) -> ToolRouter<Self> {
        Self::all_tools()
    }

    fn tool_timeout(&self, tool: &str) -> Option<Duration> {
        NETWORK_TOOLS
            .contains(&tool)
            .then(|| self.config.network_timeout + Duration::from_secs(15))
    }
}
