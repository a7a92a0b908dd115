//! Remote tools no peer has: `git_fetch`, `git_pull` (fast-forward only) and `git_remote_list`.
//!
//! A pull never merges or rebases: if the branch and its upstream have diverged, it stops and
//! says so. Remote URLs are shown with credentials removed.

use git2::BranchType;
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
    ops::fast_forward,
    reply::{Reply, schema},
    repo::{Repo, redact_url},
    rules::{check_opt, current_branch},
    server::{GitServer, Net},
    tools::status::upstream_of,
};

/// Arguments of `git_fetch`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FetchArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Remote to fetch from (default GIT_REMOTE, normally origin).
    #[serde(default)]
    pub remote: Option<String>,
}

/// Result of `git_fetch`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FetchOutput {
    /// The remote.
    pub remote: String,
    /// What was received and which refs moved.
    #[serde(flatten)]
    pub stats: FetchStats,
}

/// Arguments of `git_pull`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PullArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Remote to pull from (default GIT_REMOTE); the branch's upstream decides otherwise.
    #[serde(default)]
    pub remote: Option<String>,
}

/// Result of `git_pull`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PullOutput {
    /// The branch updated.
    pub branch: String,
    /// Its upstream.
    pub upstream: String,
    /// Commit before.
    pub old: String,
    /// Commit after.
    pub new: String,
    /// up-to-date, fast-forward or ahead (nothing to pull; the branch has unpushed commits).
    pub result: String,
    /// The fetch.
    pub fetch: FetchStats,
}

/// One remote.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RemoteInfo {
    /// Its name.
    pub name: String,
    /// Fetch URL, credentials removed.
    pub url: String,
    /// Push URL when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_url: Option<String>,
    /// Whether the workflow tools use it (GIT_REMOTE).
    pub workflow_remote: bool,
}

/// Result of `git_remote_list`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RemoteListOutput {
    /// The remotes.
    pub remotes: Vec<RemoteInfo>,
}

/// Arguments of `git_remote_list`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RemoteListArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
}

#[tool_router(router = remote_tools, vis = "pub(crate)")]
impl GitServer {
    /// Download objects and refs from a remote (default GIT_REMOTE), pruning deleted branches;
    /// reports progress; the working tree is untouched. HTTPS remotes use the server's GIT_TOKEN.
    /// Limited by GIT_NETWORK_TIMEOUT. Example: `{"repo_path": "/repos/app", "remote": "origin"}`.
    #[tool(
        output_schema = schema::<FetchOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn git_fetch(
        &self,
        Extension(progress): Extension<Progress>,
        Parameters(args): Parameters<FetchArgs>,
    ) -> Result<Reply<FetchOutput>, GitError> {
        check_opt("remote", args.remote.as_deref())?;
        let audit = json!({ "remote": args.remote });
        self.write(
            "git_fetch",
            args.repo_path,
            audit,
            Some(progress),
            move |repo, config, net| {
                let remote = args.remote.unwrap_or_else(|| config.remote.clone());
                let stats = net::fetch(repo, config, net, &remote, &[])?;
                let text = format!(
                    "Fetched from {remote}: {} object(s), {} ref(s) updated{}",
                    stats.received_objects,
                    stats.updated_refs.len(),
                    stats
                        .updated_refs
                        .iter()
                        .map(|r| format!("\n  {}", r.name))
                        .collect::<String>()
                );
                Ok(Reply::new(text, FetchOutput { remote, stats }))
            },
        )
        .await
    }

    /// Fetch, then fast-forward the current branch to its upstream (its configured upstream, else
    /// <remote>/<branch>). Never merges or rebases: a diverged branch is reported, not changed;
    /// local changes that the update would overwrite stop it. Example: `{"repo_path": "/repos/app"}`.
    #[tool(
        output_schema = schema::<PullOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn git_pull(
        &self,
        Extension(progress): Extension<Progress>,
        Parameters(args): Parameters<PullArgs>,
    ) -> Result<Reply<PullOutput>, GitError> {
        check_opt("remote", args.remote.as_deref())?;
        let audit = json!({ "remote": args.remote });
        self.write(
            "git_pull",
            args.repo_path,
            audit,
            Some(progress),
            move |repo, config, net| {
                let remote = args.remote.unwrap_or_else(|| config.remote.clone());
                let out = pull(repo, config, net, &remote)?;
                let text = match out.result.as_str() {
                    "up-to-date" => format!("Already up to date with {}.", out.upstream),
                    "ahead" => format!(
                        "Nothing to pull: {} is ahead of {} (push it with git_push_feature).",
                        out.branch, out.upstream
                    ),
                    _ => format!(
                        "Fast-forwarded {} from {} to {}.",
                        out.branch,
                        short_str(&out.old),
                        short_str(&out.new)
                    ),
                };
                Ok(Reply::new(text, out))
            },
        )
        .await
    }

