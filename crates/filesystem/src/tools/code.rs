//! Code tools: `code_analyze` (language, code/comment/blank lines, symbol outline; per language
//! for a directory), and the original fleet's `code_lint`, `code_format` and
//! `code_check_tools`, which run external tools only if installed (see [`crate::exec`]).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, Instant},
};

use rmcp::{
    handler::server::{common::schema_for_output, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};
use tokei::LanguageType;

use crate::{
    analysis,
    error::FsError,
    exec::{self, Purpose, TOOLS},
    jail::{Kind, Replace, read_limited, read_options, write_atomic},
    outline::{self, Symbol},
    server::{Caller, Ctx, FsServer, Rendered},
    text::{binary_offset, decode},
    tools::{
        list::{NoArgs, listing_truncation, truncation, walk_options},
        write::{shrink_guard, unified_diff},
    },
    walk::{Entry, Order, Stopped, Visit, walk},
};

/// Most files `code_lint` checks in one directory call.
const MAX_LINT_FILES: usize = 50;
/// Largest file counted by a directory analysis (bigger ones are skipped, like generated code).
const MAX_ANALYZED_FILE: u64 = 4 * 1024 * 1024;
/// How many of the biggest files a directory analysis lists.
const LARGEST: usize = 10;
/// Time limit of a `--version` probe.
const VERSION_TIMEOUT: Duration = Duration::from_secs(5);

/// Arguments of `code_analyze`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AnalyzeArgs {
    /// A file (language, line counts, outline) or a directory (counts per language).
    pub path: String,
    /// Include the symbol outline of a file (default true).
    #[serde(default = "yes")]
    pub outline: bool,
}

fn yes() -> bool {
    true
}

/// Line counts.
#[derive(Debug, Default, Clone, Serialize, schemars::JsonSchema)]
pub struct Counts {
    /// Files counted.
    pub files: u64,
    /// Lines of code.
    pub code: u64,
    /// Comment lines.
    pub comments: u64,
    /// Blank lines.
    pub blanks: u64,
}

impl Counts {
    fn add(&mut self, code: usize, comments: usize, blanks: usize) {
        self.files += 1;
        self.code += code as u64;
        self.comments += comments as u64;
        self.blanks += blanks as u64;
    }
}

/// Counts for one language of a directory.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LanguageCounts {
    /// The language.
    pub language: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// A file of a directory analysis.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FileCount {
    /// Absolute path.
    pub path: String,
    /// Its language.
    pub language: String,
    /// Its lines of code.
    pub code: u64,
}

/// Result of `code_analyze`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AnalyzeOutput {
    /// Absolute path analyzed.
    pub path: String,
    /// `file` or `directory`.
    pub kind: Kind,
    /// The file's language (files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Totals over every counted file.
    pub totals: Counts,
    /// Per language, most code first (directories only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<LanguageCounts>,
    /// The files with the most code (directories only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub largest: Vec<FileCount>,
    /// The file's symbols, in order, with nesting depth (files only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub symbols: Vec<Symbol>,
    /// Whether the file's language has an outline (Rust, Python, JS/TS, Go, Markdown).
    pub outline_supported: bool,
    /// Files not counted: binary, unknown language, or over 4 MiB.
    pub skipped: u64,
    /// Why the answer is incomplete, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// Arguments of `code_lint`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct LintArgs {
    /// A file, or a directory (its first 50 files the linter handles, ignore files honoured).
    pub path: String,
    /// ruff, flake8, pylint, mypy, py_compile, eslint or shellcheck; default: the first
    /// installed one for the file's language.
    #[serde(default)]
    pub tool: Option<String>,
}

/// One linted file.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LintedFile {
    /// Absolute path.
    pub path: String,
    /// The linter's exit code.
    pub exit_code: Option<i32>,
    /// Diagnostic lines counted in the output.
    pub issues: usize,
    /// What the linter printed (stdout, then stderr).
    pub output: String,
}

