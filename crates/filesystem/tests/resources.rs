//! Files under the allowed roots as MCP `file://` resources, through the real binary: a capped
//! listing, the template, reading text and binary files, refusing anything outside the jail,
//! and completion of the template's `path` argument.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use rmcp::model::{
    ArgumentInfo, CompleteRequestParams, ReadResourceRequestParams, Reference, ResourceContents,
};

#[tokio::test]
async fn files_are_listed_as_resources_shallow_first_and_capped() {
    let f = common::start(&[("FS_MAX_RESOURCES", "4")]).await;
    f.write("a.md", "# A\n");
    f.write("deep/er/x.rs", "fn x() {}\n");
    f.write("deep/y.rs", "fn y() {}\n");
    f.write("z.txt", "z");
    f.write("ignored/i.txt", "i");
    f.write(".gitignore", "ignored/\n");
    let list = f.client.peer().list_all_resources().await.unwrap();
    let names: Vec<&str> = list.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a.md", "z.txt", "deep/y.rs", "deep/er/x.rs"]);
    let a = &list[0];
    assert_eq!(a.uri, format!("file://{}", f.arg("a.md")));
    assert_eq!(a.mime_type.as_deref(), Some("text/markdown"));
    assert_eq!(a.size, Some(4));
    assert!(a.description.is_some());

    let templates = f.client.peer().list_all_resource_templates().await.unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].uri_template, "file:///{+path}");
}

#[tokio::test]
async fn resources_are_read_through_the_jail() {
    let f = common::start(&[]).await;
    f.write("notes.txt", "hello\n");
    std::fs::write(f.path("img.png"), [0x89u8, b'P', 0, 1]).unwrap();
    std::os::unix::fs::symlink(f.outside.join("secret.txt"), f.path("leak")).unwrap();
    let read = |uri: String| {
        let peer = f.client.peer().clone();
        async move {
            peer.read_resource(ReadResourceRequestParams::new(uri))
                .await
        }
    };
    let r = read(format!("file://{}", f.arg("notes.txt")))
        .await
        .unwrap();
    match &r.contents[0] {
        ResourceContents::TextResourceContents {
            text, mime_type, ..
        } => {
            assert_eq!(text, "hello\n");
            assert_eq!(mime_type.as_deref(), Some("text/plain"));
        }
        other => panic!("expected text, got {other:?}"),
    }
    let r = read(format!("file://{}", f.arg("img.png"))).await.unwrap();
    match &r.contents[0] {
        ResourceContents::BlobResourceContents {
            blob, mime_type, ..
        } => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(blob)
                .unwrap();
            assert_eq!(bytes, [0x89u8, b'P', 0, 1]);
            assert_eq!(mime_type.as_deref(), Some("image/png"));
        }
        other => panic!("expected a blob, got {other:?}"),
    }
    for uri in [
        format!("file://{}", f.outside.join("secret.txt").display()),
        format!("file://{}/../outside/secret.txt", f.root.display()),
        format!("file://{}", f.arg("leak")),
        "file:///etc/passwd".to_owned(),
        "https://example.com/x".to_owned(),
    ] {
        let e = read(uri.clone()).await.unwrap_err().to_string();
        assert!(
            !e.contains("TOP SECRET") && !e.contains("root:x"),
            "{uri}: {e}"
        );
        assert!(
            e.contains("escapes") || e.contains("outside") || e.contains("not a file://"),
            "{uri}: {e}"
        );
    }
    let e = read(format!("file://{}", f.arg("missing.txt")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
}

#[tokio::test]
async fn the_path_argument_completes_from_the_directory_typed() {
    let f = common::start(&[]).await;
    f.write("src/main.rs", "");
    f.write("src/mod/x.rs", "");
    f.write("setup.py", "");
    let complete = |value: String| {
        let peer = f.client.peer().clone();
        async move {
            peer.complete(CompleteRequestParams::new(
                Reference::for_resource("file:///{+path}"),
                ArgumentInfo::new("path", value),
            ))
            .await
            .unwrap()
            .completion
            .values
        }
    };
    let base = f.root.display().to_string();
    let base = base.trim_start_matches('/');
    assert_eq!(
        complete(format!("{base}/s")).await,
        [format!("{base}/setup.py"), format!("{base}/src/")]
    );
    assert_eq!(
        complete(format!("{base}/src/")).await,
        [format!("{base}/src/main.rs"), format!("{base}/src/mod/")]
    );
    // Above the roots, the roots are offered; outside them, nothing.
    assert_eq!(complete(base[..3].to_owned()).await, [format!("{base}/")]);
    assert!(complete("etc/pa".to_owned()).await.is_empty());
}
