//! Index tools: `git_add` (shared by both contracts), `git_reset`, `git_commit` (mcp-server-git)
//! and `git_smart_commit` (the original fleet).
//!
//! Both contracts' `git_add` are served by one schema: `files` is optional (the original's "none
//! or empty means everything"), and `["."]` stages everything as in mcp-server-git. Every path is
//! checked to stay inside the working tree, and staging is refused off feature branches
//! (Protocol 101). `git_commit` and `git_smart_commit` enforce the same rules (no commit on main
//! or off a feature branch, no empty commit, the Protocol 122 high-risk check) so neither is a way
//! around the other; they differ in the text they answer with.

use std::collections::HashMap;

use git2::{IndexAddOption, Oid};
use rmcp::{handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    config::GitConfig,
    error::{GitContext, GitError},
    ops::{commit_index, head_commit, short},
    reply::{Reply, schema},
    repo::Repo,
    rules::{self, NO_EMPTY_COMMIT, RiskFinding, check_arg, require_feature_branch},
    server::GitServer,
};

/// Most paths one `git_add` call takes.
pub(crate) const MAX_ADD_PATHS: usize = 10_000;

/// Longest commit message accepted, in bytes.
pub(crate) const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Arguments of `git_add`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AddArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Paths to stage, relative to the repository root (files or directories; deletions are
    /// staged too). Omitted, empty or ["."] stages every change (`git add -A`).
    #[serde(default)]
    pub files: Option<Vec<String>>,
}

/// Result of `git_add`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AddOutput {
    /// The branch staged on.
    pub branch: String,
    /// Paths whose index entry this call changed (added, updated or removed).
    pub staged: Vec<String>,
    /// How many.
    pub count: usize,
}

/// Arguments of tools that take only the repository.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RepoArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
}

/// Result of `git_reset`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ResetOutput {
    /// Paths that were staged and no longer are.
    pub unstaged: Vec<String>,
    /// How many.
    pub count: usize,
}

/// Arguments of `git_commit` and `git_smart_commit`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CommitArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Commit message (first line = summary; at most 64 KiB). The author comes from the server's environment.
    pub message: String,
}

/// Result of a commit.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CommitOutput {
    /// Full id of the new commit.
    pub hash: String,
    /// Abbreviated id.
    pub short_hash: String,
    /// The branch it was made on.
    pub branch: String,
    /// First line of the message.
    pub summary: String,
    /// Author as recorded (`name <email>`, from the environment).
    pub author: String,
    /// Files changed by the commit.
    pub files_changed: usize,
    /// High-risk files that were checked and passed (Protocol 122).
    pub high_risk_checked: Vec<RiskFinding>,
}

#[tool_router(router = index_tools, vis = "pub(crate)")]
impl GitServer {
    /// Stage file contents for the next commit (serves mcp-server-git's and the original fleet's
    /// `git_add`): the listed paths, or everything when `files` is omitted, empty or ["."];
    /// deletions are staged too. Refused on main and off feature/ branches (Protocol 101), for
    /// paths outside the repository or inside .git, and for arguments starting with '-'.
    /// Example: `{"repo_path": "/repos/app", "files": ["src/lib.rs", "README.md"]}`.
    #[tool(
        output_schema = schema::<AddOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_add(
        &self,
        Parameters(args): Parameters<AddArgs>,
    ) -> Result<Reply<AddOutput>, GitError> {
        let audit = json!({ "files": args.files });
        self.write(
            "git_add",
            args.repo_path,
            audit,
            None,
            move |repo, config, _| {
                let out = add(repo, config, args.files.as_deref().unwrap_or_default())?;
                let text = if out.count == 0 {
                    format!(
                        "No changes were staged on {} (the listed paths have no changes).",
                        out.branch
                    )
                } else {
                    format!(
                        "Changes staged successfully: staged {} file(s) on {}: {}",
                        out.count,
                        out.branch,
                        out.staged.join(", ")
                    )
                };
                Ok(Reply::new(text, out))
            },
        )
        .await
    }

    /// Unstage all staged changes (the index goes back to HEAD; the working tree is untouched).
    /// Example: `{"repo_path": "/repos/app"}`.
    #[tool(
        output_schema = schema::<ResetOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_reset(
        &self,
        Parameters(args): Parameters<RepoArgs>,
    ) -> Result<Reply<ResetOutput>, GitError> {
        self.write(
            "git_reset",
            args.repo_path,
            json!({}),
            None,
            |repo, _, _| {
                let out = reset(repo)?;
                let text = if out.count == 0 {
                    "Nothing was staged; the index already matches HEAD.".to_owned()
                } else {
                    format!("All staged changes reset ({} path(s) unstaged)", out.count)
                };
                Ok(Reply::new(text, out))
            },
        )
        .await
    }

