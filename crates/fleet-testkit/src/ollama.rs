//! A stand-in for Ollama's HTTP API, for tests where no real Ollama can run (no GPU, no models).
//!
//! It speaks the documented shapes of `GET /api/tags`, `POST /api/embed`, `POST /api/chat` and
//! `POST /api/generate` (streaming NDJSON by default, as Ollama does, or one JSON object with
//! `"stream": false`), answers an unknown model with Ollama's 404 message, and can be made slow
//! per endpoint to prove timeouts. Its embeddings are deterministic feature hashes of the words,
//! so texts sharing words are close and retrieval through it behaves sensibly.
//!
//! Test-only controls under `/_standin/`: `GET requests` (what was received), `DELETE requests`,
//! `POST delays` (`{"embed_ms", "chat_ms", "generate_ms", "tags_ms"}`).
//!
//! Run it in-process with [`StandIn::start`], or as the `ollama-standin` binary (for containers).

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Body,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// What the stand-in serves.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    /// Models it claims to have pulled (names with tags).
    pub models: Vec<String>,
    /// Length of its embeddings.
    pub dimension: usize,
    /// Delays per endpoint.
    pub delays: Delays,
}

impl Default for StandInConfig {
    fn default() -> Self {
        Self {
            models: vec![
                "nomic-embed-text:latest".to_owned(),
                "hf.co/richfrem/Sanctuary-Qwen2-7B-v1.0-GGUF-Final:Q4_K_M".to_owned(),
                "qwen2:7b".to_owned(),
            ],
            dimension: 768,
            delays: Delays::default(),
        }
    }
}

/// How long each endpoint waits before answering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delays {
    /// `/api/embed`.
    pub embed: Duration,
    /// `/api/chat`.
    pub chat: Duration,
    /// `/api/generate`.
    pub generate: Duration,
    /// `/api/tags`.
    pub tags: Duration,
}

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The path.
    pub path: String,
    /// The JSON body (`null` for GET).
    pub body: Value,
}

struct Shared {
    config: Mutex<StandInConfig>,
    log: Mutex<VecDeque<Recorded>>,
}

impl Shared {
    fn record(&self, path: &str, body: &Value) {
        if let Ok(mut log) = self.log.lock() {
            if log.len() >= 500 {
                log.pop_front();
            }
            log.push_back(Recorded {
                path: path.to_owned(),
                body: body.clone(),
            });
        }
    }

    fn config(&self) -> StandInConfig {
        self.config
            .lock()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }
}

/// A running stand-in; dropping it stops the server.
pub struct StandIn {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The bound address.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn").field("url", &self.url).finish()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    /// Serve on `127.0.0.1:0` in this process.
    pub async fn start(config: StandInConfig) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Self::serve(listener, config)
    }

    /// Serve on an already bound listener.
    pub fn serve(listener: TcpListener, config: StandInConfig) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            log: Mutex::new(VecDeque::new()),
        });
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("ollama-standin: server stopped: {e}");
            }
        });
        Ok(Self {
            url: format!("http://{addr}"),
            addr,
            shared,
            task,
        })
    }

    /// Change the delays.
    pub fn set_delays(&self, delays: Delays) {
        if let Ok(mut c) = self.shared.config.lock() {
            c.delays = delays;
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .log
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forget the requests received so far.
    pub fn clear_requests(&self) {
        if let Ok(mut l) = self.shared.log.lock() {
            l.clear();
        }
    }
}

/// The stand-in's routes (also used by the binary).
pub fn router_for(config: StandInConfig) -> Router {
    router(Arc::new(Shared {
        config: Mutex::new(config),
        log: Mutex::new(VecDeque::new()),
    }))
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(|| async { "Ollama is running" }))
        .route(
            "/api/version",
            get(|| async { Json(json!({"version": "0.0.0-standin"})) }),
        )
        .route("/api/tags", get(tags))
        .route("/api/embed", post(embed))
        .route("/api/chat", post(chat))
        .route("/api/generate", post(generate))
        .route("/_standin/requests", get(requests).delete(clear))
        .route("/_standin/delays", post(set_delays))
        .with_state(shared)
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn known(config: &StandInConfig, model: &str) -> bool {
    config
        .models
        .iter()
        .any(|m| m == model || (!model.contains(':') && m.strip_suffix(":latest") == Some(model)))
}

fn not_found(model: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("model \"{model}\" not found, try pulling it first"),
    )
}

