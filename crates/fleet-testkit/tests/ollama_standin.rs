//! The `ollama-standin` binary speaks Ollama's documented shapes: tags, embed (batch, unknown
//! model), chat (streaming NDJSON by default, one object with `stream: false`), and its delays.

#![allow(clippy::unwrap_used)]

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::Command,
};

async fn start(extra: &[&str]) -> (tokio::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ollama-standin"))
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = line.strip_prefix("listening on ").unwrap().to_owned();
    (child, url)
}

#[tokio::test]
async fn speaks_the_documented_api() {
    let (_child, url) = start(&["--dimension", "16"]).await;
    let http = fleet_testkit::http();
    let tags: Value = http
        .get(format!("{url}/api/tags"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = tags["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"nomic-embed-text:latest"), "{names:?}");

    let r: Value = http
        .post(format!("{url}/api/embed"))
        .json(&json!({"model": "nomic-embed-text", "input": ["alpha beta", "alpha beta", "gamma"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = r["embeddings"].as_array().unwrap();
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].as_array().unwrap().len(), 16);
    assert_eq!(e[0], e[1], "deterministic");
    assert_ne!(e[0], e[2]);

    let missing = http
        .post(format!("{url}/api/embed"))
        .json(&json!({"model": "nope", "input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(
        body["error"],
        "model \"nope\" not found, try pulling it first"
    );

    let chat: Value = http
        .post(format!("{url}/api/chat"))
        .json(&json!({"model": "qwen2:7b", "stream": false,
            "messages": [{"role": "user", "content": "Context:\n[1] a.md (lines 1-2)\nThe sky is green. Other.\n\nQuestion: sky?"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(chat["done"], true);
    assert_eq!(chat["message"]["role"], "assistant");
    assert!(
        chat["message"]["content"]
            .as_str()
            .unwrap()
            .starts_with("According to [1], The sky is green."),
        "{chat}"
    );

    // Without "stream": false Ollama streams NDJSON; so does the stand-in.
    let text = http
        .post(format!("{url}/api/chat"))
        .json(&json!({"model": "qwen2:7b", "messages": [{"role": "user", "content": "hi there"}]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 2);
    assert_eq!(lines.last().unwrap()["done"], true);
    assert!(lines[..lines.len() - 1].iter().all(|l| l["done"] == false));
}

#[tokio::test]
async fn delays_slow_down_one_endpoint() {
    let (_child, url) = start(&["--chat-delay-ms", "1500"]).await;
    let http = fleet_testkit::http();
    let r = http
        .post(format!("{url}/api/chat"))
        .timeout(Duration::from_millis(300))
        .json(&json!({"model": "qwen2:7b", "stream": false, "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await;
    assert!(r.unwrap_err().is_timeout());
    // Tags are not delayed.
    let tags = http
        .get(format!("{url}/api/tags"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert!(tags.status().is_success());
    // The admin endpoint changes delays at run time.
    let set = http
        .post(format!("{url}/_standin/delays"))
        .json(&json!({"tags_ms": 1500}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    let slow = http
        .get(format!("{url}/api/tags"))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(slow.unwrap_err().is_timeout());
}

#[tokio::test]
async fn healthcheck_reads_port_from_the_environment() {
    let (_child, url) = start(&[]).await;
    let port = url.rsplit(':').next().unwrap().to_owned();
    let ok = Command::new(env!("CARGO_BIN_EXE_ollama-standin"))
        .arg("healthcheck")
        .env("PORT", &port)
        .status()
        .await
        .unwrap();
    assert!(ok.success());
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = Command::new(env!("CARGO_BIN_EXE_ollama-standin"))
        .arg("healthcheck")
        .env("PORT", free.to_string())
        .status()
        .await
        .unwrap();
    assert!(!down.success());
}
