//! Files under the allowed roots as MCP `file://` resources: a capped listing (shallow files
//! first, ignore files honoured, hidden names skipped), one template `file:///{+path}` for any
//! file, reading through the same jail as the tools (narrowed to the session's roots), and
//! completion of the template's `path` argument.

use std::{path::Path, sync::Arc, time::Instant};

use base64::Engine as _;
use rmcp::{
    ErrorData,
    model::{
        CompleteRequestParams, ReadResourceResult, Reference, Resource, ResourceContents,
        ResourceTemplate,
    },
};

use crate::{
    error::FsError,
    jail::{Jail, Kind, file_uri_path, read_limited},
    server::FsState,
    text::binary_offset,
    walk::{Order, Visit, WalkOptions, walk},
};

/// The URI template of every file resource.
pub const FILE_TEMPLATE: &str = "file:///{+path}";
/// Most completion values offered.
const MAX_COMPLETIONS: usize = 100;

/// The `file://` URI of an absolute path.
pub(crate) fn file_uri(abs: &Path) -> String {
    url::Url::from_file_path(abs)
        .map_or_else(|()| format!("file://{}", abs.display()), |u| u.to_string())
}

/// A MIME type from the file name.
pub(crate) fn mime_of(path: &Path) -> String {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_owned()
}

fn jail_for(state: &FsState, roots: Option<Vec<String>>) -> Arc<Jail> {
    match crate::server::file_roots(roots) {
        Some(r) => Arc::new(state.jail.narrow(&r)),
        None => state.jail.clone(),
    }
}

/// The one resource template.
pub(crate) fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(FILE_TEMPLATE, "file")
            .with_title("A file under the allowed roots")
            .with_description(
                "Any file under the allowed roots, by absolute path: file:///srv/ws/README.md. \
                 Text comes back as text, anything else as a base64 blob; files over \
                 FS_MAX_READ_BYTES are refused.",
            ),
    ]
}

/// List files as resources, capped at `FS_MAX_RESOURCES`.
pub(crate) async fn list(
    state: Arc<FsState>,
    roots: Option<Vec<String>>,
) -> Result<Vec<Resource>, ErrorData> {
    tokio::task::spawn_blocking(move || list_blocking(&state, roots))
        .await
        .map_err(|e| ErrorData::internal_error(format!("listing failed: {e}"), None))
}

fn list_blocking(state: &FsState, roots: Option<Vec<String>>) -> Vec<Resource> {
    let jail = jail_for(state, roots);
    let cap = state.config.max_resources;
    let opts = WalkOptions {
        hidden: false,
        ignore_files: true,
        max_depth: None,
        order: Order::BreadthFirst,
        threads: 1,
        deadline: Instant::now()
            + state
                .config
                .walk_timeout
                .min(std::time::Duration::from_secs(5)),
        cancel: Arc::default(),
    };
    let mut out: Vec<Resource> = Vec::new();
    for root in jail.roots() {
        if out.len() >= cap {
            break;
        }
        let found = std::sync::Mutex::new(Vec::new());
        walk(root, Path::new(""), &opts, || {
            |e: &crate::walk::Entry<'_>| {
                if e.kind != Kind::File {
                    return Visit::Continue;
                }
                let Ok(mut f) = found.lock() else {
                    return Visit::Stop;
                };
                let size = e.dir.symlink_metadata(e.name).map(|m| m.len()).ok();
                f.push((e.rel.to_path_buf(), size));
                if out.len() + f.len() >= cap {
                    Visit::Stop
                } else {
                    Visit::Continue
                }
            }
        });
        for (rel, size) in found.into_inner().unwrap_or_default() {
            let abs = root.path.join(&rel);
            let mut r = Resource::new(file_uri(&abs), rel.display().to_string())
                .with_mime_type(mime_of(&abs))
                .with_description(format!("{} (under {})", abs.display(), root.path.display()));
            if let Some(size) = size {
                r = r.with_size(size);
            }
            out.push(r);
        }
    }
    out.truncate(cap);
    out
}

