//! The binary around the tools: health and readiness, and start-up refusing bad settings with
//! every problem named (exit 78).

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

#[tokio::test]
async fn health_reports_five_tools_and_ready_lists_search() {
    let server = common::start(&[]).await;
    let (code, health) = server.get_json("/health").await.unwrap();
    assert_eq!(code, 200);
    assert_eq!(health["name"], "sanctuary-network");
    assert_eq!(health["tools"], 5);
    let (code, ready) = server.get_json("/ready").await.unwrap();
    assert_eq!(code, 200);
    assert_eq!(ready["dependencies"][0]["optional"], true);
}

#[test]
fn bad_settings_are_all_reported_at_start_up() {
    let out = Command::new(common::BIN)
        .env_remove("PORT")
        .env("NET_ALLOW", "10.0.0.0/99")
        .env("NET_HOST_RATE_LIMIT", "lots")
        .env("NET_SEARCH_BACKEND", "google")
        .env("NET_USER_AGENT", "bad\u{7f}agent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    for var in [
        "NET_ALLOW",
        "NET_HOST_RATE_LIMIT",
        "NET_SEARCH_BACKEND",
        "NET_USER_AGENT",
    ] {
        assert!(err.contains(var), "{var} not named in: {err}");
    }
}
