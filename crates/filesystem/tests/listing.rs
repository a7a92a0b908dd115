//! Listing, tree, search and metadata tools through the real binary, including their caps: a
//! tree or search bigger than FS_MAX_ENTRIES answers truncated and says so.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::json;

async fn tree_fixture(env: &[(&str, &str)]) -> common::Fixture {
    let f = common::start(env).await;
    f.write("Cargo.toml", "[package]\n");
    f.write("src/main.rs", "fn main() {}\n");
    f.write("src/lib.rs", "pub fn lib() {}\n");
    f.write("src/deep/util.rs", "pub fn util() {}\n");
    f.write("target/debug/app", "binary");
    f.write(".gitignore", "target/\n");
    f.write("docs/guide.md", "# Guide\n");
    std::os::unix::fs::symlink("src", f.path("src_link")).unwrap();
    f
}

#[tokio::test]
async fn list_directory_tags_entries_and_sizes_add_up() {
    let f = tree_fixture(&[]).await;
    let t = f.text("list_directory", json!({"path": "."})).await;
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines,
        [
            "[FILE] .gitignore",
            "[FILE] Cargo.toml",
            "[DIR] docs",
            "[DIR] src",
            "[LINK] src_link -> src",
            "[DIR] target"
        ]
    );
    let r = f
        .ok(
            "list_directory_with_sizes",
            json!({"path": "src", "sortBy": "size"}),
        )
        .await;
    let names: Vec<&str> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lib.rs", "main.rs", "deep"]);
    assert_eq!(r["files"], 2);
    assert_eq!(r["directories"], 1);
    assert_eq!(r["total_size"], 16 + 13);
    let t = f
        .text("list_directory_with_sizes", json!({"path": "src"}))
        .await;
    assert!(
        t.contains("Total: 2 files, 1 directories\nCombined size: 29 B"),
        "{t}"
    );
    let e = f.err("list_directory", json!({"path": "Cargo.toml"})).await;
    assert!(e.contains("is not a directory"), "{e}");
    let e = f
        .err(
            "list_directory_with_sizes",
            json!({"path": ".", "sortBy": "colour"}),
        )
        .await;
    assert!(e.contains("sortBy") || e.contains("colour"), "{e}");
}

#[tokio::test]
async fn directory_tree_nests_excludes_and_limits_depth() {
    let f = tree_fixture(&[]).await;
    let r = f
        .ok(
            "directory_tree",
            json!({"path": ".", "excludePatterns": ["target", "*.md"]}),
        )
        .await;
    let tree = r["tree"].as_array().unwrap();
    let names: Vec<&str> = tree.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [".gitignore", "Cargo.toml", "docs", "src", "src_link"]
    );
    let src = &tree[3];
    assert_eq!(src["type"], "directory");
    assert_eq!(src["children"][0]["name"], "deep");
    assert_eq!(src["children"][0]["children"][0]["name"], "util.rs");
    assert_eq!(tree[4]["type"], "symlink");
    assert!(
        tree[4].get("children").is_none(),
        "symlinks are not entered"
    );
    assert_eq!(tree[2]["children"], json!([]), "*.md excluded");
    assert!(r.get("truncated").is_none());

    let t = f
        .text("directory_tree", json!({"path": "src", "maxDepth": 1}))
        .await;
    assert_eq!(
        t,
        format!("{}/\n  deep/\n  lib.rs\n  main.rs\n", f.arg("src"))
    );
    let r = f
        .ok(
            "directory_tree",
            json!({"path": ".", "respectGitignore": true}),
        )
        .await;
    assert!(!r.to_string().contains("\"target\""), "{r}");
    let e = f
        .err(
            "directory_tree",
            json!({"path": ".", "excludePatterns": ["a[b"]}),
        )
        .await;
    assert!(e.starts_with("invalid excludePatterns: bad glob"), "{e}");
}

