//! Code tools through the real binary: analysis (languages, counts, outlines), and external
//! tools that are really installed here (`rustfmt` from the Rust toolchain, Python's own
//! compiler as `py_compile`) next to ones that are not (`ruff`), which must be named as missing.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::json;

#[tokio::test]
async fn code_analyze_outlines_a_file() {
    let f = common::start(&[]).await;
    f.write(
        "src/lib.rs",
        "//! Crate doc.\n\n/// A point.\npub struct Point {\n    x: i32,\n}\n\nimpl Point {\n    pub fn new() -> Self {\n        Point { x: 0 }\n    }\n}\n",
    );
    let r = f.ok("code_analyze", json!({"path": "src/lib.rs"})).await;
    assert_eq!(r["language"], "Rust");
    assert_eq!(r["totals"]["code"], 8);
    assert_eq!(r["totals"]["comments"], 2);
    assert_eq!(r["totals"]["blanks"], 2);
    assert_eq!(r["outline_supported"], true);
    let symbols: Vec<(String, String, u64, u64)> = r["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["name"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
                s["depth"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        symbols,
        [
            ("struct".into(), "Point".into(), 4, 0),
            ("impl".into(), "Point".into(), 8, 0),
            ("method".into(), "new".into(), 9, 1)
        ]
    );
    let t = f.text("code_analyze", json!({"path": "src/lib.rs"})).await;
    assert!(
        t.contains("outline:\n  struct Point (4-6)\n  impl Point (8-12)\n    method new (9-11)"),
        "{t}"
    );

    f.write("README.md", "# Title\n\n## Install\n\ntext\n");
    let r = f.ok("code_analyze", json!({"path": "README.md"})).await;
    assert_eq!(r["symbols"][1]["name"], "Install");
    assert_eq!(r["symbols"][1]["depth"], 1);
    f.write("data.toml", "a = 1\n");
    let r = f
        .ok(
            "code_analyze",
            json!({"path": "data.toml", "outline": true}),
        )
        .await;
    assert_eq!(r["language"], "TOML");
    assert_eq!(r["outline_supported"], false);
    let e = f.err("code_analyze", json!({"path": "nope.rs"})).await;
    assert!(e.contains("does not exist"), "{e}");
}

#[tokio::test]
async fn code_analyze_counts_a_directory_per_language() {
    let f = common::start(&[]).await;
    f.write("a.rs", "fn a() {}\n// c\n");
    f.write("b.rs", "fn b() {}\nfn c() {}\n");
    f.write("s.py", "x = 1\n");
    f.write("ignored/x.py", "y = 2\n");
    f.write(".gitignore", "ignored/\n");
    std::fs::write(f.path("blob.bin"), b"\0\0").unwrap();
    let r = f.ok("code_analyze", json!({"path": "."})).await;
    assert_eq!(r["kind"], "directory");
    assert_eq!(r["languages"][0]["language"], "Rust");
    assert_eq!(r["languages"][0]["files"], 2);
    assert_eq!(r["languages"][0]["code"], 3);
    assert_eq!(r["languages"][0]["comments"], 1);
    assert_eq!(r["languages"][1]["language"], "Python");
    assert_eq!(r["languages"][1]["files"], 1, "ignored/ honoured");
    assert_eq!(r["largest"][0]["path"], f.arg("b.rs"));
    assert_eq!(r["skipped"], 1, "the binary file");
}

#[tokio::test]
async fn code_check_tools_names_what_is_installed_and_what_is_missing() {
    let f = common::start(&[]).await;
    let r = f.ok("code_check_tools", json!({})).await;
    let installed: Vec<&str> = r["installed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(installed.contains(&"rustfmt (format)"), "{installed:?}");
    assert!(installed.contains(&"py_compile (lint)"), "{installed:?}");
    let rustfmt = r["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "rustfmt")
        .unwrap();
    assert!(
        rustfmt["version"].as_str().unwrap().starts_with("rustfmt"),
        "{rustfmt}"
    );
    // The original fleet's Python tools: this machine has none of them, and says so.
    let missing = r["missing"].as_array().unwrap();
    assert!(missing.contains(&json!("ruff (lint)")) || installed.contains(&"ruff (lint)"));
    assert_eq!(
        installed.len() + missing.len(),
        r["tools"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn code_format_runs_rustfmt_on_the_content() {
    let f = common::start(&[]).await;
    let ugly = "fn main(){let x=1;println!(\"{}\",x);}\n";
    f.write("main.rs", ugly);
    let r = f
        .ok(
            "code_format",
            json!({"path": "main.rs", "check_only": true}),
        )
        .await;
    assert_eq!(r["tool"], "rustfmt");
    assert_eq!(r["changed"], true);
    assert_eq!(r["written"], false);
    assert!(
        r["diff"].as_str().unwrap().contains("+    let x = 1;"),
        "{r}"
    );
    assert_eq!(f.read("main.rs"), ugly);

    let r = f.ok("code_format", json!({"path": "main.rs"})).await;
    assert_eq!(r["written"], true);
    let pretty = "fn main() {\n    let x = 1;\n    println!(\"{}\", x);\n}\n";
    assert_eq!(f.read("main.rs"), pretty);
    let r = f.ok("code_format", json!({"path": "main.rs"})).await;
    assert_eq!(r["changed"], false);

    f.write("broken.rs", "fn main( {\n");
    let e = f.err("code_format", json!({"path": "broken.rs"})).await;
    assert!(e.starts_with("rustfmt could not format"), "{e}");
    assert_eq!(f.read("broken.rs"), "fn main( {\n");
    let e = f
        .err("code_format", json!({"path": "main.rs", "tool": "nope"}))
        .await;
    assert!(e.contains("not a known formatter"), "{e}");
    f.write("notes.txt", "x");
    let e = f.err("code_format", json!({"path": "notes.txt"})).await;
    assert!(e.contains("no formatter is known for Plain Text"), "{e}");
    let e = f.err("code_format", json!({"path": "."})).await;
    assert!(e.contains("formats one file"), "{e}");
}

#[tokio::test]
async fn code_lint_runs_an_installed_linter_and_names_missing_ones() {
    let f = common::start(&[]).await;
    f.write("good.py", "x = 1\n");
    f.write("bad.py", "def f(:\n    pass\n");
    let r = f
        .ok("code_lint", json!({"path": "bad.py", "tool": "py_compile"}))
        .await;
    assert_eq!(r["clean"], false);
    assert_eq!(r["issues"], 1);
    let out = r["files"][0]["output"].as_str().unwrap();
    assert!(
        out.starts_with(&format!("{}:1:", f.arg("bad.py"))) && out.contains("SyntaxError"),
        "{out}"
    );
    let r = f
        .ok(
            "code_lint",
            json!({"path": "good.py", "tool": "py_compile"}),
        )
        .await;
    assert_eq!(r["clean"], true);
    let r = f
        .ok("code_lint", json!({"path": ".", "tool": "py_compile"}))
        .await;
    assert_eq!(r["files"].as_array().unwrap().len(), 2);
    assert_eq!(r["issues"], 1);

    let e = f
        .err(
            "code_lint",
            json!({"path": "good.py", "tool": "mypy-but-wrong"}),
        )
        .await;
    assert!(e.starts_with("invalid tool"), "{e}");
    // ruff is the original fleet's default; when it is not installed the error says what is.
    let r = fleet_testkit::call(
        &f.client,
        "code_lint",
        json!({"path": "good.py", "tool": "ruff"}),
    )
    .await
    .unwrap();
    if fleet_testkit::is_error(&r) {
        let e = fleet_testkit::text(&r);
        assert!(
            e.contains("ruff is not installed") && e.contains("py_compile"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn external_tools_are_killed_at_the_time_limit() {
    let f = common::start(&[("FS_EXEC_TIMEOUT", "1ms")]).await;
    f.write("a.py", "x = 1\n");
    let e = f
        .err("code_lint", json!({"path": "a.py", "tool": "py_compile"}))
        .await;
    assert!(
        e.contains("did not finish within") && e.contains("FS_EXEC_TIMEOUT"),
        "{e}"
    );
}
