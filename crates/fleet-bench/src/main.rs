//! `fleet-bench`: speed and memory of a cluster binary, and of the same calls through ContextForge.
//!
//! ```text
//! fleet-bench cluster --bin target/release/sanctuary-utils --tool calculator_add --args '{"a":1,"b":2}'
//! fleet-bench gateway --url http://127.0.0.1:4444 --token $T --tool sanctuary-utils-calculator-add --args '{"a":1,"b":2}'
//! ```
//!
//! `cluster` starts the binary itself (release build recommended) and measures: start-to-healthy
//! (spawn until `/health` answers 200, median of 5 starts), idle RSS, tool-call latency on an open
//! Streamable HTTP session and with a fresh session per call (initialize, initialized, call,
//! DELETE), the same over legacy SSE, calls/s with 32 concurrent sessions, and peak RSS after the
//! load. The client is raw JSON-RPC over one keep-alive HTTP connection per session, so the
//! numbers are the server's, not an SDK's. `gateway` times `POST /rpc` tool calls and `ping`.
//! Output is Markdown table rows; `--json` prints one JSON object instead.

// The report is the program's output.
#![allow(clippy::print_stdout)]

use std::{
    collections::HashMap,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

struct Args {
    map: HashMap<String, String>,
}

impl Args {
    fn parse() -> (String, Self) {
        let mut it = std::env::args().skip(1);
        let cmd = it.next().unwrap_or_default();
        let mut map = HashMap::new();
        while let Some(k) = it.next() {
            if let Some(k) = k.strip_prefix("--") {
                let v = if k == "json" {
                    "1".to_owned()
                } else {
                    it.next().unwrap_or_default()
                };
                map.insert(k.to_owned(), v);
            }
        }
        (cmd, Self { map })
    }
    fn get(&self, k: &str, default: &str) -> String {
        self.map
            .get(k)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }
    fn num(&self, k: &str, default: usize) -> usize {
        self.map
            .get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }
}

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Summary {
    n: usize,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |p: f64| {
        let i = ((p / 100.0) * samples.len() as f64).ceil() as usize;
        ms(samples[i.clamp(1, samples.len()) - 1])
    };
    Summary {
        n: samples.len(),
        p50: pick(50.0),
        p90: pick(90.0),
        p99: pick(99.0),
        max: samples.last().map_or(0.0, |d| ms(*d)),
    }
}

fn summary_json(s: Summary) -> Value {
    json!({"n": s.n, "p50_ms": round3(s.p50), "p90_ms": round3(s.p90), "p99_ms": round3(s.p99), "max_ms": round3(s.max)})
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn client() -> reqwest::Client {
    fleet_core::install_crypto_provider();
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_default()
}

/// The JSON-RPC message in a Streamable HTTP reply body (JSON or SSE-framed).
fn reply(body: &str) -> anyhow::Result<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return Ok(v);
    }
    for line in body.lines() {
        if let Some(data) = line.strip_prefix("data:") {
            let data = data.trim();
            if let Ok(v) = serde_json::from_str::<Value>(data)
                && (v.get("result").is_some() || v.get("error").is_some())
            {
                return Ok(v);
            }
        }
    }
    bail!("no JSON-RPC reply in {body:?}")
}

/// A raw Streamable HTTP session.
struct Session {
    http: reqwest::Client,
    url: String,
    id: String,
    next: u64,
}

impl Session {
    async fn open(http: &reqwest::Client, url: &str) -> anyhow::Result<Self> {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fleet-bench", "version": "0"}}});
        let r = http
            .post(url)
            .header("Accept", "application/json, text/event-stream")
            .json(&init)
            .send()
            .await?;
        let id = r
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .context("no session id")?
            .to_owned();
        reply(&r.text().await?)?;
        let s = Self {
            http: http.clone(),
            url: url.to_owned(),
            id,
            next: 1,
        };
        s.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(s)
    }

    async fn post(&self, body: &Value) -> anyhow::Result<String> {
        let r = self
            .http
            .post(&self.url)
            .header("Accept", "application/json, text/event-stream")
            .header("Mcp-Session-Id", &self.id)
            .header("MCP-Protocol-Version", "2025-11-25")
            .json(body)
            .send()
            .await?;
        let status = r.status();
        let text = r.text().await?;
        if !status.is_success() {
            bail!("HTTP {status}: {text}");
        }
        Ok(text)
    }

    async fn call(&mut self, tool: &str, args: &Value) -> anyhow::Result<Value> {
        self.next += 1;
        let body = json!({"jsonrpc": "2.0", "id": self.next, "method": "tools/call", "params": {"name": tool, "arguments": args}});
        let v = reply(&self.post(&body).await?)?;
        if v.get("error").is_some() || v["result"]["isError"] == true {
            bail!("tool call failed: {v}");
        }
        Ok(v)
    }

