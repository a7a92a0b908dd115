//! Mutating tools: `write_file`, the original's `code_write` (timestamped backup, parent
//! directories, shrink guard), `edit_file` (exact then whitespace-tolerant replacement, unified
//! diff, dry run), `create_directory`, `move_file` and the original's `code_delete`.
//!
//! Every write is atomic (a temporary file in the same directory, then `rename`), keeps the
//! permission bits of the file it replaces, keeps CRLF files CRLF, and acts through a handle to
//! the parent directory so it never follows a symlink out of the jail. Every call is audited.

use std::{
    ffi::OsStr,
    io,
    path::{Path, PathBuf},
    time::Duration,
};

use cap_std::fs::PermissionsExt as _;
use cap_std::fs::{Dir, OpenOptions};
use rmcp::{
    handler::server::{common::schema_for_output, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};
use std::os::unix::fs::PermissionsExt as _;

use crate::{
    error::FsError,
    jail::{Jail, Kind, Replace, Target, read_limited, read_options, write_atomic},
    server::{Caller, Changed, Ctx, FsServer, Rendered},
    text::{decode, fence, line_ending},
};

/// How long computing a diff may take before it falls back to a coarser one.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

/// Arguments of `write_file`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct WriteArgs {
    /// The file: absolute, or relative to the first allowed root. Its directory must exist.
    pub path: String,
    /// The complete new content (UTF-8).
    pub content: String,
}

/// Result of a write.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WriteOutput {
    /// Absolute path written.
    pub path: String,
    /// Bytes written.
    pub bytes: u64,
    /// Whether the file was new.
    pub created: bool,
    /// The backup of the previous content, if one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
}

/// Arguments of `code_write`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CodeWriteArgs {
    /// The file: absolute, or relative to the first allowed root.
    pub path: String,
    /// The complete new content (UTF-8).
    pub content: String,
    /// Keep the previous content as `<name>.<YYYYmmdd_HHMMSS>.bak` beside it (default true).
    #[serde(default = "yes")]
    pub backup: bool,
    /// Create missing parent directories (default true).
    #[serde(default = "yes")]
    pub create_dirs: bool,
}

fn yes() -> bool {
    true
}

/// One replacement of `edit_file`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct Edit {
    /// Text to find; it must occur exactly once (add context lines to make it unique).
    #[serde(rename = "oldText")]
    pub old_text: String,
    /// Text to put in its place.
    #[serde(rename = "newText")]
    pub new_text: String,
}

/// Arguments of `edit_file`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct EditArgs {
    /// The file: absolute, or relative to the first allowed root.
    pub path: String,
    /// Replacements, applied in order (each sees the result of the previous ones).
    pub edits: Vec<Edit>,
    /// Only show the diff; change nothing (default false).
    #[serde(rename = "dryRun", default)]
    pub dry_run: bool,
}

/// How one edit matched.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EditReport {
    /// Index in `edits`.
    pub index: usize,
    /// `exact`, or `whitespace` when only a match ignoring indentation was found.
    pub matched: String,
    /// 1-based line where the replaced text started.
    pub line: usize,
}

/// Result of `edit_file`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EditOutput {
    /// Absolute path edited.
    pub path: String,
    /// Unified diff of the change.
    pub diff: String,
    /// How each edit matched.
    pub edits: Vec<EditReport>,
    /// Whether nothing was written.
    #[serde(rename = "dryRun")]
    pub dry_run: bool,
    /// Size of the new content.
    pub bytes: u64,
}

/// Result of `create_directory`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MkdirOutput {
    /// Absolute path.
    pub path: String,
    /// False when it already existed.
    pub created: bool,
}

/// Arguments of `move_file`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct MoveArgs {
    /// What to move (a file, directory or symlink; a symlink moves as a link).
    pub source: String,
    /// Where to; must not exist. Its directory must exist.
    pub destination: String,
}

/// Result of `move_file`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MoveOutput {
    /// Absolute source path.
    pub source: String,
    /// Absolute destination path.
    pub destination: String,
    /// True when source and destination were on different filesystems, so the file was
    /// copied and the source removed.
    pub copied: bool,
}

/// Arguments of `code_delete`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DeleteArgs {
    /// The file (or symlink, removed as a link) to delete; directories are refused.
    pub path: String,
    /// Delete even when the path matches FS_PROTECTED_PATTERNS (default false).
    #[serde(default)]
    pub force: bool,
}

