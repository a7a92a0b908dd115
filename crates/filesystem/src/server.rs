//! `FsServer`: the filesystem cluster's state, its [`Cluster`] implementation (tools, time
//! limits, `file://` resources), and the plumbing every tool shares: the [`Caller`] extractor,
//! the per-call jail (narrowed to the client's roots), running work off the async runtime, the
//! read-only switch and the audit trail.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use fleet_core::{Cluster, ClusterInfo, Progress, Session};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use rmcp::{
    ErrorData, Peer, RoleServer,
    handler::server::{common::FromContextPart, router::tool::ToolRouter, tool::ToolCallContext},
    model::{CompleteRequestParams, JsonObject, ReadResourceResult, Resource, ResourceTemplate},
};

use crate::{
    audit::{AuditLog, AuditRecord, now},
    config::{FS_VARS, FsConfig},
    error::FsError,
    jail::{Jail, Root},
    resources,
};

/// How long a tool waits for the client's roots when the client declared them but fleet-core
/// has not fetched them yet.
const ROOTS_WAIT: Duration = Duration::from_secs(5);

/// The filesystem cluster.
pub struct FsServer {
    pub(crate) state: Arc<FsState>,
}

/// What every call shares.
pub(crate) struct FsState {
    /// Settings.
    pub config: FsConfig,
    /// The configured roots (a call may see fewer: the client's roots narrow them).
    pub jail: Arc<Jail>,
    /// Where mutations are recorded.
    pub audit: AuditLog,
    /// Paths `code_delete` refuses without `force`.
    pub protected: GlobSet,
    /// Serializes read-modify-write cycles in this process, so two edits of one file cannot
    /// lose each other's change.
    pub mutations: Mutex<()>,
}

impl FsServer {
    /// Open the configured roots and the audit log.
    pub fn open(config: FsConfig) -> Result<Self, (&'static str, String)> {
        let mut roots = Vec::new();
        for r in &config.roots {
            let root = Root::open(r).map_err(|e| ("FS_ROOTS", format!("{}: {e}", r.display())))?;
            roots.push(root);
        }
        if roots.is_empty() {
            return Err(("FS_ROOTS", "no usable root".to_owned()));
        }
        let audit = match &config.audit_log {
            Some(path) => AuditLog::open(path)
                .map_err(|e| ("FS_AUDIT_LOG", format!("{}: {e}", path.display())))?,
            None => AuditLog::to_log(),
        };
        let protected = protected_set(&config.protected_patterns)
            .map_err(|e| ("FS_PROTECTED_PATTERNS", e.to_string()))?;
        Ok(Self {
            state: Arc::new(FsState {
                config,
                jail: Arc::new(Jail::new(roots)),
                audit,
                protected,
                mutations: Mutex::new(()),
            }),
        })
    }

    /// Every tool of the cluster.
    pub(crate) fn all_tools() -> ToolRouter<Self> {
        Self::read_tools()
            + Self::write_tools()
            + Self::list_tools()
            + Self::grep_tools()
            + Self::patch_tools()
            + Self::code_tools()
    }

    /// The client's `file://` roots for this call: fleet-core fetches them after `initialized`
    /// and on `roots/list_changed`; a call that arrives first asks the client itself (once: a
    /// client that does not answer is remembered as "no roots"). `None` means "not narrowed".
    async fn client_roots(&self, caller: &Caller) -> Option<Vec<String>> {
        let session = caller.session.as_ref()?;
        let mut roots = session.roots();
        #[allow(deprecated)] // roots are current in 2025-11-25, deprecated only from 2026-07-28
        if roots.is_none()
            && caller
                .peer
                .peer_info()
                .is_some_and(|i| i.capabilities.roots.is_some())
        {
            let list: Vec<String> =
                match tokio::time::timeout(ROOTS_WAIT, caller.peer.list_roots()).await {
                    Ok(Ok(r)) => r.roots.into_iter().map(|r| r.uri).collect(),
                    _ => Vec::new(),
                };
            session.set_roots(list.clone());
            roots = Some(list);
        }
        file_roots(roots)
    }

