//! One tool definition served three ways: the same tools, prompt and answers over Streamable
//! HTTP, legacy SSE and stdio, each through a real MCP client.

#![allow(clippy::unwrap_used)]

mod common;

use axum::{Router, routing::get};
use common::{NEWS_ARTICLE, html, site};
use fleet_testkit::{Client, args, call, http_client, sse_client, stdio_client, text, tool_names};
use serde_json::json;

async fn exercise(client: &Client, url: &str) {
    let names = tool_names(client).await.unwrap();
    assert_eq!(names, common::TOOLS);
    let prompts = client.peer().list_all_prompts().await.unwrap();
    assert_eq!(
        prompts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["fetch"]
    );
    let r = call(
        client,
        "fetch",
        args(&[("url", json!(url)), ("max_length", json!(300))]),
    )
    .await
    .unwrap();
    let t = text(&r);
    assert!(t.starts_with(&format!("Contents of {url}:\n")), "{t}");
    assert!(
        t.contains("City council approves riverside park expansion"),
        "{t}"
    );
    assert!(t.contains("start_index of 300"), "{t}");
}

fn news() -> Router {
    Router::new().route("/news", get(|| async { html(NEWS_ARTICLE) }))
}

#[tokio::test]
async fn streamable_http_serves_every_tool() {
    let site = site(news()).await;
    let server = common::start(&[]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    let info = client.peer_info().unwrap();
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("sanctuary-network")
    );
    exercise(&client, &site.url("/news")).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn legacy_sse_serves_every_tool() {
    let site = site(news()).await;
    let server = common::start(&[]).await;
    let client = sse_client(&server.url("/sse")).await.unwrap();
    exercise(&client, &site.url("/news")).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn stdio_serves_every_tool_and_keeps_stdout_clean() {
    let site = site(news()).await;
    let client = stdio_client(
        common::BIN,
        &[("RUST_LOG", "info"), ("NET_ALLOW", "127.0.0.1")],
    )
    .await
    .unwrap();
    exercise(&client, &site.url("/news")).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn gateway_style_hyphenated_names_reach_the_tool() {
    let site = site(news()).await;
    let (_server, client) = common::client(&[]).await;
    let r = call(
        &client,
        "fetch-url",
        args(&[("url", json!(site.url("/news")))]),
    )
    .await
    .unwrap();
    assert_eq!(fleet_testkit::structured(&r)["status"], 200);
    let err = call(&client, "no_such_tool", json!({}))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("-32602") && err.contains("unknown tool 'no_such_tool'"),
        "{err}"
    );
}
