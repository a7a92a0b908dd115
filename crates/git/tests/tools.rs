//! Every tool's behaviour through the real binary, against repositories made and checked with the
//! git command line: mcp-server-git's contract (texts, parameters, edge cases) and the original
//! fleet's, on the shared tools both at once.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Fixture, err, git, git_env, ok, run};
use fleet_testkit::text;
use serde_json::{Value, json};

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn status_classifies_deletions_and_renames() {
    let fx = Fixture::new();
    fx.write("keep.txt", "keep\n");
    fx.write(
        "old-name.txt",
        "a file that will be renamed\nwith enough lines\nto be similar\n",
    );
    fx.write("gone.txt", "gone\n");
    fx.write("staged-gone.txt", "staged gone\n");
    git(&fx.work, &["add", "-A"]);
    git(&fx.work, &["commit", "-q", "-m", "more files"]);
    git(&fx.work, &["mv", "old-name.txt", "new-name.txt"]);
    git(&fx.work, &["rm", "-q", "staged-gone.txt"]);
    std::fs::remove_file(fx.work.join("gone.txt")).unwrap();
    fx.write("keep.txt", "changed\n");
    fx.write("fresh.txt", "new\n");
    let (_server, c) = fx.connect().await;
    let s = ok(&c, "git_get_status", json!({})).await;
    assert_eq!(
        s["staged"],
        json!([
            {"path": "new-name.txt", "change": "renamed", "old_path": "old-name.txt"},
            {"path": "staged-gone.txt", "change": "deleted"},
        ])
    );
    assert_eq!(names(&s["modified"]), ["keep.txt"]);
    assert_eq!(names(&s["deleted"]), ["gone.txt"]);
    assert_eq!(names(&s["untracked"]), ["fresh.txt"]);
    assert_eq!(
        s["renamed"],
        json!([{"from": "old-name.txt", "to": "new-name.txt", "staged": true}])
    );
    assert_eq!(s["clean"], false);
    let t = text(&run(&c, "git_get_status", json!({})).await);
    assert!(
        t.contains("Staged: new-name.txt (renamed), staged-gone.txt (deleted)"),
        "{t}"
    );
    assert!(
        t.contains("Deleted: gone.txt") && t.contains("Renamed: old-name.txt -> new-name.txt"),
        "{t}"
    );
    let t = text(&run(&c, "git_status", json!({"repo_path": fx.work})).await);
    for want in [
        "Changes to be committed:",
        "\trenamed:   old-name.txt -> new-name.txt",
        "\tdeleted:   staged-gone.txt",
        "Changes not staged for commit:",
        "\tmodified:   keep.txt",
        "\tdeleted:    gone.txt",
        "Untracked files:\n\tfresh.txt",
    ] {
        assert!(t.contains(want), "missing {want:?} in {t}");
    }
}