    /// Record the staged changes as a commit (mcp-server-git's `git_commit`), with the author from
    /// the server's environment. Refused on main and off feature/ branches, when nothing is staged
    /// (no empty commits), and when a staged high-risk file (.gitignore, .env, Dockerfile,
    /// package.json, ...) loses more than twice the lines it gains or gains a secret
    /// (Protocol 122). Concludes a merge in progress. Example:
    /// `{"repo_path": "/repos/app", "message": "Fix the login redirect"}`.
    #[tool(
        output_schema = schema::<CommitOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn git_commit(
        &self,
        Parameters(args): Parameters<CommitArgs>,
    ) -> Result<Reply<CommitOutput>, GitError> {
        self.commit_tool("git_commit", args, |out| {
            format!("Changes committed successfully with hash {}", out.hash)
        })
        .await
    }

    /// Commit the staged changes after the Protocol 101/122 checks (the original fleet's
    /// `git_smart_commit`): feature/ branch only (never main), something staged, and the
    /// high-risk-file check (heavy deletions or secret-looking additions in .gitignore, .env,
    /// .env.local, Dockerfile, package.json block the commit). Author from the environment.
    /// Example: `{"message": "feat: add the login page"}`.
    #[tool(
        output_schema = schema::<CommitOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn git_smart_commit(
        &self,
        Parameters(args): Parameters<CommitArgs>,
    ) -> Result<Reply<CommitOutput>, GitError> {
        self.commit_tool("git_smart_commit", args, |out| {
            format!(
                "Commit successful. Hash: {} on {} ({} file(s) changed)",
                out.hash, out.branch, out.files_changed
            )
        })
        .await
    }
}

impl GitServer {
    /// `git_commit` and `git_smart_commit`: the same audited commit, answered with `text`.
    async fn commit_tool(
        &self,
        tool: &'static str,
        args: CommitArgs,
        text: fn(&CommitOutput) -> String,
    ) -> Result<Reply<CommitOutput>, GitError> {
        let audit = json!({ "message": args.message });
        self.write(tool, args.repo_path, audit, None, move |repo, config, _| {
            let out = commit(repo, config, &args.message)?;
            Ok(Reply::new(text(&out), out))
        })
        .await
    }
}

fn index_snapshot(index: &git2::Index) -> HashMap<Vec<u8>, (Oid, u32)> {
    index
        .iter()
        .map(|e| (e.path.clone(), (e.id, e.mode)))
        .collect()
}

/// Stage `files` (all changes when empty or `["."]`) on the current feature branch.
pub(crate) fn add(
    repo: &Repo,
    config: &GitConfig,
    files: &[String],
) -> Result<AddOutput, GitError> {
    if files.len() > MAX_ADD_PATHS {
        return Err(GitError::arg(
            "files",
            format!(
                "{} paths is more than {MAX_ADD_PATHS}; stage a directory instead",
                files.len()
            ),
        ));
    }
    let branch = require_feature_branch(&repo.git, &config.main_branch, "staging")?;
    repo.workdir()?;
    let mut specs = Vec::new();
    for f in files {
        let rel = repo.relative_path("files", f)?;
        if rel.is_empty() {
            specs.clear();
            break;
        }
        specs.push(rel);
    }
    let all = specs.is_empty();
    let mut index = repo.git.index().git("reading the index")?;
    let before = index_snapshot(&index);
    // Paths are literal: glob characters are escaped, so `star*.txt` names one file; a directory
    // stages what is beneath it.
    let pathspecs: Vec<String> = if all {
        vec!["*".to_owned()]
    } else {
        specs.iter().map(|s| escape_glob(s)).collect()
    };
    if !all {
        for s in &specs {
            let exists = repo.root.join(s).symlink_metadata().is_ok();
            let tracked = index
                .iter()
                .any(|e| e.path == s.as_bytes() || e.path.starts_with(format!("{s}/").as_bytes()));
            if !exists && !tracked {
                return Err(GitError::arg(
                    "files",
                    format!("{s:?} matches no file in the repository"),
                ));
            }
        }
    }
    index
        .add_all(pathspecs.iter(), IndexAddOption::DEFAULT, None)
        .git("staging the files")?;
    index
        .update_all(pathspecs.iter(), None)
        .git("staging deletions")?;
    index.write().git("writing the index")?;
    let after = index_snapshot(&index);
    let mut staged: Vec<String> = after
        .iter()
        .filter(|(p, v)| before.get(*p) != Some(v))
        .map(|(p, _)| String::from_utf8_lossy(p).into_owned())
        .chain(
            before
                .keys()
                .filter(|p| !after.contains_key(*p))
                .map(|p| String::from_utf8_lossy(p).into_owned()),
        )
        .collect();
    staged.sort();
    Ok(AddOutput {
        branch,
        count: staged.len(),
        staged,
    })
}

