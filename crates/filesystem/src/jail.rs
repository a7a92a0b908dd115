//! The jail: the allowed roots, and the only way a tool reaches a file.
//!
//! Each root is a directory *handle* opened once at start-up. Every access below it goes through
//! `cap-std`, which resolves paths relative to that handle with `openat2(RESOLVE_BENEATH)` (or,
//! on kernels without it, component by component with `O_NOFOLLOW`): `..`, absolute symlinks and
//! components swapped for symlinks between a check and its use cannot leave the root, because
//! the kernel refuses them at the moment of use. No tool ever opens an ambient path.
//!
//! On top of that, [`Jail::resolve`] checks every path by components before anything is
//! touched, to give precise answers: which argument, which symlink, where it points. Paths are
//! matched against roots component-wise (`/app2` is not inside `/app`), symlinks are followed
//! one hop at a time (a link into *another* allowed root is fine, a link out is refused), and
//! the result is a canonical root-relative path. Mutations then act on the final component
//! through a handle to its parent directory (`*at` calls with a single name), so a write is a
//! temporary file plus `rename` in that directory and never follows a symlink out.
//!
//! What this module deliberately does not do: expand `~`, accept Windows drive paths, or follow
//! a symlink that leads outside every root.

use std::{
    collections::VecDeque,
    ffi::{OsStr, OsString},
    io::{self, Read as _, Write as _},
    os::unix::fs::PermissionsExt as _,
    path::{Component, Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use cap_fs_ext::{DirExt as _, FollowSymlinks, OpenOptionsFollowExt as _};
use cap_std::{
    ambient_authority,
    fs::{Dir, File, Metadata, OpenOptions, OpenOptionsExt as _},
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::FsError;

/// How many symlinks one path may pass through (Linux's own limit).
const MAX_SYMLINK_HOPS: usize = 40;

/// One allowed directory.
#[derive(Debug)]
pub struct Root {
    /// Canonical absolute path (symlinks resolved at start-up).
    pub path: PathBuf,
    /// Every absolute spelling accepted for it: the canonical path and the configured one.
    aliases: Vec<PathBuf>,
    /// The handle every access below this root goes through.
    pub(crate) dir: Arc<Dir>,
}

impl Root {
    /// Open `configured` (absolute, or relative to the working directory) as a root.
    pub fn open(configured: &Path) -> io::Result<Self> {
        let abs = if configured.is_absolute() {
            normalize(configured)
        } else {
            normalize(&std::env::current_dir()?.join(configured))
        };
        let canonical = std::fs::canonicalize(&abs)?;
        let dir = Dir::open_ambient_dir(&canonical, ambient_authority())?;
        let mut aliases = vec![canonical.clone()];
        if abs != canonical {
            aliases.push(abs);
        }
        Ok(Self {
            path: canonical,
            aliases,
            dir: Arc::new(dir),
        })
    }

    /// A root at `path` (already canonical) reached through `dir`.
    fn sub(path: PathBuf, alias: PathBuf, dir: Dir) -> Self {
        let mut aliases = vec![path.clone()];
        if alias != path {
            aliases.push(alias);
        }
        Self {
            path,
            aliases,
            dir: Arc::new(dir),
        }
    }

    /// A second handle to the same root.
    fn duplicate(&self) -> Self {
        Self {
            path: self.path.clone(),
            aliases: self.aliases.clone(),
            dir: self.dir.clone(),
        }
    }

    /// The handle of this root.
    pub(crate) fn dir(&self) -> &Dir {
        &self.dir
    }
}

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (not followed).
    Symlink,
    /// A device, socket or FIFO: listed, never read.
    Other,
}

impl Kind {
    /// The kind of an entry from its (not followed) metadata.
    pub(crate) fn of(md: &Metadata) -> Self {
        let t = md.file_type();
        if t.is_symlink() {
            Self::Symlink
        } else if t.is_dir() {
            Self::Directory
        } else if t.is_file() {
            Self::File
        } else {
            Self::Other
        }
    }
}

/// A path inside the jail: which root, and the canonical path relative to it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Index of the root in [`Jail::roots`].
    pub root: usize,
    /// Relative to the root; only normal components; empty for the root itself.
    pub rel: PathBuf,
    /// What is there now; `None` when it does not exist (yet).
    pub kind: Option<Kind>,
}

impl Target {
    /// Whether this is one of the roots itself.
    pub fn is_root(&self) -> bool {
        self.rel.as_os_str().is_empty()
    }
}

/// The allowed roots in force for one call.
#[derive(Debug)]
pub struct Jail {
    roots: Vec<Root>,
    /// The client roots that narrowed the configured ones, if any.
    narrowed_by: Option<Vec<String>>,
}

impl Jail {
    /// A jail of `roots`.
    pub fn new(roots: Vec<Root>) -> Self {
        Self {
            roots,
            narrowed_by: None,
        }
    }

    /// The roots, in configuration order.
    pub fn roots(&self) -> &[Root] {
        &self.roots
    }

    /// The client roots that narrowed this jail, if any.
    pub fn narrowed_by(&self) -> Option<&[String]> {
        self.narrowed_by.as_deref()
    }

    /// The root of `t`.
    pub fn root(&self, t: &Target) -> &Root {
        &self.roots[t.root]
    }

    /// The absolute path of `t`.
    pub fn abs(&self, t: &Target) -> PathBuf {
        let root = &self.roots[t.root].path;
        if t.is_root() {
            root.clone()
        } else {
            root.join(&t.rel)
        }
    }

    /// The roots, comma-separated, for messages.
    pub fn roots_text(&self) -> String {
        if self.roots.is_empty() {
            return "none: the client's roots lie outside the configured roots".to_owned();
        }
        self.roots
            .iter()
            .map(|r| r.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The root (longest match) containing the absolute, normalized `abs`, and the rest.
    pub fn find(&self, abs: &Path) -> Option<(usize, PathBuf)> {
        let mut best: Option<(usize, usize, PathBuf)> = None;
        for (i, root) in self.roots.iter().enumerate() {
            for alias in &root.aliases {
                // `strip_prefix` compares whole components: `/app2` is not under `/app`.
                if let Ok(rel) = abs.strip_prefix(alias) {
                    let depth = alias.components().count();
                    if best.as_ref().is_none_or(|b| depth > b.1) {
                        best = Some((i, depth, rel.to_path_buf()));
                    }
                }
            }
        }
        best.map(|(i, _, rel)| (i, rel))
    }

    /// Which root and root-relative path `raw` names, lexically (`..` and `.` folded, nothing
    /// on disk followed). A relative path is taken relative to each root in turn; the first
    /// root where it exists wins, else the first.
    pub fn locate(&self, arg: &str, raw: &str) -> Result<(usize, PathBuf), FsError> {
        let path = parse_user_path(arg, raw)?;
        let escape = || FsError::Escape {
            arg: arg.to_owned(),
            path: raw.to_owned(),
            roots: self.roots_text(),
        };
        if path.is_absolute() {
            return self.find(&normalize(&path)).ok_or_else(escape);
        }
        let mut first = None;
        for root in &self.roots {
            if let Some((i, rel)) = self.find(&normalize(&root.path.join(&path))) {
                if self.roots.len() == 1
                    || self.roots[i].dir.symlink_metadata(cap_path(&rel)).is_ok()
                {
                    return Ok((i, rel));
                }
                first.get_or_insert((i, rel));
            }
        }
        first.ok_or_else(escape)
    }

    /// Resolve `raw` to a canonical target inside the jail, following symlinks one hop at a
    /// time (the last component only when `follow_last`). A link out of every root is refused
    /// with the link and its target named; a missing tail is allowed (`kind: None`).
    pub fn resolve(&self, arg: &str, raw: &str, follow_last: bool) -> Result<Target, FsError> {
        let (root, rel) = self.locate(arg, raw)?;
        self.canonical(arg, raw, root, &rel, follow_last)
    }

    /// [`Jail::resolve`], and the target must exist.
    pub fn resolve_existing(
        &self,
        arg: &str,
        raw: &str,
        follow_last: bool,
    ) -> Result<Target, FsError> {
        let t = self.resolve(arg, raw, follow_last)?;
        if t.kind.is_none() {
            return Err(FsError::NotFound {
                arg: arg.to_owned(),
                path: self.abs(&t).display().to_string(),
            });
        }
        Ok(t)
    }

    fn canonical(
        &self,
        arg: &str,
        raw: &str,
        start_root: usize,
        rel: &Path,
        follow_last: bool,
    ) -> Result<Target, FsError> {
        let mut root = start_root;
        let mut done = PathBuf::new();
        let mut kind = Some(Kind::Directory);
        let mut pending: VecDeque<OsString> = rel
            .components()
            .map(|c| c.as_os_str().to_os_string())
            .collect();
        let mut hops = 0;
        let mut last_link: Option<(PathBuf, PathBuf)> = None;
        let link_escape = |link: &Option<(PathBuf, PathBuf)>| match link {
            Some((l, t)) => FsError::SymlinkEscape {
                arg: arg.to_owned(),
                path: raw.to_owned(),
                link: l.display().to_string(),
                target: t.display().to_string(),
            },
            None => FsError::Escape {
                arg: arg.to_owned(),
                path: raw.to_owned(),
                roots: self.roots_text(),
            },
        };
        while let Some(part) = pending.pop_front() {
            if part == "." || part.is_empty() {
                continue;
            }
            if part == ".." {
                if !done.pop() {
                    // Above the current root: only fine if that lands in another root.
                    let above = normalize(&self.roots[root].path.join(".."));
                    match self.find(&above) {
                        Some((r, up)) => {
                            root = r;
                            done = up;
                        }
                        None => return Err(link_escape(&last_link)),
                    }
                }
                kind = Some(Kind::Directory);
                continue;
            }
            let candidate = done.join(&part);
            if kind.is_none() {
                // Below a missing component nothing exists, so nothing can be a link.
                done = candidate;
                continue;
            }
            let is_last = pending.is_empty();
            let dir = &self.roots[root].dir;
            match dir.symlink_metadata(&candidate) {
                Ok(md) if md.file_type().is_symlink() && (follow_last || !is_last) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(FsError::arg(
                            arg,
                            format!("{raw}: too many levels of symbolic links"),
                        ));
                    }
                    let link_abs = self.roots[root].path.join(&candidate);
                    let target = dir.read_link_contents(&candidate).map_err(|e| {
                        if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) {
                            // It was a symlink a moment ago and is not one now.
                            FsError::Refused(format!(
                                "{} changed while it was being checked; try again",
                                link_abs.display()
                            ))
                        } else {
                            FsError::io("read the link", link_abs.display(), &e)
                        }
                    })?;
                    last_link = Some((link_abs, target.clone()));
                    let mut spliced: Vec<OsString> = Vec::new();
                    if target.is_absolute() {
                        match self.find(&normalize(&target)) {
                            Some((r, trel)) => {
                                root = r;
                                done = PathBuf::new();
                                spliced.extend(trel.components().map(|c| c.as_os_str().into()));
                            }
                            None => return Err(link_escape(&last_link)),
                        }
                    } else {
                        spliced.extend(target.components().map(|c| c.as_os_str().into()));
                    }
                    for c in spliced.into_iter().rev() {
                        pending.push_front(c);
                    }
                    kind = Some(Kind::Directory);
                }
                Ok(md) => {
                    let k = Kind::of(&md);
                    if !is_last && k != Kind::Directory {
                        return Err(FsError::arg(
                            arg,
                            format!(
                                "{raw}: {} is not a directory",
                                self.roots[root].path.join(&candidate).display()
                            ),
                        ));
                    }
                    kind = Some(k);
                    done = candidate;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    kind = None;
                    done = candidate;
                }
                Err(e) => {
                    let at = self.roots[root].path.join(&candidate);
                    return Err(FsError::io("resolve", at.display(), &e));
                }
            }
        }
        Ok(Target {
            root,
            rel: done,
            kind,
        })
    }

    /// This jail narrowed to the client's roots (`file://` URIs): a client root inside a
    /// configured root becomes a root; a configured root inside a client root stays. Roots
    /// outside every configured root are dropped, so narrowing never widens; when nothing is
    /// left, every path is refused.
    pub fn narrow(&self, client_roots: &[String]) -> Self {
        let mut roots: Vec<Root> = Vec::new();
        let push = |root: Root, roots: &mut Vec<Root>| {
            if !roots.iter().any(|r| r.path == root.path) {
                roots.push(root);
            }
        };
        for uri in client_roots {
            let Some(path) = file_uri_path(uri) else {
                continue;
            };
            let abs = normalize(&path);
            if let Some(text) = abs.to_str()
                && let Ok(t) = self.resolve("root", text, true)
                && t.kind == Some(Kind::Directory)
            {
                let canonical = self.abs(&t);
                let opened = if t.is_root() {
                    self.roots[t.root].dir.try_clone()
                } else {
                    self.roots[t.root].dir.open_dir(&t.rel)
                };
                if let Ok(dir) = opened {
                    push(Root::sub(canonical, abs.clone(), dir), &mut roots);
                }
            }
            for r in &self.roots {
                if r.aliases.iter().any(|a| a.starts_with(&abs)) {
                    push(r.duplicate(), &mut roots);
                }
            }
        }
        Self {
            roots,
            narrowed_by: Some(client_roots.to_vec()),
        }
    }

    /// Open `t` for reading: no symlink followed at the last component, never blocking on a
    /// FIFO; the caller checks the returned metadata (taken from the open file) for its type.
    pub(crate) fn open_read(&self, t: &Target) -> io::Result<(File, Metadata)> {
        let f = self.roots[t.root]
            .dir
            .open_with(cap_path(&t.rel), &read_options())?;
        let md = f.metadata()?;
        Ok((f, md))
    }

    /// Open the directory `t` (no symlink followed at the last component).
    pub(crate) fn open_dir(&self, t: &Target) -> io::Result<Dir> {
        let root = &self.roots[t.root].dir;
        if t.is_root() {
            root.try_clone()
        } else {
            root.open_dir_nofollow(&t.rel)
        }
    }

    /// A handle to the directory containing `t`, and `t`'s name in it: mutations act through
    /// these with single-name `*at` calls.
    pub(crate) fn parent(&self, arg: &str, t: &Target) -> Result<(Dir, OsString), FsError> {
        let Some(name) = t.rel.file_name() else {
            return Err(FsError::Refused(format!(
                "{arg} {} is an allowed root itself; it cannot be replaced, moved or deleted",
                self.abs(t).display()
            )));
        };
        let parent = t.rel.parent().unwrap_or(Path::new(""));
        let root = &self.roots[t.root].dir;
        let dir = if parent.as_os_str().is_empty() {
            root.try_clone()
        } else {
            root.open_dir_nofollow(parent)
        }
        .map_err(|e| FsError::io("open the directory of", self.abs(t).display(), &e))?;
        Ok((dir, name.to_os_string()))
    }

    /// Create `t` and its missing parents as directories.
    pub(crate) fn create_dir_all(&self, t: &Target) -> io::Result<()> {
        if t.is_root() {
            return Ok(());
        }
        self.roots[t.root].dir.create_dir_all(&t.rel)
    }
}