#[tokio::test]
async fn the_three_diffs_and_both_git_diff_contracts() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    git(&fx.work, &["checkout", "-q", "-b", "feature/task-1-diff"]);
    fx.write("README.md", "# Sanctuary\n\nline two, edited\n");
    fx.write("notes.txt", "staged note\n");
    git(&fx.work, &["add", "notes.txt"]);

    let t = text(
        &run(
            &c,
            "git_diff_unstaged",
            json!({"repo_path": fx.work, "context_lines": 0}),
        )
        .await,
    );
    assert!(
        t.starts_with("Unstaged changes:\ndiff --git a/README.md b/README.md"),
        "{t}"
    );
    assert!(
        t.contains("-line two\n+line two, edited\n") && !t.contains(" # Sanctuary"),
        "{t}"
    );
    let d = ok(&c, "git_diff_staged", json!({"repo_path": fx.work})).await;
    assert_eq!(d["kind"], "staged");
    assert_eq!(
        d["files"],
        json!([{"path": "notes.txt", "status": "added"}])
    );
    assert_eq!(
        (d["insertions"].as_u64(), d["deletions"].as_u64()),
        (Some(1), Some(0))
    );

    // The original contract: cached and file_path.
    let d = ok(&c, "git_diff", json!({"cached": true})).await;
    assert_eq!(d["files_changed"], 1);
    let d = ok(&c, "git_diff", json!({"file_path": "notes.txt"})).await;
    assert_eq!(d["files_changed"], 0, "notes.txt has no unstaged change");
    assert_eq!(
        text(&run(&c, "git_diff", json!({"file_path": "notes.txt"})).await),
        "Unstaged changes:\nNo changes."
    );
    // mcp-server-git's: a target against the working tree (staged and unstaged).
    let t = text(
        &run(
            &c,
            "git_diff",
            json!({"repo_path": fx.work, "target": "main"}),
        )
        .await,
    );
    assert!(t.starts_with("Diff with main:\n"), "{t}");
    assert!(
        t.contains("+++ b/README.md") && t.contains("+++ b/notes.txt"),
        "{t}"
    );
    // Two-dot and three-dot ranges.
    git(&fx.work, &["commit", "-q", "-am", "edit"]);
    let d = ok(&c, "git_diff", json!({"target": "main..HEAD"})).await;
    assert_eq!(d["files_changed"], 2);
    let d = ok(&c, "git_diff", json!({"target": "HEAD...main"})).await;
    assert_eq!(
        d["files_changed"], 0,
        "main has nothing since the merge base"
    );
    let t = err(&c, "git_diff", json!({"target": "nope"})).await;
    assert!(t.contains("did not resolve"), "{t}");
}

#[tokio::test]
async fn large_diffs_are_truncated_at_the_configured_size() {
    let fx = Fixture::new();
    let server = fx.start(&[("GIT_MAX_OUTPUT_BYTES", "2048")]).await;
    let c = fleet_testkit::http_client(&server.url("/mcp"))
        .await
        .unwrap();
    let big: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    fx.write("README.md", &big);
    let d = ok(&c, "git_diff_unstaged", json!({})).await;
    assert_eq!(d["truncated"], true);
    assert!(d["diff"].as_str().unwrap().len() < 2200);
    assert!(
        d["diff"]
            .as_str()
            .unwrap()
            .ends_with("[diff truncated at GIT_MAX_OUTPUT_BYTES]\n")
    );
    git(&fx.work, &["commit", "-q", "-am", "big readme"]);
    let s = ok(&c, "git_show", json!({"revision": "HEAD:README.md"})).await;
    assert_eq!(s["truncated"], true);
    assert!(s["text"].as_str().unwrap().len() < 2200);
    for i in 0..40 {
        fx.write("n.txt", &format!("{i}\n"));
        git(&fx.work, &["add", "n.txt"]);
        git(
            &fx.work,
            &[
                "commit",
                "-q",
                "-m",
                &format!("commit number {i} with a message of some length"),
            ],
        );
    }
    let l = ok(&c, "git_log", json!({"max_count": 40})).await;
    assert_eq!(l["truncated"], true);
    let n = l["count"].as_u64().unwrap();
    assert!((1..40).contains(&n), "{n}");
}

