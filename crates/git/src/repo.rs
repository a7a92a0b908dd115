//! Finding a repository for a call and keeping every path inside it.
//!
//! A repository is opened only when its working tree *and* its `.git` directory resolve (symbolic
//! links and `..` included) inside one of `GIT_BASE_DIRS`; the comparison is by path components,
//! so `/srv/repos2` is not inside `/srv/repos` (the original's string-prefix check let it through).
//! File arguments are resolved against the working tree the same way and must not reach `.git`.

use std::path::{Component, Path, PathBuf};

use git2::{Repository, RepositoryOpenFlags};

use crate::{
    config::GitConfig,
    error::{GitContext, GitError},
    rules::{BASE_DIRECTORIES, PATH_CONTAINMENT, check_arg},
};

/// An opened repository and where it lives.
pub struct Repo {
    /// The libgit2 handle.
    pub git: Repository,
    /// Canonical working tree (the repository directory for a bare repository).
    pub root: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("root", &self.root).finish()
    }
}

/// Whether canonical `path` lies inside (or is) one of the canonical `bases`.
pub fn inside_bases(path: &Path, bases: &[PathBuf]) -> bool {
    bases.iter().any(|b| path.starts_with(b))
}

/// The directory a call means: `repo_path` (absolute, or relative to the first base directory),
/// else `GIT_REPO_PATH`; canonicalized and checked against the base directories.
pub fn resolve_dir(config: &GitConfig, repo_path: Option<&str>) -> Result<PathBuf, GitError> {
    let raw: PathBuf = match repo_path {
        Some(p) => {
            check_arg("repo_path", p)?;
            PathBuf::from(p)
        }
        None => config.default_repo.clone().ok_or_else(|| {
            GitError::arg(
                "repo_path",
                "missing: pass repo_path (the repository's directory) or have the operator set GIT_REPO_PATH",
            )
        })?,
    };
    let joined = if raw.is_absolute() {
        raw.clone()
    } else {
        match config.base_dirs.first() {
            Some(b) => b.join(&raw),
            None => raw.clone(),
        }
    };
    let canonical = joined
        .canonicalize()
        .map_err(|e| GitError::arg("repo_path", format!("{}: {e}", raw.display())))?;
    if !inside_bases(&canonical, &config.base_dirs) {
        return Err(outside_bases(&raw, config));
    }
    Ok(canonical)
}

fn outside_bases(raw: &Path, config: &GitConfig) -> GitError {
    let bases: Vec<String> = config
        .base_dirs
        .iter()
        .map(|b| b.display().to_string())
        .collect();
    GitError::refused(
        &BASE_DIRECTORIES,
        format!(
            "repository path {} is outside the allowed base directories ({})",
            raw.display(),
            bases.join(", ")
        ),
        BASE_DIRECTORIES.remedy,
    )
}

/// Open the repository at `dir` (already resolved by [`resolve_dir`]); no search of parent
/// directories, and the `.git` directory must be inside the base directories too.
pub fn open_dir(config: &GitConfig, dir: &Path) -> Result<Repo, GitError> {
    let git = Repository::open_ext(
        dir,
        RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&str>(),
    )
    .map_err(|e| {
        if e.code() == git2::ErrorCode::Owner {
            GitError::arg(
                "repo_path",
                format!(
                    "{} belongs to another user, and libgit2 opens it only when the server user's global git \
                     config lists it under safe.directory ($HOME/.gitconfig or $XDG_CONFIG_HOME/git/config); \
                     ask the operator",
                    dir.display()
                ),
            )
        } else {
            GitError::arg(
                "repo_path",
                format!("{} is not a git repository ({})", dir.display(), e.message()),
            )
        }
    })?;
    let gitdir = git
        .path()
        .canonicalize()
        .map_err(|e| GitError::arg("repo_path", format!("cannot resolve its .git: {e}")))?;
    if !inside_bases(&gitdir, &config.base_dirs) {
        return Err(outside_bases(&gitdir, config));
    }
    let root = match git.workdir() {
        Some(w) => w.canonicalize().map_err(|e| {
            GitError::arg("repo_path", format!("cannot resolve its working tree: {e}"))
        })?,
        None => gitdir.clone(),
    };
    if !inside_bases(&root, &config.base_dirs) {
        return Err(outside_bases(&root, config));
    }
    Ok(Repo { git, root })
}

/// [`resolve_dir`] then [`open_dir`].
pub fn open(config: &GitConfig, repo_path: Option<&str>) -> Result<Repo, GitError> {
    let dir = resolve_dir(config, repo_path)?;
    open_dir(config, &dir)
}

impl Repo {
    /// Re-read state a reused handle may hold stale: the index (forced, so a change by another
    /// handle or by git itself within the same timestamp is never missed).
    pub fn refresh(&self) -> Result<(), GitError> {
        if self.git.is_bare() {
            return Ok(());
        }
        self.git
            .index()
            .and_then(|mut i| i.read(true))
            .git("re-reading the index")
    }