/// Result of `code_lint`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LintOutput {
    /// The linter used.
    pub tool: String,
    /// Files checked.
    pub files: Vec<LintedFile>,
    /// Diagnostic lines over all files.
    pub issues: usize,
    /// Whether every file passed.
    pub clean: bool,
    /// Why not every file was checked, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// Arguments of `code_format`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FormatArgs {
    /// The file to format.
    pub path: String,
    /// ruff, black, rustfmt, gofmt, prettier or shfmt; default: the first installed one for
    /// the file's language.
    #[serde(default)]
    pub tool: Option<String>,
    /// Only report whether (and how) formatting would change the file (default false).
    #[serde(default)]
    pub check_only: bool,
}

/// Result of `code_format`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FormatOutput {
    /// Absolute path.
    pub path: String,
    /// The formatter used.
    pub tool: String,
    /// Whether formatting changes the file.
    pub changed: bool,
    /// Whether the file was rewritten.
    pub written: bool,
    /// Unified diff from the current to the formatted content.
    pub diff: String,
}

/// An external tool and whether it is here.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ToolStatus {
    /// The name to pass as `tool`.
    pub name: String,
    /// `lint` or `format`.
    pub purpose: Purpose,
    /// Languages it handles.
    pub languages: Vec<String>,
    /// The program looked for.
    pub program: String,
    /// Where it is, if installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The first line of `--version`, if installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Result of `code_check_tools`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CheckToolsOutput {
    /// Every known tool.
    pub tools: Vec<ToolStatus>,
    /// Names of the installed ones.
    pub installed: Vec<String>,
    /// Names of the missing ones.
    pub missing: Vec<String>,
}

#[tool_router(router = code_tools, vis = "pub(crate)")]
impl FsServer {
    /// Analyze code. For a file: its language, code/comment/blank line counts and a symbol
    /// outline (functions, types, classes, methods, impls, modules... with lines and nesting)
    /// for Rust, Python, JavaScript, TypeScript, Go and Markdown headings. For a directory:
    /// counts per language and the biggest files (ignore files honoured, hidden and binary
    /// files skipped; FS_MAX_ENTRIES files, FS_WALK_TIMEOUT). Example: `{"path": "src/lib.rs"}`.
    #[tool(
        output_schema = schema_for_output::<AnalyzeOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn code_analyze(
        &self,
        Parameters(args): Parameters<AnalyzeArgs>,
        caller: Caller,
    ) -> Result<Rendered<AnalyzeOutput>, FsError> {
        let out = self.run(&caller, move |ctx| analyze(ctx, &args)).await?;
        Ok(Rendered {
            text: render_analysis(&out),
            data: out,
        })
    }

    /// Lint a file, or up to 50 files of a directory, with an installed linter (ruff, flake8,
    /// pylint, mypy, py_compile, eslint, shellcheck; default: the first installed one for the
    /// language). The linter gets the content on stdin, runs with a minimal environment and
    /// FS_EXEC_TIMEOUT (30 s); a missing linter is an error naming what is installed.
    /// Example: `{"path": "app/main.py", "tool": "ruff"}`.
    #[tool(
        output_schema = schema_for_output::<LintOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn code_lint(
        &self,
        Parameters(args): Parameters<LintArgs>,
        caller: Caller,
    ) -> Result<Rendered<LintOutput>, FsError> {
        let tool = args.tool.clone();
        let env = self.state.config.exec_env.clone();
        let sources = self
            .run(&caller, move |ctx| {
                lint_sources(ctx, &args.path, args.tool.as_deref())
            })
            .await?;
        let config = &self.state.config;
        let deadline = Instant::now() + config.walk_timeout;
        let mut files = Vec::new();
        let mut truncated = sources.truncated;
        let mut used = None;
        for src in sources.files {
            if Instant::now() > deadline {
                truncated = Some("deadline (FS_WALK_TIMEOUT) reached".to_owned());
                break;
            }
            let (spec, program) = exec::choose(&env, Purpose::Lint, tool.as_deref(), src.language)?;
            used = Some(spec.name);
            let cwd = src.abs.parent().unwrap_or(Path::new("/")).to_path_buf();
            let display = src.abs.display().to_string();
            let limits = exec::Limits {
                env: &env,
                timeout: config.exec_timeout,
                max_output: config.max_output_bytes,
            };
            let ran = exec::run(spec, &program, &src.text, &display, &cwd, limits).await?;
            if !ran.code.is_some_and(|c| spec.ok_codes.contains(&c)) {
                return Err(FsError::Failed(format!(
                    "{} failed on {display} (exit {:?}): {}",
                    spec.name,
                    ran.code,
                    crate::text::cut(ran.stderr.trim(), 2000)
                )));
            }
            let output = format!("{}{}", ran.stdout, ran.stderr).trim().to_owned();
            files.push(LintedFile {
                path: display,
                exit_code: ran.code,
                issues: count_issues(&output),
                output,
            });
        }
        let Some(tool) = used else {
            return Err(FsError::Failed(
                "no file there is handled by a known linter".to_owned(),
            ));
        };
        let issues = files.iter().map(|f| f.issues).sum();
        let clean = files
            .iter()
            .all(|f| f.exit_code == Some(0) && f.issues == 0);
        let mut text = format!(
            "{tool}: {} file(s), {}\n",
            files.len(),
            if clean {
                "no issues".to_owned()
            } else {
                format!("{issues} issue(s)")
            }
        );
        for f in &files {
            if !f.output.is_empty() {
                text.push_str(&format!("\n{}\n", f.output));
            }
        }
        if let Some(why) = &truncated {
            text.push_str(&format!("\n(truncated: {why})"));
        }
        Ok(Rendered {
            text,
            data: LintOutput {
                tool: tool.to_owned(),
                files,
                issues,
                clean,
                truncated,
            },
        })
    }