    /// Run `f` on a blocking thread with the jail of this call. The work sees a deadline and a
    /// cancel flag that is raised if the call is dropped (timeout or client cancellation).
    pub(crate) async fn run<T, F>(&self, caller: &Caller, f: F) -> Result<T, FsError>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx) -> Result<T, FsError> + Send + 'static,
    {
        let roots = self.client_roots(caller).await;
        let state = self.state.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        let _raise = CancelOnDrop(cancel.clone());
        let deadline = Instant::now() + state.config.walk_timeout;
        let task = tokio::task::spawn_blocking(move || {
            let jail = match roots {
                Some(r) => Arc::new(state.jail.narrow(&r)),
                None => state.jail.clone(),
            };
            let ctx = Ctx {
                state,
                jail,
                cancel,
                deadline,
            };
            f(&ctx)
        });
        task.await
            .map_err(|e| FsError::Internal(format!("the operation failed: {e}")))?
    }

    /// Run a mutation: refused in read-only mode, serialized with other mutations, and
    /// audited whatever the outcome. `requested` names the paths as given, for the audit
    /// record when the tool fails before resolving them.
    pub(crate) async fn mutate<T, F>(
        &self,
        caller: &Caller,
        requested: Vec<String>,
        f: F,
    ) -> Result<T, FsError>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx, &mut Changed) -> Result<T, FsError> + Send + 'static,
    {
        let result: Result<(T, Changed), FsError> = if self.state.config.read_only {
            Err(FsError::ReadOnly {
                tool: caller.tool.clone(),
                path: requested.join(", "),
            })
        } else {
            self.run(caller, move |ctx| {
                let _one_at_a_time = ctx
                    .state
                    .mutations
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut changed = Changed::default();
                let value = f(ctx, &mut changed)?;
                Ok((value, changed))
            })
            .await
        };
        let (outcome, error, paths, bytes) = match &result {
            Ok((_, changed)) if !changed.paths.is_empty() => {
                ("ok", None, changed.paths.clone(), changed.bytes)
            }
            Ok((_, changed)) => ("ok", None, requested, changed.bytes),
            Err(e) => ("error", Some(e.to_string()), requested, 0),
        };
        let session = caller.session.as_ref().map_or("-", |s| s.id.as_str());
        self.state.audit.record(&AuditRecord {
            time: now(),
            tool: &caller.tool,
            session,
            paths,
            bytes,
            outcome,
            error,
        });
        result.map(|(value, _)| value)
    }
}

/// The `file://` roots of a client's list. Only those say anything about files; none (or an
/// empty list) is "no preference", not "nothing": the configured roots stay.
pub(crate) fn file_roots(roots: Option<Vec<String>>) -> Option<Vec<String>> {
    roots
        .map(|r| {
            r.into_iter()
                .filter(|u| u.starts_with("file:"))
                .collect::<Vec<_>>()
        })
        .filter(|r| !r.is_empty())
}

/// What a mutation changed, for its audit record.
#[derive(Debug, Default)]
pub(crate) struct Changed {
    /// Absolute paths written, created, moved or removed.
    pub paths: Vec<String>,
    /// Bytes written.
    pub bytes: u64,
}

impl Changed {
    /// Note a path.
    pub(crate) fn path(&mut self, p: impl std::fmt::Display) {
        self.paths.push(p.to_string());
    }
}

/// What a call's work sees on its blocking thread.
pub(crate) struct Ctx {
    /// Shared state.
    pub state: Arc<FsState>,
    /// The roots in force for this call.
    pub jail: Arc<Jail>,
    /// Raised when the call is abandoned.
    pub cancel: Arc<AtomicBool>,
    /// When walks must stop.
    pub deadline: Instant,
}

impl Ctx {
    /// Settings.
    pub(crate) fn config(&self) -> &FsConfig {
        &self.state.config
    }
}

/// Raises the flag when dropped: the async side of a call went away.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Who is calling: the tool's name, the session (for roots and audit), the client peer and
/// the progress handle. Taken by every tool as an argument.
pub struct Caller {
    /// The tool's canonical name.
    pub tool: String,
    /// The MCP session, when fleet-core provided one.
    pub session: Option<Arc<Session>>,
    /// Progress reporting for this call.
    pub progress: Option<Progress>,
    /// The client, to ask for its roots.
    pub peer: Peer<RoleServer>,
}

