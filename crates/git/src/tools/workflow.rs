//! The original fleet's workflow tools: `git_get_safety_rules`, `git_start_feature`,
//! `git_push_feature`, `git_finish_feature`.
//!
//! One feature's life: start (from an up-to-date main, on a clean tree, only if no other feature
//! exists) → add → smart_commit → push (verified by reading the remote ref back) → merge on the
//! remote → finish (only once merged, by ancestry or as a squash; then main is checked out and
//! fast-forwarded and the branch deleted, remotely too when asked).

use std::collections::BTreeMap;

use git2::{BranchType, MergeOptions, Oid, Repository};
use rmcp::{
    handler::server::{tool::Extension, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use fleet_core::Progress;

use crate::{
    config::GitConfig,
    error::{GitContext, GitError},
    net::{self, FetchStats},
    ops::{fast_forward, short, switch_branch},
    reply::{Reply, schema},
    repo::Repo,
    rules::{
        FEATURE_BRANCH_ONLY, FEATURE_PREFIX, HABITS, MAIN_UP_TO_DATE, MERGED_BEFORE_FINISH,
        NO_FORCE_PUSH, PROTECTED_BRANCH, RULES, Rule, VERIFIED_PUSH, check_arg, current_branch,
        feature_branch_name, require_clean_tree, require_feature_branch, require_single_feature,
    },
    server::{GitServer, Net},
    tools::branch::check_branch_name,
};

/// Result of `git_get_safety_rules`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SafetyRulesOutput {
    /// The enforced rules.
    pub rules: Vec<&'static Rule>,
    /// The original fleet's working habits.
    pub habits: Vec<&'static str>,
    /// The protected branch in this server.
    pub main_branch: String,
    /// The workflow remote in this server.
    pub remote: String,
    /// The high-risk file names in this server.
    pub high_risk_files: Vec<String>,
    /// Whether the operator approved force pushes.
    pub force_push_approved: bool,
}

/// A task id: a number or a short string of letters and digits.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum TaskId {
    /// A number, e.g. 119.
    Number(u64),
    /// Letters and digits, e.g. "119b".
    Text(String),
}

impl TaskId {
    fn as_string(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(s) => s.clone(),
        }
    }
}

/// Arguments of `git_start_feature`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct StartFeatureArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// The task's id (1–32 letters or digits), e.g. 119.
    pub task_id: TaskId,
    /// Short description; becomes the slug (lower-case letters, digits and hyphens, at most 48 characters).
    pub description: String,
}

/// Result of `git_start_feature`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StartFeatureOutput {
    /// The feature branch.
    pub branch: String,
    /// The branch it starts from (the main branch).
    pub base: String,
    /// The commit it starts at.
    pub base_hash: String,
    /// Whether the branch was created by this call.
    pub created: bool,
    /// Whether the call found the branch already checked out (nothing done).
    pub already_on_branch: bool,
    /// Whether main was fetched from the remote (and fast-forwarded if behind).
    pub synced_with_remote: bool,
    /// What the fetch did, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch: Option<FetchStats>,
}

/// Arguments of `git_push_feature`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PushFeatureArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Force the push (refused unless the operator set GIT_ALLOW_FORCE_PUSH=1; default false).
    #[serde(default)]
    pub force: bool,
}

/// Result of `git_push_feature`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PushOutput {
    /// The branch pushed.
    pub branch: String,
    /// The remote.
    pub remote: String,
    /// The local commit pushed.
    pub hash: String,
    /// What the remote's branch points at, read back after the push.
    pub remote_hash: String,
    /// Whether the remote points at the local commit (always true in a success).
    pub verified: bool,
    /// Whether the push was forced.
    pub forced: bool,
    /// Where to open a pull request, for GitHub remotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request_url: Option<String>,
}

/// Arguments of `git_finish_feature`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FinishFeatureArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// The feature branch to finish, e.g. feature/task-119-deploy-the-pilot.
    pub branch_name: String,
    /// Also delete the branch on the remote (default false).
    #[serde(default)]
    pub delete_remote: bool,
}

