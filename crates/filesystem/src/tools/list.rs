//! Listing and metadata tools: `list_directory`, `list_directory_with_sizes`, `directory_tree`,
//! `search_files` (glob), `get_file_info`, `list_allowed_directories`, and the original fleet's
//! `code_list_files`, `code_find_file` and `code_get_info`.
//!
//! Every listing is capped at FS_MAX_ENTRIES and every walk has the FS_WALK_TIMEOUT deadline;
//! a capped answer says so (`truncated`, with the reason). Symlinks are listed, never entered.

use std::{
    collections::HashMap,
    ffi::OsStr,
    path::{Path, PathBuf},
    sync::Mutex,
};

use cap_std::fs::Metadata;
use cap_std::fs::PermissionsExt as _;
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use rmcp::{
    Json,
    handler::server::{common::schema_for_output, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};

use crate::{
    analysis,
    error::FsError,
    jail::{Kind, Target},
    server::{Caller, Ctx, FsServer, Rendered},
    text::{human_size, time},
    walk::{Entry, Order, Stopped, Visit, WalkOptions, WalkReport, walk},
};

/// Arguments naming one directory.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListArgs {
    /// The directory: absolute, or relative to the first allowed root.
    pub path: String,
}

/// One directory entry.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DirEntry {
    /// The entry's name.
    pub name: String,
    /// What it is (symlinks are not followed).
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Size in bytes (files only, `list_directory_with_sizes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Where a symlink points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Result of `list_directory` and `list_directory_with_sizes`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListOutput {
    /// Absolute path listed.
    pub path: String,
    /// Entries, sorted as asked.
    pub entries: Vec<DirEntry>,
    /// Whether FS_MAX_ENTRIES cut the list.
    pub truncated: bool,
    /// Files listed.
    pub files: usize,
    /// Directories listed.
    pub directories: usize,
    /// Sum of the listed file sizes.
    pub total_size: u64,
}

/// How `list_directory_with_sizes` sorts.
#[derive(Debug, Default, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    /// By name.
    #[default]
    Name,
    /// Largest first.
    Size,
}

/// Arguments of `list_directory_with_sizes`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListSizesArgs {
    /// The directory: absolute, or relative to the first allowed root.
    pub path: String,
    /// `name` (default) or `size` (largest first).
    #[serde(rename = "sortBy", default)]
    pub sort_by: SortBy,
}

/// Arguments of `directory_tree`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TreeArgs {
    /// The directory: absolute, or relative to the first allowed root.
    pub path: String,
    /// Globs to leave out; a pattern without `/` matches a name at any depth (and everything
    /// below it), one with `/` matches the path relative to `path`. Example: `["target", "*.log"]`.
    #[serde(rename = "excludePatterns", default)]
    pub exclude_patterns: Vec<String>,
    /// Deepest level shown (1 = direct entries only); unlimited by default.
    #[serde(rename = "maxDepth", default)]
    pub max_depth: Option<usize>,
    /// Leave out what .gitignore/.ignore files exclude, and `.git` (default false).
    #[serde(rename = "respectGitignore", default)]
    pub respect_gitignore: bool,
}

/// A node of `directory_tree`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TreeNode {
    /// The entry's name.
    pub name: String,
    /// What it is.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Entries of a directory (absent for files; empty for an empty or unexpanded directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<TreeNode>>,
}

/// Result of `directory_tree`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TreeOutput {
    /// Absolute path of the tree's top.
    pub path: String,
    /// The entries under it.
    pub tree: Vec<TreeNode>,
    /// Entries shown.
    pub entries: usize,
    /// Why the tree is incomplete (`entry limit`, `deadline`), if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
    /// Directories that could not be read, and why (the first ten).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

/// Arguments of `search_files`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchArgs {
    /// Directory to search under.
    pub path: String,
    /// Glob: without `/` it matches names at any depth (`*.rs`, `main*`); with `/` it matches
    /// the path relative to `path` (`src/**/*.rs`).
    pub pattern: String,
    /// Globs to leave out, as in directory_tree.
    #[serde(rename = "excludePatterns", default)]
    pub exclude_patterns: Vec<String>,
    /// Leave out what .gitignore/.ignore files exclude, and `.git` (default false).
    #[serde(rename = "respectGitignore", default)]
    pub respect_gitignore: bool,
}

/// Result of `search_files` and `code_find_file`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SearchOutput {
    /// Matching paths, sorted (absolute for search_files, relative to `path` for code_find_file).
    pub matches: Vec<String>,
    /// Why the list is incomplete (`entry limit`, `deadline`), if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
    /// Directories that could not be read, and why (the first ten).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

/// Arguments of `code_find_file`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FindArgs {
    /// Glob on file names, e.g. `*.py`, `test_*`.
    pub name_pattern: String,
    /// Directory to search under (default: the first root).
    #[serde(default = "dot")]
    pub path: String,
}

fn dot() -> String {
    ".".to_owned()
}

fn star() -> String {
    "*".to_owned()
}

/// Arguments of `code_list_files`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CodeListArgs {
    /// Directory to list (default: the first root).
    #[serde(default = "dot")]
    pub path: String,
    /// Glob on file names (default `*`).
    #[serde(default = "star")]
    pub pattern: String,
    /// Descend into subdirectories (default false).
    #[serde(default)]
    pub recursive: bool,
    /// Most files returned (default 5000, never above FS_MAX_ENTRIES).
    #[serde(default = "default_max_files")]
    pub max_files: usize,
}

fn default_max_files() -> usize {
    5000
}

/// A file of `code_list_files`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListedFile {
    /// Path relative to `path`.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Size in KiB, rounded to 0.1.
    pub size_kb: f64,
}

/// Result of `code_list_files`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CodeListOutput {
    /// Absolute path listed.
    pub path: String,
    /// Files, sorted by path.
    pub files: Vec<ListedFile>,
    /// Why the list is incomplete, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// Result of `get_file_info`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InfoOutput {
    /// Absolute path (symlinks inside the jail resolved).
    pub path: String,
    /// What it is.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Size in bytes.
    pub size: u64,
    /// Creation time (RFC 3339), where the filesystem records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last modification (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Last access (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accessed: Option<String>,
    /// Permission bits in octal, e.g. `644`.
    pub permissions: String,
    /// Whether it is a directory.
    #[serde(rename = "isDirectory")]
    pub is_directory: bool,
    /// Whether it is a regular file.
    #[serde(rename = "isFile")]
    pub is_file: bool,
    /// The path as given, when it was a symlink.
    #[serde(rename = "symlinkPath", skip_serializing_if = "Option::is_none")]
    pub symlink_path: Option<String>,
}

/// Result of `code_get_info`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CodeInfoOutput {
    /// Absolute path.
    pub path: String,
    /// Detected language, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Size in KiB, rounded to 0.1.
    pub size_kb: f64,
    /// Number of lines (absent for binary files and files over FS_MAX_READ_BYTES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<usize>,
    /// Whether the content looks binary.
    pub binary: bool,
    /// Last modification (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

/// Result of `list_allowed_directories`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AllowedOutput {
    /// The roots in force for this session (narrowed by the client's roots, if it sent any).
    pub directories: Vec<String>,
    /// The roots the server was configured with (FS_ROOTS).
    pub configured: Vec<String>,
    /// The client's roots that narrowed the configured ones.
    #[serde(rename = "clientRoots", skip_serializing_if = "Option::is_none")]
    pub client_roots: Option<Vec<String>>,
    /// Whether every mutation is refused (FS_READ_ONLY).
    #[serde(rename = "readOnly")]
    pub read_only: bool,
}

/// No arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NoArgs {}

#[tool_router(router = list_tools, vis = "pub(crate)")]
impl FsServer {
    /// List a directory's entries as `[FILE] name`, `[DIR] name`, `[LINK] name -> target`,
    /// sorted by name, hidden entries included. At most FS_MAX_ENTRIES entries (`truncated`
    /// says when more exist). Example: `{"path": "src"}`.
    #[tool(
        output_schema = schema_for_output::<ListOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn list_directory(
        &self,
        Parameters(args): Parameters<ListArgs>,
        caller: Caller,
    ) -> Result<Rendered<ListOutput>, FsError> {
        self.run(&caller, move |ctx| {
            list_dir(ctx, &args.path, false, SortBy::Name)
        })
        .await
    }

    /// List a directory with file sizes and totals ("Total: N files, M directories",
    /// "Combined size"), sorted by `name` or by `size` (largest first). At most FS_MAX_ENTRIES
    /// entries. Example: `{"path": "logs", "sortBy": "size"}`.
    #[tool(
        output_schema = schema_for_output::<ListOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn list_directory_with_sizes(
        &self,
        Parameters(args): Parameters<ListSizesArgs>,
        caller: Caller,
    ) -> Result<Rendered<ListOutput>, FsError> {
        self.run(&caller, move |ctx| {
            list_dir(ctx, &args.path, true, args.sort_by)
        })
        .await
    }

    /// A recursive tree of a directory: structured as nested `{name, type, children}` nodes,
    /// and as indented text. Level by level, so a capped tree still shows the top levels;
    /// capped at FS_MAX_ENTRIES entries and the FS_WALK_TIMEOUT deadline (`truncated` says
    /// why). Symlinks are shown, not followed. Options: `excludePatterns`, `maxDepth`,
    /// `respectGitignore`. Example: `{"path": ".", "excludePatterns": ["target", ".git"]}`.
    #[tool(
        output_schema = schema_for_output::<TreeOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn directory_tree(
        &self,
        Parameters(args): Parameters<TreeArgs>,
        caller: Caller,
    ) -> Result<Rendered<TreeOutput>, FsError> {
        self.run(&caller, move |ctx| tree(ctx, &args)).await
    }

    /// Find files and directories whose name (pattern without `/`) or relative path (pattern
    /// with `/`) matches a glob, under a directory, hidden entries included. Returns absolute
    /// paths, sorted; at most FS_MAX_ENTRIES, within FS_WALK_TIMEOUT (`truncated` says why
    /// when cut). Example: `{"path": ".", "pattern": "*.rs", "excludePatterns": ["target"]}`.
    #[tool(
        output_schema = schema_for_output::<SearchOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn search_files(
        &self,
        Parameters(args): Parameters<SearchArgs>,
        caller: Caller,
    ) -> Result<Rendered<SearchOutput>, FsError> {
        self.run(&caller, move |ctx| search(ctx, &args)).await
    }

    /// Find files by name glob under a directory, recursively (the original fleet's tool);
    /// `.git` internals are skipped. Returns paths relative to `path`, sorted; at most
    /// FS_MAX_ENTRIES. Example: `{"name_pattern": "test_*.py", "path": "tests"}`.
    #[tool(
        output_schema = schema_for_output::<SearchOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn code_find_file(
        &self,
        Parameters(args): Parameters<FindArgs>,
        caller: Caller,
    ) -> Result<Rendered<SearchOutput>, FsError> {
        self.run(&caller, move |ctx| find_files(ctx, &args)).await
    }

    /// List files (not directories, not symlinks) of a directory with their sizes, optionally
    /// recursive and filtered by a name glob (the original fleet's tool). Sorted; at most
    /// `max_files` (default 5000). Example: `{"path": "src", "pattern": "*.py", "recursive": true}`.
    #[tool(
        output_schema = schema_for_output::<CodeListOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn code_list_files(
        &self,
        Parameters(args): Parameters<CodeListArgs>,
        caller: Caller,
    ) -> Result<Rendered<CodeListOutput>, FsError> {
        self.run(&caller, move |ctx| code_list(ctx, &args)).await
    }

    /// Metadata of a file or directory: type, size, created/modified/accessed times,
    /// permissions; a symlink inside the jail is described by its target (and named).
    /// Example: `{"path": "Cargo.toml"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn get_file_info(
        &self,
        Parameters(args): Parameters<ListArgs>,
        caller: Caller,
    ) -> Result<Json<InfoOutput>, FsError> {
        self.run(&caller, move |ctx| info(ctx, &args.path))
            .await
            .map(Json)
    }

    /// A file's language (from its name, or a `#!` line), size, line count, binary flag and
    /// modification time (the original fleet's tool). Example: `{"path": "src/app.py"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn code_get_info(
        &self,
        Parameters(args): Parameters<ListArgs>,
        caller: Caller,
    ) -> Result<Json<CodeInfoOutput>, FsError> {
        self.run(&caller, move |ctx| code_info(ctx, &args.path))
            .await
            .map(Json)
    }

    /// The directories this server may touch in this session: the configured roots, narrowed
    /// to the client's MCP roots when it declared some (never widened), and whether the
    /// server is read-only. Example: `{}`.
    #[tool(
        output_schema = schema_for_output::<AllowedOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn list_allowed_directories(
        &self,
        Parameters(_args): Parameters<NoArgs>,
        caller: Caller,
    ) -> Result<Rendered<AllowedOutput>, FsError> {
        self.run(&caller, |ctx| {
            let directories: Vec<String> = ctx
                .jail
                .roots()
                .iter()
                .map(|r| r.path.display().to_string())
                .collect();
            let mut text = format!("Allowed directories:\n{}", directories.join("\n"));
            if ctx.config().read_only {
                text.push_str("\n(read-only: every mutation is refused)");
            }
            if let Some(by) = ctx.jail.narrowed_by() {
                text.push_str(&format!(
                    "\n(narrowed by the client's roots: {})",
                    by.join(", ")
                ));
            }
            Ok(Rendered {
                text,
                data: AllowedOutput {
                    directories,
                    configured: ctx
                        .state
                        .jail
                        .roots()
                        .iter()
                        .map(|r| r.path.display().to_string())
                        .collect(),
                    client_roots: ctx.jail.narrowed_by().map(<[String]>::to_vec),
                    read_only: ctx.config().read_only,
                },
            })
        })
        .await
    }
}

