//! The documentation matches the code: docs/CONFIGURATION.md lists every variable the cluster
//! reads, docs/TOOLS.md every tool; and the binary's `--help` lists the variables too.

#![allow(clippy::unwrap_used)]

mod common;

use fleet_testkit::docs;

#[test]
fn configuration_doc_lists_every_network_variable() {
    let missing = docs::missing(
        &docs::doc("CONFIGURATION.md"),
        sanctuary_network::NET_VARS.iter().map(|v| v.name),
    );
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md does not document {missing:?}"
    );
}

#[test]
fn tools_doc_lists_every_tool() {
    let doc = docs::doc("TOOLS.md");
    let missing = docs::missing(docs::section(&doc, "## sanctuary-network"), common::TOOLS);
    assert!(
        missing.is_empty(),
        "docs/TOOLS.md does not list {missing:?}"
    );
}

#[test]
fn help_lists_every_variable() {
    let out = std::process::Command::new(common::BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for v in sanctuary_network::NET_VARS {
        assert!(help.contains(v.name), "--help lacks {}", v.name);
    }
    assert!(help.contains("DANGEROUS"));
}
