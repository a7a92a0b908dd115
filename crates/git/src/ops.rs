//! Plain git operations shared by several tool groups: signatures from the configured identity,
//! commits, safe checkouts and fast-forwards, diff rendering, and time formatting.
//!
//! Checkouts here are always "safe" (libgit2's `GIT_CHECKOUT_SAFE`): a file with local changes
//! that the switch would overwrite stops the checkout instead of being clobbered.

use git2::{
    Commit, Diff, DiffFormat, ErrorCode, Oid, Repository, Signature, build::CheckoutBuilder,
};
use serde::Serialize;

use crate::{
    config::GitConfig,
    error::{GitContext, GitError},
    reply::cap,
};

/// Abbreviated commit id (7 hex digits, like git's default).
pub fn short(oid: Oid) -> String {
    let mut s = oid.to_string();
    s.truncate(7);
    s
}

/// Author and committer signatures from the configured identity, stamped now.
pub fn signatures(
    config: &GitConfig,
) -> Result<(Signature<'static>, Signature<'static>), GitError> {
    let id = &config.identity;
    let author =
        Signature::now(&id.author_name, &id.author_email).git("building the author signature")?;
    let committer = Signature::now(&id.committer_name, &id.committer_email)
        .git("building the committer signature")?;
    Ok((author, committer))
}

/// The commit HEAD points at, or `None` on an unborn branch.
pub fn head_commit(repo: &Repository) -> Result<Option<Commit<'_>>, GitError> {
    match repo.head() {
        Ok(h) => Ok(Some(h.peel_to_commit().git("reading HEAD's commit")?)),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(GitError::Git {
            context: "reading HEAD".to_owned(),
            source: e,
        }),
    }
}

/// Resolve a revision to a commit, naming the argument on failure.
pub fn commit_of<'r>(
    repo: &'r Repository,
    arg: &'static str,
    rev: &str,
) -> Result<Commit<'r>, GitError> {
    let obj = repo.revparse_single(rev).map_err(|e| {
        GitError::arg(
            arg,
            format!("{rev:?} did not resolve to an object ({})", e.message()),
        )
    })?;
    obj.peel_to_commit()
        .map_err(|_| GitError::arg(arg, format!("{rev:?} is not a commit")))
}

/// A checkout builder that refuses to overwrite local changes.
pub fn safe_checkout() -> CheckoutBuilder<'static> {
    let mut b = CheckoutBuilder::new();
    b.safe();
    b
}

fn checkout_error(what: &str, e: git2::Error) -> GitError {
    if e.code() == ErrorCode::Conflict || e.message().contains("conflict") {
        GitError::Git {
            context: format!("{what} would overwrite local changes (commit or stash them first)"),
            source: e,
        }
    } else {
        GitError::Git {
            context: what.to_owned(),
            source: e,
        }
    }
}

/// Switch to local branch `name`: safe checkout of its tree, then HEAD.
pub fn switch_branch(repo: &Repository, name: &str) -> Result<(), GitError> {
    let refname = format!("refs/heads/{name}");
    let commit = repo
        .find_reference(&refname)
        .and_then(|r| r.peel_to_commit())
        .git(format!("finding branch '{name}'"))?;
    repo.checkout_tree(commit.as_object(), Some(&mut safe_checkout()))
        .map_err(|e| checkout_error(&format!("switching to '{name}'"), e))?;
    repo.set_head(&refname)
        .git(format!("pointing HEAD at '{name}'"))
}

/// Move local branch `name` to `target` (a fast-forward the caller has checked); when it is the
/// checked-out branch, the working tree follows with a safe checkout.
pub fn fast_forward(
    repo: &Repository,
    name: &str,
    target: Oid,
    reason: &str,
) -> Result<(), GitError> {
    let refname = format!("refs/heads/{name}");
    let is_head = repo
        .head()
        .ok()
        .and_then(|h| h.name().ok().map(str::to_owned))
        .is_some_and(|h| h == refname);
    if is_head {
        let commit = repo
            .find_commit(target)
            .git("finding the fast-forward target")?;
        repo.checkout_tree(commit.as_object(), Some(&mut safe_checkout()))
            .map_err(|e| checkout_error(&format!("fast-forwarding '{name}'"), e))?;
    }
    repo.reference(&refname, target, true, reason)
        .git(format!("moving '{name}'"))?;
    Ok(())
}

/// Commit the index on HEAD with the configured identity; returns the new commit.
pub fn commit_index(repo: &Repository, config: &GitConfig, message: &str) -> Result<Oid, GitError> {
    let mut index = repo.index().git("reading the index")?;
    let tree_id = index.write_tree().git("writing the index as a tree")?;
    let tree = repo.find_tree(tree_id).git("finding the new tree")?;
    let (author, committer) = signatures(config)?;
    let mut parents = Vec::new();
    if let Some(head) = head_commit(repo)? {
        parents.push(head);
    }
    // A merge in progress: conclude it, as `git commit` does.
    if repo.state() == git2::RepositoryState::Merge {
        let merge_head =
            std::fs::read_to_string(repo.path().join("MERGE_HEAD")).unwrap_or_default();
        for line in merge_head.lines() {
            let oid = Oid::from_str(line.trim()).git("reading MERGE_HEAD")?;
            parents.push(repo.find_commit(oid).git("reading a merged commit")?);
        }
    }
    let parent_refs: Vec<&Commit<'_>> = parents.iter().collect();
    let oid = repo
        .commit(
            Some("HEAD"),
            &author,
            &committer,
            message,
            &tree,
            &parent_refs,
        )
        .git("creating the commit")?;
    if repo.state() != git2::RepositoryState::Clean {
        repo.cleanup_state().git("clearing the merge state")?;
    }
    Ok(oid)
}

