//! Every Protocol 101/122 rule tried through the real binary and refused, with the rule's id and a
//! remedy in the answer, and the repository checked afterwards (with the git command line) to be
//! unchanged. The feature cycle's own rules (merged-before-finish, main-up-to-date) are also tried
//! in tests/workflow.rs; flag injection, paths and base directories in tests/safety.rs.

#![allow(clippy::unwrap_used)]

mod common;

use std::{
    io::{Read as _, Write as _},
    net::TcpListener,
    sync::{Arc, Mutex},
};

use common::{Fixture, err, git, ok, refused};
use fleet_testkit::{http_client, text};
use serde_json::json;

fn porcelain(fx: &Fixture) -> String {
    git(&fx.work, &["status", "--porcelain"])
}

#[tokio::test]
async fn nothing_is_staged_committed_or_pushed_on_main() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    fx.write("new.txt", "x\n");
    let head = git(&fx.work, &["rev-parse", "HEAD"]);
    let t = refused(
        &c,
        "git_add",
        json!({"files": ["new.txt"]}),
        "protected-branch",
    )
    .await;
    assert!(
        t.contains("staging on 'main' is not allowed") && t.contains("git_start_feature"),
        "{t}"
    );
    assert_eq!(porcelain(&fx), "?? new.txt", "nothing was staged");
    // Staged behind the server's back, a commit is still refused by both commit tools.
    git(&fx.work, &["add", "new.txt"]);
    refused(
        &c,
        "git_commit",
        json!({"message": "sneaky"}),
        "protected-branch",
    )
    .await;
    refused(
        &c,
        "git_smart_commit",
        json!({"message": "sneaky"}),
        "protected-branch",
    )
    .await;
    refused(&c, "git_push_feature", json!({}), "protected-branch").await;
    assert_eq!(git(&fx.work, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&fx.origin, &["rev-parse", "main"]), head);
    // git_finish_feature will not delete main either.
    refused(
        &c,
        "git_finish_feature",
        json!({"branch_name": "main"}),
        "protected-branch",
    )
    .await;
}

#[tokio::test]
async fn work_happens_only_on_feature_branches() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(&c, "git_create_branch", json!({"branch_name": "spike"})).await;
    ok(&c, "git_checkout", json!({"branch_name": "spike"})).await;
    fx.write("s.txt", "s\n");
    let t = refused(&c, "git_add", json!({}), "feature-branch-only").await;
    assert!(
        t.contains("'spike' is not allowed: it is not a feature/ branch"),
        "{t}"
    );
    git(&fx.work, &["add", "s.txt"]);
    refused(
        &c,
        "git_commit",
        json!({"message": "x"}),
        "feature-branch-only",
    )
    .await;
    refused(&c, "git_push_feature", json!({}), "feature-branch-only").await;
    git(&fx.work, &["reset", "-q"]);
    // A detached HEAD is no feature branch.
    let head = git(&fx.work, &["rev-parse", "HEAD"]);
    let r = ok(&c, "git_checkout", json!({"branch_name": head})).await;
    assert_eq!(r["detached"], true);
    let t = refused(&c, "git_add", json!({}), "feature-branch-only").await;
    assert!(t.contains("detached HEAD"), "{t}");
    refused(
        &c,
        "git_finish_feature",
        json!({"branch_name": "spike"}),
        "feature-branch-only",
    )
    .await;
}

