//! The SSRF suite: every private target is refused, through every tool, on the first request
//! and on redirect hops, before any connection is made.
//!
//! Two proofs of "before any connection":
//! - Loopback targets have real listeners that count accepted connections; after every refusal
//!   the count must still be zero.
//! - Non-loopback private targets (RFC 1918, link-local, cloud metadata, …) are tried from a
//!   binary started in its own empty network namespace (`unshare --net`, stdio transport): had the
//!   guard let one through, the answer would be "network unreachable" instead of a refusal, and no
//!   packet could leave the machine either way. Tests send traffic to loopback only.

#![allow(clippy::unwrap_used)]

mod common;

use std::{net::SocketAddr, process::Stdio};

use axum::{
    Router,
    extract::Path,
    routing::{any, get},
};
use common::{counter, html, redirect, site};
use fleet_testkit::{Client, args, call, is_error, text};
use rmcp::{ServiceExt as _, transport::TokioChildProcess};
use serde_json::{Value, json};
use tokio::process::Command;

/// Every tool, called with `url` in the way it takes one.
fn calls(url: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("fetch", json!({"url": url})),
        ("fetch_url", json!({"url": url})),
        ("check_site_status", json!({"url": url})),
        ("http_request", json!({"url": url})),
        (
            "http_request",
            json!({"method": "POST", "url": url, "json": {"a": 1}}),
        ),
    ]
}

async fn assert_refused(client: &Client, url: &str, needle: &str) {
    for (tool, a) in calls(url) {
        let r = call(client, tool, a).await.unwrap();
        let t = text(&r);
        assert!(is_error(&r), "{tool} {url} was not refused: {t}");
        assert!(t.starts_with("refused "), "{tool} {url}: {t}");
        assert!(
            t.contains(needle),
            "{tool} {url}: expected {needle:?} in {t}"
        );
    }
}

#[tokio::test]
async fn loopback_in_every_spelling_is_refused_without_a_connection() {
    // Same port on 127.0.0.1, 127.0.0.2 and ::1, so every spelling below points at a listener.
    let v4 = counter("127.0.0.1:0".parse().unwrap()).await;
    let port = v4.addr.port();
    let v4b = counter(SocketAddr::from(([127, 0, 0, 2], port))).await;
    let v6 = counter(format!("[::1]:{port}").parse().unwrap()).await;
    let (server, client) = common::client(&[
        ("NET_ALLOW", ""),
        ("NET_STATIC_HOSTS", "pinned.test=127.0.0.1|::1"),
    ])
    .await;
    for host in [
        "127.0.0.1",
        "127.0.0.2",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "0x7f.1",
        "127.1",
        "0.0.0.0",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::]",
    ] {
        let url = format!("http://{host}:{port}/");
        assert_refused(&client, &url, "is not a public address").await;
    }
    assert_refused(&client, &format!("http://localhost:{port}/"), "RFC 6761").await;
    assert_refused(&client, &format!("http://LocalHost.:{port}/x"), "RFC 6761").await;
    assert_refused(
        &client,
        &format!("http://api.localhost:{port}/"),
        "RFC 6761",
    )
    .await;
    assert_refused(
        &client,
        &format!("http://pinned.test:{port}/"),
        "pinned.test resolves to 127.0.0.1, which is not a public address: loopback",
    )
    .await;
    let r = call(
        &client,
        "fetch",
        args(&[("url", json!(format!("http://2130706433:{port}/")))]),
    )
    .await
    .unwrap();
    assert!(
        text(&r).contains("127.0.0.1 is not a public address: loopback (127.0.0.0/8)"),
        "decimal spelling is judged as the address it means: {}",
        text(&r)
    );
    assert_eq!(
        (v4.accepted(), v4b.accepted(), v6.accepted()),
        (0, 0, 0),
        "no connection was made to a refused target"
    );
    let logs = server.log_text();
    assert!(!logs.contains("\"status\":200"), "no request was sent");
}

