//! `query_sanctuary_model` and `check_sanctuary_model_status`: the Ollama chat model, bounded by
//! the generate hop (the original had no timeout at all).

use std::time::Duration;

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::{
    error::CortexError,
    ollama::{Message, ModelInfo, has_model},
    rag::{answered_by, validate_query},
    server::CortexServer,
    tools::query::check_generation,
};

/// How long the status check waits for Ollama.
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);

fn default_temperature() -> f32 {
    0.7
}

fn default_tokens() -> u32 {
    2048
}

/// Arguments of `query_sanctuary_model`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ModelQueryArgs {
    /// The user prompt (up to CORTEX_MAX_QUERY_CHARS characters).
    pub prompt: String,
    /// Sampling temperature, 0 to 2 (default 0.7).
    #[serde(default = "default_temperature")]
    pub temperature: f32,
    /// Most tokens to generate, 1 to 8192 (default 2048).
    #[serde(default = "default_tokens")]
    pub max_tokens: u32,
    /// An optional system prompt.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// The model (default CORTEX_OLLAMA_MODEL).
    #[serde(default)]
    pub model: Option<String>,
}

/// Result of `query_sanctuary_model`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ModelQueryOutput {
    /// The model that answered.
    pub model: String,
    /// Its reply.
    pub response: String,
    /// Tokens in the prompt.
    pub prompt_tokens: Option<u64>,
    /// Tokens generated.
    pub completion_tokens: Option<u64>,
    /// Their sum.
    pub total_tokens: Option<u64>,
    /// The temperature used.
    pub temperature: f32,
    /// Why generation stopped (`stop`, `length`).
    pub done_reason: Option<String>,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// `success`.
    pub status: &'static str,
}

/// Result of `check_sanctuary_model_status`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ModelStatusOutput {
    /// Whether Ollama answered and has the configured chat model.
    pub available: bool,
    /// Whether Ollama answered at all.
    pub reachable: bool,
    /// The configured chat model.
    pub model: String,
    /// Every model Ollama has pulled.
    pub all_models: Vec<ModelInfo>,
    /// Ollama's URL.
    pub ollama_url: Option<String>,
    /// Why it is not available, when it is not.
    pub error: Option<String>,
    /// `success` (the check ran; see `available`).
    pub status: &'static str,
}

#[tool_router(router = model_tools, vis = "pub(crate)")]
impl CortexServer {
    /// Ask the Sanctuary chat model (Ollama `/api/chat`, model CORTEX_OLLAMA_MODEL) a question,
    /// without retrieval (use `cortex_ask` for answers from the knowledge base). Bounded by the
    /// generate hop (CORTEX_GENERATE_TIMEOUT, 30 s): a slow model is an error naming the hop.
    /// Example: `{"prompt": "Summarise Protocol 101 in one sentence.", "max_tokens": 200}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub async fn query_sanctuary_model(
        &self,
        Parameters(args): Parameters<ModelQueryArgs>,
    ) -> Result<Json<ModelQueryOutput>, CortexError> {
        let started = std::time::Instant::now();
        let e = &self.engine;
        validate_query(&args.prompt, e.config.max_query_chars, "prompt")?;
        check_generation(args.temperature, args.max_tokens)?;
        if let Some(s) = &args.system_prompt {
            validate_query(s, e.config.max_query_chars, "system_prompt")?;
        }
        let ollama = e.ollama("query_sanctuary_model")?;
        let model = e.chat_model(args.model);
        let mut messages = Vec::new();
        if let Some(s) = args.system_prompt {
            messages.push(Message::new("system", s));
        }
        messages.push(Message::new("user", args.prompt));
        let reply = e
            .generate(
                &e.config.timeouts.start(),
                ollama,
                &model,
                &messages,
                args.temperature,
                args.max_tokens,
            )
            .await?;
        Ok(Json(ModelQueryOutput {
            model: answered_by(model, reply.model),
            response: reply.message.content,
            total_tokens: reply
                .prompt_eval_count
                .zip(reply.eval_count)
                .map(|(a, b)| a + b),
            prompt_tokens: reply.prompt_eval_count,
            completion_tokens: reply.eval_count,
            temperature: args.temperature,
            done_reason: reply.done_reason,
            elapsed_ms: started.elapsed().as_millis() as u64,
            status: "success",
        }))
    }

    /// Check whether Ollama is reachable and has the Sanctuary chat model (`/api/tags`, 5 s
    /// limit). Always answers: an unreachable Ollama is `reachable: false` with the reason.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn check_sanctuary_model_status(&self) -> Json<ModelStatusOutput> {
        let e = &self.engine;
        let model = e.config.chat_model.clone();
        let Some(ollama) = e.ollama.as_ref() else {
            return Json(ModelStatusOutput {
                available: false,
                reachable: false,
                model,
                all_models: Vec::new(),
                ollama_url: None,
                error: Some(CortexError::OllamaDisabled("the chat model").to_string()),
                status: "success",
            });
        };
        let url = Some(ollama.base().to_string());
        Json(match ollama.tags(STATUS_TIMEOUT).await {
            Ok(models) => {
                let available = has_model(&models, &model);
                ModelStatusOutput {
                    available,
                    reachable: true,
                    error: (!available).then(|| {
                        format!("ollama has not pulled {model} (run `ollama pull {model}`)")
                    }),
                    model,
                    all_models: models,
                    ollama_url: url,
                    status: "success",
                }
            }
            Err(err) => ModelStatusOutput {
                available: false,
                reachable: false,
                model,
                all_models: Vec::new(),
                ollama_url: url,
                error: Some(err.to_string()),
                status: "success",
            },
        })
    }
}