/// Result of `code_delete`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DeleteOutput {
    /// Absolute path deleted.
    pub path: String,
    /// What it was.
    pub kind: Kind,
}

/// Arguments naming one path.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DirArgs {
    /// The directory: absolute, or relative to the first allowed root.
    pub path: String,
}

#[tool_router(router = write_tools, vis = "pub(crate)")]
impl FsServer {
    /// Create or replace a file with new content, atomically (temporary file + rename; the
    /// old permissions are kept). The directory must exist (see create_directory). Refused in
    /// read-only mode, above FS_MAX_WRITE_BYTES, and when it would shrink a guarded file
    /// (.gitignore, .env, Dockerfile, package.json, ...) by more than half. Audited. Example:
    /// `{"path": "notes/todo.md", "content": "- ship it\n"}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn write_file(
        &self,
        Parameters(args): Parameters<WriteArgs>,
        caller: Caller,
    ) -> Result<rmcp::Json<WriteOutput>, FsError> {
        self.mutate(&caller, vec![args.path.clone()], move |ctx, changed| {
            write_content(
                ctx,
                changed,
                &args.path,
                args.content.as_bytes(),
                false,
                false,
            )
        })
        .await
        .map(rmcp::Json)
    }

    /// Write a source file (the original fleet's tool): creates missing parent directories
    /// and keeps the previous content as `<name>.<YYYYmmdd_HHMMSS>.bak` unless `backup` is
    /// false. Atomic; refuses to shrink .gitignore, .env, .env.local, Dockerfile or
    /// package.json by more than half (poka-yoke). Refused in read-only mode. Audited.
    /// Example: `{"path": "src/app.py", "content": "print('hi')\n"}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub async fn code_write(
        &self,
        Parameters(args): Parameters<CodeWriteArgs>,
        caller: Caller,
    ) -> Result<rmcp::Json<WriteOutput>, FsError> {
        self.mutate(&caller, vec![args.path.clone()], move |ctx, changed| {
            write_content(
                ctx,
                changed,
                &args.path,
                args.content.as_bytes(),
                args.create_dirs,
                args.backup,
            )
        })
        .await
        .map(rmcp::Json)
    }

    /// Replace text in a file and return a unified diff. Each edit's `oldText` must occur
    /// exactly once; if it does not occur verbatim, a line-by-line match that ignores
    /// indentation is tried and `newText` is re-indented to fit. Ambiguous or missing text is
    /// an error naming the edit and the lines. Line endings (LF/CRLF) are kept. `dryRun`
    /// shows the diff without writing. Atomic, audited, refused in read-only mode. Example:
    /// `{"path": "src/lib.rs", "edits": [{"oldText": "fn old()", "newText": "fn new()"}]}`.
    #[tool(
        output_schema = schema_for_output::<EditOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn edit_file(
        &self,
        Parameters(args): Parameters<EditArgs>,
        caller: Caller,
    ) -> Result<Rendered<EditOutput>, FsError> {
        if args.edits.is_empty() {
            return Err(FsError::arg("edits", "give at least one edit"));
        }
        let out = if args.dry_run {
            self.run(&caller, move |ctx| edit(ctx, None, &args)).await?
        } else {
            let requested = vec![args.path.clone()];
            self.mutate(&caller, requested, move |ctx, changed| {
                edit(ctx, Some(changed), &args)
            })
            .await?
        };
        let f = fence(&out.diff);
        let note = if out.dry_run {
            "dry run: nothing was written\n"
        } else {
            ""
        };
        Ok(Rendered {
            text: format!("{note}{f}diff\n{}{f}\n", out.diff),
            data: out,
        })
    }

    /// Create a directory and any missing parents (like `mkdir -p`); succeeds if it already
    /// exists. Refused in read-only mode. Audited. Example: `{"path": "src/new/module"}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn create_directory(
        &self,
        Parameters(args): Parameters<DirArgs>,
        caller: Caller,
    ) -> Result<rmcp::Json<MkdirOutput>, FsError> {
        self.mutate(&caller, vec![args.path.clone()], move |ctx, changed| {
            let jail = &ctx.jail;
            let t = jail.resolve("path", &args.path, true)?;
            let abs = jail.abs(&t);
            match t.kind {
                Some(Kind::Directory) => Ok(MkdirOutput {
                    path: abs.display().to_string(),
                    created: false,
                }),
                Some(_) => Err(FsError::Refused(format!(
                    "{} exists and is not a directory",
                    abs.display()
                ))),
                None => {
                    jail.create_dir_all(&t)
                        .map_err(|e| FsError::io("create", abs.display(), &e))?;
                    changed.path(abs.display());
                    Ok(MkdirOutput {
                        path: abs.display().to_string(),
                        created: true,
                    })
                }
            }
        })
        .await
        .map(rmcp::Json)
    }

    /// Move or rename a file, directory or symlink (a symlink moves as a link). The
    /// destination must not exist (checked atomically with `RENAME_NOREPLACE`) and its
    /// directory must. Between filesystems a regular file is copied and the source removed;
    /// directories cannot cross filesystems. Refused in read-only mode. Audited. Example:
    /// `{"source": "old.txt", "destination": "archive/old.txt"}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub async fn move_file(
        &self,
        Parameters(args): Parameters<MoveArgs>,
        caller: Caller,
    ) -> Result<rmcp::Json<MoveOutput>, FsError> {
        let requested = vec![args.source.clone(), args.destination.clone()];
        self.mutate(&caller, requested, move |ctx, changed| {
            move_path(ctx, changed, &args)
        })
        .await
        .map(rmcp::Json)
    }

    /// Delete one file or symlink (the original fleet's tool; directories are refused).
    /// Paths matching FS_PROTECTED_PATTERNS (by default *.pyc, __pycache__/, .git/, .env,
    /// server.py, operations.py, models.py) are refused unless `force` is true. Refused in
    /// read-only mode. Audited. Example: `{"path": "build/old.log"}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub async fn code_delete(
        &self,
        Parameters(args): Parameters<DeleteArgs>,
        caller: Caller,
    ) -> Result<rmcp::Json<DeleteOutput>, FsError> {
        self.mutate(&caller, vec![args.path.clone()], move |ctx, changed| {
            delete(ctx, changed, &args)
        })
        .await
        .map(rmcp::Json)
    }
}