/// An existing directory named by `raw`.
pub(crate) fn dir_target(ctx: &Ctx, arg: &str, raw: &str) -> Result<Target, FsError> {
    let t = ctx.jail.resolve_existing(arg, raw, true)?;
    if t.kind != Some(Kind::Directory) {
        return Err(FsError::arg(
            arg,
            format!("{} is not a directory", ctx.jail.abs(&t).display()),
        ));
    }
    Ok(t)
}

/// Walk options for a listing tool.
pub(crate) fn walk_options(
    ctx: &Ctx,
    order: Order,
    hidden: bool,
    ignore_files: bool,
) -> WalkOptions {
    WalkOptions {
        hidden,
        ignore_files,
        max_depth: None,
        order,
        threads: ctx.config().grep_threads,
        deadline: ctx.deadline,
        cancel: ctx.cancel.clone(),
    }
}

/// Why a walk is incomplete, in words, if it is: `stopped` is how it stopped, `capped` whether
/// the caller's FS_MAX_ENTRIES cap stopped it.
pub(crate) fn truncation(stopped: Option<Stopped>, capped: bool) -> Option<String> {
    match stopped {
        _ if capped => Some("entry limit (FS_MAX_ENTRIES) reached".to_owned()),
        Some(Stopped::Deadline) => Some("deadline (FS_WALK_TIMEOUT) reached".to_owned()),
        Some(Stopped::Cancelled) => Some("the call was cancelled".to_owned()),
        Some(Stopped::Limit) => Some("entry limit reached".to_owned()),
        None => None,
    }
}