/// Parse a JSON body the way Ollama does: a 400 with its message when it is not JSON.
fn parse(body: &str) -> Result<Value, String> {
    serde_json::from_str(body).map_err(|e| format!("invalid JSON: {e}"))
}

async fn tags(State(s): State<Arc<Shared>>) -> Response {
    s.record("/api/tags", &Value::Null);
    let config = s.config();
    tokio::time::sleep(config.delays.tags).await;
    let models: Vec<Value> = config
        .models
        .iter()
        .map(|m| {
            json!({
                "name": m, "model": m, "modified_at": "2026-01-01T00:00:00Z", "size": 1_000_000,
                "digest": format!("{:016x}", fnv(m.as_bytes())),
                "details": {"format": "gguf", "family": "standin", "parameter_size": "1B", "quantization_level": "Q4_K_M"}
            })
        })
        .collect();
    Json(json!({ "models": models })).into_response()
}

async fn embed(State(s): State<Arc<Shared>>, body: String) -> Response {
    let v = match parse(&body) {
        Ok(v) => v,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    s.record("/api/embed", &v);
    let config = s.config();
    tokio::time::sleep(config.delays.embed).await;
    let model = v["model"].as_str().unwrap_or_default().to_owned();
    if model.is_empty() {
        return error(StatusCode::BAD_REQUEST, "model is required".to_owned());
    }
    if !known(&config, &model) {
        return not_found(&model);
    }
    let inputs: Vec<String> = match &v["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "input must be a string or a list of strings".to_owned(),
            );
        }
    };
    let embeddings: Vec<Vec<f32>> = inputs
        .iter()
        .map(|t| hash_embedding(t, config.dimension))
        .collect();
    let words: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
    Json(json!({
        "model": model, "embeddings": embeddings,
        "total_duration": 1000, "load_duration": 100, "prompt_eval_count": words
    }))
    .into_response()
}

/// The stand-in's reply to a conversation: it cites the first numbered passage when there is one.
pub fn reply_text(model: &str, last_user: &str) -> String {
    if let Some(pos) = last_user.find("[1]") {
        let passage = &last_user[pos..];
        // Skip the header line, take the first sentence of the passage.
        let body = passage.split_once('\n').map_or(passage, |(_, b)| b);
        let sentence: String = body
            .split_inclusive(['.', '\n'])
            .next()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(200)
            .collect();
        format!("According to [1], {sentence} (stand-in answer from {model})")
    } else {
        let head: String = last_user.chars().take(200).collect();
        format!("Stand-in reply from {model} to: {head}")
    }
}

fn now() -> &'static str {
    "2026-01-01T00:00:00Z"
}

