//! The audit trail through the real binary: every mutation (write, edit, patch, move, delete,
//! mkdir, format), successful or refused, is one JSON line in FS_AUDIT_LOG with time, tool,
//! session, paths, bytes and outcome; reads leave no trace.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{Value, json};

#[tokio::test]
async fn every_mutation_is_one_json_line() {
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("audit.jsonl");
    let log_s = log.display().to_string();
    let f = common::start(&[("FS_AUDIT_LOG", log_s.as_str())]).await;
    f.ok("write_file", json!({"path": "a.txt", "content": "hello\n"}))
        .await;
    f.ok(
        "edit_file",
        json!({"path": "a.txt", "edits": [{"oldText": "hello", "newText": "bye"}]}),
    )
    .await;
    f.ok(
        "edit_file",
        json!({"path": "a.txt", "dryRun": true, "edits": [{"oldText": "bye", "newText": "x"}]}),
    )
    .await;
    f.ok("create_directory", json!({"path": "d"})).await;
    f.ok(
        "move_file",
        json!({"source": "a.txt", "destination": "d/a.txt"}),
    )
    .await;
    f.ok(
        "apply_patch",
        json!({"patch": "--- a/d/a.txt\n+++ b/d/a.txt\n@@ -1 +1 @@\n-bye\n+patched\n"}),
    )
    .await;
    f.ok("code_write", json!({"path": "d/a.txt", "content": "v2\n"}))
        .await;
    f.ok("code_delete", json!({"path": "d/a.txt"})).await;
    f.err(
        "write_file",
        json!({"path": "../escape.txt", "content": "x"}),
    )
    .await;
    f.ok("list_directory", json!({"path": "d"})).await;
    f.ok("grep", json!({"pattern": "x"})).await;

    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tools: Vec<&str> = lines.iter().map(|l| l["tool"].as_str().unwrap()).collect();
    assert_eq!(
        tools,
        [
            "write_file",
            "edit_file",
            "create_directory",
            "move_file",
            "apply_patch",
            "code_write",
            "code_delete",
            "write_file"
        ],
        "dry runs and reads are not mutations"
    );
    assert_eq!(lines[0]["paths"], json!([f.arg("a.txt")]));
    assert_eq!(lines[0]["bytes"], 6);
    assert_eq!(lines[0]["outcome"], "ok");
    assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
    assert!(!lines[0]["session"].as_str().unwrap().is_empty());
    assert_eq!(lines[3]["paths"], json!([f.arg("a.txt"), f.arg("d/a.txt")]));
    assert_eq!(lines[4]["bytes"], 8);
    let backup_and_file = lines[5]["paths"].as_array().unwrap();
    assert_eq!(
        backup_and_file.len(),
        2,
        "code_write records its backup too"
    );
    let refused = &lines[7];
    assert_eq!(refused["outcome"], "error");
    assert_eq!(refused["paths"], json!(["../escape.txt"]));
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("escapes the allowed roots")
    );
    assert_eq!(refused["bytes"], 0);
}

#[tokio::test]
async fn an_unwritable_audit_log_stops_the_server_at_start() {
    let out = tokio::process::Command::new(common::BIN)
        .env("FS_ROOTS", "/tmp")
        .env("FS_AUDIT_LOG", "/proc/definitely/not/here.jsonl")
        .env("PORT", "0")
        .env("FLEET_CONTAINER", "0")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FS_AUDIT_LOG"));
}

#[tokio::test]
async fn file_contents_never_reach_the_log() {
    // rmcp's own debug events print whole requests; the fleet's debug level is its own crates'.
    let f = common::start(&[(
        "RUST_LOG",
        "info,fleet_core=debug,sanctuary_filesystem=debug",
    )])
    .await;
    f.ok(
        "write_file",
        json!({"path": "app.env", "content": "API_KEY=hunter2-secret\n"}),
    )
    .await;
    f.ok(
        "edit_file",
        json!({"path": "app.env", "edits": [{"oldText": "hunter2-secret", "newText": "rotated-secret"}]}),
    )
    .await;
    f.ok(
        "apply_patch",
        json!({"patch": "--- a/app.env\n+++ b/app.env\n@@ -1 +1 @@\n-API_KEY=rotated-secret\n+API_KEY=third-secret\n"}),
    )
    .await;
    let log = f.server.log_text();
    assert!(
        log.contains("tool call arguments") && log.contains("bytes hidden"),
        "{log}"
    );
    assert!(log.contains(r#"\"tool\":\"write_file\""#) || log.contains("write_file"));
    for secret in ["hunter2", "rotated-secret", "third-secret"] {
        let line = log.lines().find(|l| l.contains(secret)).unwrap_or_default();
        assert!(!log.contains(secret), "{secret} reached the log: {line}");
    }
}
