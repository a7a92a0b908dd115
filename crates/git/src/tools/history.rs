//! History tools: `git_log` (shared by both contracts), `git_show` (mcp-server-git) and
//! `git_blame` (new).
//!
//! `git_log` takes mcp-server-git's `max_count`, `start_timestamp` and `end_timestamp` (git's
//! date syntax: ISO 8601, `2024-01-15`, `2 weeks ago`, `yesterday`, RFC 2822, unix seconds; parsed
//! with gitoxide's `gix-date`, which follows git's own parser) and the original fleet's `oneline`.
//! Dates filter on the committer date, as `git log --since/--until` do.

use git2::{BlameOptions, ObjectType, Oid, Sort};
use rmcp::{handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::{
    error::{GitContext, GitError},
    ops::{RenderedDiff, commit_of, format_time, render_diff, short, who},
    reply::{Reply, cap, schema},
    repo::Repo,
    rules::{check_arg, check_opt},
    server::GitServer,
};

fn default_max_count() -> i64 {
    10
}

/// Arguments of `git_log`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct LogArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// Most commits to return (default 10, at most GIT_MAX_LOG_COUNT).
    #[serde(default = "default_max_count")]
    pub max_count: i64,
    /// Only commits at or after this time. Accepts: ISO 8601 format (e.g., '2024-01-15T14:30:25'),
    /// relative dates (e.g., '2 weeks ago', 'yesterday'), or absolute dates (e.g., '2024-01-15').
    #[serde(default)]
    pub start_timestamp: Option<String>,
    /// Only commits at or before this time; same formats as start_timestamp.
    #[serde(default)]
    pub end_timestamp: Option<String>,
    /// One line per commit (`<short hash> <summary>`) instead of the full entry (the original fleet's option; default false).
    #[serde(default)]
    pub oneline: bool,
    /// Where to start: a branch, tag or commit (default HEAD).
    #[serde(default)]
    pub revision: Option<String>,
}

/// One commit of a log.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LogEntry {
    /// Full commit id.
    pub hash: String,
    /// Abbreviated id.
    pub short_hash: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// Committer date, unix seconds (what the timestamp filters compare).
    pub commit_time: i64,
    /// First line of the message.
    pub summary: String,
    /// The whole message.
    pub message: String,
}

/// A log.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LogOutput {
    /// Commits, newest first.
    pub commits: Vec<LogEntry>,
    /// How many were returned.
    pub count: usize,
    /// Whether the log stopped early because the messages reached GIT_MAX_OUTPUT_BYTES.
    pub truncated: bool,
}

/// Arguments of `git_show`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ShowArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// A commit, branch or tag (`HEAD~2`, `v1.0`), or `<revision>:<path>` for a file or directory at that revision.
    pub revision: String,
}

/// What `git_show` found.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ShowOutput {
    /// commit, blob, tree or tag.
    pub kind: String,
    /// The object's id.
    pub hash: String,
    /// For a commit (or a tag of one): its log entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<LogEntry>,
    /// For a commit: its patch against the first parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<RenderedDiff>,
    /// The text shown (header + patch, file content, or tree listing).
    pub text: String,
    /// Whether the text was cut at GIT_MAX_OUTPUT_BYTES.
    pub truncated: bool,
    /// For a blob: whether it is binary (its content is then not shown).
    pub binary: bool,
}

/// Arguments of `git_blame`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct BlameArgs {
    /// Repository directory: absolute, or relative to the first of GIT_BASE_DIRS; omit to use GIT_REPO_PATH.
    #[serde(default)]
    pub repo_path: Option<String>,
    /// File to blame, relative to the repository root.
    pub path: String,
    /// Revision to blame at (default HEAD).
    #[serde(default)]
    pub revision: Option<String>,
    /// First line (1-based, default 1).
    #[serde(default)]
    pub start_line: Option<usize>,
    /// Last line (inclusive, default the last; at most 5000 lines per call).
    #[serde(default)]
    pub end_line: Option<usize>,
}