#[tokio::test]
async fn big_trees_are_truncated_and_say_so() {
    let f = common::start(&[("FS_MAX_ENTRIES", "25")]).await;
    for d in 0..5 {
        for i in 0..10 {
            f.write(&format!("d{d}/f{i}.txt"), "x");
        }
    }
    let r = f.ok("directory_tree", json!({"path": "."})).await;
    assert_eq!(r["entries"], 25);
    assert!(
        r["truncated"].as_str().unwrap().contains("FS_MAX_ENTRIES"),
        "{r}"
    );
    // Level by level: every top directory is there even though the tree was cut.
    let tops: Vec<&str> = r["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(tops, ["d0", "d1", "d2", "d3", "d4"]);
    let t = f.text("directory_tree", json!({"path": "."})).await;
    assert!(t.contains("(truncated: entry limit"), "{t}");

    let r = f
        .ok("search_files", json!({"path": ".", "pattern": "*.txt"}))
        .await;
    assert_eq!(r["matches"].as_array().unwrap().len(), 25);
    assert!(r["truncated"].is_string());
    let r = f
        .ok("code_find_file", json!({"name_pattern": "*.txt"}))
        .await;
    assert_eq!(r["matches"].as_array().unwrap().len(), 25);
    let r = f
        .ok(
            "code_list_files",
            json!({"recursive": true, "max_files": 7}),
        )
        .await;
    assert_eq!(r["files"].as_array().unwrap().len(), 7);
    assert!(r["truncated"].is_string());
}

#[tokio::test]
async fn search_files_matches_names_or_relative_paths() {
    let f = tree_fixture(&[]).await;
    let r = f
        .ok("search_files", json!({"path": ".", "pattern": "*.rs"}))
        .await;
    assert_eq!(
        r["matches"],
        json!([
            f.arg("src/deep/util.rs"),
            f.arg("src/lib.rs"),
            f.arg("src/main.rs")
        ])
    );
    // A bare name finds files at any depth (server-filesystem would need **/main*).
    let r = f
        .ok("search_files", json!({"path": ".", "pattern": "main*"}))
        .await;
    assert_eq!(r["matches"], json!([f.arg("src/main.rs")]));
    let r = f
        .ok("search_files", json!({"path": ".", "pattern": "src/*.rs"}))
        .await;
    assert_eq!(
        r["matches"],
        json!([f.arg("src/lib.rs"), f.arg("src/main.rs")])
    );
    let r = f
        .ok(
            "search_files",
            json!({"path": ".", "pattern": "*.rs", "excludePatterns": ["deep"]}),
        )
        .await;
    assert_eq!(r["matches"].as_array().unwrap().len(), 2);
    let t = f
        .text("search_files", json!({"path": ".", "pattern": "*.zig"}))
        .await;
    assert_eq!(t, "No matches found");
    let e = f
        .err("search_files", json!({"path": ".", "pattern": ""}))
        .await;
    assert!(e.starts_with("invalid pattern"), "{e}");
}

#[tokio::test]
async fn the_original_listing_tools_keep_their_shape() {
    let f = tree_fixture(&[]).await;
    let r = f
        .ok(
            "code_find_file",
            json!({"name_pattern": "*.rs", "path": "src"}),
        )
        .await;
    assert_eq!(r["matches"], json!(["deep/util.rs", "lib.rs", "main.rs"]));
    let r = f.ok("code_list_files", json!({"path": "src"})).await;
    let files: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["lib.rs", "main.rs"], "not recursive by default");
    assert_eq!(r["files"][0]["size"], 16);
    let r = f
        .ok(
            "code_list_files",
            json!({"path": ".", "pattern": "*.rs", "recursive": true}),
        )
        .await;
    assert_eq!(
        r["files"].as_array().unwrap().len(),
        3,
        "symlinked src/ not listed twice"
    );
    let e = f.err("code_list_files", json!({"max_files": 0})).await;
    assert!(e.starts_with("invalid max_files"), "{e}");
}

#[tokio::test]
async fn file_info_tools_describe_files_and_links() {
    let f = tree_fixture(&[]).await;
    std::fs::set_permissions(
        f.path("Cargo.toml"),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    let r = f.ok("get_file_info", json!({"path": "Cargo.toml"})).await;
    assert_eq!(r["type"], "file");
    assert_eq!(r["size"], 10);
    assert_eq!(r["permissions"], "640");
    assert_eq!(r["isFile"], true);
    assert!(r["modified"].as_str().unwrap().ends_with('Z'));
    let r = f.ok("get_file_info", json!({"path": "src_link"})).await;
    assert_eq!(r["type"], "directory");
    assert_eq!(r["path"], f.arg("src"));
    assert_eq!(r["symlinkPath"], f.arg("src_link"));

    let r = f.ok("code_get_info", json!({"path": "src/main.rs"})).await;
    assert_eq!(r["language"], "Rust");
    assert_eq!(r["lines"], 1);
    assert_eq!(r["binary"], false);
    f.write("bin/tool", "#!/usr/bin/env python3\nprint(1)\n");
    let r = f.ok("code_get_info", json!({"path": "bin/tool"})).await;
    assert_eq!(r["language"], "Python");
    let e = f.err("code_get_info", json!({"path": "src"})).await;
    assert!(e.contains("is not a file"), "{e}");

    let r = f.ok("list_allowed_directories", json!({})).await;
    assert_eq!(r["directories"], json!([f.root.display().to_string()]));
    assert_eq!(r["readOnly"], false);
    let t = f.text("list_allowed_directories", json!({})).await;
    assert_eq!(t, format!("Allowed directories:\n{}", f.root.display()));
}
