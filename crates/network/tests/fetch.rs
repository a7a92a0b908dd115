//! `fetch` and `fetch_url` through the real binary against real pages on loopback:
//! HTML to Markdown on real-world-shaped pages, pagination, raw and non-HTML content, charsets,
//! redirects and error statuses.

#![allow(clippy::unwrap_used)]

mod common;

use axum::{Router, routing::get};
use common::{DOCS_PAGE, LISTING_PAGE, NEWS_ARTICLE, html, redirect, respond, site};
use fleet_testkit::{args, call, is_error, structured, text};
use serde_json::json;

fn pages() -> Router {
    Router::new()
        .route("/news", get(|| async { html(NEWS_ARTICLE) }))
        .route("/docs", get(|| async { html(DOCS_PAGE) }))
        .route("/listing", get(|| async { html(LISTING_PAGE) }))
        .route(
            "/data.json",
            get(|| async { respond(200, "application/json", r#"{"items":[1,2,3],"ok":true}"#) }),
        )
        .route(
            "/image.png",
            get(|| async { respond(200, "image/png", &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..]) }),
        )
        .route(
            "/latin1",
            get(|| async {
                respond(
                    200,
                    "text/plain; charset=iso-8859-1",
                    &b"Men\xfa del caf\xe9"[..],
                )
            }),
        )
        .route(
            "/missing",
            get(|| async { respond(404, "text/html", "<h1>Not here</h1>") }),
        )
        .route(
            "/broken",
            get(|| async { respond(503, "text/plain", "maintenance") }),
        )
        .route("/old", get(|| async { redirect(301, "/news") }))
        .route("/hop1", get(|| async { redirect(302, "hop2") }))
        .route("/hop2", get(|| async { redirect(307, "/news") }))
        .route("/loop", get(|| async { redirect(302, "/loop") }))
        .route("/nowhere", get(|| async { redirect(302, "http://[::1") }))
        .route(
            "/to-ftp",
            get(|| async { redirect(302, "ftp://127.0.0.1/file") }),
        )
}

#[tokio::test]
async fn a_news_article_becomes_markdown_without_the_page_chrome() {
    let site = site(pages()).await;
    let (_server, client) = common::client(&[]).await;
    let url = site.url("/news");
    let r = call(
        &client,
        "fetch",
        args(&[("url", json!(url)), ("max_length", json!(100_000))]),
    )
    .await
    .unwrap();
    let md = text(&r);
    assert!(!is_error(&r), "{md}");
    assert!(md.starts_with(&format!("Contents of {url}:\n")), "{md}");
    for kept in [
        "City council approves riverside park expansion",
        "The city council voted 7 to 2",
        "## A decade of planning",
        "## What the plan includes",
        "- A wetland area to absorb flood water",
        "> \"This is the single largest addition",
        "| Regional development grant | 8.5 |",
        "The riverside path, which will be extended",
    ] {
        assert!(md.contains(kept), "missing {kept:?} in:\n{md}");
    }
    for dropped in [
        "Accept all cookies",
        "Subscribe for $1",
        "Ten restaurants you must try",
        "Advertisement",
        "All rights reserved",
        "dataLayer",
        "<p>",
    ] {
        assert!(!md.contains(dropped), "kept {dropped:?} in:\n{md}");
    }
}

#[tokio::test]
async fn a_documentation_page_keeps_code_and_tables() {
    let site = site(pages()).await;
    let (_server, client) = common::client(&[]).await;
    let r = call(
        &client,
        "fetch",
        args(&[
            ("url", json!(site.url("/docs"))),
            ("max_length", json!(50_000)),
        ]),
    )
    .await
    .unwrap();
    let md = text(&r);
    assert!(md.contains("Configuring retries"), "{md}");
    assert!(md.contains("```"), "code fence: {md}");
    assert!(
        md.contains("policy = RetryPolicy(attempts=5, base_delay=0.2, max_delay=10.0)"),
        "{md}"
    );
    assert!(
        md.contains("| `attempts` | 3 | Total tries, including the first |"),
        "{md}"
    );
    assert!(md.contains("retry_unsafe=True"), "{md}");
    assert!(
        !md.contains("Search docs") && !md.contains("Built with Sphinx"),
        "{md}"
    );
}

#[tokio::test]
async fn a_page_without_an_article_is_converted_whole() {
    let site = site(pages()).await;
    let (_server, client) = common::client(&[]).await;
    let r = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/listing")))]),
    )
    .await
    .unwrap();
    let md = text(&r);
    assert!(!is_error(&r), "{md}");
    assert!(
        md.contains(&format!(
            "[release-1.0.tar.gz]({})",
            site.url("/files/release-1.0.tar.gz")
        )),
        "{md}"
    );
    assert!(
        md.contains("release-2.0.tar.gz") && !md.contains("track("),
        "{md}"
    );
}

#[tokio::test]
async fn pagination_walks_the_whole_page_and_downloads_it_once() {
    let site = site(pages()).await;
    let (_server, client) = common::client(&[]).await;
    let url = site.url("/news");
    let whole = text(
        &call(
            &client,
            "fetch",
            args(&[("url", json!(url)), ("max_length", json!(999_999))]),
        )
        .await
        .unwrap(),
    );
    let header = format!("Contents of {url}:\n");
    let full = whole.strip_prefix(&header).unwrap().to_owned();
    assert!(full.chars().count() > 1500, "{full}");

    let mut collected = String::new();
    let mut start = 0usize;
    let mut calls = 0;
    loop {
        let page = text(
            &call(
                &client,
                "fetch",
                args(&[
                    ("url", json!(url)),
                    ("max_length", json!(700)),
                    ("start_index", json!(start)),
                ]),
            )
            .await
            .unwrap(),
        );
        calls += 1;
        let body = page.strip_prefix(&header).unwrap();
        match body
            .split_once("\n\n<error>Content truncated. Call the fetch tool with a start_index of ")
        {
            Some((chunk, marker)) => {
                assert_eq!(chunk.chars().count(), 700);
                let next: usize = marker.split(' ').next().unwrap().parse().unwrap();
                assert_eq!(next, start + 700, "the marker names the next start_index");
                collected.push_str(chunk);
                start = next;
            }
            None => {
                collected.push_str(body);
                break;
            }
        }
        assert!(calls < 50);
    }
    assert_eq!(collected, full, "the pages put together are the whole page");
    assert!(calls >= 3);
    assert_eq!(
        site.hits_on("/news").len(),
        1,
        "pages come from the converted-page cache"
    );

    let past = text(
        &call(
            &client,
            "fetch",
            args(&[("url", json!(url)), ("start_index", json!(1_000_000))]),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        past,
        format!("{header}<error>No more content available.</error>")
    );
}

#[tokio::test]
async fn raw_mode_and_non_html_content_are_returned_as_is() {
    let site = site(pages()).await;
    let (_server, client) = common::client(&[]).await;
    let raw = text(
        &call(
            &client,
            "fetch",
            args(&[
                ("url", json!(site.url("/docs"))),
                ("raw", json!(true)),
                ("max_length", json!(200)),
            ]),
        )
        .await
        .unwrap(),
    );
    assert!(
        raw.starts_with("Content type text/html; charset=utf-8 cannot be simplified to markdown, but here is the raw content:\n"),
        "{raw}"
    );
    assert!(raw.contains("<!DOCTYPE html>"), "{raw}");

    let json_page = text(
        &call(
            &client,
            "fetch",
            args(&[("url", json!(site.url("/data.json")))]),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        json_page,
        format!(
            "Content type application/json cannot be simplified to markdown, but here is the raw content:\nContents of {}:\n{{\"items\":[1,2,3],\"ok\":true}}",
            site.url("/data.json")
        )
    );

    let latin1 = text(
        &call(
            &client,
            "fetch",
            args(&[("url", json!(site.url("/latin1")))]),
        )
        .await
        .unwrap(),
    );
    assert!(latin1.ends_with("Menú del café"), "{latin1}");

    let png = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/image.png")))]),
    )
    .await
    .unwrap();
    assert!(is_error(&png));
    assert!(text(&png).contains("binary (image/png"), "{}", text(&png));
}

#[tokio::test]
async fn redirects_are_followed_and_reported() {
    let site = site(pages()).await;
    let (_server, client) = common::client(&[]).await;
    for start in ["/old", "/hop1"] {
        let r = call(&client, "fetch", args(&[("url", json!(site.url(start)))]))
            .await
            .unwrap();
        let t = text(&r);
        assert!(!is_error(&r), "{t}");
        assert!(
            t.starts_with(&format!(
                "Contents of {} (redirected to {}):\n",
                site.url(start),
                site.url("/news")
            )),
            "{t}"
        );
        assert!(t.contains("City council approves"), "{t}");
    }
    let looping = call(&client, "fetch", args(&[("url", json!(site.url("/loop")))]))
        .await
        .unwrap();
    assert!(is_error(&looping));
    assert!(
        text(&looping).contains("too many redirects")
            && text(&looping).contains("NET_MAX_REDIRECTS"),
        "{}",
        text(&looping)
    );
    assert_eq!(
        site.hits_on("/loop").len(),
        11,
        "the first request and 10 redirects"
    );

    let ftp = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/to-ftp")))]),
    )
    .await
    .unwrap();
    assert!(is_error(&ftp));
    assert!(
        text(&ftp).contains("bad redirect") && text(&ftp).contains("scheme ftp"),
        "{}",
        text(&ftp)
    );
    let bad = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/nowhere")))]),
    )
    .await
    .unwrap();
    assert!(
        is_error(&bad) && text(&bad).contains("bad redirect"),
        "{}",
        text(&bad)
    );
}

