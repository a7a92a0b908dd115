//! Content search: `grep` (regex or literal, ripgrep's engine: `grep-regex` + `grep-searcher`)
//! and the original fleet's `code_search_content` on top of it.
//!
//! The walk is the jail's own ([`crate::walk`]): ignore files honoured, hidden files and binary
//! files skipped, every file opened through its parent's handle. Bounds: `max_results` matches
//! (at most FS_MAX_MATCHES), FS_MAX_OUTPUT_BYTES of text, lines cut at 500 characters, a 32 MiB
//! line buffer per thread, and the FS_WALK_TIMEOUT deadline; a capped answer says why. Long
//! searches report progress (files searched) when the client sent a progress token.

use std::{
    future::Future,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use fleet_core::Progress;
use grep_matcher::Matcher as _;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{
    BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkContextKind, SinkMatch,
};
use ignore::types::{Types, TypesBuilder};
use rmcp::{
    handler::server::{common::schema_for_output, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};

use crate::{
    error::FsError,
    jail::{Kind, Root},
    server::{Caller, Ctx, FsServer, Rendered},
    text::cut,
    tools::list::{Excludes, NameOrPath, truncation, walk_options},
    walk::{Entry, Order, Visit, walk},
};

/// Longest line (in characters) put into an answer.
const MAX_LINE_CHARS: usize = 500;
/// Line buffer limit per searching thread: a longer line makes that file an error.
const HEAP_LIMIT: usize = 32 * 1024 * 1024;
/// Most context lines before or after a match.
const MAX_CONTEXT: usize = 10;
/// Default number of matches reported by `grep`.
const DEFAULT_MAX_RESULTS: usize = 200;
/// How often progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// How letter case is treated.
#[derive(Debug, Default, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CaseMode {
    /// Insensitive unless the pattern has an upper-case letter (default).
    #[default]
    Smart,
    /// Exact case.
    Sensitive,
    /// Ignore case.
    Insensitive,
}

/// What `grep` reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutputMode {
    /// Matching lines with line numbers (default).
    #[default]
    Content,
    /// Only the paths of files with a match.
    FilesWithMatches,
    /// The number of matching lines per file.
    Count,
}

/// Arguments of `grep`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct GrepArgs {
    /// A regular expression (Rust `regex` syntax, like ripgrep), or plain text with `literal`.
    pub pattern: String,
    /// Directory or file to search; default: every allowed root.
    #[serde(default)]
    pub path: Option<String>,
    /// Take `pattern` as plain text (default false).
    #[serde(default)]
    pub literal: bool,
    /// `smart` (default: insensitive unless the pattern has upper case), `sensitive`, `insensitive`.
    #[serde(default)]
    pub case: CaseMode,
    /// Match whole words only (default false).
    #[serde(default)]
    pub word: bool,
    /// Only files matching one of these globs (without `/`: the name, with `/`: the path
    /// relative to `path`), e.g. `["*.rs", "*.toml"]`.
    #[serde(default)]
    pub include: Vec<String>,
    /// Skip files and directories matching these globs, e.g. `["tests", "*.min.js"]`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Only files of this type, by ripgrep's names: `rust`, `py`, `js`, `ts`, `go`, `md`, ...
    #[serde(default, rename = "type")]
    pub file_type: Option<String>,
    /// Lines of context before and after each match (0 to 10).
    #[serde(default)]
    pub context: Option<usize>,
    /// Lines of context before each match (overrides `context`).
    #[serde(default)]
    pub before_context: Option<usize>,
    /// Lines of context after each match (overrides `context`).
    #[serde(default)]
    pub after_context: Option<usize>,
    /// Also search hidden files and directories (default false).
    #[serde(default)]
    pub hidden: bool,
    /// Search what .gitignore/.ignore files exclude, too (default false).
    #[serde(default)]
    pub no_ignore: bool,
    /// `content` (default), `files_with_matches` or `count`.
    #[serde(default)]
    pub output: OutputMode,
    /// Most matches (or files, for `files_with_matches`) reported; default 200, at most
    /// FS_MAX_MATCHES.
    #[serde(default)]
    pub max_results: Option<usize>,
    /// Most matches reported per file.
    #[serde(default)]
    pub max_per_file: Option<u64>,
}

