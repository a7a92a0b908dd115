//! Limits through the real binary: body size (streamed, an endless body still ends), time
//! (per hop and per call), redirects, per-host rate, global concurrency, request body size; and
//! logging: one line per request with method, host, status, bytes and ms, never a secret.

#![allow(clippy::unwrap_used)]

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, body::Body, routing::get};
use common::{counter, html, redirect, respond, site};
use fleet_testkit::{args, call, is_error, structured, text};
use futures::stream;
use serde_json::{Value, json};

fn endless() -> Body {
    let chunk = "<p>".to_owned() + &"all work and no play ".repeat(200) + "</p>\n";
    Body::from_stream(stream::repeat_with(move || {
        Ok::<_, std::io::Error>(chunk.clone())
    }))
}

fn slow_app() -> Router {
    Router::new()
        .route(
            "/robots.txt",
            get(|| async { respond(404, "text/plain", "") }),
        )
        .route(
            "/endless",
            get(|| async { respond(200, "text/html", endless()) }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                html("<p>late</p>")
            }),
        )
        .route(
            "/stall",
            get(|| async {
                let first =
                    stream::once(async { Ok::<_, std::io::Error>("<p>first part</p>".to_owned()) });
                let never = stream::pending::<Result<String, std::io::Error>>();
                respond(
                    200,
                    "text/html",
                    Body::from_stream(futures::StreamExt::chain(first, never)),
                )
            }),
        )
        .route(
            "/r/{n}",
            axum::routing::any(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    if n == 0 {
                        html("<p>arrived</p>")
                    } else {
                        redirect(302, &format!("/r/{}", n - 1))
                    }
                },
            ),
        )
}

#[tokio::test]
async fn bodies_are_streamed_and_cut_at_the_limit() {
    let site = site(slow_app()).await;
    let (_server, client) = common::client(&[
        ("NET_MAX_BODY_BYTES", "65536"),
        ("NET_TOTAL_TIMEOUT", "20s"),
    ])
    .await;
    // The body never ends: only a streamed read with a cap can answer at all.
    let r = call(
        &client,
        "fetch",
        args(&[
            ("url", json!(site.url("/endless"))),
            ("max_length", json!(999_999)),
        ]),
    )
    .await
    .unwrap();
    let t = text(&r);
    assert!(!is_error(&r), "{}", &t[..t.len().min(500)]);
    assert!(
        t.contains("larger than NET_MAX_BODY_BYTES (65536 bytes)"),
        "{}",
        &t[..300]
    );
    assert!(t.contains("all work and no play"));
    assert!(t.len() < 70_000, "{} chars", t.len());
    let h = call(
        &client,
        "http_request",
        args(&[
            ("url", json!(site.url("/endless"))),
            ("max_response_bytes", json!(1000)),
        ]),
    )
    .await
    .unwrap();
    let s = structured(&h);
    assert_eq!(
        (s["bytes"].as_u64(), s["truncated"].as_bool()),
        (Some(1000), Some(true))
    );
}

#[tokio::test]
async fn slow_servers_hit_the_hop_and_call_limits() {
    let site = site(slow_app()).await;
    let (_server, client) = common::client(&[("NET_REQUEST_TIMEOUT", "1s")]).await;
    for path in ["/slow", "/stall"] {
        let r = call(&client, "fetch", args(&[("url", json!(site.url(path)))]))
            .await
            .unwrap();
        assert!(is_error(&r), "{path}");
        assert!(
            text(&r).starts_with("GET 127.0.0.1 timed out: request timed out after")
                && text(&r).contains("NET_REQUEST_TIMEOUT"),
            "{path}: {}",
            text(&r)
        );
    }
    let (_server, total) = common::client(&[("NET_TOTAL_TIMEOUT", "1s")]).await;
    let r = call(
        &total,
        "http_request",
        args(&[("url", json!(site.url("/slow")))]),
    )
    .await
    .unwrap();
    assert!(
        text(&r).contains("chain budget of 1000 ms exhausted")
            && text(&r).contains("NET_TOTAL_TIMEOUT"),
        "{}",
        text(&r)
    );
}

#[tokio::test]
async fn redirects_beyond_the_limit_fail() {
    let site = site(slow_app()).await;
    let (_server, client) = common::client(&[("NET_MAX_REDIRECTS", "2")]).await;
    let ok = call(&client, "fetch", args(&[("url", json!(site.url("/r/2")))]))
        .await
        .unwrap();
    assert!(text(&ok).contains("arrived"), "{}", text(&ok));
    let too_many = call(&client, "fetch", args(&[("url", json!(site.url("/r/3")))]))
        .await
        .unwrap();
    assert!(
        text(&too_many).contains("redirected more than 2 times"),
        "{}",
        text(&too_many)
    );
}

#[tokio::test]
async fn the_per_host_rate_limit_fails_fast_when_waiting_would_outlast_the_call() {
    let site = site(slow_app()).await;
    let (_server, client) = common::client(&[
        ("NET_HOST_RATE_LIMIT", "2/h"),
        ("NET_ALLOW", "127.0.0.1,localhost"),
    ])
    .await;
    for _ in 0..2 {
        let r = call(
            &client,
            "http_request",
            args(&[("url", json!(site.url("/r/0")))]),
        )
        .await
        .unwrap();
        assert_eq!(structured(&r)["status"], 200);
    }
    let limited = call(
        &client,
        "http_request",
        args(&[("url", json!(site.url("/r/0")))]),
    )
    .await
    .unwrap();
    assert!(is_error(&limited));
    assert!(
        text(&limited).starts_with("rate limit for 127.0.0.1 reached (NET_HOST_RATE_LIMIT)"),
        "{}",
        text(&limited)
    );
    // Another host has its own bucket.
    let other = format!("http://localhost:{}/r/0", site.addr.port());
    let r = call(&client, "http_request", args(&[("url", json!(other))]))
        .await
        .unwrap();
    assert_eq!(structured(&r)["status"], 200, "{}", text(&r));
    assert_eq!(site.hits_on("/r/0").len(), 3);
}

