//! Status tools: `git_status` (mcp-server-git) and `git_get_status` (the original fleet).
//!
//! Both read the same [`StatusOutput`]; they differ only in the text they print. The original
//! parsed `git status --porcelain` and counted as staged only `M` and `A`, so staged deletions and
//! renames vanished; here every index and working-tree change is classified from libgit2's status
//! flags, with rename detection on both sides.

use git2::{BranchType, Repository, Status, StatusOptions};
use rmcp::{handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::{
    error::{GitContext, GitError},
    ops::short,
    reply::{Reply, schema},
    repo::Repo,
    rules::current_branch,
    server::GitServer,
};

/// Most entries listed per category; counts stay exact.
pub(crate) const MAX_LISTED: usize = 1000;

/// Arguments of the status tools.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct StatusArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
}

/// A staged change.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct StagedChange {
    /// Path in the index.
    pub path: String,
    /// added, modified, deleted, renamed or typechange.
    pub change: String,
    /// Former path of a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
}

/// A rename, staged or in the working tree.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct Rename {
    /// Old path.
    pub from: String,
    /// New path.
    pub to: String,
    /// Whether the rename is staged.
    pub staged: bool,
}

/// The state of a repository's working tree, index and branch.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct StatusOutput {
    /// Current branch (`null` when HEAD is detached).
    pub branch: Option<String>,
    /// Whether HEAD is detached.
    pub detached: bool,
    /// Short id of HEAD's commit (`null` before the first commit).
    pub head: Option<String>,
    /// The branch compared with for ahead/behind: its upstream, else `<remote>/<branch>`.
    pub upstream: Option<String>,
    /// Commits on the branch that the upstream lacks.
    pub ahead: usize,
    /// Commits on the upstream that the branch lacks.
    pub behind: usize,
    /// Staged changes, each with its kind (deletions and renames included).
    pub staged: Vec<StagedChange>,
    /// Modified in the working tree, not staged.
    pub modified: Vec<String>,
    /// Deleted in the working tree, not staged.
    pub deleted: Vec<String>,
    /// Renames (staged, or detected in the working tree).
    pub renamed: Vec<Rename>,
    /// Untracked files (ignored files are not listed).
    pub untracked: Vec<String>,
    /// Files with merge conflicts.
    pub conflicted: Vec<String>,
    /// Operation in progress: none, merge, revert, cherry-pick, bisect, rebase, ...
    pub state: String,
    /// Whether nothing is staged, changed, untracked or conflicted.
    pub clean: bool,
    /// Whether some list was cut at 1000 entries.
    pub truncated: bool,
}

#[tool_router(router = status_tools, vis = "pub(crate)")]
impl GitServer {
    /// Show the working tree status (mcp-server-git's `git_status`): branch, ahead/behind, staged,
    /// unstaged and untracked files, as `git status` prints them (text) and as fields (structured).
    /// Lists are capped at 1000 entries each. Example: `{"repo_path": "/repos/app"}`.
    #[tool(
        output_schema = schema::<StatusOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_status(
        &self,
        Parameters(args): Parameters<StatusArgs>,
    ) -> Result<Reply<StatusOutput>, GitError> {
        self.status_tool(args, |s| format!("Repository status:\n{}", git_style(s)))
            .await
    }

    /// Report the branch and every change (the original fleet's `git_get_status`): staged (with
    /// added/modified/deleted/renamed), modified, deleted, renamed, untracked, conflicted, and
    /// ahead/behind the upstream. Use it before acting (Protocol 101). Example: `{}` with
    /// GIT_REPO_PATH set, or `{"repo_path": "app"}`.
    #[tool(
        output_schema = schema::<StatusOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_get_status(
        &self,
        Parameters(args): Parameters<StatusArgs>,
    ) -> Result<Reply<StatusOutput>, GitError> {
        self.status_tool(args, sanctuary_style).await
    }
}

