//! Fault-injection tools for tests, compiled into debug builds only and served only when
//! `FLEET_FAULT_TOOLS=1`: `fleet_fault_panic` panics, `fleet_fault_sleep` sleeps.
//!
//! They let integration tests prove Guardrail 1 against the real binary of every cluster
//! (a panicking tool answered with `isError` while sibling calls succeed) without any test code
//! in release images.

use std::{sync::Arc, time::Duration};

use rmcp::{
    handler::server::router::tool::{ToolRoute, ToolRouter},
    model::{CallToolResult, ContentBlock, JsonObject, Tool},
};
use serde_json::json;

use crate::cluster::Cluster;

fn schema(value: serde_json::Value) -> Arc<JsonObject> {
    match value {
        serde_json::Value::Object(map) => Arc::new(map),
        // The literals below are objects.
        _ => Arc::new(JsonObject::new()),
    }
}

/// The fault-injection tools, for any cluster.
pub(crate) fn fault_tools<C: Cluster>() -> ToolRouter<C> {
    let panic_tool = Tool::new(
        "fleet_fault_panic",
        "Test only: panic inside the tool, to prove fault containment",
        schema(json!({"type": "object", "properties": {"message": {"type": "string"}}})),
    );
    let sleep_tool = Tool::new(
        "fleet_fault_sleep",
        "Test only: sleep `ms` milliseconds, then answer",
        schema(
            json!({"type": "object", "properties": {"ms": {"type": "integer", "minimum": 0}}, "required": ["ms"]}),
        ),
    );
    ToolRouter::new()
        .with_route(ToolRoute::new_dyn(panic_tool, |ctx| {
            let message = ctx
                .arguments
                .as_ref()
                .and_then(|a| a.get("message"))
                .and_then(|m| m.as_str())
                .unwrap_or("injected fault")
                .to_owned();
            Box::pin(async move { panic!("{message}") })
        }))
        .with_route(ToolRoute::new_dyn(sleep_tool, |ctx| {
            let ms = ctx
                .arguments
                .as_ref()
                .and_then(|a| a.get("ms"))
                .and_then(|m| m.as_u64())
                .unwrap_or(0);
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(
                    CallToolResult::success(vec![ContentBlock::text(format!("slept {ms} ms"))])
                        .into(),
                )
            })
        }))
}