/// One file of a diff.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct DiffFile {
    /// Path after the change.
    pub path: String,
    /// Path before, when it differs (renames, copies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// added, deleted, modified, renamed, copied, typechange, untracked or unreadable.
    pub status: String,
}

/// A rendered diff.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct RenderedDiff {
    /// The files that differ (at most 1000 listed).
    pub files: Vec<DiffFile>,
    /// How many files differ.
    pub files_changed: usize,
    /// Lines added (counted over the returned text when truncated).
    pub insertions: usize,
    /// Lines removed (counted over the returned text when truncated).
    pub deletions: usize,
    /// The unified diff, as `git diff` prints it.
    pub diff: String,
    /// Whether `diff` was cut at GIT_MAX_OUTPUT_BYTES.
    pub truncated: bool,
}

/// Status name of a delta.
pub fn delta_status(s: git2::Delta) -> &'static str {
    use git2::Delta;
    match s {
        Delta::Added => "added",
        Delta::Deleted => "deleted",
        Delta::Modified => "modified",
        Delta::Renamed => "renamed",
        Delta::Copied => "copied",
        Delta::Typechange => "typechange",
        Delta::Untracked => "untracked",
        Delta::Unreadable => "unreadable",
        Delta::Ignored => "ignored",
        Delta::Conflicted => "conflicted",
        Delta::Unmodified => "unmodified",
    }
}

/// Render `diff` as a unified patch of at most `max` bytes.
pub fn render_diff(diff: &Diff<'_>, max: usize) -> Result<RenderedDiff, GitError> {
    let mut out = RenderedDiff {
        files_changed: diff.deltas().len(),
        ..RenderedDiff::default()
    };
    for d in diff.deltas().take(1000) {
        let path = |f: git2::DiffFile<'_>| f.path().map(|p| p.to_string_lossy().into_owned());
        let new = path(d.new_file())
            .or_else(|| path(d.old_file()))
            .unwrap_or_default();
        let old = path(d.old_file()).filter(|o| *o != new);
        out.files.push(DiffFile {
            path: new,
            old_path: old,
            status: delta_status(d.status()).to_owned(),
        });
    }
    let mut text = String::new();
    let mut truncated = false;
    let printed = diff.print(DiffFormat::Patch, |_delta, _hunk, line| {
        let content = String::from_utf8_lossy(line.content());
        match line.origin() {
            '+' => {
                out.insertions += 1;
                text.push('+');
            }
            '-' => {
                out.deletions += 1;
                text.push('-');
            }
            ' ' => text.push(' '),
            _ => {}
        }
        text.push_str(&content);
        if text.len() > max {
            truncated = true;
            return false;
        }
        true
    });
    if let Err(e) = printed
        && !truncated
    {
        return Err(GitError::Git {
            context: "rendering the diff".to_owned(),
            source: e,
        });
    }
    if truncated {
        cap(&mut text, max);
        text.push_str("\n[diff truncated at GIT_MAX_OUTPUT_BYTES]\n");
    }
    out.diff = text;
    out.truncated = truncated;
    Ok(out)
}

/// A commit time as git's ISO-like display (`2024-01-15 14:30:25 +0200`) and as RFC 3339.
pub fn format_time(t: git2::Time) -> (String, String) {
    let offset =
        jiff::tz::Offset::from_seconds(t.offset_minutes() * 60).unwrap_or(jiff::tz::Offset::UTC);
    match jiff::Timestamp::from_second(t.seconds()) {
        Ok(ts) => {
            let zoned = ts.to_zoned(jiff::tz::TimeZone::fixed(offset));
            (
                zoned.strftime("%Y-%m-%d %H:%M:%S %z").to_string(),
                zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            )
        }
        Err(_) => (t.seconds().to_string(), t.seconds().to_string()),
    }
}

/// `name <email>` of a signature, lossily decoded.
pub fn who(sig: &Signature<'_>) -> (String, String) {
    (
        String::from_utf8_lossy(sig.name_bytes()).into_owned(),
        String::from_utf8_lossy(sig.email_bytes()).into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_formatted_with_their_offset() {
        let (display, rfc) = format_time(git2::Time::new(1_705_329_025, 120));
        assert_eq!(display, "2024-01-15 16:30:25 +0200");
        assert_eq!(rfc, "2024-01-15T16:30:25+02:00");
    }

    #[test]
    fn short_ids_have_seven_digits() {
        let oid = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        assert_eq!(short(oid), "0123456");
    }
}