    /// Format a file with an installed formatter (ruff, black, rustfmt, gofmt, prettier,
    /// shfmt; default: the first installed one for the language) and return the diff;
    /// `check_only` changes nothing. The formatter gets the content on stdin with a minimal
    /// environment and FS_EXEC_TIMEOUT; the result is written atomically (and audited) only if
    /// the file did not change meanwhile. A missing formatter is an error naming what is
    /// installed. Example: `{"path": "src/main.rs", "check_only": true}`.
    #[tool(
        output_schema = schema_for_output::<FormatOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn code_format(
        &self,
        Parameters(args): Parameters<FormatArgs>,
        caller: Caller,
    ) -> Result<Rendered<FormatOutput>, FsError> {
        let raw = args.path.clone();
        let src = self
            .run(&caller, move |ctx| {
                let mut s = lint_sources(ctx, &raw, None)?;
                if s.files.len() != 1 || !s.single {
                    return Err(FsError::arg(
                        "path",
                        "code_format formats one file; give a file",
                    ));
                }
                Ok(s.files.remove(0))
            })
            .await?;
        let config = &self.state.config;
        let env = config.exec_env.clone();
        let (spec, program) =
            exec::choose(&env, Purpose::Format, args.tool.as_deref(), src.language)?;
        let display = src.abs.display().to_string();
        let cwd = src.abs.parent().unwrap_or(Path::new("/")).to_path_buf();
        let limits = exec::Limits {
            env: &env,
            timeout: config.exec_timeout,
            max_output: config.max_read_bytes as usize,
        };
        let ran = exec::run(spec, &program, &src.text, &display, &cwd, limits).await?;
        if ran.code != Some(0) {
            return Err(FsError::Failed(format!(
                "{} could not format {display} (exit {:?}): {}",
                spec.name,
                ran.code,
                crate::text::cut(ran.stderr.trim(), 2000)
            )));
        }
        let formatted = ran.stdout;
        if formatted.is_empty() && !src.text.trim().is_empty() {
            return Err(FsError::Failed(format!(
                "{} printed nothing for {display}; the file was left alone",
                spec.name
            )));
        }
        let changed = formatted != src.text;
        let diff = unified_diff(&src.text, &formatted, &display);
        let mut written = false;
        if changed && !args.check_only {
            let original = src.text.clone();
            let path = display.clone();
            let new = formatted.clone();
            self.mutate(&caller, vec![display.clone()], move |ctx, changed| {
                let crate::tools::write::Prepared {
                    target: t,
                    dir,
                    name,
                    existing,
                } = crate::tools::write::prepare_write(&ctx.jail, "path", &path, false)?;
                let abs = ctx.jail.abs(&t);
                let Some((mode, old_len)) = existing else {
                    return Err(FsError::Refused(format!("{path} disappeared while formatting")));
                };
                let file = dir
                    .open_with(&name, &read_options())
                    .map_err(|e| FsError::io("read", abs.display(), &e))?;
                let md = file.metadata().map_err(|e| FsError::io("read", abs.display(), &e))?;
                let now = read_limited(file, &md, ctx.config().max_read_bytes, &abs)?;
                if now != original.as_bytes() {
                    return Err(FsError::Refused(format!(
                        "{path} changed while it was being formatted; nothing was written, run again"
                    )));
                }
                shrink_guard(ctx, &abs, old_len, new.len() as u64)?;
                write_atomic(&dir, &name, new.as_bytes(), Some(mode), Replace::Yes)
                    .map_err(|e| FsError::io("write", abs.display(), &e))?;
                changed.path(abs.display());
                changed.bytes += new.len() as u64;
                Ok(())
            })
            .await?;
            written = true;
        }
        let summary = match (changed, written) {
            (false, _) => format!("{display} is already formatted ({})", spec.name),
            (true, true) => format!("{display} was formatted with {}", spec.name),
            (true, false) => format!("{display} would change with {} (check only)", spec.name),
        };
        let f = crate::text::fence(&diff);
        Ok(Rendered {
            text: if changed {
                format!("{summary}\n{f}diff\n{diff}{f}\n")
            } else {
                summary
            },
            data: FormatOutput {
                path: display,
                tool: spec.name.to_owned(),
                changed,
                written,
                diff,
            },
        })
    }

