//! docs/CONFIGURATION.md documents every `CORTEX_*` variable the cluster reads, and docs/TOOLS.md
//! every tool.

mod common;

fn doc(name: &str) -> String {
    let path = format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn configuration_doc_lists_every_cortex_variable() {
    let doc = doc("CONFIGURATION.md");
    let missing: Vec<_> = sanctuary_cortex::CORTEX_VARS
        .iter()
        .filter(|v| !doc.contains(&format!("`{}`", v.name)))
        .map(|v| v.name)
        .collect();
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md does not document {missing:?}"
    );
}

#[test]
fn tools_doc_lists_every_cortex_tool() {
    let doc = doc("TOOLS.md");
    let missing: Vec<_> = common::TOOLS
        .iter()
        .filter(|t| !doc.contains(&format!("`{t}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/TOOLS.md does not document {missing:?}"
    );
}