#[tokio::test]
async fn error_statuses_and_bad_arguments_are_error_results() {
    let site = site(pages()).await;
    let (_server, client) = common::client(&[]).await;
    let missing = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/missing")))]),
    )
    .await
    .unwrap();
    assert!(is_error(&missing));
    assert_eq!(
        text(&missing),
        format!(
            "failed to fetch {}: status 404 Not Found",
            site.url("/missing")
        )
    );
    let broken = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/broken")))]),
    )
    .await
    .unwrap();
    assert!(text(&broken).contains("503 Service Unavailable"));

    for (a, needle) in [
        (
            json!({"url": "example.com"}),
            "invalid url: \"example.com\" is not an absolute URL",
        ),
        (
            json!({"url": "file:///etc/passwd"}),
            "invalid url: scheme file: is not supported",
        ),
        (json!({"url": "   "}), "invalid url: must not be empty"),
        (
            json!({"url": site.url("/news"), "max_length": 0}),
            "invalid max_length: 0 is outside 1..=999999",
        ),
        // Type errors are caught by rmcp's argument decoding, before the tool runs.
        (
            json!({"url": site.url("/news"), "max_length": "10"}),
            "invalid type: string \"10\", expected u64",
        ),
        (
            json!({"url": site.url("/news"), "start_index": -1}),
            "expected u64",
        ),
        (json!({"max_length": 10}), "missing field `url`"),
    ] {
        let r = call(&client, "fetch", a.clone()).await.unwrap();
        assert!(is_error(&r), "{a}");
        assert!(text(&r).contains(needle), "{a}: {}", text(&r));
    }
}