/// NDJSON lines streamed word by word, then the final `done` object.
fn stream_lines(model: &str, text: &str, key: &str, prompt_words: usize) -> Response {
    let mut lines = String::new();
    for w in text.split_inclusive(' ') {
        let chunk = if key == "message" {
            json!({"model": model, "created_at": now(), "message": {"role": "assistant", "content": w}, "done": false})
        } else {
            json!({"model": model, "created_at": now(), "response": w, "done": false})
        };
        lines.push_str(&chunk.to_string());
        lines.push('\n');
    }
    let mut done = json!({
        "model": model, "created_at": now(), "done": true, "done_reason": "stop",
        "total_duration": 1000, "prompt_eval_count": prompt_words, "eval_count": text.split_whitespace().count()
    });
    if key == "message" {
        done["message"] = json!({"role": "assistant", "content": ""});
    } else {
        done["response"] = json!("");
    }
    lines.push_str(&done.to_string());
    lines.push('\n');
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(lines))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn chat(State(s): State<Arc<Shared>>, body: String) -> Response {
    let v = match parse(&body) {
        Ok(v) => v,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    s.record("/api/chat", &v);
    let config = s.config();
    tokio::time::sleep(config.delays.chat).await;
    let model = v["model"].as_str().unwrap_or_default().to_owned();
    if !known(&config, &model) {
        return not_found(&model);
    }
    let Some(messages) = v["messages"].as_array() else {
        return error(
            StatusCode::BAD_REQUEST,
            "messages must be a list".to_owned(),
        );
    };
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    let prompt_words: usize = messages
        .iter()
        .filter_map(|m| m["content"].as_str())
        .map(|c| c.split_whitespace().count())
        .sum();
    let mut text = reply_text(&model, last_user);
    if let Some(n) = v["options"]["num_predict"].as_u64() {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.len() as u64 > n {
            text = words[..n as usize].join(" ");
        }
    }
    if v["stream"].as_bool().unwrap_or(true) {
        return stream_lines(&model, &text, "message", prompt_words);
    }
    Json(json!({
        "model": model, "created_at": now(),
        "message": {"role": "assistant", "content": text},
        "done": true, "done_reason": "stop", "total_duration": 1000,
        "prompt_eval_count": prompt_words, "eval_count": text.split_whitespace().count()
    }))
    .into_response()
}

async fn generate(State(s): State<Arc<Shared>>, body: String) -> Response {
    let v = match parse(&body) {
        Ok(v) => v,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    s.record("/api/generate", &v);
    let config = s.config();
    tokio::time::sleep(config.delays.generate).await;
    let model = v["model"].as_str().unwrap_or_default().to_owned();
    if !known(&config, &model) {
        return not_found(&model);
    }
    let prompt = v["prompt"].as_str().unwrap_or_default();
    let text = reply_text(&model, prompt);
    let words = prompt.split_whitespace().count();
    if v["stream"].as_bool().unwrap_or(true) {
        return stream_lines(&model, &text, "response", words);
    }
    Json(json!({
        "model": model, "created_at": now(), "response": text, "done": true, "done_reason": "stop",
        "prompt_eval_count": words, "eval_count": text.split_whitespace().count()
    }))
    .into_response()
}

async fn requests(State(s): State<Arc<Shared>>) -> Response {
    let log: Vec<Value> = s
        .log
        .lock()
        .map(|l| {
            l.iter()
                .map(|r| json!({"path": r.path, "body": r.body}))
                .collect()
        })
        .unwrap_or_default();
    Json(json!({ "requests": log })).into_response()
}

async fn clear(State(s): State<Arc<Shared>>) -> StatusCode {
    if let Ok(mut l) = s.log.lock() {
        l.clear();
    }
    StatusCode::NO_CONTENT
}

async fn set_delays(State(s): State<Arc<Shared>>, body: String) -> Response {
    let v = match parse(&body) {
        Ok(v) => v,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let ms = |k: &str| Duration::from_millis(v[k].as_u64().unwrap_or(0));
    let delays = Delays {
        embed: ms("embed_ms"),
        chat: ms("chat_ms"),
        generate: ms("generate_ms"),
        tags: ms("tags_ms"),
    };
    if let Ok(mut c) = s.config.lock() {
        c.delays = delays;
    }
    StatusCode::NO_CONTENT.into_response()
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A unit vector of `dim` floats: each lower-cased word adds ±1 at a hashed position.
pub fn hash_embedding(text: &str, dim: usize) -> Vec<f32> {
    let dim = dim.max(1);
    let mut v = vec![0.0f32; dim];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let h = fnv(word.to_lowercase().as_bytes());
        let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
        v[(h % dim as u64) as usize] += sign;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        v[0] = 1.0;
    } else {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}
