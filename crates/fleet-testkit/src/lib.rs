//! Test harness for cluster integration tests: start the real binary, talk to it with a real MCP
//! client (rmcp's) over each transport, and read results.
//!
//! - [`Server::start`] runs a cluster binary in HTTP mode on an ephemeral loopback port (read back
//!   from its JSON log) and waits for `/health`; dropping it kills the process.
//! - [`http_client`] connects over Streamable HTTP, [`sse_client`] over legacy SSE (rmcp has no
//!   SSE client any more, so [`sse_transport`] adapts `GET /sse` + `POST /messages` into an rmcp
//!   transport), [`stdio_client`] spawns the binary with no `PORT`.
//! - [`call`], [`text`] and [`structured`] make assertions short.
//! - [`ollama`]: a stand-in for Ollama's HTTP API (`/api/embed`, `/api/chat`, `/api/tags`) with
//!   configurable delays, also built as the `ollama-standin` binary; [`chroma`]: a real ChromaDB
//!   (`chroma run`) on a free loopback port, stoppable and restartable.
//! - [`ok`] and [`err`] call a tool that must succeed or fail; [`docs`] checks that the workspace's
//!   documentation names every variable, tool and rule.
//!
//! Only test code depends on this crate; nothing here reaches a release binary.

pub mod chroma;
pub mod docs;
pub mod ollama;

use std::{
    collections::HashMap,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::{Context as _, bail};
use futures::{StreamExt as _, channel::mpsc};
use rmcp::{
    RoleClient, ServiceExt as _,
    model::{CallToolRequestParams, CallToolResult, JsonObject},
    service::{RunningService, RxJsonRpcMessage, TxJsonRpcMessage},
    transport::{StreamableHttpClientTransport, TokioChildProcess},
};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::{Child, Command},
};

/// A plain HTTP client for assertions on endpoints (installs the rustls provider first).
pub fn http() -> reqwest::Client {
    fleet_core::install_crypto_provider();
    reqwest::Client::new()
}

/// GET `url` and return the body text.
pub async fn get_text(url: &str) -> anyhow::Result<String> {
    Ok(http().get(url).send().await?.text().await?)
}

/// A connected MCP client with no client-side handlers.
pub type Client = RunningService<RoleClient, ()>;

