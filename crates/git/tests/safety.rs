//! The safety suites: flag injection into every string argument, path escapes (`..`, absolute
//! paths, symbolic links, `.git`), repositories and local remotes outside the base directories,
//! the per-repository lock under concurrent index changes, and the audit log's records of
//! successes, refusals and failures. Each refusal is checked to have changed nothing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Fixture, err, git, ok, refused};
use fleet_testkit::http_client;
use serde_json::{Value, json};

#[tokio::test]
async fn no_argument_may_start_with_a_dash() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 1, "description": "flags"}),
    )
    .await;
    fx.write("x.txt", "x\n");
    let pwned = fx.dir.path().join("pwned");
    let out = format!("--output={}", pwned.display());
    let cases: Vec<(&str, Value)> = vec![
        ("git_diff", json!({"target": out})),
        ("git_diff", json!({"target": "-p"})),
        ("git_diff", json!({"file_path": "--cached"})),
        ("git_log", json!({"start_timestamp": "--all"})),
        ("git_log", json!({"end_timestamp": "-1"})),
        ("git_log", json!({"revision": "--output=x"})),
        ("git_show", json!({"revision": out})),
        ("git_checkout", json!({"branch_name": "--orphan=evil"})),
        ("git_create_branch", json!({"branch_name": "-D"})),
        (
            "git_create_branch",
            json!({"branch_name": "ok", "base_branch": "--track"}),
        ),
        (
            "git_branch",
            json!({"branch_type": "all", "contains": "--merged"}),
        ),
        (
            "git_branch",
            json!({"branch_type": "all", "not_contains": "-r"}),
        ),
        ("git_add", json!({"files": ["--all"]})),
        ("git_add", json!({"files": ["x.txt", "-f"]})),
        ("git_blame", json!({"path": "-L1,2"})),
        ("git_commit", json!({"message": "--amend"})),
        ("git_smart_commit", json!({"message": " -m evil"})),
        (
            "git_start_feature",
            json!({"task_id": 2, "description": "--force"}),
        ),
        ("git_finish_feature", json!({"branch_name": "-D"})),
        ("git_fetch", json!({"remote": "--upload-pack=touch /tmp/x"})),
        ("git_pull", json!({"remote": "-q"})),
        ("git_tag", json!({"action": "create", "name": "-d"})),
        (
            "git_tag",
            json!({"action": "create", "name": "v1", "target": "--contains"}),
        ),
        (
            "git_stash",
            json!({"action": "push", "message": "--keep-index"}),
        ),
        ("git_status", json!({"repo_path": "-C/etc"})),
        ("git_get_status", json!({"repo_path": "--git-dir=/etc"})),
    ];
    let head = git(&fx.work, &["rev-parse", "HEAD"]);
    for (tool, args) in &cases {
        let t = refused(&c, tool, args.clone(), "no-flag-arguments").await;
        assert!(t.contains("starts with '-'"), "{tool}: {t}");
    }
    assert!(!pwned.exists());
    assert_eq!(git(&fx.work, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&fx.work, &["status", "--porcelain"]), "?? x.txt");
    assert_eq!(
        git(&fx.work, &["branch", "--list", "--format=%(refname:short)"]),
        "feature/task-1-flags\nmain"
    );
    // A file really named like an option is reachable as ./-name.
    fx.write("-weird.txt", "w\n");
    let r = ok(&c, "git_add", json!({"files": ["./-weird.txt"]})).await;
    assert_eq!(r["staged"], json!(["-weird.txt"]));
}