#[tokio::test]
async fn commit_and_reset_follow_mcp_server_git() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    git(&fx.work, &["checkout", "-q", "-b", "feature/task-2-commit"]);
    fx.write("a.txt", "a\n");
    fx.write("b.txt", "b\n");
    let r = ok(
        &c,
        "git_add",
        json!({"repo_path": fx.work, "files": ["a.txt", "b.txt"]}),
    )
    .await;
    assert_eq!(r["count"], 2);
    let t = text(
        &run(
            &c,
            "git_add",
            json!({"repo_path": fx.work, "files": ["a.txt"]}),
        )
        .await,
    );
    assert!(t.starts_with("No changes were staged"), "{t}");
    let r = run(&c, "git_reset", json!({"repo_path": fx.work})).await;
    assert!(
        text(&r).starts_with("All staged changes reset"),
        "{}",
        text(&r)
    );
    assert_eq!(
        r.structured_content.unwrap()["unstaged"],
        json!(["a.txt", "b.txt"])
    );
    assert_eq!(git(&fx.work, &["diff", "--cached", "--name-only"]), "");
    assert!(
        fx.work.join("a.txt").exists(),
        "the working tree is untouched"
    );
    ok(&c, "git_add", json!({"files": ["."]})).await;
    let r = run(
        &c,
        "git_commit",
        json!({"repo_path": fx.work, "message": "Add a and b\n\nBody."}),
    )
    .await;
    let hash = git(&fx.work, &["rev-parse", "HEAD"]);
    assert_eq!(
        text(&r),
        format!("Changes committed successfully with hash {hash}")
    );
    assert_eq!(
        git(&fx.work, &["log", "-1", "--format=%B"]),
        "Add a and b\n\nBody."
    );
    // Deletions are staged by git_add too.
    std::fs::remove_file(fx.work.join("a.txt")).unwrap();
    let r = ok(&c, "git_add", json!({"files": ["a.txt"]})).await;
    assert_eq!(r["staged"], json!(["a.txt"]));
    assert_eq!(
        git(&fx.work, &["diff", "--cached", "--name-status"]),
        "D\ta.txt"
    );
    // A directory stages what is beneath it, literally (no glob expansion).
    fx.write("dir/one.txt", "1\n");
    fx.write("dir/two.txt", "2\n");
    fx.write("star*.txt", "*\n");
    fx.write("starfish.txt", "fish\n");
    let r = ok(&c, "git_add", json!({"files": ["dir", "star*.txt"]})).await;
    assert_eq!(
        r["staged"],
        json!(["dir/one.txt", "dir/two.txt", "star*.txt"])
    );
    let t = err(&c, "git_add", json!({"files": ["missing.txt"]})).await;
    assert!(
        t.starts_with("invalid files: \"missing.txt\" matches no file"),
        "{t}"
    );
}

#[tokio::test]
async fn log_filters_by_count_and_git_dates() {
    let fx = Fixture::new();
    for (i, date) in [
        "2020-01-01T10:00:00+00:00",
        "2021-06-15T10:00:00+00:00",
        "2022-03-01T10:00:00+00:00",
    ]
    .iter()
    .enumerate()
    {
        fx.write(&format!("h{i}.txt"), "x\n");
        git(&fx.work, &["add", "-A"]);
        git_env(
            &fx.work,
            &["commit", "-q", "-m", &format!("commit {i}")],
            &[("GIT_COMMITTER_DATE", date), ("GIT_AUTHOR_DATE", date)],
        );
    }
    let (_server, c) = fx.connect().await;
    let l = ok(&c, "git_log", json!({"repo_path": fx.work, "max_count": 2})).await;
    assert_eq!(l["count"], 2);
    assert_eq!(
        l["commits"][0]["summary"], "commit 2",
        "git's order: from HEAD back"
    );
    let summaries = |v: &Value| -> Vec<String> {
        v["commits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["summary"].as_str().unwrap().to_owned())
            .collect()
    };
    let l = ok(
        &c,
        "git_log",
        json!({"start_timestamp": "2021-01-01", "end_timestamp": "2022-12-31T00:00:00"}),
    )
    .await;
    assert_eq!(summaries(&l), ["commit 2", "commit 1"]);
    let l = ok(
        &c,
        "git_log",
        json!({"end_timestamp": "Tue, 1 Jan 2021 00:00:00 +0000"}),
    )
    .await;
    assert_eq!(summaries(&l), ["commit 0"]);
    let l = ok(&c, "git_log", json!({"start_timestamp": "2 weeks ago"})).await;
    assert_eq!(summaries(&l), ["initial commit"]);
    let l = ok(
        &c,
        "git_log",
        json!({"start_timestamp": "yesterday", "max_count": 100}),
    )
    .await;
    assert_eq!(l["count"], 1);
    let l = ok(&c, "git_log", json!({"revision": "HEAD~1", "max_count": 1})).await;
    assert_eq!(summaries(&l), ["commit 1"]);
    // Both texts: mcp-server-git's entries and the original's one-liners.
    let t = text(
        &run(
            &c,
            "git_log",
            json!({"max_count": 1, "end_timestamp": "2020-06-01"}),
        )
        .await,
    );
    assert!(t.starts_with("Commit: ") && t.contains("\nAuthor: Reviewer <reviewer@example.invalid>\nDate: 2020-01-01T10:00:00+00:00\nMessage: commit 0"), "{t}");
    let t = text(&run(&c, "git_log", json!({"max_count": 3, "oneline": true})).await);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].len() > 8 && lines[0].ends_with(" commit 2"), "{t}");
}

