//! Shared fixtures: a real temporary directory tree as the only allowed root, the filesystem
//! binary serving it over HTTP, and short helpers for calls that must succeed or fail.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use fleet_testkit::{Client, Server, call, http_client, is_error, text};
/// Call a tool that must succeed or fail (shared with the other clusters' tests).
#[allow(unused_imports)] // like the rest of this module, not every test binary uses them
pub use fleet_testkit::{err, ok};
use serde_json::Value;

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_sanctuary-filesystem");

/// Every tool of the cluster, sorted.
pub const TOOLS: [&str; 27] = [
    "apply_patch",
    "code_analyze",
    "code_check_tools",
    "code_delete",
    "code_find_file",
    "code_format",
    "code_get_info",
    "code_lint",
    "code_list_files",
    "code_read",
    "code_search_content",
    "code_write",
    "create_directory",
    "directory_tree",
    "edit_file",
    "get_file_info",
    "grep",
    "list_allowed_directories",
    "list_directory",
    "list_directory_with_sizes",
    "move_file",
    "read_file",
    "read_media_file",
    "read_multiple_files",
    "read_text_file",
    "search_files",
    "write_file",
];

/// A temporary tree, the server jailed to `root` inside it, and a connected client.
pub struct Fixture {
    /// Owns the temporary directory (removed on drop).
    pub tmp: tempfile::TempDir,
    /// `<tmp>/root`, canonical: the only allowed root.
    pub root: PathBuf,
    /// `<tmp>/outside`: never reachable.
    pub outside: PathBuf,
    /// The running binary.
    pub server: Server,
    /// A client over Streamable HTTP.
    pub client: Client,
}

impl Fixture {
    /// `rel` under the root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `rel` under the root, as a string argument.
    pub fn arg(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    /// Write `content` at `rel` under the root, creating directories.
    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// The content of `rel` under the root.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Call a tool that must succeed; its structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        ok(&self.client, tool, args).await
    }

    /// Call a tool that must fail; its error text.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        err(&self.client, tool, args).await
    }

    /// Call a tool that must succeed; its text content.
    pub async fn text(&self, tool: &str, args: Value) -> String {
        let r = call(&self.client, tool, args.clone()).await.unwrap();
        assert!(!is_error(&r), "{tool}({args}) failed: {}", text(&r));
        text(&r)
    }
}

/// Make `<tmp>/root` and `<tmp>/outside` (with a secret) and start the server on the root.
pub async fn start(env: &[(&str, &str)]) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().canonicalize().unwrap();
    let root = base.join("root");
    let outside = base.join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "TOP SECRET outside the jail\n").unwrap();
    let root_s = root.display().to_string();
    let mut all = vec![("FS_ROOTS", root_s.as_str())];
    all.extend_from_slice(env);
    let server = Server::start(BIN, &all).await.unwrap();
    let client = http_client(&server.url("/mcp")).await.unwrap();
    Fixture {
        tmp,
        root,
        outside,
        server,
        client,
    }
}

/// Every file under `dir`, recursively, relative, sorted (symlinks not followed).
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
