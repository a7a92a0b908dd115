//! The MCP conformance suite's fixture server, on fleet-core's own transport stack.
//!
//! `@modelcontextprotocol/conformance` calls fixed names (`test_simple_text`, `test://static-text`,
//! `test_simple_prompt`, …) in most scenarios. This example implements all of them as an ordinary
//! fleet-core cluster, so the suite exercises the same transports, guard, logging bridge and
//! progress path the real clusters use. It is an example: no production build contains it.
//!
//! Run: `PORT=3111 HOST=127.0.0.1 cargo run --example conformance_fixture -p fleet-core`.

// Sampling is deprecated from MCP 2026-07-28 (SEP-2577) but part of 2025-11-25, which the suite tests.
#![allow(deprecated)]

use std::{sync::Arc, time::Duration};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use fleet_core::{Cluster, ClusterInfo, Progress};
use rmcp::{
    ErrorData, Peer, RoleServer,
    handler::server::{
        router::{
            prompt::PromptRouter,
            tool::{ToolRoute, ToolRouter},
        },
        tool::Extension,
        wrapper::Parameters,
    },
    model::{
        CallToolResult, CompleteRequestParams, ContentBlock, CreateMessageRequestParams,
        ElicitRequestParams, ElicitationSchema, PromptMessage, ReadResourceResult, Reference,
        Resource, ResourceContents, ResourceTemplate, Role, SamplingMessage, Tool,
    },
    prompt, prompt_router, schemars, tool, tool_router,
};
use serde::Deserialize;
use serde_json::json;

/// A 1×1 red PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8AARQMAAb8BAG1HqaEAAAAASUVORK5CYII=";

/// A valid 44-byte-header WAV: 8 kHz, mono, 8-bit, eight samples of silence.
fn wav() -> String {
    let samples = [128u8; 8];
    let mut b = Vec::with_capacity(44 + samples.len());
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
    b.extend_from_slice(&8000u32.to_le_bytes()); // byte rate
    b.extend_from_slice(&1u16.to_le_bytes()); // block align
    b.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    b.extend_from_slice(&samples);
    STANDARD.encode(b)
}

struct Fixture;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct PromptArg {
    /// The prompt to send to the client's LLM.
    prompt: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct MessageArg {
    /// The message to show the user.
    message: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct TwoArgs {
    /// First test argument.
    arg1: String,
    /// Second test argument.
    arg2: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct ResourceArg {
    /// URI of the resource to embed.
    #[serde(rename = "resourceUri")]
    resource_uri: String,
}

fn schema(value: serde_json::Value) -> Result<ElicitationSchema, ErrorData> {
    serde_json::from_value(value)
        .map_err(|e| ErrorData::internal_error(format!("bad elicitation schema: {e}"), None))
}

async fn elicit(
    peer: &Peer<RoleServer>,
    message: String,
    requested: serde_json::Value,
    prefix: &str,
) -> Result<CallToolResult, ErrorData> {
    let params = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: schema(requested)?,
    };
    match peer.create_elicitation(params).await {
        Ok(r) => Ok(CallToolResult::success(vec![ContentBlock::text(format!(
            "{prefix}action={}, content={}",
            serde_json::to_value(&r.action)
                .unwrap_or_default()
                .as_str()
                .unwrap_or("?"),
            serde_json::to_string(&r.content).unwrap_or_default()
        ))])),
        Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(format!(
            "elicitation failed: {e}"
        ))])),
    }
}

#[tool_router]
impl Fixture {
    /// Returns a simple text content.
    #[tool]
    fn test_simple_text(&self) -> String {
        "This is a simple text response for testing.".to_owned()
    }