/// Refuse new content that shrinks a guarded file (FS_GUARDED_FILES) by more than half.
pub(crate) fn shrink_guard(
    ctx: &Ctx,
    abs: &Path,
    old_len: u64,
    new_len: u64,
) -> Result<(), FsError> {
    let Some(name) = abs.file_name().and_then(OsStr::to_str) else {
        return Ok(());
    };
    if !ctx.config().guarded_files.iter().any(|g| g == name) {
        return Ok(());
    }
    if old_len > 0 && new_len.saturating_mul(2) < old_len {
        return Err(FsError::Refused(format!(
            "the new content of {} is {new_len} bytes, less than half of the current {old_len}; \
             {name} is guarded against accidental truncation (poka-yoke, FS_GUARDED_FILES)",
            abs.display()
        )));
    }
    Ok(())
}

/// Refuse `size` bytes of `what` above FS_MAX_WRITE_BYTES.
pub(crate) fn check_write_size(ctx: &Ctx, what: &str, size: usize) -> Result<(), FsError> {
    let limit = ctx.config().max_write_bytes;
    if size as u64 > limit {
        return Err(FsError::TooLarge {
            what: what.to_owned(),
            size: size as u64,
            limit,
            var: "FS_MAX_WRITE_BYTES",
        });
    }
    Ok(())
}

/// Everything needed to write one file.
pub(crate) struct Prepared {
    /// The resolved target.
    pub target: Target,
    /// Its directory.
    pub dir: Dir,
    /// Its name in that directory.
    pub name: std::ffi::OsString,
    /// Permission bits and size of the file it replaces, if any.
    pub existing: Option<(u32, u64)>,
}

