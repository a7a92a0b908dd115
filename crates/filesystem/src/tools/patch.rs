//! `apply_patch`: apply a unified diff (`diff -u`, `git diff`; one or many files; create,
//! delete, rename, copy) inside the jail, all or nothing.
//!
//! `diffy` parses the patch set. Applying is ours (about sixty lines, the same nearest-offset
//! search as GNU patch without fuzz), because a failed `diffy::apply` only says "hunk #N", and
//! the caller needs to know which file, which hunk, at which line the context differed and what
//! was expected there. Our applier also tolerates CRLF files (lines compare without their line
//! ending, inserted lines get the file's ending) and reports the offset each hunk landed at.
//!
//! Every file is computed in memory first; if any hunk fails, nothing is written. Then every new
//! content is staged as a temporary file beside its target and renamed into place, deletions
//! last; if a rename fails midway the files already replaced are restored.

use std::{ffi::OsString, io::Write as _};

use cap_std::fs::Dir;
use diffy::{
    Line, Patch,
    patch_set::{FileOperation, ParseOptions, PatchKind, PatchSet},
};
use rmcp::{
    handler::server::{common::schema_for_output, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};
use std::os::unix::fs::PermissionsExt as _;

use crate::{
    error::FsError,
    jail::{Kind, Replace, Target, create_temp, read_limited, read_options},
    server::{Caller, Changed, Ctx, FsServer, Rendered},
    text::{decode, line_ending},
    tools::{
        list::dir_target,
        write::{check_write_size, shrink_guard},
    },
};

/// Most files one patch may touch.
const MAX_FILES: usize = 1000;

/// Arguments of `apply_patch`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PatchArgs {
    /// The unified diff: `diff -u` or `git diff` output, one or many files, with create
    /// (`--- /dev/null`), delete (`+++ /dev/null`), rename and copy.
    pub patch: String,
    /// Directory the patch's paths are relative to (default: the first allowed root).
    #[serde(default)]
    pub path: Option<String>,
    /// Leading path components to strip, like `patch -p`. Default: 1 when every path starts
    /// with `a/` or `b/` (git style), else 0.
    #[serde(default)]
    pub strip: Option<usize>,
    /// Check and report only; write nothing (default false).
    #[serde(rename = "dryRun", default)]
    pub dry_run: bool,
}

/// What happened to one file.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PatchedFile {
    /// Absolute path of the result.
    pub path: String,
    /// `modify`, `create`, `delete`, `rename` or `copy`.
    pub action: String,
    /// The source of a rename or copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Hunks applied.
    pub hunks: usize,
    /// Lines added.
    pub added: usize,
    /// Lines removed.
    pub removed: usize,
    /// Hunks that applied away from their stated line: `hunk N: +K lines`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offsets: Vec<String>,
}

/// Result of `apply_patch`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PatchOutput {
    /// Every file of the patch, in patch order.
    pub files: Vec<PatchedFile>,
    /// Whether nothing was written.
    #[serde(rename = "dryRun")]
    pub dry_run: bool,
}

#[tool_router(router = patch_tools, vis = "pub(crate)")]
impl FsServer {
    /// Apply a unified diff (from `diff -u` or `git diff`) to one or many files, atomically:
    /// every hunk of every file is checked first and nothing is written unless all apply;
    /// a failure names the file, the hunk, the line and the text expected there. Hunks may
    /// apply at an offset from their stated line (reported); context must match exactly
    /// (CRLF vs LF aside). Supports create, delete, rename and copy. `dryRun` checks only.
    /// Refused in read-only mode; audited. Example:
    /// `{"patch": "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-old\n+new\n"}`.
    #[tool(
        output_schema = schema_for_output::<PatchOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn apply_patch(
        &self,
        Parameters(args): Parameters<PatchArgs>,
        caller: Caller,
    ) -> Result<Rendered<PatchOutput>, FsError> {
        let out = if args.dry_run {
            self.run(&caller, move |ctx| patch(ctx, None, &args))
                .await?
        } else {
            let requested = vec![args.path.clone().unwrap_or_else(|| ".".to_owned())];
            self.mutate(&caller, requested, move |ctx, changed| {
                patch(ctx, Some(changed), &args)
            })
            .await?
        };
        let mut text = String::new();
        if out.dry_run {
            text.push_str("dry run: every hunk applies; nothing was written\n");
        }
        for f in &out.files {
            let from = f
                .from
                .as_ref()
                .map(|p| format!(" from {p}"))
                .unwrap_or_default();
            text.push_str(&format!(
                "{} {}{from} ({} hunk(s), +{} -{})",
                f.action, f.path, f.hunks, f.added, f.removed
            ));
            if !f.offsets.is_empty() {
                text.push_str(&format!("; offsets: {}", f.offsets.join(", ")));
            }
            text.push('\n');
        }
        Ok(Rendered { text, data: out })
    }
}

