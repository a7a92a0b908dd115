//! robots.txt through the real binary: honoured for autonomous fetches per origin and per hop
//! (including a disallow that appears only after a redirect), cached, with the user-agent split
//! between the tools (Autonomous) and the `fetch` prompt (User-Specified), and the overrides.

#![allow(clippy::unwrap_used)]

mod common;

use axum::{Router, routing::get};
use common::{Site, html, redirect, respond, site};
use fleet_testkit::{args, call, is_error, structured, text};
use rmcp::model::GetPromptRequestParams;
use serde_json::json;

/// A site whose robots.txt is `robots` (served with `status`), with `/public`, `/private/page`
/// and `/go/<n>` redirecting to `target`.
async fn robots_site(status: u16, robots: &'static str, target: Option<String>) -> Site {
    let target = target.unwrap_or_else(|| "/public".to_owned());
    site(
        Router::new()
            .route(
                "/robots.txt",
                get(move || async move { respond(status, "text/plain", robots) }),
            )
            .route(
                "/public",
                get(|| async { html("<html><body><p>public words</p></body></html>") }),
            )
            .route(
                "/private/page",
                get(|| async { html("<p>private words</p>") }),
            )
            .route("/secret", get(|| async { html("<p>secret words</p>") }))
            .route(
                "/go",
                get(move || {
                    let t = target.clone();
                    async move { redirect(302, &t) }
                }),
            ),
    )
    .await
}

const DISALLOW_PRIVATE: &str = "# rules\nUser-agent: *\nDisallow: /private\n";

#[tokio::test]
async fn a_disallowed_path_is_refused_and_robots_txt_is_fetched_once() {
    let site = robots_site(200, DISALLOW_PRIVATE, None).await;
    let (_server, client) = common::client(&[]).await;
    let refused = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/private/page")))]),
    )
    .await
    .unwrap();
    let t = text(&refused);
    assert!(is_error(&refused), "{t}");
    assert!(
        t.starts_with(&format!(
            "the site's robots.txt ({}) does not allow autonomous fetching of {}",
            site.url("/robots.txt"),
            site.url("/private/page")
        )),
        "{t}"
    );
    assert!(
        t.contains("Disallow: /private") && t.contains("`fetch` prompt"),
        "{t}"
    );
    assert!(
        site.hits_on("/private").is_empty(),
        "the page was never requested"
    );
    for _ in 0..3 {
        let ok = call(
            &client,
            "fetch",
            args(&[("url", json!(site.url("/public")))]),
        )
        .await
        .unwrap();
        assert!(text(&ok).contains("public words"), "{}", text(&ok));
    }
    let fu = call(
        &client,
        "fetch_url",
        args(&[("url", json!(site.url("/private/page")))]),
    )
    .await
    .unwrap();
    assert!(
        is_error(&fu) && text(&fu).contains("robots.txt"),
        "fetch_url honours robots.txt too"
    );
    assert_eq!(
        site.hits_on("/robots.txt").len(),
        1,
        "robots.txt is cached per origin"
    );
    let robots_hit = &site.hits_on("/robots.txt")[0];
    assert!(
        robots_hit.user_agent.contains("(Autonomous;"),
        "{}",
        robots_hit.user_agent
    );
}

#[tokio::test]
async fn a_disallow_that_appears_only_after_a_redirect_is_honoured() {
    // Site B forbids /secret to our agent; site A allows everything and redirects there.
    let b = robots_site(
        200,
        "User-agent: SanctuaryNetwork\nDisallow: /secret\n\nUser-agent: *\nAllow: /\n",
        None,
    )
    .await;
    let a = robots_site(404, "", Some(b.url("/secret"))).await;
    let (_server, client) = common::client(&[]).await;
    let r = call(&client, "fetch", args(&[("url", json!(a.url("/go")))]))
        .await
        .unwrap();
    let t = text(&r);
    assert!(is_error(&r), "{t}");
    assert!(
        t.contains(&format!("robots.txt ({})", b.url("/robots.txt")))
            && t.contains(&b.url("/secret"))
            && t.contains("(reached through redirect 1)"),
        "{t}"
    );
    assert_eq!(
        a.hits_on("/robots.txt").len(),
        1,
        "the first origin's robots.txt was read"
    );
    assert_eq!(
        b.hits_on("/robots.txt").len(),
        1,
        "the hop's own origin's robots.txt was read"
    );
    assert!(
        b.hits_on("/secret").is_empty(),
        "the disallowed hop was never requested"
    );
}

