//! The jail, attacked through the real binary: `..` traversal, absolute paths elsewhere, a
//! sibling whose name starts like the root, symlinks out (absolute, relative, in the middle of a
//! path, dangling), NUL bytes, URLs, every path-taking tool, and races where a directory is
//! swapped for a symlink to the outside while calls are running. Nothing outside the root may
//! be read, listed, found by grep, written, moved or deleted, and the secret must never appear
//! in any answer.

#![allow(clippy::unwrap_used)]
// Client roots are deprecated from MCP 2026-07-28 (SEP-2577) but current in 2025-11-25, which
// the fleet speaks; the narrowing test needs a client that declares them.
#![allow(deprecated)]

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use fleet_testkit::{call, is_error, text};
use serde_json::{Value, json};

const SECRET: &str = "TOP SECRET";

/// Every tool call that takes a path, with `p` as that path.
fn path_calls(p: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("read_text_file", json!({"path": p})),
        ("read_file", json!({"path": p, "head": 1})),
        ("read_media_file", json!({"path": p})),
        ("read_multiple_files", json!({"paths": [p]})),
        ("code_read", json!({"path": p})),
        ("write_file", json!({"path": p, "content": "pwned"})),
        ("code_write", json!({"path": p, "content": "pwned"})),
        (
            "edit_file",
            json!({"path": p, "edits": [{"oldText": "TOP", "newText": "pwned"}]}),
        ),
        ("create_directory", json!({"path": p})),
        ("list_directory", json!({"path": p})),
        ("list_directory_with_sizes", json!({"path": p})),
        ("directory_tree", json!({"path": p})),
        ("search_files", json!({"path": p, "pattern": "*"})),
        ("get_file_info", json!({"path": p})),
        ("code_get_info", json!({"path": p})),
        ("code_list_files", json!({"path": p})),
        ("code_find_file", json!({"path": p, "name_pattern": "*"})),
        ("code_delete", json!({"path": p, "force": true})),
        (
            "move_file",
            json!({"source": p, "destination": "stolen.txt"}),
        ),
        ("move_file", json!({"source": "bait.txt", "destination": p})),
        ("grep", json!({"pattern": "SECRET", "path": p})),
        (
            "code_search_content",
            json!({"query": "SECRET", "file_pattern": "*", "path": p}),
        ),
        ("code_analyze", json!({"path": p})),
        ("code_lint", json!({"path": p})),
        ("code_format", json!({"path": p})),
        (
            "apply_patch",
            json!({"path": p, "patch": "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"}),
        ),
    ]
}

/// Call `tool`; it must fail, and nothing in its answer may come from outside.
/// (`read_multiple_files` reports a failure per file instead of failing the call.)
async fn refused(f: &common::Fixture, tool: &str, args: &Value, needle: &str) {
    let r = call(&f.client, tool, args.clone()).await.unwrap();
    let t = text(&r);
    if tool == "read_multiple_files" {
        let s = fleet_testkit::structured(&r);
        let e = s["files"][0]["error"].as_str().unwrap_or_default();
        assert!(
            e.contains(needle),
            "{tool}({args}): expected {needle:?} in {e:?}"
        );
        assert!(!t.contains(SECRET), "{tool} leaked the secret: {t}");
        return;
    }
    assert!(is_error(&r), "{tool}({args}) was allowed: {t}");
    assert!(
        t.contains(needle),
        "{tool}({args}): expected {needle:?} in {t:?}"
    );
    assert!(!t.contains(SECRET), "{tool} leaked the secret: {t}");
}

/// The outside directory still holds only the secret, unchanged.
fn outside_untouched(f: &common::Fixture) {
    assert_eq!(common::files_under(&f.outside), ["secret.txt"]);
    assert_eq!(
        std::fs::read_to_string(f.outside.join("secret.txt")).unwrap(),
        "TOP SECRET outside the jail\n"
    );
}

#[tokio::test]
async fn traversal_and_absolute_paths_are_refused_by_every_tool() {
    let f = common::start(&[]).await;
    f.write("bait.txt", "bait");
    let secret = f.outside.join("secret.txt").display().to_string();
    let sibling = format!("{}2/x", f.root.display());
    std::fs::create_dir_all(format!("{}2", f.root.display())).unwrap();
    let attempts = [
        "../outside/secret.txt".to_owned(),
        "sub/../../outside/secret.txt".to_owned(),
        secret.clone(),
        format!("{}/../outside/secret.txt", f.root.display()),
        sibling,
        "/etc/passwd".to_owned(),
        format!("file://{secret}"),
    ];
    for p in &attempts {
        for (tool, args) in path_calls(p) {
            refused(&f, tool, &args, "escapes the allowed roots").await;
        }
    }
    outside_untouched(&f);
    assert_eq!(f.read("bait.txt"), "bait");
}