    /// Which external lint and format tools are installed (ruff, black, pylint, flake8, mypy,
    /// py_compile, eslint, shellcheck, rustfmt, gofmt, prettier, shfmt), where, and their
    /// versions; the missing ones are listed plainly. Example: `{}`.
    #[tool(
        output_schema = schema_for_output::<CheckToolsOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn code_check_tools(
        &self,
        Parameters(_args): Parameters<NoArgs>,
    ) -> Result<Rendered<CheckToolsOutput>, FsError> {
        let env = self.state.config.exec_env.clone();
        let mut probes = tokio::task::JoinSet::new();
        for (i, spec) in TOOLS.iter().enumerate() {
            let path = exec::locate(&env, spec.program);
            let env = env.clone();
            probes.spawn(async move {
                let version = match &path {
                    Some(p) => version(p, &env).await,
                    None => None,
                };
                (i, path, version)
            });
        }
        let mut found = vec![(None, None); TOOLS.len()];
        while let Some(Ok((i, path, version))) = probes.join_next().await {
            found[i] = (path, version);
        }
        let mut tools = Vec::new();
        for (spec, (path, version)) in TOOLS.iter().zip(found) {
            tools.push(ToolStatus {
                name: spec.name.to_owned(),
                purpose: spec.purpose,
                languages: spec.languages.iter().map(|l| l.name().to_owned()).collect(),
                program: spec.program.to_owned(),
                path: path.map(|p| p.display().to_string()),
                version,
            });
        }
        let label = |t: &ToolStatus| {
            format!(
                "{} ({})",
                t.name,
                match t.purpose {
                    Purpose::Lint => "lint",
                    Purpose::Format => "format",
                }
            )
        };
        let installed: Vec<String> = tools
            .iter()
            .filter(|t| t.path.is_some())
            .map(label)
            .collect();
        let missing: Vec<String> = tools
            .iter()
            .filter(|t| t.path.is_none())
            .map(label)
            .collect();
        let mut text = String::from("Installed:\n");
        for t in tools.iter().filter(|t| t.path.is_some()) {
            text.push_str(&format!(
                "  {:<24} {}  {}\n",
                label(t),
                t.path.as_deref().unwrap_or(""),
                t.version.as_deref().unwrap_or("")
            ));
        }
        if installed.is_empty() {
            text.push_str("  none\n");
        }
        text.push_str(&format!(
            "Missing: {}\n",
            if missing.is_empty() {
                "none".to_owned()
            } else {
                missing.join(", ")
            }
        ));
        Ok(Rendered {
            text,
            data: CheckToolsOutput {
                tools,
                installed,
                missing,
            },
        })
    }
}