#[tokio::test]
async fn robots_txt_answers_follow_rfc_9309_and_the_peer() {
    let (_server, client) = common::client(&[]).await;
    for (status, allowed, needle) in [
        (404, true, ""),
        (410, true, ""),
        (
            401,
            false,
            "robots.txt answered 401 Unauthorized, so autonomous fetching is assumed not to be allowed",
        ),
        (403, false, "robots.txt answered 403 Forbidden"),
        (
            500,
            false,
            "robots.txt answered 500 Internal Server Error; while the server errs",
        ),
        (503, false, "503 Service Unavailable"),
    ] {
        let site = robots_site(status, "User-agent: *\nDisallow: /\n", None).await;
        let r = call(
            &client,
            "fetch",
            args(&[("url", json!(site.url("/public")))]),
        )
        .await
        .unwrap();
        assert_eq!(!is_error(&r), allowed, "robots.txt {status}: {}", text(&r));
        assert!(text(&r).contains(needle), "{status}: {}", text(&r));
    }
    // robots.txt that redirects is followed to its new place.
    let moved = site(
        Router::new()
            .route(
                "/robots.txt",
                get(|| async { redirect(301, "/meta/robots.txt") }),
            )
            .route(
                "/meta/robots.txt",
                get(|| async { respond(200, "text/plain", "User-agent: *\nDisallow: /private\n") }),
            )
            .route("/private/page", get(|| async { html("<p>x</p>") })),
    )
    .await;
    let r = call(
        &client,
        "fetch",
        args(&[("url", json!(moved.url("/private/page")))]),
    )
    .await
    .unwrap();
    assert!(
        is_error(&r) && text(&r).contains("Disallow: /private"),
        "{}",
        text(&r)
    );
    // An unreachable origin is refused with the reason, not fetched.
    let gone = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = call(
        &client,
        "fetch",
        args(&[("url", json!(format!("http://{gone}/page")))]),
    )
    .await
    .unwrap();
    assert!(
        is_error(&r) && text(&r).contains("robots.txt could not be read (cannot reach"),
        "{}",
        text(&r)
    );
}

#[tokio::test]
async fn our_own_group_and_a_custom_user_agent_are_matched() {
    let rules = "User-agent: SanctuaryNetwork\nDisallow: /\n\nUser-agent: AcmeBot\nDisallow: /private\n\nUser-agent: *\nAllow: /\n";
    let site = robots_site(200, rules, None).await;
    let (_server, client) = common::client(&[]).await;
    let r = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/public")))]),
    )
    .await
    .unwrap();
    assert!(
        is_error(&r),
        "our product token's group applies: {}",
        text(&r)
    );

    let (_custom, acme) =
        common::client(&[("NET_USER_AGENT", "AcmeBot/2.0 (+https://acme.example/bot)")]).await;
    let ok = call(&acme, "fetch", args(&[("url", json!(site.url("/public")))]))
        .await
        .unwrap();
    assert!(!is_error(&ok), "{}", text(&ok));
    assert_eq!(
        site.hits_on("/public").last().unwrap().user_agent,
        "AcmeBot/2.0 (+https://acme.example/bot)"
    );
    let no = call(
        &acme,
        "fetch",
        args(&[("url", json!(site.url("/private/page")))]),
    )
    .await
    .unwrap();
    assert!(is_error(&no), "{}", text(&no));
}

#[tokio::test]
async fn the_override_and_the_api_client_skip_robots_txt() {
    let site = robots_site(200, "User-agent: *\nDisallow: /\n", None).await;
    let (_server, client) = common::client(&[("NET_IGNORE_ROBOTS_TXT", "1")]).await;
    let r = call(
        &client,
        "fetch",
        args(&[("url", json!(site.url("/private/page")))]),
    )
    .await
    .unwrap();
    assert!(text(&r).contains("private words"), "{}", text(&r));
    let (_strict, strict) = common::client(&[]).await;
    let api = call(
        &strict,
        "http_request",
        args(&[("url", json!(site.url("/private/page")))]),
    )
    .await
    .unwrap();
    assert_eq!(structured(&api)["status"], 200);
    assert!(
        site.hits_on("/robots.txt").is_empty(),
        "neither consulted robots.txt"
    );
}

#[tokio::test]
async fn the_fetch_prompt_acts_for_the_user() {
    let site = robots_site(200, "User-agent: *\nDisallow: /\n", None).await;
    let (_server, client) = common::client(&[]).await;
    let prompts = client.peer().list_all_prompts().await.unwrap();
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].name, "fetch");
    let arg = &prompts[0].arguments.as_ref().unwrap()[0];
    assert_eq!((arg.name.as_str(), arg.required), ("url", Some(true)));

    let mut params = GetPromptRequestParams::new("fetch");
    params.arguments = Some(
        json!({"url": site.url("/private/page")})
            .as_object()
            .unwrap()
            .clone(),
    );
    let got = client.peer().get_prompt(params).await.unwrap();
    let msg = serde_json::to_value(&got.messages[0]).unwrap();
    assert_eq!(msg["role"], "user");
    let body = msg["content"]["text"].as_str().unwrap();
    assert!(
        body.contains("private words"),
        "robots.txt is not consulted for the user: {body}"
    );
    assert_eq!(
        got.description.as_deref(),
        Some(format!("Contents of {}", site.url("/private/page")).as_str())
    );
    let hit = site.hits_on("/private/page").pop().unwrap();
    assert!(
        hit.user_agent.contains("(User-Specified;"),
        "{}",
        hit.user_agent
    );
    assert!(site.hits_on("/robots.txt").is_empty());

    // A failure becomes the prompt's text; the SSRF guard still applies to the user's fetches.
    let mut params = GetPromptRequestParams::new("fetch");
    params.arguments = Some(
        json!({"url": "http://169.254.169.254/latest/"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let got = client.peer().get_prompt(params).await.unwrap();
    let msg = serde_json::to_value(&got.messages[0]).unwrap();
    assert!(
        msg["content"]["text"]
            .as_str()
            .unwrap()
            .starts_with("refused http://169.254.169.254/latest/"),
        "{msg}"
    );

    let missing = client
        .peer()
        .get_prompt(GetPromptRequestParams::new("fetch"))
        .await;
    assert!(
        missing.is_err(),
        "a prompt call without its url is a protocol error"
    );
}