#[tokio::test]
async fn paths_stay_inside_the_repository() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 1, "description": "paths"}),
    )
    .await;
    std::fs::write(fx.base.join("outside.txt"), "secret\n").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("loot.txt"), "loot\n").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), fx.work.join("link")).unwrap();
    let passwd = "/etc/passwd".to_owned();
    for bad in [
        "../outside.txt",
        "../../etc/passwd",
        passwd.as_str(),
        "sub/../../outside.txt",
        "link/loot.txt",
        &fx.base.join("outside.txt").display().to_string(),
    ] {
        let t = refused(&c, "git_add", json!({"files": [bad]}), "path-containment").await;
        assert!(t.contains("escapes the repository"), "{bad}: {t}");
        refused(
            &c,
            "git_diff",
            json!({"file_path": bad}),
            "path-containment",
        )
        .await;
        refused(&c, "git_blame", json!({"path": bad}), "path-containment").await;
    }
    for inside_git in [".git/config", "./.git/hooks/pre-commit", "sub/../.git/HEAD"] {
        let t = refused(
            &c,
            "git_add",
            json!({"files": [inside_git]}),
            "path-containment",
        )
        .await;
        assert!(t.contains("points into .git"), "{t}");
    }
    assert_eq!(
        git(&fx.work, &["diff", "--cached", "--name-only"]),
        "",
        "nothing staged"
    );
    // The link itself is a file git tracks: staging it stages a link, not its target.
    let r = ok(&c, "git_add", json!({"files": ["link"]})).await;
    assert_eq!(r["staged"], json!(["link"]));
    assert_eq!(
        git(&fx.work, &["ls-files", "-s", "link"])
            .split_whitespace()
            .next(),
        Some("120000")
    );
}

#[tokio::test]
async fn repositories_and_local_remotes_must_be_inside_the_base_directories() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    let outside = tempfile::tempdir().unwrap();
    git(outside.path(), &["init", "-q", "-b", "main"]);
    let out = outside.path().display().to_string();
    for tool in ["git_status", "git_log", "git_get_status"] {
        let t = refused(&c, tool, json!({"repo_path": out}), "base-directories").await;
        assert!(t.contains("outside the allowed base directories"), "{t}");
    }
    refused(
        &c,
        "git_add",
        json!({"repo_path": out, "files": ["."]}),
        "base-directories",
    )
    .await;
    refused(
        &c,
        "git_status",
        json!({"repo_path": "../"}),
        "base-directories",
    )
    .await;
    refused(
        &c,
        "git_status",
        json!({"repo_path": "work/../.."}),
        "base-directories",
    )
    .await;
    // A symbolic link inside the base that leads out is judged by where it leads.
    std::os::unix::fs::symlink(outside.path(), fx.base.join("sneaky")).unwrap();
    refused(
        &c,
        "git_status",
        json!({"repo_path": "sneaky"}),
        "base-directories",
    )
    .await;
    // Relative paths are relative to the first base directory.
    let s = ok(&c, "git_get_status", json!({"repo_path": "work"})).await;
    assert_eq!(s["branch"], "main");
    let t = err(&c, "git_status", json!({"repo_path": "nowhere"})).await;
    assert!(t.starts_with("invalid repo_path:"), "{t}");
    let t = err(
        &c,
        "git_status",
        json!({"repo_path": fx.base.display().to_string()}),
    )
    .await;
    assert!(t.contains("is not a git repository"), "{t}");
    // A remote that is a local repository outside the bases is refused before any transfer.
    let remote_out = tempfile::tempdir().unwrap();
    git(remote_out.path(), &["init", "-q", "--bare"]);
    git(
        &fx.work,
        &[
            "remote",
            "add",
            "exfil",
            remote_out.path().to_str().unwrap(),
        ],
    );
    let t = refused(
        &c,
        "git_fetch",
        json!({"remote": "exfil"}),
        "base-directories",
    )
    .await;
    assert!(
        t.contains("remote exfil is a local repository outside the base directories"),
        "{t}"
    );
    let t = err(&c, "git_fetch", json!({"remote": "nope"})).await;
    assert!(
        t.starts_with("invalid remote: no remote named \"nope\""),
        "{t}"
    );
}