/// One file's planned change.
struct Planned {
    report: PatchedFile,
    /// Write `content` at `target` (None for a pure delete).
    write: Option<(Target, String)>,
    /// Whether `write` must not replace an existing file.
    create: bool,
    /// Remove this (delete, or the source of a rename).
    remove: Option<Target>,
}

fn patch(
    ctx: &Ctx,
    changed: Option<&mut Changed>,
    args: &PatchArgs,
) -> Result<PatchOutput, FsError> {
    check_write_size(ctx, "patch", args.patch.len())?;
    let base = match &args.path {
        Some(raw) => dir_target(ctx, "path", raw)?,
        None => Target {
            root: 0,
            rel: Default::default(),
            kind: Some(Kind::Directory),
        },
    };
    if ctx.jail.roots().is_empty() {
        return Err(FsError::Escape {
            arg: "path".to_owned(),
            path: ".".to_owned(),
            roots: ctx.jail.roots_text(),
        });
    }
    let base_abs = ctx.jail.abs(&base);
    let git = args.patch.starts_with("diff --git ") || args.patch.contains("\ndiff --git ");
    let opts = if git {
        ParseOptions::gitdiff()
    } else {
        ParseOptions::unidiff()
    };
    let files = PatchSet::parse(&args.patch, opts)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| FsError::arg("patch", format!("not a unified diff: {e}")))?;
    if files.len() > MAX_FILES {
        return Err(FsError::arg(
            "patch",
            format!("touches {} files; at most {MAX_FILES}", files.len()),
        ));
    }
    let strip = args.strip.unwrap_or_else(|| {
        let mut paths = files.iter().flat_map(|f| op_paths(f.operation()));
        usize::from(paths.all(|p| p == "/dev/null" || p.starts_with("a/") || p.starts_with("b/")))
    });
    let resolve = |n: usize, p: &str| {
        let raw = base_abs.join(p);
        ctx.jail
            .resolve(&format!("patch (file {n})"), &raw.to_string_lossy(), true)
    };
    let mut plans = Vec::new();
    for (i, fp) in files.iter().enumerate() {
        let n = i + 1;
        let PatchKind::Text(text) = fp.patch() else {
            return Err(FsError::arg(
                "patch",
                format!("file {n} is a binary patch; only text patches are supported"),
            ));
        };
        // Git's `rename from/to` and `copy from/to` paths carry no a/ b/ prefix.
        let op = if fp.operation().is_rename() || fp.operation().is_copy() {
            fp.operation().clone()
        } else {
            fp.operation().strip_prefix(strip)
        };
        let plan = match &op {
            FileOperation::Modify { original, modified } => {
                let mut t = resolve(n, original)?;
                if t.kind.is_none() && original != modified {
                    t = resolve(n, modified)?;
                }
                let old = read_text(ctx, &t, n)?;
                let (new, report) = apply(&old, text, &ctx.jail.abs(&t).display().to_string(), n)?;
                Planned {
                    report: file_report(ctx, &t, "modify", None, text, report),
                    write: Some((t, new)),
                    create: false,
                    remove: None,
                }
            }
            FileOperation::Create(path) => {
                let t = resolve(n, path)?;
                if t.kind.is_some() {
                    return Err(FsError::Failed(format!(
                        "file {n}: the patch creates {}, which already exists; nothing was written",
                        ctx.jail.abs(&t).display()
                    )));
                }
                let (new, report) = apply("", text, &ctx.jail.abs(&t).display().to_string(), n)?;
                Planned {
                    report: file_report(ctx, &t, "create", None, text, report),
                    write: Some((t, new)),
                    create: true,
                    remove: None,
                }
            }
            FileOperation::Delete(path) => {
                let t = resolve(n, path)?;
                let old = read_text(ctx, &t, n)?;
                let shown = ctx.jail.abs(&t).display().to_string();
                let (rest, report) = apply(&old, text, &shown, n)?;
                if !rest.is_empty() {
                    return Err(FsError::Failed(format!(
                        "file {n}: the patch deletes {shown}, but the file has content the patch \
                         does not remove; nothing was written"
                    )));
                }
                Planned {
                    report: file_report(ctx, &t, "delete", None, text, report),
                    write: None,
                    create: false,
                    remove: Some(t),
                }
            }
            FileOperation::Rename { from, to } | FileOperation::Copy { from, to } => {
                let is_rename = op.is_rename();
                let src = resolve(n, from)?;
                let dst = resolve(n, to)?;
                if dst.kind.is_some() {
                    return Err(FsError::Failed(format!(
                        "file {n}: the destination {} already exists; nothing was written",
                        ctx.jail.abs(&dst).display()
                    )));
                }
                let old = read_text(ctx, &src, n)?;
                let (new, report) =
                    apply(&old, text, &ctx.jail.abs(&dst).display().to_string(), n)?;
                let from_abs = ctx.jail.abs(&src).display().to_string();
                Planned {
                    report: file_report(
                        ctx,
                        &dst,
                        if is_rename { "rename" } else { "copy" },
                        Some(from_abs),
                        text,
                        report,
                    ),
                    write: Some((dst, new)),
                    create: true,
                    remove: is_rename.then_some(src),
                }
            }
        };
        plans.push(plan);
    }
    if let Some(changed) = changed {
        commit(ctx, changed, &plans)?;
    }
    Ok(PatchOutput {
        files: plans.into_iter().map(|p| p.report).collect(),
        dry_run: args.dry_run,
    })
}