/// Why a capped walk is incomplete: a `Limit` stop there is always the FS_MAX_ENTRIES cap.
pub(crate) fn listing_truncation(report: &WalkReport) -> Option<String> {
    truncation(report.stopped, report.stopped == Some(Stopped::Limit))
}

/// Push `item()` onto the shared list of a walk, unless it already holds `cap` entries (or its
/// lock is poisoned): then stop the walk.
fn push_capped<T>(found: &Mutex<Vec<T>>, cap: usize, item: impl FnOnce() -> T) -> Visit {
    let Ok(mut f) = found.lock() else {
        return Visit::Stop;
    };
    if f.len() >= cap {
        return Visit::Stop;
    }
    f.push(item());
    Visit::Continue
}

/// A size in KiB, rounded to 0.1.
fn kib(size: u64) -> f64 {
    (size as f64 / 102.4).round() / 10.0
}

/// The answer of `search_files` and `code_find_file`: the matches sorted, `describe` saying
/// them (when there are any), the truncation noted.
fn search_answer(
    mut matches: Vec<String>,
    report: WalkReport,
    none: String,
    describe: impl FnOnce(&[String]) -> String,
) -> Rendered<SearchOutput> {
    matches.sort();
    let truncated = listing_truncation(&report);
    let mut text = if matches.is_empty() {
        none
    } else {
        describe(&matches)
    };
    if let Some(why) = &truncated {
        text.push_str(&format!("\n... (truncated: {why})"));
    }
    Rendered {
        text,
        data: SearchOutput {
            matches,
            truncated,
            unreadable: report.errors,
        },
    }
}

