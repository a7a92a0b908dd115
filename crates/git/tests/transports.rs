//! One tool definition served three ways: the same 24 tools, schemas and answers over Streamable
//! HTTP, legacy SSE and stdio, each through a real MCP client; and the tool contract itself
//! (descriptions, annotations, output schemas, mcp-server-git's parameter names).

#![allow(clippy::unwrap_used)]

mod common;

use common::{Fixture, TOOLS, a, ok};
use fleet_testkit::{Client, http_client, sse_client, stdio_client, text, tool_names};
use serde_json::json;

async fn exercise(client: &Client, fx: &Fixture) {
    let names = tool_names(client).await.unwrap();
    assert_eq!(names, TOOLS);
    let s = ok(client, "git_get_status", json!({})).await;
    assert_eq!(s["branch"], "main");
    assert_eq!(s["clean"], true);
    assert_eq!(s["upstream"], "origin/main");
    let r = common::run(client, "git_status", a(&[("repo_path", json!(fx.work))])).await;
    let t = text(&r);
    assert!(t.starts_with("Repository status:\nOn branch main\n"), "{t}");
    assert!(t.contains("nothing to commit, working tree clean"), "{t}");
}

#[tokio::test]
async fn streamable_http_serves_every_tool() {
    let fx = Fixture::new();
    let server = fx.start(&[]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    let info = client.peer_info().unwrap();
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("sanctuary-git")
    );
    exercise(&client, &fx).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn legacy_sse_serves_every_tool() {
    let fx = Fixture::new();
    let server = fx.start(&[]).await;
    let client = sse_client(&server.url("/sse")).await.unwrap();
    exercise(&client, &fx).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn stdio_serves_every_tool_and_keeps_stdout_clean() {
    let fx = Fixture::new();
    let mut env: Vec<(String, String)> = fx.env();
    env.push(("RUST_LOG".into(), "info".into()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let client = stdio_client(common::BIN, &pairs).await.unwrap();
    exercise(&client, &fx).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_has_a_description_annotations_and_an_output_schema() {
    let fx = Fixture::new();
    let (_server, client) = fx.connect().await;
    let tools = client.peer().list_all_tools().await.unwrap();
    for t in &tools {
        let d = t.description.as_deref().unwrap_or("");
        assert!(
            d.len() > 40 && d.contains("Example"),
            "{}: weak description {d:?}",
            t.name
        );
        let ann = t
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no annotations", t.name));
        assert!(
            ann.read_only_hint.is_some()
                && ann.destructive_hint.is_some()
                && ann.idempotent_hint.is_some()
                && ann.open_world_hint.is_some(),
            "{}: incomplete annotations {ann:?}",
            t.name
        );
        let out = t
            .output_schema
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no output schema", t.name));
        assert_eq!(
            out.get("type").and_then(|v| v.as_str()),
            Some("object"),
            "{}",
            t.name
        );
    }
    let by_name = |n: &str| tools.iter().find(|t| t.name == n).unwrap();
    // Read-only tools say so; the ones that change things do not.
    for n in [
        "git_status",
        "git_get_status",
        "git_diff",
        "git_log",
        "git_show",
        "git_branch",
        "git_blame",
    ] {
        assert_eq!(
            by_name(n).annotations.as_ref().unwrap().read_only_hint,
            Some(true),
            "{n}"
        );
    }
    for n in [
        "git_add",
        "git_commit",
        "git_smart_commit",
        "git_push_feature",
        "git_finish_feature",
        "git_reset",
    ] {
        assert_eq!(
            by_name(n).annotations.as_ref().unwrap().read_only_hint,
            Some(false),
            "{n}"
        );
    }
    assert_eq!(
        by_name("git_push_feature")
            .annotations
            .as_ref()
            .unwrap()
            .open_world_hint,
        Some(true)
    );
    assert_eq!(
        by_name("git_reset")
            .annotations
            .as_ref()
            .unwrap()
            .destructive_hint,
        Some(true)
    );
}

#[tokio::test]
async fn mcp_server_git_parameter_names_are_kept() {
    let fx = Fixture::new();
    let (_server, client) = fx.connect().await;
    let tools = client.peer().list_all_tools().await.unwrap();
    let props = |n: &str| -> Vec<String> {
        let t = tools.iter().find(|t| t.name == n).unwrap();
        let mut v: Vec<String> = t.input_schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    };
    let has = |n: &str, want: &[&str]| {
        let p = props(n);
        for w in want {
            assert!(p.iter().any(|x| x == w), "{n} lacks {w}: {p:?}");
        }
    };
    // mcp-server-git's 12 tools and their parameters.
    has("git_status", &["repo_path"]);
    has("git_diff_unstaged", &["repo_path", "context_lines"]);
    has("git_diff_staged", &["repo_path", "context_lines"]);
    has("git_diff", &["repo_path", "target", "context_lines"]);
    has("git_commit", &["repo_path", "message"]);
    has("git_add", &["repo_path", "files"]);
    has("git_reset", &["repo_path"]);
    has(
        "git_log",
        &["repo_path", "max_count", "start_timestamp", "end_timestamp"],
    );
    has(
        "git_create_branch",
        &["repo_path", "branch_name", "base_branch"],
    );
    has("git_checkout", &["repo_path", "branch_name"]);
    has("git_show", &["repo_path", "revision"]);
    has(
        "git_branch",
        &["repo_path", "branch_type", "contains", "not_contains"],
    );
    // The original fleet's parameters on the shared tools.
    has("git_diff", &["cached", "file_path"]);
    has("git_log", &["oneline"]);
    has("git_start_feature", &["task_id", "description"]);
    has("git_finish_feature", &["branch_name"]);
    has("git_push_feature", &["force"]);
    // No tool lets a request choose the author or credentials.
    for t in &tools {
        for p in props(&t.name) {
            assert!(
                !["author", "email", "token", "password", "committer"]
                    .iter()
                    .any(|x| p.contains(x)),
                "{} takes {p}",
                t.name
            );
        }
    }
}

#[tokio::test]
async fn gateway_style_hyphenated_names_reach_the_tool() {
    let fx = Fixture::new();
    let (_server, client) = fx.connect().await;
    let s = ok(&client, "git-get-status", json!({})).await;
    assert_eq!(s["branch"], "main");
}

#[test]
fn bad_configuration_exits_78_naming_every_variable() {
    let out = std::process::Command::new(common::BIN)
        .env("GIT_BASE_DIRS", "/definitely/not/here")
        .env("GIT_MAIN_BRANCH", "-main")
        .env("GIT_NETWORK_TIMEOUT", "soon")
        .env_remove("PORT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    for var in ["GIT_BASE_DIRS", "GIT_MAIN_BRANCH", "GIT_NETWORK_TIMEOUT"] {
        assert!(err.contains(var), "{var} not named in: {err}");
    }
    let help = std::process::Command::new(common::BIN)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("GIT_BASE_DIRS") && help.contains("GIT_TOKEN"),
        "{help}"
    );
}