#[tokio::test]
async fn show_commits_files_trees_and_tags() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    fx.write("src/lib.rs", "pub fn f() {}\n");
    git(&fx.work, &["add", "-A"]);
    git(&fx.work, &["commit", "-q", "-m", "add lib\n\nwith a body"]);
    git(&fx.work, &["tag", "-a", "v1", "-m", "release one"]);
    std::fs::write(fx.work.join("blob.bin"), [0u8, 159, 146, 150, 0, 1]).unwrap();
    git(&fx.work, &["add", "blob.bin"]);
    git(&fx.work, &["commit", "-q", "-m", "binary"]);
    let s = run(
        &c,
        "git_show",
        json!({"repo_path": fx.work, "revision": "HEAD~1"}),
    )
    .await;
    let t = text(&s);
    assert!(
        t.starts_with("commit ")
            && t.contains("Author: Reviewer <reviewer@example.invalid>\nDate:   "),
        "{t}"
    );
    assert!(t.contains("    add lib\n    \n    with a body\n"), "{t}");
    assert!(
        t.contains("--- /dev/null\n+++ b/src/lib.rs\n") && t.contains("+pub fn f() {}"),
        "{t}"
    );
    let v = s.structured_content.unwrap();
    assert_eq!(v["kind"], "commit");
    assert_eq!(v["commit"]["summary"], "add lib");
    let b = ok(&c, "git_show", json!({"revision": "HEAD:src/lib.rs"})).await;
    assert_eq!(
        (b["kind"].as_str(), b["text"].as_str()),
        (Some("blob"), Some("pub fn f() {}\n"))
    );
    let b = ok(&c, "git_show", json!({"revision": "HEAD:blob.bin"})).await;
    assert_eq!(b["binary"], true);
    assert_eq!(b["text"], "binary file, 6 bytes (not shown)");
    let tr = ok(&c, "git_show", json!({"revision": "HEAD:"})).await;
    assert_eq!(tr["kind"], "tree");
    assert!(tr["text"].as_str().unwrap().contains("\nsrc/\n"), "{tr}");
    let tag = ok(&c, "git_show", json!({"revision": "v1"})).await;
    assert_eq!(tag["kind"], "commit");
    assert!(
        tag["text"]
            .as_str()
            .unwrap()
            .starts_with("tag v1\nTagger: Reviewer"),
        "{tag}"
    );
}