fn list_dir(
    ctx: &Ctx,
    raw: &str,
    sizes: bool,
    sort: SortBy,
) -> Result<Rendered<ListOutput>, FsError> {
    let t = dir_target(ctx, "path", raw)?;
    let abs = ctx.jail.abs(&t);
    let dir = ctx
        .jail
        .open_dir(&t)
        .map_err(|e| FsError::io("list", abs.display(), &e))?;
    let cap = ctx.config().max_entries;
    let mut entries = Vec::new();
    let mut truncated = false;
    for entry in dir
        .entries()
        .map_err(|e| FsError::io("list", abs.display(), &e))?
    {
        let Ok(entry) = entry else { continue };
        if entries.len() >= cap {
            truncated = true;
            break;
        }
        let name = entry.file_name();
        let md = dir.symlink_metadata(&name).ok();
        let kind = md.as_ref().map_or(Kind::Other, Kind::of);
        let target = (kind == Kind::Symlink)
            .then(|| dir.read_link_contents(&name).ok())
            .flatten()
            .map(|p| p.display().to_string());
        entries.push(DirEntry {
            name: name.to_string_lossy().into_owned(),
            kind,
            size: md.filter(|m| m.is_file()).map(|m| m.len()),
            target,
        });
    }
    match sort {
        SortBy::Name => entries.sort_by(|a, b| a.name.cmp(&b.name)),
        SortBy::Size => entries.sort_by(|a, b| {
            b.size
                .unwrap_or(0)
                .cmp(&a.size.unwrap_or(0))
                .then_with(|| a.name.cmp(&b.name))
        }),
    }
    let files = entries.iter().filter(|e| e.kind == Kind::File).count();
    let directories = entries.iter().filter(|e| e.kind == Kind::Directory).count();
    let total_size: u64 = entries.iter().filter_map(|e| e.size).sum();
    let mut lines: Vec<String> = entries
        .iter()
        .map(|e| {
            let tag = match e.kind {
                Kind::File => "[FILE]",
                Kind::Directory => "[DIR]",
                Kind::Symlink => "[LINK]",
                Kind::Other => "[OTHER]",
            };
            let mut line = format!("{tag} {}", e.name);
            if let Some(t) = &e.target {
                line.push_str(&format!(" -> {t}"));
            }
            if sizes && let Some(s) = e.size {
                line = format!("{line:<40} {:>10}", human_size(s));
            }
            line
        })
        .collect();
    if lines.is_empty() {
        lines.push("(empty directory)".to_owned());
    }
    if truncated {
        lines.push(format!("... (truncated at {cap} entries: FS_MAX_ENTRIES)"));
    }
    if sizes {
        lines.push(String::new());
        lines.push(format!("Total: {files} files, {directories} directories"));
        lines.push(format!("Combined size: {}", human_size(total_size)));
    }
    Ok(Rendered {
        text: lines.join("\n"),
        data: ListOutput {
            path: abs.display().to_string(),
            entries,
            truncated,
            files,
            directories,
            total_size,
        },
    })
}

