//! Talking to remotes: fetch, push, and reading the remote's refs back (`ls-remote`).
//!
//! Credentials come from the environment only: `GIT_TOKEN` is offered once, as the password of
//! `GIT_TOKEN_USERNAME`, and only to `https://` URLs (libgit2 would otherwise ask again forever
//! on a wrong token). Every transfer watches [`Net::stop_reason`] in its progress callbacks, so a
//! deadline or a cancelled call aborts it, and reports progress through [`Net::report`].

use std::{cell::RefCell, collections::BTreeMap};

use git2::{
    AutotagOption, Cred, CredentialType, Direction, FetchOptions, FetchPrune, Oid, PushOptions,
    RemoteCallbacks,
};
use serde::Serialize;

use crate::{
    config::GitConfig,
    error::GitError,
    repo::{Repo, redact_url},
    server::Net,
};

/// A ref a fetch moved.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct RefUpdate {
    /// Full ref name, e.g. `refs/remotes/origin/main`.
    pub name: String,
    /// Old commit (`null` when the ref is new).
    pub old: Option<String>,
    /// New commit (`null` when the ref was deleted).
    pub new: Option<String>,
}

/// What a fetch did.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct FetchStats {
    /// Objects received.
    pub received_objects: usize,
    /// Bytes received.
    pub received_bytes: usize,
    /// Refs moved, created or deleted.
    pub updated_refs: Vec<RefUpdate>,
}

fn oid_opt(oid: Oid) -> Option<String> {
    (!oid.is_zero()).then(|| oid.to_string())
}

/// Remote callbacks with the environment's credentials, progress and the abort check.
fn callbacks<'a>(config: &'a GitConfig, net: &'a Net, what: &'static str) -> RemoteCallbacks<'a> {
    let mut cb = RemoteCallbacks::new();
    let mut offered = false;
    cb.credentials(move |url, _user, allowed| {
        if offered {
            return Err(git2::Error::from_str(
                "the remote rejected the credentials from GIT_TOKEN",
            ));
        }
        offered = true;
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            && let Some(token) = &config.token
        {
            if url.starts_with("https://") {
                return Cred::userpass_plaintext(&config.token_username, &token.0);
            }
            return Err(git2::Error::from_str(&format!(
                "refusing to send GIT_TOKEN to {} (only https:// URLs get it)",
                redact_url(url)
            )));
        }
        Err(git2::Error::from_str(&format!(
            "{} asks for credentials; the operator must set GIT_TOKEN (HTTPS remotes only)",
            redact_url(url)
        )))
    });
    let mut last_pct = u64::MAX;
    cb.transfer_progress(move |p| {
        if net.stop_reason().is_some() {
            return false;
        }
        let total = p.total_objects();
        if total > 0 {
            let done = p.received_objects();
            let pct = (done as u64 * 100) / total as u64;
            if pct != last_pct {
                last_pct = pct;
                net.report(
                    done as f64,
                    Some(total as f64),
                    format!(
                        "{what}: received {done}/{total} objects ({} bytes)",
                        p.received_bytes()
                    ),
                );
            }
        }
        true
    });
    cb.sideband_progress(move |_| net.stop_reason().is_none());
    let mut last_push = u64::MAX;
    cb.push_transfer_progress(move |current, total, bytes| {
        if total > 0 {
            let pct = (current as u64 * 100) / total as u64;
            if pct != last_push {
                last_push = pct;
                net.report(
                    current as f64,
                    Some(total as f64),
                    format!("{what}: wrote {current}/{total} objects ({bytes} bytes)"),
                );
            }
        }
    });
    cb
}

fn transfer_error(net: &Net, operation: String, e: git2::Error) -> GitError {
    match net.stop_reason() {
        Some(reason) => GitError::Aborted {
            operation,
            reason: reason.to_owned(),
        },
        None => GitError::Git {
            context: operation,
            source: e,
        },
    }
}

