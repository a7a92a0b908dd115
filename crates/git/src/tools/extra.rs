//! Extras no peer has: `git_stash` (push, pop, list) and `git_tag` (list, create, delete).
//!
//! Stashes and tags are signed with the configured identity, never one from the request.

use git2::{StashApplyOptions, StashFlags};
use rmcp::{handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    config::GitConfig,
    error::{GitContext, GitError},
    ops::{commit_of, safe_checkout, short, signatures},
    reply::{Reply, schema},
    repo::Repo,
    rules::{check_arg, check_opt},
    server::GitServer,
};

/// Arguments of `git_stash`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct StashArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// push (save local changes and clean the tree), pop (re-apply a stash and drop it) or list.
    pub action: String,
    /// For push: a message describing the stash.
    #[serde(default)]
    pub message: Option<String>,
    /// For push: also stash untracked files (default false).
    #[serde(default)]
    pub include_untracked: bool,
    /// For pop: which stash (0 = newest, the default).
    #[serde(default)]
    pub index: usize,
}

/// One stash entry.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StashEntry {
    /// Position (0 = newest).
    pub index: usize,
    /// Its message.
    pub message: String,
    /// Its commit.
    pub hash: String,
}

/// Result of `git_stash`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StashOutput {
    /// The action done.
    pub action: String,
    /// For push: the new stash's commit; for pop: the applied one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// The stash list after the action.
    pub stashes: Vec<StashEntry>,
}

/// Arguments of `git_tag`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TagArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// list (default), create or delete.
    #[serde(default = "default_tag_action")]
    pub action: String,
    /// Tag name (create, delete).
    #[serde(default)]
    pub name: Option<String>,
    /// For create: what to tag (default HEAD).
    #[serde(default)]
    pub target: Option<String>,
    /// For create: a message makes an annotated tag (signed by the server's identity); none makes a lightweight tag.
    #[serde(default)]
    pub message: Option<String>,
}

fn default_tag_action() -> String {
    "list".to_owned()
}

/// One tag.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TagInfo {
    /// Name.
    pub name: String,
    /// The commit it points at.
    pub target: String,
    /// Whether it is annotated.
    pub annotated: bool,
}

/// Result of `git_tag`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TagOutput {
    /// The action done.
    pub action: String,
    /// The tags after the action.
    pub tags: Vec<TagInfo>,
}

#[tool_router(router = extra_tools, vis = "pub(crate)")]
impl GitServer {
    /// Stash local changes: action 'push' (save and clean the tree; message, include_untracked),
    /// 'pop' (re-apply stash `index`, default 0, and drop it; refused if it would overwrite local
    /// changes) or 'list'. Example: `{"repo_path": "/repos/app", "action": "push", "message": "wip"}`.
    #[tool(
        output_schema = schema::<StashOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn git_stash(
        &self,
        Parameters(args): Parameters<StashArgs>,
    ) -> Result<Reply<StashOutput>, GitError> {
        check_opt("message", args.message.as_deref())?;
        if !matches!(args.action.as_str(), "push" | "pop" | "list") {
            return Err(GitError::arg(
                "action",
                format!("{:?} must be 'push', 'pop' or 'list'", args.action),
            ));
        }
        let audit = json!({
            "action": args.action, "message": args.message,
            "include_untracked": args.include_untracked, "index": args.index,
        });
        if args.action == "list" {
            return self
                .read(args.repo_path, |repo, _| {
                    let mut git =
                        git2::Repository::open(repo.git.path()).git("opening the repository")?;
                    let stashes = stash_list(&mut git)?;
                    Ok(Reply::new(
                        stash_text(&stashes),
                        StashOutput {
                            action: "list".into(),
                            hash: None,
                            stashes,
                        },
                    ))
                })
                .await;
        }
        self.write(
            "git_stash",
            args.repo_path.clone(),
            audit,
            None,
            move |repo, config, _| {
                let out = stash(repo, config, &args)?;
                let text = match out.action.as_str() {
                    "push" => format!(
                        "Saved working directory and index state as stash@{{0}} ({})",
                        short_str(out.hash.as_deref().unwrap_or(""))
                    ),
                    _ => format!(
                        "Applied and dropped stash@{{{}}} ({})\n{}",
                        args.index,
                        short_str(out.hash.as_deref().unwrap_or("")),
                        stash_text(&out.stashes)
                    ),
                };
                Ok(Reply::new(text, out))
            },
        )
        .await
    }