/// The first line of `program --version`.
async fn version(program: &Path, env: &[(String, String)]) -> Option<String> {
    let out = tokio::time::timeout(
        VERSION_TIMEOUT,
        tokio::process::Command::new(program)
            .arg("--version")
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .ok()?
    .ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| crate::text::cut(l.trim(), 120))
}

/// Lines that look like diagnostics: `file:line:...` or eslint's `  12:5  error ...`.
fn count_issues(output: &str) -> usize {
    output
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            let mut parts = t.splitn(3, ':');
            let located = parts.next().is_some_and(|p| !p.is_empty())
                && parts
                    .next()
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            let stylish = l.starts_with(' ')
                && t.split_whitespace().next().is_some_and(|w| {
                    w.split_once(':').is_some_and(|(a, b)| {
                        !a.is_empty()
                            && !b.is_empty()
                            && a.bytes().all(|c| c.is_ascii_digit())
                            && b.bytes().all(|c| c.is_ascii_digit())
                    })
                });
            located || stylish
        })
        .count()
}

/// A text file read through the jail, for an external tool.
pub(crate) struct Source {
    abs: PathBuf,
    text: String,
    language: Option<LanguageType>,
}

/// Files to lint or format: the file itself, or a directory's files of the right languages.
struct Sources {
    files: Vec<Source>,
    /// Whether `path` was a single file.
    single: bool,
    truncated: Option<String>,
}

fn read_source(ctx: &Ctx, abs: &Path, file: std::fs::File) -> Result<Source, FsError> {
    let bytes = crate::jail::read_std_limited(file, ctx.config().max_read_bytes, abs)?;
    if let Some(at) = binary_offset(&bytes) {
        return Err(FsError::Refused(format!(
            "{} looks binary (a NUL byte at offset {at})",
            abs.display()
        )));
    }
    let head: Vec<u8> = bytes.iter().take(256).copied().collect();
    let (text, _) = decode(bytes);
    Ok(Source {
        abs: abs.to_path_buf(),
        language: analysis::language(abs, &head),
        text,
    })
}

fn lint_sources(ctx: &Ctx, raw: &str, tool: Option<&str>) -> Result<Sources, FsError> {
    let jail = &ctx.jail;
    let t = jail.resolve_existing("path", raw, true)?;
    let abs = jail.abs(&t);
    match t.kind {
        Some(Kind::File) => {
            let (file, _) = jail
                .open_read(&t)
                .map_err(|e| FsError::io("read", abs.display(), &e))?;
            Ok(Sources {
                files: vec![read_source(ctx, &abs, file.into_std())?],
                single: true,
                truncated: None,
            })
        }
        Some(Kind::Directory) => {
            let wanted: Vec<LanguageType> = TOOLS
                .iter()
                .filter(|s| s.purpose == Purpose::Lint && tool.is_none_or(|n| s.name == n))
                .flat_map(|s| s.languages.iter().copied())
                .collect();
            let opts = walk_options(ctx, Order::Sorted, false, true);
            let root = jail.root(&t);
            let found: Mutex<Vec<Source>> = Mutex::new(Vec::new());
            let report = walk(root, &t.rel, &opts, || {
                |e: &Entry<'_>| {
                    if e.kind != Kind::File {
                        return Visit::Continue;
                    }
                    let p = root.path.join(e.rel);
                    // Decide by name first; `#!` lines are read only for extensionless files.
                    let by_name = analysis::language(&p, b"");
                    if by_name.is_some_and(|l| !wanted.contains(&l)) {
                        return Visit::Continue;
                    }
                    let Ok(file) = e.open() else {
                        return Visit::Continue;
                    };
                    let Ok(src) = read_source(ctx, &p, file) else {
                        return Visit::Continue;
                    };
                    if !src.language.is_some_and(|l| wanted.contains(&l)) {
                        return Visit::Continue;
                    }
                    let Ok(mut f) = found.lock() else {
                        return Visit::Stop;
                    };
                    f.push(src);
                    if f.len() >= MAX_LINT_FILES {
                        Visit::Stop
                    } else {
                        Visit::Continue
                    }
                }
            });
            let files = found.into_inner().unwrap_or_default();
            let truncated = match report.stopped {
                Some(Stopped::Limit) => Some(format!("the first {MAX_LINT_FILES} files")),
                other => truncation(other, false),
            };
            Ok(Sources {
                files,
                single: false,
                truncated,
            })
        }
        _ => Err(FsError::arg(
            "path",
            format!("{} is neither a file nor a directory", abs.display()),
        )),
    }
}

