//! The read and write tools through the real binary on a real temporary tree: right answers for
//! good input, `isError` results naming the argument for bad input, and files on disk that
//! show what happened.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt as _;

use base64::Engine as _;
use fleet_testkit::{call, is_error, text};
use serde_json::json;

#[tokio::test]
async fn read_text_file_reads_whole_head_and_tail() {
    let f = common::start(&[("FS_MAX_READ_BYTES", "4096")]).await;
    f.write("a.txt", "one\ntwo\nthree\n");
    let r = f
        .ok("read_text_file", json!({"path": f.arg("a.txt")}))
        .await;
    assert_eq!(r["content"], "one\ntwo\nthree\n");
    assert_eq!(r["lines"], 3);
    assert_eq!(r["path"], f.arg("a.txt"));
    // Relative paths resolve against the root.
    let r = f
        .ok("read_text_file", json!({"path": "a.txt", "head": 2}))
        .await;
    assert_eq!(r["content"], "one\ntwo");
    // No off-by-one on the final newline (server-filesystem returns "three\n" plus an empty line).
    let r = f
        .ok("read_text_file", json!({"path": "a.txt", "tail": 2}))
        .await;
    assert_eq!(r["content"], "two\nthree");
    let t = f
        .text("read_file", json!({"path": "a.txt", "tail": 1}))
        .await;
    assert_eq!(t, "three");

    // A file over the cap is refused whole but head/tail still work on it.
    let big: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    f.write("big.log", &big);
    let e = f.err("read_text_file", json!({"path": "big.log"})).await;
    assert!(e.contains("the limit is 4096 (FS_MAX_READ_BYTES)"), "{e}");
    let r = f
        .ok("read_text_file", json!({"path": "big.log", "tail": 1}))
        .await;
    assert_eq!(r["content"], "line 999");

    let e = f
        .err(
            "read_text_file",
            json!({"path": "a.txt", "head": 1, "tail": 1}),
        )
        .await;
    assert!(
        e.contains("invalid head") && e.contains("cannot be given together"),
        "{e}"
    );
    let e = f
        .err("read_text_file", json!({"path": "missing.txt"}))
        .await;
    assert_eq!(
        e,
        format!("invalid path: {} does not exist", f.arg("missing.txt"))
    );
    std::fs::create_dir(f.path("dir")).unwrap();
    let e = f.err("read_text_file", json!({"path": "dir"})).await;
    assert!(e.contains("is a directory"), "{e}");
    std::fs::write(f.path("bin.dat"), b"ab\0cd").unwrap();
    let e = f.err("read_text_file", json!({"path": "bin.dat"})).await;
    assert!(
        e.contains("looks binary") && e.contains("read_media_file"),
        "{e}"
    );
    std::fs::write(f.path("latin1.txt"), b"caf\xe9\n").unwrap();
    let r = f.ok("read_text_file", json!({"path": "latin1.txt"})).await;
    assert_eq!(r["lossy"], true);
    let e = f.err("read_text_file", json!({})).await;
    assert!(e.contains("path"), "{e}");
}