/// The `---`/`+++` paths of an operation (the ones a strip count applies to).
fn op_paths<'a>(op: &'a FileOperation<'_, str>) -> Vec<&'a str> {
    match op {
        FileOperation::Delete(p) | FileOperation::Create(p) => vec![p.as_ref()],
        FileOperation::Modify { original, modified } => vec![original.as_ref(), modified.as_ref()],
        FileOperation::Rename { .. } | FileOperation::Copy { .. } => Vec::new(),
    }
}

fn read_text(ctx: &Ctx, t: &Target, n: usize) -> Result<String, FsError> {
    let abs = ctx.jail.abs(t);
    match t.kind {
        Some(Kind::File) => {}
        None => {
            return Err(FsError::Failed(format!(
                "file {n}: {} does not exist; nothing was written",
                abs.display()
            )));
        }
        Some(_) => {
            return Err(FsError::Failed(format!(
                "file {n}: {} is not a regular file; nothing was written",
                abs.display()
            )));
        }
    }
    let (file, md) = ctx
        .jail
        .open_read(t)
        .map_err(|e| FsError::io("read", abs.display(), &e))?;
    let bytes = read_limited(file, &md, ctx.config().max_read_bytes, &abs)?;
    let (text, lossy) = decode(bytes);
    if lossy {
        return Err(FsError::Failed(format!(
            "file {n}: {} is not valid UTF-8; nothing was written",
            abs.display()
        )));
    }
    Ok(text)
}

/// Per-hunk offsets of a successful application.
struct Applied {
    offsets: Vec<String>,
}

fn file_report(
    ctx: &Ctx,
    t: &Target,
    action: &str,
    from: Option<String>,
    patch: &Patch<'_, str>,
    applied: Applied,
) -> PatchedFile {
    let (mut added, mut removed) = (0, 0);
    for h in patch.hunks() {
        for l in h.lines() {
            match l {
                Line::Insert(_) => added += 1,
                Line::Delete(_) => removed += 1,
                Line::Context(_) => {}
            }
        }
    }
    PatchedFile {
        path: ctx.jail.abs(t).display().to_string(),
        action: action.to_owned(),
        from,
        hunks: patch.hunks().len(),
        added,
        removed,
        offsets: applied.offsets,
    }
}

/// A line without its line ending, for comparison.
fn bare(l: &str) -> &str {
    l.strip_suffix('\n')
        .map_or(l, |l| l.strip_suffix('\r').unwrap_or(l))
}