/// Exclude patterns: bare names match a name at any depth, others the relative path.
pub(crate) struct Excludes {
    names: GlobSet,
    paths: GlobSet,
}

impl Excludes {
    pub(crate) fn new(patterns: &[String], arg: &str) -> Result<Self, FsError> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for p in patterns {
            let p = p.trim_end_matches('/');
            if p.is_empty() {
                continue;
            }
            let glob = glob(p, arg)?;
            if p.contains('/') {
                paths.add(glob);
            } else {
                names.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| b.build().map_err(|e| FsError::arg(arg, e.to_string()));
        Ok(Self {
            names: build(names)?,
            paths: build(paths)?,
        })
    }

    /// Whether `name` at `rel` (relative to the walk's start) is excluded.
    pub(crate) fn excludes(&self, name: &OsStr, rel: &Path) -> bool {
        self.names.is_match(name) || self.paths.is_match(rel)
    }
}

/// A glob where `*` does not cross `/` (as minimatch and .gitignore).
pub(crate) fn glob(pattern: &str, arg: &str) -> Result<Glob, FsError> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| FsError::arg(arg, format!("bad glob {pattern:?}: {e}")))
}

/// A name-or-path matcher for one search pattern.
pub(crate) struct NameOrPath {
    matcher: GlobMatcher,
    on_path: bool,
}