/// Read one `file://` resource through the jail.
pub(crate) async fn read(
    state: Arc<FsState>,
    uri: String,
    roots: Option<Vec<String>>,
) -> Result<ReadResourceResult, ErrorData> {
    tokio::task::spawn_blocking(move || read_blocking(&state, &uri, roots))
        .await
        .map_err(|e| ErrorData::internal_error(format!("reading failed: {e}"), None))?
}

fn read_blocking(
    state: &FsState,
    uri: &str,
    roots: Option<Vec<String>>,
) -> Result<ReadResourceResult, ErrorData> {
    if file_uri_path(uri).is_none() {
        return Err(ErrorData::resource_not_found(
            format!("{uri:?} is not a file:// URI; see resources/templates/list"),
            None,
        ));
    }
    let jail = jail_for(state, roots);
    let fail = |e: FsError| match e {
        FsError::NotFound { .. } => ErrorData::resource_not_found(e.to_string(), None),
        other => ErrorData::invalid_params(other.to_string(), None),
    };
    let t = jail.resolve_existing("uri", uri, true).map_err(fail)?;
    let abs = jail.abs(&t);
    if t.kind != Some(Kind::File) {
        return Err(ErrorData::invalid_params(
            format!("invalid uri: {} is not a regular file", abs.display()),
            None,
        ));
    }
    let (file, md) = jail
        .open_read(&t)
        .map_err(|e| fail(FsError::io("read", abs.display(), &e)))?;
    let bytes = read_limited(file, &md, state.config.max_read_bytes, &abs).map_err(fail)?;
    let mime = mime_of(&abs);
    let uri = file_uri(&abs);
    let contents = match std::str::from_utf8(&bytes) {
        Ok(text) if binary_offset(&bytes).is_none() => {
            let mime = if mime == "application/octet-stream" {
                "text/plain".to_owned()
            } else {
                mime
            };
            ResourceContents::text(text, uri).with_mime_type(mime)
        }
        _ => ResourceContents::blob(
            base64::engine::general_purpose::STANDARD.encode(&bytes),
            uri,
        )
        .with_mime_type(mime),
    };
    Ok(ReadResourceResult::new(vec![contents]))
}

/// Suggestions for the template's `path` argument: entries of the directory typed so far.
pub(crate) async fn complete(state: Arc<FsState>, request: &CompleteRequestParams) -> Vec<String> {
    let Reference::Resource(r) = &request.r#ref else {
        return Vec::new();
    };
    if r.uri != FILE_TEMPLATE || request.argument.name != "path" {
        return Vec::new();
    }
    let typed = request.argument.value.clone();
    tokio::task::spawn_blocking(move || complete_blocking(&state, &typed))
        .await
        .unwrap_or_default()
}

fn complete_blocking(state: &FsState, typed: &str) -> Vec<String> {
    let jail = &state.jail;
    let (dir_part, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir_abs = format!("/{dir_part}");
    let mut out = Vec::new();
    match jail.resolve_existing("path", &dir_abs, true) {
        Ok(t) if t.kind == Some(Kind::Directory) => {
            let Ok(dir) = jail.open_dir(&t) else {
                return out;
            };
            let Ok(entries) = dir.entries() else {
                return out;
            };
            let mut names: Vec<(String, bool)> = entries
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    let is_dir = e.file_type().ok()?.is_dir();
                    name.starts_with(prefix).then_some((name, is_dir))
                })
                .collect();
            names.sort();
            for (name, is_dir) in names.into_iter().take(MAX_COMPLETIONS) {
                out.push(format!("{dir_part}{name}{}", if is_dir { "/" } else { "" }));
            }
        }
        _ => {
            // Above the roots: offer the roots themselves.
            for root in jail.roots() {
                let p = root.path.display().to_string();
                let p = p.trim_start_matches('/');
                if p.starts_with(typed) {
                    out.push(format!("{p}/"));
                }
            }
        }
    }
    out
}