/// Apply the hunks of `patch` to `old`. Each hunk is looked for at its stated line (moved by
/// the hunks before it), then ever further away; the nearest exact match of its context and
/// deleted lines wins. On failure, the error names the file, the hunk and the first line that
/// differs at the stated position.
fn apply(
    old: &str,
    patch: &Patch<'_, str>,
    shown: &str,
    n: usize,
) -> Result<(String, Applied), FsError> {
    let eol = line_ending(old);
    // (line text, already produced by a hunk)
    let mut image: Vec<(String, bool)> = old
        .split_inclusive('\n')
        .map(|l| (l.to_owned(), false))
        .collect();
    let mut delta: i64 = 0;
    let mut offsets = Vec::new();
    for (hi, hunk) in patch.hunks().iter().enumerate() {
        let pre: Vec<&str> = hunk
            .lines()
            .iter()
            .filter_map(|l| match l {
                Line::Context(s) | Line::Delete(s) => Some(*s),
                Line::Insert(_) => None,
            })
            .collect();
        let range = hunk.old_range();
        let stated = if range.is_empty() {
            range.start()
        } else {
            range.start().saturating_sub(1)
        };
        let expected = (stated as i64 + delta).clamp(0, image.len() as i64) as usize;
        let fits = |pos: usize| {
            image.get(pos..pos + pre.len()).is_some_and(|window| {
                window
                    .iter()
                    .zip(&pre)
                    .all(|((line, done), p)| !done && bare(line) == bare(p))
            })
        };
        let found = std::iter::once(expected)
            .chain(
                (1..=image.len())
                    .flat_map(|d| [expected.checked_sub(d), Some(expected + d)])
                    .flatten(),
            )
            .filter(|&p| p + pre.len() <= image.len())
            .find(|&p| fits(p));
        let Some(pos) = found else {
            return Err(FsError::Failed(format!(
                "file {n} ({shown}): hunk {} of {} (@@ -{} +{} @@) does not apply: {}; nothing was written",
                hi + 1,
                patch.hunks().len(),
                hunk.old_range(),
                hunk.new_range(),
                diagnose(&image, &pre, expected)
            )));
        };
        if pos != expected {
            offsets.push(format!(
                "hunk {}: {:+} lines",
                hi + 1,
                pos as i64 - expected as i64
            ));
        }
        // The replacement: the file's own context lines, the patch's inserted lines in the
        // file's line ending.
        let mut post = Vec::new();
        let mut k = pos;
        for l in hunk.lines() {
            match l {
                Line::Context(_) => {
                    post.push((image[k].0.clone(), true));
                    k += 1;
                }
                Line::Delete(_) => k += 1,
                Line::Insert(s) => {
                    let text = match s.strip_suffix('\n') {
                        Some(body) => format!("{}{eol}", body.strip_suffix('\r').unwrap_or(body)),
                        None => (*s).to_owned(),
                    };
                    post.push((text, true));
                }
            }
        }
        let inserted = post.len() as i64;
        image.splice(pos..pos + pre.len(), post);
        delta += (pos as i64 - expected as i64) + inserted - pre.len() as i64;
    }
    Ok((
        image.into_iter().map(|(l, _)| l).collect(),
        Applied { offsets },
    ))
}

/// Why `pre` does not fit at `at`: the first differing line, or the end of the file.
fn diagnose(image: &[(String, bool)], pre: &[&str], at: usize) -> String {
    for (j, p) in pre.iter().enumerate() {
        let line = at + j + 1;
        match image.get(at + j) {
            None => {
                return format!(
                    "the file ends at line {} but the hunk expects {:?} at line {line}",
                    image.len(),
                    crate::text::cut(bare(p), 120)
                );
            }
            Some((l, _)) if bare(l) != bare(p) => {
                return format!(
                    "line {line} is {:?} but the hunk expects {:?} there (and that context was not found nearby either)",
                    crate::text::cut(bare(l), 120),
                    crate::text::cut(bare(p), 120)
                );
            }
            Some(_) => {}
        }
    }
    "its lines overlap a region an earlier hunk already changed".to_owned()
}

/// A staged file: its directory, temporary name and final name.
struct Staged {
    dir: Dir,
    tmp: std::path::PathBuf,
    name: OsString,
    create: bool,
    abs: String,
    /// Previous content and mode, to restore if a later step fails.
    previous: Option<(Vec<u8>, u32)>,
}

