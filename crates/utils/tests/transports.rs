//! One tool definition served three ways: the same tools and answers over Streamable HTTP, legacy
//! SSE and stdio, each through a real MCP client.

#![allow(clippy::unwrap_used)]

mod common;

use fleet_testkit::{
    Client, args, call, http_client, sse_client, stdio_client, structured, tool_names,
};
use serde_json::json;

async fn exercise(client: &Client, with_faults: bool) {
    let names = tool_names(client).await.unwrap();
    let mut expected: Vec<String> = common::TOOLS.iter().map(|s| (*s).to_owned()).collect();
    if with_faults {
        expected.extend([
            "fleet_fault_panic".to_owned(),
            "fleet_fault_sleep".to_owned(),
        ]);
        expected.sort();
    }
    assert_eq!(names, expected);
    let r = call(
        client,
        "calculator_calculate",
        args(&[("expression", json!("(2 + 3) * 4 ^ 2"))]),
    )
    .await
    .unwrap();
    assert_eq!(structured(&r)["result"], json!(80.0));
    let r = call(
        client,
        "string_reverse",
        args(&[("text", json!("stdio ✓"))]),
    )
    .await
    .unwrap();
    assert_eq!(structured(&r)["result"], "✓ oidts");
}

#[tokio::test]
async fn streamable_http_serves_every_tool() {
    let server = common::start(&[]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    let info = client.peer_info().expect("initialized");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("sanctuary-utils")
    );
    exercise(&client, true).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn legacy_sse_serves_every_tool() {
    let server = common::start(&[]).await;
    let client = sse_client(&server.url("/sse")).await.unwrap();
    exercise(&client, true).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn stdio_serves_every_tool_and_keeps_stdout_clean() {
    // Logging at info level goes to stderr; a single stray byte on stdout would break the client.
    let client = stdio_client(
        common::BIN,
        &[("RUST_LOG", "info"), ("UTILS_LOCAL_TIMEZONE", "UTC")],
    )
    .await
    .unwrap();
    exercise(&client, false).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn gateway_style_hyphenated_names_reach_the_tool() {
    let server = common::start(&[]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    let r = call(
        &client,
        "calculator-add",
        args(&[("a", json!(2)), ("b", json!(40))]),
    )
    .await
    .unwrap();
    assert_eq!(structured(&r)["result"], json!(42.0));
}

#[tokio::test]
async fn unknown_tools_are_a_json_rpc_invalid_params_error() {
    let server = common::start(&[]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    let err = call(&client, "no_such_tool", json!({}))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("-32602") && err.contains("unknown tool 'no_such_tool'"),
        "{err}"
    );
}