#[tokio::test]
async fn the_global_concurrency_cap_holds() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (i, p) = (in_flight.clone(), peak.clone());
    let app = Router::new().route(
        "/hold",
        get(move || {
            let (i, p) = (i.clone(), p.clone());
            async move {
                let now = i.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(150)).await;
                i.fetch_sub(1, Ordering::SeqCst);
                html("<p>held</p>")
            }
        }),
    );
    let site = site(app).await;
    let (_server, client) = common::client(&[("NET_MAX_CONCURRENT_REQUESTS", "1")]).await;
    let client = Arc::new(client);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (client, url) = (client.clone(), site.url("/hold"));
        tasks.push(tokio::spawn(async move {
            call(&client, "http_request", args(&[("url", json!(url))]))
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(structured(&t.await.unwrap())["status"], 200);
    }
    assert_eq!(site.hits_on("/hold").len(), 4);
    assert_eq!(
        peak.load(Ordering::SeqCst),
        1,
        "never more than one request in flight"
    );
}

#[tokio::test]
async fn request_bodies_are_capped() {
    let site = site(slow_app()).await;
    let (_server, client) = common::client(&[("NET_MAX_REQUEST_BODY_BYTES", "16")]).await;
    let r = call(
        &client,
        "http_request",
        args(&[
            ("method", json!("POST")),
            ("url", json!(site.url("/r/0"))),
            ("body", json!("x".repeat(17))),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        text(&r),
        "invalid body: 17 bytes is more than NET_MAX_REQUEST_BODY_BYTES (16)"
    );
    assert_eq!(site.count(), 0);
}

#[tokio::test]
async fn every_request_is_logged_without_secrets() {
    let site = site(slow_app()).await;
    // Debug for this crate and fleet-core (whose argument line is redacted). rmcp's own debug
    // lines print raw requests, so `RUST_LOG=debug` for every crate is documented as unsafe.
    let (server, client) = common::client(&[(
        "RUST_LOG",
        "info,fleet_core=debug,sanctuary_network=debug,reqwest=debug,hyper_util=debug",
    )])
    .await;
    let r = call(
        &client,
        "http_request",
        json!({
            "method": "POST",
            "url": site.url("/r/1?api_key=s3cret-query"),
            "headers": {"Authorization": "Bearer s3cret-header", "X-Api-Key": "s3cret-key"},
            "json": {"password": "s3cret-body"}
        }),
    )
    .await
    .unwrap();
    assert_eq!(structured(&r)["status"], 200);
    let hit = &site.hits_on("/r/1")[0];
    assert_eq!(
        hit.headers["authorization"], "Bearer s3cret-header",
        "the secret did reach the server"
    );
    // Let the last log lines arrive.
    let mut logs = String::new();
    for _ in 0..50 {
        logs = server.log_text();
        if logs.matches("outbound request").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lines: Vec<Value> = logs
        .lines()
        .filter(|l| l.contains("\"outbound request\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "the request and its redirect hop: {logs}");
    let f = &lines[0]["fields"];
    assert_eq!(
        (
            f["method"].as_str(),
            f["host"].as_str(),
            f["status"].as_u64(),
            f["hop"].as_u64()
        ),
        (Some("POST"), Some("127.0.0.1"), Some(302), Some(0))
    );
    assert!(f["bytes"].is_u64() && f["ms"].is_f64(), "{f}");
    let last = &lines[1]["fields"];
    assert_eq!(
        (
            last["method"].as_str(),
            last["status"].as_u64(),
            last["bytes"].as_u64()
        ),
        (Some("GET"), Some(200), Some(14))
    );
    assert!(
        logs.contains("tool call arguments"),
        "debug logging was on: {logs}"
    );
    assert!(
        !logs.contains("s3cret"),
        "a secret reached the log:\n{logs}"
    );
}

#[tokio::test]
async fn proxy_variables_are_ignored() {
    // A proxy would resolve names itself, beyond the guard; the client never uses one.
    let proxy = counter("127.0.0.1:0".parse().unwrap()).await;
    let site = site(slow_app()).await;
    let proxy_url = format!("http://{}", proxy.addr);
    let (_server, client) = common::client(&[
        ("HTTP_PROXY", &proxy_url),
        ("http_proxy", &proxy_url),
        ("ALL_PROXY", &proxy_url),
    ])
    .await;
    let r = call(
        &client,
        "http_request",
        args(&[("url", json!(site.url("/r/0")))]),
    )
    .await
    .unwrap();
    assert_eq!(structured(&r)["status"], 200);
    let refused = call(
        &client,
        "http_request",
        args(&[("url", json!("http://10.0.0.1/"))]),
    )
    .await
    .unwrap();
    assert!(text(&refused).starts_with("refused"));
    assert_eq!(proxy.accepted(), 0);
}