    /// The working tree, or an error naming the tool for a bare repository.
    pub fn workdir(&self) -> Result<&Path, GitError> {
        self.git
            .workdir()
            .map(|_| self.root.as_path())
            .ok_or_else(|| {
                GitError::arg(
                    "repo_path",
                    format!(
                        "{} is a bare repository: this tool needs a working tree",
                        self.root.display()
                    ),
                )
            })
    }

    /// Resolve a file argument to a path relative to the working tree (with `/` separators);
    /// `.` (or the root itself) gives `""`. Refuses anything that leaves the tree or enters `.git`.
    pub fn relative_path(&self, arg: &'static str, path: &str) -> Result<String, GitError> {
        check_arg(arg, path)?;
        let root = self.workdir()?;
        let given = Path::new(path);
        let joined = if given.is_absolute() {
            given.to_path_buf()
        } else {
            root.join(given)
        };
        // Lexical normalisation first: `..` may not climb above the root.
        let mut normal = PathBuf::new();
        for c in joined.components() {
            match c {
                Component::ParentDir => {
                    if !normal.pop() {
                        return Err(escape(arg, path));
                    }
                }
                Component::CurDir => {}
                other => normal.push(other.as_os_str()),
            }
        }
        // Then the real location: the longest existing ancestor, symbolic links resolved.
        let mut existing = normal.as_path();
        let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
        let resolved = loop {
            if let Ok(real) = existing.canonicalize() {
                let mut real = real;
                for part in rest.iter().rev() {
                    real.push(part);
                }
                break real;
            }
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name);
                    existing = parent;
                }
                _ => return Err(escape(arg, path)),
            }
        };
        // A symbolic link inside the tree is a file git tracks as a link: judge the link, not
        // its target, when the link itself is what was named.
        let lexical_inside = normal.starts_with(root);
        let target_inside = resolved.starts_with(root);
        let is_link = std::fs::symlink_metadata(&normal).is_ok_and(|m| m.file_type().is_symlink());
        let parent_inside = normal
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p.starts_with(root));
        if !(target_inside || (is_link && lexical_inside && parent_inside)) {
            return Err(escape(arg, path));
        }
        let rel = if target_inside {
            resolved
                .strip_prefix(root)
                .unwrap_or(Path::new(""))
                .to_path_buf()
        } else {
            normal
                .strip_prefix(root)
                .unwrap_or(Path::new(""))
                .to_path_buf()
        };
        if rel
            .components()
            .next()
            .is_some_and(|c| c.as_os_str() == ".git")
        {
            return Err(GitError::refused(
                &PATH_CONTAINMENT,
                format!("{arg} {path:?} points into .git"),
                PATH_CONTAINMENT.remedy,
            ));
        }
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Ok(parts.join("/"))
    }

    /// Refuse a remote whose URL is a local path outside the base directories.
    pub fn check_remote(&self, config: &GitConfig, name: &str) -> Result<String, GitError> {
        check_arg("remote", name)?;
        let remote = self.git.find_remote(name).map_err(|_| {
            let known: Vec<String> = self
                .git
                .remotes()
                .map(|r| r.iter().flatten().flatten().map(str::to_owned).collect())
                .unwrap_or_default();
            GitError::arg(
                "remote",
                format!(
                    "no remote named {name:?} (remotes: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            )
        })?;
        let url = remote.url().git("reading the remote URL")?.to_owned();
        if let Some(path) = local_remote_path(&url, &self.root) {
            let real = path.canonicalize().map_err(|e| {
                GitError::arg(
                    "remote",
                    format!("remote {name} points at {}: {e}", path.display()),
                )
            })?;
            if !inside_bases(&real, &config.base_dirs) {
                return Err(GitError::refused(
                    &BASE_DIRECTORIES,
                    format!(
                        "remote {name} is a local repository outside the base directories ({})",
                        real.display()
                    ),
                    BASE_DIRECTORIES.remedy,
                ));
            }
        }
        Ok(url)
    }
}

/// The local path of a remote URL (`file://…`, an absolute or relative path), else `None`.
pub fn local_remote_path(url: &str, root: &Path) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        return Some(PathBuf::from(rest));
    }
    if url.contains("://") {
        return None;
    }
    // scp-like `host:path` has a colon before any slash.
    if let Some(colon) = url.find(':')
        && !url[..colon].contains('/')
    {
        return None;
    }
    let p = Path::new(url);
    Some(if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    })
}

