//! `http_request` through the real binary against an echo server on loopback: every method,
//! headers, JSON and text bodies, response shapes (JSON, text, binary), redirects that change or
//! keep the method, credentials dropped across origins, and refused arguments.

#![allow(clippy::unwrap_used)]

mod common;

use axum::{
    Router,
    body::Bytes,
    http::{HeaderMap, Method, Uri},
    routing::{any, get},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use common::{Site, redirect, respond, site};
use fleet_testkit::{args, call, is_error, structured, text};
use serde_json::{Value, json};

/// Answers every request with what it received, as JSON.
async fn echo(
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let seen: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or(""))))
        .collect();
    let reply = json!({
        "method": method.as_str(),
        "path": uri.to_string(),
        "headers": seen,
        "body": String::from_utf8_lossy(&body),
    });
    let mut r = respond(200, "application/json", reply.to_string());
    r.headers_mut().append("set-cookie", "a=1".parse().unwrap());
    r.headers_mut().append("set-cookie", "b=2".parse().unwrap());
    r
}

async fn echo_site(other: Option<&Site>) -> Site {
    let elsewhere = other.map(|s| s.url("/echo")).unwrap_or_default();
    site(
        Router::new()
            .route("/echo", any(echo))
            .route(
                "/text",
                get(|| async { respond(200, "text/plain; charset=utf-8", "plain answer") }),
            )
            .route(
                "/bytes",
                get(|| async {
                    respond(200, "application/octet-stream", &[0u8, 159, 146, 150][..])
                }),
            )
            .route(
                "/teapot",
                any(|| async {
                    respond(418, "application/json", r#"{"error":"short and stout"}"#)
                }),
            )
            .route("/see-other", any(|| async { redirect(303, "/echo") }))
            .route("/moved", any(|| async { redirect(301, "/echo") }))
            .route("/temporary", any(|| async { redirect(307, "/echo") }))
            .route("/permanent", any(|| async { redirect(308, "/echo") }))
            .route(
                "/away",
                any(move || {
                    let to = elsewhere.clone();
                    async move { redirect(307, &to) }
                }),
            ),
    )
    .await
}

#[tokio::test]
async fn every_method_with_headers_and_bodies() {
    let site = echo_site(None).await;
    let (_server, client) = common::client(&[]).await;
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let r = call(
            &client,
            "http_request",
            json!({"method": method, "url": site.url("/echo?x=1"), "headers": {"X-Trace": "abc"}, "json": {"n": 1}}),
        )
        .await
        .unwrap();
        let s = structured(&r);
        assert_eq!(s["status"], 200, "{method}");
        let seen = &s["json"];
        assert_eq!(seen["method"], method);
        assert_eq!(seen["path"], "/echo?x=1");
        assert_eq!(seen["headers"]["x-trace"], "abc");
        assert_eq!(seen["headers"]["content-type"], "application/json");
        assert_eq!(seen["body"], r#"{"n":1}"#);
        assert!(
            seen["headers"]["user-agent"]
                .as_str()
                .unwrap()
                .starts_with("SanctuaryNetwork/")
        );
        assert!(
            s.get("body").is_none(),
            "JSON is parsed, not repeated as text"
        );
        assert_eq!(s["headers"]["set-cookie"], "a=1\nb=2");
        assert_eq!(s["content_type"], "application/json");
    }
    let text_body = call(
        &client,
        "http_request",
        json!({"method": "PUT", "url": site.url("/echo"), "body": "hello", "headers": {"Content-Type": "text/markdown"}}),
    )
    .await
    .unwrap();
    let seen = &structured(&text_body)["json"];
    assert_eq!(
        (
            seen["body"].as_str(),
            seen["headers"]["content-type"].as_str()
        ),
        (Some("hello"), Some("text/markdown"))
    );

    let head = structured(
        &call(
            &client,
            "http_request",
            json!({"method": "HEAD", "url": site.url("/echo")}),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (head["status"].as_u64(), head["bytes"].as_u64()),
        (Some(200), Some(0))
    );
    assert!(head.get("json").is_none() && head.get("body").is_none());
}

#[tokio::test]
async fn text_binary_and_error_statuses_are_answers() {
    let site = echo_site(None).await;
    let (_server, client) = common::client(&[]).await;
    let t = structured(
        &call(
            &client,
            "http_request",
            args(&[("url", json!(site.url("/text")))]),
        )
        .await
        .unwrap(),
    );
    assert_eq!(t["body"], "plain answer");
    let b = structured(
        &call(
            &client,
            "http_request",
            args(&[("url", json!(site.url("/bytes")))]),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        STANDARD.decode(b["body_base64"].as_str().unwrap()).unwrap(),
        vec![0u8, 159, 146, 150]
    );
    let tea = call(
        &client,
        "http_request",
        args(&[("url", json!(site.url("/teapot")))]),
    )
    .await
    .unwrap();
    assert!(!is_error(&tea));
    let s = structured(&tea);
    assert_eq!(
        (s["status"].as_u64(), s["status_text"].as_str()),
        (Some(418), Some("418 I'm a teapot"))
    );
    assert_eq!(s["json"]["error"], "short and stout");
}

#[tokio::test]
async fn redirects_change_or_keep_the_method_as_browsers_do() {
    let site = echo_site(None).await;
    let (_server, client) = common::client(&[]).await;
    for (path, method, body) in [
        ("/see-other", "GET", ""),
        ("/moved", "GET", ""),
        ("/temporary", "POST", "{\"k\":\"v\"}"),
        ("/permanent", "POST", "{\"k\":\"v\"}"),
    ] {
        let r = call(
            &client,
            "http_request",
            json!({"method": "POST", "url": site.url(path), "json": {"k": "v"}}),
        )
        .await
        .unwrap();
        let s = structured(&r);
        assert_eq!(s["json"]["method"], method, "{path}");
        assert_eq!(s["json"]["body"], body, "{path}");
        assert_eq!(s["redirects"][0]["from"], site.url(path));
        assert_eq!(s["redirects"][0]["to"], site.url("/echo"));
        assert_eq!(s["url"], site.url("/echo"));
    }
    let unfollowed = structured(
        &call(
            &client,
            "http_request",
            json!({"url": site.url("/moved"), "follow_redirects": false}),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (
            unfollowed["status"].as_u64(),
            unfollowed["headers"]["location"].as_str()
        ),
        (Some(301), Some("/echo"))
    );
}

#[tokio::test]
async fn credentials_do_not_follow_a_redirect_to_another_origin() {
    let other = echo_site(None).await;
    let first = echo_site(Some(&other)).await;
    let (_server, client) = common::client(&[]).await;
    let secrets = json!({"Authorization": "Bearer t0ken", "Cookie": "sid=1", "X-Api-Key": "k3y", "X-Trace": "kept"});
    let r = call(
        &client,
        "http_request",
        json!({"url": first.url("/away"), "headers": secrets}),
    )
    .await
    .unwrap();
    let seen = &structured(&r)["json"]["headers"];
    assert_eq!(seen["x-trace"], "kept");
    for dropped in ["authorization", "cookie", "x-api-key"] {
        assert!(
            seen.get(dropped).is_none(),
            "{dropped} followed the redirect: {seen}"
        );
    }
    let same = call(
        &client,
        "http_request",
        json!({"url": first.url("/temporary"), "headers": {"Authorization": "Bearer t0ken"}}),
    )
    .await
    .unwrap();
    assert_eq!(
        structured(&same)["json"]["headers"]["authorization"],
        "Bearer t0ken",
        "same origin keeps it"
    );
}

#[tokio::test]
async fn bad_arguments_name_the_argument() {
    let site = echo_site(None).await;
    let (_server, client) = common::client(&[]).await;
    for (a, needle) in [
        (
            json!({"url": site.url("/echo"), "method": "TRACE"}),
            "unknown variant `TRACE`",
        ),
        (
            json!({"url": site.url("/echo"), "headers": {"Host": "evil"}}),
            "invalid headers: Host is set by the client itself",
        ),
        (
            json!({"url": site.url("/echo"), "headers": {"X-Bad": "a\nb"}}),
            "invalid headers: the value of X-Bad",
        ),
        (
            json!({"url": site.url("/echo"), "headers": {"bad name": "x"}}),
            "invalid headers: \"bad name\" is not a valid header name",
        ),
        (
            json!({"url": site.url("/echo"), "method": "POST", "json": {}, "body": "x"}),
            "invalid body: give either json or body, not both",
        ),
        (
            json!({"url": site.url("/echo"), "method": "HEAD", "body": "x"}),
            "invalid body: a HEAD request carries no body",
        ),
        (
            json!({"url": site.url("/echo"), "max_response_bytes": 0}),
            "invalid max_response_bytes",
        ),
        (
            json!({"url": "ftp://127.0.0.1/x"}),
            "invalid url: scheme ftp: is not supported",
        ),
    ] {
        let r = call(&client, "http_request", a.clone()).await.unwrap();
        assert!(is_error(&r), "{a}");
        assert!(text(&r).contains(needle), "{a}: {}", text(&r));
    }
    assert_eq!(site.count(), 0, "nothing was sent");
}
