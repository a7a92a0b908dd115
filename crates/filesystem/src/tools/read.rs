//! Read tools: `read_text_file` (whole, head or tail), its alias `read_file`, `read_media_file`,
//! `read_multiple_files` and the original fleet's `code_read`. Every read goes through the jail,
//! refuses non-regular files (no FIFO can hang a call) and is capped by `FS_MAX_READ_BYTES`;
//! head and tail read only what they need, so they work on files of any size.

use std::{
    io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom},
    path::Path,
};

use base64::Engine as _;
use rmcp::{
    handler::server::{common::schema_for_output, wrapper::Parameters},
    model::{CallToolResult, ContentBlock, ResourceContents},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};

use crate::{
    error::FsError,
    jail::{not_a_file, read_limited},
    resources::{file_uri, mime_of},
    server::{Caller, Ctx, FsServer, Rendered},
    text::{binary_offset, decode},
};

/// Size of a backwards read step for `tail`.
const TAIL_CHUNK: u64 = 64 * 1024;
/// Most paths `read_multiple_files` accepts.
const MAX_PATHS: usize = 100;

/// Arguments of `read_text_file` and `read_file`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReadTextArgs {
    /// The file: an absolute path, or one relative to the first allowed root.
    pub path: String,
    /// Only the first N lines.
    #[serde(default)]
    pub head: Option<u64>,
    /// Only the last N lines (a final newline does not count as an extra empty line).
    #[serde(default)]
    pub tail: Option<u64>,
}

/// A text read.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReadOutput {
    /// Absolute path read.
    pub path: String,
    /// The text (for head/tail: the lines, without the final newline).
    pub content: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// Lines in `content`.
    pub lines: usize,
    /// Whether head/tail output was cut at `FS_MAX_READ_BYTES`.
    pub truncated: bool,
    /// Whether invalid UTF-8 was replaced by U+FFFD.
    pub lossy: bool,
}

/// Arguments naming one path.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PathArgs {
    /// The path: absolute, or relative to the first allowed root.
    pub path: String,
}

/// Arguments of `read_multiple_files`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReadManyArgs {
    /// The files (1 to 100): absolute, or relative to the first allowed root.
    pub paths: Vec<String>,
}

/// One file of `read_multiple_files`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FileText {
    /// The path (absolute when it could be resolved, else as given).
    pub path: String,
    /// The text, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Why it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Result of `read_multiple_files`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReadManyOutput {
    /// One entry per requested path, in order.
    pub files: Vec<FileText>,
}

/// Arguments of `code_read`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CodeReadArgs {
    /// The file: absolute, or relative to the first allowed root.
    pub path: String,
    /// Refuse files larger than this many MiB (default 5; never above `FS_MAX_READ_BYTES`).
    #[serde(default = "default_max_size_mb")]
    pub max_size_mb: f64,
}

fn default_max_size_mb() -> f64 {
    5.0
}

/// Result of `code_read`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CodeReadOutput {
    /// Absolute path read.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Number of lines.
    pub lines: usize,
    /// The text.
    pub content: String,
}

#[tool_router(router = read_tools, vis = "pub(crate)")]
impl FsServer {
    /// Read a UTF-8 text file, whole or just its first (`head`) or last (`tail`) N lines.
    /// Whole reads are refused above FS_MAX_READ_BYTES (10 MiB by default): use head/tail or
    /// grep for big files, which read only what they need. Binary files are refused (use
    /// read_media_file); invalid UTF-8 is replaced and flagged `lossy`. Example:
    /// `{"path": "src/main.rs", "tail": 20}`.
    #[tool(
        output_schema = schema_for_output::<ReadOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn read_text_file(
        &self,
        Parameters(args): Parameters<ReadTextArgs>,
        caller: Caller,
    ) -> Result<Rendered<ReadOutput>, FsError> {
        self.run(&caller, move |ctx| read_text(ctx, &args))
            .await
            .map(render_read)
    }

    /// Deprecated alias of read_text_file, kept for clients of server-filesystem: same
    /// arguments (`path`, `head`, `tail`), same limits, same result. Example:
    /// `{"path": "README.md", "head": 10}`.
    #[tool(
        output_schema = schema_for_output::<ReadOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn read_file(
        &self,
        args: Parameters<ReadTextArgs>,
        caller: Caller,
    ) -> Result<Rendered<ReadOutput>, FsError> {
        self.read_text_file(args, caller).await
    }

