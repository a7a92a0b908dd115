//! docs/CONFIGURATION.md documents every `UTILS_*` variable the cluster reads.

#[test]
fn configuration_doc_lists_every_utils_variable() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/CONFIGURATION.md");
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    let missing: Vec<_> = sanctuary_utils::UTILS_VARS
        .iter()
        .filter(|v| !doc.contains(&format!("`{}`", v.name)))
        .map(|v| v.name)
        .collect();
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md does not document {missing:?}"
    );
}
