//! docs/CONFIGURATION.md documents every `FS_*` variable the cluster reads, docs/TOOLS.md lists
//! every tool, and the crate keeps its architecture invariants: no sockets, no ambient paths.

#![allow(clippy::unwrap_used)]

mod common;

use fleet_testkit::docs;

#[test]
fn configuration_doc_lists_every_filesystem_variable() {
    let missing = docs::missing(
        &docs::doc("CONFIGURATION.md"),
        sanctuary_filesystem::FS_VARS.iter().map(|v| v.name),
    );
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md does not document {missing:?}"
    );
}

#[test]
fn tools_doc_lists_every_filesystem_tool() {
    let doc = docs::doc("TOOLS.md");
    let missing = docs::missing(
        docs::section(&doc, "## sanctuary-filesystem"),
        common::TOOLS,
    );
    assert!(
        missing.is_empty(),
        "docs/TOOLS.md does not list {missing:?}"
    );
}

/// Every `.rs` file under `src/`, with its non-test code.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                // Unit tests build their fixtures with std::fs; only the code above them counts.
                let text = std::fs::read_to_string(&p).unwrap();
                let code = text
                    .split("#[cfg(test)]")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                out.push((p.display().to_string(), code));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    assert!(out.len() > 10);
    out
}

#[test]
fn the_crate_opens_no_socket() {
    let cargo =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let deps = cargo.split("[dev-dependencies]").next().unwrap_or_default();
    for net in ["reqwest", "hyper", "axum", "tokio-tungstenite"] {
        assert!(!deps.contains(net), "Cargo.toml depends on {net}");
    }
    for (file, text) in sources() {
        for net in [
            "TcpStream",
            "TcpListener",
            "UdpSocket",
            "UnixStream",
            "UnixListener",
            "std::net",
            "tokio::net",
            "connect_unix",
            "bind_unix",
        ] {
            assert!(!text.contains(net), "{file} mentions {net}");
        }
    }
}

#[test]
fn no_tool_opens_an_ambient_path() {
    // Only the jail opens roots and only the audit log opens its file; everything else goes
    // through directory handles.
    for (file, text) in sources() {
        let allowed =
            file.ends_with("jail.rs") || file.ends_with("audit.rs") || file.ends_with("config.rs");
        for ambient in [
            "std::fs::File::open",
            "File::open(",
            "fs::read_to_string(",
            "fs::read(",
            "fs::write(",
            "OpenOptions::new().open",
            "open_ambient",
            "fs::read_dir(",
            "fs::remove_file(",
            "fs::rename(",
            "fs::create_dir",
            "fs::metadata(",
            "fs::symlink_metadata(",
            "fs::canonicalize(",
        ] {
            if allowed {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                assert!(
                    !code.contains(ambient),
                    "{file}:{}: {ambient} outside the jail: {line}",
                    n + 1
                );
            }
        }
    }
}