#[tokio::test]
async fn a_call_without_repo_path_needs_the_configured_default() {
    let fx = Fixture::new();
    let server = fx.start(&[("GIT_REPO_PATH", "")]).await;
    let c = http_client(&server.url("/mcp")).await.unwrap();
    let t = err(&c, "git_get_status", json!({})).await;
    assert!(
        t.contains("invalid repo_path: missing") && t.contains("GIT_REPO_PATH"),
        "{t}"
    );
}

#[tokio::test]
async fn the_lock_serialises_concurrent_index_changes() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 1, "description": "lock"}),
    )
    .await;
    let n = 16;
    for i in 0..n {
        fx.write(&format!("f{i}.txt"), &format!("{i}\n"));
    }
    // Many sessions at once, as several agents would; every add must land in the index.
    let server_url = _server.url("/mcp");
    let mut tasks = Vec::new();
    for i in 0..n {
        let url = server_url.clone();
        tasks.push(tokio::spawn(async move {
            let c = http_client(&url).await.unwrap();
            let r = common::run(&c, "git_add", json!({"files": [format!("f{i}.txt")]})).await;
            (i, r)
        }));
    }
    for t in tasks {
        let (i, r) = t.await.unwrap();
        assert_ne!(
            r.is_error,
            Some(true),
            "add {i}: {}",
            fleet_testkit::text(&r)
        );
        assert_eq!(
            r.structured_content.unwrap()["staged"],
            json!([format!("f{i}.txt")])
        );
    }
    let staged = git(&fx.work, &["diff", "--cached", "--name-only"]);
    assert_eq!(staged.lines().count(), n, "{staged}");
    let out = ok(&c, "git_smart_commit", json!({"message": "all files"})).await;
    assert_eq!(out["files_changed"], n);
}

#[tokio::test]
async fn the_audit_log_records_every_mutating_call_and_no_read() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(&c, "git_get_status", json!({})).await;
    ok(&c, "git_log", json!({})).await;
    ok(&c, "git_diff", json!({})).await;
    assert!(fx.audit_records().is_empty(), "reads are not audited");
    refused(&c, "git_add", json!({}), "protected-branch").await;
    err(&c, "git_checkout", json!({"branch_name": "does-not-exist"})).await;
    ok(&c, "git_create_branch", json!({"branch_name": "spike"})).await;
    let records = fx.audit_records();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["tool"], "git_add");
    assert_eq!(records[0]["outcome"], "refused");
    assert_eq!(records[0]["rule"], "protected-branch");
    assert_eq!(records[0]["branch"], "main", "the branch the call found");
    assert_eq!(records[1]["tool"], "git_checkout");
    assert_eq!(records[1]["outcome"], "error");
    assert!(
        records[1]["detail"]
            .as_str()
            .unwrap()
            .contains("does-not-exist")
    );
    assert_eq!(records[2]["outcome"], "ok");
    assert_eq!(records[2]["args"]["branch_name"], "spike");
    assert_eq!(records[2]["branch"], "main");
    assert!(
        records[2]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Created branch 'spike' from 'main'")
    );
    for r in &records {
        assert_eq!(r["repo"], fx.work.display().to_string());
        assert!(r["ts"].as_str().unwrap().ends_with('Z'));
    }
}

