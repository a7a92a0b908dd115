//! How one tool answers both contracts at once, with fleet-core's [`Reply`].
//!
//! mcp-server-git answers in plain text ("Repository status:\n…", "Changes committed successfully
//! with hash …"), the original fleet in its own text, and a typed client wants fields. A `Reply`
//! carries the human text as the result's `content` and the typed value as `structuredContent`
//! (described by the tool's `outputSchema`), so a text-reading caller and a field-reading caller
//! both get what they expect from the same call.

pub use fleet_core::Reply;
use schemars::JsonSchema;

/// The output schema of `T`, for `#[tool(output_schema = schema::<T>())]`.
pub fn schema<T: JsonSchema + 'static>() -> std::sync::Arc<rmcp::model::JsonObject> {
    rmcp::handler::server::tool::schema_for_output::<T>()
}

/// Cut `text` to at most `max` bytes on a character boundary; returns whether it was cut.
pub fn cap(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_respects_char_boundaries() {
        let mut s = "héllo".to_owned();
        assert!(cap(&mut s, 2));
        assert_eq!(s, "h");
        let mut s = "abc".to_owned();
        assert!(!cap(&mut s, 3));
    }
}