#[tokio::test]
async fn feature_branch_names_are_canonical_and_sanitised() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    let t = refused(
        &c,
        "git_create_branch",
        json!({"branch_name": "feature/login"}),
        "branch-name",
    )
    .await;
    assert!(t.contains("feature/task-<id>-<slug>"), "{t}");
    refused(
        &c,
        "git_create_branch",
        json!({"branch_name": "feature/task-1-Bad_Case"}),
        "branch-name",
    )
    .await;
    assert_eq!(git(&fx.work, &["branch", "--list", "feature/*"]), "");
    // A remote branch with a bad name cannot be checked out as a local feature branch.
    let r = fx.reviewer();
    git(
        &r,
        &["push", "-q", "origin", "HEAD:refs/heads/feature/rogue"],
    );
    ok(&c, "git_fetch", json!({})).await;
    refused(
        &c,
        "git_checkout",
        json!({"branch_name": "feature/rogue"}),
        "branch-name",
    )
    .await;
    // The description is sanitised into the slug; the task id must be letters and digits.
    let s = ok(
        &c,
        "git_start_feature",
        json!({"task_id": "42a", "description": "  ../../Etc; rm -rf / && Ünïcode!! "}),
    )
    .await;
    assert_eq!(s["branch"], "feature/task-42a-etc-rm-rf-n-code");
    git(&fx.work, &["checkout", "-q", "main"]);
    git(
        &fx.work,
        &["branch", "-q", "-D", "feature/task-42a-etc-rm-rf-n-code"],
    );
    let t = err(
        &c,
        "git_start_feature",
        json!({"task_id": "1/../2", "description": "x"}),
    )
    .await;
    assert!(t.starts_with("invalid task_id:"), "{t}");
    let t = err(
        &c,
        "git_start_feature",
        json!({"task_id": 5, "description": "%%%"}),
    )
    .await;
    assert!(
        t.starts_with("invalid description:") && t.contains("no letters or digits"),
        "{t}"
    );
}

#[tokio::test]
async fn only_one_feature_branch_at_a_time() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 1, "description": "first"}),
    )
    .await;
    git(&fx.work, &["checkout", "-q", "main"]);
    let t = refused(
        &c,
        "git_start_feature",
        json!({"task_id": 2, "description": "second"}),
        "one-feature",
    )
    .await;
    assert!(t.contains("feature/task-1-first already exists"), "{t}");
    refused(
        &c,
        "git_create_branch",
        json!({"branch_name": "feature/task-2-second"}),
        "one-feature",
    )
    .await;
    // A second feature branch on the remote cannot be checked out locally either.
    let r = fx.reviewer();
    git(
        &r,
        &[
            "push",
            "-q",
            "origin",
            "HEAD:refs/heads/feature/task-3-remote",
        ],
    );
    ok(&c, "git_fetch", json!({})).await;
    refused(
        &c,
        "git_checkout",
        json!({"branch_name": "feature/task-3-remote"}),
        "one-feature",
    )
    .await;
    assert_eq!(
        git(
            &fx.work,
            &["branch", "--list", "feature/*", "--format=%(refname:short)"]
        ),
        "feature/task-1-first"
    );
    // Resuming the existing feature is fine.
    let s = ok(
        &c,
        "git_start_feature",
        json!({"task_id": 1, "description": "first"}),
    )
    .await;
    assert_eq!(s["created"], false);
    assert_eq!(
        git(&fx.work, &["branch", "--show-current"]),
        "feature/task-1-first"
    );
}

#[tokio::test]
async fn starting_or_finishing_needs_a_clean_tree() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    fx.write("untracked.txt", "u\n");
    let t = refused(
        &c,
        "git_start_feature",
        json!({"task_id": 4, "description": "dirty"}),
        "clean-tree",
    )
    .await;
    assert!(t.contains("untracked.txt"), "{t}");
    std::fs::remove_file(fx.work.join("untracked.txt")).unwrap();
    fx.write("README.md", "changed\n");
    refused(
        &c,
        "git_start_feature",
        json!({"task_id": 4, "description": "dirty"}),
        "clean-tree",
    )
    .await;
    git(&fx.work, &["checkout", "--", "README.md"]);
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 4, "description": "dirty"}),
    )
    .await;
    fx.write("f.txt", "f\n");
    ok(&c, "git_add", json!({})).await;
    ok(&c, "git_smart_commit", json!({"message": "f"})).await;
    ok(&c, "git_push_feature", json!({})).await;
    fx.merge_on_remote("feature/task-4-dirty", false);
    fx.write("f.txt", "changed after the merge\n");
    let t = refused(
        &c,
        "git_finish_feature",
        json!({"branch_name": "feature/task-4-dirty"}),
        "clean-tree",
    )
    .await;
    assert!(t.contains("f.txt"), "{t}");
    assert_eq!(
        git(&fx.work, &["branch", "--show-current"]),
        "feature/task-4-dirty"
    );
    // Ignored files do not count.
    git(&fx.work, &["checkout", "--", "f.txt"]);
    fx.write("build.log", "ignored\n");
    ok(
        &c,
        "git_finish_feature",
        json!({"branch_name": "feature/task-4-dirty"}),
    )
    .await;
}

