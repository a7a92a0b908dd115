//! Which files an ingest reads: paths confined to `CORTEX_SOURCE_ROOT`, directory walks that honour
//! `.gitignore`, and the exclusions (`.git`, build output, binaries, oversized files).
//!
//! Walks always start at the root and descend only towards the requested directories, so the
//! `.gitignore` files between the root and a requested directory apply, and none above the root
//! do. Symbolic links are not followed (a link could lead outside the root). Paths are reported
//! relative to the root with `/` separators: that string is a chunk's `source`.

use std::{
    collections::BTreeSet,
    path::{Component, Path, PathBuf},
};

use ignore::WalkBuilder;
use serde::Serialize;

use crate::error::CortexError;

/// A file to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Path relative to the root, `/`-separated.
    pub source: String,
    /// Absolute path.
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
}

/// A file that was looked at and left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Skipped {
    /// Path relative to the root.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The result of a walk.
#[derive(Debug, Default)]
pub struct Walk {
    /// Files to read, sorted by path.
    pub files: Vec<Candidate>,
    /// Files left out for a reason worth reporting (too large, symlink, unreadable).
    pub skipped: Vec<Skipped>,
    /// Files left out because of their extension (not listed: there may be thousands).
    pub skipped_by_extension: u64,
    /// The walk stopped at `CORTEX_MAX_FILES`.
    pub truncated: bool,
}

/// The filters of a walk.
#[derive(Debug, Clone)]
pub struct Filters {
    /// Extensions ingested, lower case, no dot.
    pub extensions: Vec<String>,
    /// Directory names never entered.
    pub exclude_dirs: Vec<String>,
    /// Largest file.
    pub max_file_bytes: u64,
    /// Most files.
    pub max_files: usize,
}

/// Lock files and other generated text that only adds noise.
const NOISE_FILES: [&str; 6] = [
    "Cargo.lock",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
];

impl Filters {
    /// Whether a file name passes the extension and noise rules.
    pub fn wants(&self, path: &Path) -> bool {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if NOISE_FILES.contains(&name) {
            return false;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) => self.extensions.iter().any(|x| x.eq_ignore_ascii_case(ext)),
            None => false,
        }
    }
}

/// The canonical root (it must exist and be a directory).
pub fn canonical_root(root: &Path) -> Result<PathBuf, CortexError> {
    let c = root
        .canonicalize()
        .map_err(|e| CortexError::io(format!("CORTEX_SOURCE_ROOT {}", root.display()), e))?;
    if !c.is_dir() {
        return Err(CortexError::io(
            format!("CORTEX_SOURCE_ROOT {}", root.display()),
            "not a directory",
        ));
    }
    Ok(c)
}

/// `user` as a `/`-separated path relative to `root`, refusing anything that leaves it.
///
/// Accepted: relative paths without `..`, and absolute paths inside the root. The check is on
/// path components (never string prefixes), and an existing path is also canonicalised, so a
/// symbolic link that leads out of the root is refused as well.
pub fn resolve(root: &Path, user: &str, arg: &str) -> Result<(String, PathBuf), CortexError> {
    let trimmed = user.trim();
    if trimmed.is_empty() {
        return Err(CortexError::arg(arg, "empty path"));
    }
    if trimmed.contains('\0') {
        return Err(CortexError::arg(arg, "path contains a NUL byte"));
    }
    let p = Path::new(trimmed);
    let relative: PathBuf = if p.is_absolute() {
        p.strip_prefix(root)
            .map_err(|_| {
                CortexError::arg(
                    arg,
                    format!(
                        "{trimmed} is outside CORTEX_SOURCE_ROOT ({})",
                        root.display()
                    ),
                )
            })?
            .to_path_buf()
    } else {
        p.to_path_buf()
    };
    let mut clean = PathBuf::new();
    for c in relative.components() {
        match c {
            Component::Normal(x) => clean.push(x),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(CortexError::arg(
                    arg,
                    format!("{trimmed} escapes CORTEX_SOURCE_ROOT ({})", root.display()),
                ));
            }
        }
    }
    let absolute = root.join(&clean);
    if let Ok(real) = absolute.canonicalize()
        && !real.starts_with(root)
    {
        return Err(CortexError::arg(
            arg,
            format!(
                "{trimmed} leads outside CORTEX_SOURCE_ROOT ({}) through a symbolic link",
                root.display()
            ),
        ));
    }
    Ok((to_source(&clean), absolute))
}