/// Options for opening a file to read: read-only, `O_NOFOLLOW`, `O_NONBLOCK`.
pub(crate) fn read_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true)
        .follow(FollowSymlinks::No)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    o
}

/// Read a whole regular file, refusing more than `limit` bytes.
pub(crate) fn read_limited(
    file: File,
    md: &Metadata,
    limit: u64,
    shown: &Path,
) -> Result<Vec<u8>, FsError> {
    if !md.is_file() {
        return Err(not_a_file(shown, md));
    }
    if md.len() > limit {
        return Err(FsError::TooLarge {
            what: shown.display().to_string(),
            size: md.len(),
            limit,
            var: "FS_MAX_READ_BYTES",
        });
    }
    let mut buf = Vec::with_capacity(md.len() as usize);
    file.into_std()
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FsError::io("read", shown.display(), &e))?;
    if buf.len() as u64 > limit {
        return Err(FsError::TooLarge {
            what: shown.display().to_string(),
            size: buf.len() as u64,
            limit,
            var: "FS_MAX_READ_BYTES",
        });
    }
    Ok(buf)
}

/// [`read_limited`] for a file already converted to `std`.
pub(crate) fn read_std_limited(
    file: std::fs::File,
    limit: u64,
    shown: &Path,
) -> Result<Vec<u8>, FsError> {
    let md = file
        .metadata()
        .map_err(|e| FsError::io("read", shown.display(), &e))?;
    read_limited(
        File::from_std(file),
        &Metadata::from_just_metadata(md),
        limit,
        shown,
    )
}