impl GitServer {
    /// `git_status` and `git_get_status`: the same status, answered with `text`.
    async fn status_tool(
        &self,
        args: StatusArgs,
        text: fn(&StatusOutput) -> String,
    ) -> Result<Reply<StatusOutput>, GitError> {
        self.read(args.repo_path, move |repo, config| {
            let s = status(repo, &config.remote)?;
            Ok(Reply::new(text(&s), s))
        })
        .await
    }
}

fn push_capped(list: &mut Vec<String>, truncated: &mut bool, item: String) {
    if list.len() < MAX_LISTED {
        list.push(item);
    } else {
        *truncated = true;
    }
}

/// Read the status of `repo`; ahead/behind against the upstream or `<remote>/<branch>`.
pub(crate) fn status(repo: &Repo, remote: &str) -> Result<StatusOutput, GitError> {
    let git = &repo.git;
    repo.workdir()?;
    let mut out = StatusOutput {
        branch: current_branch(git)?,
        state: state_name(git.state()).to_owned(),
        ..StatusOutput::default()
    };
    let head = git.head().ok().and_then(|h| h.target());
    out.detached = git.head_detached().unwrap_or(false);
    out.head = head.map(short);
    if let (Some(branch), Some(local)) = (&out.branch, head)
        && let Some((name, oid)) = upstream_of(git, branch, remote)
    {
        let (ahead, behind) = git
            .graph_ahead_behind(local, oid)
            .git("counting ahead/behind")?;
        out.upstream = Some(name);
        out.ahead = ahead;
        out.behind = behind;
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .renames_head_to_index(true)
        .renames_index_to_workdir(true);
    let statuses = git.statuses(Some(&mut opts)).git("reading status")?;
    let mut t = false;
    for e in statuses.iter() {
        let s = e.status();
        let path = String::from_utf8_lossy(e.path_bytes()).into_owned();
        if s.contains(Status::CONFLICTED) {
            push_capped(&mut out.conflicted, &mut t, path);
            continue;
        }
        let staged = [
            (Status::INDEX_NEW, "added"),
            (Status::INDEX_MODIFIED, "modified"),
            (Status::INDEX_DELETED, "deleted"),
            (Status::INDEX_RENAMED, "renamed"),
            (Status::INDEX_TYPECHANGE, "typechange"),
        ]
        .into_iter()
        .find(|(f, _)| s.contains(*f));
        if let Some((_, change)) = staged {
            let delta = e.head_to_index();
            let old = delta
                .as_ref()
                .and_then(|d| d.old_file().path())
                .map(|p| p.to_string_lossy().into_owned());
            let new = delta
                .as_ref()
                .and_then(|d| d.new_file().path())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.clone());
            let old_path = old.filter(|o| *o != new && change == "renamed");
            if let Some(from) = &old_path
                && out.renamed.len() < MAX_LISTED
            {
                out.renamed.push(Rename {
                    from: from.clone(),
                    to: new.clone(),
                    staged: true,
                });
            }
            if out.staged.len() < MAX_LISTED {
                out.staged.push(StagedChange {
                    path: new,
                    change: change.to_owned(),
                    old_path,
                });
            } else {
                t = true;
            }
        }
        if s.contains(Status::WT_NEW) {
            push_capped(&mut out.untracked, &mut t, path.clone());
        }
        if s.intersects(Status::WT_MODIFIED | Status::WT_TYPECHANGE) {
            push_capped(&mut out.modified, &mut t, path.clone());
        }
        if s.contains(Status::WT_DELETED) {
            push_capped(&mut out.deleted, &mut t, path.clone());
        }
        if s.contains(Status::WT_RENAMED)
            && let Some(d) = e.index_to_workdir()
        {
            let from = d
                .old_file()
                .path()
                .map(|p| p.to_string_lossy().into_owned());
            let to = d
                .new_file()
                .path()
                .map(|p| p.to_string_lossy().into_owned());
            if let (Some(from), Some(to)) = (from, to)
                && out.renamed.len() < MAX_LISTED
            {
                out.renamed.push(Rename {
                    from,
                    to,
                    staged: false,
                });
            }
        }
    }
    out.truncated = t;
    out.clean = out.staged.is_empty()
        && out.modified.is_empty()
        && out.deleted.is_empty()
        && out.untracked.is_empty()
        && out.conflicted.is_empty()
        && out.renamed.is_empty();
    Ok(out)
}