#[tokio::test]
async fn malformed_paths_are_refused_with_the_reason() {
    let f = common::start(&[]).await;
    for (p, needle) in [
        ("a\0b", "NUL byte"),
        ("", "empty"),
        ("C:\\Windows\\win.ini", "Windows drive"),
        ("~/.ssh/id_rsa", "not expanded"),
        ("https://example.com/x", "https:// URL"),
    ] {
        for (tool, args) in path_calls(p) {
            if tool == "move_file" && args["source"] == "bait.txt" {
                continue;
            }
            refused(&f, tool, &args, needle).await;
        }
    }
}

#[tokio::test]
async fn symlinks_out_of_the_jail_are_never_followed() {
    let f = common::start(&[]).await;
    f.write("bait.txt", "bait");
    f.write("inside/real.txt", "fine");
    std::os::unix::fs::symlink(&f.outside, f.path("abs_dir")).unwrap();
    std::os::unix::fs::symlink("../outside", f.path("rel_dir")).unwrap();
    std::os::unix::fs::symlink(f.outside.join("secret.txt"), f.path("abs_file")).unwrap();
    std::os::unix::fs::symlink("../outside/secret.txt", f.path("rel_file")).unwrap();
    std::os::unix::fs::symlink("inside", f.path("good_dir")).unwrap();
    std::os::unix::fs::symlink(f.outside.join("new.txt"), f.path("dangling_out")).unwrap();

    for p in [
        "abs_dir/secret.txt",
        "rel_dir/secret.txt",
        "abs_file",
        "rel_file",
        "abs_dir",
        "rel_dir/new.txt",
        "dangling_out",
    ] {
        for (tool, args) in path_calls(p) {
            // code_delete and move_file act on a final symlink itself (never its target); they
            // are checked below.
            if matches!(tool, "code_delete" | "move_file") && !p.contains('/') {
                continue;
            }
            refused(&f, tool, &args, "points outside the allowed roots").await;
        }
    }
    outside_untouched(&f);

    // A link that stays inside works.
    let r = f
        .ok("read_text_file", json!({"path": "good_dir/real.txt"}))
        .await;
    assert_eq!(r["content"], "fine");
    assert_eq!(r["path"], f.arg("inside/real.txt"));

    // Listings show links without entering them; searches and greps do not descend.
    let t = f.text("list_directory", json!({"path": "."})).await;
    assert!(t.contains("[LINK] abs_dir -> "), "{t}");
    let t = f.text("directory_tree", json!({"path": "."})).await;
    assert!(!t.contains("secret"), "{t}");
    let r = f
        .ok("search_files", json!({"path": ".", "pattern": "secret*"}))
        .await;
    assert_eq!(r["matches"], json!([]));
    let r = f
        .ok(
            "grep",
            json!({"pattern": "SECRET", "hidden": true, "no_ignore": true}),
        )
        .await;
    assert_eq!(r["total_matches"], 0);
    let r = f
        .ok(
            "code_search_content",
            json!({"query": "secret", "file_pattern": "*"}),
        )
        .await;
    assert_eq!(r["total_matches"], 0);

    // Deleting or moving a link acts on the link, never on what it points to.
    f.ok(
        "move_file",
        json!({"source": "abs_file", "destination": "moved_link"}),
    )
    .await;
    f.ok("code_delete", json!({"path": "moved_link"})).await;
    outside_untouched(&f);
}

#[tokio::test]
async fn a_symlink_loop_is_an_error_not_a_hang() {
    let f = common::start(&[]).await;
    std::os::unix::fs::symlink("b", f.path("a")).unwrap();
    std::os::unix::fs::symlink("a", f.path("b")).unwrap();
    let e = f.err("read_text_file", json!({"path": "a"})).await;
    assert!(e.contains("too many levels of symbolic links"), "{e}");
    let e = f
        .err("write_file", json!({"path": "a/x", "content": ""}))
        .await;
    assert!(e.contains("too many levels"), "{e}");
}