#[tokio::test]
async fn fetch_url_reports_any_status_and_the_start_of_the_body() {
    let site = site(pages()).await;
    let (_server, client) = common::client(&[]).await;
    let r = call(
        &client,
        "fetch_url",
        args(&[("url", json!(site.url("/old"))), ("max_chars", json!(60))]),
    )
    .await
    .unwrap();
    let s = structured(&r);
    assert_eq!(s["status"], 200);
    assert_eq!(s["status_text"], "200 OK");
    assert_eq!(s["final_url"], site.url("/news"));
    assert_eq!(s["content"].as_str().unwrap().chars().count(), 60);
    assert!(
        s["content"]
            .as_str()
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    assert_eq!(s["truncated"], true);
    assert_eq!(s["body_truncated"], false);
    assert_eq!(
        s["total_chars"].as_u64().unwrap() as usize,
        NEWS_ARTICLE.chars().count()
    );

    let missing = call(
        &client,
        "fetch_url",
        args(&[("url", json!(site.url("/missing")))]),
    )
    .await
    .unwrap();
    let s = structured(&missing);
    assert_eq!(
        (s["status"].as_u64(), s["content"].as_str()),
        (Some(404), Some("<h1>Not here</h1>"))
    );
    assert_eq!(s["truncated"], false);

    let bad = call(
        &client,
        "fetch_url",
        args(&[("url", json!(site.url("/news"))), ("max_chars", json!(0))]),
    )
    .await
    .unwrap();
    assert!(
        is_error(&bad) && text(&bad).starts_with("invalid max_chars"),
        "{}",
        text(&bad)
    );
}
