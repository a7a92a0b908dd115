//! [`Reply`]: a tool result that is text for people and a typed value for programs at once.
//!
//! Peers answer in plain text, a typed client wants fields. A `Reply` carries the human text as
//! the result's `content` and the typed value as `structuredContent` (described by the tool's
//! `outputSchema`), so a text-reading caller and a field-reading caller both get what they expect
//! from the same call.

use rmcp::{
    ErrorData,
    handler::server::tool::IntoCallToolResult,
    model::{CallToolResponse, CallToolResult, ContentBlock},
};
use schemars::JsonSchema;
use serde::Serialize;

/// A successful answer: text for people and peers, a typed value for programs.
#[derive(Debug)]
pub struct Reply<T> {
    /// The human-readable answer (becomes the text content).
    pub text: String,
    /// The typed answer (becomes the structured content).
    pub data: T,
}

impl<T> Reply<T> {
    /// A reply with `text` and `data`.
    pub fn new(text: impl Into<String>, data: T) -> Self {
        Self {
            text: text.into(),
            data,
        }
    }
}

impl<T: Serialize + JsonSchema + 'static> IntoCallToolResult for Reply<T> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        let value = serde_json::to_value(self.data).map_err(|e| {
            ErrorData::internal_error(format!("cannot serialize the result: {e}"), None)
        })?;
        let mut result = CallToolResult::structured(value);
        result.content = vec![ContentBlock::text(self.text)];
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, JsonSchema)]
    struct Out {
        n: u32,
    }

    #[test]
    fn text_goes_to_content_and_data_to_structured_content() {
        let r = Reply::new("hello", Out { n: 3 })
            .into_call_tool_result()
            .unwrap();
        let rmcp::model::CallToolResponse::Complete(r) = r else {
            panic!("not a complete result")
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["content"][0]["text"], "hello");
        assert_eq!(v["structuredContent"]["n"], 3);
        assert_eq!(v["isError"], false);
    }
}
