//! Branch tools from mcp-server-git: `git_create_branch`, `git_checkout`, `git_branch`.
//!
//! Names under `feature/` are held to Protocol 101 here too (the canonical
//! `feature/task-<id>-<slug>` form, one feature branch at a time), so these tools are no way
//! around `git_start_feature`. Other names may be created and checked out, but staging and
//! committing on them is refused.

use git2::{BranchType, Oid, Repository};
use rmcp::{handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    error::{GitContext, GitError},
    ops::{commit_of, safe_checkout, switch_branch},
    reply::{Reply, schema},
    repo::Repo,
    rules::{check_arg, check_feature_name, check_opt, current_branch, require_single_feature},
    server::GitServer,
};

/// Arguments of `git_create_branch`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CreateBranchArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Name of the new branch (feature/ names must be feature/task-<id>-<slug>).
    pub branch_name: String,
    /// Branch or commit to start from (default: the current HEAD).
    #[serde(default)]
    pub base_branch: Option<String>,
}

/// Result of `git_create_branch`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CreateBranchOutput {
    /// The new branch.
    pub branch: String,
    /// What it was created from.
    pub base: String,
    /// The commit it points at.
    pub hash: String,
}

/// Arguments of `git_checkout`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CheckoutArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Branch to switch to; a remote branch name creates a local tracking branch; any other
    /// revision detaches HEAD there.
    pub branch_name: String,
}

/// Result of `git_checkout`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CheckoutOutput {
    /// The branch now checked out (`null` when detached).
    pub branch: Option<String>,
    /// Whether HEAD is detached.
    pub detached: bool,
    /// HEAD's commit.
    pub hash: String,
    /// Whether a local branch was created to track a remote one.
    pub created_tracking: bool,
}

/// Arguments of `git_branch`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct BranchArgs {
    /// The path to the Git repository (omit to use GIT_REPO_PATH).
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Whether to list local branches ('local'), remote branches ('remote') or all branches ('all').
    pub branch_type: String,
    /// Only branches containing this commit.
    #[serde(default)]
    pub contains: Option<String>,
    /// Only branches not containing this commit.
    #[serde(default)]
    pub not_contains: Option<String>,
}

/// One branch.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BranchInfo {
    /// Short name (`main`, `origin/main`).
    pub name: String,
    /// local or remote.
    pub kind: String,
    /// Whether it is checked out.
    pub current: bool,
    /// Its commit.
    pub hash: String,
    /// Its upstream, for a local branch that has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
}

/// Result of `git_branch`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BranchListOutput {
    /// The branches, sorted by kind then name.
    pub branches: Vec<BranchInfo>,
}

#[tool_router(router = branch_tools, vis = "pub(crate)")]
impl GitServer {
    /// Create a branch from an optional base (default: the current HEAD) without switching to it.
    /// feature/ names must be feature/task-<id>-<slug> and only one feature branch may exist
    /// (Protocol 101; prefer git_start_feature). Example:
    /// `{"repo_path": "/repos/app", "branch_name": "spike", "base_branch": "main"}`.
    #[tool(
        output_schema = schema::<CreateBranchOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn git_create_branch(
        &self,
        Parameters(args): Parameters<CreateBranchArgs>,
    ) -> Result<Reply<CreateBranchOutput>, GitError> {
        let audit = json!({ "branch_name": args.branch_name, "base_branch": args.base_branch });
        self.write(
            "git_create_branch",
            args.repo_path,
            audit,
            None,
            move |repo, _, _| {
                let out = create_branch(repo, &args.branch_name, args.base_branch.as_deref())?;
                Ok(Reply::new(
                    format!("Created branch '{}' from '{}'", out.branch, out.base),
                    out,
                ))
            },
        )
        .await
    }