/// Hide credentials in a URL before it is shown (`https://user:pw@host` → `https://***@host`).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_password(None);
            let _ = u.set_username("***");
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn escape(arg: &'static str, path: &str) -> GitError {
    GitError::refused(
        &PATH_CONTAINMENT,
        format!("{arg} {path:?} escapes the repository"),
        PATH_CONTAINMENT.remedy,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, GitConfig, Repo) {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("repo");
        Repository::init(&dir).unwrap();
        std::fs::write(dir.join("a.txt"), "a").unwrap();
        let config = GitConfig::for_base_dirs(&[base.path()]);
        let repo = open(&config, Some(dir.to_str().unwrap())).unwrap();
        (base, config, repo)
    }

    #[test]
    fn opens_inside_and_refuses_outside_the_bases() {
        let (base, config, _) = setup();
        assert!(
            open(&config, Some("repo")).is_ok(),
            "relative to the first base"
        );
        let outside = tempfile::tempdir().unwrap();
        Repository::init(outside.path()).unwrap();
        let e = open(&config, Some(outside.path().to_str().unwrap())).unwrap_err();
        assert_eq!(e.rule_id(), Some("base-directories"), "{e}");
        let e = open(&config, Some("repo/../../")).unwrap_err();
        assert_eq!(e.rule_id(), Some("base-directories"), "{e}");
        // A sibling whose name merely starts with the base's name is outside.
        let sibling = PathBuf::from(format!("{}2", base.path().display()));
        std::fs::create_dir_all(&sibling).unwrap();
        Repository::init(&sibling).unwrap();
        let e = open(&config, Some(sibling.to_str().unwrap())).unwrap_err();
        assert_eq!(e.rule_id(), Some("base-directories"), "{e}");
        std::fs::remove_dir_all(&sibling).unwrap();
    }

    #[test]
    fn a_symlink_to_an_outside_repository_is_refused() {
        let (base, config, _) = setup();
        let outside = tempfile::tempdir().unwrap();
        Repository::init(outside.path()).unwrap();
        std::os::unix::fs::symlink(outside.path(), base.path().join("link")).unwrap();
        let e = open(&config, Some("link")).unwrap_err();
        assert_eq!(e.rule_id(), Some("base-directories"), "{e}");
    }

    #[test]
    fn missing_repo_path_without_default_names_the_argument() {
        let (_base, config, _) = setup();
        let e = open(&config, None).unwrap_err().to_string();
        assert!(e.starts_with("invalid repo_path: missing"), "{e}");
        let e = open(&config, Some("not-there")).unwrap_err().to_string();
        assert!(e.starts_with("invalid repo_path"), "{e}");
    }

    #[test]
    fn relative_paths_stay_in_the_tree() {
        let (base, _config, repo) = setup();
        assert_eq!(repo.relative_path("files", "a.txt").unwrap(), "a.txt");
        assert_eq!(
            repo.relative_path("files", "./sub/../a.txt").unwrap(),
            "a.txt"
        );
        assert_eq!(
            repo.relative_path("files", "new/dir/file").unwrap(),
            "new/dir/file"
        );
        assert_eq!(repo.relative_path("files", ".").unwrap(), "");
        let abs = repo.root.join("a.txt");
        assert_eq!(
            repo.relative_path("files", abs.to_str().unwrap()).unwrap(),
            "a.txt"
        );
        for bad in ["../x", "../../etc/passwd", "/etc/passwd", "sub/../../x"] {
            let e = repo.relative_path("files", bad).unwrap_err();
            assert_eq!(e.rule_id(), Some("path-containment"), "{bad}: {e}");
        }
        let e = repo.relative_path("files", ".git/config").unwrap_err();
        assert!(e.to_string().contains("points into .git"), "{e}");
        let e = repo.relative_path("files", "-rf").unwrap_err();
        assert_eq!(e.rule_id(), Some("no-flag-arguments"));
        // A symbolic link leading out of the tree is refused for paths beneath it.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path(), repo.root.join("out")).unwrap();
        let e = repo.relative_path("files", "out/secret").unwrap_err();
        assert_eq!(e.rule_id(), Some("path-containment"), "{e}");
        // The link itself is a file git tracks, so naming it is fine.
        assert_eq!(repo.relative_path("files", "out").unwrap(), "out");
        // A link back into the tree resolves to the file it names.
        std::os::unix::fs::symlink(base.path(), repo.root.join("up")).unwrap();
        assert_eq!(
            repo.relative_path("files", "up/repo/a.txt").unwrap(),
            "a.txt"
        );
    }

    #[test]
    fn local_remote_paths_are_recognised() {
        let root = Path::new("/r");
        assert_eq!(
            local_remote_path("/srv/x.git", root),
            Some(PathBuf::from("/srv/x.git"))
        );
        assert_eq!(
            local_remote_path("file:///srv/x.git", root),
            Some(PathBuf::from("/srv/x.git"))
        );
        assert_eq!(
            local_remote_path("../x.git", root),
            Some(PathBuf::from("/r/../x.git"))
        );
        assert_eq!(local_remote_path("https://github.com/a/b", root), None);
        assert_eq!(local_remote_path("git@github.com:a/b.git", root), None);
        assert_eq!(
            redact_url("https://u:p@h.example/x"),
            "https://***@h.example/x"
        );
        assert_eq!(redact_url("https://h.example/x"), "https://h.example/x");
    }
}