    async fn close(self) -> anyhow::Result<()> {
        self.http
            .delete(&self.url)
            .header("Mcp-Session-Id", &self.id)
            .send()
            .await?;
        Ok(())
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

async fn spawn(
    bin: &str,
    port: u16,
    env: &[(String, String)],
) -> anyhow::Result<(Child, Duration)> {
    let http = client();
    let health = format!("http://127.0.0.1:{port}/health");
    let started = Instant::now();
    let mut cmd = Command::new(bin);
    cmd.env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("FLEET_CONTAINER", "0")
        .env("RUST_LOG", "warn")
        .env_remove("MCP_GATEWAY_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().with_context(|| format!("spawning {bin}"))?;
    loop {
        if let Ok(r) = http.get(&health).send().await
            && r.status().is_success()
        {
            return Ok((child, started.elapsed()));
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("{bin} not healthy after 20 s");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn sse_latency(
    http: &reqwest::Client,
    base: &str,
    tool: &str,
    args: &Value,
    n: usize,
) -> anyhow::Result<Summary> {
    let resp = http
        .get(format!("{base}/sse"))
        .header("Accept", "text/event-stream")
        .send()
        .await?;
    let mut events = sse_stream::SseStream::from_bytes_stream(resp.bytes_stream());
    let endpoint = loop {
        let ev = events.next().await.context("sse closed")??;
        if ev.event.as_deref() == Some("endpoint") {
            break ev.data.unwrap_or_default();
        }
    };
    let post_url = format!("{base}{endpoint}");
    let next_reply = async |events: &mut sse_stream::SseStream<_>| -> anyhow::Result<Value> {
        loop {
            let ev = events.next().await.context("sse closed")??;
            if let Some(d) = ev.data
                && let Ok(v) = serde_json::from_str::<Value>(&d)
            {
                return Ok(v);
            }
        }
    };
    let send = |body: Value| {
        let http = http.clone();
        let url = post_url.clone();
        async move { http.post(url).json(&body).send().await }
    };
    send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "fleet-bench", "version": "0"}}}))
    .await?;
    next_reply(&mut events).await?;
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await?;
    let mut samples = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let t = Instant::now();
        send(json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {"name": tool, "arguments": args}})).await?;
        let v = next_reply(&mut events).await?;
        if v.get("error").is_some() {
            bail!("sse call failed: {v}");
        }
        if i >= 20 {
            samples.push(t.elapsed());
        }
    }
    Ok(summarize(samples))
}