#[tokio::test]
async fn a_fifo_never_hangs_a_read() {
    let f = common::start(&[]).await;
    let fifo = f.path("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let e = f.err("read_text_file", json!({"path": "pipe"})).await;
    assert!(e.contains("not a regular file"), "{e}");
    let e = f.err("read_media_file", json!({"path": "pipe"})).await;
    assert!(e.contains("not a regular file"), "{e}");
}

#[tokio::test]
async fn read_media_file_returns_image_audio_or_blob() {
    let f = common::start(&[]).await;
    let png = [0x89, b'P', b'N', b'G', 0, 1, 2, 3];
    std::fs::write(f.path("logo.png"), png).unwrap();
    std::fs::write(f.path("beep.wav"), b"RIFF....WAVE").unwrap();
    std::fs::write(f.path("data.bin"), [0u8, 1, 2]).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;

    let r = call(&f.client, "read_media_file", json!({"path": "logo.png"}))
        .await
        .unwrap();
    let img = r.content[0].as_image().expect("image content");
    assert_eq!(img.mime_type, "image/png");
    assert_eq!(b64.decode(&img.data).unwrap(), png);

    let r = call(&f.client, "read_media_file", json!({"path": "beep.wav"}))
        .await
        .unwrap();
    let audio = r.content[0].as_audio().expect("audio content");
    assert!(audio.mime_type.starts_with("audio/"), "{}", audio.mime_type);

    let r = call(&f.client, "read_media_file", json!({"path": "data.bin"}))
        .await
        .unwrap();
    let v = serde_json::to_value(&r.content[0]).unwrap();
    assert_eq!(v["type"], "resource");
    assert_eq!(v["resource"]["blob"], b64.encode([0u8, 1, 2]));
    assert_eq!(
        v["resource"]["uri"],
        format!("file://{}", f.arg("data.bin"))
    );
}

#[tokio::test]
async fn read_multiple_files_inlines_per_file_errors() {
    let f = common::start(&[]).await;
    f.write("a.txt", "A");
    f.write("b.txt", "B");
    let r = call(
        &f.client,
        "read_multiple_files",
        json!({"paths": ["a.txt", "nope.txt", "b.txt", "/etc/passwd"]}),
    )
    .await
    .unwrap();
    assert!(!is_error(&r));
    let s = fleet_testkit::structured(&r);
    let files = s["files"].as_array().unwrap();
    assert_eq!(files[0]["content"], "A");
    assert!(
        files[1]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
    assert_eq!(files[2]["content"], "B");
    assert!(
        files[3]["error"]
            .as_str()
            .unwrap()
            .contains("escapes the allowed roots")
    );
    let t = text(&r);
    assert!(
        t.contains("\n---\n") && t.contains("nope.txt: Error - "),
        "{t}"
    );
    assert!(!t.contains("root:x:0"), "/etc/passwd leaked: {t}");

    let e = f.err("read_multiple_files", json!({"paths": []})).await;
    assert!(e.starts_with("invalid paths: give 1 to 100 paths"), "{e}");
}

#[tokio::test]
async fn read_multiple_files_stays_within_the_output_cap() {
    let f = common::start(&[("FS_MAX_OUTPUT_BYTES", "1024")]).await;
    f.write("a.txt", &"a".repeat(600));
    f.write("b.txt", &"b".repeat(600));
    f.write("c.txt", &"c".repeat(100));
    let r = f
        .ok(
            "read_multiple_files",
            json!({"paths": ["a.txt", "b.txt", "c.txt"]}),
        )
        .await;
    let files = r["files"].as_array().unwrap();
    assert_eq!(files[0]["content"].as_str().unwrap().len(), 600);
    let e = files[1]["error"].as_str().unwrap();
    assert!(
        e.contains("the limit is 424 (what is left of FS_MAX_OUTPUT_BYTES"),
        "{e}"
    );
    assert_eq!(files[2]["content"].as_str().unwrap().len(), 100);
}

#[tokio::test]
async fn code_read_frames_the_file_and_honours_max_size() {
    let f = common::start(&[]).await;
    f.write("src/app.py", "print('hi')\n");
    let t = f.text("code_read", json!({"path": "src/app.py"})).await;
    let p = f.arg("src/app.py");
    assert_eq!(
        t,
        format!("===== {p} (12 bytes, 1 lines) =====\nprint('hi')\n\n===== end of {p} =====")
    );
    f.write("big.py", &"x = 1\n".repeat(500));
    let e = f
        .err("code_read", json!({"path": "big.py", "max_size_mb": 0.001}))
        .await;
    assert!(e.starts_with("invalid max_size_mb"), "{e}");
    let e = f
        .err("code_read", json!({"path": "big.py", "max_size_mb": -1}))
        .await;
    assert!(e.contains("not a positive number"), "{e}");
}

#[tokio::test]
async fn write_file_is_atomic_keeps_permissions_and_refuses_bad_targets() {
    let f = common::start(&[("FS_MAX_WRITE_BYTES", "2048")]).await;
    let r = f
        .ok(
            "write_file",
            json!({"path": "new.txt", "content": "hello\n"}),
        )
        .await;
    assert_eq!(r["created"], true);
    assert_eq!(r["bytes"], 6);
    assert_eq!(f.read("new.txt"), "hello\n");

    std::fs::set_permissions(f.path("new.txt"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = f
        .ok("write_file", json!({"path": "new.txt", "content": "bye\n"}))
        .await;
    assert_eq!(r["created"], false);
    assert_eq!(f.read("new.txt"), "bye\n");
    let mode = std::fs::metadata(f.path("new.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // No temporary file is left behind.
    assert_eq!(common::files_under(&f.root), ["new.txt"]);

    let e = f
        .err(
            "write_file",
            json!({"path": "no/such/dir/x.txt", "content": "x"}),
        )
        .await;
    assert!(e.contains("does not exist; create it first"), "{e}");
    std::fs::create_dir(f.path("d")).unwrap();
    let e = f
        .err("write_file", json!({"path": "d", "content": "x"}))
        .await;
    assert!(e.contains("is a directory"), "{e}");
    let e = f
        .err(
            "write_file",
            json!({"path": "huge.txt", "content": "x".repeat(3000)}),
        )
        .await;
    assert_eq!(
        e,
        "content is 3000 bytes; the limit is 2048 (FS_MAX_WRITE_BYTES)"
    );
    let e = f.err("write_file", json!({"path": "x.txt"})).await;
    assert!(e.contains("content"), "{e}");
}

#[tokio::test]
async fn guarded_files_cannot_shrink_by_more_than_half() {
    let f = common::start(&[]).await;
    let ignore = "target/\nnode_modules/\n*.log\n.env\ndist/\n";
    f.write(".gitignore", ignore);
    for tool in ["write_file", "code_write"] {
        let e = f
            .err(tool, json!({"path": ".gitignore", "content": "x\n"}))
            .await;
        assert!(
            e.starts_with("refused:") && e.contains("poka-yoke"),
            "{tool}: {e}"
        );
    }
    let e = f
        .err(
            "edit_file",
            json!({"path": ".gitignore", "edits": [{"oldText": "target/\nnode_modules/\n*.log\n", "newText": ""}]}),
        )
        .await;
    assert!(e.contains("poka-yoke"), "{e}");
    assert_eq!(f.read(".gitignore"), ignore);
    // Growing, or shrinking a little, is fine.
    f.ok(
        "write_file",
        json!({"path": ".gitignore", "content": "target/\nnode_modules/\n*.log\n"}),
    )
    .await;
    // Other files may shrink freely.
    f.write("notes.md", &"long ".repeat(100));
    f.ok(
        "write_file",
        json!({"path": "notes.md", "content": "short"}),
    )
    .await;
}

#[tokio::test]
async fn code_write_backs_up_and_creates_directories() {
    let f = common::start(&[]).await;
    let r = f
        .ok(
            "code_write",
            json!({"path": "pkg/mod/a.py", "content": "v = 1\n"}),
        )
        .await;
    assert_eq!(r["created"], true);
    assert!(r.get("backup").is_none());
    let r = f
        .ok(
            "code_write",
            json!({"path": "pkg/mod/a.py", "content": "v = 2\n"}),
        )
        .await;
    let backup = r["backup"].as_str().unwrap();
    assert!(
        backup.starts_with(&f.arg("pkg/mod/a.py.")) && backup.ends_with(".bak"),
        "{backup}"
    );
    assert_eq!(std::fs::read_to_string(backup).unwrap(), "v = 1\n");
    assert_eq!(f.read("pkg/mod/a.py"), "v = 2\n");
    // Two writes in the same second get distinct backups.
    let r2 = f
        .ok(
            "code_write",
            json!({"path": "pkg/mod/a.py", "content": "v = 3\n"}),
        )
        .await;
    assert_ne!(r2["backup"], r["backup"]);
    let r = f
        .ok(
            "code_write",
            json!({"path": "pkg/mod/a.py", "content": "v = 4\n", "backup": false}),
        )
        .await;
    assert!(r.get("backup").is_none());
    let e = f
        .err(
            "code_write",
            json!({"path": "x/y.py", "content": "", "create_dirs": false}),
        )
        .await;
    assert!(e.contains("does not exist"), "{e}");
}

#[tokio::test]
async fn edit_file_replaces_exactly_or_loosely_and_shows_a_diff() {
    let f = common::start(&[]).await;
    let src = "fn main() {\n    let x = 1;\n    println!(\"{x}\");\n}\n";
    f.write("main.rs", src);
    let r = f
        .ok(
            "edit_file",
            json!({"path": "main.rs", "dryRun": true, "edits": [{"oldText": "let x = 1;", "newText": "let x = 2;"}]}),
        )
        .await;
    assert_eq!(r["dryRun"], true);
    assert!(
        r["diff"]
            .as_str()
            .unwrap()
            .contains("-    let x = 1;\n+    let x = 2;\n")
    );
    assert_eq!(f.read("main.rs"), src, "a dry run writes nothing");

    let t = f
        .text(
            "edit_file",
            json!({"path": "main.rs", "edits": [
                {"oldText": "let x = 1;", "newText": "let x = 2;"},
                // Wrong indentation: found ignoring whitespace, re-indented to fit.
                {"oldText": "println!(\"{x}\");\n}", "newText": "println!(\"x = {x}\");\n}"}
            ]}),
        )
        .await;
    assert!(t.starts_with("```diff\n--- "), "{t}");
    assert_eq!(
        f.read("main.rs"),
        "fn main() {\n    let x = 2;\n    println!(\"x = {x}\");\n}\n"
    );

    f.write("dup.txt", "a\nb\na\n");
    let e = f
        .err(
            "edit_file",
            json!({"path": "dup.txt", "edits": [{"oldText": "a", "newText": "c"}]}),
        )
        .await;
    assert!(
        e.starts_with("invalid edits[0].oldText: matches 2 places (lines 1, 3)"),
        "{e}"
    );
    let e = f
        .err(
            "edit_file",
            json!({"path": "dup.txt", "edits": [{"oldText": "zzz", "newText": "c"}]}),
        )
        .await;
    assert!(e.contains("not found"), "{e}");
    let e = f
        .err("edit_file", json!({"path": "dup.txt", "edits": []}))
        .await;
    assert!(e.contains("invalid edits"), "{e}");
    let e = f
        .err(
            "edit_file",
            json!({"path": "gone.txt", "edits": [{"oldText": "a", "newText": "b"}]}),
        )
        .await;
    assert!(e.contains("does not exist"), "{e}");

    f.write("dos.txt", "one\r\ntwo\r\n");
    f.ok(
        "edit_file",
        json!({"path": "dos.txt", "edits": [{"oldText": "two", "newText": "2"}]}),
    )
    .await;
    assert_eq!(f.read("dos.txt"), "one\r\n2\r\n");
}

#[tokio::test]
async fn create_directory_and_move_file() {
    let f = common::start(&[]).await;
    let r = f.ok("create_directory", json!({"path": "a/b/c"})).await;
    assert_eq!(r["created"], true);
    let r = f.ok("create_directory", json!({"path": "a/b/c"})).await;
    assert_eq!(r["created"], false);
    f.write("file.txt", "x");
    let e = f.err("create_directory", json!({"path": "file.txt"})).await;
    assert!(e.contains("not a directory"), "{e}");

    let r = f
        .ok(
            "move_file",
            json!({"source": "file.txt", "destination": "a/b/c/moved.txt"}),
        )
        .await;
    assert_eq!(r["destination"], f.arg("a/b/c/moved.txt"));
    assert_eq!(r["copied"], false);
    assert_eq!(f.read("a/b/c/moved.txt"), "x");
    assert!(!f.path("file.txt").exists());

    f.write("other.txt", "o");
    let e = f
        .err(
            "move_file",
            json!({"source": "other.txt", "destination": "a/b/c/moved.txt"}),
        )
        .await;
    assert!(e.contains("already exists"), "{e}");
    assert_eq!(
        f.read("a/b/c/moved.txt"),
        "x",
        "the destination was not replaced"
    );
    let e = f
        .err(
            "move_file",
            json!({"source": "other.txt", "destination": "nope/x.txt"}),
        )
        .await;
    assert!(e.contains("does not exist; create it first"), "{e}");
    let e = f
        .err(
            "move_file",
            json!({"source": "missing", "destination": "x"}),
        )
        .await;
    assert!(e.starts_with("invalid source"), "{e}");
    let e = f
        .err(
            "move_file",
            json!({"source": "a", "destination": "a/b/inside"}),
        )
        .await;
    assert!(e.contains("into itself"), "{e}");
    let e = f
        .err(
            "move_file",
            json!({"source": f.root.display().to_string(), "destination": "x"}),
        )
        .await;
    assert!(e.contains("allowed root itself"), "{e}");

    // Directories move too.
    f.ok("move_file", json!({"source": "a", "destination": "z"}))
        .await;
    assert_eq!(f.read("z/b/c/moved.txt"), "x");
}

#[tokio::test]
async fn code_delete_removes_files_only_and_respects_protection() {
    let f = common::start(&[]).await;
    f.write("junk.log", "x");
    let r = f.ok("code_delete", json!({"path": "junk.log"})).await;
    assert_eq!(r["kind"], "file");
    assert!(!f.path("junk.log").exists());

    std::fs::create_dir(f.path("dir")).unwrap();
    let e = f.err("code_delete", json!({"path": "dir"})).await;
    assert!(e.contains("code_delete removes files only"), "{e}");

    for p in [
        ".env",
        "app/server.py",
        "x/__pycache__/m.pyc",
        ".git/config",
        "sub/.git/HEAD",
    ] {
        f.write(p, "keep");
        let e = f.err("code_delete", json!({"path": p})).await;
        assert!(
            e.contains("is protected") && e.contains("force"),
            "{p}: {e}"
        );
        assert!(f.path(p).exists());
    }
    f.ok("code_delete", json!({"path": ".env", "force": true}))
        .await;
    assert!(!f.path(".env").exists());

    // A symlink is removed as a link; its target stays.
    f.write("target.txt", "t");
    std::os::unix::fs::symlink(f.path("target.txt"), f.path("link")).unwrap();
    let r = f.ok("code_delete", json!({"path": "link"})).await;
    assert_eq!(r["kind"], "symlink");
    assert_eq!(f.read("target.txt"), "t");
}