impl NameOrPath {
    pub(crate) fn new(pattern: &str, arg: &str) -> Result<Self, FsError> {
        if pattern.is_empty() {
            return Err(FsError::arg(arg, "the pattern is empty"));
        }
        Ok(Self {
            matcher: glob(pattern, arg)?.compile_matcher(),
            on_path: pattern.contains('/'),
        })
    }

    pub(crate) fn matches(&self, name: &OsStr, rel: &Path) -> bool {
        if self.on_path {
            self.matcher.is_match(rel)
        } else {
            self.matcher.is_match(name)
        }
    }
}

fn tree(ctx: &Ctx, args: &TreeArgs) -> Result<Rendered<TreeOutput>, FsError> {
    let t = dir_target(ctx, "path", &args.path)?;
    let abs = ctx.jail.abs(&t);
    let excludes = Excludes::new(&args.exclude_patterns, "excludePatterns")?;
    if args.max_depth == Some(0) {
        return Err(FsError::arg("maxDepth", "must be at least 1"));
    }
    let mut opts = walk_options(ctx, Order::BreadthFirst, true, args.respect_gitignore);
    opts.max_depth = args.max_depth;
    let cap = ctx.config().max_entries;
    let found: Mutex<Vec<(PathBuf, Kind)>> = Mutex::new(Vec::new());
    let start = t.rel.clone();
    let root = ctx.jail.root(&t);
    let report = walk(root, &start, &opts, || {
        |e: &Entry<'_>| {
            let rel = e.rel.strip_prefix(&start).unwrap_or(e.rel);
            if excludes.excludes(e.name, rel) {
                return Visit::Skip;
            }
            push_capped(&found, cap, || (rel.to_path_buf(), e.kind))
        }
    });
    let found = found.into_inner().unwrap_or_default();
    let entries = found.len();
    let mut children: HashMap<PathBuf, Vec<(String, Kind, PathBuf)>> = HashMap::new();
    for (rel, kind) in found {
        let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        children.entry(parent).or_default().push((name, kind, rel));
    }
    let tree = build_tree(&mut children, Path::new(""));
    let mut text = format!("{}/\n", abs.display());
    render_tree(&tree, 1, &mut text);
    let truncated = listing_truncation(&report);
    if let Some(why) = &truncated {
        text.push_str(&format!(
            "... (truncated: {why}; {entries} entries shown)\n"
        ));
    }
    Ok(Rendered {
        text,
        data: TreeOutput {
            path: abs.display().to_string(),
            tree,
            entries,
            truncated,
            unreadable: report.errors,
        },
    })
}

fn build_tree(
    children: &mut HashMap<PathBuf, Vec<(String, Kind, PathBuf)>>,
    at: &Path,
) -> Vec<TreeNode> {
    let mut mine = children.remove(at).unwrap_or_default();
    mine.sort_by(|a, b| a.0.cmp(&b.0));
    mine.into_iter()
        .map(|(name, kind, rel)| TreeNode {
            name,
            kind,
            children: (kind == Kind::Directory).then(|| build_tree(children, &rel)),
        })
        .collect()
}

fn render_tree(nodes: &[TreeNode], depth: usize, out: &mut String) {
    for n in nodes {
        out.push_str(&"  ".repeat(depth));
        out.push_str(&n.name);
        match n.kind {
            Kind::Directory => out.push('/'),
            Kind::Symlink => out.push('@'),
            Kind::File | Kind::Other => {}
        }
        out.push('\n');
        if let Some(c) = &n.children {
            render_tree(c, depth + 1, out);
        }
    }
}

