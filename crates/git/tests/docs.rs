//! The documentation keeps up with the code: docs/CONFIGURATION.md lists every `GIT_*` variable,
//! docs/TOOLS.md every tool and every safety rule's id.

#![allow(clippy::unwrap_used)]

mod common;

fn doc(name: &str) -> String {
    let path = format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn configuration_doc_lists_every_git_variable() {
    let doc = doc("CONFIGURATION.md");
    let missing: Vec<_> = sanctuary_git::GIT_VARS
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
fn tools_doc_lists_every_tool_and_rule() {
    let doc = doc("TOOLS.md");
    let section = doc.split("## sanctuary-git").nth(1).unwrap_or_default();
    let missing: Vec<_> = common::TOOLS
        .iter()
        .filter(|t| !section.contains(&format!("`{t}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/TOOLS.md does not describe {missing:?}"
    );
    let rules: Vec<_> = sanctuary_git::rules::RULES
        .iter()
        .filter(|r| !section.contains(&format!("`{}`", r.id)))
        .map(|r| r.id)
        .collect();
    assert!(
        rules.is_empty(),
        "docs/TOOLS.md does not describe rules {rules:?}"
    );
}
