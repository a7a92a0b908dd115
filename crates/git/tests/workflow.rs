//! The Protocol 101 feature cycle against real repositories with a local bare `origin`: start →
//! add → smart_commit → push (verified in the bare repository with the git command line) → merge
//! on the remote (a reviewer's clone) → finish; squash merges; a feature started from a main that
//! the remote moved; refusals when the branch is not merged; progress notifications.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{AUTHOR_EMAIL, AUTHOR_NAME, Fixture, a, git, ok, refused};
use fleet_testkit::text;
use rmcp::{
    ClientHandler, RoleClient, ServiceExt as _,
    model::{CallToolRequestParams, ClientRequest, ProgressNotificationParam, Request},
    service::{NotificationContext, PeerRequestOptions},
    transport::StreamableHttpClientTransport,
};
use serde_json::json;

const BRANCH: &str = "feature/task-119-deploy-the-pilot";

#[tokio::test]
async fn full_feature_cycle_with_a_merge_on_the_remote() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;

    let s = ok(
        &c,
        "git_start_feature",
        json!({"task_id": 119, "description": "Deploy the Pilot!"}),
    )
    .await;
    assert_eq!(s["branch"], BRANCH);
    assert_eq!(s["created"], true);
    assert_eq!(s["synced_with_remote"], true);
    assert_eq!(git(&fx.work, &["branch", "--show-current"]), BRANCH);

    // Starting again is idempotent.
    let again = ok(
        &c,
        "git_start_feature",
        json!({"task_id": "119", "description": "deploy the pilot"}),
    )
    .await;
    assert_eq!(again["already_on_branch"], true);

    fx.write("src/pilot.rs", "fn pilot() {}\n");
    fx.write("README.md", "# Sanctuary\n\nline two\nline three\n");
    let added = ok(&c, "git_add", json!({})).await;
    assert_eq!(added["staged"], json!(["README.md", "src/pilot.rs"]));
    assert_eq!(added["branch"], BRANCH);

    let status = ok(&c, "git_get_status", json!({})).await;
    let staged: Vec<(String, String)> = status["staged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_owned(),
                s["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        staged,
        [
            ("README.md".to_owned(), "modified".to_owned()),
            ("src/pilot.rs".to_owned(), "added".to_owned())
        ]
    );

    let r = common::run(
        &c,
        "git_smart_commit",
        json!({"message": "feat: deploy the pilot", "author": "Mallory <m@evil>"}),
    )
    .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert!(
        text(&r).starts_with("Commit successful. Hash: "),
        "{}",
        text(&r)
    );
    let commit = r.structured_content.clone().unwrap();
    assert_eq!(commit["files_changed"], 2);
    // The author comes from the server's environment, never from the request.
    assert_eq!(
        git(&fx.work, &["log", "-1", "--format=%an <%ae>|%cn <%ce>|%s"]),
        format!(
            "{AUTHOR_NAME} <{AUTHOR_EMAIL}>|{AUTHOR_NAME} <{AUTHOR_EMAIL}>|feat: deploy the pilot"
        )
    );

    let pushed = ok(&c, "git_push_feature", json!({})).await;
    assert_eq!(pushed["verified"], true);
    assert_eq!(pushed["hash"], commit["hash"]);
    assert_eq!(pushed["remote_hash"], commit["hash"]);
    // Verified independently: the bare remote's branch is the commit.
    assert_eq!(
        git(&fx.origin, &["rev-parse", &format!("refs/heads/{BRANCH}")]),
        commit["hash"].as_str().unwrap()
    );
    assert_eq!(
        git(&fx.work, &["rev-parse", "--abbrev-ref", "@{upstream}"]),
        format!("origin/{BRANCH}")
    );

    // Not merged yet: finishing is refused, and the branch survives.
    let t = refused(
        &c,
        "git_finish_feature",
        json!({"branch_name": BRANCH}),
        "merged-before-finish",
    )
    .await;
    assert!(t.contains("is not merged into origin/main"), "{t}");
    assert_eq!(
        git(&fx.work, &["branch", "--list", BRANCH]).trim_start_matches("* "),
        BRANCH
    );

    fx.merge_on_remote(BRANCH, false);
    let fin = ok(
        &c,
        "git_finish_feature",
        json!({"branch_name": BRANCH, "delete_remote": true}),
    )
    .await;
    assert_eq!(fin["merged_by"], "ancestor");
    assert_eq!(fin["switched_to"], "main");
    assert_eq!(fin["deleted_remote"], true);
    assert_eq!(git(&fx.work, &["branch", "--show-current"]), "main");
    assert_eq!(git(&fx.work, &["branch", "--list", BRANCH]), "");
    assert_eq!(
        git(&fx.origin, &["branch", "--list", BRANCH]),
        "",
        "remote branch deleted"
    );
    // Local main was fast-forwarded to the merge.
    assert_eq!(
        git(&fx.work, &["rev-parse", "main"]),
        git(&fx.origin, &["rev-parse", "main"])
    );
    assert!(fx.work.join("src/pilot.rs").exists());

    // Every mutating step is in the audit log, in order.
    let tools: Vec<String> = fx
        .audit_records()
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["tool"].as_str().unwrap(),
                r["outcome"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        tools,
        [
            "git_start_feature:ok",
            "git_start_feature:ok",
            "git_add:ok",
            "git_smart_commit:ok",
            "git_push_feature:ok",
            "git_finish_feature:refused",
            "git_finish_feature:ok",
        ]
    );
    let records = fx.audit_records();
    assert_eq!(records[5]["rule"], "merged-before-finish");
    assert_eq!(records[3]["branch"], BRANCH);
    assert_eq!(records[3]["repo"], fx.work.display().to_string());
    assert!(
        !std::fs::read_to_string(&fx.audit)
            .unwrap()
            .contains("Mallory")
    );
}