    /// Manage tags: action 'list' (default), 'create' (name, target default HEAD; a message makes
    /// an annotated tag signed by the server's identity) or 'delete' (name). Example:
    /// `{"repo_path": "/repos/app", "action": "create", "name": "v1.2.0", "message": "Release 1.2.0"}`.
    #[tool(
        output_schema = schema::<TagOutput>(),
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn git_tag(
        &self,
        Parameters(args): Parameters<TagArgs>,
    ) -> Result<Reply<TagOutput>, GitError> {
        check_opt("name", args.name.as_deref())?;
        check_opt("target", args.target.as_deref())?;
        check_opt("message", args.message.as_deref())?;
        match args.action.as_str() {
            "list" => {
                return self
                    .read(args.repo_path, |repo, _| {
                        let tags = tag_list(repo)?;
                        let text = if tags.is_empty() {
                            "No tags.".to_owned()
                        } else {
                            tags.iter()
                                .map(|t| t.name.as_str())
                                .collect::<Vec<_>>()
                                .join("\n")
                        };
                        Ok(Reply::new(
                            text,
                            TagOutput {
                                action: "list".into(),
                                tags,
                            },
                        ))
                    })
                    .await;
            }
            "create" | "delete" => {}
            other => {
                return Err(GitError::arg(
                    "action",
                    format!("{other:?} must be 'list', 'create' or 'delete'"),
                ));
            }
        }
        let audit = json!({
            "action": args.action, "name": args.name, "target": args.target, "message": args.message,
        });
        self.write(
            "git_tag",
            args.repo_path,
            audit,
            None,
            move |repo, config, _| {
                let name = args
                    .name
                    .as_deref()
                    .ok_or_else(|| GitError::arg("name", "required for create and delete"))?;
                let text = if args.action == "create" {
                    let id = tag_create(
                        repo,
                        config,
                        name,
                        args.target.as_deref(),
                        args.message.as_deref(),
                    )?;
                    format!("Created tag '{name}' at {}", short(id))
                } else {
                    repo.git
                        .tag_delete(name)
                        .map_err(|_| GitError::arg("name", format!("no tag named {name:?}")))?;
                    format!("Deleted tag '{name}'")
                };
                let tags = tag_list(repo)?;
                Ok(Reply::new(
                    text,
                    TagOutput {
                        action: args.action.clone(),
                        tags,
                    },
                ))
            },
        )
        .await
    }
}

fn short_str(hash: &str) -> &str {
    &hash[..7.min(hash.len())]
}

fn stash_text(stashes: &[StashEntry]) -> String {
    if stashes.is_empty() {
        return "No stashes.".to_owned();
    }
    stashes
        .iter()
        .map(|s| format!("stash@{{{}}}: {}", s.index, s.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The stash list, newest first.
pub(crate) fn stash_list(git: &mut git2::Repository) -> Result<Vec<StashEntry>, GitError> {
    let mut out = Vec::new();
    git.stash_foreach(|index, message, oid| {
        out.push(StashEntry {
            index,
            message: message.to_owned(),
            hash: oid.to_string(),
        });
        true
    })
    .git("listing stashes")?;
    Ok(out)
}

/// Push or pop a stash.
pub(crate) fn stash(
    repo: &mut Repo,
    config: &GitConfig,
    args: &StashArgs,
) -> Result<StashOutput, GitError> {
    repo.workdir()?;
    let git = &mut repo.git;
    let hash = if args.action == "push" {
        let (author, _) = signatures(config)?;
        let mut flags = StashFlags::DEFAULT;
        if args.include_untracked {
            flags |= StashFlags::INCLUDE_UNTRACKED;
        }
        let oid = git
            .stash_save(
                &author,
                args.message.as_deref().unwrap_or("sanctuary-git stash"),
                Some(flags),
            )
            .map_err(|e| {
                if e.code() == git2::ErrorCode::NotFound {
                    GitError::State("no local changes to stash".to_owned())
                } else {
                    GitError::Git {
                        context: "stashing".to_owned(),
                        source: e,
                    }
                }
            })?;
        Some(oid.to_string())
    } else {
        let list = stash_list(git)?;
        let entry = list.get(args.index).ok_or_else(|| {
            GitError::arg(
                "index",
                format!(
                    "stash@{{{}}} does not exist ({} stash(es))",
                    args.index,
                    list.len()
                ),
            )
        })?;
        let hash = entry.hash.clone();
        let mut opts = StashApplyOptions::new();
        opts.checkout_options(safe_checkout());
        git.stash_pop(args.index, Some(&mut opts)).map_err(|e| GitError::Git {
            context: format!("popping stash@{{{}}} (it would overwrite local changes: commit or stash them first)", args.index),
            source: e,
        })?;
        Some(hash)
    };
    Ok(StashOutput {
        action: args.action.clone(),
        hash,
        stashes: stash_list(git)?,
    })
}

/// Every tag with its target commit.
pub(crate) fn tag_list(repo: &Repo) -> Result<Vec<TagInfo>, GitError> {
    let git = &repo.git;
    let mut tags = Vec::new();
    for name in git
        .tag_names(None)
        .git("listing tags")?
        .iter()
        .flatten()
        .flatten()
    {
        let Ok(r) = git.find_reference(&format!("refs/tags/{name}")) else {
            continue;
        };
        let annotated = r.peel_to_tag().is_ok();
        let target = r
            .peel_to_commit()
            .map(|c| c.id().to_string())
            .unwrap_or_default();
        tags.push(TagInfo {
            name: name.to_owned(),
            target,
            annotated,
        });
    }
    Ok(tags)
}

/// Create tag `name` at `target` (default HEAD); annotated when `message` is given.
pub(crate) fn tag_create(
    repo: &Repo,
    config: &GitConfig,
    name: &str,
    target: Option<&str>,
    message: Option<&str>,
) -> Result<git2::Oid, GitError> {
    check_arg("name", name)?;
    if !git2::Reference::is_valid_name(&format!("refs/tags/{name}")) {
        return Err(GitError::arg(
            "name",
            format!("{name:?} is not a valid tag name"),
        ));
    }
    let git = &repo.git;
    if git.find_reference(&format!("refs/tags/{name}")).is_ok() {
        return Err(GitError::arg(
            "name",
            format!("tag {name:?} already exists"),
        ));
    }
    let commit = commit_of(git, "target", target.unwrap_or("HEAD"))?;
    match message {
        Some(m) => {
            let (tagger, _) = signatures(config)?;
            git.tag(name, commit.as_object(), &tagger, m, false)
                .git(format!("creating tag {name}"))
        }
        None => git
            .tag_lightweight(name, commit.as_object(), false)
            .git(format!("creating tag {name}")),
    }
}