/// Fetch `refspecs` (empty: the remote's configured ones) from `remote`, pruning deleted
/// branches.
pub fn fetch(
    repo: &Repo,
    config: &GitConfig,
    net: &Net,
    remote: &str,
    refspecs: &[String],
) -> Result<FetchStats, GitError> {
    repo.check_remote(config, remote)?;
    let mut r = repo
        .git
        .find_remote(remote)
        .map_err(|e| transfer_error(net, format!("fetching from {remote}"), e))?;
    let updated = RefCell::new(Vec::new());
    let mut cb = callbacks(config, net, "fetch");
    cb.update_tips(|name, old, new| {
        updated.borrow_mut().push(RefUpdate {
            name: name.to_owned(),
            old: oid_opt(old),
            new: oid_opt(new),
        });
        true
    });
    let mut fo = FetchOptions::new();
    fo.remote_callbacks(cb)
        .prune(FetchPrune::On)
        .download_tags(AutotagOption::Auto);
    net.report(0.0, None, format!("fetch: connecting to {remote}"));
    r.fetch(refspecs, Some(&mut fo), Some("sanctuary-git: fetch"))
        .map_err(|e| transfer_error(net, format!("fetching from {remote}"), e))?;
    drop(fo);
    let stats = r.stats();
    let out = FetchStats {
        received_objects: stats.received_objects(),
        received_bytes: stats.received_bytes(),
        updated_refs: updated.into_inner(),
    };
    net.report(
        1.0,
        Some(1.0),
        format!("fetch: done, {} ref(s) updated", out.updated_refs.len()),
    );
    Ok(out)
}

/// Push `refspec` to `remote`; a ref the remote rejects is an error carrying its reason.
pub fn push(
    repo: &Repo,
    config: &GitConfig,
    net: &Net,
    remote: &str,
    refspec: &str,
) -> Result<(), GitError> {
    repo.check_remote(config, remote)?;
    let mut r = repo
        .git
        .find_remote(remote)
        .map_err(|e| transfer_error(net, format!("pushing to {remote}"), e))?;
    let rejected = RefCell::new(Vec::new());
    let mut cb = callbacks(config, net, "push");
    cb.push_update_reference(|name, status| {
        if let Some(why) = status {
            rejected.borrow_mut().push(format!("{name}: {why}"));
        }
        Ok(())
    });
    let mut po = PushOptions::new();
    po.remote_callbacks(cb);
    net.report(0.0, None, format!("push: connecting to {remote}"));
    r.push(&[refspec], Some(&mut po))
        .map_err(|e| transfer_error(net, format!("pushing {refspec} to {remote}"), e))?;
    drop(po);
    let rejected = rejected.into_inner();
    if !rejected.is_empty() {
        return Err(GitError::Git {
            context: format!("pushing {refspec} to {remote}"),
            source: git2::Error::from_str(&format!("the remote rejected {}", rejected.join(", "))),
        });
    }
    net.report(1.0, Some(1.0), "push: done");
    Ok(())
}

/// The remote's refs as it reports them now (`git ls-remote`).
pub fn ls_remote(
    repo: &Repo,
    config: &GitConfig,
    net: &Net,
    remote: &str,
) -> Result<BTreeMap<String, Oid>, GitError> {
    repo.check_remote(config, remote)?;
    let mut r = repo
        .git
        .find_remote(remote)
        .map_err(|e| transfer_error(net, format!("listing refs of {remote}"), e))?;
    let conn = r
        .connect_auth(
            Direction::Fetch,
            Some(callbacks(config, net, "ls-remote")),
            None,
        )
        .map_err(|e| transfer_error(net, format!("connecting to {remote}"), e))?;
    let heads = conn
        .list()
        .map_err(|e| transfer_error(net, format!("listing refs of {remote}"), e))?;
    Ok(heads
        .iter()
        .map(|h| (h.name().to_owned(), h.oid()))
        .collect())
}
