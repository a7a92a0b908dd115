//! The documentation matches the code: docs/CONFIGURATION.md lists every variable the cluster
//! reads, docs/TOOLS.md every tool; and the binary's `--help` lists the variables too.

#![allow(clippy::unwrap_used)]

mod common;

fn doc(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_default()
}

#[test]
fn configuration_doc_lists_every_network_variable() {
    let doc = doc("CONFIGURATION.md");
    let missing: Vec<_> = sanctuary_network::NET_VARS
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
fn tools_doc_lists_every_tool() {
    let doc = doc("TOOLS.md");
    let section = doc.split("## sanctuary-network").nth(1).unwrap_or_default();
    for tool in common::TOOLS {
        assert!(
            section.contains(&format!("`{tool}`")),
            "docs/TOOLS.md does not list {tool}"
        );
    }
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
