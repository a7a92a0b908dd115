//! Repository hygiene: every Rust source file starts with a `//!` doc saying what it holds, and
//! docs/CONFIGURATION.md documents every variable fleet-core reads.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_has_a_module_doc() {
    let mut files = Vec::new();
    let crates = workspace_root().join("crates");
    for krate in std::fs::read_dir(&crates).expect("crates/").flatten() {
        for sub in ["src", "tests", "benches", "examples"] {
            rust_files(&krate.path().join(sub), &mut files);
        }
    }
    assert!(files.len() > 10, "found only {} files", files.len());
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|f| f.strip_prefix(&crates).unwrap_or(f).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! module doc: {missing:?}"
    );
}

#[test]
fn configuration_doc_lists_every_core_variable() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/CONFIGURATION.md"))
        .expect("docs/CONFIGURATION.md");
    let missing: Vec<_> = fleet_core::config::CORE_VARS
        .iter()
        .filter(|v| !doc.contains(&format!("`{}`", v.name)))
        .map(|v| v.name)
        .collect();
    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md does not document {missing:?}"
    );
}