#[tokio::test]
async fn a_redirect_to_a_private_target_is_refused_at_that_hop() {
    // The public-facing site is allow-listed by address (127.0.0.1 only); its redirects point at
    // targets the guard must refuse before connecting.
    let internal = counter("127.0.0.2:0".parse().unwrap()).await;
    let port = internal.addr.port();
    let v6 = counter(format!("[::1]:{port}").parse().unwrap()).await;
    let app = Router::new()
        .route(
            "/robots.txt",
            get(|| async { common::respond(404, "text/plain", "") }),
        )
        .route(
            "/to/{target}",
            any(move |Path(target): Path<String>| async move {
                let location = match target.as_str() {
                    "internal" => format!("http://127.0.0.2:{port}/admin"),
                    "v6" => format!("http://[::1]:{port}/admin"),
                    "localhost" => format!("http://localhost:{port}/admin"),
                    "decimal" => format!("http://2130706434:{port}/admin"),
                    "metadata" => "http://169.254.169.254/latest/meta-data/iam/".to_owned(),
                    _ => "/".to_owned(),
                };
                redirect(302, &location)
            }),
        )
        .route("/", get(|| async { html("<p>home</p>") }));
    let site = site(app).await;
    let (_server, client) = common::client(&[("NET_ALLOW", "127.0.0.1/32")]).await;
    for (target, needle) in [
        ("internal", "127.0.0.2 is not a public address"),
        ("v6", "::1 is not a public address"),
        ("localhost", "RFC 6761"),
        ("decimal", "127.0.0.2 is not a public address"),
    ] {
        assert_refused(&client, &site.url(&format!("/to/{target}")), needle).await;
        let r = call(
            &client,
            "fetch",
            args(&[("url", json!(site.url(&format!("/to/{target}"))))]),
        )
        .await
        .unwrap();
        assert!(
            text(&r).contains("(reached through redirect 1)"),
            "{}",
            text(&r)
        );
    }
    assert_eq!(
        (internal.accepted(), v6.accepted()),
        (0, 0),
        "no connection to a refused hop"
    );
    // Only after the loopback proofs above: a redirect to the cloud metadata endpoint.
    assert_refused(
        &client,
        &site.url("/to/metadata"),
        "169.254.169.254 is not a public address: cloud metadata endpoint",
    )
    .await;
}

