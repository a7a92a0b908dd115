//! Shared fixtures: real repositories in a temp directory (a working clone and a bare `origin`,
//! made and inspected with the `git` command line, independently of the server's libgit2), and
//! the git binary started against them.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use fleet_testkit::{Client, Server, args, call, http_client};
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_sanctuary-git");

/// The identity the server is given through its environment.
pub const AUTHOR_NAME: &str = "Sanctuary Test";
/// Its email.
pub const AUTHOR_EMAIL: &str = "sanctuary-test@example.invalid";

/// Every tool of the cluster, sorted.
pub const TOOLS: [&str; 24] = [
    "git_add",
    "git_blame",
    "git_branch",
    "git_checkout",
    "git_commit",
    "git_create_branch",
    "git_diff",
    "git_diff_staged",
    "git_diff_unstaged",
    "git_fetch",
    "git_finish_feature",
    "git_get_safety_rules",
    "git_get_status",
    "git_log",
    "git_pull",
    "git_push_feature",
    "git_remote_list",
    "git_reset",
    "git_show",
    "git_smart_commit",
    "git_start_feature",
    "git_stash",
    "git_status",
    "git_tag",
];

/// Run `git` in `dir` with a fixed identity for commits made by the test itself; panics with
/// git's output on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_env(dir, args, &[])
}

/// [`git`] with extra environment (e.g. `GIT_COMMITTER_DATE`).
pub fn git_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new("git")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Reviewer")
        .env("GIT_AUTHOR_EMAIL", "reviewer@example.invalid")
        .env("GIT_COMMITTER_NAME", "Reviewer")
        .env("GIT_COMMITTER_EMAIL", "reviewer@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A base directory holding a bare `origin.git`, a working clone `work` on `main` with one commit
/// pushed, and the audit log path.
pub struct Fixture {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// The base directory given to the server.
    pub base: PathBuf,
    /// The working repository.
    pub work: PathBuf,
    /// The bare remote.
    pub origin: PathBuf,
    /// The audit log.
    pub audit: PathBuf,
}

impl Fixture {
    /// Make the repositories.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap().join("repos");
        std::fs::create_dir_all(&base).unwrap();
        let origin = base.join("origin.git");
        let work = base.join("work");
        git(
            &base,
            &[
                "init",
                "-q",
                "--bare",
                "-b",
                "main",
                origin.to_str().unwrap(),
            ],
        );
        git(&base, &["init", "-q", "-b", "main", work.to_str().unwrap()]);
        std::fs::write(work.join("README.md"), "# Sanctuary\n\nline two\n").unwrap();
        std::fs::write(
            work.join(".gitignore"),
            "target/\n*.log\nnode_modules/\n.cache/\n",
        )
        .unwrap();
        std::fs::write(
            work.join("package.json"),
            "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\"\n}\n",
        )
        .unwrap();
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "initial commit"]);
        git(
            &work,
            &["remote", "add", "origin", origin.to_str().unwrap()],
        );
        git(&work, &["push", "-q", "-u", "origin", "main"]);
        let audit = dir.path().join("audit.jsonl");
        Self {
            dir,
            base,
            work,
            origin,
            audit,
        }
    }

    /// The server's environment for this fixture.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GIT_BASE_DIRS".into(), self.base.display().to_string()),
            ("GIT_REPO_PATH".into(), self.work.display().to_string()),
            ("GIT_AUDIT_LOG".into(), self.audit.display().to_string()),
            ("GIT_AUTHOR_NAME".into(), AUTHOR_NAME.into()),
            ("GIT_AUTHOR_EMAIL".into(), AUTHOR_EMAIL.into()),
            ("GIT_LOCK_TIMEOUT".into(), "60s".into()),
        ]
    }

    /// A second clone of origin (a reviewer's), for merging on the "remote" side.
    pub fn reviewer(&self) -> PathBuf {
        let path = self.dir.path().join("reviewer");
        if !path.exists() {
            git(
                self.dir.path(),
                &[
                    "clone",
                    "-q",
                    self.origin.to_str().unwrap(),
                    path.to_str().unwrap(),
                ],
            );
        } else {
            git(&path, &["fetch", "-q", "origin"]);
        }
        path
    }

    /// Merge `branch` into origin's main from the reviewer's clone (`--no-ff`, or `--squash`).
    pub fn merge_on_remote(&self, branch: &str, squash: bool) {
        let r = self.reviewer();
        git(&r, &["checkout", "-q", "main"]);
        git(&r, &["reset", "-q", "--hard", "origin/main"]);
        if squash {
            git(
                &r,
                &["merge", "-q", "--squash", &format!("origin/{branch}")],
            );
            git(&r, &["commit", "-q", "-m", &format!("squash {branch}")]);
        } else {
            git(
                &r,
                &[
                    "merge",
                    "-q",
                    "--no-ff",
                    "-m",
                    &format!("merge {branch}"),
                    &format!("origin/{branch}"),
                ],
            );
        }
        git(&r, &["push", "-q", "origin", "main"]);
    }

    /// Add a commit to origin's main that the working clone does not have.
    pub fn advance_remote_main(&self, file: &str) {
        let r = self.reviewer();
        git(&r, &["checkout", "-q", "main"]);
        git(&r, &["reset", "-q", "--hard", "origin/main"]);
        std::fs::write(r.join(file), "from the remote\n").unwrap();
        git(&r, &["add", file]);
        git(&r, &["commit", "-q", "-m", &format!("remote adds {file}")]);
        git(&r, &["push", "-q", "origin", "main"]);
    }

    /// Write a file in the working repository.
    pub fn write(&self, rel: &str, content: &str) {
        let p = self.work.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(p, content).unwrap();
    }

    /// The audit records so far.
    pub fn audit_records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Start the server in HTTP mode for this fixture, with `extra` variables.
    pub async fn start(&self, extra: &[(&str, &str)]) -> Server {
        let mut env = self.env();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Server::start(BIN, &pairs).await.unwrap()
    }

    /// Start the server and connect over Streamable HTTP.
    pub async fn connect(&self) -> (Server, Client) {
        let server = self.start(&[]).await;
        let client = http_client(&server.url("/mcp")).await.unwrap();
        (server, client)
    }
}