fn analyze(ctx: &Ctx, args: &AnalyzeArgs) -> Result<AnalyzeOutput, FsError> {
    let jail = &ctx.jail;
    let t = jail.resolve_existing("path", &args.path, true)?;
    let abs = jail.abs(&t);
    match t.kind {
        Some(Kind::File) => {
            let (file, md) = jail
                .open_read(&t)
                .map_err(|e| FsError::io("read", abs.display(), &e))?;
            let bytes = read_limited(file, &md, ctx.config().max_read_bytes, &abs)?;
            let binary = binary_offset(&bytes).is_some();
            let lang = if binary {
                None
            } else {
                analysis::language(&abs, &bytes[..bytes.len().min(256)])
            };
            let mut totals = Counts::default();
            let mut symbols = Vec::new();
            let mut truncated = None;
            let mut skipped = 0;
            match lang {
                Some(l) => {
                    let (code, comments, blanks) = analysis::counts(l, &bytes);
                    totals.add(code, comments, blanks);
                    if args.outline {
                        let (text, _) = decode(bytes);
                        match outline::outline(l, &text) {
                            Some(Ok((s, cut))) => {
                                symbols = s;
                                if cut {
                                    truncated = Some(format!(
                                        "outline cut at {} symbols",
                                        outline::MAX_SYMBOLS
                                    ));
                                }
                            }
                            Some(Err(e)) => truncated = Some(format!("no outline: {e}")),
                            None => {}
                        }
                    }
                }
                None => skipped = 1,
            }
            Ok(AnalyzeOutput {
                path: abs.display().to_string(),
                kind: Kind::File,
                language: lang.map(|l| l.name().to_owned()),
                totals,
                languages: Vec::new(),
                largest: Vec::new(),
                symbols,
                outline_supported: lang.is_some_and(outline::supported),
                skipped,
                truncated,
            })
        }
        Some(Kind::Directory) => analyze_dir(ctx, &t, &abs),
        _ => Err(FsError::arg(
            "path",
            format!("{} is neither a file nor a directory", abs.display()),
        )),
    }
}

