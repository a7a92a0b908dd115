//! The HTTP surface around the tools: health, readiness, manifest, metrics, the Host/Origin
//! guard, session semantics and body limits; and the binary's command line and exit codes.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use serde_json::json;

#[tokio::test]
async fn health_ready_manifest_metrics() {
    let server = common::start(&[]).await;
    let (code, health) = server.get_json("/health").await.unwrap();
    assert_eq!(code, 200);
    assert_eq!(health["name"], "sanctuary-utils");
    assert_eq!(health["tools"], 22, "20 tools + 2 fault tools");
    assert_eq!(health["registration"]["state"], "disabled");
    assert!(health["uptime_seconds"].as_f64().is_some());

    let (code, ready) = server.get_json("/ready").await.unwrap();
    assert_eq!(
        (code, &ready["status"], &ready["dependencies"]),
        (200, &json!("ready"), &json!([]))
    );

    let (_, manifest) = server.get_json("/manifest").await.unwrap();
    assert_eq!(manifest["server_name"], "sanctuary-utils");
    assert_eq!(manifest["health_check"], "/health");
    assert_eq!(
        manifest["endpoint"],
        format!("http://sanctuary-utils:{}/mcp", server.port)
    );
    assert_eq!(
        manifest["transports"]["sse"],
        format!("http://sanctuary-utils:{}/sse", server.port)
    );
    assert!(
        manifest["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("calculator_calculate"))
    );

    let metrics = fleet_testkit::http()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("fleet_build_info{cluster=\"sanctuary-utils\"")
    );
}

fn init_body() -> serde_json::Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
           "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
}