#[tokio::test]
async fn a_squash_merge_is_detected_and_finishes_the_feature() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 7, "description": "squash me"}),
    )
    .await;
    let branch = "feature/task-7-squash-me";
    fx.write("a.txt", "one\n");
    ok(&c, "git_add", json!({"files": ["a.txt"]})).await;
    ok(&c, "git_smart_commit", json!({"message": "first"})).await;
    fx.write("b.txt", "two\n");
    ok(&c, "git_add", json!({"files": ["b.txt"]})).await;
    ok(&c, "git_smart_commit", json!({"message": "second"})).await;
    ok(&c, "git_push_feature", json!({})).await;
    // Main moves on independently, then the feature is squash-merged: no ancestry, and the
    // trees differ, but merging the branch again would change nothing.
    fx.advance_remote_main("other.txt");
    fx.merge_on_remote(branch, true);
    let tip = git(&fx.work, &["rev-parse", branch]);
    let main = git(&fx.origin, &["rev-parse", "main"]);
    assert_ne!(
        std::process::Command::new("git")
            .args(["merge-base", "--is-ancestor", &tip, &main])
            .current_dir(&fx.origin)
            .status()
            .unwrap()
            .code(),
        Some(0),
        "the squash merge must not make the branch an ancestor"
    );
    let fin = ok(&c, "git_finish_feature", json!({"branch_name": branch})).await;
    assert_eq!(fin["merged_by"], "squash");
    assert_eq!(fin["deleted_remote"], false);
    assert_eq!(git(&fx.work, &["branch", "--show-current"]), "main");
    assert_eq!(git(&fx.work, &["rev-parse", "main"]), main);
    // Without delete_remote the remote branch stays.
    assert_eq!(
        git(&fx.origin, &["branch", "--list", branch]).trim(),
        branch
    );
}

#[tokio::test]
async fn a_feature_starts_from_the_remote_main_after_fetching_it() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    fx.advance_remote_main("remote.txt");
    let remote_main = git(&fx.origin, &["rev-parse", "main"]);
    assert_ne!(git(&fx.work, &["rev-parse", "main"]), remote_main);
    let s = ok(
        &c,
        "git_start_feature",
        json!({"task_id": 8, "description": "fresh base"}),
    )
    .await;
    assert_eq!(s["base_hash"], remote_main.as_str());
    assert_eq!(git(&fx.work, &["rev-parse", "HEAD"]), remote_main);
    assert_eq!(
        git(&fx.work, &["rev-parse", "main"]),
        remote_main,
        "local main fast-forwarded"
    );
    assert!(fx.work.join("remote.txt").exists());
    assert!(
        s["fetch"]["updated_refs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "refs/remotes/origin/main")
    );
}

#[tokio::test]
async fn a_feature_is_not_started_from_a_main_with_unpushed_commits() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    fx.write("stray.txt", "x\n");
    git(&fx.work, &["add", "stray.txt"]);
    git(&fx.work, &["commit", "-q", "-m", "stray commit on main"]);
    let t = refused(
        &c,
        "git_start_feature",
        json!({"task_id": 9, "description": "x"}),
        "main-up-to-date",
    )
    .await;
    assert!(
        t.contains("local main has 1 commit(s) that origin/main lacks"),
        "{t}"
    );
    assert_eq!(git(&fx.work, &["branch", "--show-current"]), "main");
    assert_eq!(git(&fx.work, &["branch", "--list", "feature/*"]), "");
}