    /// Read an image or audio file as base64 image/audio content (type from the extension:
    /// png, jpg, gif, webp, svg, bmp, mp3, wav, ogg, flac, ...); any other file comes back as
    /// an embedded binary resource. Capped at FS_MAX_READ_BYTES. Example:
    /// `{"path": "docs/logo.png"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn read_media_file(
        &self,
        Parameters(args): Parameters<PathArgs>,
        caller: Caller,
    ) -> Result<CallToolResult, FsError> {
        self.run(&caller, move |ctx| read_media(ctx, &args.path))
            .await
    }

    /// Read several text files in one call (1 to 100 paths). A file that cannot be read does
    /// not fail the call: its entry carries the error instead. The whole answer is capped at
    /// FS_MAX_OUTPUT_BYTES; files past the cap are reported as skipped. Example:
    /// `{"paths": ["Cargo.toml", "src/lib.rs"]}`.
    #[tool(
        output_schema = schema_for_output::<ReadManyOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn read_multiple_files(
        &self,
        Parameters(args): Parameters<ReadManyArgs>,
        caller: Caller,
    ) -> Result<Rendered<ReadManyOutput>, FsError> {
        if args.paths.is_empty() || args.paths.len() > MAX_PATHS {
            return Err(FsError::arg(
                "paths",
                format!("give 1 to {MAX_PATHS} paths, not {}", args.paths.len()),
            ));
        }
        self.run(&caller, move |ctx| Ok(read_many(ctx, &args.paths)))
            .await
    }

    /// Read a source file whole, framed by `=====` banners with its size and line count (the
    /// original fleet's tool). Refuses files above `max_size_mb` (default 5 MiB, never more
    /// than FS_MAX_READ_BYTES) and binary files. Example: `{"path": "src/server.rs"}`.
    #[tool(
        output_schema = schema_for_output::<CodeReadOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn code_read(
        &self,
        Parameters(args): Parameters<CodeReadArgs>,
        caller: Caller,
    ) -> Result<Rendered<CodeReadOutput>, FsError> {
        if !args.max_size_mb.is_finite() || args.max_size_mb <= 0.0 {
            return Err(FsError::arg(
                "max_size_mb",
                format!("{} is not a positive number of MiB", args.max_size_mb),
            ));
        }
        self.run(&caller, move |ctx| {
            let limit = Limit::MaxSizeMb((args.max_size_mb * 1024.0 * 1024.0) as u64);
            let (path, text, size, _) = read_whole_text(ctx, "path", &args.path, limit)?;
            let lines = text.lines().count();
            let banner = format!("===== {path} ({size} bytes, {lines} lines) =====");
            Ok(Rendered {
                text: format!("{banner}\n{text}\n===== end of {path} ====="),
                data: CodeReadOutput {
                    path,
                    size,
                    lines,
                    content: text,
                },
            })
        })
        .await
    }
}

fn render_read(out: ReadOutput) -> Rendered<ReadOutput> {
    Rendered {
        text: out.content.clone(),
        data: out,
    }
}

/// Which limit a whole read is held to, for the error when a file is over it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit {
    /// FS_MAX_READ_BYTES.
    Config,
    /// `code_read`'s `max_size_mb` argument.
    MaxSizeMb(u64),
    /// What is left of FS_MAX_OUTPUT_BYTES in `read_multiple_files`.
    OutputLeft(u64),
}

/// A whole text file: absolute path, text, size, lossy flag.
pub(crate) fn read_whole_text(
    ctx: &Ctx,
    arg: &str,
    raw: &str,
    limit: Limit,
) -> Result<(String, String, u64, bool), FsError> {
    let jail = &ctx.jail;
    let t = jail.resolve_existing(arg, raw, true)?;
    let abs = jail.abs(&t);
    let (file, md) = jail
        .open_read(&t)
        .map_err(|e| FsError::io("read", abs.display(), &e))?;
    let size = md.len();
    let config = ctx.config().max_read_bytes;
    let bytes = match limit {
        Limit::MaxSizeMb(max) if max < config && size > max => {
            return Err(FsError::arg(
                "max_size_mb",
                format!(
                    "{} is {size} bytes, more than the {max} allowed",
                    abs.display()
                ),
            ));
        }
        Limit::OutputLeft(left) if left < config && size > left => {
            return Err(FsError::TooLarge {
                what: abs.display().to_string(),
                size,
                limit: left,
                var: "what is left of FS_MAX_OUTPUT_BYTES for this answer",
            });
        }
        Limit::Config | Limit::MaxSizeMb(_) | Limit::OutputLeft(_) => {
            read_limited(file, &md, config, &abs)?
        }
    };
    refuse_binary(&abs, &bytes)?;
    let (text, lossy) = decode(bytes);
    Ok((abs.display().to_string(), text, size, lossy))
}