/// Write every planned change: stage all new contents, rename them into place, then remove.
fn commit(ctx: &Ctx, changed: &mut Changed, plans: &[Planned]) -> Result<(), FsError> {
    let mut staged: Vec<Staged> = Vec::new();
    let cleanup = |staged: &[Staged]| {
        for s in staged {
            let _ = s.dir.remove_file(&s.tmp);
        }
    };
    for plan in plans {
        let Some((t, content)) = &plan.write else {
            continue;
        };
        let abs = ctx.jail.abs(t);
        let crate::tools::write::Prepared {
            dir,
            name,
            existing,
            ..
        } = match crate::tools::write::prepare_write(
            &ctx.jail,
            "patch",
            &abs.to_string_lossy(),
            true,
        ) {
            Ok(v) => v,
            Err(e) => {
                cleanup(&staged);
                return Err(e);
            }
        };
        if let Some((_, old_len)) = existing
            && let Err(e) = shrink_guard(ctx, &abs, old_len, content.len() as u64)
        {
            cleanup(&staged);
            return Err(e);
        }
        let previous = match existing {
            Some((mode, _)) if !plan.create => {
                let bytes = dir
                    .open_with(&name, &read_options())
                    .and_then(|f| {
                        let mut v = Vec::new();
                        std::io::Read::read_to_end(&mut f.into_std(), &mut v)?;
                        Ok(v)
                    })
                    .map_err(|e| FsError::io("read", abs.display(), &e));
                match bytes {
                    Ok(b) => Some((b, mode)),
                    Err(e) => {
                        cleanup(&staged);
                        return Err(e);
                    }
                }
            }
            _ => None,
        };
        let mode = existing.map_or(0o666, |e| e.0);
        let written = create_temp(&dir, &name, mode).and_then(|(tmp, mut f)| {
            if existing.is_some() {
                f.set_permissions(std::fs::Permissions::from_mode(mode))?;
            }
            f.write_all(content.as_bytes())?;
            f.sync_all()?;
            Ok(tmp)
        });
        match written {
            Ok(tmp) => staged.push(Staged {
                dir,
                tmp,
                name,
                create: plan.create,
                abs: abs.display().to_string(),
                previous,
            }),
            Err(e) => {
                cleanup(&staged);
                return Err(FsError::io("write", abs.display(), &e));
            }
        }
    }
    for (i, s) in staged.iter().enumerate() {
        let renamed = if s.create {
            rustix::fs::renameat_with(
                &s.dir,
                s.tmp.as_os_str(),
                &s.dir,
                s.name.as_os_str(),
                rustix::fs::RenameFlags::NOREPLACE,
            )
            .map_err(std::io::Error::from)
        } else {
            s.dir.rename(&s.tmp, &s.dir, &s.name)
        };
        if let Err(e) = renamed {
            // Put back what was already replaced, remove what was created, drop the rest.
            for done in &staged[..i] {
                match &done.previous {
                    Some((bytes, mode)) => {
                        let _ = crate::jail::write_atomic(
                            &done.dir,
                            &done.name,
                            bytes,
                            Some(*mode),
                            Replace::Yes,
                        );
                    }
                    None => {
                        let _ = done.dir.remove_file(&done.name);
                    }
                }
            }
            cleanup(&staged[i..]);
            return Err(FsError::Failed(format!(
                "writing {} failed ({}); the files already written were restored",
                s.abs,
                crate::error::describe(&e)
            )));
        }
        changed.path(&s.abs);
    }
    for plan in plans {
        changed.bytes += plan.write.as_ref().map_or(0, |(_, c)| c.len() as u64);
        if let Some(t) = &plan.remove {
            let abs = ctx.jail.abs(t);
            let (dir, name) = ctx.jail.parent("patch", t)?;
            dir.remove_file(&name)
                .map_err(|e| FsError::io("delete", abs.display(), &e))?;
            changed.path(abs.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn run(old: &str, patch: &str) -> Result<(String, Vec<String>), String> {
        let p = Patch::from_str(patch).unwrap();
        apply(old, &p, "/w/f", 1)
            .map(|(s, a)| (s, a.offsets))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn hunks_apply_in_place_and_at_an_offset() {
        let old = "a\nb\nc\nd\ne\nf\n";
        let p = "--- a/f\n+++ b/f\n@@ -2,2 +2,2 @@\n b\n-c\n+C\n@@ -5,1 +5,2 @@\n e\n+E\n";
        assert_eq!(
            run(old, p).unwrap(),
            ("a\nb\nC\nd\ne\nE\nf\n".to_owned(), vec![])
        );
        let shifted = format!("x\ny\n{old}");
        let (out, offsets) = run(&shifted, p).unwrap();
        assert_eq!(out, "x\ny\na\nb\nC\nd\ne\nE\nf\n");
        assert_eq!(offsets, ["hunk 1: +2 lines"]);
    }

    #[test]
    fn a_failed_hunk_names_the_line_and_the_expected_text() {
        let p = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n";
        let err = run("a\nX\n", p).unwrap_err();
        assert!(err.contains("hunk 1 of 1"), "{err}");
        assert!(
            err.contains("line 2 is \"X\" but the hunk expects \"b\""),
            "{err}"
        );
        assert!(err.contains("nothing was written"), "{err}");
        let err = run("a\n", p).unwrap_err();
        assert!(err.contains("the file ends at line 1"), "{err}");
    }

    #[test]
    fn crlf_files_keep_their_line_endings() {
        let p = "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n+new\n b\n";
        assert_eq!(run("a\r\nb\r\n", p).unwrap().0, "a\r\nnew\r\nb\r\n");
    }

    #[test]
    fn no_newline_at_end_of_file_is_respected() {
        let p = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n";
        assert_eq!(run("a", p).unwrap().0, "b");
        let create = "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n";
        assert_eq!(run("", create).unwrap().0, "x\ny\n");
    }
}