#[tokio::test]
async fn an_unreachable_remote_stops_a_feature_start() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    let gone = fx.base.join("gone.git");
    git(
        &fx.work,
        &["remote", "set-url", "origin", gone.to_str().unwrap()],
    );
    let t = refused(
        &c,
        "git_start_feature",
        json!({"task_id": 5, "description": "offline"}),
        "main-up-to-date",
    )
    .await;
    assert!(t.contains("cannot bring main up to date"), "{t}");
    assert_eq!(git(&fx.work, &["branch", "--list", "feature/*"]), "");
}

#[tokio::test]
async fn high_risk_files_block_heavy_deletions_and_secrets() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 122, "description": "poka yoke"}),
    )
    .await;
    let head = git(&fx.work, &["rev-parse", "HEAD"]);

    // .gitignore loses 3 of its 4 lines: blocked by both commit tools.
    fx.write(".gitignore", "target/\n");
    ok(&c, "git_add", json!({"files": [".gitignore"]})).await;
    let t = refused(
        &c,
        "git_smart_commit",
        json!({"message": "trim ignores"}),
        "high-risk-files",
    )
    .await;
    assert!(
        t.contains(".gitignore: removes 3 line(s) and adds 0"),
        "{t}"
    );
    refused(
        &c,
        "git_commit",
        json!({"message": "trim ignores"}),
        "high-risk-files",
    )
    .await;
    assert_eq!(
        git(&fx.work, &["rev-parse", "HEAD"]),
        head,
        "nothing committed"
    );
    ok(&c, "git_reset", json!({})).await;
    git(&fx.work, &["checkout", "--", ".gitignore"]);

    // A secret added to .env (in a subdirectory too) is blocked.
    fx.write("deploy/.env", "DEBUG=1\nAPI_KEY=sk-live-1234\n");
    ok(&c, "git_add", json!({"files": ["deploy/.env"]})).await;
    let t = refused(
        &c,
        "git_smart_commit",
        json!({"message": "env"}),
        "high-risk-files",
    )
    .await;
    assert!(
        t.contains("deploy/.env: line 2 adds a secret-looking value"),
        "{t}"
    );
    assert!(
        !t.contains("sk-live-1234"),
        "the secret itself is not echoed: {t}"
    );
    ok(&c, "git_reset", json!({})).await;
    std::fs::remove_file(fx.work.join("deploy/.env")).unwrap();

    // Deleting package.json is a heavy deletion.
    std::fs::remove_file(fx.work.join("package.json")).unwrap();
    ok(&c, "git_add", json!({"files": ["package.json"]})).await;
    refused(
        &c,
        "git_commit",
        json!({"message": "drop package.json"}),
        "high-risk-files",
    )
    .await;
    ok(&c, "git_reset", json!({})).await;
    git(&fx.work, &["checkout", "--", "package.json"]);

    // A balanced change passes, and the check is reported.
    fx.write(
        "package.json",
        "{\n  \"name\": \"app\",\n  \"version\": \"1.1.0\"\n}\n",
    );
    ok(&c, "git_add", json!({"files": ["package.json"]})).await;
    let out = ok(&c, "git_smart_commit", json!({"message": "bump"})).await;
    assert_eq!(out["high_risk_checked"][0]["path"], "package.json");
    assert_eq!(out["high_risk_checked"][0]["added"], 1);
    assert_eq!(out["high_risk_checked"][0]["removed"], 1);
    assert_eq!(git(&fx.work, &["log", "-1", "--format=%s"]), "bump");
}