fn refuse_binary(abs: &Path, bytes: &[u8]) -> Result<(), FsError> {
    if let Some(at) = binary_offset(bytes) {
        return Err(FsError::Refused(format!(
            "{} looks binary (a NUL byte at offset {at}); use read_media_file",
            abs.display()
        )));
    }
    Ok(())
}

fn read_text(ctx: &Ctx, args: &ReadTextArgs) -> Result<ReadOutput, FsError> {
    if args.head.is_some() && args.tail.is_some() {
        return Err(FsError::arg(
            "head",
            "head and tail cannot be given together; pick one",
        ));
    }
    let limit = ctx.config().max_read_bytes;
    if args.head.is_none() && args.tail.is_none() {
        let (path, content, size, lossy) = read_whole_text(ctx, "path", &args.path, Limit::Config)?;
        return Ok(ReadOutput {
            path,
            lines: content.lines().count(),
            content,
            size,
            truncated: false,
            lossy,
        });
    }
    let jail = &ctx.jail;
    let t = jail.resolve_existing("path", &args.path, true)?;
    let abs = jail.abs(&t);
    let (file, md) = jail
        .open_read(&t)
        .map_err(|e| FsError::io("read", abs.display(), &e))?;
    if !md.is_file() {
        return Err(not_a_file(&abs, &md));
    }
    let mut file = file.into_std();
    let io = |e: std::io::Error| FsError::io("read", abs.display(), &e);
    let (bytes, truncated) = match (args.head, args.tail) {
        (Some(n), _) => head(&mut file, n, limit).map_err(io)?,
        (_, Some(n)) => tail(&mut file, md.len(), n, limit).map_err(io)?,
        (None, None) => (Vec::new(), false),
    };
    refuse_binary(&abs, &bytes)?;
    let (content, lossy) = decode(bytes);
    Ok(ReadOutput {
        path: abs.display().to_string(),
        lines: if content.is_empty() {
            0
        } else {
            content.split('\n').count()
        },
        content,
        size: md.len(),
        truncated,
        lossy,
    })
}

/// The first `n` lines (without the last line's newline), at most `limit` bytes.
pub(crate) fn head(
    file: &mut std::fs::File,
    n: u64,
    limit: u64,
) -> std::io::Result<(Vec<u8>, bool)> {
    let mut reader = BufReader::new(file.take(limit + 1));
    let mut out = Vec::new();
    for _ in 0..n {
        let before = out.len();
        if reader.read_until(b'\n', &mut out)? == 0 {
            break;
        }
        if out.len() as u64 > limit {
            out.truncate(before.max(limit as usize));
            return Ok((trim_newline(out), true));
        }
    }
    Ok((trim_newline(out), false))
}