/// The error for something that is not a regular file.
pub(crate) fn not_a_file(shown: &Path, md: &Metadata) -> FsError {
    let what = if md.is_dir() {
        "a directory"
    } else {
        "not a regular file (device, socket or FIFO)"
    };
    FsError::Refused(format!("{} is {what}", shown.display()))
}

/// Whether an existing entry may be replaced when writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replace {
    /// Replace whatever is at the name (atomically).
    Yes,
    /// Fail if the name exists (`renameat2(RENAME_NOREPLACE)`), so a concurrent creation wins.
    No,
}

/// Write `data` to `name` in `dir` atomically: a new temporary file in the same directory,
/// written and synced, then renamed over the name. The rename replaces a symlink at `name`
/// rather than following it. `mode` sets the exact permission bits (an existing file's are
/// kept this way); without it a new file gets 0o666 minus the umask, as `open(2)` would.
pub(crate) fn write_atomic(
    dir: &Dir,
    name: &OsStr,
    data: &[u8],
    mode: Option<u32>,
    replace: Replace,
) -> io::Result<()> {
    let (tmp, mut file) = create_temp(dir, name, mode.unwrap_or(0o666))?;
    let result = (|| {
        if let Some(mode) = mode {
            // Exact bits before any data lands, so a private file is never briefly readable.
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.write_all(data)?;
        file.sync_all()?;
        drop(file);
        match replace {
            Replace::Yes => dir.rename(&tmp, dir, name),
            Replace::No => rustix::fs::renameat_with(
                dir,
                tmp.as_os_str(),
                dir,
                name,
                rustix::fs::RenameFlags::NOREPLACE,
            )
            .map_err(io::Error::from),
        }
    })();
    if result.is_err() {
        let _ = dir.remove_file(&tmp);
    } else {
        // Durability of the rename; a failure here does not undo the write.
        let _ = rustix::fs::fsync(dir);
    }
    result
}

/// A new, empty temporary file next to `name`: `.<name>.<unique>.tmp`, created with `mode`
/// (minus the umask) and `O_EXCL`, so it can never be an existing file or a symlink.
pub(crate) fn create_temp(
    dir: &Dir,
    name: &OsStr,
    mode: u32,
) -> io::Result<(PathBuf, std::fs::File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let stem: String = name.to_string_lossy().chars().take(64).collect();
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(mode);
    let mut last = io::Error::other("no temporary name was free");
    for _ in 0..16 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = PathBuf::from(format!(
            ".{stem}.{:x}{n:x}{nanos:x}.tmp",
            std::process::id()
        ));
        match dir.open_with(&tmp, &options) {
            Ok(f) => return Ok((tmp, f.into_std())),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// `rel`, or `.` for the root itself, as cap-std wants it.
pub(crate) fn cap_path(rel: &Path) -> &Path {
    if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    }
}

/// Fold `.` and `..` in an absolute path without touching the disk (`/..` is `/`).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::RootDir => out.push("/"),
            Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
        }
    }
    out
}