/// A context line.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ContextLine {
    /// 1-based line number.
    pub line: u64,
    /// The line (cut at 500 characters).
    pub text: String,
}

/// A matching line.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LineMatch {
    /// 1-based line number.
    pub line: u64,
    /// 1-based column (in characters) of the first match on the line.
    pub column: usize,
    /// The line (cut at 500 characters).
    pub text: String,
    /// Context lines before it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<ContextLine>,
    /// Context lines after it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<ContextLine>,
}

/// Matches in one file.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileMatches {
    /// Absolute path.
    pub path: String,
    /// Matching lines found in it (those reported, when capped).
    pub count: u64,
    /// The matching lines (`content` mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<LineMatch>,
}

/// Result of `grep` and `code_search_content`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GrepOutput {
    /// Files with matches, sorted by path.
    pub files: Vec<FileMatches>,
    /// Matching lines reported.
    pub total_matches: u64,
    /// Files searched.
    pub files_searched: u64,
    /// Files that could not be searched (unreadable, or a line over 32 MiB).
    pub files_skipped: u64,
    /// Why the answer is incomplete (result cap, output cap, deadline), if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// Arguments of `code_search_content`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchContentArgs {
    /// The text to find (literal, not a pattern).
    pub query: String,
    /// Glob on file names (default `*.py`, as in the original fleet; use `*` for every file).
    #[serde(default = "default_file_pattern")]
    pub file_pattern: String,
    /// Match case exactly (default false).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Directory to search (default: every allowed root).
    #[serde(default)]
    pub path: Option<String>,
}

fn default_file_pattern() -> String {
    "*.py".to_owned()
}

/// Progress counters shared between the searching threads and the progress reporter.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    files: AtomicU64,
    matches: AtomicU64,
}

#[tool_router(router = grep_tools, vis = "pub(crate)")]
impl FsServer {
    /// Search file contents for a regular expression (or `literal` text), like ripgrep:
    /// honours .gitignore/.ignore, skips hidden and binary files, searches in parallel.
    /// Options: `include`/`exclude` globs, `type` (rust, py, js, ...), `case`
    /// (smart/sensitive/insensitive), `word`, `context` lines, `output` (content,
    /// files_with_matches, count). Capped at `max_results` (default 200, at most
    /// FS_MAX_MATCHES), FS_MAX_OUTPUT_BYTES and FS_WALK_TIMEOUT; a capped answer says why.
    /// Reports progress when asked. Example: `{"pattern": "fn \\w+_test", "path": "src", "type": "rust", "context": 2}`.
    #[tool(
        output_schema = schema_for_output::<GrepOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn grep(
        &self,
        Parameters(args): Parameters<GrepArgs>,
        caller: Caller,
    ) -> Result<Rendered<GrepOutput>, FsError> {
        let counters = Arc::new(Counters::default());
        let shared = counters.clone();
        let output = args.output;
        let work = self.run(&caller, move |ctx| search(ctx, &args, &shared));
        let out = with_progress(caller.progress.clone(), counters, work).await?;
        Ok(Rendered {
            text: render(&out, output),
            data: out,
        })
    }

    /// Find literal text in files whose name matches `file_pattern` (the original fleet's
    /// tool; default `*.py`), case-insensitive unless `case_sensitive`. Reports the first 50
    /// matches grouped by file; at most 5000 files are searched. For regexes, context and
    /// more options use grep. Example: `{"query": "TODO", "file_pattern": "*.rs"}`.
    #[tool(
        output_schema = schema_for_output::<GrepOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn code_search_content(
        &self,
        Parameters(args): Parameters<SearchContentArgs>,
        caller: Caller,
    ) -> Result<Rendered<GrepOutput>, FsError> {
        if args.query.is_empty() {
            return Err(FsError::arg("query", "is empty"));
        }
        let grep_args = GrepArgs {
            pattern: args.query.clone(),
            path: args.path,
            literal: true,
            case: if args.case_sensitive {
                CaseMode::Sensitive
            } else {
                CaseMode::Insensitive
            },
            include: vec![args.file_pattern],
            max_results: Some(50),
            ..GrepArgs::default()
        };
        let counters = Arc::new(Counters::default());
        let shared = counters.clone();
        let work = self.run(&caller, move |ctx| {
            search_capped(ctx, &grep_args, &shared, Some(5000))
        });
        let out = with_progress(caller.progress.clone(), counters, work).await?;
        let mut text = if out.total_matches == 0 {
            format!("No matches for {:?}", args.query)
        } else {
            format!(
                "Found {} match(es) for {:?} in {} file(s):\n",
                out.total_matches,
                args.query,
                out.files.len()
            )
        };
        for f in &out.files {
            text.push_str(&format!("\n{}:\n", f.path));
            for m in &f.matches {
                text.push_str(&format!("  Line {}: {}\n", m.line, m.text.trim()));
            }
        }
        if let Some(why) = &out.truncated {
            text.push_str(&format!("\n(truncated: {why})"));
        }
        Ok(Rendered { text, data: out })
    }
}