#[tokio::test]
async fn branches_are_created_listed_and_checked_out() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    let r = run(
        &c,
        "git_create_branch",
        json!({"repo_path": fx.work, "branch_name": "spike"}),
    )
    .await;
    assert_eq!(text(&r), "Created branch 'spike' from 'main'");
    let t = err(&c, "git_create_branch", json!({"branch_name": "spike"})).await;
    assert!(t.contains("refs/heads/spike already exists"), "{t}");
    let first = git(&fx.work, &["rev-parse", "HEAD"]);
    fx.write("n.txt", "n\n");
    git(&fx.work, &["add", "n.txt"]);
    git(&fx.work, &["commit", "-q", "-m", "second"]);
    ok(
        &c,
        "git_create_branch",
        json!({"branch_name": "old", "base_branch": first}),
    )
    .await;
    let r = run(
        &c,
        "git_checkout",
        json!({"repo_path": fx.work, "branch_name": "old"}),
    )
    .await;
    assert_eq!(text(&r), "Switched to branch 'old'");
    assert!(!fx.work.join("n.txt").exists());
    let r = run(&c, "git_checkout", json!({"branch_name": "main~1"})).await;
    assert_eq!(text(&r), format!("HEAD is now detached at {}", &first[..7]));
    ok(&c, "git_checkout", json!({"branch_name": "main"})).await;
    // A remote-only branch becomes a local tracking branch.
    let rv = fx.reviewer();
    git(&rv, &["push", "-q", "origin", "HEAD:refs/heads/shared"]);
    ok(&c, "git_fetch", json!({})).await;
    let r = run(&c, "git_checkout", json!({"branch_name": "shared"})).await;
    assert_eq!(
        text(&r),
        "Switched to a new branch 'shared' tracking 'origin/shared'"
    );
    assert_eq!(
        git(
            &fx.work,
            &["rev-parse", "--abbrev-ref", "shared@{upstream}"]
        ),
        "origin/shared"
    );
    // Local changes that a switch would overwrite stop it.
    git(&fx.work, &["checkout", "-q", "main"]);
    fx.write("n.txt", "local edit\n");
    let t = err(&c, "git_checkout", json!({"branch_name": "old"})).await;
    assert!(t.contains("would overwrite local changes"), "{t}");
    assert_eq!(
        std::fs::read_to_string(fx.work.join("n.txt")).unwrap(),
        "local edit\n"
    );
    git(&fx.work, &["checkout", "--", "n.txt"]);

    let l = ok(
        &c,
        "git_branch",
        json!({"repo_path": fx.work, "branch_type": "local"}),
    )
    .await;
    let local: Vec<&str> = l["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(local, ["main", "old", "shared", "spike"]);
    assert_eq!(l["branches"][0]["current"], true);
    let t = text(&run(&c, "git_branch", json!({"branch_type": "all"})).await);
    assert!(
        t.contains("* main") && t.contains("  remotes/origin/main"),
        "{t}"
    );
    let r = ok(&c, "git_branch", json!({"branch_type": "remote"})).await;
    assert!(
        r["branches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["kind"] == "remote")
    );
    let head = git(&fx.work, &["rev-parse", "HEAD"]);
    let l = ok(
        &c,
        "git_branch",
        json!({"branch_type": "local", "contains": head}),
    )
    .await;
    assert_eq!(l["branches"].as_array().unwrap().len(), 1);
    let l = ok(
        &c,
        "git_branch",
        json!({"branch_type": "local", "not_contains": head}),
    )
    .await;
    let names: Vec<&str> = l["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["old", "shared", "spike"]);
}

#[tokio::test]
async fn fetch_and_fast_forward_only_pull() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    fx.advance_remote_main("r1.txt");
    let f = ok(&c, "git_fetch", json!({"repo_path": fx.work})).await;
    assert_eq!(f["remote"], "origin");
    assert!(f["received_objects"].as_u64().unwrap() >= 3, "{f}");
    let s = ok(&c, "git_get_status", json!({})).await;
    assert_eq!(
        (s["ahead"].as_u64(), s["behind"].as_u64()),
        (Some(0), Some(1))
    );
    let p = ok(&c, "git_pull", json!({})).await;
    assert_eq!(p["result"], "fast-forward");
    assert!(fx.work.join("r1.txt").exists());
    assert_eq!(
        git(&fx.work, &["rev-parse", "HEAD"]),
        git(&fx.origin, &["rev-parse", "main"])
    );
    let t = text(&run(&c, "git_pull", json!({})).await);
    assert_eq!(t, "Already up to date with origin/main.");
    // Diverged: refused, nothing changed.
    fx.advance_remote_main("r2.txt");
    fx.write("local.txt", "l\n");
    git(&fx.work, &["add", "local.txt"]);
    git(&fx.work, &["commit", "-q", "-m", "local"]);
    let before = git(&fx.work, &["rev-parse", "HEAD"]);
    let t = err(&c, "git_pull", json!({})).await;
    assert!(
        t.starts_with("cannot fast-forward 'main': it has 1 commit(s) that origin/main lacks"),
        "{t}"
    );
    assert_eq!(git(&fx.work, &["rev-parse", "HEAD"]), before);
    let remotes = ok(&c, "git_remote_list", json!({})).await;
    assert_eq!(remotes["remotes"][0]["name"], "origin");
    assert_eq!(remotes["remotes"][0]["workflow_remote"], true);
    git(
        &fx.work,
        &[
            "remote",
            "add",
            "creds",
            "https://user:hunter2@git.example.invalid/x.git",
        ],
    );
    let t = text(&run(&c, "git_remote_list", json!({})).await);
    assert!(
        t.contains("creds\thttps://***@git.example.invalid/x.git") && !t.contains("hunter2"),
        "{t}"
    );
}

#[tokio::test]
async fn stash_push_list_pop() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    let t = err(&c, "git_stash", json!({"action": "push"})).await;
    assert_eq!(t, "no local changes to stash");
    fx.write("README.md", "wip\n");
    fx.write("new.txt", "untracked\n");
    let s = ok(
        &c,
        "git_stash",
        json!({"action": "push", "message": "wip readme", "include_untracked": true}),
    )
    .await;
    assert_eq!(s["stashes"].as_array().unwrap().len(), 1);
    assert_eq!(
        git(&fx.work, &["status", "--porcelain"]),
        "",
        "the tree is clean after the push"
    );
    let l = ok(&c, "git_stash", json!({"action": "list"})).await;
    assert!(
        l["stashes"][0]["message"]
            .as_str()
            .unwrap()
            .contains("wip readme"),
        "{l}"
    );
    assert_eq!(
        git(&fx.work, &["log", "-1", "--format=%an", "stash@{0}"]),
        common::AUTHOR_NAME
    );
    let p = ok(&c, "git_stash", json!({"action": "pop"})).await;
    assert_eq!(p["stashes"], json!([]));
    assert_eq!(
        std::fs::read_to_string(fx.work.join("README.md")).unwrap(),
        "wip\n"
    );
    assert!(fx.work.join("new.txt").exists());
    let t = err(&c, "git_stash", json!({"action": "pop", "index": 3})).await;
    assert!(
        t.starts_with("invalid index: stash@{3} does not exist"),
        "{t}"
    );
}