/// How long a server may take to become healthy.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running cluster binary in HTTP mode.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The port it listens on.
    pub port: u16,
    /// Every stderr line so far (JSON log records).
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Start `bin` on `127.0.0.1:0` with `env` added, and wait until `/health` answers.
    pub async fn start(bin: &str, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut cmd = Command::new(bin);
        cmd.env("PORT", "0")
            .env("HOST", "127.0.0.1")
            .env("FLEET_LOG_FORMAT", "json")
            .env("FLEET_CONTAINER", "0")
            .env_remove("MCP_GATEWAY_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().with_context(|| format!("spawning {bin}"))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port_rx) = tokio::sync::oneshot::channel::<u16>();
        let sink = logs.clone();
        tokio::spawn(async move {
            let mut port_tx = Some(port_tx);
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(tx) = port_tx.take_if(|_| line.contains("\"local\"")) {
                    let port = serde_json::from_str::<Value>(&line)
                        .ok()
                        .and_then(|v| v["fields"]["local"].as_str().map(str::to_owned))
                        .and_then(|a| a.rsplit(':').next().and_then(|p| p.parse().ok()));
                    match port {
                        Some(p) => {
                            let _ = tx.send(p);
                        }
                        None => port_tx = Some(tx),
                    }
                }
                if let Ok(mut l) = sink.lock() {
                    l.push(line);
                }
            }
        });
        let port = tokio::time::timeout(START_TIMEOUT, port_rx)
            .await
            .context("server did not log its address in time")?
            .context("server exited before listening")?;
        let base = format!("http://127.0.0.1:{port}");
        let server = Self {
            child,
            base,
            port,
            logs,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&self) -> anyhow::Result<()> {
        let http = http();
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(r) = http.get(self.url("/health")).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("{} not healthy in time", self.base);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path` and parse the JSON body.
    pub async fn get_json(&self, path: &str) -> anyhow::Result<(u16, Value)> {
        let r = http().get(self.url(path)).send().await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await?))
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Send SIGTERM and wait for the exit status.
    pub async fn terminate(mut self) -> anyhow::Result<std::process::ExitStatus> {
        if let Some(pid) = self.child.id() {
            Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await?;
        }
        Ok(tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await??)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// All log lines so far, joined.
    pub fn log_text(&self) -> String {
        self.logs.lock().map(|l| l.join("\n")).unwrap_or_default()
    }
}

/// Connect rmcp's Streamable HTTP client to `url` (ending in `/mcp`).
pub async fn http_client(url: &str) -> anyhow::Result<Client> {
    fleet_core::install_crypto_provider();
    let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
    Ok(().serve(transport).await?)
}

/// Connect rmcp's client over legacy SSE to `url` (ending in `/sse`).
pub async fn sse_client(url: &str) -> anyhow::Result<Client> {
    Ok(().serve(sse_transport(url).await?).await?)
}

/// Start `bin` in stdio mode (no `PORT`) and connect rmcp's client to its stdin/stdout.
pub async fn stdio_client(bin: &str, env: &[(&str, &str)]) -> anyhow::Result<Client> {
    let mut cmd = Command::new(bin);
    cmd.env_remove("PORT")
        .env("FLEET_CONTAINER", "0")
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let transport = TokioChildProcess::new(cmd)?;
    Ok(().serve(transport).await?)
}

type SseSink = mpsc::Sender<TxJsonRpcMessage<RoleClient>>;
type SseStream = futures::stream::BoxStream<'static, RxJsonRpcMessage<RoleClient>>;

/// An rmcp client transport over legacy SSE: one task reads `GET url` and forwards `message`
/// events; another POSTs each outgoing message to the URL named by the `endpoint` event.
pub async fn sse_transport(url: &str) -> anyhow::Result<(SseSink, SseStream)> {
    let http = http();
    let resp = http
        .get(url)
        .header("Accept", "text/event-stream")
        .send()
        .await?
        .error_for_status()?;
    let mut events = sse_stream::SseStream::from_bytes_stream(resp.bytes_stream());
    let endpoint = loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .context("no endpoint event")?
            .context("stream ended before the endpoint event")??;
        if ev.event.as_deref() == Some("endpoint") {
            break ev.data.unwrap_or_default();
        }
    };
    let post_url = reqwest::Url::parse(url)?.join(&endpoint)?;
    // A tokio channel, because its sender can wait for the client to go away: the GET stream is
    // then dropped at once and the server sees the disconnect.
    let (in_tx, mut in_rx) = tokio::sync::mpsc::channel::<RxJsonRpcMessage<RoleClient>>(64);
    let (out_tx, mut out_rx) = mpsc::channel::<TxJsonRpcMessage<RoleClient>>(64);
    tokio::spawn(async move {
        loop {
            let ev = tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ev)) => ev,
                    _ => break,
                },
                () = in_tx.closed() => break,
            };
            if ev.event.as_deref().unwrap_or("message") != "message" {
                continue;
            }
            let Some(data) = ev.data else { continue };
            match serde_json::from_str(&data) {
                Ok(msg) => {
                    if in_tx.send(msg).await.is_err() {
                        break;
                    }
                }
                Err(e) => eprintln!("sse_transport: undecodable message {data:?}: {e}"),
            }
        }
    });
    tokio::spawn(async move {
        while let Some(msg) = out_rx.next().await {
            if let Err(e) = http
                .post(post_url.clone())
                .json(&msg)
                .send()
                .await
                .and_then(|r| r.error_for_status())
            {
                eprintln!("sse_transport: POST failed: {e}");
                break;
            }
        }
    });
    let inbound = futures::stream::poll_fn(move |cx| in_rx.poll_recv(cx)).boxed();
    Ok((out_tx, inbound))
}

/// Call `tool` with JSON `args` (an object).
pub async fn call(client: &Client, tool: &str, args: Value) -> anyhow::Result<CallToolResult> {
    let mut params = CallToolRequestParams::new(tool.to_owned());
    if let Value::Object(map) = args {
        params = params.with_arguments(map);
    }
    Ok(client.peer().call_tool(params).await?)
}

/// Call a tool that must succeed; its structured content.
pub async fn ok(c: &Client, tool: &str, args: Value) -> Value {
    let r = call(c, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool}({args}): {e:#}"));
    assert!(!is_error(&r), "{tool}({args}) failed: {}", text(&r));
    structured(&r)
}

/// Call a tool that must fail with an `isError` result; its text.
pub async fn err(c: &Client, tool: &str, args: Value) -> String {
    let r = call(c, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool}({args}): {e:#}"));
    assert!(is_error(&r), "{tool}({args}) should fail, got {r:?}");
    text(&r)
}

/// The concatenated text content of a result.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The structured content of a successful result; fails the test on an error result.
pub fn structured(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "tool failed: {}", text(result));
    result
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("no structured content in {result:?}"))
}

/// Whether the result is an `isError` result.
pub fn is_error(result: &CallToolResult) -> bool {
    result.is_error == Some(true)
}

/// Tool names listed by the server.
pub async fn tool_names(client: &Client) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = client
        .peer()
        .list_all_tools()
        .await?
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Build a JSON object from pairs, for tool arguments.
pub fn args(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<JsonObject>(),
    )
}

/// Parse Prometheus text into `series → value` for assertions on `/metrics`.
pub fn parse_metrics(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_owned(), v.parse().ok()?))
        })
        .collect()
}

/// Re-exported so tests need not depend on fleet-core for the outcome key.
pub use fleet_core::guard::OUTCOME_META;