/// The local path of a `file://` URI.
pub(crate) fn file_uri_path(uri: &str) -> Option<PathBuf> {
    let url = url::Url::parse(uri).ok()?;
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

/// A path argument as a `PathBuf`, refusing what can only be a mistake or an attack.
fn parse_user_path(arg: &str, raw: &str) -> Result<PathBuf, FsError> {
    if raw.is_empty() {
        return Err(FsError::arg(arg, "the path is empty"));
    }
    if raw.contains('\0') {
        return Err(FsError::arg(arg, "the path contains a NUL byte"));
    }
    if raw.starts_with("file:") {
        return file_uri_path(raw)
            .ok_or_else(|| FsError::arg(arg, format!("{raw:?} is not a local file:// URI")));
    }
    if let Some((scheme, _)) = raw.split_once("://")
        && !scheme.is_empty()
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
    {
        return Err(FsError::arg(
            arg,
            format!("{raw} is a {scheme}:// URL; give a path or a file:// URI"),
        ));
    }
    let b = raw.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
    {
        return Err(FsError::arg(
            arg,
            format!("{raw}: Windows drive paths are not supported; give a POSIX path"),
        ));
    }
    if raw.starts_with('~') {
        return Err(FsError::arg(
            arg,
            format!("{raw}: `~` is not expanded; give an absolute path or one relative to a root"),
        ));
    }
    Ok(PathBuf::from(raw))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn jail(dirs: &[&Path]) -> Jail {
        Jail::new(dirs.iter().map(|d| Root::open(d).unwrap()).collect())
    }

    #[test]
    fn normalize_folds_dots_lexically() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), Path::new("/a/c"));
        assert_eq!(normalize(Path::new("/../../x")), Path::new("/x"));
        assert_eq!(normalize(Path::new("/a/b/../../..")), Path::new("/"));
    }

    #[test]
    fn roots_match_by_component_not_by_prefix() {
        let tmp = tempfile::tempdir().unwrap();
        let app = tmp.path().join("app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::create_dir_all(tmp.path().join("app2")).unwrap();
        let j = jail(&[&app]);
        let app2 = tmp.path().join("app2/secret");
        let e = j.locate("path", app2.to_str().unwrap()).unwrap_err();
        assert!(e.to_string().contains("escapes the allowed roots"), "{e}");
        let (_, rel) = j
            .locate("path", app.join("x/../y").to_str().unwrap())
            .unwrap();
        assert_eq!(rel, Path::new("y"));
        assert!(j.locate("path", "../app2").is_err());
        assert!(j.locate("path", "a/../../app2").is_err());
        assert_eq!(j.locate("path", "a/./b/..").unwrap().1, Path::new("a"));
    }

    #[test]
    fn bad_path_arguments_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let j = jail(&[tmp.path()]);
        for (raw, needle) in [
            ("", "empty"),
            ("a\0b", "NUL"),
            ("C:\\Windows", "Windows"),
            ("~/x", "not expanded"),
            ("http://x/y", "is a http:// URL"),
        ] {
            let e = j.locate("path", raw).unwrap_err().to_string();
            assert!(e.starts_with("invalid path"), "{e}");
            assert!(e.contains(needle), "{raw:?}: {e}");
        }
        let uri = format!("file://{}/f.txt", tmp.path().display());
        assert_eq!(j.locate("path", &uri).unwrap().1, Path::new("f.txt"));
    }

    #[test]
    fn symlinks_are_followed_inside_and_refused_outside() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(root.join("real/deep")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "s").unwrap();
        std::fs::write(root.join("real/deep/f"), "f").unwrap();
        std::os::unix::fs::symlink("real/deep", root.join("inside")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("abs_out")).unwrap();
        std::os::unix::fs::symlink("../outside", root.join("rel_out")).unwrap();
        std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
        let j = jail(&[&root]);

        let t = j.resolve("path", "inside/f", true).unwrap();
        assert_eq!(t.rel, Path::new("real/deep/f"));
        assert_eq!(t.kind, Some(Kind::File));
        let t = j.resolve("path", "inside", false).unwrap();
        assert_eq!(t.kind, Some(Kind::Symlink));

        for raw in ["abs_out/secret", "rel_out/secret", "abs_out", "rel_out/new"] {
            let e = j.resolve("path", raw, true).unwrap_err().to_string();
            assert!(e.contains("points outside the allowed roots"), "{raw}: {e}");
            assert!(
                e.contains(outside.file_name().unwrap().to_str().unwrap()),
                "{e}"
            );
        }
        let e = j.resolve("path", "loop", true).unwrap_err().to_string();
        assert!(e.contains("too many levels"), "{e}");

        let t = j.resolve("path", "real/new/file", true).unwrap();
        assert_eq!(t.kind, None);
        assert_eq!(t.rel, Path::new("real/new/file"));
        let e = j
            .resolve("path", "real/deep/f/x", true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a directory"), "{e}");
    }

    #[test]
    fn a_link_into_another_root_is_allowed() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("f"), "b").unwrap();
        std::os::unix::fs::symlink(&b, a.join("to_b")).unwrap();
        let j = jail(&[&a, &b]);
        let t = j.resolve("path", "to_b/f", true).unwrap();
        assert_eq!(t.root, 1);
        assert_eq!(j.abs(&t), j.roots()[1].path.join("f"));
    }

    #[test]
    fn cap_std_refuses_an_escape_even_without_the_check() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(tmp.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret"), root.join("out")).unwrap();
        let j = jail(&[&root]);
        let raw = Target {
            root: 0,
            rel: PathBuf::from("out"),
            kind: None,
        };
        assert!(j.open_read(&raw).is_err());
        let dotdot = Target {
            root: 0,
            rel: PathBuf::from("../secret"),
            kind: None,
        };
        let e = j.open_read(&dotdot).unwrap_err();
        assert!(crate::error::describe(&e).contains("outside"), "{e}");
    }

    #[test]
    fn narrowing_keeps_only_the_intersection() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
        let j = jail(&[&root]);
        let sub = format!("file://{}/sub", root.display());
        let n = j.narrow(&[sub]);
        assert_eq!(n.roots().len(), 1);
        assert!(n.roots()[0].path.ends_with("sub"));
        assert!(n.locate("path", root.to_str().unwrap()).is_err());
        assert!(n.resolve("path", "deeper", true).unwrap().kind.is_some());

        let wider = format!("file://{}", tmp.path().display());
        assert_eq!(j.narrow(&[wider]).roots()[0].path, j.roots()[0].path);
        let none = j.narrow(&["file:///somewhere/else".to_owned()]);
        assert!(none.roots().is_empty());
        assert!(none.locate("path", "x").is_err());
    }

    #[test]
    fn atomic_write_replaces_a_symlink_instead_of_following_it() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(tmp.path().join("victim"), "keep").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("victim"), root.join("link")).unwrap();
        let j = jail(&[&root]);
        let dir = j.roots()[0].dir();
        write_atomic(dir, OsStr::new("link"), b"new", None, Replace::Yes).unwrap();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("victim")).unwrap(),
            "keep"
        );
        assert_eq!(std::fs::read_to_string(root.join("link")).unwrap(), "new");
        let e = write_atomic(dir, OsStr::new("link"), b"x", None, Replace::No).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        let leftovers: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files left behind");
    }
}