/// A relative path as a `source` string (`.` for the root itself).
pub fn to_source(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(x) => Some(x.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Whether `source` lies in directory `dir` (a `source` string; `.` holds everything).
pub fn is_under(source: &str, dir: &str) -> bool {
    dir == "."
        || source == dir
        || (source.len() > dir.len()
            && source.starts_with(dir)
            && source.as_bytes()[dir.len()] == b'/')
}

/// Walk the directories `dirs` (`source` strings) under `root` (canonical). Blocking.
pub fn walk(root: &Path, dirs: &[String], filters: &Filters) -> Walk {
    let targets: BTreeSet<String> = dirs.iter().cloned().collect();
    let exclude: Vec<String> = filters.exclude_dirs.clone();
    let root_owned = root.to_path_buf();
    let filter_targets = targets.clone();
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .parents(false)
        .ignore(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let rel = entry
                .path()
                .strip_prefix(&root_owned)
                .unwrap_or(entry.path());
            let source = to_source(rel);
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir && source != "." {
                let name = entry.file_name().to_string_lossy();
                if exclude.iter().any(|x| x == name.as_ref()) {
                    return false;
                }
            }
            // Enter a directory on the way to a target, or inside one; keep files inside one.
            filter_targets.iter().any(|t| {
                is_under(&source, t) || (is_dir && (source == "." || is_under(t, &source)))
            })
        });

    let mut out = Walk::default();
    for entry in builder.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if out.skipped.len() < 200 {
                    out.skipped.push(Skipped {
                        path: String::new(),
                        reason: format!("walk error: {e}"),
                    });
                }
                continue;
            }
        };
        let Some(ft) = entry.file_type() else {
            continue;
        };
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let source = to_source(rel);
        if !targets.iter().any(|t| is_under(&source, t)) {
            continue;
        }
        if ft.is_symlink() {
            if filters.wants(entry.path()) {
                out.skipped.push(Skipped {
                    path: source,
                    reason: "symbolic link (not followed)".to_owned(),
                });
            }
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        if !filters.wants(entry.path()) {
            out.skipped_by_extension += 1;
            continue;
        }
        let bytes = match entry.metadata() {
            Ok(m) => m.len(),
            Err(e) => {
                out.skipped.push(Skipped {
                    path: source,
                    reason: format!("unreadable: {e}"),
                });
                continue;
            }
        };
        if bytes > filters.max_file_bytes {
            out.skipped.push(Skipped {
                path: source,
                reason: format!(
                    "{bytes} bytes is over CORTEX_MAX_FILE_BYTES ({})",
                    filters.max_file_bytes
                ),
            });
            continue;
        }
        if out.files.len() >= filters.max_files {
            out.truncated = true;
            break;
        }
        out.files.push(Candidate {
            source,
            path: entry.path().to_path_buf(),
            bytes,
        });
    }
    out
}

