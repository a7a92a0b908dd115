//! Diff tools: `git_diff_unstaged`, `git_diff_staged` (mcp-server-git) and `git_diff`, which
//! serves both contracts.
//!
//! `git_diff` with `target` is mcp-server-git's (`git diff <target>`: that commit against the
//! working tree; `A..B` and `A...B` are understood too). Without `target` it is the original
//! fleet's (`cached=false`: unstaged, `cached=true`: staged), and `file_path` narrows either to one
//! path. Output is capped at GIT_MAX_OUTPUT_BYTES and marked `truncated`.

use git2::{Diff, DiffOptions, Repository};
use rmcp::{handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::{
    error::{GitContext, GitError},
    ops::{RenderedDiff, commit_of, head_commit, render_diff},
    reply::{Reply, schema},
    repo::Repo,
    rules::check_opt,
    server::GitServer,
};

/// Largest `context_lines` accepted.
pub(crate) const MAX_CONTEXT_LINES: u32 = 10_000;

fn default_context() -> u32 {
    3
}

/// Arguments of `git_diff_unstaged` and `git_diff_staged`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DiffSideArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Lines of context around each change (default 3, at most 10000).
    #[serde(default = "default_context")]
    pub context_lines: u32,
}

/// Arguments of `git_diff`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DiffArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Branch, tag or commit to compare the working tree with (mcp-server-git); also `A..B`
    /// (tree A against tree B) and `A...B` (merge base of A and B against B). Omit for the
    /// unstaged or staged changes.
    #[serde(default)]
    pub target: Option<String>,
    /// Without target: false = unstaged changes (default), true = staged changes (the original fleet's `cached`).
    #[serde(default)]
    pub cached: bool,
    /// Limit the diff to this path (file or directory, relative to the repository root).
    #[serde(default)]
    pub file_path: Option<String>,
    /// Lines of context around each change (default 3, at most 10000).
    #[serde(default = "default_context")]
    pub context_lines: u32,
}

/// A diff and what it compared.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DiffOutput {
    /// unstaged, staged or target.
    pub kind: String,
    /// The target, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The diff itself.
    #[serde(flatten)]
    pub diff: RenderedDiff,
}

#[tool_router(router = diff_tools, vis = "pub(crate)")]
impl GitServer {
    /// Show changes in the working tree that are not staged yet (`git diff`), as a unified diff.
    /// Capped at GIT_MAX_OUTPUT_BYTES. Example: `{"repo_path": "/repos/app", "context_lines": 3}`.
    #[tool(
        output_schema = schema::<DiffOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_diff_unstaged(
        &self,
        Parameters(args): Parameters<DiffSideArgs>,
    ) -> Result<Reply<DiffOutput>, GitError> {
        self.diff_side_tool(args, false).await
    }

    /// Show changes that are staged for the next commit (`git diff --cached`), as a unified diff.
    /// Capped at GIT_MAX_OUTPUT_BYTES. Example: `{"repo_path": "/repos/app"}`.
    #[tool(
        output_schema = schema::<DiffOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_diff_staged(
        &self,
        Parameters(args): Parameters<DiffSideArgs>,
    ) -> Result<Reply<DiffOutput>, GitError> {
        self.diff_side_tool(args, true).await
    }

    /// Show differences between the working tree and a branch or commit (mcp-server-git:
    /// `target`, also `A..B` and `A...B`), or, without target, the unstaged changes
    /// (`cached=false`) or staged changes (`cached=true`) as the original fleet's `git_diff`
    /// did; `file_path` narrows to one path. A target starting with '-' is refused.
    /// Examples: `{"repo_path": "/repos/app", "target": "main"}`, `{"cached": true, "file_path": "src/lib.rs"}`.
    #[tool(
        output_schema = schema::<DiffOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_diff(
        &self,
        Parameters(args): Parameters<DiffArgs>,
    ) -> Result<Reply<DiffOutput>, GitError> {
        check_opt("target", args.target.as_deref())?;
        check_opt("file_path", args.file_path.as_deref())?;
        self.read(args.repo_path, move |repo, config| {
            let path = args
                .file_path
                .as_deref()
                .map(|p| repo.relative_path("file_path", p))
                .transpose()?;
            let max = config.max_output_bytes;
            match args.target {
                Some(target) => {
                    let out = diff_target(repo, &target, path.as_deref(), args.context_lines, max)?;
                    Ok(Reply::new(text(&format!("Diff with {target}:"), &out), out))
                }
                None => {
                    let out =
                        diff_sides(repo, args.cached, path.as_deref(), args.context_lines, max)?;
                    Ok(Reply::new(text(side_title(args.cached), &out), out))
                }
            }
        })
        .await
    }
}

