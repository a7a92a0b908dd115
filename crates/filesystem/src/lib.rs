//! The filesystem cluster (`sanctuary-filesystem`): the privileged one. File operations, grep,
//! patch and code analysis, confined to a jail of allowed directories.
//!
//! | group | tools |
//! |---|---|
//! | read | `read_text_file`, `read_file` (alias), `read_media_file`, `read_multiple_files`, `code_read` |
//! | write | `write_file`, `code_write`, `edit_file`, `create_directory`, `move_file`, `code_delete` |
//! | list | `list_directory`, `list_directory_with_sizes`, `directory_tree`, `search_files`, `get_file_info`, `list_allowed_directories`, `code_list_files`, `code_find_file`, `code_get_info` |
//! | grep | `grep`, `code_search_content` |
//! | patch | `apply_patch` |
//! | code | `code_analyze`, `code_lint`, `code_format`, `code_check_tools` |
//!
//! The original fleet's 11 `code_*` names and server-filesystem's 14 tools are kept; `grep`
//! and `apply_patch` are new. Files under the roots are also `file://` resources.
//!
//! # Layout
//! - [`jail`]: the allowed roots as directory handles; path resolution by components; the
//!   only way any tool reaches a file (openat2 `RESOLVE_BENEATH` through cap-std).
//! - [`walk`]: the handle-based directory walk (ignore files, deadlines, caps, threads).
//! - [`audit`]: the JSON-lines record of every mutation.
//! - [`analysis`], [`outline`]: languages and line counts (tokei), symbol outlines
//!   (tree-sitter, pulldown-cmark).
//! - [`exec`]: external lint/format tools, fed on stdin, time-limited, minimal environment.
//! - [`server`]: `FsServer`, the `Cluster` impl, per-call jail and audit plumbing.
//! - [`resources`]: `file://` resources, template and completion.
//! - `tools/`: one file per tool group; [`config`], [`error`], [`text`].
//!
//! **Architecture Invariant:** this crate opens no socket; it touches the disk only through
//! [`jail`] (the audit log and the start-up check of the roots aside).

pub mod analysis;
pub mod audit;
pub mod config;
pub mod error;
pub mod exec;
pub mod jail;
pub mod outline;
pub mod resources;
pub mod server;
pub mod text;
mod tools;
pub mod walk;

pub use config::{FS_VARS, FsConfig};
pub use error::FsError;
pub use server::FsServer;