/// Swap `flip` between a real directory and a symlink to the outside as fast as possible, with
/// `renameat2(RENAME_EXCHANGE)`: `flip` always exists, as one or the other (`flip_other` holds
/// the one not in place).
fn flipper(root: std::path::PathBuf, outside: std::path::PathBuf, stop: Arc<AtomicBool>) {
    let flip = root.join("flip");
    let other = root.join("flip_other");
    std::os::unix::fs::symlink(&outside, &other).unwrap();
    while !stop.load(Ordering::Relaxed) {
        rustix::fs::renameat_with(
            rustix::fs::CWD,
            &flip,
            rustix::fs::CWD,
            &other,
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .unwrap();
    }
}

/// Create or replace `name` with `content` in the directory open as `dir`, wherever it is now.
fn put(dir: &std::fs::File, name: &str, content: &str) {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::CREATE | OFlags::WRONLY | OFlags::TRUNC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    rustix::io::write(&fd, content.as_bytes()).unwrap();
}

#[tokio::test]
async fn swapping_a_directory_for_a_symlink_mid_call_never_escapes() {
    let f = common::start(&[("FS_WALK_TIMEOUT", "10s")]).await;
    f.write("bait.txt", "bait");
    std::fs::create_dir(f.path("flip")).unwrap();
    std::fs::write(f.outside.join("victim.txt"), "TOP SECRET victim\n").unwrap();
    // The real directory, followed by its descriptor wherever the flipper moves it.
    let real = std::fs::File::open(f.path("flip")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (root, outside, s) = (f.root.clone(), f.outside.clone(), stop.clone());
    let handle = std::thread::spawn(move || flipper(root, outside, s));

    // Each file exists on both sides under the same name, so a call that escapes reaches the
    // outside twin: reads would return the secret, mutations would change the outside.
    let calls = [
        ("read_text_file", json!({"path": "flip/secret.txt"})),
        (
            "read_multiple_files",
            json!({"paths": ["flip/secret.txt", "flip/victim.txt"]}),
        ),
        ("code_read", json!({"path": "flip/victim.txt"})),
        ("list_directory", json!({"path": "flip"})),
        ("grep", json!({"pattern": "SECRET", "no_ignore": true})),
        (
            "grep",
            json!({"pattern": "SECRET", "path": "flip/secret.txt"}),
        ),
        ("directory_tree", json!({"path": "."})),
        ("code_analyze", json!({"path": "flip/secret.txt"})),
        (
            "write_file",
            json!({"path": "flip/secret.txt", "content": "overwritten\n"}),
        ),
        (
            "edit_file",
            json!({"path": "flip/victim.txt", "edits": [{"oldText": "victim", "newText": "edited"}]}),
        ),
        (
            "move_file",
            json!({"source": "flip/victim.txt", "destination": "stolen.txt"}),
        ),
        ("code_delete", json!({"path": "flip/victim.txt"})),
        ("create_directory", json!({"path": "flip/newdir"})),
    ];
    let mut allowed = 0;
    for round in 0..100 {
        put(&real, "secret.txt", "inside, no secret\n");
        put(&real, "victim.txt", "inside victim\n");
        for (tool, args) in &calls {
            let r = call(&f.client, tool, args.clone()).await.unwrap();
            let t = text(&r);
            assert!(!t.contains(SECRET), "round {round}: {tool} leaked: {t}");
            if !is_error(&r) {
                allowed += 1;
            }
        }
        let _ = std::fs::remove_file(f.path("stolen.txt"));
    }
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
    let mut outside = common::files_under(&f.outside);
    outside.sort();
    assert_eq!(outside, ["secret.txt", "victim.txt"]);
    assert_eq!(
        std::fs::read_to_string(f.outside.join("secret.txt")).unwrap(),
        "TOP SECRET outside the jail\n"
    );
    assert_eq!(
        std::fs::read_to_string(f.outside.join("victim.txt")).unwrap(),
        "TOP SECRET victim\n"
    );
    assert!(
        allowed > 100,
        "only {allowed} calls succeeded: the race test proved little"
    );
}

#[tokio::test]
async fn writes_through_a_swapped_parent_never_land_outside() {
    // The parent of the written file turns into a symlink to the outside between the check
    // and the write; the write goes through a handle opened beneath the root and fails or
    // lands inside, never outside.
    let f = common::start(&[]).await;
    std::fs::create_dir(f.path("flip")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (root, outside, s) = (f.root.clone(), f.outside.clone(), stop.clone());
    let handle = std::thread::spawn(move || flipper(root, outside, s));
    for i in 0..300 {
        // Either outcome is fine as long as nothing lands outside.
        let _ = call(
            &f.client,
            "write_file",
            json!({"path": format!("flip/w{i}.txt"), "content": "x"}),
        )
        .await
        .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
    outside_untouched(&f);
}

#[tokio::test]
async fn client_roots_narrow_the_jail_and_never_widen_it() {
    use rmcp::{
        ClientHandler, RoleClient, ServiceExt as _,
        model::{ClientCapabilities, ClientConfig, Implementation, ListRootsResult, Root},
        service::RequestContext,
    };

    #[derive(Clone)]
    struct WithRoots(Vec<String>);
    impl ClientHandler for WithRoots {
        async fn list_roots(
            &self,
            _: RequestContext<RoleClient>,
        ) -> Result<ListRootsResult, rmcp::ErrorData> {
            Ok(ListRootsResult::new(self.0.iter().map(Root::new).collect()))
        }
        fn get_info(&self) -> ClientConfig {
            ClientConfig::new(
                ClientCapabilities::builder().enable_roots().build(),
                Implementation::new("roots-client", "0"),
            )
        }
    }

    let f = common::start(&[]).await;
    f.write("project/a.txt", "in project");
    f.write("elsewhere/b.txt", "outside the client's root");
    let connect = |roots: Vec<String>| {
        let url = f.server.url("/mcp");
        async move {
            let t = rmcp::transport::StreamableHttpClientTransport::from_uri(url);
            WithRoots(roots).serve(t).await.unwrap()
        }
    };
    let call_with =
        |c: &rmcp::service::RunningService<RoleClient, WithRoots>, tool: &str, args: Value| {
            let mut p = rmcp::model::CallToolRequestParams::new(tool.to_owned());
            if let Value::Object(m) = args {
                p = p.with_arguments(m);
            }
            let peer = c.peer().clone();
            async move { peer.call_tool(p).await.unwrap() }
        };

    // A client root inside the configured root narrows to it.
    let narrow = connect(vec![format!("file://{}", f.arg("project"))]).await;
    let r = call_with(&narrow, "list_allowed_directories", json!({})).await;
    let s = fleet_testkit::structured(&r);
    assert_eq!(s["directories"], json!([f.arg("project")]));
    assert_eq!(s["configured"], json!([f.root.display().to_string()]));
    let r = call_with(&narrow, "read_text_file", json!({"path": "a.txt"})).await;
    assert_eq!(fleet_testkit::structured(&r)["content"], "in project");
    let r = call_with(
        &narrow,
        "read_text_file",
        json!({"path": f.arg("elsewhere/b.txt")}),
    )
    .await;
    assert!(
        is_error(&r) && text(&r).contains("escapes the allowed roots"),
        "{r:?}"
    );
    let r = call_with(&narrow, "grep", json!({"pattern": "outside"})).await;
    assert_eq!(fleet_testkit::structured(&r)["total_matches"], 0);

    // A client root that includes the outside does not widen anything.
    let wide = connect(vec!["file:///".to_owned()]).await;
    let r = call_with(&wide, "list_allowed_directories", json!({})).await;
    assert_eq!(
        fleet_testkit::structured(&r)["directories"],
        json!([f.root.display().to_string()])
    );
    let r = call_with(
        &wide,
        "read_text_file",
        json!({"path": f.outside.join("secret.txt").display().to_string()}),
    )
    .await;
    assert!(is_error(&r), "{r:?}");

    // Roots entirely elsewhere leave nothing allowed.
    let none = connect(vec![format!("file://{}", f.outside.display())]).await;
    let r = call_with(&none, "read_text_file", json!({"path": "project/a.txt"})).await;
    assert!(
        is_error(&r) && text(&r).contains("client's roots lie outside"),
        "{}",
        text(&r)
    );
    outside_untouched(&f);
}

#[tokio::test]
async fn read_only_mode_refuses_every_mutation() {
    let f = common::start(&[("FS_READ_ONLY", "1")]).await;
    f.write("a.txt", "a\n");
    let mutations = [
        ("write_file", json!({"path": "a.txt", "content": "b"})),
        ("code_write", json!({"path": "new.txt", "content": "b"})),
        (
            "edit_file",
            json!({"path": "a.txt", "edits": [{"oldText": "a", "newText": "b"}]}),
        ),
        ("create_directory", json!({"path": "d"})),
        (
            "move_file",
            json!({"source": "a.txt", "destination": "b.txt"}),
        ),
        ("code_delete", json!({"path": "a.txt"})),
        (
            "apply_patch",
            json!({"patch": "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n"}),
        ),
    ];
    for (tool, args) in mutations {
        let e = f.err(tool, args).await;
        assert!(
            e.starts_with(&format!("read-only: {tool} would modify")),
            "{e}"
        );
    }
    assert_eq!(common::files_under(&f.root), ["a.txt"]);
    assert_eq!(f.read("a.txt"), "a\n");
    // Reads and dry runs still work.
    f.ok("read_text_file", json!({"path": "a.txt"})).await;
    f.ok(
        "edit_file",
        json!({"path": "a.txt", "dryRun": true, "edits": [{"oldText": "a", "newText": "b"}]}),
    )
    .await;
    f.ok(
        "apply_patch",
        json!({"dryRun": true, "patch": "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n"}),
    )
    .await;
    let t = f.text("list_allowed_directories", json!({})).await;
    assert!(t.contains("read-only"), "{t}");
}

#[tokio::test]
async fn the_server_refuses_to_start_on_a_bad_root() {
    let out = tokio::process::Command::new(common::BIN)
        .env("FS_ROOTS", "/definitely/not/here")
        .env("PORT", "0")
        .env("FLEET_CONTAINER", "0")
        .output();
    let out = tokio::time::timeout(Duration::from_secs(20), out)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FS_ROOTS") && err.contains("/definitely/not/here"),
        "{err}"
    );
}