/// Escape libgit2's pathspec glob characters so a path matches only itself (and what is beneath it).
pub(crate) fn escape_glob(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Unstage everything: index entries that differ from HEAD go back to HEAD's.
pub(crate) fn reset(repo: &Repo) -> Result<ResetOutput, GitError> {
    let git = &repo.git;
    let head = head_commit(git)?;
    let tree = match &head {
        Some(c) => Some(c.tree().git("reading HEAD's tree")?),
        None => None,
    };
    let diff = git
        .diff_tree_to_index(tree.as_ref(), None, None)
        .git("diffing HEAD against the index")?;
    let mut paths: Vec<String> = Vec::new();
    for d in diff.deltas() {
        for f in [d.old_file(), d.new_file()] {
            if let Some(p) = f.path() {
                let p = p.to_string_lossy().into_owned();
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
    }
    if !paths.is_empty() {
        match &head {
            Some(c) => git
                .reset_default(Some(c.as_object()), paths.iter())
                .git("resetting the index")?,
            None => {
                let mut index = git.index().git("reading the index")?;
                index.clear().git("clearing the index")?;
                index.write().git("writing the index")?;
            }
        }
    }
    paths.sort();
    Ok(ResetOutput {
        count: paths.len(),
        unstaged: paths,
    })
}

/// Check a commit message: non-empty, bounded, not option-like.
pub(crate) fn check_message(message: &str) -> Result<(), GitError> {
    check_arg("message", message)?;
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(GitError::arg(
            "message",
            format!("{} bytes is more than {MAX_MESSAGE_BYTES}", message.len()),
        ));
    }
    Ok(())
}

/// Commit the index after every rule: feature branch, something staged, high-risk files.
pub(crate) fn commit(
    repo: &Repo,
    config: &GitConfig,
    message: &str,
) -> Result<CommitOutput, GitError> {
    check_message(message)?;
    let git = &repo.git;
    let branch = require_feature_branch(git, &config.main_branch, "committing")?;
    let mut index = git.index().git("reading the index")?;
    if index.has_conflicts() {
        return Err(GitError::arg(
            "repo_path",
            "the index has unresolved merge conflicts: resolve them and git_add the files first",
        ));
    }
    let tree_id = index.write_tree().git("writing the index as a tree")?;
    let head = head_commit(git)?;
    let merging = git.state() == git2::RepositoryState::Merge;
    let files_changed = {
        let old = match &head {
            Some(c) => Some(c.tree().git("reading HEAD's tree")?),
            None => None,
        };
        let new = git.find_tree(tree_id).git("reading the staged tree")?;
        git.diff_tree_to_tree(old.as_ref(), Some(&new), None)
            .git("diffing the staged tree")?
            .deltas()
            .len()
    };
    if files_changed == 0 && !merging {
        return Err(GitError::refused(
            &NO_EMPTY_COMMIT,
            "no changes staged for commit",
            "stage changes with git_add first (git_get_status shows what changed)",
        ));
    }
    let findings = rules::check_high_risk(git, &config.high_risk_files)?;
    let oid = commit_index(git, config, message)?;
    let id = &config.identity;
    Ok(CommitOutput {
        hash: oid.to_string(),
        short_hash: short(oid),
        branch,
        summary: message.lines().next().unwrap_or("").to_owned(),
        author: format!("{} <{}>", id.author_name, id.author_email),
        files_changed,
        high_risk_checked: findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{repo_with, write};

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(escape_glob("star*.txt"), "star\\*.txt");
        assert_eq!(escape_glob("a[1]?.md"), "a\\[1\\]\\?.md");
        assert_eq!(escape_glob("plain/dir"), "plain/dir");
    }

    #[test]
    fn add_stages_changes_and_deletions_on_a_feature_branch_only() {
        let (_base, config, repo) = repo_with(&[("a.txt", "a\n"), ("b.txt", "b\n")]);
        write(&repo.git, &[("a.txt", "changed\n"), ("c.txt", "c\n")]);
        std::fs::remove_file(repo.root.join("b.txt")).unwrap();
        let e = add(&repo, &config, &[]).unwrap_err();
        assert_eq!(e.rule_id(), Some("protected-branch"));
        let head = repo.git.head().unwrap().peel_to_commit().unwrap();
        repo.git.branch("feature/task-1-add", &head, false).unwrap();
        repo.git.set_head("refs/heads/feature/task-1-add").unwrap();
        let out = add(&repo, &config, &[]).unwrap();
        assert_eq!(out.staged, ["a.txt", "b.txt", "c.txt"]);
        let again = add(&repo, &config, &["a.txt".to_owned()]).unwrap();
        assert_eq!(again.count, 0);
        let c = commit(&repo, &config, "all of it").unwrap();
        assert_eq!(c.files_changed, 3);
        let e = commit(&repo, &config, "again").unwrap_err();
        assert_eq!(e.rule_id(), Some("no-empty-commit"));
        let r = reset(&repo).unwrap();
        assert_eq!(r.count, 0);
    }
}