#[tokio::test]
async fn tags_and_blame() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    let t = ok(
        &c,
        "git_tag",
        json!({"action": "create", "name": "v1.0.0", "message": "Release 1.0.0"}),
    )
    .await;
    assert_eq!(
        t["tags"],
        json!([{"name": "v1.0.0", "target": git(&fx.work, &["rev-parse", "HEAD"]), "annotated": true}])
    );
    assert_eq!(
        git(
            &fx.work,
            &[
                "for-each-ref",
                "--format=%(taggername) %(taggeremail)",
                "refs/tags/v1.0.0"
            ]
        ),
        format!("{} <{}>", common::AUTHOR_NAME, common::AUTHOR_EMAIL)
    );
    ok(&c, "git_tag", json!({"action": "create", "name": "light"})).await;
    let l = ok(&c, "git_tag", json!({})).await;
    assert_eq!(l["tags"].as_array().unwrap().len(), 2);
    let e = err(&c, "git_tag", json!({"action": "create", "name": "light"})).await;
    assert!(e.contains("already exists"), "{e}");
    ok(&c, "git_tag", json!({"action": "delete", "name": "light"})).await;
    assert_eq!(git(&fx.work, &["tag", "--list"]), "v1.0.0");

    fx.write(
        "README.md",
        "# Sanctuary\n\nline two\nline three by someone else\n",
    );
    git(&fx.work, &["commit", "-q", "-am", "third line"]);
    let b = ok(
        &c,
        "git_blame",
        json!({"path": "README.md", "start_line": 3, "end_line": 4}),
    )
    .await;
    let lines = b["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["content"], "line two");
    assert_eq!(lines[1]["content"], "line three by someone else");
    assert_eq!(lines[1]["hash"], git(&fx.work, &["rev-parse", "HEAD"]));
    assert_eq!(lines[0]["hash"], git(&fx.work, &["rev-parse", "HEAD~1"]));
    assert_eq!(lines[0]["author"], "Reviewer");
    let t = text(
        &run(
            &c,
            "git_blame",
            json!({"path": "README.md", "start_line": 1, "end_line": 1}),
        )
        .await,
    );
    assert!(t.contains("# Sanctuary"), "{t}");
}

