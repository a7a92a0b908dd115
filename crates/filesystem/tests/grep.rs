//! `grep` and `code_search_content` through the real binary on a real tree: regex and literal
//! search, case modes, ignore files, hidden and binary files, context, filters, output modes,
//! caps, bad patterns, and progress notifications.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use rmcp::{
    ClientHandler, RoleClient, ServiceExt as _,
    model::{CallToolRequestParams, ClientRequest, ProgressNotificationParam, Request},
    service::{NotificationContext, PeerRequestOptions},
};
use serde_json::{Value, json};

async fn fixture() -> common::Fixture {
    let f = common::start(&[]).await;
    f.write(
        "src/lib.rs",
        "// TODO: tidy\nfn alpha() {}\n\nfn beta() {\n    todo!()\n}\n",
    );
    f.write("src/util.py", "def todo_list():\n    pass  # TODO\n");
    f.write("README.md", "Nothing to do here.\n");
    f.write(".gitignore", "build/\n*.log\n");
    f.write("build/gen.rs", "// TODO generated\n");
    f.write("debug.log", "TODO in a log\n");
    f.write(".hidden/notes.txt", "TODO hidden\n");
    std::fs::write(f.path("blob.bin"), b"TODO\0binary").unwrap();
    f
}

fn paths(r: &Value) -> Vec<String> {
    r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["path"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn grep_honours_ignore_files_hidden_and_binary_files() {
    let f = fixture().await;
    let r = f
        .ok("grep", json!({"pattern": "TODO", "case": "sensitive"}))
        .await;
    assert_eq!(paths(&r), [f.arg("src/lib.rs"), f.arg("src/util.py")]);
    assert_eq!(r["total_matches"], 2);
    let lib = &r["files"][0]["matches"][0];
    assert_eq!(lib["line"], 1);
    assert_eq!(lib["column"], 4);
    assert_eq!(lib["text"], "// TODO: tidy");

    let r = f
        .ok(
            "grep",
            json!({"pattern": "TODO", "case": "sensitive", "no_ignore": true, "hidden": true}),
        )
        .await;
    assert_eq!(
        paths(&r),
        [
            f.arg(".hidden/notes.txt"),
            f.arg("build/gen.rs"),
            f.arg("debug.log"),
            f.arg("src/lib.rs"),
            f.arg("src/util.py")
        ],
        "binary blob.bin is still skipped"
    );
}

#[tokio::test]
async fn grep_case_modes_literal_and_words() {
    let f = fixture().await;
    // Smart case: lower-case pattern is case-insensitive.
    let r = f.ok("grep", json!({"pattern": "todo"})).await;
    assert_eq!(r["total_matches"], 4);
    let r = f
        .ok("grep", json!({"pattern": "Todo", "case": "smart"}))
        .await;
    assert_eq!(r["total_matches"], 0);
    let r = f
        .ok(
            "grep",
            json!({"pattern": "todo", "case": "insensitive", "word": true}),
        )
        .await;
    assert_eq!(
        r["total_matches"], 3,
        "todo_list is not the word todo; todo!() is"
    );
    let r = f
        .ok("grep", json!({"pattern": "todo!()", "literal": true}))
        .await;
    assert_eq!(r["total_matches"], 1);
    let r = f
        .ok("grep", json!({"pattern": r"fn \w+\(\)", "path": "src"}))
        .await;
    assert_eq!(r["total_matches"], 2);
    let e = f.err("grep", json!({"pattern": "fn (unclosed"})).await;
    assert!(
        e.starts_with("invalid pattern: not a valid regular expression"),
        "{e}"
    );
    let e = f.err("grep", json!({"pattern": ""})).await;
    assert!(e.starts_with("invalid pattern"), "{e}");
}

#[tokio::test]
async fn grep_context_filters_and_output_modes() {
    let f = fixture().await;
    let r = f
        .ok(
            "grep",
            json!({"pattern": "todo!", "context": 2, "path": "src/lib.rs"}),
        )
        .await;
    let m = &r["files"][0]["matches"][0];
    assert_eq!(m["line"], 5);
    assert_eq!(
        m["before"],
        json!([{"line": 3, "text": ""}, {"line": 4, "text": "fn beta() {"}])
    );
    assert_eq!(m["after"], json!([{"line": 6, "text": "}"}]));
    let t = f
        .text(
            "grep",
            json!({"pattern": "todo!", "context": 1, "path": "src/lib.rs"}),
        )
        .await;
    assert!(
        t.starts_with(&format!(
            "{}\n4-fn beta() {{\n5:    todo!()\n6-}}\n",
            f.arg("src/lib.rs")
        )),
        "{t}"
    );

    let r = f
        .ok("grep", json!({"pattern": "todo", "include": ["*.py"]}))
        .await;
    assert_eq!(paths(&r), [f.arg("src/util.py")]);
    let r = f
        .ok("grep", json!({"pattern": "todo", "type": "rust"}))
        .await;
    assert_eq!(paths(&r), [f.arg("src/lib.rs")]);
    let r = f
        .ok("grep", json!({"pattern": "todo", "exclude": ["src"]}))
        .await;
    assert_eq!(r["total_matches"], 0);
    let e = f
        .err("grep", json!({"pattern": "x", "type": "klingon"}))
        .await;
    assert!(e.starts_with("invalid type"), "{e}");
    let e = f.err("grep", json!({"pattern": "x", "context": 99})).await;
    assert!(e.contains("at most 10 lines"), "{e}");

    let t = f
        .text(
            "grep",
            json!({"pattern": "todo", "output": "files_with_matches"}),
        )
        .await;
    assert!(
        t.starts_with(&format!(
            "{}\n{}\n",
            f.arg("src/lib.rs"),
            f.arg("src/util.py")
        )),
        "{t}"
    );
    let r = f
        .ok("grep", json!({"pattern": "todo", "output": "count"}))
        .await;
    assert_eq!(r["files"][0]["count"], 2);
    assert!(r["files"][0].get("matches").is_none());
}

#[tokio::test]
async fn grep_caps_results_and_says_why() {
    let f = common::start(&[("FS_MAX_MATCHES", "5")]).await;
    for i in 0..20 {
        f.write(&format!("f{i:02}.txt"), "hit\nhit\n");
    }
    let r = f
        .ok("grep", json!({"pattern": "hit", "max_results": 100}))
        .await;
    assert_eq!(r["total_matches"], 5);
    assert!(
        r["truncated"]
            .as_str()
            .unwrap()
            .contains("result limit (5)"),
        "{r}"
    );
    let r = f
        .ok("grep", json!({"pattern": "hit", "max_results": 3}))
        .await;
    assert_eq!(r["total_matches"], 3);
    let r = f
        .ok(
            "grep",
            json!({"pattern": "hit", "max_per_file": 1, "path": "f00.txt"}),
        )
        .await;
    assert_eq!(r["total_matches"], 1);
    let long = "x".repeat(5000);
    f.write("long.txt", &format!("hit {long}\n"));
    let r = f
        .ok("grep", json!({"pattern": "hit", "path": "long.txt"}))
        .await;
    let text = r["files"][0]["matches"][0]["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), 501, "cut at 500 characters plus …");
}

#[tokio::test]
async fn code_search_content_finds_literal_text_in_matching_files() {
    let f = fixture().await;
    let r = f.ok("code_search_content", json!({"query": "todo"})).await;
    assert_eq!(
        paths(&r),
        [f.arg("src/util.py")],
        "default file_pattern is *.py"
    );
    assert_eq!(r["total_matches"], 2);
    let t = f
        .text(
            "code_search_content",
            json!({"query": "TODO", "file_pattern": "*", "case_sensitive": true}),
        )
        .await;
    assert!(
        t.starts_with("Found 2 match(es) for \"TODO\" in 2 file(s):"),
        "{t}"
    );
    assert!(t.contains("  Line 1: // TODO: tidy"), "{t}");
    let r = f
        .ok(
            "code_search_content",
            json!({"query": "fn (", "file_pattern": "*.rs"}),
        )
        .await;
    assert_eq!(
        r["total_matches"], 0,
        "literal, so the parenthesis is not a regex error"
    );
    let e = f.err("code_search_content", json!({"query": ""})).await;
    assert!(e.starts_with("invalid query"), "{e}");
}

#[derive(Clone, Default)]
struct Progress(Arc<Mutex<Vec<ProgressNotificationParam>>>);

impl ClientHandler for Progress {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push(params);
    }
}

#[tokio::test]
async fn grep_reports_progress_when_asked() {
    let f = common::start(&[]).await;
    for i in 0..300 {
        f.write(&format!("d{}/f{i}.txt", i % 7), "needle\n");
    }
    let handler = Progress::default();
    let t = rmcp::transport::StreamableHttpClientTransport::from_uri(f.server.url("/mcp"));
    let c = handler.clone().serve(t).await.unwrap();
    let mut params = CallToolRequestParams::new("grep");
    params = params.with_arguments(
        json!({"pattern": "needle", "max_results": 1000})
            .as_object()
            .unwrap()
            .clone(),
    );
    let handle = c
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let token = handle.progress_token.clone();
    let response = handle.await_response().await.unwrap();
    let rmcp::model::ServerResult::CallToolResult(result) = response else {
        panic!("unexpected {response:?}");
    };
    let searched = result.structured_content.unwrap()["files_searched"]
        .as_f64()
        .unwrap();
    assert_eq!(searched, 300.0);
    // Notifications are handled in their own tasks; wait for the last one.
    for _ in 0..100 {
        if handler
            .0
            .lock()
            .unwrap()
            .last()
            .is_some_and(|p| p.progress == searched)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let seen = handler.0.lock().unwrap().clone();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.iter().all(|p| p.progress_token == token));
    assert_eq!(seen[0].progress, 0.0);
    assert!(
        seen.windows(2).all(|w| w[0].progress < w[1].progress),
        "increasing: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(last.progress, searched);
    assert!(last.total.is_none() || last.total == Some(searched));
}
