//! docs/CONFIGURATION.md documents every `UTILS_*` variable the cluster reads.

use fleet_testkit::docs;

#[test]
fn configuration_doc_lists_every_utils_variable() {
    let missing = docs::missing(
        &docs::doc("CONFIGURATION.md"),
        sanctuary_utils::UTILS_VARS.iter().map(|v| v.name),
    );
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md does not document {missing:?}"
    );
}