#[tokio::test]
async fn safety_rules_are_listed_with_their_remedies() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    let r = run(&c, "git_get_safety_rules", json!({})).await;
    let v = r.structured_content.clone().unwrap();
    let ids: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "protected-branch",
        "feature-branch-only",
        "branch-name",
        "one-feature",
        "clean-tree",
        "main-up-to-date",
        "high-risk-files",
        "merged-before-finish",
        "verified-push",
        "no-force-push",
        "no-empty-commit",
        "no-flag-arguments",
        "path-containment",
        "base-directories",
        "identity-from-environment",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(
        v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !r["remedy"].as_str().unwrap().is_empty())
    );
    assert_eq!(v["main_branch"], "main");
    assert_eq!(v["habits"].as_array().unwrap().len(), 6);
    assert!(
        text(&r).contains("1. [Protocol 101] protected-branch:"),
        "{}",
        text(&r)
    );
}

#[tokio::test]
async fn git_commit_concludes_a_merge_in_progress() {
    let fx = Fixture::new();
    let (_server, c) = fx.connect().await;
    git(&fx.work, &["checkout", "-q", "-b", "feature/task-5-merge"]);
    fx.write("README.md", "# Sanctuary\n\nfeature side\n");
    git(&fx.work, &["commit", "-q", "-am", "feature side"]);
    git(&fx.work, &["checkout", "-q", "-b", "other", "main"]);
    fx.write("README.md", "# Sanctuary\n\nother side\n");
    git(&fx.work, &["commit", "-q", "-am", "other side"]);
    git(&fx.work, &["checkout", "-q", "feature/task-5-merge"]);
    let out = std::process::Command::new("git")
        .args(["merge", "-q", "other"])
        .current_dir(&fx.work)
        .env("GIT_AUTHOR_NAME", "R")
        .env("GIT_AUTHOR_EMAIL", "r@x")
        .env("GIT_COMMITTER_NAME", "R")
        .env("GIT_COMMITTER_EMAIL", "r@x")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the merge must conflict");
    let s = ok(&c, "git_get_status", json!({})).await;
    assert_eq!(s["state"], "merge");
    assert_eq!(s["conflicted"], json!(["README.md"]));
    let t = err(&c, "git_commit", json!({"message": "merge other"})).await;
    assert!(t.contains("unresolved merge conflicts"), "{t}");
    fx.write("README.md", "# Sanctuary\n\nboth sides\n");
    ok(&c, "git_add", json!({"files": ["README.md"]})).await;
    ok(&c, "git_commit", json!({"message": "merge other"})).await;
    let parents = git(&fx.work, &["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
    assert!(!fx.work.join(".git/MERGE_HEAD").exists());
    assert_eq!(ok(&c, "git_get_status", json!({})).await["state"], "none");
}
