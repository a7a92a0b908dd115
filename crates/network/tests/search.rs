//! `web_search` through the real binary against loopback servers speaking the Brave Search
//! API's documented response shape and SearXNG's JSON API: results, `count`, a working
//! `offset`, the key sent only as a header, API errors, and the unconfigured case.

#![allow(clippy::unwrap_used)]

mod common;

use axum::{Router, extract::Query, http::HeaderMap, response::Response, routing::get};
use common::{respond, site};
use fleet_testkit::{args, call, is_error, structured, text};
use serde_json::json;
use std::collections::HashMap;

/// Brave's `GET /res/v1/web/search`: checks the token, answers `count` results starting at
/// `offset * count` in the documented `WebSearchApiResponse` shape.
async fn brave(Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    match headers
        .get("x-subscription-token")
        .and_then(|v| v.to_str().ok())
    {
        Some("test-key") => {}
        Some("busy-key") => {
            return respond(
                429,
                "application/json",
                json!({"type": "ErrorResponse", "error": {"id": "1", "status": 429, "code": "RATE_LIMITED", "detail": "Request rate limit exceeded for plan."}}).to_string(),
            );
        }
        _ => {
            return respond(
                422,
                "application/json",
                json!({"type": "ErrorResponse", "error": {"id": "2", "status": 422, "code": "SUBSCRIPTION_TOKEN_INVALID", "detail": "The provided subscription token is invalid."}}).to_string(),
            );
        }
    }
    let count: usize = q["count"].parse().unwrap();
    let offset: usize = q["offset"].parse().unwrap();
    let results: Vec<_> = (0..count)
        .map(|i| {
            let n = offset * count + i + 1;
            json!({
                "type": "search_result",
                "title": format!("Result {n} for {}", q["q"]),
                "url": format!("https://example.org/{n}"),
                "description": format!("The <strong>{n}th</strong> result &amp; more"),
                "age": "2 days ago",
                "language": "en",
                "family_friendly": true,
                "profile": {"name": "Example", "url": "https://example.org", "long_name": "example.org", "img": ""},
                "meta_url": {"scheme": "https", "netloc": "example.org", "hostname": "example.org", "favicon": "", "path": format!("› {n}")}
            })
        })
        .collect();
    let body = json!({
        "type": "search",
        "query": {"original": q["q"], "show_strict_warning": false, "is_navigational": false, "is_news_breaking": false,
                  "spellcheck_off": true, "country": "us", "bad_results": false, "should_fallback": false,
                  "postal_code": "", "city": "", "header_country": "", "more_results_available": offset < 9, "state": ""},
        "mixed": {"type": "mixed", "main": [{"type": "web", "index": 0, "all": false}], "top": [], "side": []},
        "web": {"type": "search", "results": results, "family_friendly": true}
    });
    respond(200, "application/json", body.to_string())
}

/// SearXNG's `GET /search?format=json`.
async fn searxng(Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("format").map(String::as_str) != Some("json") {
        return respond(403, "text/html", "Forbidden");
    }
    let page: usize = q["pageno"].parse().unwrap();
    let results: Vec<_> = (0..10)
        .map(|i| json!({"url": format!("https://searx.example/{page}/{i}"), "title": format!("Page {page} hit {i}"), "content": "snippet", "engine": "duckduckgo", "score": 1.0}))
        .collect();
    respond(200, "application/json", json!({"query": q["q"], "number_of_results": 0, "results": results, "answers": [], "suggestions": []}).to_string())
}

fn search_app() -> Router {
    Router::new()
        .route("/res/v1/web/search", get(brave))
        .route("/searx/search", get(searxng))
        .route("/page", get(|| async { common::html("<p>private</p>") }))
}