/// A client for the binary inside its own empty network namespace (stdio transport).
async fn isolated(env: &[(&str, &str)]) -> Client {
    let probe = std::process::Command::new("unshare")
        .args(["--net", "--", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        probe.is_ok_and(|s| s.success()),
        "this suite needs `unshare --net` (util-linux, root) to run the binary without a network"
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--net", "--", common::BIN])
        .env_remove("PORT")
        .env("FLEET_CONTAINER", "0")
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    ().serve(TokioChildProcess::new(cmd).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_private_range_is_refused_by_address_and_by_name() {
    let client = isolated(&[(
        "NET_STATIC_HOSTS",
        "internal.test=10.1.2.3,meta.test=169.254.169.254,dual.test=192.168.0.5|fd00::5,nat64.test=64:ff9b::a00:1",
    )])
    .await;
    for (url, needle) in [
        ("http://10.0.0.1/", "private network (10.0.0.0/8, RFC 1918)"),
        (
            "http://172.16.5.4:8080/",
            "private network (172.16.0.0/12, RFC 1918)",
        ),
        (
            "http://192.168.1.1/admin",
            "private network (192.168.0.0/16, RFC 1918)",
        ),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://169.254.1.1/", "link-local (169.254.0.0/16)"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "cloud metadata endpoint",
        ),
        (
            "http://100.100.100.200/latest/meta-data/",
            "cloud metadata endpoint",
        ),
        ("http://[fd00:ec2::254]/", "cloud metadata endpoint"),
        ("http://[fd12:3456::1]/", "unique local (fc00::/7)"),
        ("http://[fe80::1]/", "link-local (fe80::/10)"),
        ("http://224.0.0.1/", "multicast (224.0.0.0/4)"),
        ("http://[ff02::1]/", "multicast (ff00::/8)"),
        ("http://255.255.255.255/", "reserved (240.0.0.0/4"),
        ("http://198.18.0.1/", "benchmarking"),
        ("http://192.0.2.1/", "documentation"),
        ("http://[2001:db8::1]/", "documentation (2001:db8::/32)"),
        (
            "http://[::ffff:10.0.0.1]/",
            "an IPv4-mapped IPv6 address form of 10.0.0.1",
        ),
        (
            "http://[::ffff:a9fe:a9fe]/",
            "an IPv4-mapped IPv6 address form of 169.254.169.254",
        ),
        (
            "http://[64:ff9b::a9fe:a9fe]/",
            "an NAT64 (64:ff9b::/96) address form of 169.254.169.254",
        ),
        ("http://[64:ff9b:1::a00:1]/", "NAT64 local-use"),
        ("http://[2002:a00:1::1]/", "6to4 (2002::/16)"),
        ("http://[2001:0:4136:e378::1]/", "Teredo"),
        ("http://167772161/", "10.0.0.1 is not a public address"),
        ("http://012.0.0.1/", "10.0.0.1 is not a public address"),
        (
            "http://0xa9.0xfe.0xa9.0xfe/",
            "169.254.169.254 is not a public address: cloud metadata",
        ),
        (
            "http://metadata.google.internal/computeMetadata/v1/",
            "cloud metadata service",
        ),
        (
            "http://internal.test/",
            "internal.test resolves to 10.1.2.3",
        ),
        ("http://meta.test/", "meta.test resolves to 169.254.169.254"),
        ("http://dual.test/", "dual.test resolves to 192.168.0.5"),
        ("http://nat64.test/", "NAT64"),
    ] {
        assert_refused(&client, url, needle).await;
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_allow_list_lets_trusted_ranges_through_but_never_metadata() {
    let client = isolated(&[
        ("NET_ALLOW", "169.254.0.0/16,10.9.0.0/16,api.internal.test"),
        ("NET_STATIC_HOSTS", "api.internal.test=10.1.1.1"),
    ])
    .await;
    // Let through by the guard: the isolated namespace then has no route, which proves the
    // request got past the guard (and that nothing left the machine).
    for url in [
        "http://169.254.1.1/",
        "http://10.9.8.7/",
        "http://api.internal.test/",
    ] {
        let r = call(&client, "http_request", json!({"url": url}))
            .await
            .unwrap();
        let t = text(&r);
        assert!(is_error(&r) && t.starts_with("cannot reach"), "{url}: {t}");
    }
    for url in [
        "http://169.254.169.254/",
        "http://[::ffff:169.254.169.254]/",
        "http://169.254.170.2/v2/credentials",
    ] {
        assert_refused(&client, url, "never fetched, even when NET_ALLOW covers it").await;
    }
    assert_refused(&client, "http://10.8.0.1/", "private network").await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_dangerous_off_switch_disables_the_guard() {
    let client = isolated(&[("NET_ALLOW_PRIVATE_IPS", "1")]).await;
    let r = call(&client, "http_request", json!({"url": "http://10.0.0.1/"}))
        .await
        .unwrap();
    assert!(text(&r).starts_with("cannot reach"), "{}", text(&r));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_allow_listed_name_reaches_its_private_address_end_to_end() {
    // A trusted internal service named in NET_ALLOW (here pinned to a loopback server) is
    // fetched all the way through: the resolver and the check after the response agree.
    let page = site(axum::Router::new().route(
        "/api/v2/heartbeat",
        axum::routing::get(|| async { "nanosecond heartbeat 42" }),
    ))
    .await;
    let port = page.addr.port();
    let (_server, client) = common::client(&[
        ("NET_ALLOW", "vector-db.internal.test"),
        ("NET_STATIC_HOSTS", "vector-db.internal.test=127.0.0.1"),
    ])
    .await;
    let url = format!("http://vector-db.internal.test:{port}/api/v2/heartbeat");
    let r = call(
        &client,
        "fetch",
        args(&[("url", json!(url)), ("raw", json!(true))]),
    )
    .await
    .unwrap();
    assert!(
        !is_error(&r) && text(&r).contains("nanosecond heartbeat 42"),
        "{}",
        text(&r)
    );
    // A name that is not listed, pinned to the same address, is still refused.
    let (_server, other) = common::client(&[
        ("NET_ALLOW", "vector-db.internal.test"),
        ("NET_STATIC_HOSTS", "other.internal.test=127.0.0.1"),
    ])
    .await;
    assert_refused(
        &other,
        &format!("http://other.internal.test:{port}/"),
        "loopback",
    )
    .await;
    client.cancel().await.unwrap();
}
