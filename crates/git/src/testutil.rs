//! Unit-test helpers: small real repositories built with libgit2 in temp directories.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use git2::{Oid, Repository, Signature};

use crate::{config::GitConfig, repo::Repo};

/// A repository on `main` with one commit of `files`, inside its own base directory.
pub(crate) fn repo_with(files: &[(&str, &str)]) -> (tempfile::TempDir, GitConfig, Repo) {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("r");
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    Repository::init_opts(&dir, &opts).unwrap();
    let config = GitConfig::for_base_dirs(&[base.path()]);
    let repo = crate::repo::open(&config, Some(dir.to_str().unwrap())).unwrap();
    commit_files(&repo.git, files, "initial");
    (base, config, repo)
}

/// Write `files` into the working tree, stage everything and commit on HEAD.
pub(crate) fn commit_files(git: &Repository, files: &[(&str, &str)], message: &str) -> Oid {
    write(git, files);
    let mut index = git.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = git.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("Unit", "unit@example.invalid").unwrap();
    let parent = git.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    git.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}

/// Write `files` into the working tree.
pub(crate) fn write(git: &Repository, files: &[(&str, &str)]) {
    let root = git.workdir().unwrap();
    for (path, content) in files {
        let p: &Path = &root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

/// Stage `paths` with libgit2.
pub(crate) fn stage(git: &Repository, paths: &[&str]) {
    let mut index = git.index().unwrap();
    for p in paths {
        if git.workdir().unwrap().join(p).exists() {
            index.add_path(Path::new(p)).unwrap();
        } else {
            index.remove_path(Path::new(p)).unwrap();
        }
    }
    index.write().unwrap();
}