    /// Switch branches (safe checkout: local changes that would be overwritten stop it). A name
    /// that exists only on a remote creates a tracking branch; any other revision detaches HEAD.
    /// Example: `{"repo_path": "/repos/app", "branch_name": "feature/task-7-login"}`.
    #[tool(
        output_schema = schema::<CheckoutOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn git_checkout(
        &self,
        Parameters(args): Parameters<CheckoutArgs>,
    ) -> Result<Reply<CheckoutOutput>, GitError> {
        let audit = json!({ "branch_name": args.branch_name });
        self.write(
            "git_checkout",
            args.repo_path,
            audit,
            None,
            move |repo, config, _| {
                let out = checkout(repo, &config.remote, &args.branch_name)?;
                let text = match &out.branch {
                    Some(b) if out.created_tracking => {
                        format!(
                            "Switched to a new branch '{b}' tracking '{}/{b}'",
                            config.remote
                        )
                    }
                    Some(b) => format!("Switched to branch '{b}'"),
                    None => format!("HEAD is now detached at {}", short_str(&out.hash)),
                };
                Ok(Reply::new(text, out))
            },
        )
        .await
    }

    /// List branches: branch_type 'local', 'remote' or 'all', optionally only those that contain
    /// (`contains`) or do not contain (`not_contains`) a commit. Example:
    /// `{"repo_path": "/repos/app", "branch_type": "all", "contains": "a1b2c3d"}`.
    #[tool(
        output_schema = schema::<BranchListOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_branch(
        &self,
        Parameters(args): Parameters<BranchArgs>,
    ) -> Result<Reply<BranchListOutput>, GitError> {
        check_opt("contains", args.contains.as_deref())?;
        check_opt("not_contains", args.not_contains.as_deref())?;
        let kind = match args.branch_type.as_str() {
            "local" => Some(BranchType::Local),
            "remote" => Some(BranchType::Remote),
            "all" => None,
            other => {
                return Err(GitError::arg(
                    "branch_type",
                    format!("{other:?} must be 'local', 'remote' or 'all'"),
                ));
            }
        };
        self.read(args.repo_path, move |repo, _| {
            let out = list_branches(
                repo,
                kind,
                args.contains.as_deref(),
                args.not_contains.as_deref(),
            )?;
            let text = out
                .branches
                .iter()
                .map(|b| {
                    let name = if b.kind == "remote" && kind.is_none() {
                        format!("remotes/{}", b.name)
                    } else {
                        b.name.clone()
                    };
                    format!("{} {name}", if b.current { "*" } else { " " })
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Reply::new(text, out))
        })
        .await
    }
}

fn short_str(hash: &str) -> &str {
    &hash[..7.min(hash.len())]
}

/// Refuse names git would not accept, or that look like options.
pub(crate) fn check_branch_name(arg: &'static str, name: &str) -> Result<(), GitError> {
    check_arg(arg, name)?;
    if git2::Branch::name_is_valid(name).ok() != Some(true) || name == "HEAD" {
        return Err(GitError::arg(
            arg,
            format!("{name:?} is not a valid branch name"),
        ));
    }
    Ok(())
}

/// Create `name` at `base` (default HEAD).
pub(crate) fn create_branch(
    repo: &Repo,
    name: &str,
    base: Option<&str>,
) -> Result<CreateBranchOutput, GitError> {
    check_branch_name("branch_name", name)?;
    check_opt("base_branch", base)?;
    check_feature_name(name)?;
    let git = &repo.git;
    if git.find_branch(name, BranchType::Local).is_ok() {
        return Err(GitError::arg(
            "branch_name",
            format!("refs/heads/{name} already exists"),
        ));
    }
    require_single_feature(git, name)?;
    let (commit, base_name) = match base {
        Some(b) => (commit_of(git, "base_branch", b)?, b.to_owned()),
        None => {
            let head = git.head().map_err(|_| {
                GitError::arg(
                    "base_branch",
                    "HEAD has no commit yet: make a first commit or name a base",
                )
            })?;
            let label = current_branch(git)?.unwrap_or_else(|| "HEAD".to_owned());
            (head.peel_to_commit().git("reading HEAD")?, label)
        }
    };
    git.branch(name, &commit, false)
        .git(format!("creating branch '{name}'"))?;
    Ok(CreateBranchOutput {
        branch: name.to_owned(),
        base: base_name,
        hash: commit.id().to_string(),
    })
}

/// Switch to `target`: a local branch, a remote branch (creating a tracking branch), or a
/// detached revision.
pub(crate) fn checkout(
    repo: &Repo,
    remote: &str,
    target: &str,
) -> Result<CheckoutOutput, GitError> {
    check_arg("branch_name", target)?;
    repo.workdir()?;
    let git = &repo.git;
    if git.find_branch(target, BranchType::Local).is_ok() {
        switch_branch(git, target)?;
        return Ok(CheckoutOutput {
            branch: Some(target.to_owned()),
            detached: false,
            hash: head_id(git)?.to_string(),
            created_tracking: false,
        });
    }
    let remote_ref = format!("refs/remotes/{remote}/{target}");
    if let Ok(r) = git.find_reference(&remote_ref) {
        check_branch_name("branch_name", target)?;
        check_feature_name(target)?;
        require_single_feature(git, target)?;
        let commit = r.peel_to_commit().git("reading the remote branch")?;
        let mut b = git
            .branch(target, &commit, false)
            .git(format!("creating branch '{target}'"))?;
        b.set_upstream(Some(&format!("{remote}/{target}")))
            .git("setting the upstream")?;
        if let Err(e) = switch_branch(git, target) {
            // Do not leave a half-made branch behind.
            let _ = b.delete();
            return Err(e);
        }
        return Ok(CheckoutOutput {
            branch: Some(target.to_owned()),
            detached: false,
            hash: commit.id().to_string(),
            created_tracking: true,
        });
    }
    let commit = commit_of(git, "branch_name", target)?;
    git.checkout_tree(commit.as_object(), Some(&mut safe_checkout()))
        .map_err(|e| GitError::Git {
            context: format!(
                "checking out {target} (commit or stash conflicting local changes first)"
            ),
            source: e,
        })?;
    git.set_head_detached(commit.id()).git("detaching HEAD")?;
    Ok(CheckoutOutput {
        branch: None,
        detached: true,
        hash: commit.id().to_string(),
        created_tracking: false,
    })
}

fn head_id(git: &Repository) -> Result<Oid, GitError> {
    git.head()
        .git("reading HEAD")?
        .target()
        .ok_or_else(|| GitError::Internal("HEAD has no target".to_owned()))
}

/// Branches of `kind` (both when `None`), filtered by containment.
pub(crate) fn list_branches(
    repo: &Repo,
    kind: Option<BranchType>,
    contains: Option<&str>,
    not_contains: Option<&str>,
) -> Result<BranchListOutput, GitError> {
    let git = &repo.git;
    let contains = contains
        .map(|c| commit_of(git, "contains", c).map(|c| c.id()))
        .transpose()?;
    let not_contains = not_contains
        .map(|c| commit_of(git, "not_contains", c).map(|c| c.id()))
        .transpose()?;
    let has = |tip: Oid, commit: Oid| {
        tip == commit || git.graph_descendant_of(tip, commit).unwrap_or(false)
    };
    let mut branches = Vec::new();
    for b in git.branches(kind).git("listing branches")? {
        let (b, t) = b.git("listing branches")?;
        let Some(tip) = b.get().target() else {
            continue;
        };
        let name = String::from_utf8_lossy(b.name_bytes().unwrap_or_default()).into_owned();
        if name.ends_with("/HEAD") {
            continue;
        }
        if contains.is_some_and(|c| !has(tip, c)) || not_contains.is_some_and(|c| has(tip, c)) {
            continue;
        }
        let upstream = b
            .upstream()
            .ok()
            .and_then(|u| u.name().ok().flatten().map(str::to_owned));
        branches.push(BranchInfo {
            current: b.is_head(),
            kind: if t == BranchType::Local {
                "local"
            } else {
                "remote"
            }
            .to_owned(),
            hash: tip.to_string(),
            name,
            upstream,
        });
    }
    branches.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    Ok(BranchListOutput { branches })
}