/// One blamed line.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BlameLine {
    /// Line number (1-based).
    pub line: usize,
    /// Commit that last changed it.
    pub hash: String,
    /// Its author.
    pub author: String,
    /// Its author date, RFC 3339.
    pub date: String,
    /// The line's text.
    pub content: String,
}

/// A blame.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BlameOutput {
    /// The file.
    pub path: String,
    /// The blamed lines.
    pub lines: Vec<BlameLine>,
    /// Whether the range was cut at 5000 lines.
    pub truncated: bool,
}

/// How many commits in a row older than `start_timestamp` end a log walk.
pub(crate) const SINCE_SLOP: usize = 32;

/// Most lines one blame call returns.
pub(crate) const MAX_BLAME_LINES: usize = 5000;

#[tool_router(router = history_tools, vis = "pub(crate)")]
impl GitServer {
    /// Show the commit log, newest first (serves mcp-server-git's and the original fleet's
    /// `git_log`): `max_count` (default 10), `start_timestamp`/`end_timestamp` in git's date
    /// syntax (ISO 8601, '2024-01-15', '2 weeks ago', 'yesterday'), `oneline` for one line per
    /// commit, `revision` to start elsewhere than HEAD. Example:
    /// `{"repo_path": "/repos/app", "max_count": 5, "start_timestamp": "2 weeks ago"}`.
    #[tool(
        output_schema = schema::<LogOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_log(
        &self,
        Parameters(args): Parameters<LogArgs>,
    ) -> Result<Reply<LogOutput>, GitError> {
        check_opt("start_timestamp", args.start_timestamp.as_deref())?;
        check_opt("end_timestamp", args.end_timestamp.as_deref())?;
        check_opt("revision", args.revision.as_deref())?;
        let since = args
            .start_timestamp
            .as_deref()
            .map(|s| parse_date("start_timestamp", s))
            .transpose()?;
        let until = args
            .end_timestamp
            .as_deref()
            .map(|s| parse_date("end_timestamp", s))
            .transpose()?;
        let max = self.config.max_log_count;
        if args.max_count < 1 || args.max_count as u64 > max as u64 {
            return Err(GitError::arg(
                "max_count",
                format!(
                    "{} is outside 1..={max} (GIT_MAX_LOG_COUNT)",
                    args.max_count
                ),
            ));
        }
        let count = args.max_count as usize;
        let oneline = args.oneline;
        self.read(args.repo_path, move |repo, config| {
            let out = log(
                repo,
                args.revision.as_deref(),
                count,
                since,
                until,
                config.max_output_bytes,
            )?;
            let text = if out.commits.is_empty() {
                "No commits.".to_owned()
            } else if oneline {
                out.commits
                    .iter()
                    .map(|c| format!("{} {}", c.short_hash, c.summary))
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                out.commits
                    .iter()
                    .map(|c| {
                        format!(
                            "Commit: {}\nAuthor: {} <{}>\nDate: {}\nMessage: {}\n",
                            c.hash,
                            c.author,
                            c.email,
                            c.date,
                            c.message.trim_end()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Reply::new(text, out))
        })
        .await
    }

    /// Show a commit (header and patch against its first parent), or a file or directory at a
    /// revision given as `<revision>:<path>`; annotated tags show the tag then their target.
    /// Binary files are reported, not dumped; text is capped at GIT_MAX_OUTPUT_BYTES.
    /// Examples: `{"repo_path": "/repos/app", "revision": "HEAD~1"}`, `{"revision": "main:README.md"}`.
    #[tool(
        output_schema = schema::<ShowOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_show(
        &self,
        Parameters(args): Parameters<ShowArgs>,
    ) -> Result<Reply<ShowOutput>, GitError> {
        check_arg("revision", &args.revision)?;
        self.read(args.repo_path, move |repo, config| {
            let out = show(repo, &args.revision, config.max_output_bytes)?;
            Ok(Reply::new(out.text.clone(), out))
        })
        .await
    }

    /// Show who last changed each line of a file (`git blame`), with commit, author and date.
    /// At most 5000 lines per call: use start_line/end_line for longer files.
    /// Example: `{"repo_path": "/repos/app", "path": "src/main.rs", "start_line": 10, "end_line": 20}`.
    #[tool(
        output_schema = schema::<BlameOutput>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn git_blame(
        &self,
        Parameters(args): Parameters<BlameArgs>,
    ) -> Result<Reply<BlameOutput>, GitError> {
        check_arg("path", &args.path)?;
        check_opt("revision", args.revision.as_deref())?;
        self.read(args.repo_path, move |repo, _| {
            let path = repo.relative_path("path", &args.path)?;
            let out = blame(
                repo,
                &path,
                args.revision.as_deref(),
                args.start_line,
                args.end_line,
            )?;
            let text = out
                .lines
                .iter()
                .map(|l| {
                    format!(
                        "{} ({} {}) {:>5}) {}",
                        &l.hash[..8.min(l.hash.len())],
                        l.author,
                        &l.date[..10.min(l.date.len())],
                        l.line,
                        l.content
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Reply::new(text, out))
        })
        .await
    }
}

/// Parse a date in git's syntax into unix seconds, naming the argument on failure.
pub(crate) fn parse_date(arg: &'static str, value: &str) -> Result<i64, GitError> {
    gix_date::parse(value.trim(), Some(jiff::Zoned::now()))
        .map(|t| t.seconds)
        .map_err(|_| {
            GitError::arg(
                arg,
                format!(
                    "cannot read {value:?} as a date; use ISO 8601 ('2024-01-15T14:30:25'), a date ('2024-01-15'), \
                     or a relative date ('2 weeks ago', 'yesterday')"
                ),
            )
        })
}

/// A log entry for a commit.
pub(crate) fn entry(c: &git2::Commit<'_>) -> LogEntry {
    let (author, email) = who(&c.author());
    let message = String::from_utf8_lossy(c.message_bytes()).into_owned();
    LogEntry {
        hash: c.id().to_string(),
        short_hash: short(c.id()),
        author,
        email,
        date: format_time(c.author().when()).1,
        commit_time: c.time().seconds(),
        summary: message.lines().next().unwrap_or("").to_owned(),
        message,
    }
}

/// Up to `count` commits reachable from `revision` (default HEAD), filtered by committer time.
pub(crate) fn log(
    repo: &Repo,
    revision: Option<&str>,
    count: usize,
    since: Option<i64>,
    until: Option<i64>,
    max_bytes: usize,
) -> Result<LogOutput, GitError> {
    let git = &repo.git;
    let start = match revision {
        Some(r) => commit_of(git, "revision", r)?.id(),
        None => match git.head().ok().and_then(|h| h.target()) {
            Some(oid) => oid,
            None => {
                return Ok(LogOutput {
                    commits: Vec::new(),
                    count: 0,
                    truncated: false,
                });
            }
        },
    };
    let mut walk = git.revwalk().git("starting the history walk")?;
    // git's own default order: newest first by commit date as the walk discovers commits.
    walk.set_sorting(Sort::NONE)
        .git("sorting the history walk")?;
    walk.push(start).git("starting the history walk")?;
    let mut commits = Vec::new();
    let mut older_in_a_row = 0;
    let (mut bytes, mut truncated) = (0, false);
    for oid in walk {
        let oid = oid.git("walking the history")?;
        let c = git.find_commit(oid).git("reading a commit")?;
        let t = c.time().seconds();
        if let Some(s) = since
            && t < s
        {
            // Dates are not monotonic along history (rebases, clock skew), so a few older
            // commits do not end the walk; a long run of them does, like git's own slop.
            older_in_a_row += 1;
            if older_in_a_row >= SINCE_SLOP {
                break;
            }
            continue;
        }
        older_in_a_row = 0;
        if let Some(u) = until
            && t > u
        {
            continue;
        }
        let e = entry(&c);
        bytes += e.message.len() + e.author.len() + e.email.len() + 120;
        if bytes > max_bytes && !commits.is_empty() {
            truncated = true;
            break;
        }
        commits.push(e);
        if commits.len() >= count {
            break;
        }
    }
    Ok(LogOutput {
        count: commits.len(),
        commits,
        truncated,
    })
}

fn commit_header(c: &git2::Commit<'_>) -> String {
    let (name, email) = who(&c.author());
    let mut t = format!("commit {}\n", c.id());
    if c.parent_count() > 1 {
        let parents: Vec<String> = c.parent_ids().map(short).collect();
        t.push_str(&format!("Merge: {}\n", parents.join(" ")));
    }
    t.push_str(&format!(
        "Author: {name} <{email}>\nDate:   {}\n\n",
        format_time(c.author().when()).0
    ));
    for line in String::from_utf8_lossy(c.message_bytes()).lines() {
        t.push_str(&format!("    {line}\n"));
    }
    t.push('\n');
    t
}

/// Show a commit, tag, tree or blob.
pub(crate) fn show(repo: &Repo, revision: &str, max: usize) -> Result<ShowOutput, GitError> {
    let git = &repo.git;
    let obj = git.revparse_single(revision).map_err(|e| {
        GitError::arg(
            "revision",
            format!(
                "{revision:?} did not resolve to an object ({})",
                e.message()
            ),
        )
    })?;
    let mut prefix = String::new();
    let obj = match obj.as_tag() {
        Some(tag) => {
            let tagger = tag.tagger().map(|s| who(&s)).unwrap_or_default();
            prefix = format!(
                "tag {}\nTagger: {} <{}>\n\n{}\n\n",
                String::from_utf8_lossy(tag.name_bytes()),
                tagger.0,
                tagger.1,
                String::from_utf8_lossy(tag.message_bytes().unwrap_or_default()).trim_end()
            );
            tag.target().git("reading the tag's target")?
        }
        None => obj,
    };
    let mut out = ShowOutput {
        kind: String::new(),
        hash: obj.id().to_string(),
        commit: None,
        diff: None,
        text: String::new(),
        truncated: false,
        binary: false,
    };
    match obj.kind() {
        Some(ObjectType::Commit) => {
            let c = obj.peel_to_commit().git("reading the commit")?;
            let parent_tree = match c.parent(0) {
                Ok(p) => Some(p.tree().git("reading the parent's tree")?),
                Err(_) => None,
            };
            let tree = c.tree().git("reading the commit's tree")?;
            let mut diff = git
                .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
                .git("diffing the commit against its parent")?;
            diff.find_similar(None).git("detecting renames")?;
            let rendered = render_diff(&diff, max)?;
            out.kind = "commit".to_owned();
            out.text = format!("{prefix}{}{}", commit_header(&c), rendered.diff);
            out.truncated = rendered.truncated;
            out.commit = Some(entry(&c));
            out.diff = Some(rendered);
        }
        Some(ObjectType::Blob) => {
            let blob = obj.peel_to_blob().git("reading the blob")?;
            out.kind = "blob".to_owned();
            out.binary = blob.is_binary();
            out.text = if out.binary {
                format!("{prefix}binary file, {} bytes (not shown)", blob.size())
            } else {
                // Decode at most one byte past the cap: the cap below marks the cut.
                let content = blob.content();
                let shown = &content[..content.len().min(max + 1)];
                format!("{prefix}{}", String::from_utf8_lossy(shown))
            };
        }
        Some(ObjectType::Tree) => {
            let tree = obj.peel_to_tree().git("reading the tree")?;
            out.kind = "tree".to_owned();
            let mut t = format!("{prefix}tree {revision}\n\n");
            for e in tree.iter() {
                let name = String::from_utf8_lossy(e.name_bytes());
                let slash = if e.kind() == Some(ObjectType::Tree) {
                    "/"
                } else {
                    ""
                };
                t.push_str(&format!("{name}{slash}\n"));
            }
            out.text = t;
        }
        other => {
            out.kind = other.map_or("unknown", |k| k.str()).to_owned();
            out.text = format!("{prefix}{} {}", out.kind, out.hash);
        }
    }
    if cap(&mut out.text, max) {
        out.truncated = true;
        out.text
            .push_str("\n[output truncated at GIT_MAX_OUTPUT_BYTES]\n");
    }
    Ok(out)
}

/// Blame `path` at `revision` for a line range.
pub(crate) fn blame(
    repo: &Repo,
    path: &str,
    revision: Option<&str>,
    start: Option<usize>,
    end: Option<usize>,
) -> Result<BlameOutput, GitError> {
    let git = &repo.git;
    let commit = commit_of(git, "revision", revision.unwrap_or("HEAD"))?;
    let entry = commit
        .tree()
        .git("reading the tree")?
        .get_path(std::path::Path::new(path))
        .map_err(|_| {
            GitError::arg(
                "path",
                format!("{path:?} does not exist at {}", short(commit.id())),
            )
        })?;
    let blob = git
        .find_blob(entry.id())
        .map_err(|_| GitError::arg("path", format!("{path:?} is not a file")))?;
    if blob.is_binary() {
        return Err(GitError::arg("path", format!("{path:?} is a binary file")));
    }
    let text = String::from_utf8_lossy(blob.content()).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let first = start.unwrap_or(1);
    let last = end.unwrap_or(lines.len()).min(lines.len());
    if first == 0 || (first > last && !lines.is_empty()) {
        return Err(GitError::arg(
            "start_line",
            format!(
                "range {first}..={last} is empty; the file has {} lines",
                lines.len()
            ),
        ));
    }
    let truncated = last + 1 - first > MAX_BLAME_LINES;
    let last = last.min(first + MAX_BLAME_LINES - 1);
    let mut opts = BlameOptions::new();
    opts.newest_commit(commit.id());
    if !lines.is_empty() {
        opts.min_line(first).max_line(last);
    }
    let blame = git
        .blame_file(std::path::Path::new(path), Some(&mut opts))
        .git(format!("blaming {path}"))?;
    let mut out = BlameOutput {
        path: path.to_owned(),
        lines: Vec::new(),
        truncated,
    };
    for n in first..=last {
        let Some(hunk) = blame.get_line(n) else {
            continue;
        };
        let id: Oid = hunk.final_commit_id();
        let (author, date) = match hunk.final_signature() {
            Some(s) => (who(&s).0, format_time(s.when()).1),
            None => (String::new(), String::new()),
        };
        out.lines.push(BlameLine {
            line: n,
            hash: id.to_string(),
            author,
            date,
            content: lines.get(n - 1).copied().unwrap_or("").to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_date_syntax_is_understood() {
        assert_eq!(
            parse_date("start_timestamp", "2024-01-15").unwrap(),
            1_705_276_800
        );
        assert_eq!(
            parse_date("start_timestamp", "2024-01-15T14:30:25+00:00").unwrap(),
            1_705_329_025
        );
        assert_eq!(
            parse_date("start_timestamp", "@1705329025").unwrap(),
            1_705_329_025
        );
        let now = jiff::Timestamp::now().as_second();
        let two_weeks = parse_date("start_timestamp", "2 weeks ago").unwrap();
        assert!((now - two_weeks - 14 * 86_400).abs() < 60, "{two_weeks}");
        let e = parse_date("end_timestamp", "someday")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid end_timestamp: cannot read \"someday\" as a date"),
            "{e}"
        );
    }
}