fn search(ctx: &Ctx, args: &SearchArgs) -> Result<Rendered<SearchOutput>, FsError> {
    let t = dir_target(ctx, "path", &args.path)?;
    let pattern = NameOrPath::new(&args.pattern, "pattern")?;
    let excludes = Excludes::new(&args.exclude_patterns, "excludePatterns")?;
    let opts = walk_options(ctx, Order::Sorted, true, args.respect_gitignore);
    let cap = ctx.config().max_entries;
    let root = ctx.jail.root(&t);
    let start = t.rel.clone();
    let found = Mutex::new(Vec::new());
    let report = walk(root, &start, &opts, || {
        |e: &Entry<'_>| {
            let rel = e.rel.strip_prefix(&start).unwrap_or(e.rel);
            if excludes.excludes(e.name, rel) {
                return Visit::Skip;
            }
            if pattern.matches(e.name, rel) {
                return push_capped(&found, cap, || root.path.join(e.rel).display().to_string());
            }
            Visit::Continue
        }
    });
    Ok(search_answer(
        found.into_inner().unwrap_or_default(),
        report,
        "No matches found".to_owned(),
        |matches| matches.join("\n"),
    ))
}

fn find_files(ctx: &Ctx, args: &FindArgs) -> Result<Rendered<SearchOutput>, FsError> {
    let t = dir_target(ctx, "path", &args.path)?;
    let pattern = glob(&args.name_pattern, "name_pattern")?.compile_matcher();
    let opts = walk_options(ctx, Order::Sorted, true, false);
    let cap = ctx.config().max_entries;
    let root = ctx.jail.root(&t);
    let start = t.rel.clone();
    let found = Mutex::new(Vec::new());
    let report = walk(root, &start, &opts, || {
        |e: &Entry<'_>| {
            if e.kind == Kind::Directory && e.name == ".git" {
                return Visit::Skip;
            }
            if e.kind == Kind::File && pattern.is_match(e.name) {
                let rel = e.rel.strip_prefix(&start).unwrap_or(e.rel);
                return push_capped(&found, cap, || rel.display().to_string());
            }
            Visit::Continue
        }
    });
    Ok(search_answer(
        found.into_inner().unwrap_or_default(),
        report,
        format!("No files matching {:?}", args.name_pattern),
        |matches| format!("Found {} file(s):\n{}", matches.len(), matches.join("\n")),
    ))
}

fn code_list(ctx: &Ctx, args: &CodeListArgs) -> Result<Rendered<CodeListOutput>, FsError> {
    let t = dir_target(ctx, "path", &args.path)?;
    let abs = ctx.jail.abs(&t);
    let pattern = glob(&args.pattern, "pattern")?.compile_matcher();
    if args.max_files == 0 {
        return Err(FsError::arg("max_files", "must be at least 1"));
    }
    let cap = args.max_files.min(ctx.config().max_entries);
    let mut opts = walk_options(ctx, Order::Sorted, true, false);
    if !args.recursive {
        opts.max_depth = Some(1);
    }
    let root = ctx.jail.root(&t);
    let start = t.rel.clone();
    let found = Mutex::new(Vec::new());
    let report = walk(root, &start, &opts, || {
        |e: &Entry<'_>| {
            if e.kind == Kind::File && pattern.is_match(e.name) {
                return push_capped(&found, cap, || {
                    let size = e.dir.symlink_metadata(e.name).map_or(0, |m| m.len());
                    let rel = e.rel.strip_prefix(&start).unwrap_or(e.rel);
                    ListedFile {
                        path: rel.display().to_string(),
                        size,
                        size_kb: kib(size),
                    }
                });
            }
            Visit::Continue
        }
    });
    let mut files = found.into_inner().unwrap_or_default();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let truncated = listing_truncation(&report);
    let mut text = format!("{} file(s) in {}:\n", files.len(), abs.display());
    for f in &files {
        text.push_str(&format!("{} ({:.1} KB)\n", f.path, f.size_kb));
    }
    if let Some(why) = &truncated {
        text.push_str(&format!("... (truncated: {why})\n"));
    }
    Ok(Rendered {
        text,
        data: CodeListOutput {
            path: abs.display().to_string(),
            files,
            truncated,
        },
    })
}