/// Result of `git_finish_feature`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FinishFeatureOutput {
    /// The finished branch.
    pub branch: String,
    /// How the merge was recognised: ancestor, identical-tree or squash.
    pub merged_by: String,
    /// What it was checked against (`origin/main`, or `main` without a remote).
    pub merged_into: String,
    /// The main branch, now checked out.
    pub switched_to: String,
    /// Main's commit after the call.
    pub main_hash: String,
    /// Whether the local branch was deleted.
    pub deleted_local: bool,
    /// Whether the remote branch was deleted (and verified gone).
    pub deleted_remote: bool,
}

#[tool_router(router = workflow_tools, vis = "pub(crate)")]
impl GitServer {
    /// List the safety rules this server enforces (Protocol 101/122 and the Sanctuary rules), each
    /// with its id (quoted in refusals), the tools enforcing it and the remedy, plus this server's
    /// main branch, remote and high-risk files. Call it before starting work. Example: `{}`.
    #[tool(
        output_schema = schema::<SafetyRulesOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub fn git_get_safety_rules(&self) -> Reply<SafetyRulesOutput> {
        let c = &self.config;
        let mut text = String::from("Sanctuary git safety rules (enforced by the server):\n");
        for (i, r) in RULES.iter().enumerate() {
            text.push_str(&format!(
                "{}. [{}] {}: {} (remedy: {})\n",
                i + 1,
                r.protocol,
                r.id,
                r.rule,
                r.remedy
            ));
        }
        text.push_str("\nHabits:\n");
        for h in HABITS {
            text.push_str(&format!("- {h}\n"));
        }
        text.push_str(&format!(
            "\nHere: main branch '{}', remote '{}', high-risk files {}, force push {}.",
            c.main_branch,
            c.remote,
            c.high_risk_files.join(", "),
            if c.allow_force_push {
                "approved"
            } else {
                "not approved"
            }
        ));
        Reply::new(
            text,
            SafetyRulesOutput {
                rules: RULES.to_vec(),
                habits: HABITS.to_vec(),
                main_branch: c.main_branch.clone(),
                remote: c.remote.clone(),
                high_risk_files: c.high_risk_files.clone(),
                force_push_approved: c.allow_force_push,
            },
        )
    }