impl GitServer {
    /// `git_diff_unstaged` (`cached` false) and `git_diff_staged` (`cached` true).
    async fn diff_side_tool(
        &self,
        args: DiffSideArgs,
        cached: bool,
    ) -> Result<Reply<DiffOutput>, GitError> {
        self.read(args.repo_path, move |repo, config| {
            let out = diff_sides(
                repo,
                cached,
                None,
                args.context_lines,
                config.max_output_bytes,
            )?;
            Ok(Reply::new(text(side_title(cached), &out), out))
        })
        .await
    }
}

fn side_title(cached: bool) -> &'static str {
    if cached {
        "Staged changes:"
    } else {
        "Unstaged changes:"
    }
}

fn text(title: &str, out: &DiffOutput) -> String {
    if out.diff.files_changed == 0 {
        format!("{title}\nNo changes.")
    } else {
        format!("{title}\n{}", out.diff.diff)
    }
}

fn options(context_lines: u32, path: Option<&str>) -> Result<DiffOptions, GitError> {
    if context_lines > MAX_CONTEXT_LINES {
        return Err(GitError::arg(
            "context_lines",
            format!("{context_lines} is more than {MAX_CONTEXT_LINES}"),
        ));
    }
    let mut o = DiffOptions::new();
    o.context_lines(context_lines);
    if let Some(p) = path.filter(|p| !p.is_empty()) {
        o.pathspec(p).disable_pathspec_match(true);
    }
    Ok(o)
}

fn find_renames(diff: &mut Diff<'_>) -> Result<(), GitError> {
    diff.find_similar(None).git("detecting renames")
}

/// Unstaged (`staged=false`, index → working tree) or staged (HEAD → index) changes.
pub(crate) fn diff_sides(
    repo: &Repo,
    staged: bool,
    path: Option<&str>,
    context_lines: u32,
    max: usize,
) -> Result<DiffOutput, GitError> {
    repo.workdir()?;
    let git = &repo.git;
    let mut opts = options(context_lines, path)?;
    let mut diff = if staged {
        let tree = match head_commit(git)? {
            Some(c) => Some(c.tree().git("reading HEAD's tree")?),
            None => None,
        };
        git.diff_tree_to_index(tree.as_ref(), None, Some(&mut opts))
            .git("diffing HEAD against the index")?
    } else {
        git.diff_index_to_workdir(None, Some(&mut opts))
            .git("diffing the index against the working tree")?
    };
    if staged {
        find_renames(&mut diff)?;
    }
    Ok(DiffOutput {
        kind: if staged { "staged" } else { "unstaged" }.to_owned(),
        target: None,
        diff: render_diff(&diff, max)?,
    })
}

fn tree_of<'r>(git: &'r Repository, rev: &str) -> Result<git2::Tree<'r>, GitError> {
    commit_of(git, "target", rev)?
        .tree()
        .git(format!("reading the tree of {rev}"))
}

/// `target` against the working tree, or `A..B` / `A...B` between two trees.
pub(crate) fn diff_target(
    repo: &Repo,
    target: &str,
    path: Option<&str>,
    context_lines: u32,
    max: usize,
) -> Result<DiffOutput, GitError> {
    let git = &repo.git;
    let mut opts = options(context_lines, path)?;
    let mut diff = if let Some((a, b)) = target.split_once("...") {
        let (a, b) = (or_head(a), or_head(b));
        let ca = commit_of(git, "target", a)?;
        let cb = commit_of(git, "target", b)?;
        let base = git
            .merge_base(ca.id(), cb.id())
            .git(format!("finding the merge base of {a} and {b}"))?;
        let base_tree = git
            .find_commit(base)
            .and_then(|c| c.tree())
            .git("reading the merge base")?;
        git.diff_tree_to_tree(
            Some(&base_tree),
            Some(&cb.tree().git("reading a tree")?),
            Some(&mut opts),
        )
        .git("diffing")?
    } else if let Some((a, b)) = target.split_once("..") {
        let ta = tree_of(git, or_head(a))?;
        let tb = tree_of(git, or_head(b))?;
        git.diff_tree_to_tree(Some(&ta), Some(&tb), Some(&mut opts))
            .git("diffing")?
    } else {
        let tree = tree_of(git, target)?;
        repo.workdir()?;
        git.diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))
            .git(format!("diffing {target} against the working tree"))?
    };
    find_renames(&mut diff)?;
    Ok(DiffOutput {
        kind: "target".to_owned(),
        target: Some(target.to_owned()),
        diff: render_diff(&diff, max)?,
    })
}

fn or_head(rev: &str) -> &str {
    if rev.is_empty() { "HEAD" } else { rev }
}
