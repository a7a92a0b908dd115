//! A small Ollama client on the workspace's reqwest: `/api/embed`, `/api/chat`, `/api/tags`.
//!
//! Why not `ollama-rs`: 0.3.6 pins reqwest 0.12 (a second HTTP stack beside the fleet's 0.13),
//! turns non-2xx replies into a bare string without the status code, and has no per-request
//! timeout. Here every request carries its own timeout, errors keep Ollama's status and message,
//! and chat is always `stream: false` (Ollama streams by default).

use std::time::Duration;

use reqwest::{Client, Method};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use url::Url;

use crate::error::{CortexError, describe};

/// Added to a request's timeout: callers bound each call by its Guardrail 6 hop, and the
/// request's own timeout is only a backstop that must not fire first (its error would not name
/// the hop).
pub const BACKSTOP: Duration = Duration::from_secs(2);

/// One chat message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message with `role` and `content`.
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self {
            role: role.to_owned(),
            content: content.into(),
        }
    }
}

/// Sampling options sent with a chat.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ChatOptions {
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens generated (Ollama's `num_predict`).
    pub num_predict: u32,
}

#[derive(Debug, Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    stream: bool,
    options: ChatOptions,
}

/// Ollama's answer to a non-streaming chat.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatResponse {
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// The reply.
    pub message: Message,
    /// Tokens in the prompt.
    #[serde(default)]
    pub prompt_eval_count: Option<u64>,
    /// Tokens generated.
    #[serde(default)]
    pub eval_count: Option<u64>,
    /// Why generation stopped (`stop`, `length`).
    #[serde(default)]
    pub done_reason: Option<String>,
}

#[derive(Debug, Serialize)]
struct EmbedRequest<'a> {
    model: &'a str,
    input: &'a [String],
    truncate: bool,
}

#[derive(Debug, Deserialize)]
struct EmbedResponse {
    embeddings: Vec<Vec<f32>>,
}

/// A model Ollama has pulled.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ModelInfo {
    /// Name with tag, e.g. `nomic-embed-text:latest`.
    pub name: String,
    /// Size on disk in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// When it was last modified.
    #[serde(default)]
    pub modified_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Tags {
    #[serde(default)]
    models: Vec<ModelInfo>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: String,
}

/// The Ollama client.
#[derive(Debug, Clone)]
pub struct OllamaClient {
    http: Client,
    base: Url,
}

impl OllamaClient {
    /// A client for `base` (e.g. `http://sanctuary-ollama:11434`).
    pub fn new(http: Client, base: Url) -> Self {
        Self { http, base }
    }

    /// The base URL, for messages.
    pub fn base(&self) -> &Url {
        &self.base
    }

    async fn send<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
        timeout: Duration,
    ) -> Result<T, CortexError> {
        let url = format!("{}{path}", self.base.as_str().trim_end_matches('/'));
        let mut req = self.http.request(method, url).timeout(timeout + BACKSTOP);
        if let Some(body) = body {
            req = req.json(body);
        }
        let transport = |e: &reqwest::Error| CortexError::OllamaUnreachable {
            url: self.base.to_string(),
            detail: describe(e),
        };
        let resp = req.send().await.map_err(|e| transport(&e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| transport(&e))?;
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| b.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).chars().take(500).collect());
            return Err(CortexError::Ollama {
                operation,
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| CortexError::Ollama {
            operation,
            status: status.as_u16(),
            message: format!("undecodable reply: {e}"),
        })
    }

    /// Embed `input` with `model`; one vector per input, in order.
    pub async fn embed(
        &self,
        model: &str,
        input: &[String],
        timeout: Duration,
    ) -> Result<Vec<Vec<f32>>, CortexError> {
        let body = EmbedRequest {
            model,
            input,
            truncate: true,
        };
        let r: EmbedResponse = self
            .send("embed", Method::POST, "/api/embed", Some(&body), timeout)
            .await?;
        if r.embeddings.len() != input.len() {
            return Err(CortexError::Ollama {
                operation: "embed",
                status: 200,
                message: format!(
                    "asked for {} embeddings, got {}",
                    input.len(),
                    r.embeddings.len()
                ),
            });
        }
        Ok(r.embeddings)
    }

    /// One non-streaming chat turn.
    pub async fn chat(
        &self,
        model: &str,
        messages: &[Message],
        options: ChatOptions,
        timeout: Duration,
    ) -> Result<ChatResponse, CortexError> {
        let body = ChatRequest {
            model,
            messages,
            stream: false,
            options,
        };
        self.send("chat", Method::POST, "/api/chat", Some(&body), timeout)
            .await
    }

    /// The models Ollama has pulled.
    pub async fn tags(&self, timeout: Duration) -> Result<Vec<ModelInfo>, CortexError> {
        let t: Tags = self
            .send("tags", Method::GET, "/api/tags", None::<&Value>, timeout)
            .await?;
        Ok(t.models)
    }
}

/// Whether `wanted` names one of `models` (`nomic-embed-text` matches `nomic-embed-text:latest`).
pub fn has_model(models: &[ModelInfo], wanted: &str) -> bool {
    models.iter().any(|m| {
        m.name == wanted
            || (!wanted.contains(':') && m.name.strip_suffix(":latest") == Some(wanted))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str) -> ModelInfo {
        ModelInfo {
            name: name.to_owned(),
            size: None,
            modified_at: None,
        }
    }

    #[test]
    fn an_untagged_name_matches_latest() {
        let models = [model("nomic-embed-text:latest"), model("qwen2:7b")];
        assert!(has_model(&models, "nomic-embed-text"));
        assert!(has_model(&models, "nomic-embed-text:latest"));
        assert!(has_model(&models, "qwen2:7b"));
        assert!(!has_model(&models, "qwen2"));
        assert!(!has_model(&models, "llama3"));
    }

    #[test]
    fn chat_requests_never_stream() {
        let messages = [Message::new("user", "hi")];
        let body = serde_json::to_value(ChatRequest {
            model: "m",
            messages: &messages,
            stream: false,
            options: ChatOptions {
                temperature: 0.5,
                num_predict: 64,
            },
        })
        .unwrap();
        assert_eq!(body["stream"], false);
        assert_eq!(body["options"]["num_predict"], 64);
    }
}