    /// Returns image content (a 1x1 PNG).
    #[tool]
    fn test_image_content(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::image(PNG, "image/png")])
    }

    /// Returns audio content (a tiny WAV).
    #[tool]
    fn test_audio_content(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::audio(wav(), "audio/wav")])
    }

    /// Returns an embedded text resource.
    #[tool]
    fn test_embedded_resource(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::resource(
            ResourceContents::text(
                "This is an embedded resource content.",
                "test://embedded-resource",
            )
            .with_mime_type("text/plain"),
        )])
    }

    /// Returns text, image and resource content together.
    #[tool]
    fn test_multiple_content_types(&self) -> CallToolResult {
        CallToolResult::success(vec![
            ContentBlock::text("Multiple content types test:"),
            ContentBlock::image(PNG, "image/png"),
            ContentBlock::resource(
                ResourceContents::text(
                    r#"{"test":"data","value":123}"#,
                    "test://mixed-content-resource",
                )
                .with_mime_type("application/json"),
            ),
        ])
    }

    /// Emits three info log messages 50 ms apart (as notifications/message when a level is set).
    #[tool]
    async fn test_tool_with_logging(&self) -> String {
        tracing::info!(target: "fleet_core::fixture", "Tool execution started");
        tokio::time::sleep(Duration::from_millis(50)).await;
        tracing::info!(target: "fleet_core::fixture", "Tool processing data");
        tokio::time::sleep(Duration::from_millis(50)).await;
        tracing::info!(target: "fleet_core::fixture", "Tool execution completed");
        "Tool with logging executed successfully".to_owned()
    }

    /// Always fails with an isError result.
    #[tool]
    fn test_error_handling(&self) -> Result<String, String> {
        Err("This tool intentionally returns an error for testing".to_owned())
    }

    /// Reports progress 0, 50 and 100 of 100, 50 ms apart.
    #[tool]
    async fn test_tool_with_progress(&self, Extension(progress): Extension<Progress>) -> String {
        for (i, p) in [0.0, 50.0, 100.0].into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            progress.report(p, Some(100.0), None).await;
        }
        "Tool with progress executed successfully".to_owned()
    }

    /// Asks the client's LLM (sampling/createMessage) and returns its answer.
    #[tool]
    async fn test_sampling(
        &self,
        peer: Peer<RoleServer>,
        Parameters(PromptArg { prompt }): Parameters<PromptArg>,
    ) -> CallToolResult {
        let params = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], 100);
        match peer.create_message(params).await {
            Ok(r) => {
                let text = r
                    .message
                    .content
                    .first()
                    .and_then(|c| c.as_text())
                    .map(|t| t.text.clone())
                    .unwrap_or_default();
                CallToolResult::success(vec![ContentBlock::text(format!("LLM response: {text}"))])
            }
            Err(e) => {
                CallToolResult::error(vec![ContentBlock::text(format!("sampling failed: {e}"))])
            }
        }
    }

    /// Asks the user (elicitation/create) for a username and email.
    #[tool]
    async fn test_elicitation(
        &self,
        peer: Peer<RoleServer>,
        Parameters(MessageArg { message }): Parameters<MessageArg>,
    ) -> Result<CallToolResult, ErrorData> {
        let requested = json!({"type": "object", "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"}}, "required": ["username", "email"]});
        elicit(&peer, message, requested, "User response: ").await
    }

    /// Elicitation whose schema has defaults for every primitive type (SEP-1034).
    #[tool]
    async fn test_elicitation_sep1034_defaults(
        &self,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let requested = json!({"type": "object", "properties": {
            "name": {"type": "string", "default": "John Doe"},
            "age": {"type": "integer", "default": 30},
            "score": {"type": "number", "default": 95.5},
            "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
            "verified": {"type": "boolean", "default": true}}});
        elicit(
            &peer,
            "Please review and update the form fields with defaults".to_owned(),
            requested,
            "Elicitation completed: ",
        )
        .await
    }

    /// Elicitation with the five enum shapes of SEP-1330.
    #[tool]
    async fn test_elicitation_sep1330_enums(
        &self,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let requested = json!({"type": "object", "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": [
                {"const": "value1", "title": "First Option"}, {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"}]},
            "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
            "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {"type": "array", "items": {"anyOf": [
                {"const": "value1", "title": "First Choice"}, {"const": "value2", "title": "Second Choice"},
                {"const": "value3", "title": "Third Choice"}]}}}});
        elicit(
            &peer,
            "Please select options from the enum fields".to_owned(),
            requested,
            "Elicitation completed: ",
        )
        .await
    }
}

/// `json_schema_2020_12_tool`: an input schema with `$schema`, `$defs` and `additionalProperties`
/// kept verbatim (SEP-1613); its schema is not derivable from a Rust type, so it is built by hand.
fn json_schema_tool() -> ToolRouter<Fixture> {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
        "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
        "additionalProperties": false
    });
    let serde_json::Value::Object(schema) = schema else {
        return ToolRouter::new();
    };
    let tool = Tool::new(
        "json_schema_2020_12_tool",
        "Tool with JSON Schema 2020-12 features",
        Arc::new(schema),
    );
    ToolRouter::new().with_route(ToolRoute::new_dyn(tool, |ctx| {
        let args = serde_json::Value::Object(ctx.arguments.clone().unwrap_or_default());
        Box::pin(async move {
            Ok(
                CallToolResult::success(vec![ContentBlock::text(format!("received {args}"))])
                    .into(),
            )
        })
    }))
}