    /// Start a feature: create and check out feature/task-<id>-<slug> from an up-to-date main
    /// (fetched and fast-forwarded when the remote exists). Refused with a dirty tree, while
    /// another feature branch exists, or when local main has commits the remote lacks.
    /// Idempotent: on the branch already, it does nothing. Progress is reported during the fetch.
    /// Example: `{"task_id": 119, "description": "Deploy the pilot"}`.
    #[tool(
        output_schema = schema::<StartFeatureOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn git_start_feature(
        &self,
        Extension(progress): Extension<Progress>,
        Parameters(args): Parameters<StartFeatureArgs>,
    ) -> Result<Reply<StartFeatureOutput>, GitError> {
        let task = args.task_id.as_string();
        let audit = json!({ "task_id": task, "description": args.description });
        self.write(
            "git_start_feature",
            args.repo_path,
            audit,
            Some(progress),
            move |repo, config, net| {
                let out = start_feature(repo, config, net, &task, &args.description)?;
                let text = if out.already_on_branch {
                    format!("Already on feature branch {}.", out.branch)
                } else if out.created {
                    format!(
                        "Started feature branch {} from {} at {}{}.",
                        out.branch,
                        out.base,
                        &out.base_hash[..7],
                        if out.synced_with_remote {
                            " (synced with the remote)"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!("Switched to existing feature branch {}.", out.branch)
                };
                Ok(Reply::new(text, out))
            },
        )
        .await
    }

    /// Push the current feature branch to the remote and verify it: the remote's branch is read
    /// back and must point at the local commit. Refused on main and off feature/ branches;
    /// force=true needs the operator's GIT_ALLOW_FORCE_PUSH=1. Sets the upstream; reports
    /// progress; gives a pull-request link for GitHub remotes. Example: `{}` or `{"repo_path": "app"}`.
    #[tool(
        output_schema = schema::<PushOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn git_push_feature(
        &self,
        Extension(progress): Extension<Progress>,
        Parameters(args): Parameters<PushFeatureArgs>,
    ) -> Result<Reply<PushOutput>, GitError> {
        let audit = json!({ "force": args.force });
        self.write(
            "git_push_feature",
            args.repo_path,
            audit,
            Some(progress),
            move |repo, config, net| {
                let out = push_feature(repo, config, net, args.force)?;
                let mut text =
                    format!("Verified push to {} (Hash: {})", out.branch, &out.hash[..8]);
                if let Some(url) = &out.pull_request_url {
                    text.push_str(&format!("\nOpen a pull request: {url}"));
                }
                Ok(Reply::new(text, out))
            },
        )
        .await
    }

    /// Finish a feature after it was merged on the remote: the branch must be an ancestor of
    /// <remote>/main or squash-merged into it (merging it would change nothing). Needs a clean
    /// tree; then checks out main, fast-forwards it, deletes the branch locally and, with
    /// delete_remote=true, on the remote. Example:
    /// `{"branch_name": "feature/task-119-deploy-the-pilot", "delete_remote": true}`.
    #[tool(
        output_schema = schema::<FinishFeatureOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn git_finish_feature(
        &self,
        Extension(progress): Extension<Progress>,
        Parameters(args): Parameters<FinishFeatureArgs>,
    ) -> Result<Reply<FinishFeatureOutput>, GitError> {
        let audit = json!({ "branch_name": args.branch_name, "delete_remote": args.delete_remote });
        self.write("git_finish_feature", args.repo_path, audit, Some(progress), move |repo, config, net| {
            let out = finish_feature(repo, config, net, &args.branch_name, args.delete_remote)?;
            let text = format!(
                "Finished {} (merged into {} by {}): now on {} at {}, branch deleted locally{}.",
                out.branch,
                out.merged_into,
                out.merged_by,
                out.switched_to,
                &out.main_hash[..7],
                if out.deleted_remote { " and on the remote" } else { "" }
            );
            Ok(Reply::new(text, out))
        })
        .await
    }
}

fn has_remote(git: &Repository, remote: &str) -> bool {
    git.find_remote(remote).is_ok()
}

fn ref_oid(git: &Repository, name: &str) -> Option<Oid> {
    git.find_reference(name).ok().and_then(|r| r.target())
}

/// Start (or resume) the feature branch for `task_id` and `description`.
pub(crate) fn start_feature(
    repo: &Repo,
    config: &GitConfig,
    net: &Net,
    task_id: &str,
    description: &str,
) -> Result<StartFeatureOutput, GitError> {
    check_arg("description", description)?;
    let name = feature_branch_name(task_id, description)?;
    let git = &repo.git;
    repo.workdir()?;
    let main = &config.main_branch;
    let current = current_branch(git)?;
    let mut out = StartFeatureOutput {
        branch: name.clone(),
        base: main.clone(),
        base_hash: String::new(),
        created: false,
        already_on_branch: false,
        synced_with_remote: false,
        fetch: None,
    };
    if current.as_deref() == Some(name.as_str()) {
        out.already_on_branch = true;
        out.base_hash = ref_oid(git, &format!("refs/heads/{main}"))
            .map(|o| o.to_string())
            .unwrap_or_default();
        return Ok(out);
    }
    require_single_feature(git, &name)?;
    require_clean_tree(git, "starting a feature")?;
    if let Ok(b) = git.find_branch(&name, BranchType::Local) {
        // The branch of this very task exists: resume it.
        out.base_hash = b.get().target().map(|o| o.to_string()).unwrap_or_default();
        switch_branch(git, &name)?;
        return Ok(out);
    }
    let remote = &config.remote;
    let remote_main = format!("refs/remotes/{remote}/{main}");
    if has_remote(git, remote) {
        out.fetch = Some(net::fetch(repo, config, net, remote, &[]).map_err(|e| {
            GitError::refused(
                &MAIN_UP_TO_DATE,
                format!("cannot bring {main} up to date: {e}"),
                MAIN_UP_TO_DATE.remedy,
            )
        })?);
        out.synced_with_remote = true;
    }
    let local = ref_oid(git, &format!("refs/heads/{main}"));
    let upstream = ref_oid(git, &remote_main);
    let base = match (local, upstream) {
        (None, None) => {
            return Err(GitError::arg(
                "repo_path",
                format!(
                    "branch '{main}' has no commits (neither locally nor on {remote}): make the first commit on {main} outside this workflow"
                ),
            ));
        }
        (None, Some(up)) => {
            let c = git.find_commit(up).git("reading the remote main")?;
            let mut b = git
                .branch(main, &c, false)
                .git(format!("creating '{main}'"))?;
            b.set_upstream(Some(&format!("{remote}/{main}")))
                .git("setting the upstream")?;
            up
        }
        (Some(l), None) => l,
        (Some(l), Some(up)) if l == up => l,
        (Some(l), Some(up)) => {
            if git
                .graph_descendant_of(up, l)
                .git("comparing main with the remote")?
            {
                fast_forward(git, main, up, "sanctuary-git: fast-forward main")?;
                up
            } else {
                let (ahead, behind) = git
                    .graph_ahead_behind(l, up)
                    .git("comparing main with the remote")?;
                return Err(GitError::refused(
                    &MAIN_UP_TO_DATE,
                    format!(
                        "local {main} has {ahead} commit(s) that {remote}/{main} lacks (and lacks {behind} of its)"
                    ),
                    MAIN_UP_TO_DATE.remedy,
                ));
            }
        }
    };
    let commit = git.find_commit(base).git("reading main")?;
    git.branch(&name, &commit, false)
        .git(format!("creating '{name}'"))?;
    if let Err(e) = switch_branch(git, &name) {
        if let Ok(mut b) = git.find_branch(&name, BranchType::Local) {
            let _ = b.delete();
        }
        return Err(e);
    }
    out.created = true;
    out.base_hash = base.to_string();
    Ok(out)
}

/// The pull-request page for GitHub remotes.
pub(crate) fn pull_request_url(remote_url: &str, branch: &str) -> Option<String> {
    let path = remote_url
        .strip_prefix("https://github.com/")
        .or_else(|| remote_url.strip_prefix("git@github.com:"))
        .or_else(|| remote_url.strip_prefix("ssh://git@github.com/"))?;
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    (path.split('/').count() == 2).then(|| format!("https://github.com/{path}/pull/new/{branch}"))
}

/// Push the current feature branch and verify the remote ref.
pub(crate) fn push_feature(
    repo: &Repo,
    config: &GitConfig,
    net: &Net,
    force: bool,
) -> Result<PushOutput, GitError> {
    let git = &repo.git;
    let branch = require_feature_branch(git, &config.main_branch, "pushing")?;
    if force && !config.allow_force_push {
        return Err(GitError::refused(
            &NO_FORCE_PUSH,
            format!(
                "force push of '{branch}' needs operator approval, and GIT_ALLOW_FORCE_PUSH=1 is not set"
            ),
            NO_FORCE_PUSH.remedy,
        ));
    }
    let remote = &config.remote;
    let url = repo.check_remote(config, remote)?;
    let head =
        git.head().ok().and_then(|h| h.target()).ok_or_else(|| {
            GitError::arg("repo_path", format!("'{branch}' has no commits to push"))
        })?;
    let refname = format!("refs/heads/{branch}");
    let refspec = format!("{}{refname}:{refname}", if force { "+" } else { "" });
    net::push(repo, config, net, remote, &refspec)?;
    let heads: BTreeMap<String, Oid> = net::ls_remote(repo, config, net, remote)?;
    let remote_oid = heads.get(&refname).copied();
    if remote_oid != Some(head) {
        return Err(GitError::refused(
            &VERIFIED_PUSH,
            format!(
                "after the push {remote} has {} for {refname}, not the local {}",
                remote_oid.map_or("nothing".to_owned(), short),
                short(head)
            ),
            VERIFIED_PUSH.remedy,
        ));
    }
    git.reference(
        &format!("refs/remotes/{remote}/{branch}"),
        head,
        true,
        "sanctuary-git: push",
    )
    .git("updating the remote-tracking branch")?;
    if let Ok(mut b) = git.find_branch(&branch, BranchType::Local) {
        b.set_upstream(Some(&format!("{remote}/{branch}")))
            .git("setting the upstream")?;
    }
    Ok(PushOutput {
        pull_request_url: pull_request_url(&url, &branch),
        branch,
        remote: remote.clone(),
        hash: head.to_string(),
        remote_hash: head.to_string(),
        verified: true,
        forced: force,
    })
}

/// How `tip` was merged into `target`, if it was.
pub(crate) fn merged_by(
    git: &Repository,
    tip: Oid,
    target: Oid,
) -> Result<Option<&'static str>, GitError> {
    if tip == target
        || git
            .graph_descendant_of(target, tip)
            .git("checking ancestry")?
    {
        return Ok(Some("ancestor"));
    }
    let tip_c = git.find_commit(tip).git("reading the branch")?;
    let target_c = git.find_commit(target).git("reading main")?;
    if tip_c.tree_id() == target_c.tree_id() {
        return Ok(Some("identical-tree"));
    }
    // A squash merge: merging the branch into main again would change nothing.
    let base = match git.merge_base(tip, target) {
        Ok(b) => git
            .find_commit(b)
            .git("reading the merge base")?
            .tree()
            .git("reading a tree")?,
        Err(_) => return Ok(None),
    };
    let mut opts = MergeOptions::new();
    opts.fail_on_conflict(false);
    let merged = git
        .merge_trees(
            &base,
            &target_c.tree().git("reading main's tree")?,
            &tip_c.tree().git("reading the branch's tree")?,
            Some(&opts),
        )
        .git("test-merging the branch into main")?;
    if merged.has_conflicts() {
        return Ok(None);
    }
    let mut merged = merged;
    let tree = merged.write_tree_to(git).git("writing the test merge")?;
    Ok((tree == target_c.tree_id()).then_some("squash"))
}

/// Finish `branch`: verify it is merged, switch to an up-to-date main, delete it.
pub(crate) fn finish_feature(
    repo: &Repo,
    config: &GitConfig,
    net: &Net,
    branch: &str,
    delete_remote: bool,
) -> Result<FinishFeatureOutput, GitError> {
    check_branch_name("branch_name", branch)?;
    let git = &repo.git;
    repo.workdir()?;
    let main = &config.main_branch;
    let remote = &config.remote;
    if branch == main {
        return Err(GitError::refused(
            &PROTECTED_BRANCH,
            format!("'{main}' is the main branch and cannot be finished or deleted"),
            "pass the feature branch's name",
        ));
    }
    if !branch.starts_with(FEATURE_PREFIX) {
        return Err(GitError::refused(
            &FEATURE_BRANCH_ONLY,
            format!("'{branch}' is not a feature/ branch"),
            "only feature branches are finished with git_finish_feature",
        ));
    }
    let tip = git
        .find_branch(branch, BranchType::Local)
        .map_err(|_| GitError::arg("branch_name", format!("no local branch named '{branch}'")))?
        .get()
        .target()
        .ok_or_else(|| GitError::Internal("branch without a target".to_owned()))?;
    require_clean_tree(git, "finishing a feature")?;
    let with_remote = has_remote(git, remote);
    let (target_name, target) = if with_remote {
        net::fetch(repo, config, net, remote, &[])?;
        let name = format!("{remote}/{main}");
        let oid = ref_oid(git, &format!("refs/remotes/{name}")).ok_or_else(|| {
            GitError::arg(
                "repo_path",
                format!("{remote} has no branch '{main}' to check the merge against"),
            )
        })?;
        (name, oid)
    } else {
        let oid = ref_oid(git, &format!("refs/heads/{main}"))
            .ok_or_else(|| GitError::arg("repo_path", format!("there is no branch '{main}'")))?;
        (main.clone(), oid)
    };
    let Some(how) = merged_by(git, tip, target)? else {
        return Err(GitError::refused(
            &MERGED_BEFORE_FINISH,
            format!(
                "'{branch}' ({}) is not merged into {target_name} ({}): it is not an ancestor, and no squash merge was detected",
                short(tip),
                short(target)
            ),
            MERGED_BEFORE_FINISH.remedy,
        ));
    };
    // Main, checked out and brought up to the merge target when that is a fast-forward.
    match ref_oid(git, &format!("refs/heads/{main}")) {
        None => {
            let c = git.find_commit(target).git("reading main")?;
            git.branch(main, &c, false)
                .git(format!("creating '{main}'"))?;
        }
        Some(local)
            if with_remote
                && local != target
                && git.graph_descendant_of(target, local).unwrap_or(false) =>
        {
            git.reference(
                &format!("refs/heads/{main}"),
                target,
                true,
                "sanctuary-git: fast-forward main",
            )
            .git(format!("fast-forwarding '{main}'"))?;
        }
        Some(_) => {}
    }
    switch_branch(git, main)?;
    git.find_branch(branch, BranchType::Local)
        .and_then(|mut b| b.delete())
        .git(format!("deleting '{branch}'"))?;
    let mut deleted_remote = false;
    if delete_remote && with_remote {
        let refname = format!("refs/heads/{branch}");
        let heads = net::ls_remote(repo, config, net, remote)?;
        if heads.contains_key(&refname) {
            net::push(repo, config, net, remote, &format!(":{refname}"))?;
            let heads = net::ls_remote(repo, config, net, remote)?;
            if heads.contains_key(&refname) {
                return Err(GitError::refused(
                    &VERIFIED_PUSH,
                    format!("{remote} still has {refname} after deleting it"),
                    VERIFIED_PUSH.remedy,
                ));
            }
        }
        if let Ok(mut r) = git.find_reference(&format!("refs/remotes/{remote}/{branch}")) {
            let _ = r.delete();
        }
        deleted_remote = true;
    }
    let main_hash = ref_oid(git, &format!("refs/heads/{main}"))
        .map(|o| o.to_string())
        .unwrap_or_default();
    Ok(FinishFeatureOutput {
        branch: branch.to_owned(),
        merged_by: how.to_owned(),
        merged_into: target_name,
        switched_to: main.clone(),
        main_hash,
        deleted_local: true,
        deleted_remote,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_links_for_github_remotes() {
        assert_eq!(
            pull_request_url(
                "https://github.com/richfrem/Project_Sanctuary.git",
                "feature/task-1-x"
            )
            .as_deref(),
            Some("https://github.com/richfrem/Project_Sanctuary/pull/new/feature/task-1-x")
        );
        assert_eq!(
            pull_request_url("git@github.com:a/b.git", "feature/x").as_deref(),
            Some("https://github.com/a/b/pull/new/feature/x")
        );
        assert_eq!(pull_request_url("/srv/origin.git", "feature/x"), None);
        assert_eq!(
            pull_request_url("https://gitlab.com/a/b", "feature/x"),
            None
        );
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;
    use crate::testutil::{commit_files, repo_with};

    #[test]
    fn merges_are_recognised_by_ancestry_tree_or_squash() {
        let (_base, _config, repo) = repo_with(&[("a", "a\n")]);
        let git = &repo.git;
        let base = git.head().unwrap().peel_to_commit().unwrap();
        git.branch("feature/task-1-x", &base, false).unwrap();
        git.set_head("refs/heads/feature/task-1-x").unwrap();
        let f1 = commit_files(git, &[("f", "feature\n")], "feature 1");
        let f2 = commit_files(git, &[("g", "more\n")], "feature 2");
        // Main, elsewhere: an unrelated change, then the feature squashed in.
        git.set_head("refs/heads/main").unwrap();
        git.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
            .unwrap();
        let other = commit_files(git, &[("o", "other\n")], "other");
        assert_eq!(merged_by(git, f2, other).unwrap(), None);
        let squashed = commit_files(git, &[("f", "feature\n"), ("g", "more\n")], "squash");
        assert_eq!(merged_by(git, f2, squashed).unwrap(), Some("squash"));
        // Only half of the feature squashed in: not merged.
        assert_eq!(merged_by(git, f2, other).unwrap(), None);
        assert_eq!(merged_by(git, f1, f2).unwrap(), Some("ancestor"));
        assert_eq!(merged_by(git, f2, f2).unwrap(), Some("ancestor"));
    }
}
