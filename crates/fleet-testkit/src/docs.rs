//! Checks that the documentation keeps up with the code: read a file of the workspace's `docs/`,
//! take the section of one cluster, and list the names it does not mention.

use std::path::Path;

/// The workspace's `docs/<name>`; empty when it cannot be read, so every name is then missing.
pub fn doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name);
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The part of `doc` after the first `heading` (e.g. `## sanctuary-git`), up to the heading's
/// next occurrence if any; empty when `heading` does not occur.
pub fn section<'a>(doc: &'a str, heading: &str) -> &'a str {
    doc.split(heading).nth(1).unwrap_or_default()
}

/// The `names` that `text` does not mention in backticks (`` `name` ``), in their order.
pub fn missing<'a>(text: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    names
        .into_iter()
        .filter(|name| !text.contains(&format!("`{name}`")))
        .collect()
}