#[tokio::test]
async fn brave_results_with_count_and_a_working_offset() {
    let site = site(search_app()).await;
    // No NET_ALLOW: the configured endpoint is trusted for search only.
    let (server, client) = common::client(&[
        ("NET_ALLOW", ""),
        ("BRAVE_API_KEY", "test-key"),
        ("NET_BRAVE_API_URL", &site.url("/res/v1/web/search")),
        ("NET_HOST_RATE_LIMIT", "off"),
    ])
    .await;
    let r = call(
        &client,
        "web_search",
        args(&[("query", json!("rust mcp")), ("count", json!(5))]),
    )
    .await
    .unwrap();
    let s = structured(&r);
    assert_eq!(
        (
            s["backend"].as_str(),
            s["query"].as_str(),
            s["offset"].as_u64()
        ),
        (Some("brave"), Some("rust mcp"), Some(0))
    );
    let results = s["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(
        results[0],
        json!({"title": "Result 1 for rust mcp", "url": "https://example.org/1", "description": "The 1th result & more", "age": "2 days ago"})
    );
    assert_eq!(s["more_results_available"], true);

    let page2 = structured(
        &call(
            &client,
            "web_search",
            json!({"query": "rust mcp", "count": 5, "offset": 1}),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        page2["results"][0]["url"], "https://example.org/6",
        "offset skips the first page"
    );
    let last = structured(
        &call(
            &client,
            "web_search",
            json!({"query": "rust mcp", "offset": 9}),
        )
        .await
        .unwrap(),
    );
    assert_eq!(last["results"].as_array().unwrap().len(), 10);
    assert_eq!(last["more_results_available"], false);

    let hits = site.hits_on("/res/v1/web/search");
    assert_eq!(hits.len(), 3);
    assert!(
        hits[1].path.contains("offset=1")
            && hits[1].path.contains("count=5")
            && hits[1].path.contains("q=rust+mcp"),
        "{}",
        hits[1].path
    );
    assert!(
        !hits[0].path.contains("test-key"),
        "the key travels as a header only"
    );
    assert_eq!(hits[0].headers["x-subscription-token"], "test-key");
    assert_eq!(hits[0].headers["accept"], "application/json");

    // The trust covers the search endpoint, not the host for other tools.
    let other = call(&client, "fetch", args(&[("url", json!(site.url("/page")))]))
        .await
        .unwrap();
    assert!(
        is_error(&other) && text(&other).starts_with("refused"),
        "{}",
        text(&other)
    );
    assert!(!server.log_text().contains("test-key"));
    let (_, ready) = server.get_json("/ready").await.unwrap();
    assert_eq!(ready["dependencies"][0]["name"], "web_search");
    assert_eq!(ready["dependencies"][0]["ok"], true);
}

#[tokio::test]
async fn brave_errors_are_explained_without_echoing_the_key() {
    let site = site(search_app()).await;
    let url = site.url("/res/v1/web/search");
    let (_s1, bad_key) =
        common::client(&[("BRAVE_API_KEY", "wrong-key"), ("NET_BRAVE_API_URL", &url)]).await;
    let r = call(&bad_key, "web_search", args(&[("query", json!("x"))]))
        .await
        .unwrap();
    assert!(is_error(&r));
    assert!(
        text(&r).starts_with("brave search failed: the API refused the subscription token (BRAVE_API_KEY): 422 Unprocessable Entity (SUBSCRIPTION_TOKEN_INVALID"),
        "{}",
        text(&r)
    );
    assert!(!text(&r).contains("wrong-key"));
    let (_s2, busy) =
        common::client(&[("BRAVE_API_KEY", "busy-key"), ("NET_BRAVE_API_URL", &url)]).await;
    let r = call(&busy, "web_search", args(&[("query", json!("x"))]))
        .await
        .unwrap();
    assert!(
        text(&r).contains("rate limit for this key was reached (429)"),
        "{}",
        text(&r)
    );
}

#[tokio::test]
async fn searxng_is_a_configuration_away() {
    let site = site(search_app()).await;
    let (_server, client) =
        common::client(&[("NET_ALLOW", ""), ("NET_SEARXNG_URL", &site.url("/searx"))]).await;
    let s = structured(
        &call(
            &client,
            "web_search",
            json!({"query": "fleet", "count": 3, "offset": 2}),
        )
        .await
        .unwrap(),
    );
    assert_eq!(s["backend"], "searxng");
    let results = s["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0]["url"], "https://searx.example/3/0",
        "offset 2 is page 3"
    );
    assert!(s.get("more_results_available").is_none());
    assert!(
        site.hits_on("/searx/search")[0]
            .path
            .contains("format=json")
    );
}

#[tokio::test]
async fn without_a_backend_the_tool_says_how_to_configure_one() {
    let (server, client) = common::client(&[]).await;
    let r = call(&client, "web_search", args(&[("query", json!("anything"))]))
        .await
        .unwrap();
    assert!(is_error(&r));
    assert_eq!(
        text(&r),
        "web search is not configured on this server: set BRAVE_API_KEY (Brave Search API) or NET_SEARXNG_URL (a SearXNG instance)"
    );
    let (code, ready) = server.get_json("/ready").await.unwrap();
    assert_eq!(code, 200, "search is optional: {ready}");
    assert_eq!(ready["dependencies"][0]["ok"], false);
    for (a, needle) in [
        (json!({"query": ""}), "invalid query: must not be empty"),
        (
            json!({"query": "x", "count": 21}),
            "invalid count: 21 is outside 1..=20",
        ),
        (
            json!({"query": "x", "offset": 10}),
            "invalid offset: 10 is outside 0..=9",
        ),
        (json!({"query": "w ".repeat(51)}), "invalid query: 51 words"),
    ] {
        let r = call(&client, "web_search", a.clone()).await.unwrap();
        assert!(
            is_error(&r) && text(&r).contains(needle),
            "{a}: {}",
            text(&r)
        );
    }
}