async fn bench_cluster(a: &Args) -> anyhow::Result<Value> {
    let bin = a.get("bin", "target/release/sanctuary-utils");
    let tool = a.get("tool", "calculator_add");
    let args: Value = serde_json::from_str(&a.get("args", r#"{"a":1,"b":2}"#))?;
    let n = a.num("n", 2000);
    let concurrency = a.num("concurrency", 32);
    let seconds = a.num("seconds", 5) as u64;
    let env: Vec<(String, String)> = a
        .get("env", "")
        .split(',')
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    let http = client();

    let mut starts = Vec::new();
    for _ in 0..5 {
        let port = free_port()?;
        let (mut child, took) = spawn(&bin, port, &env).await?;
        starts.push(took);
        child.kill().await?;
    }
    let start = summarize(starts);

    let port = free_port()?;
    let (child, _) = spawn(&bin, port, &env).await?;
    let pid = child.id().context("no pid")?;
    let base = format!("http://127.0.0.1:{port}");
    let url = format!("{base}/mcp");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib(pid, "VmRSS:");

    // Open session, sequential calls.
    let mut s = Session::open(&http, &url).await?;
    for _ in 0..100 {
        s.call(&tool, &args).await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        s.call(&tool, &args).await?;
        samples.push(t.elapsed());
    }
    let open = summarize(samples);
    s.close().await?;

    // A fresh session per call: initialize, initialized, call, DELETE.
    let mut samples = Vec::with_capacity(n / 4);
    for _ in 0..(n / 4).max(50) {
        let t = Instant::now();
        let mut s = Session::open(&http, &url).await?;
        s.call(&tool, &args).await?;
        s.close().await?;
        samples.push(t.elapsed());
    }
    let fresh = summarize(samples);

    let sse = sse_latency(&http, &base, &tool, &args, n.min(1000)).await?;

    // Throughput: `concurrency` sessions calling back to back for `seconds`.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers = (0..concurrency).map(|_| {
        let (http, url, tool, args, errors) = (
            http.clone(),
            url.clone(),
            tool.clone(),
            args.clone(),
            errors.clone(),
        );
        tokio::spawn(async move {
            let mut s = match Session::open(&http, &url).await {
                Ok(s) => s,
                Err(_) => {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return Vec::new();
                }
            };
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                match s.call(&tool, &args).await {
                    Ok(_) => lat.push(t.elapsed()),
                    Err(_) => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            let _ = s.close().await;
            lat
        })
    });
    let began = Instant::now();
    let mut all = Vec::new();
    for w in futures::future::join_all(workers).await {
        all.extend(w?);
    }
    let elapsed = began.elapsed().as_secs_f64();
    let calls = all.len();
    let loaded = summarize(all);
    let peak_rss = rss_kib(pid, "VmHWM:");
    drop(child);

    Ok(json!({
        "binary": bin,
        "tool": tool,
        "start_to_healthy_ms": summary_json(start),
        "idle_rss_kib": idle_rss,
        "open_session": summary_json(open),
        "fresh_session_per_call": summary_json(fresh),
        "sse_open_session": summary_json(sse),
        "throughput": {"concurrency": concurrency, "seconds": round3(elapsed), "calls": calls,
                       "calls_per_s": (calls as f64 / elapsed).round(), "errors": errors.load(std::sync::atomic::Ordering::Relaxed),
                       "latency": summary_json(loaded)},
        "peak_rss_kib": peak_rss,
    }))
}

async fn rpc_timing(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
    n: usize,
) -> anyhow::Result<Summary> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n + 5 {
        let t = Instant::now();
        let r = http
            .post(format!("{url}/rpc"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        let v: Value = r.json().await?;
        if v.get("error").is_some() || v["result"]["isError"] == true {
            bail!("gateway call failed: {v}");
        }
        if i >= 5 {
            samples.push(t.elapsed());
        }
    }
    Ok(summarize(samples))
}

async fn bench_gateway(a: &Args) -> anyhow::Result<Value> {
    let url = a.get("url", "http://127.0.0.1:4444");
    let token = a.get("token", "");
    let tool = a.get("tool", "sanctuary-utils-calculator-add");
    let args: Value = serde_json::from_str(&a.get("args", r#"{"a":1,"b":2}"#))?;
    let n = a.num("n", 100);
    let http = client();
    let call = rpc_timing(&http, &url, &token, &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": args}}), n).await?;
    let ping = rpc_timing(
        &http,
        &url,
        &token,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        n,
    )
    .await?;
    Ok(
        json!({"gateway": url, "tool": tool, "rpc_tool_call": summary_json(call), "rpc_ping": summary_json(ping)}),
    )
}

fn row(label: &str, s: &Value) -> String {
    format!(
        "| {label} | {} | {} | {} | {} |",
        s["p50_ms"], s["p90_ms"], s["p99_ms"], s["n"]
    )
}

fn markdown(v: &Value) -> String {
    let mut out = Vec::new();
    if v.get("binary").is_some() {
        out.push(format!(
            "`{}`, tool `{}`\n",
            v["binary"].as_str().unwrap_or(""),
            v["tool"].as_str().unwrap_or("")
        ));
        out.push(
            "| measurement | p50 ms | p90 ms | p99 ms | n |\n|---|---|---|---|---|".to_owned(),
        );
        out.push(row(
            "open Streamable HTTP session, sequential calls",
            &v["open_session"],
        ));
        out.push(row(
            "fresh session per call (initialize + initialized + call + DELETE)",
            &v["fresh_session_per_call"],
        ));
        out.push(row(
            "open legacy SSE session, sequential calls",
            &v["sse_open_session"],
        ));
        out.push(row(
            &format!(
                "under load: {} concurrent sessions",
                v["throughput"]["concurrency"]
            ),
            &v["throughput"]["latency"],
        ));
        out.push(row(
            "start to healthy (spawn → /health 200)",
            &v["start_to_healthy_ms"],
        ));
        out.push(String::new());
        out.push(format!(
            "Throughput: {} calls/s with {} concurrent sessions ({} calls in {} s, {} errors). Idle RSS {} KiB; peak RSS after the load {} KiB.",
            v["throughput"]["calls_per_s"], v["throughput"]["concurrency"], v["throughput"]["calls"], v["throughput"]["seconds"],
            v["throughput"]["errors"], v["idle_rss_kib"], v["peak_rss_kib"]
        ));
    } else {
        out.push(
            "| measurement | p50 ms | p90 ms | p99 ms | n |\n|---|---|---|---|---|".to_owned(),
        );
        out.push(row(
            &format!(
                "gateway POST /rpc tools/call `{}`",
                v["tool"].as_str().unwrap_or("")
            ),
            &v["rpc_tool_call"],
        ));
        out.push(row("gateway POST /rpc ping (no upstream)", &v["rpc_ping"]));
    }
    out.join("\n")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (cmd, args) = Args::parse();
    let result = match cmd.as_str() {
        "cluster" => bench_cluster(&args).await?,
        "gateway" => bench_gateway(&args).await?,
        _ => {
            eprintln!(
                "usage: fleet-bench cluster --bin PATH [--tool T --args JSON --n N --concurrency C --seconds S --env K=V,..] [--json]\n       fleet-bench gateway --url URL --token T [--tool T --args JSON --n N] [--json]"
            );
            std::process::exit(64);
        }
    };
    if args.map.contains_key("json") {
        println!("{result}");
    } else {
        println!("{}", markdown(&result));
    }
    Ok(())
}