#[tokio::test]
async fn empty_commits_are_refused() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 6, "description": "empty"}),
    )
    .await;
    let t = refused(
        &c,
        "git_commit",
        json!({"message": "nothing"}),
        "no-empty-commit",
    )
    .await;
    assert!(t.contains("no changes staged for commit"), "{t}");
    refused(
        &c,
        "git_smart_commit",
        json!({"message": "nothing"}),
        "no-empty-commit",
    )
    .await;
    // Modified but not staged is still nothing to commit.
    fx.write("README.md", "changed\n");
    refused(
        &c,
        "git_smart_commit",
        json!({"message": "nothing staged"}),
        "no-empty-commit",
    )
    .await;
    assert_eq!(git(&fx.work, &["rev-list", "--count", "HEAD"]), "1");
}

#[tokio::test]
async fn a_rejected_push_fails_and_force_needs_operator_approval() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 12, "description": "race"}),
    )
    .await;
    let branch = "feature/task-12-race";
    fx.write("mine.txt", "mine\n");
    ok(&c, "git_add", json!({})).await;
    ok(&c, "git_smart_commit", json!({"message": "mine"})).await;
    // Someone else pushes to the same branch first.
    let r = fx.reviewer();
    git(&r, &["checkout", "-q", "-b", branch, "origin/main"]);
    std::fs::write(r.join("theirs.txt"), "theirs\n").unwrap();
    git(&r, &["add", "theirs.txt"]);
    git(&r, &["commit", "-q", "-m", "theirs"]);
    git(&r, &["push", "-q", "origin", branch]);
    let theirs = git(&fx.origin, &["rev-parse", branch]);

    let t = err(&c, "git_push_feature", json!({})).await;
    assert!(t.contains(&format!("pushing refs/heads/{branch}")), "{t}");
    assert_eq!(
        git(&fx.origin, &["rev-parse", branch]),
        theirs,
        "the remote branch is untouched"
    );
    let t = refused(
        &c,
        "git_push_feature",
        json!({"force": true}),
        "no-force-push",
    )
    .await;
    assert!(t.contains("GIT_ALLOW_FORCE_PUSH"), "{t}");
    assert_eq!(git(&fx.origin, &["rev-parse", branch]), theirs);

    // With the operator's approval the forced push goes through and is verified.
    let approved = fx.start(&[("GIT_ALLOW_FORCE_PUSH", "1")]).await;
    let c2 = http_client(&approved.url("/mcp")).await.unwrap();
    let out = ok(&c2, "git_push_feature", json!({"force": true})).await;
    assert_eq!(out["forced"], true);
    assert_eq!(
        git(&fx.origin, &["rev-parse", branch]),
        out["hash"].as_str().unwrap()
    );
}

/// A plain-HTTP "git server" on loopback that asks for Basic credentials and records whether any
/// were sent.
fn asking_http_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/repo.git", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut s) = stream else { break };
            let mut buf = [0u8; 8192];
            let n = s.read(&mut buf).unwrap_or(0);
            sink.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = s.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (url, seen)
}

#[tokio::test]
async fn the_token_comes_from_the_environment_and_never_goes_over_plain_http() {
    let fx = Fixture::new();
    let (url, seen) = asking_http_server();
    git(&fx.work, &["remote", "add", "plain", &url]);
    let server = fx.start(&[("GIT_TOKEN", "ghp_supersecret")]).await;
    let c = http_client(&server.url("/mcp")).await.unwrap();
    let t = err(&c, "git_fetch", json!({"remote": "plain"})).await;
    assert!(t.contains("refusing to send GIT_TOKEN to http://"), "{t}");
    let requests = seen.lock().unwrap().join("\n---\n");
    assert!(!requests.is_empty(), "libgit2 reached the server");
    assert!(
        !requests.to_ascii_lowercase().contains("authorization:"),
        "{requests}"
    );
    assert!(!requests.contains("ghp_supersecret"));
    // Without a token the answer says what the operator must set.
    let (url2, _) = asking_http_server();
    git(&fx.work, &["remote", "add", "plain2", &url2]);
    let (_s2, c2) = fx.connect().await;
    let t = err(&c2, "git_fetch", json!({"remote": "plain2"})).await;
    assert!(t.contains("the operator must set GIT_TOKEN"), "{t}");
    // The token is in no answer and no log.
    assert!(!server.log_text().contains("ghp_supersecret"));
    assert!(!text(&common::run(&c, "git_remote_list", json!({})).await).contains("ghp_"));
}