fn info(ctx: &Ctx, raw: &str) -> Result<InfoOutput, FsError> {
    let jail = &ctx.jail;
    let link = jail.resolve_existing("path", raw, false)?;
    let t = if link.kind == Some(Kind::Symlink) {
        jail.resolve_existing("path", raw, true)?
    } else {
        link.clone()
    };
    let abs = jail.abs(&t);
    let md = metadata(ctx, &t).map_err(|e| FsError::io("inspect", abs.display(), &e))?;
    let kind = Kind::of(&md);
    Ok(InfoOutput {
        path: abs.display().to_string(),
        kind,
        size: md.len(),
        created: time(md.created()),
        modified: time(md.modified()),
        accessed: time(md.accessed()),
        permissions: format!("{:o}", md.permissions().mode() & 0o7777),
        is_directory: kind == Kind::Directory,
        is_file: kind == Kind::File,
        symlink_path: (link.kind == Some(Kind::Symlink))
            .then(|| jail.abs(&link).display().to_string()),
    })
}

/// Metadata of `t` without following a final symlink.
pub(crate) fn metadata(ctx: &Ctx, t: &Target) -> std::io::Result<Metadata> {
    ctx.jail
        .root(t)
        .dir()
        .symlink_metadata(crate::jail::cap_path(&t.rel))
}

fn code_info(ctx: &Ctx, raw: &str) -> Result<CodeInfoOutput, FsError> {
    let jail = &ctx.jail;
    let t = jail.resolve_existing("path", raw, true)?;
    let abs = jail.abs(&t);
    if t.kind != Some(Kind::File) {
        return Err(FsError::arg(
            "path",
            format!("{} is not a file", abs.display()),
        ));
    }
    let (file, md) = jail
        .open_read(&t)
        .map_err(|e| FsError::io("read", abs.display(), &e))?;
    let size = md.len();
    let (binary, lines, head) = if size <= ctx.config().max_read_bytes {
        let bytes = crate::jail::read_limited(file, &md, ctx.config().max_read_bytes, &abs)?;
        let binary = crate::text::binary_offset(&bytes).is_some();
        let lines = (!binary).then(|| bytecount_lines(&bytes));
        let head: Vec<u8> = bytes.iter().take(256).copied().collect();
        (binary, lines, head)
    } else {
        (false, None, Vec::new())
    };
    let language = analysis::language(&abs, &head).map(|l| l.name().to_owned());
    Ok(CodeInfoOutput {
        path: abs.display().to_string(),
        language,
        size,
        size_kb: kib(size),
        lines,
        binary,
        modified: time(md.modified()),
    })
}

/// Lines in a text: newlines, plus one for a last line without a newline.
fn bytecount_lines(bytes: &[u8]) -> usize {
    let n = bytes.iter().filter(|&&b| b == b'\n').count();
    if bytes.last().is_some_and(|&b| b != b'\n') {
        n + 1
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn patterns_without_a_slash_match_names_at_any_depth() {
        let p = NameOrPath::new("main*", "pattern").unwrap();
        assert!(p.matches(OsStr::new("main.rs"), Path::new("src/main.rs")));
        let p = NameOrPath::new("src/*.rs", "pattern").unwrap();
        assert!(p.matches(OsStr::new("lib.rs"), Path::new("src/lib.rs")));
        assert!(!p.matches(OsStr::new("x.rs"), Path::new("src/deep/x.rs")));
        let p = NameOrPath::new("src/**/*.rs", "pattern").unwrap();
        assert!(p.matches(OsStr::new("x.rs"), Path::new("src/deep/x.rs")));
        assert!(NameOrPath::new("a[", "pattern").is_err());
        let ex = Excludes::new(&["target/".into(), "docs/*.md".into()], "x").unwrap();
        assert!(ex.excludes(OsStr::new("target"), Path::new("a/target")));
        assert!(ex.excludes(OsStr::new("r.md"), Path::new("docs/r.md")));
        assert!(!ex.excludes(OsStr::new("r.md"), Path::new("r.md")));
    }

    #[test]
    fn line_counts_count_a_last_unterminated_line() {
        assert_eq!(bytecount_lines(b""), 0);
        assert_eq!(bytecount_lines(b"a\nb"), 2);
        assert_eq!(bytecount_lines(b"a\nb\n"), 2);
    }
}
