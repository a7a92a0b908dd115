//! docs/CONFIGURATION.md documents every `CORTEX_*` variable the cluster reads, and docs/TOOLS.md
//! every tool.

mod common;

use fleet_testkit::docs;

#[test]
fn configuration_doc_lists_every_cortex_variable() {
    let missing = docs::missing(
        &docs::doc("CONFIGURATION.md"),
        sanctuary_cortex::CORTEX_VARS.iter().map(|v| v.name),
    );
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md does not document {missing:?}"
    );
}

#[test]
fn tools_doc_lists_every_cortex_tool() {
    let missing = docs::missing(&docs::doc("TOOLS.md"), common::TOOLS);
    assert!(
        missing.is_empty(),
        "docs/TOOLS.md does not document {missing:?}"
    );
}