/// Run `work`, reporting the number of files searched every half second and at the end, if
/// the client asked for progress. Values only ever increase, as the spec requires.
async fn with_progress<T>(
    progress: Option<Progress>,
    counters: Arc<Counters>,
    work: impl Future<Output = T>,
) -> T {
    let Some(p) = progress.filter(Progress::wanted) else {
        return work.await;
    };
    let mut last = 0u64;
    p.report(0.0, None, Some("searching".to_owned())).await;
    tokio::pin!(work);
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.tick().await;
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            _ = tick.tick() => {
                let n = counters.files.load(Ordering::Relaxed);
                if n > last {
                    last = n;
                    let m = counters.matches.load(Ordering::Relaxed);
                    p.report(n as f64, None, Some(format!("{n} files searched, {m} matches"))).await;
                }
            }
        }
    };
    let n = counters.files.load(Ordering::Relaxed);
    if n > last {
        p.report(
            n as f64,
            Some(n as f64),
            Some(format!("done: {n} files searched")),
        )
        .await;
    }
    out
}

fn search(ctx: &Ctx, args: &GrepArgs, counters: &Counters) -> Result<GrepOutput, FsError> {
    search_capped(ctx, args, counters, None)
}

/// The search itself; `max_files` caps the number of files searched.
fn search_capped(
    ctx: &Ctx,
    args: &GrepArgs,
    counters: &Counters,
    max_files: Option<u64>,
) -> Result<GrepOutput, FsError> {
    let plan = Plan::new(ctx, args)?;
    let state = RunState::default();
    let targets = match &args.path {
        Some(raw) => vec![ctx.jail.resolve_existing("path", raw, true)?],
        None => (0..ctx.jail.roots().len())
            .map(|root| crate::jail::Target {
                root,
                rel: Default::default(),
                kind: Some(Kind::Directory),
            })
            .collect(),
    };
    if targets.is_empty() {
        return Err(FsError::Escape {
            arg: "path".to_owned(),
            path: "(every root)".to_owned(),
            roots: ctx.jail.roots_text(),
        });
    }
    let mut stopped = None;
    for t in targets {
        let root = ctx.jail.root(&t);
        match t.kind {
            Some(Kind::File) => {
                let abs = ctx.jail.abs(&t);
                let (file, md) = ctx
                    .jail
                    .open_read(&t)
                    .map_err(|e| FsError::io("read", abs.display(), &e))?;
                if !md.is_file() {
                    return Err(crate::jail::not_a_file(&abs, &md));
                }
                let mut searcher = plan.searcher();
                search_one(
                    &plan,
                    &state,
                    counters,
                    &mut searcher,
                    &file.into_std(),
                    &abs,
                );
            }
            Some(Kind::Directory) => {
                let opts = {
                    let mut o = walk_options(ctx, Order::Parallel, args.hidden, !args.no_ignore);
                    o.threads = ctx.config().grep_threads;
                    o
                };
                let start = t.rel.clone();
                let report = walk(root, &start, &opts, || {
                    let mut searcher = plan.searcher();
                    let start = &start;
                    let plan = &plan;
                    let state = &state;
                    move |e: &Entry<'_>| {
                        visit(
                            plan,
                            state,
                            counters,
                            &mut searcher,
                            root,
                            start,
                            e,
                            max_files,
                        )
                    }
                });
                state
                    .skipped
                    .fetch_add(report.error_count, Ordering::Relaxed);
                if report.stopped.is_some() {
                    stopped = report.stopped;
                    break;
                }
            }
            _ => {
                return Err(FsError::arg(
                    "path",
                    format!(
                        "{} is neither a file nor a directory",
                        ctx.jail.abs(&t).display()
                    ),
                ));
            }
        }
    }
    let mut files = state.files.into_inner().unwrap_or_default();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let total_matches = files.iter().map(|f| f.count).sum();
    let truncated = state
        .cut
        .into_inner()
        .ok()
        .flatten()
        .or_else(|| stopped.and_then(|s| truncation(Some(s), false)));
    Ok(GrepOutput {
        files,
        total_matches,
        files_searched: counters.files.load(Ordering::Relaxed),
        files_skipped: state.skipped.load(Ordering::Relaxed),
        truncated,
    })
}