    /// List the repository's remotes with their URLs (credentials removed), marking the one the
    /// workflow tools use. Example: `{"repo_path": "/repos/app"}`.
    #[tool(
        output_schema = schema::<RemoteListOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_remote_list(
        &self,
        Parameters(args): Parameters<RemoteListArgs>,
    ) -> Result<Reply<RemoteListOutput>, GitError> {
        self.read(args.repo_path, |repo, config| {
            let out = remote_list(repo, config)?;
            let text = if out.remotes.is_empty() {
                "No remotes.".to_owned()
            } else {
                out.remotes
                    .iter()
                    .map(|r| format!("{}\t{}", r.name, r.url))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Reply::new(text, out))
        })
        .await
    }
}

fn short_str(hash: &str) -> &str {
    &hash[..7.min(hash.len())]
}

/// Fetch `remote` and fast-forward the current branch to its upstream.
pub(crate) fn pull(
    repo: &Repo,
    config: &GitConfig,
    net: &Net,
    remote: &str,
) -> Result<PullOutput, GitError> {
    let git = &repo.git;
    repo.workdir()?;
    let branch = current_branch(git)?.ok_or_else(|| {
        GitError::State("HEAD is detached: check out a branch before pulling".to_owned())
    })?;
    let fetch = net::fetch(repo, config, net, remote, &[])?;
    let local = git
        .find_branch(&branch, BranchType::Local)
        .ok()
        .and_then(|b| b.get().target())
        .ok_or_else(|| GitError::State(format!("'{branch}' has no commits yet")))?;
    let (upstream, up) = upstream_of(git, &branch, remote).ok_or_else(|| {
        GitError::State(format!(
            "'{branch}' has no upstream and {remote}/{branch} does not exist: push it first"
        ))
    })?;
    let mut out = PullOutput {
        branch: branch.clone(),
        upstream: upstream.clone(),
        old: local.to_string(),
        new: local.to_string(),
        result: "up-to-date".to_owned(),
        fetch,
    };
    if local == up
        || git
            .graph_descendant_of(local, up)
            .git("comparing with the upstream")?
    {
        if local != up {
            out.result = "ahead".to_owned();
        }
        return Ok(out);
    }
    if !git
        .graph_descendant_of(up, local)
        .git("comparing with the upstream")?
    {
        let (ahead, behind) = git
            .graph_ahead_behind(local, up)
            .git("comparing with the upstream")?;
        return Err(GitError::State(format!(
            "cannot fast-forward '{branch}': it has {ahead} commit(s) that {upstream} lacks, and {upstream} has {behind} it lacks; \
             git_pull only fast-forwards, so integrate the changes outside this server or start a new feature from main"
        )));
    }
    fast_forward(git, &branch, up, "sanctuary-git: pull (fast-forward)")?;
    out.new = up.to_string();
    out.result = "fast-forward".to_owned();
    Ok(out)
}

/// The remotes of `repo`.
pub(crate) fn remote_list(repo: &Repo, config: &GitConfig) -> Result<RemoteListOutput, GitError> {
    let git = &repo.git;
    let mut remotes = Vec::new();
    for name in git
        .remotes()
        .git("listing remotes")?
        .iter()
        .flatten()
        .flatten()
    {
        let r = git
            .find_remote(name)
            .git(format!("reading remote {name}"))?;
        let url = redact_url(&String::from_utf8_lossy(r.url_bytes()));
        let push_url = r
            .pushurl_bytes()
            .map(|u| redact_url(&String::from_utf8_lossy(u)))
            .filter(|u| *u != url);
        remotes.push(RemoteInfo {
            workflow_remote: name == config.remote,
            name: name.to_owned(),
            url,
            push_url,
        });
    }
    Ok(RemoteListOutput { remotes })
}