#[tokio::test]
async fn without_a_remote_the_feature_starts_from_local_main_and_finishes_against_it() {
    let fx = Fixture::new();
    git(&fx.work, &["remote", "remove", "origin"]);
    let (_server, c) = fx.connect().await;
    let s = ok(
        &c,
        "git_start_feature",
        json!({"task_id": 10, "description": "offline"}),
    )
    .await;
    assert_eq!(s["synced_with_remote"], false);
    let branch = "feature/task-10-offline";
    fx.write("x.txt", "x\n");
    ok(&c, "git_add", json!({"files": ["x.txt"]})).await;
    ok(&c, "git_smart_commit", json!({"message": "x"})).await;
    refused(
        &c,
        "git_finish_feature",
        json!({"branch_name": branch}),
        "merged-before-finish",
    )
    .await;
    git(&fx.work, &["checkout", "-q", "main"]);
    git(&fx.work, &["merge", "-q", "--ff-only", branch]);
    let fin = ok(&c, "git_finish_feature", json!({"branch_name": branch})).await;
    assert_eq!(fin["merged_into"], "main");
    assert_eq!(fin["merged_by"], "ancestor");
}

#[derive(Clone, Default)]
struct ProgressCollector(Arc<Mutex<Vec<ProgressNotificationParam>>>);

impl ClientHandler for ProgressCollector {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push(params);
    }
}

#[tokio::test]
async fn push_and_fetch_report_progress() {
    let fx = Fixture::new();
    let server = fx.start(&[]).await;
    fleet_core::install_crypto_provider();
    let collector = ProgressCollector::default();
    let c = collector
        .clone()
        .serve(StreamableHttpClientTransport::from_uri(server.url("/mcp")))
        .await
        .unwrap();
    let call = |name: &str, args: serde_json::Value| {
        let mut p = CallToolRequestParams::new(name.to_owned());
        if let serde_json::Value::Object(m) = args {
            p = p.with_arguments(m);
        }
        ClientRequest::CallToolRequest(Request::new(p))
    };
    let first = c
        .send_cancellable_request(
            call(
                "git_start_feature",
                json!({"task_id": 3, "description": "progress"}),
            ),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let token = first.progress_token.clone();
    first.await_response().await.unwrap();
    fx.write("p.txt", "p\n");
    let add = c
        .send_cancellable_request(call("git_add", json!({})), PeerRequestOptions::no_options())
        .await
        .unwrap();
    add.await_response().await.unwrap();
    let commit = c
        .send_cancellable_request(
            call("git_smart_commit", json!({"message": "p"})),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    commit.await_response().await.unwrap();
    let push = c
        .send_cancellable_request(
            call("git_push_feature", json!({})),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let push_token = push.progress_token.clone();
    let result = push.await_response().await.unwrap();
    assert!(
        format!("{result:?}").contains("Verified push"),
        "{result:?}"
    );
    for _ in 0..100 {
        if collector
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.message.as_deref() == Some("push: done"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let seen = collector.0.lock().unwrap().clone();
    let fetch: Vec<_> = seen.iter().filter(|p| p.progress_token == token).collect();
    let push: Vec<_> = seen
        .iter()
        .filter(|p| p.progress_token == push_token)
        .collect();
    assert!(
        fetch.iter().any(|p| p
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("fetch: "))),
        "{seen:?}"
    );
    assert!(
        push.iter()
            .any(|p| p.message.as_deref() == Some("push: connecting to origin")),
        "{seen:?}"
    );
    assert!(
        push.iter()
            .any(|p| p.message.as_deref() == Some("push: done") && p.total == Some(1.0)),
        "{seen:?}"
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn the_pushed_branch_tracks_and_status_counts_ahead() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    ok(
        &c,
        "git_start_feature",
        json!({"task_id": 11, "description": "ahead"}),
    )
    .await;
    fx.write("one.txt", "1\n");
    ok(&c, "git_add", a(&[("files", json!(["one.txt"]))])).await;
    ok(&c, "git_smart_commit", json!({"message": "one"})).await;
    ok(&c, "git_push_feature", json!({})).await;
    fx.write("two.txt", "2\n");
    ok(&c, "git_add", json!({"files": ["two.txt"]})).await;
    ok(&c, "git_commit", json!({"message": "two"})).await;
    let s = ok(&c, "git_get_status", json!({})).await;
    assert_eq!(s["upstream"], "origin/feature/task-11-ahead");
    assert_eq!(s["ahead"], 1);
    assert_eq!(s["behind"], 0);
    let t = text(&common::run(&c, "git_status", json!({})).await);
    assert!(
        t.contains("Your branch is ahead of 'origin/feature/task-11-ahead' by 1 commit."),
        "{t}"
    );
}
