//! One tool definition served three ways: the same 27 tools (each with a description, an input
//! schema and the four annotations) and the same answers over Streamable HTTP, legacy SSE and
//! stdio, each through a real MCP client; gateway-style hyphenated names reach the tools.

#![allow(clippy::unwrap_used)]

mod common;

use fleet_testkit::{Client, call, http_client, sse_client, stdio_client, structured, tool_names};
use serde_json::json;

async fn exercise(client: &Client, root: &std::path::Path) {
    assert_eq!(tool_names(client).await.unwrap(), common::TOOLS);
    let tools = client.peer().list_all_tools().await.unwrap();
    for t in &tools {
        let d = t.description.as_deref().unwrap_or_default();
        assert!(
            d.len() > 40 && d.contains("Example"),
            "{}: weak description {d:?}",
            t.name
        );
        let a = t
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no annotations", t.name));
        assert!(
            a.read_only_hint.is_some()
                && a.destructive_hint.is_some()
                && a.idempotent_hint.is_some()
                && a.open_world_hint == Some(false),
            "{}: {a:?}",
            t.name
        );
        assert_eq!(
            t.input_schema.get("type"),
            Some(&json!("object")),
            "{}",
            t.name
        );
    }
    let readers: Vec<&str> = tools
        .iter()
        .filter(|t| t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true))
        .map(|t| t.name.as_ref())
        .collect();
    assert!(!readers.contains(&"write_file") && readers.contains(&"grep"));
    let with_output = tools.iter().filter(|t| t.output_schema.is_some()).count();
    assert!(
        with_output >= 20,
        "only {with_output} tools have an output schema"
    );

    let r = call(client, "read_text_file", json!({"path": "hello.txt"}))
        .await
        .unwrap();
    assert_eq!(structured(&r)["content"], "hello over every transport\n");
    let r = call(client, "grep", json!({"pattern": "every"}))
        .await
        .unwrap();
    assert_eq!(
        structured(&r)["files"][0]["path"],
        root.join("hello.txt").display().to_string()
    );
}

#[tokio::test]
async fn streamable_http_serves_every_tool() {
    let f = common::start(&[]).await;
    f.write("hello.txt", "hello over every transport\n");
    let info = f.client.peer_info().expect("initialized");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("sanctuary-filesystem")
    );
    exercise(&f.client, &f.root).await;
}

#[tokio::test]
async fn legacy_sse_serves_every_tool() {
    let f = common::start(&[]).await;
    f.write("hello.txt", "hello over every transport\n");
    let client = sse_client(&f.server.url("/sse")).await.unwrap();
    exercise(&client, &f.root).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn stdio_serves_every_tool_and_keeps_stdout_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    std::fs::write(root.join("hello.txt"), "hello over every transport\n").unwrap();
    let r = root.display().to_string();
    let client = stdio_client(
        common::BIN,
        &[("FS_ROOTS", r.as_str()), ("RUST_LOG", "info")],
    )
    .await
    .unwrap();
    exercise(&client, &root).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn gateway_style_hyphenated_names_reach_the_tools() {
    let f = common::start(&[]).await;
    f.write("x.txt", "x\n");
    let client = http_client(&f.server.url("/mcp")).await.unwrap();
    let r = call(&client, "read-text-file", json!({"path": "x.txt"}))
        .await
        .unwrap();
    assert_eq!(structured(&r)["content"], "x\n");
    let r = call(&client, "list-allowed-directories", json!({}))
        .await
        .unwrap();
    assert_eq!(
        structured(&r)["directories"][0],
        f.root.display().to_string()
    );
}