/// Prepare writing to `raw`: the resolved target, its parent handle and name, the permission
/// bits and size of the file it replaces (if any). Creates parents when asked.
pub(crate) fn prepare_write(
    jail: &Jail,
    arg: &str,
    raw: &str,
    create_dirs: bool,
) -> Result<Prepared, FsError> {
    let t = jail.resolve(arg, raw, true)?;
    let abs = jail.abs(&t);
    match t.kind {
        Some(Kind::Directory) => {
            return Err(FsError::Refused(format!(
                "{} is a directory",
                abs.display()
            )));
        }
        Some(Kind::Other) => {
            return Err(FsError::Refused(format!(
                "{} is not a regular file",
                abs.display()
            )));
        }
        _ => {}
    }
    if t.kind.is_none()
        && create_dirs
        && let Some(parent) = t.rel.parent()
    {
        let parent = Target {
            root: t.root,
            rel: parent.to_path_buf(),
            kind: None,
        };
        jail.create_dir_all(&parent)
            .map_err(|e| FsError::io("create the directory of", abs.display(), &e))?;
    }
    let (dir, name) = jail.parent(arg, &t).map_err(|e| match e {
        FsError::Io { .. } if t.kind.is_none() => FsError::arg(
            arg,
            format!(
                "the directory of {} does not exist; create it first (create_directory)",
                abs.display()
            ),
        ),
        other => other,
    })?;
    let existing = match dir.symlink_metadata(&name) {
        Ok(md) if md.is_file() => Some((md.permissions().mode() & 0o7777, md.len())),
        Ok(md) if md.file_type().is_symlink() => {
            return Err(FsError::Refused(format!(
                "{} changed during the call (it is now a symlink)",
                abs.display()
            )));
        }
        Ok(_) => {
            return Err(FsError::Refused(format!(
                "{} is not a regular file",
                abs.display()
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(FsError::io("inspect", abs.display(), &e)),
    };
    Ok(Prepared {
        target: t,
        dir,
        name,
        existing,
    })
}

/// Write `content` to `raw` (the heart of write_file and code_write).
fn write_content(
    ctx: &Ctx,
    changed: &mut Changed,
    raw: &str,
    content: &[u8],
    create_dirs: bool,
    backup: bool,
) -> Result<WriteOutput, FsError> {
    check_write_size(ctx, "content", content.len())?;
    let jail = &ctx.jail;
    let Prepared {
        target: t,
        dir,
        name,
        existing,
    } = prepare_write(jail, "path", raw, create_dirs)?;
    let abs = jail.abs(&t);
    if let Some((_, old_len)) = existing {
        shrink_guard(ctx, &abs, old_len, content.len() as u64)?;
    }
    let backup_path = match (backup, existing) {
        (true, Some(_)) => {
            let b =
                make_backup(&dir, &name).map_err(|e| FsError::io("back up", abs.display(), &e))?;
            let b = abs.with_file_name(b);
            changed.path(b.display());
            Some(b.display().to_string())
        }
        _ => None,
    };
    let replace = if existing.is_some() {
        Replace::Yes
    } else {
        Replace::No
    };
    write_atomic(&dir, &name, content, existing.map(|e| e.0), replace)
        .map_err(|e| FsError::io("write", abs.display(), &e))?;
    changed.path(abs.display());
    changed.bytes += content.len() as u64;
    Ok(WriteOutput {
        path: abs.display().to_string(),
        bytes: content.len() as u64,
        created: existing.is_none(),
        backup: backup_path,
    })
}

/// Copy `name` to `<name>.<YYYYmmdd_HHMMSS>.bak` (or `.bak.N` if taken) in `dir`.
fn make_backup(dir: &Dir, name: &OsStr) -> io::Result<PathBuf> {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d_%H%M%S").to_string();
    let base = format!("{}.{stamp}.bak", name.to_string_lossy());
    let mut src = dir.open_with(name, &read_options())?.into_std();
    let mode = src.metadata()?.permissions().mode() & 0o7777;
    let mut options = OpenOptions::new();
    cap_std::fs::OpenOptionsExt::mode(options.write(true).create_new(true), mode);
    for n in 0..100 {
        let candidate = if n == 0 {
            base.clone()
        } else {
            format!("{base}.{n}")
        };
        match dir.open_with(&candidate, &options) {
            Ok(f) => {
                let mut dst = f.into_std();
                io::copy(&mut src, &mut dst)?;
                dst.sync_all()?;
                return Ok(PathBuf::from(candidate));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free backup name"))
}

fn edit(ctx: &Ctx, changed: Option<&mut Changed>, args: &EditArgs) -> Result<EditOutput, FsError> {
    let jail = &ctx.jail;
    let Prepared {
        target: t,
        dir,
        name,
        existing,
    } = prepare_write(jail, "path", &args.path, false)?;
    let abs = jail.abs(&t);
    let Some((mode, old_len)) = existing else {
        return Err(FsError::NotFound {
            arg: "path".to_owned(),
            path: abs.display().to_string(),
        });
    };
    let file = dir
        .open_with(&name, &read_options())
        .map_err(|e| FsError::io("read", abs.display(), &e))?;
    let md = file
        .metadata()
        .map_err(|e| FsError::io("read", abs.display(), &e))?;
    let bytes = read_limited(file, &md, ctx.config().max_read_bytes, &abs)?;
    let (old, lossy) = decode(bytes);
    if lossy {
        return Err(FsError::Refused(format!(
            "{} is not valid UTF-8; edit_file would corrupt it",
            abs.display()
        )));
    }
    let (new, reports) = apply_edits(&old, &args.edits)?;
    check_write_size(ctx, "the edited content", new.len())?;
    let shown = abs.display().to_string();
    let diff = unified_diff(&old, &new, &shown);
    if let Some(changed) = changed {
        shrink_guard(ctx, &abs, old_len, new.len() as u64)?;
        write_atomic(&dir, &name, new.as_bytes(), Some(mode), Replace::Yes)
            .map_err(|e| FsError::io("write", abs.display(), &e))?;
        changed.path(&shown);
        changed.bytes += new.len() as u64;
    }
    Ok(EditOutput {
        path: shown,
        diff,
        edits: reports,
        dry_run: args.dry_run,
        bytes: new.len() as u64,
    })
}

/// A unified diff of two texts with `path` as both headers.
pub(crate) fn unified_diff(old: &str, new: &str, path: &str) -> String {
    similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(path, path)
        .to_string()
}

/// Apply `edits` in order to `content`; the result keeps the content's line endings.
pub(crate) fn apply_edits(
    content: &str,
    edits: &[Edit],
) -> Result<(String, Vec<EditReport>), FsError> {
    let eol = line_ending(content);
    let mut work = if eol == "\r\n" {
        content.replace("\r\n", "\n")
    } else {
        content.to_owned()
    };
    let mut reports = Vec::new();
    for (index, e) in edits.iter().enumerate() {
        let arg = format!("edits[{index}].oldText");
        let old = e.old_text.replace("\r\n", "\n");
        let new = e.new_text.replace("\r\n", "\n");
        if old.is_empty() {
            return Err(FsError::arg(arg, "is empty; give the text to replace"));
        }
        let exact: Vec<usize> = work.match_indices(&old).map(|(i, _)| i).collect();
        match exact.as_slice() {
            [at] => {
                let line = line_of(&work, *at);
                work.replace_range(*at..*at + old.len(), &new);
                reports.push(EditReport {
                    index,
                    matched: "exact".to_owned(),
                    line,
                });
                continue;
            }
            [] => {}
            many => {
                let lines: Vec<String> = many
                    .iter()
                    .take(10)
                    .map(|&i| line_of(&work, i).to_string())
                    .collect();
                return Err(FsError::arg(
                    arg,
                    format!(
                        "matches {} places (lines {}); add surrounding lines to make it unique",
                        many.len(),
                        lines.join(", ")
                    ),
                ));
            }
        }
        let (start, end, indent_file, indent_old) = loose_match(&work, &old, &arg)?;
        let line = line_of(&work, start);
        let replaced = &work[start..end];
        let keep_newline = replaced.ends_with('\n');
        let mut text = reindent(&new, &indent_old, &indent_file);
        if keep_newline && !text.ends_with('\n') {
            text.push('\n');
        }
        work.replace_range(start..end, &text);
        reports.push(EditReport {
            index,
            matched: "whitespace".to_owned(),
            line,
        });
    }
    let out = if eol == "\r\n" {
        work.replace('\n', "\r\n")
    } else {
        work
    };
    Ok((out, reports))
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte].matches('\n').count() + 1
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// Find `old` in `work` line by line, ignoring leading and trailing whitespace. Returns the
/// byte range of the whole matched lines and the indentation of the first file line and of
/// the first old line.
fn loose_match(
    work: &str,
    old: &str,
    arg: &str,
) -> Result<(usize, usize, String, String), FsError> {
    let mut old_lines: Vec<&str> = old.split('\n').collect();
    if old_lines.last() == Some(&"") {
        old_lines.pop();
    }
    while old_lines.first().is_some_and(|l| l.trim().is_empty()) {
        old_lines.remove(0);
    }
    while old_lines.last().is_some_and(|l| l.trim().is_empty()) {
        old_lines.pop();
    }
    if old_lines.is_empty() {
        return Err(FsError::arg(arg, "contains only whitespace"));
    }
    let mut starts = Vec::new();
    let mut pos = 0;
    let lines: Vec<&str> = work.split_inclusive('\n').collect();
    for l in &lines {
        starts.push(pos);
        pos += l.len();
    }
    let matches: Vec<usize> = (0..lines.len().saturating_sub(old_lines.len() - 1))
        .filter(|&i| {
            old_lines
                .iter()
                .enumerate()
                .all(|(j, o)| lines[i + j].trim() == o.trim())
        })
        .collect();
    match matches.as_slice() {
        [i] => {
            let end_line = i + old_lines.len() - 1;
            let end = starts[end_line] + lines[end_line].len();
            Ok((
                starts[*i],
                end,
                indent_of(lines[*i]).to_owned(),
                indent_of(old_lines[0]).to_owned(),
            ))
        }
        [] => {
            let first = old_lines[0].trim();
            let seen: Vec<String> = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.trim() == first)
                .take(5)
                .map(|(i, _)| (i + 1).to_string())
                .collect();
            let hint = if seen.is_empty() {
                format!(
                    "its first line {:?} does not occur in the file",
                    crate::text::cut(first, 80)
                )
            } else {
                format!(
                    "its first line occurs at line {}, but the lines after it differ",
                    seen.join(", ")
                )
            };
            Err(FsError::arg(
                arg,
                format!("not found, even ignoring indentation: {hint}"),
            ))
        }
        many => Err(FsError::arg(
            arg,
            format!(
                "matches {} places when indentation is ignored (lines {}); add surrounding lines",
                many.len(),
                many.iter()
                    .take(10)
                    .map(|i| (i + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// Move `new` from the indentation the caller used (`from`) to the file's (`to`): lines that
/// start with `from` get `to` instead; other lines are kept; blank lines stay blank.
fn reindent(new: &str, from: &str, to: &str) -> String {
    new.split('\n')
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else if let Some(rest) = l.strip_prefix(from) {
                format!("{to}{rest}")
            } else if from.is_empty() {
                format!("{to}{l}")
            } else {
                format!("{to}{}", l.trim_start())
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn move_path(ctx: &Ctx, changed: &mut Changed, args: &MoveArgs) -> Result<MoveOutput, FsError> {
    let jail = &ctx.jail;
    let src = jail.resolve_existing("source", &args.source, false)?;
    let dst = jail.resolve("destination", &args.destination, false)?;
    let (src_abs, dst_abs) = (jail.abs(&src), jail.abs(&dst));
    if dst.kind.is_some() {
        return Err(FsError::Refused(format!(
            "destination {} already exists",
            dst_abs.display()
        )));
    }
    let (src_dir, src_name) = jail.parent("source", &src)?;
    let (dst_dir, dst_name) = jail.parent("destination", &dst).map_err(|e| match e {
        FsError::Io { .. } => FsError::arg(
            "destination",
            format!(
                "the directory of {} does not exist; create it first (create_directory)",
                dst_abs.display()
            ),
        ),
        other => other,
    })?;
    let renamed = rustix::fs::renameat_with(
        &src_dir,
        src_name.as_os_str(),
        &dst_dir,
        dst_name.as_os_str(),
        rustix::fs::RenameFlags::NOREPLACE,
    );
    let copied = match renamed {
        Ok(()) => false,
        Err(e) if e == rustix::io::Errno::XDEV && src.kind == Some(Kind::File) => {
            copy_across(&src_dir, &src_name, &dst_dir, &dst_name)
                .map_err(|e| FsError::io("move", src_abs.display(), &e))?;
            true
        }
        Err(e) if e == rustix::io::Errno::EXIST => {
            return Err(FsError::Refused(format!(
                "destination {} already exists",
                dst_abs.display()
            )));
        }
        Err(e) if e == rustix::io::Errno::INVAL => {
            return Err(FsError::arg(
                "destination",
                format!(
                    "cannot move {} into itself ({})",
                    src_abs.display(),
                    dst_abs.display()
                ),
            ));
        }
        Err(e) => {
            return Err(FsError::io("move", src_abs.display(), &io::Error::from(e)));
        }
    };
    changed.path(src_abs.display());
    changed.path(dst_abs.display());
    Ok(MoveOutput {
        source: src_abs.display().to_string(),
        destination: dst_abs.display().to_string(),
        copied,
    })
}

/// Move a regular file between filesystems: copy to a temporary file beside the destination,
/// rename it into place without replacing anything, then remove the source.
fn copy_across(src_dir: &Dir, src: &OsStr, dst_dir: &Dir, dst: &OsStr) -> io::Result<()> {
    let mut from = src_dir.open_with(src, &read_options())?.into_std();
    let mode = from.metadata()?.permissions().mode() & 0o7777;
    let mut data = Vec::new();
    io::Read::read_to_end(&mut from, &mut data)?;
    write_atomic(dst_dir, dst, &data, Some(mode), Replace::No)?;
    src_dir.remove_file(src)
}

fn delete(ctx: &Ctx, changed: &mut Changed, args: &DeleteArgs) -> Result<DeleteOutput, FsError> {
    let jail = &ctx.jail;
    let t = jail.resolve_existing("path", &args.path, false)?;
    let abs = jail.abs(&t);
    let kind = t.kind.unwrap_or(Kind::Other);
    if kind == Kind::Directory {
        return Err(FsError::Refused(format!(
            "{} is a directory; code_delete removes files only",
            abs.display()
        )));
    }
    if !args.force && ctx.state.protected.is_match(&t.rel) {
        return Err(FsError::Refused(format!(
            "{} is protected (FS_PROTECTED_PATTERNS: {}); pass force: true to delete it anyway",
            abs.display(),
            ctx.config().protected_patterns.join(", ")
        )));
    }
    let (dir, name) = jail.parent("path", &t)?;
    dir.remove_file(&name)
        .map_err(|e| FsError::io("delete", abs.display(), &e))?;
    changed.path(abs.display());
    Ok(DeleteOutput {
        path: abs.display().to_string(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn e(old: &str, new: &str) -> Edit {
        Edit {
            old_text: old.to_owned(),
            new_text: new.to_owned(),
        }
    }

    #[test]
    fn exact_edits_apply_in_order() {
        let (out, r) = apply_edits("a\nb\nc\n", &[e("b", "B"), e("B\nc", "X")]).unwrap();
        assert_eq!(out, "a\nX\n");
        assert_eq!(r[0].line, 2);
        assert_eq!(r[1].matched, "exact");
    }

    #[test]
    fn ambiguous_and_missing_text_is_an_error_naming_the_edit() {
        let err = apply_edits("x\nx\n", &[e("x", "y")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("edits[0].oldText") && err.contains("lines 1, 2"),
            "{err}"
        );
        let err = apply_edits("a\nb\n", &[e("a", "A"), e("zzz", "y")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("edits[1].oldText") && err.contains("does not occur"),
            "{err}"
        );
        let err = apply_edits("a\n", &[e("", "y")]).unwrap_err().to_string();
        assert!(err.contains("is empty"), "{err}");
    }

    #[test]
    fn whitespace_tolerant_match_reindents_the_new_text() {
        let src =
            "fn main() {\n        let x = 1;\n        if x {\n            go();\n        }\n}\n";
        let old = "let x = 1;\nif x {\n    go();\n}";
        let new = "let x = 2;\nif x {\n    stop();\n}";
        let (out, r) = apply_edits(src, &[e(old, new)]).unwrap();
        assert_eq!(r[0].matched, "whitespace");
        assert_eq!(r[0].line, 2);
        assert_eq!(
            out,
            "fn main() {\n        let x = 2;\n        if x {\n            stop();\n        }\n}\n"
        );
        let err = apply_edits(src, &[e("let x = 1;\nif y {", "z")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("occurs at line 2, but the lines after it differ"),
            "{err}"
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let (out, _) = apply_edits("a\r\nb\r\nc\r\n", &[e("b\nc", "B\nC")]).unwrap();
        assert_eq!(out, "a\r\nB\r\nC\r\n");
    }

    #[test]
    fn the_diff_is_unified_with_headers() {
        let d = unified_diff("a\nb\n", "a\nc\n", "/w/f.txt");
        assert!(
            d.starts_with("--- /w/f.txt\n+++ /w/f.txt\n@@ -1,2 +1,2 @@\n"),
            "{d}"
        );
        assert!(d.contains("-b\n+c\n"));
    }
}