#[prompt_router]
impl Fixture {
    /// A simple prompt without arguments.
    #[prompt]
    async fn test_simple_prompt(&self) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(
            Role::User,
            "This is a simple prompt for testing.",
        )]
    }

    /// A prompt with two required arguments.
    #[prompt]
    async fn test_prompt_with_arguments(
        &self,
        Parameters(TwoArgs { arg1, arg2 }): Parameters<TwoArgs>,
    ) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(
            Role::User,
            format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"),
        )]
    }

    /// A prompt embedding the resource named by `resourceUri`.
    #[prompt]
    async fn test_prompt_with_embedded_resource(
        &self,
        Parameters(ResourceArg { resource_uri }): Parameters<ResourceArg>,
    ) -> Vec<PromptMessage> {
        vec![
            PromptMessage::new(
                Role::User,
                ContentBlock::resource(
                    ResourceContents::text("Embedded resource content for testing.", resource_uri)
                        .with_mime_type("text/plain"),
                ),
            ),
            PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
        ]
    }

    /// A prompt with an image.
    #[prompt]
    async fn test_prompt_with_image(&self) -> Vec<PromptMessage> {
        vec![
            PromptMessage::new(Role::User, ContentBlock::image(PNG, "image/png")),
            PromptMessage::new_text(Role::User, "Please analyze the image above."),
        ]
    }
}

fn resource(uri: &str, name: &str, description: &str, mime: &str) -> Resource {
    let mut r = Resource::new(uri, name);
    r.description = Some(description.to_owned());
    r.mime_type = Some(mime.to_owned());
    r
}

impl Cluster for Fixture {
    const INFO: ClusterInfo = ClusterInfo {
        name: "fleet-conformance-fixture",
        title: "Conformance fixture",
        version: env!("CARGO_PKG_VERSION"),
        description: "The MCP conformance suite's fixture tools, resources and prompts on fleet-core",
        instructions: "Test fixture; not a Sanctuary cluster.",
        tags: &["test"],
        env_vars: &[],
    };

    fn tools(&self) -> ToolRouter<Self> {
        Self::tool_router() + json_schema_tool()
    }

    fn prompts(&self) -> PromptRouter<Self> {
        Self::prompt_router()
    }

    async fn list_resources(
        &self,
        _session: &fleet_core::Session,
    ) -> Result<Vec<Resource>, ErrorData> {
        Ok(vec![
            resource(
                "test://static-text",
                "static-text",
                "A static text resource",
                "text/plain",
            ),
            resource(
                "test://static-binary",
                "static-binary",
                "A static binary resource (PNG)",
                "image/png",
            ),
            resource(
                "test://watched-resource",
                "watched-resource",
                "A resource clients may subscribe to",
                "text/plain",
            ),
        ])
    }

    fn resource_templates(&self) -> Vec<ResourceTemplate> {
        let mut t = ResourceTemplate::new("test://template/{id}/data", "template-data");
        t.description = Some("Data for the given id".to_owned());
        t.mime_type = Some("application/json".to_owned());
        vec![t]
    }

    async fn read_resource(
        &self,
        uri: &str,
        _session: &fleet_core::Session,
    ) -> Result<ReadResourceResult, ErrorData> {
        let contents = match uri {
            "test://static-text" => {
                ResourceContents::text("This is the content of the static text resource.", uri)
                    .with_mime_type("text/plain")
            }
            "test://static-binary" => ResourceContents::blob(PNG, uri).with_mime_type("image/png"),
            "test://watched-resource" => ResourceContents::text("Watched resource content.", uri)
                .with_mime_type("text/plain"),
            _ => match uri
                .strip_prefix("test://template/")
                .and_then(|rest| rest.strip_suffix("/data"))
            {
                Some(id) if !id.is_empty() && !id.contains('/') => {
                    let body = json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
                    ResourceContents::text(body.to_string(), uri).with_mime_type("application/json")
                }
                _ => {
                    return Err(ErrorData::resource_not_found(
                        format!("no resource {uri:?}"),
                        None,
                    ));
                }
            },
        };
        Ok(ReadResourceResult::new(vec![contents]))
    }

    async fn complete(&self, request: &CompleteRequestParams) -> Result<Vec<String>, ErrorData> {
        let prefix = request.argument.value.to_lowercase();
        let pool: &[&str] = match &request.r#ref {
            Reference::Prompt(p) if p.name == "test_prompt_with_arguments" => {
                &["paris", "park", "party", "pasta", "hello", "world"]
            }
            _ => &[],
        };
        Ok(pool
            .iter()
            .filter(|v| v.starts_with(&prefix))
            .map(|v| (*v).to_owned())
            .collect())
    }

    fn accepts_subscriptions(&self) -> bool {
        true
    }
}

fn main() -> std::process::ExitCode {
    fleet_core::run_main(|_, _| Some(Fixture))
}
