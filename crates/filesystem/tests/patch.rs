//! `apply_patch` through the real binary: multi-file patches (modify, create, delete, rename)
//! in `diff -u` and `git diff` form, dry runs, hunks at an offset, and failures that name the
//! file, hunk and line while writing nothing at all.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::json;

const GIT_PATCH: &str = "\
diff --git a/src/a.txt b/src/a.txt
index 1111111..2222222 100644
--- a/src/a.txt
+++ b/src/a.txt
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
diff --git a/new.txt b/new.txt
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/new.txt
@@ -0,0 +1,2 @@
+fresh
+file
diff --git a/old.txt b/old.txt
deleted file mode 100644
index 4444444..0000000
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/keep.txt b/kept.txt
similarity index 80%
rename from keep.txt
rename to kept.txt
index 5555555..6666666 100644
--- a/keep.txt
+++ b/kept.txt
@@ -1,2 +1,2 @@
 k1
-k2
+K2
";

fn setup(f: &common::Fixture) {
    f.write("src/a.txt", "one\ntwo\nthree\n");
    f.write("old.txt", "bye\n");
    f.write("keep.txt", "k1\nk2\n");
}

#[tokio::test]
async fn a_git_patch_modifies_creates_deletes_and_renames() {
    let f = common::start(&[]).await;
    setup(&f);
    let r = f
        .ok("apply_patch", json!({"patch": GIT_PATCH, "dryRun": true}))
        .await;
    assert_eq!(r["dryRun"], true);
    let actions: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["modify", "create", "delete", "rename"]);
    assert_eq!(
        common::files_under(&f.root),
        ["keep.txt", "old.txt", "src/a.txt"],
        "dry run"
    );

    let t = f.text("apply_patch", json!({"patch": GIT_PATCH})).await;
    assert!(
        t.contains(&format!("modify {} (1 hunk(s), +1 -1)", f.arg("src/a.txt"))),
        "{t}"
    );
    assert_eq!(
        common::files_under(&f.root),
        ["kept.txt", "new.txt", "src/a.txt"]
    );
    assert_eq!(f.read("src/a.txt"), "one\nTWO\nthree\n");
    assert_eq!(f.read("new.txt"), "fresh\nfile\n");
    assert_eq!(f.read("kept.txt"), "k1\nK2\n");
}

#[tokio::test]
async fn a_plain_unified_diff_applies_at_an_offset_relative_to_path() {
    let f = common::start(&[]).await;
    f.write("pkg/conf.ini", "# header\n# more\n[a]\nx = 1\ny = 2\n");
    let patch = "--- conf.ini\n+++ conf.ini\n@@ -1,3 +1,3 @@\n [a]\n-x = 1\n+x = 10\n y = 2\n";
    let r = f
        .ok("apply_patch", json!({"patch": patch, "path": "pkg"}))
        .await;
    assert_eq!(r["files"][0]["offsets"], json!(["hunk 1: +2 lines"]));
    assert_eq!(
        f.read("pkg/conf.ini"),
        "# header\n# more\n[a]\nx = 10\ny = 2\n"
    );
}

#[tokio::test]
async fn a_failing_hunk_is_explained_and_nothing_is_written() {
    let f = common::start(&[]).await;
    setup(&f);
    f.write("src/a.txt", "one\n2\nthree\n");
    let e = f.err("apply_patch", json!({"patch": GIT_PATCH})).await;
    assert!(
        e.starts_with(&format!(
            "file 1 ({}): hunk 1 of 1 (@@ -1,3 +1,3 @@) does not apply: line 2 is \"2\" but the hunk expects \"two\" there",
            f.arg("src/a.txt")
        )),
        "{e}"
    );
    assert!(e.ends_with("nothing was written"), "{e}");
    assert_eq!(
        common::files_under(&f.root),
        ["keep.txt", "old.txt", "src/a.txt"]
    );
    assert_eq!(f.read("old.txt"), "bye\n");

    // A later file failing stops the earlier ones too.
    f.write("src/a.txt", "one\ntwo\nthree\n");
    f.write("keep.txt", "k1\nchanged\n");
    let e = f.err("apply_patch", json!({"patch": GIT_PATCH})).await;
    assert!(e.starts_with("file 4"), "{e}");
    assert_eq!(f.read("src/a.txt"), "one\ntwo\nthree\n");
    assert!(!f.path("new.txt").exists());

    // Creating what exists, deleting what differs.
    let e = f
        .err(
            "apply_patch",
            json!({"patch": "--- /dev/null\n+++ b/old.txt\n@@ -0,0 +1 @@\n+x\n"}),
        )
        .await;
    assert!(e.contains("which already exists"), "{e}");
    let e = f
        .err(
            "apply_patch",
            json!({"patch": "--- a/missing.txt\n+++ b/missing.txt\n@@ -1 +1 @@\n-a\n+b\n"}),
        )
        .await;
    assert!(e.contains("does not exist"), "{e}");
}

#[tokio::test]
async fn bad_patches_and_escaping_paths_are_refused() {
    let f = common::start(&[]).await;
    f.write("a.txt", "a\n");
    let e = f
        .err("apply_patch", json!({"patch": "this is not a diff"}))
        .await;
    assert!(e.starts_with("invalid patch: not a unified diff"), "{e}");
    let escape = "--- a/../outside/secret.txt\n+++ b/../outside/secret.txt\n@@ -1 +1 @@\n-TOP SECRET outside the jail\n+pwned\n";
    let e = f.err("apply_patch", json!({"patch": escape})).await;
    assert!(e.contains("escapes the allowed roots"), "{e}");
    let abs = format!(
        "--- {0}\n+++ {0}\n@@ -1 +1 @@\n-TOP SECRET outside the jail\n+pwned\n",
        f.outside.join("secret.txt").display()
    );
    let e = f
        .err("apply_patch", json!({"patch": abs, "strip": 0}))
        .await;
    assert!(e.contains("escapes the allowed roots"), "{e}");
    assert_eq!(
        std::fs::read_to_string(f.outside.join("secret.txt")).unwrap(),
        "TOP SECRET outside the jail\n"
    );
    let e = f
        .err(
            "apply_patch",
            json!({"patch": "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n", "path": "nope"}),
        )
        .await;
    assert!(e.starts_with("invalid path"), "{e}");
}
