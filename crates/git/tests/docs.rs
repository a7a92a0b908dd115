//! The documentation keeps up with the code: docs/CONFIGURATION.md lists every `GIT_*` variable,
//! docs/TOOLS.md every tool and every safety rule's id.

#![allow(clippy::unwrap_used)]

mod common;

use fleet_testkit::docs;

#[test]
fn configuration_doc_lists_every_git_variable() {
    let missing = docs::missing(
        &docs::doc("CONFIGURATION.md"),
        sanctuary_git::GIT_VARS.iter().map(|v| v.name),
    );
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md does not document {missing:?}"
    );
}

#[test]
fn tools_doc_lists_every_tool_and_rule() {
    let doc = docs::doc("TOOLS.md");
    let section = docs::section(&doc, "## sanctuary-git");
    let missing = docs::missing(section, common::TOOLS);
    assert!(
        missing.is_empty(),
        "docs/TOOLS.md does not describe {missing:?}"
    );
    let rules = docs::missing(section, sanctuary_git::rules::RULES.iter().map(|r| r.id));
    assert!(
        rules.is_empty(),
        "docs/TOOLS.md does not describe rules {rules:?}"
    );
}