/// Call `tool` with `args`.
pub async fn run(client: &Client, tool: &str, a: Value) -> CallToolResult {
    call(client, tool, a).await.unwrap()
}

/// Call `tool` and return its structured content; fails the test on an error result.
pub async fn ok(client: &Client, tool: &str, a: Value) -> Value {
    let r = run(client, tool, a).await;
    assert_ne!(
        r.is_error,
        Some(true),
        "{tool} failed: {}",
        fleet_testkit::text(&r)
    );
    r.structured_content.clone().unwrap_or(Value::Null)
}

/// Call `tool`, require an error result, and return its text.
pub async fn err(client: &Client, tool: &str, a: Value) -> String {
    let r = run(client, tool, a).await;
    let text = fleet_testkit::text(&r);
    assert_eq!(
        r.is_error,
        Some(true),
        "{tool} should fail but gave: {text}"
    );
    text
}

/// Require a refusal by `rule` that carries a remedy; returns the text.
pub async fn refused(client: &Client, tool: &str, a: Value, rule: &str) -> String {
    let text = err(client, tool, a).await;
    assert!(
        text.starts_with(&format!("refused by {rule} (")) && text.contains("; remedy: "),
        "{tool}: expected a refusal by {rule}, got: {text}"
    );
    text
}

/// `json!` shorthand re-exported for the test files.
pub fn a(pairs: &[(&str, Value)]) -> Value {
    args(pairs)
}

/// An empty argument object.
pub fn none() -> Value {
    json!({})
}