fn analyze_dir(ctx: &Ctx, t: &crate::jail::Target, abs: &Path) -> Result<AnalyzeOutput, FsError> {
    struct Acc {
        per: BTreeMap<&'static str, Counts>,
        files: Vec<FileCount>,
        skipped: u64,
        counted: usize,
    }
    let acc = Mutex::new(Acc {
        per: BTreeMap::new(),
        files: Vec::new(),
        skipped: 0,
        counted: 0,
    });
    let cap = ctx.config().max_entries;
    let opts = walk_options(ctx, Order::Parallel, false, true);
    let root = ctx.jail.root(t);
    let report = walk(root, &t.rel, &opts, || {
        |e: &Entry<'_>| {
            if e.kind != Kind::File {
                return Visit::Continue;
            }
            let p = root.path.join(e.rel);
            let counted = (|| {
                let file = e.open().ok()?;
                let md = file.metadata().ok()?;
                if !md.is_file() || md.len() > MAX_ANALYZED_FILE {
                    return None;
                }
                let mut bytes = Vec::with_capacity(md.len() as usize);
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(file, MAX_ANALYZED_FILE),
                    &mut bytes,
                )
                .ok()?;
                if binary_offset(&bytes).is_some() {
                    return None;
                }
                let lang = analysis::language(&p, &bytes[..bytes.len().min(256)])?;
                Some((lang, analysis::counts(lang, &bytes)))
            })();
            let Ok(mut a) = acc.lock() else {
                return Visit::Stop;
            };
            match counted {
                Some((lang, (code, comments, blanks))) => {
                    a.per
                        .entry(lang.name())
                        .or_default()
                        .add(code, comments, blanks);
                    a.files.push(FileCount {
                        path: p.display().to_string(),
                        language: lang.name().to_owned(),
                        code: code as u64,
                    });
                    a.counted += 1;
                }
                None => a.skipped += 1,
            }
            if a.counted + a.skipped as usize >= cap {
                Visit::Stop
            } else {
                Visit::Continue
            }
        }
    });
    let mut a = acc
        .into_inner()
        .map_err(|_| FsError::Internal("analysis state".into()))?;
    let mut totals = Counts::default();
    for c in a.per.values() {
        totals.files += c.files;
        totals.code += c.code;
        totals.comments += c.comments;
        totals.blanks += c.blanks;
    }
    let mut languages: Vec<LanguageCounts> = a
        .per
        .into_iter()
        .map(|(l, counts)| LanguageCounts {
            language: l.to_owned(),
            counts,
        })
        .collect();
    languages.sort_by(|x, y| {
        y.counts
            .code
            .cmp(&x.counts.code)
            .then(x.language.cmp(&y.language))
    });
    a.files
        .sort_by(|x, y| y.code.cmp(&x.code).then(x.path.cmp(&y.path)));
    a.files.truncate(LARGEST);
    Ok(AnalyzeOutput {
        path: abs.display().to_string(),
        kind: Kind::Directory,
        language: None,
        totals,
        languages,
        largest: a.files,
        symbols: Vec::new(),
        outline_supported: false,
        skipped: a.skipped,
        truncated: listing_truncation(&report),
    })
}

fn render_analysis(out: &AnalyzeOutput) -> String {
    let c = &out.totals;
    let mut s = match out.kind {
        Kind::Directory => format!(
            "{}: {} files, {} lines of code, {} comments, {} blank ({} skipped)\n",
            out.path, c.files, c.code, c.comments, c.blanks, out.skipped
        ),
        _ => format!(
            "{}: {}, {} lines ({} code, {} comments, {} blank)\n",
            out.path,
            out.language.as_deref().unwrap_or("unknown language"),
            c.code + c.comments + c.blanks,
            c.code,
            c.comments,
            c.blanks
        ),
    };
    if !out.languages.is_empty() {
        s.push_str(&format!(
            "\n{:<20} {:>7} {:>9} {:>9} {:>9}\n",
            "language", "files", "code", "comments", "blanks"
        ));
        for l in &out.languages {
            s.push_str(&format!(
                "{:<20} {:>7} {:>9} {:>9} {:>9}\n",
                l.language, l.counts.files, l.counts.code, l.counts.comments, l.counts.blanks
            ));
        }
    }
    if !out.largest.is_empty() {
        s.push_str("\nmost code:\n");
        for f in &out.largest {
            s.push_str(&format!("  {:>7}  {}\n", f.code, f.path));
        }
    }
    if !out.symbols.is_empty() {
        s.push_str("\noutline:\n");
        for sym in &out.symbols {
            let lines = if sym.end_line > sym.line {
                format!("{}-{}", sym.line, sym.end_line)
            } else {
                sym.line.to_string()
            };
            s.push_str(&format!(
                "{}{} {} ({lines})\n",
                "  ".repeat(sym.depth + 1),
                sym.kind,
                sym.name
            ));
        }
    } else if out.kind == Kind::File && !out.outline_supported && out.language.is_some() {
        s.push_str("(no outline for this language)\n");
    }
    if let Some(why) = &out.truncated {
        s.push_str(&format!("(truncated: {why})\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_lines_are_counted() {
        let out = "a.py:1:1: F401 unused\nFound 1 error.\n-:3:5: warning: x\n  12:5  error  no-undef\n************* Module a\n";
        assert_eq!(count_issues(out), 3);
        assert_eq!(count_issues(""), 0);
    }
}