/// The upstream of `branch` (configured, else `<remote>/<branch>` if it exists) and its commit.
pub(crate) fn upstream_of(
    git: &Repository,
    branch: &str,
    remote: &str,
) -> Option<(String, git2::Oid)> {
    if let Ok(b) = git.find_branch(branch, BranchType::Local)
        && let Ok(up) = b.upstream()
        && let (Ok(Some(name)), Some(oid)) = (up.name(), up.get().target())
    {
        return Some((name.to_owned(), oid));
    }
    let name = format!("{remote}/{branch}");
    let oid = git
        .find_reference(&format!("refs/remotes/{name}"))
        .ok()?
        .target()?;
    Some((name, oid))
}

/// Name of a repository state.
pub(crate) fn state_name(s: git2::RepositoryState) -> &'static str {
    use git2::RepositoryState as S;
    match s {
        S::Clean => "none",
        S::Merge => "merge",
        S::Revert | S::RevertSequence => "revert",
        S::CherryPick | S::CherryPickSequence => "cherry-pick",
        S::Bisect => "bisect",
        S::Rebase | S::RebaseInteractive | S::RebaseMerge => "rebase",
        S::ApplyMailbox | S::ApplyMailboxOrRebase => "am",
    }
}

/// The status as `git status` prints it.
pub(crate) fn git_style(s: &StatusOutput) -> String {
    let mut t = String::new();
    match (&s.branch, s.detached) {
        (Some(b), false) => t.push_str(&format!("On branch {b}\n")),
        _ => t.push_str(&format!(
            "HEAD detached at {}\n",
            s.head.as_deref().unwrap_or("(unknown)")
        )),
    }
    if s.head.is_none() {
        t.push_str("\nNo commits yet\n");
    }
    if let Some(up) = &s.upstream {
        let line = match (s.ahead, s.behind) {
            (0, 0) => format!("Your branch is up to date with '{up}'."),
            (a, 0) => format!("Your branch is ahead of '{up}' by {a} commit{}.", plural(a)),
            (0, b) => format!(
                "Your branch is behind '{up}' by {b} commit{}, and can be fast-forwarded.",
                plural(b)
            ),
            (a, b) => format!(
                "Your branch and '{up}' have diverged,\nand have {a} and {b} different commits each, respectively."
            ),
        };
        t.push_str(&line);
        t.push('\n');
    }
    if s.state != "none" {
        t.push_str(&format!("\nYou are in the middle of a {}.\n", s.state));
    }
    if !s.staged.is_empty() {
        t.push_str("\nChanges to be committed:\n");
        for c in &s.staged {
            let label = match c.change.as_str() {
                "added" => "new file",
                other => other,
            };
            match &c.old_path {
                Some(old) => t.push_str(&format!("\t{label}:   {old} -> {}\n", c.path)),
                None => t.push_str(&format!("\t{label}:   {}\n", c.path)),
            }
        }
    }
    if !s.modified.is_empty() || !s.deleted.is_empty() {
        t.push_str("\nChanges not staged for commit:\n");
        for p in &s.modified {
            t.push_str(&format!("\tmodified:   {p}\n"));
        }
        for p in &s.deleted {
            t.push_str(&format!("\tdeleted:    {p}\n"));
        }
    }
    if !s.conflicted.is_empty() {
        t.push_str("\nUnmerged paths:\n");
        for p in &s.conflicted {
            t.push_str(&format!("\tboth modified:   {p}\n"));
        }
    }
    if !s.untracked.is_empty() {
        t.push_str("\nUntracked files:\n");
        for p in &s.untracked {
            t.push_str(&format!("\t{p}\n"));
        }
    }
    if s.clean {
        t.push_str("\nnothing to commit, working tree clean\n");
    }
    if s.truncated {
        t.push_str("\n(lists cut at 1000 entries)\n");
    }
    t
}