#[tokio::test]
async fn bad_input_is_an_error_result_never_a_crash() {
    let fx = Fixture::new();
    let (server, c) = fx.connect().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("git_log", json!({"max_count": 0}), "invalid max_count"),
        (
            "git_log",
            json!({"max_count": 10_000_000}),
            "invalid max_count",
        ),
        (
            "git_log",
            json!({"start_timestamp": "the day after never"}),
            "invalid start_timestamp",
        ),
        (
            "git_diff",
            json!({"target": "no-such-ref"}),
            "invalid target",
        ),
        (
            "git_diff",
            json!({"context_lines": 99_999_999}),
            "invalid context_lines",
        ),
        (
            "git_show",
            json!({"revision": "HEAD:missing.txt"}),
            "invalid revision",
        ),
        (
            "git_branch",
            json!({"branch_type": "both"}),
            "invalid branch_type",
        ),
        ("git_blame", json!({"path": "missing.txt"}), "invalid path"),
        (
            "git_blame",
            json!({"path": "README.md", "start_line": 0}),
            "invalid start_line",
        ),
        ("git_stash", json!({"action": "drop"}), "invalid action"),
        ("git_tag", json!({"action": "rename"}), "invalid action"),
        ("git_tag", json!({"action": "create"}), "invalid name"),
        (
            "git_create_branch",
            json!({"branch_name": "bad..name"}),
            "invalid branch_name",
        ),
        ("git_commit", json!({"message": ""}), "invalid message"),
        (
            "git_commit",
            json!({"message": "x".repeat(70_000)}),
            "invalid message",
        ),
        (
            "git_status",
            json!({"repo_path": "a\u{0}b"}),
            "invalid repo_path",
        ),
    ];
    for (tool, args, want) in cases {
        let t = err(&c, tool, args).await;
        assert!(t.starts_with(want), "{tool}: {t}");
    }
    // Still serving.
    ok(&c, "git_get_status", json!({})).await;
    assert!(!server.log_text().contains("panicked"));
}

#[tokio::test]
async fn a_call_stuck_on_the_network_keeps_the_lock_and_others_answer_busy() {
    let fx = Fixture::new();
    // A remote that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/stuck.git", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(4) {
            held.push(s);
        }
        std::thread::sleep(std::time::Duration::from_secs(120));
    });
    git(&fx.work, &["remote", "add", "stuck", &url]);
    let server = fx
        .start(&[
            ("FLEET_TOOL_TIMEOUTS", "git_fetch=1s"),
            ("GIT_LOCK_TIMEOUT", "1s"),
        ])
        .await;
    let c = http_client(&server.url("/mcp")).await.unwrap();
    let t = err(&c, "git_fetch", json!({"remote": "stuck"})).await;
    assert!(
        t.contains("'git_fetch' timed out"),
        "the guard answers at the time limit: {t}"
    );
    // The worker still holds the repository: an index change waits, then answers busy.
    let t = err(&c, "git_create_branch", json!({"branch_name": "later"})).await;
    assert!(
        t.contains("is busy") && t.contains("GIT_LOCK_TIMEOUT"),
        "{t}"
    );
    assert_eq!(git(&fx.work, &["branch", "--list", "later"]), "");
    // Reads do not wait for the lock.
    ok(&c, "git_get_status", json!({})).await;
    let records = fx.audit_records();
    let outcomes: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["tool"].as_str().unwrap(),
                r["outcome"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(outcomes, ["git_fetch:abandoned", "git_create_branch:error"]);
    assert!(records[1]["detail"].as_str().unwrap().contains("busy"));
}

#[tokio::test]
async fn reused_handles_never_overwrite_changes_made_outside_the_server() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 1, "description": "stale"}),
    )
    .await;
    for f in ["a.txt", "b.txt", "c.txt"] {
        fx.write(f, "x\n");
    }
    ok(&c, "git_add", json!({"files": ["a.txt"]})).await;
    ok(&c, "git_get_status", json!({})).await;
    // Someone stages with git itself between two calls that reuse the server's open handles.
    git(&fx.work, &["add", "b.txt"]);
    let s = ok(&c, "git_get_status", json!({})).await;
    assert_eq!(s["staged"].as_array().unwrap().len(), 2, "{s}");
    ok(&c, "git_add", json!({"files": ["c.txt"]})).await;
    assert_eq!(
        git(&fx.work, &["diff", "--cached", "--name-only"]),
        "a.txt\nb.txt\nc.txt"
    );
    git(&fx.work, &["reset", "-q", "b.txt"]);
    let out = ok(&c, "git_smart_commit", json!({"message": "a and c"})).await;
    assert_eq!(out["files_changed"], 2);
    assert_eq!(
        git(&fx.work, &["show", "--name-only", "--format=", "HEAD"]),
        "a.txt\nc.txt"
    );
}
