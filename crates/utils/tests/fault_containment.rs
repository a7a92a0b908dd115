//! Guardrail 1 against the real binary: a panicking tool is answered with `isError` naming the
//! tool while a concurrent call to another tool succeeds, on every transport; a slow tool is cut
//! off by its time limit; the session and process keep serving.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use fleet_testkit::{
    Client, OUTCOME_META, args, call, http_client, is_error, parse_metrics, sse_client, structured,
    text,
};
use serde_json::json;

async fn panic_beside_a_sibling(client: &Client) {
    let slow_sibling = call(client, "fleet_fault_sleep", args(&[("ms", json!(300))]));
    let panicking = call(
        client,
        "fleet_fault_panic",
        args(&[("message", json!("calculator exploded"))]),
    );
    let (sibling, panicked) = tokio::join!(slow_sibling, panicking);
    let panicked = panicked.unwrap();
    assert!(is_error(&panicked));
    let msg = text(&panicked);
    assert!(
        msg.contains("'fleet_fault_panic'") && msg.contains("calculator exploded"),
        "{msg}"
    );
    assert_eq!(
        panicked.meta.as_ref().and_then(|m| m.get(OUTCOME_META)),
        Some(&json!("panic"))
    );
    assert_eq!(text(&sibling.unwrap()), "slept 300 ms");

    // The same session still serves every tool.
    let r = call(client, "time_get_current_time", json!({}))
        .await
        .unwrap();
    assert!(structured(&r)["time"].is_string());
}

#[tokio::test]
async fn a_panic_is_contained_over_streamable_http() {
    let server = common::start(&[]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    panic_beside_a_sibling(&client).await;
    let (_, health) = server.get_json("/health").await.unwrap();
    assert_eq!(health["status"], "ok");
    let metrics = parse_metrics(
        &fleet_testkit::http()
            .get(server.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(
        metrics.get(r#"fleet_tool_panics_total{tool="fleet_fault_panic"}"#),
        Some(&1.0)
    );
    assert_eq!(
        metrics.get(r#"fleet_tool_errors_total{tool="fleet_fault_sleep"}"#),
        None
    );
}

#[tokio::test]
async fn a_panic_is_contained_over_sse() {
    let server = common::start(&[]).await;
    let client = sse_client(&server.url("/sse")).await.unwrap();
    panic_beside_a_sibling(&client).await;
}

#[tokio::test]
async fn many_panics_do_not_wear_the_server_down() {
    let server = common::start(&[]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    let calls = (0..40).map(|i| {
        call(
            &client,
            "fleet_fault_panic",
            args(&[("message", json!(format!("p{i}")))]),
        )
    });
    for r in futures::future::join_all(calls).await {
        assert!(is_error(&r.unwrap()));
    }
    let r = call(&client, "calculator_add", json!({"a": 1, "b": 1}))
        .await
        .unwrap();
    assert_eq!(structured(&r)["result"], json!(2.0));
}

#[tokio::test]
async fn a_slow_tool_is_cut_off_by_its_limit_and_named() {
    let server = common::start(&[("FLEET_TOOL_TIMEOUTS", "fleet_fault_sleep=300ms")]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    let started = Instant::now();
    let r = call(&client, "fleet_fault_sleep", args(&[("ms", json!(30_000))]))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(is_error(&r));
    assert!(
        text(&r).contains("'fleet_fault_sleep' timed out after 300 ms"),
        "{}",
        text(&r)
    );
    assert_eq!(
        r.meta.as_ref().and_then(|m| m.get(OUTCOME_META)),
        Some(&json!("timeout"))
    );
    let (_, health) = server.get_json("/health").await.unwrap();
    assert_eq!(health["in_flight"], 0, "the timed-out call was aborted");
}

#[tokio::test]
async fn division_by_zero_leaves_time_working() {
    let server = common::start(&[]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    let r = call(&client, "calculator_divide", json!({"a": 1, "b": 0}))
        .await
        .unwrap();
    assert!(is_error(&r));
    let r = call(&client, "get_current_time", json!({"timezone": "UTC"}))
        .await
        .unwrap();
    assert!(
        structured(&r)["datetime"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
}