/// The status as the original fleet printed it, with deletions and renames added.
pub(crate) fn sanctuary_style(s: &StatusOutput) -> String {
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let mut t = format!(
        "Branch: {}\n",
        s.branch
            .clone()
            .unwrap_or_else(|| format!("(detached at {})", s.head.as_deref().unwrap_or("?")))
    );
    t.push_str(&format!(
        "Staged: {}\n",
        list(
            s.staged
                .iter()
                .map(|c| format!("{} ({})", c.path, c.change))
                .collect()
        )
    ));
    t.push_str(&format!("Modified: {}\n", list(s.modified.clone())));
    t.push_str(&format!("Deleted: {}\n", list(s.deleted.clone())));
    t.push_str(&format!(
        "Renamed: {}\n",
        list(
            s.renamed
                .iter()
                .map(|r| format!("{} -> {}", r.from, r.to))
                .collect()
        )
    ));
    t.push_str(&format!("Untracked: {}\n", list(s.untracked.clone())));
    if !s.conflicted.is_empty() {
        t.push_str(&format!("Conflicted: {}\n", list(s.conflicted.clone())));
    }
    match &s.upstream {
        Some(up) => t.push_str(&format!(
            "Upstream: {up} (ahead {}, behind {})\n",
            s.ahead, s.behind
        )),
        None => t.push_str("Upstream: none\n"),
    }
    t.push_str(if s.clean {
        "Working tree clean\n"
    } else {
        "Working tree has changes\n"
    });
    t
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{commit_files, repo_with, stage, write};

    #[test]
    fn staged_deletions_and_renames_are_classified() {
        let long = "a line that is long enough\n".repeat(10);
        let (_base, _config, repo) =
            repo_with(&[("old.txt", &long), ("del.txt", "x\n"), ("mod.txt", "1\n")]);
        let root = repo.git.workdir().unwrap().to_path_buf();
        std::fs::rename(root.join("old.txt"), root.join("new.txt")).unwrap();
        std::fs::remove_file(root.join("del.txt")).unwrap();
        stage(&repo.git, &["old.txt", "new.txt", "del.txt"]);
        write(&repo.git, &[("mod.txt", "2\n"), ("untracked.txt", "u\n")]);
        let s = status(&repo, "origin").unwrap();
        let staged: Vec<(&str, &str)> = s
            .staged
            .iter()
            .map(|c| (c.path.as_str(), c.change.as_str()))
            .collect();
        assert_eq!(staged, [("del.txt", "deleted"), ("new.txt", "renamed")]);
        assert_eq!(s.staged[1].old_path.as_deref(), Some("old.txt"));
        assert_eq!(s.modified, ["mod.txt"]);
        assert_eq!(s.untracked, ["untracked.txt"]);
        assert!(!s.clean);
        assert_eq!(s.branch.as_deref(), Some("main"));
        assert!(sanctuary_style(&s).contains("Renamed: old.txt -> new.txt"));
    }

    #[test]
    fn a_clean_repository_says_so_in_both_styles() {
        let (_base, _config, repo) = repo_with(&[("a", "a\n")]);
        commit_files(&repo.git, &[("b", "b\n")], "second");
        let s = status(&repo, "origin").unwrap();
        assert!(s.clean);
        assert!(git_style(&s).ends_with("nothing to commit, working tree clean\n"));
        assert!(sanctuary_style(&s).contains("Working tree clean"));
        assert_eq!(s.upstream, None);
    }
}