impl<S> FromContextPart<ToolCallContext<'_, S>> for Caller {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, ErrorData> {
        let rc = context.request_context();
        Ok(Self {
            tool: context.name().to_owned(),
            session: rc.extensions.get::<Arc<Session>>().cloned(),
            progress: rc.extensions.get::<Progress>().cloned(),
            peer: rc.peer.clone(),
        })
    }
}

/// A result with a text for people (and models) and a structured value for programs.
pub type Rendered<T> = fleet_core::Reply<T>;

/// The globs `code_delete` protects, matched against root-relative paths at any depth
/// (`.git/**` also protects `sub/.git/x`); a leading `/` anchors a pattern at the root.
pub(crate) fn protected_set(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let glob = match p.strip_prefix('/') {
            Some(anchored) => anchored.to_owned(),
            None => format!("**/{p}"),
        };
        b.add(GlobBuilder::new(&glob).literal_separator(true).build()?);
    }
    b.build()
}

impl Cluster for FsServer {
    const INFO: ClusterInfo = ClusterInfo {
        name: "sanctuary-filesystem",
        title: "Sanctuary Filesystem",
        version: env!("CARGO_PKG_VERSION"),
        description: "The privileged cluster: file operations, grep, patch and code analysis inside a jail of allowed directories",
        instructions: "File tools confined to the allowed roots (see list_allowed_directories). \
            Paths are absolute, or relative to the first root; anything outside the roots, \
            including through symlinks, is refused with an error naming the path. Prefer grep \
            for content search, edit_file or apply_patch for changes (both have dryRun), and \
            read_text_file with head/tail for large files. Every mutation is audited; the server \
            may be read-only.",
        tags: &["sanctuary", "filesystem", "privileged"],
        env_vars: FS_VARS,
    };

    fn tools(&self) -> ToolRouter<Self> {
        Self::all_tools()
    }

    fn tool_timeout(&self, tool: &str) -> Option<Duration> {
        let c = &self.state.config;
        let slack = Duration::from_secs(15);
        match tool {
            "grep"
            | "code_search_content"
            | "directory_tree"
            | "search_files"
            | "code_find_file"
            | "code_list_files"
            | "code_analyze" => Some(c.walk_timeout + slack),
            // A directory lint walks, then runs the linter per file until the walk deadline.
            "code_lint" => Some(c.walk_timeout + c.exec_timeout + slack),
            "code_format" | "code_check_tools" => Some(c.exec_timeout + slack),
            _ => None,
        }
    }

    async fn list_resources(&self, session: &Session) -> Result<Vec<Resource>, ErrorData> {
        resources::list(self.state.clone(), session.roots()).await
    }

    fn resource_templates(&self) -> Vec<ResourceTemplate> {
        resources::templates()
    }

    async fn read_resource(
        &self,
        uri: &str,
        session: &Session,
    ) -> Result<ReadResourceResult, ErrorData> {
        resources::read(self.state.clone(), uri.to_owned(), session.roots()).await
    }

    async fn complete(&self, request: &CompleteRequestParams) -> Result<Vec<String>, ErrorData> {
        Ok(resources::complete(self.state.clone(), request).await)
    }

    /// File contents, edits and patches may hold secrets (a `.env`); the debug log gets their
    /// size only.
    fn redact_arguments(&self, _tool: &str, arguments: &mut JsonObject) {
        for key in ["content", "patch", "edits"] {
            if let Some(v) = arguments.get_mut(key) {
                *v = serde_json::Value::String(format!("<{} bytes hidden>", v.to_string().len()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_file_roots_narrow() {
        assert_eq!(file_roots(None), None);
        assert_eq!(file_roots(Some(vec![])), None);
        assert_eq!(
            file_roots(Some(vec!["https://example.com/repo".into()])),
            None
        );
        assert_eq!(
            file_roots(Some(vec!["file:///w".into(), "git://x".into()])),
            Some(vec!["file:///w".to_owned()])
        );
    }

    #[test]
    fn protected_patterns_match_at_any_depth_unless_anchored() {
        let set = protected_set(&[".env".into(), ".git/**".into(), "/top.txt".into()]).unwrap();
        assert!(set.is_match(".env") && set.is_match("a/b/.env"));
        assert!(set.is_match(".git/config") && set.is_match("sub/.git/HEAD"));
        assert!(set.is_match("top.txt") && !set.is_match("sub/top.txt"));
        assert!(!set.is_match("env") && !set.is_match(".envrc"));
    }
}