/// Why a file's bytes are not ingestible text, if they are not.
pub fn not_text(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Some("binary content (NUL bytes)");
    }
    if std::str::from_utf8(bytes).is_err() {
        return Some("not UTF-8 text");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters() -> Filters {
        Filters {
            extensions: vec!["md".into(), "rs".into(), "txt".into()],
            exclude_dirs: vec![".git".into(), "target".into(), "node_modules".into()],
            max_file_bytes: 100,
            max_files: 1000,
        }
    }

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let w = |p: &str, s: &str| {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, s).unwrap();
        };
        w("docs/a.md", "# A");
        w("docs/sub/b.md", "# B");
        w("docs/big.md", &"x".repeat(500));
        w("docs/image.png", "png");
        w("docs/ignored.md", "ignored");
        w("docs/.gitignore", "ignored.md\nbuild-out/\n");
        w("docs/build-out/c.md", "generated");
        w("src/lib.rs", "fn main() {}");
        w("target/debug/x.rs", "built");
        w(".git/HEAD.md", "git internals");
        w("node_modules/m/readme.md", "dep");
        w("Cargo.lock", "lock");
        w("notes.txt", "top level");
        d
    }

    fn sources(w: &Walk) -> Vec<&str> {
        w.files.iter().map(|f| f.source.as_str()).collect()
    }

    #[test]
    fn walks_honour_gitignore_and_the_exclusions() {
        let d = tree();
        let root = canonical_root(d.path()).unwrap();
        let w = walk(&root, &[".".into()], &filters());
        assert_eq!(
            sources(&w),
            ["docs/a.md", "docs/sub/b.md", "notes.txt", "src/lib.rs"]
        );
        assert_eq!(w.skipped.len(), 1);
        assert!(
            w.skipped[0].reason.contains("CORTEX_MAX_FILE_BYTES"),
            "{:?}",
            w.skipped
        );
        assert_eq!(
            w.skipped_by_extension, 3,
            "image.png, Cargo.lock, docs/.gitignore"
        );
    }

    #[test]
    fn a_walk_of_one_directory_still_applies_the_gitignore_above_it() {
        let d = tree();
        let root = canonical_root(d.path()).unwrap();
        let w = walk(&root, &["docs/sub".into(), "src".into()], &filters());
        assert_eq!(sources(&w), ["docs/sub/b.md", "src/lib.rs"]);
        let w = walk(&root, &["docs/build-out".into()], &filters());
        assert!(w.files.is_empty(), "docs/.gitignore excludes build-out/");
    }

    #[test]
    fn the_file_cap_truncates() {
        let d = tree();
        let root = canonical_root(d.path()).unwrap();
        let w = walk(
            &root,
            &[".".into()],
            &Filters {
                max_files: 2,
                ..filters()
            },
        );
        assert_eq!(w.files.len(), 2);
        assert!(w.truncated);
    }

    #[test]
    fn paths_cannot_leave_the_root() {
        let d = tree();
        let root = canonical_root(d.path()).unwrap();
        assert_eq!(resolve(&root, "./docs//a.md", "p").unwrap().0, "docs/a.md");
        let abs = root.join("docs/a.md");
        assert_eq!(
            resolve(&root, abs.to_str().unwrap(), "p").unwrap().0,
            "docs/a.md"
        );
        assert_eq!(resolve(&root, ".", "p").unwrap().0, ".");
        for bad in ["../etc/passwd", "docs/../../x", "/etc/passwd", ""] {
            let e = resolve(&root, bad, "file_paths[0]")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("invalid file_paths[0]"), "{bad}: {e}");
        }
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("escape")).unwrap();
        let e = resolve(&root, "escape", "p").unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
    }

    #[test]
    fn symlinks_are_not_followed_by_walks() {
        let d = tree();
        let root = canonical_root(d.path()).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.md"), "secret").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.md"), root.join("docs/link.md"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("docs/linkdir")).unwrap();
        let w = walk(&root, &["docs".into()], &filters());
        assert!(
            !sources(&w).iter().any(|s| s.contains("link")),
            "{:?}",
            sources(&w)
        );
        assert!(w.skipped.iter().any(|s| s.path == "docs/link.md"));
    }

    #[test]
    fn under_means_path_components() {
        assert!(is_under("docs/a.md", "docs"));
        assert!(is_under("docs", "docs"));
        assert!(is_under("anything", "."));
        assert!(!is_under("docs2/a.md", "docs"));
        assert!(!is_under("doc", "docs"));
    }

    #[test]
    fn binary_and_non_utf8_content_is_detected() {
        assert_eq!(
            not_text(b"hello\0world"),
            Some("binary content (NUL bytes)")
        );
        assert_eq!(not_text(&[0xff, 0xfe, 0x41]), Some("not UTF-8 text"));
        assert_eq!(not_text("héllo".as_bytes()), None);
    }
}