/// The last `n` lines (a final newline is not an extra empty line), at most `limit` bytes,
/// read backwards in chunks so the rest of the file is never read.
pub(crate) fn tail(
    file: &mut std::fs::File,
    size: u64,
    n: u64,
    limit: u64,
) -> std::io::Result<(Vec<u8>, bool)> {
    if n == 0 || size == 0 {
        return Ok((Vec::new(), false));
    }
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut pos = size;
    let mut held = 0u64;
    let mut newlines = 0u64;
    let mut last_byte = None;
    let mut truncated = false;
    while pos > 0 {
        let start = pos.saturating_sub(TAIL_CHUNK);
        let mut chunk = vec![0; (pos - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        if last_byte.is_none() {
            last_byte = chunk.last().copied();
        }
        newlines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        held += chunk.len() as u64;
        chunks.push(chunk);
        pos = start;
        let needed = n + u64::from(last_byte == Some(b'\n'));
        if newlines >= needed {
            break;
        }
        if held > limit {
            truncated = true;
            break;
        }
    }
    let mut buf: Vec<u8> = chunks.into_iter().rev().flatten().collect();
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    // Keep what follows the n-th newline from the end.
    let mut seen = 0;
    let mut start = 0;
    for (i, b) in buf.iter().enumerate().rev() {
        if *b == b'\n' {
            seen += 1;
            if seen == n {
                start = i + 1;
                break;
            }
        }
    }
    if seen < n && pos > 0 {
        // Stopped at the byte limit before finding the start of the n-th line.
        truncated = true;
    }
    let mut out = buf.split_off(start);
    if out.len() as u64 > limit {
        let cut = out.len() - limit as usize;
        let next_line = out[cut..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(cut, |p| cut + p + 1);
        out.drain(..next_line);
        truncated = true;
    }
    Ok((out, truncated))
}

fn trim_newline(mut v: Vec<u8>) -> Vec<u8> {
    if v.last() == Some(&b'\n') {
        v.pop();
        if v.last() == Some(&b'\r') {
            v.pop();
        }
    }
    v
}

fn read_media(ctx: &Ctx, raw: &str) -> Result<CallToolResult, FsError> {
    let jail = &ctx.jail;
    let t = jail.resolve_existing("path", raw, true)?;
    let abs = jail.abs(&t);
    let (file, md) = jail
        .open_read(&t)
        .map_err(|e| FsError::io("read", abs.display(), &e))?;
    let bytes = read_limited(file, &md, ctx.config().max_read_bytes, &abs)?;
    let mime = mime_of(&abs);
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let block = if mime.starts_with("image/") {
        ContentBlock::image(data, mime)
    } else if mime.starts_with("audio/") {
        ContentBlock::audio(data, mime)
    } else {
        ContentBlock::resource(ResourceContents::blob(data, file_uri(&abs)).with_mime_type(mime))
    };
    Ok(CallToolResult::success(vec![block]))
}

fn read_many(ctx: &Ctx, paths: &[String]) -> Rendered<ReadManyOutput> {
    let cap = ctx.config().max_output_bytes;
    let mut used = 0usize;
    let mut files = Vec::new();
    let mut text = Vec::new();
    for (i, raw) in paths.iter().enumerate() {
        let arg = format!("paths[{i}]");
        if used >= cap {
            let error = "skipped: the answer reached FS_MAX_OUTPUT_BYTES".to_owned();
            text.push(format!("{raw}: {error}"));
            files.push(FileText {
                path: raw.clone(),
                content: None,
                error: Some(error),
            });
            continue;
        }
        match read_whole_text(ctx, &arg, raw, Limit::OutputLeft((cap - used) as u64)) {
            Ok((path, content, _, _)) => {
                used += content.len();
                text.push(format!("{path}:\n{content}"));
                files.push(FileText {
                    path,
                    content: Some(content),
                    error: None,
                });
            }
            Err(e) => {
                let error = e.to_string();
                text.push(format!("{raw}: Error - {error}"));
                files.push(FileText {
                    path: raw.clone(),
                    content: None,
                    error: Some(error),
                });
            }
        }
    }
    Rendered {
        text: text.join("\n---\n"),
        data: ReadManyOutput { files },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write as _;

    use super::*;

    fn file(content: &[u8]) -> (tempfile::NamedTempFile, u64) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        (f, content.len() as u64)
    }

    fn tail_of(content: &str, n: u64, limit: u64) -> (String, bool) {
        let (f, size) = file(content.as_bytes());
        let (out, truncated) = tail(&mut f.reopen().unwrap(), size, n, limit).unwrap();
        (String::from_utf8(out).unwrap(), truncated)
    }

    fn head_of(content: &str, n: u64, limit: u64) -> (String, bool) {
        let (f, _) = file(content.as_bytes());
        let (out, truncated) = head(&mut f.reopen().unwrap(), n, limit).unwrap();
        (String::from_utf8(out).unwrap(), truncated)
    }

    #[test]
    fn tail_has_no_off_by_one_on_a_final_newline() {
        assert_eq!(tail_of("a\nb\nc\n", 2, 1000).0, "b\nc");
        assert_eq!(tail_of("a\nb\nc", 2, 1000).0, "b\nc");
        assert_eq!(tail_of("a\nb\nc\n", 5, 1000).0, "a\nb\nc");
        assert_eq!(tail_of("a\nb\nc\n", 1, 1000).0, "c");
        assert_eq!(tail_of("", 3, 1000).0, "");
        assert_eq!(tail_of("x\n\n", 1, 1000).0, "");
        assert_eq!(tail_of("x\n\n", 2, 1000).0, "x\n");
    }

    #[test]
    fn tail_reads_across_chunks_and_respects_the_limit() {
        let big: String = (0..50_000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(tail_of(&big, 2, 1 << 20).0, "line 49998\nline 49999");
        let (out, truncated) = tail_of(&big, 40_000, 1000);
        assert!(truncated);
        assert!(out.len() <= 1000);
        assert!(out.starts_with("line "), "cut at a line start: {out:.20}");
        assert!(out.ends_with("line 49999"));
    }

    #[test]
    fn head_reads_only_the_first_lines() {
        assert_eq!(head_of("a\nb\nc\n", 2, 1000), ("a\nb".to_owned(), false));
        assert_eq!(head_of("a\r\nb\r\n", 1, 1000).0, "a");
        assert_eq!(head_of("a\nb", 9, 1000).0, "a\nb");
        assert_eq!(head_of("abcdefgh\n", 1, 4), ("abcd".to_owned(), true));
        assert_eq!(head_of("a\nb\n", 0, 1000).0, "");
    }
}
