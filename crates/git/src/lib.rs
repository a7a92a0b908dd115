//! The git cluster (`sanctuary-git`): git on libgit2 with the Protocol 101/122 safety rules
//! enforced in the server, for repositories under configured base directories.
//!
//! | group | tools |
//! |---|---|
//! | status | `git_status`, `git_get_status` |
//! | diff | `git_diff_unstaged`, `git_diff_staged`, `git_diff` |
//! | history | `git_log`, `git_show`, `git_blame` |
//! | index | `git_add`, `git_reset`, `git_commit`, `git_smart_commit` |
//! | branch | `git_create_branch`, `git_checkout`, `git_branch` |
//! | workflow | `git_get_safety_rules`, `git_start_feature`, `git_push_feature`, `git_finish_feature` |
//! | remote | `git_fetch`, `git_pull`, `git_remote_list` |
//! | extra | `git_stash`, `git_tag` |
//!
//! mcp-server-git's 12 tools keep their names and parameters; the original fleet's 9 workflow
//! tools keep theirs; `git_add`, `git_diff` and `git_log` serve both (a superset of parameters,
//! the peer's text in `content`, typed fields in `structuredContent`: see [`reply`]).
//!
//! # Layout
//! - [`config`]: `GIT_*` settings (base directories, identity, token, limits).
//! - [`repo`]: opening a repository inside the base directories; path containment.
//! - [`rules`]: the safety rules' table and checks.
//! - [`server`]: `GitServer`, the per-repository lock, blocking execution, audit and progress plumbing.
//! - [`net`]: fetch, push and ls-remote with credentials from the environment.
//! - [`ops`]: git operations shared by several tool groups.
//! - [`audit`]: the JSON-lines audit log. [`reply`]: text + structured answers. [`error`]: `GitError`.
//! - `tools/`: one file per group.
//!
//! This crate knows no transport: fleet-core serves it.

pub mod audit;
pub mod config;
pub mod error;
pub mod net;
pub mod ops;
pub mod reply;
pub mod repo;
pub mod rules;
pub mod server;
#[cfg(test)]
mod testutil;
mod tools;

pub use config::{GIT_VARS, GitConfig};
pub use error::GitError;
pub use server::GitServer;