/// Everything fixed for one search.
struct Plan {
    matcher: RegexMatcher,
    include: Option<Vec<NameOrPath>>,
    exclude: Excludes,
    types: Option<Types>,
    before: usize,
    after: usize,
    mode: OutputMode,
    max_results: usize,
    max_per_file: Option<u64>,
    max_bytes: usize,
}

impl Plan {
    fn new(ctx: &Ctx, args: &GrepArgs) -> Result<Self, FsError> {
        if args.pattern.is_empty() {
            return Err(FsError::arg("pattern", "is empty"));
        }
        let mut b = RegexMatcherBuilder::new();
        b.line_terminator(Some(b'\n'))
            .fixed_strings(args.literal)
            .word(args.word)
            .size_limit(16 << 20)
            .dfa_size_limit(16 << 20);
        match args.case {
            CaseMode::Smart => b.case_smart(true),
            CaseMode::Sensitive => b.case_insensitive(false),
            CaseMode::Insensitive => b.case_insensitive(true),
        };
        let matcher = b
            .build(&args.pattern)
            .map_err(|e| FsError::arg("pattern", format!("not a valid regular expression: {e}")))?;
        let include = if args.include.is_empty() {
            None
        } else {
            Some(
                args.include
                    .iter()
                    .map(|p| NameOrPath::new(p, "include"))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        };
        let types = match &args.file_type {
            None => None,
            Some(name) => {
                let mut tb = TypesBuilder::new();
                tb.add_defaults();
                tb.select(name);
                Some(tb.build().map_err(|e| {
                    FsError::arg(
                        "type",
                        format!("{e} (ripgrep's type names: rust, py, js, ts, go, md, ...)"),
                    )
                })?)
            }
        };
        let context = args.context.unwrap_or(0);
        let before = args.before_context.unwrap_or(context);
        let after = args.after_context.unwrap_or(context);
        if before > MAX_CONTEXT || after > MAX_CONTEXT {
            return Err(FsError::arg(
                "context",
                format!("at most {MAX_CONTEXT} lines of context"),
            ));
        }
        let cap = ctx.config().max_matches;
        let max_results = args.max_results.unwrap_or(DEFAULT_MAX_RESULTS);
        if max_results == 0 {
            return Err(FsError::arg("max_results", "must be at least 1"));
        }
        if args.max_per_file == Some(0) {
            return Err(FsError::arg("max_per_file", "must be at least 1"));
        }
        Ok(Self {
            matcher,
            include,
            exclude: Excludes::new(&args.exclude, "exclude")?,
            types,
            before,
            after,
            mode: args.output,
            max_results: max_results.min(cap),
            max_per_file: args.max_per_file,
            max_bytes: ctx.config().max_output_bytes,
        })
    }

    fn searcher(&self) -> Searcher {
        let mut b = SearcherBuilder::new();
        b.line_number(true)
            .binary_detection(BinaryDetection::quit(b'\x00'))
            .heap_limit(Some(HEAP_LIMIT));
        if self.mode == OutputMode::Content {
            b.before_context(self.before).after_context(self.after);
        }
        b.build()
    }
}

/// What the threads collect together.
#[derive(Default)]
struct RunState {
    files: Mutex<Vec<FileMatches>>,
    /// Matches (or files) reported so far, against the result cap.
    reported: AtomicUsize,
    /// Bytes of text reported so far, against the output cap.
    bytes: AtomicUsize,
    /// Raised when a cap is reached.
    full: AtomicBool,
    /// Why the answer was cut.
    cut: Mutex<Option<String>>,
    skipped: AtomicU64,
}

impl RunState {
    fn cut(&self, why: String) {
        self.full.store(true, Ordering::Relaxed);
        if let Ok(mut c) = self.cut.lock() {
            c.get_or_insert(why);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn visit(
    plan: &Plan,
    state: &RunState,
    counters: &Counters,
    searcher: &mut Searcher,
    root: &Root,
    start: &Path,
    e: &Entry<'_>,
    max_files: Option<u64>,
) -> Visit {
    if state.full.load(Ordering::Relaxed) {
        return Visit::Stop;
    }
    let rel = e.rel.strip_prefix(start).unwrap_or(e.rel);
    if plan.exclude.excludes(e.name, rel) {
        return Visit::Skip;
    }
    if e.kind != Kind::File {
        return Visit::Continue;
    }
    if let Some(inc) = &plan.include
        && !inc.iter().any(|p| p.matches(e.name, rel))
    {
        return Visit::Continue;
    }
    if let Some(types) = &plan.types
        && !types.matched(e.name, false).is_whitelist()
    {
        return Visit::Continue;
    }
    if max_files.is_some_and(|m| counters.files.load(Ordering::Relaxed) >= m) {
        state.cut(format!("file limit ({}) reached", max_files.unwrap_or(0)));
        return Visit::Stop;
    }
    let file = match e.open() {
        Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => f,
        _ => {
            state.skipped.fetch_add(1, Ordering::Relaxed);
            return Visit::Continue;
        }
    };
    search_one(
        plan,
        state,
        counters,
        searcher,
        &file,
        &root.path.join(e.rel),
    );
    if state.full.load(Ordering::Relaxed) {
        Visit::Stop
    } else {
        Visit::Continue
    }
}

fn search_one(
    plan: &Plan,
    state: &RunState,
    counters: &Counters,
    searcher: &mut Searcher,
    file: &std::fs::File,
    abs: &Path,
) {
    counters.files.fetch_add(1, Ordering::Relaxed);
    let mut sink = Collect {
        plan,
        state,
        matches: Vec::new(),
        count: 0,
        pending: Vec::new(),
        stopped: false,
    };
    if searcher
        .search_file(&plan.matcher, file, &mut sink)
        .is_err()
    {
        state.skipped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if sink.count == 0 {
        return;
    }
    counters.matches.fetch_add(sink.count, Ordering::Relaxed);
    if plan.mode == OutputMode::FilesWithMatches {
        let n = state.reported.fetch_add(1, Ordering::Relaxed);
        if n >= plan.max_results {
            state.cut(format!("result limit ({}) reached", plan.max_results));
            return;
        }
    }
    let entry = FileMatches {
        path: abs.display().to_string(),
        count: sink.count,
        matches: sink.matches,
    };
    if let Ok(mut files) = state.files.lock() {
        files.push(entry);
    }
}

/// A sink collecting one file's matches and context, within the shared caps.
struct Collect<'a> {
    plan: &'a Plan,
    state: &'a RunState,
    matches: Vec<LineMatch>,
    count: u64,
    pending: Vec<ContextLine>,
    stopped: bool,
}

impl Collect<'_> {
    fn line_text(bytes: &[u8]) -> String {
        let mut b = bytes;
        while let [rest @ .., b'\n' | b'\r'] = b {
            b = rest;
        }
        cut(&String::from_utf8_lossy(b), MAX_LINE_CHARS)
    }

    /// Take room for `bytes` more bytes of output; false when the output cap is reached.
    fn room(&mut self, bytes: usize) -> bool {
        let used = self.state.bytes.fetch_add(bytes, Ordering::Relaxed);
        if used + bytes > self.plan.max_bytes {
            self.state.cut(format!(
                "output limit ({} bytes, FS_MAX_OUTPUT_BYTES) reached",
                self.plan.max_bytes
            ));
            self.stopped = true;
            return false;
        }
        true
    }
}

impl Sink for Collect<'_> {
    type Error = std::io::Error;

    fn matched(&mut self, _: &Searcher, m: &SinkMatch<'_>) -> Result<bool, Self::Error> {
        if self.stopped || self.state.full.load(Ordering::Relaxed) {
            return Ok(false);
        }
        match self.plan.mode {
            OutputMode::FilesWithMatches => {
                self.count = 1;
                return Ok(false);
            }
            OutputMode::Count => {
                self.count += 1;
                return Ok(true);
            }
            OutputMode::Content => {}
        }
        let n = self.state.reported.fetch_add(1, Ordering::Relaxed);
        if n >= self.plan.max_results {
            self.state
                .cut(format!("result limit ({}) reached", self.plan.max_results));
            return Ok(false);
        }
        let text = Self::line_text(m.bytes());
        if !self.room(text.len() + 16) {
            return Ok(false);
        }
        let column = self
            .plan
            .matcher
            .find(m.bytes())
            .ok()
            .flatten()
            .map_or(1, |found| {
                String::from_utf8_lossy(&m.bytes()[..found.start()])
                    .chars()
                    .count()
                    + 1
            });
        self.count += 1;
        self.matches.push(LineMatch {
            line: m.line_number().unwrap_or(0),
            column,
            text,
            before: std::mem::take(&mut self.pending),
            after: Vec::new(),
        });
        Ok(self.plan.max_per_file.is_none_or(|max| self.count < max))
    }

    fn context(&mut self, _: &Searcher, c: &SinkContext<'_>) -> Result<bool, Self::Error> {
        if self.stopped {
            return Ok(false);
        }
        let line = ContextLine {
            line: c.line_number().unwrap_or(0),
            text: Self::line_text(c.bytes()),
        };
        if !self.room(line.text.len() + 16) {
            return Ok(false);
        }
        match c.kind() {
            SinkContextKind::Before => self.pending.push(line),
            SinkContextKind::After => {
                if let Some(last) = self.matches.last_mut() {
                    last.after.push(line);
                }
            }
            SinkContextKind::Other => {}
        }
        Ok(true)
    }
}

/// The text form: ripgrep's `--heading` layout (`12:` match, `13-` context, `--` between
/// groups), then a summary line.
fn render(out: &GrepOutput, mode: OutputMode) -> String {
    let mut s = String::new();
    for f in &out.files {
        match mode {
            OutputMode::FilesWithMatches => {
                s.push_str(&f.path);
                s.push('\n');
            }
            OutputMode::Count => s.push_str(&format!("{}:{}\n", f.path, f.count)),
            OutputMode::Content => {
                s.push_str(&f.path);
                s.push('\n');
                let mut last_line = 0;
                for m in &f.matches {
                    let first = m.before.first().map_or(m.line, |c| c.line);
                    if last_line != 0 && first > last_line + 1 {
                        s.push_str("--\n");
                    }
                    for c in &m.before {
                        s.push_str(&format!("{}-{}\n", c.line, c.text));
                    }
                    s.push_str(&format!("{}:{}\n", m.line, m.text));
                    for c in &m.after {
                        s.push_str(&format!("{}-{}\n", c.line, c.text));
                    }
                    last_line = m.after.last().map_or(m.line, |c| c.line);
                }
                s.push('\n');
            }
        }
    }
    let files_word = if out.files.len() == 1 {
        "file"
    } else {
        "files"
    };
    s.push_str(&format!(
        "{} matching line(s) in {} {files_word} ({} files searched",
        out.total_matches,
        out.files.len(),
        out.files_searched
    ));
    if out.files_skipped > 0 {
        s.push_str(&format!(", {} skipped", out.files_skipped));
    }
    s.push(')');
    if let Some(why) = &out.truncated {
        s.push_str(&format!("\ntruncated: {why}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_follows_ripgrep() {
        let out = GrepOutput {
            files: vec![FileMatches {
                path: "/w/a.rs".into(),
                count: 2,
                matches: vec![
                    LineMatch {
                        line: 3,
                        column: 1,
                        text: "fn a()".into(),
                        before: vec![ContextLine {
                            line: 2,
                            text: "// a".into(),
                        }],
                        after: vec![],
                    },
                    LineMatch {
                        line: 9,
                        column: 1,
                        text: "fn b()".into(),
                        before: vec![],
                        after: vec![],
                    },
                ],
            }],
            total_matches: 2,
            files_searched: 4,
            files_skipped: 0,
            truncated: None,
        };
        assert_eq!(
            render(&out, OutputMode::Content),
            "/w/a.rs\n2-// a\n3:fn a()\n--\n9:fn b()\n\n2 matching line(s) in 1 file (4 files searched)"
        );
        assert_eq!(
            render(&out, OutputMode::Count).lines().next(),
            Some("/w/a.rs:2")
        );
    }
}