async fn post_mcp(
    server: &fleet_testkit::Server,
    headers: &[(&str, &str)],
    body: &serde_json::Value,
) -> reqwest::Response {
    let mut req = fleet_testkit::http()
        .post(server.url("/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .json(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn foreign_host_and_origin_are_refused_aliases_accepted() {
    let server = common::start(&[("FLEET_ALLOWED_HOSTS", "mcp.internal")]).await;
    let evil = post_mcp(
        &server,
        &[
            ("Host", "evil.example.com"),
            ("Origin", "http://evil.example.com"),
        ],
        &init_body(),
    )
    .await;
    assert_eq!(evil.status(), 403);
    assert!(evil.text().await.unwrap().contains("evil.example.com"));
    let evil_origin = post_mcp(
        &server,
        &[("Origin", "http://evil.example.com")],
        &init_body(),
    )
    .await;
    assert_eq!(evil_origin.status(), 403);
    for host in [
        "sanctuary-utils:8000",
        "sanctuary_utils",
        "mcp.internal:443",
        "localhost",
    ] {
        let r = post_mcp(&server, &[("Host", host)], &init_body()).await;
        assert_eq!(r.status(), 200, "{host}");
    }
    let sse = fleet_testkit::http()
        .get(server.url("/sse"))
        .header("Host", "evil.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 403);
    // Health probes are not Host-checked: a container runtime may use any name.
    let health = fleet_testkit::http()
        .get(server.url("/health"))
        .header("Host", "whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn session_semantics_follow_the_spec() {
    let server = common::start(&[]).await;
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let missing = post_mcp(&server, &[("MCP-Protocol-Version", "2025-11-25")], &ping).await;
    assert_eq!(missing.status(), 400);
    let unknown = post_mcp(
        &server,
        &[
            ("Mcp-Session-Id", "no-such-session"),
            ("MCP-Protocol-Version", "2025-11-25"),
        ],
        &ping,
    )
    .await;
    assert_eq!(unknown.status(), 404);
    let init = post_mcp(&server, &[], &init_body()).await;
    assert_eq!(init.status(), 200);
    assert!(init.headers().contains_key("mcp-session-id"));

    let sse_missing = fleet_testkit::http()
        .post(server.url("/messages"))
        .json(&ping)
        .send()
        .await
        .unwrap();
    assert_eq!(sse_missing.status(), 400);
    let sse_unknown = fleet_testkit::http()
        .post(server.url("/messages?sessionId=nope"))
        .json(&ping)
        .send()
        .await
        .unwrap();
    assert_eq!(sse_unknown.status(), 404);
}

#[tokio::test]
async fn oversized_bodies_are_refused_on_both_transports() {
    let server = common::start(&[("FLEET_MAX_BODY_BYTES", "4096")]).await;
    let big = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                     "params": {"name": "string_trim", "arguments": {"text": "x".repeat(10_000)}}});
    assert_eq!(post_mcp(&server, &[], &big).await.status(), 413);
    let sse = fleet_testkit::http()
        .post(server.url("/messages?sessionId=any"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 413);
}

#[test]
fn help_version_and_usage_errors() {
    let help = Command::new(common::BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for var in [
        "PORT",
        "MCP_GATEWAY_URL",
        "FLEET_ALLOW_LOOPBACK",
        "UTILS_LOCAL_TIMEZONE",
        "healthcheck",
    ] {
        assert!(text.contains(var), "--help lacks {var}");
    }
    let version = Command::new(common::BIN).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("sanctuary-utils {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        Command::new(common::BIN)
            .arg("--port")
            .output()
            .unwrap()
            .status
            .code(),
        Some(64)
    );
}

#[test]
fn bad_configuration_exits_78_listing_every_problem() {
    let out = Command::new(common::BIN)
        .env("PORT", "99999")
        .env("FLEET_CONTAINER", "1")
        .env("MCP_GATEWAY_URL", "http://127.0.0.1:4444")
        .env("UTILS_LOCAL_TIMEZONE", "Mars/Base")
        .env_remove("FLEET_ALLOW_LOOPBACK")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8(out.stderr).unwrap();
    for needle in [
        "PORT",
        "MCP_GATEWAY_URL: http://127.0.0.1:4444/ is a loopback address",
        "UTILS_LOCAL_TIMEZONE",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
}

#[test]
fn container_mode_refuses_ip_literals_and_the_switch_allows_loopback() {
    let out = Command::new(common::BIN)
        .env("PORT", "0")
        .env("FLEET_CONTAINER", "1")
        .env("MCP_GATEWAY_URL", "http://sanctuary-gateway:4444")
        .env("FLEET_ADVERTISE_URL", "http://10.88.0.5:8000/mcp")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IP literal"));
}

#[tokio::test]
async fn loopback_switch_lets_a_container_reach_a_host_gateway() {
    // The gateway URL is refused without the switch (previous test) and accepted with it; nothing
    // listens there, so registration keeps retrying while tools are served.
    let server = common::start(&[
        ("FLEET_CONTAINER", "1"),
        ("FLEET_ALLOW_LOOPBACK", "1"),
        ("MCP_GATEWAY_URL", "http://127.0.0.1:9"),
        ("FLEET_ADVERTISE_URL", "http://127.0.0.1:1/mcp"),
    ])
    .await;
    let mut state = json!(null);
    for _ in 0..100 {
        let (_, h) = server.get_json("/health").await.unwrap();
        state = h["registration"].clone();
        if state["state"] == "retrying" && state["attempt"].as_u64() >= Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state["state"], "retrying", "{state}");
    assert!(
        state["last_error"]
            .as_str()
            .unwrap()
            .contains("gateway unreachable"),
        "{state}"
    );
    let client = fleet_testkit::http_client(&server.url("/mcp"))
        .await
        .unwrap();
    assert_eq!(fleet_testkit::tool_names(&client).await.unwrap().len(), 22);
}

#[tokio::test]
async fn healthcheck_subcommand_and_sigterm() {
    let server = common::start(&[]).await;
    let port = server.port.to_string();
    let ok = Command::new(common::BIN)
        .arg("healthcheck")
        .env("PORT", &port)
        .env("HOST", "127.0.0.1")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let status = server.terminate().await.unwrap();
    assert_eq!(status.code(), Some(0), "graceful shutdown exits 0");
    let down = Command::new(common::BIN)
        .arg("healthcheck")
        .env("PORT", &port)
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
    let no_port = Command::new(common::BIN)
        .arg("healthcheck")
        .env_remove("PORT")
        .output()
        .unwrap();
    assert_eq!(no_port.status.code(), Some(64));
}

#[tokio::test]
async fn a_taken_port_exits_69() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let out = Command::new(common::BIN)
        .env("PORT", &port)
        .env("HOST", "127.0.0.1")
        .env("FLEET_CONTAINER", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on"));
}
