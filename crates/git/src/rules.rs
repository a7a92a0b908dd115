//! The Protocol 101/122 safety rules: their table (served by `git_get_safety_rules` and copied into
//! docs/TOOLS.md) and the checks that enforce them.
//!
//! Every check here returns a [`GitError::Refused`] naming its [`Rule`], the reason in this
//! repository and a remedy. The checks are plain functions over `git2` objects so the tools stay
//! thin and the rules are unit-tested against real repositories. What is deliberately absent: an
//! override flag. A rule that a request could switch off would not be a rule; the only opt-in
//! (force push) is the operator's, through `GIT_ALLOW_FORCE_PUSH`.

use std::{collections::BTreeSet, path::Path};

use git2::{BranchType, Repository, Status, StatusOptions};
use serde::Serialize;

use crate::error::{GitContext, GitError};

/// One safety rule.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Rule {
    /// Stable id, quoted in refusals and the audit log.
    pub id: &'static str,
    /// Where the rule comes from.
    pub protocol: &'static str,
    /// What the rule says.
    pub rule: &'static str,
    /// The tools that enforce it.
    pub enforced_by: &'static [&'static str],
    /// What to do when it refuses.
    pub remedy: &'static str,
}

/// The prefix every work branch carries.
pub const FEATURE_PREFIX: &str = "feature/";
/// Longest slug kept in a feature branch name.
pub const MAX_SLUG_CHARS: usize = 48;
/// Longest task id.
pub const MAX_TASK_ID_CHARS: usize = 32;

/// Protocol 101: nothing is staged, committed or pushed on the main branch.
pub static PROTECTED_BRANCH: Rule = Rule {
    id: "protected-branch",
    protocol: "Protocol 101",
    rule: "Never stage, commit or push on the main branch (GIT_MAIN_BRANCH); main only moves by merging reviewed features on the remote",
    enforced_by: &[
        "git_add",
        "git_commit",
        "git_smart_commit",
        "git_push_feature",
    ],
    remedy: "start a feature branch with git_start_feature(task_id, description), then work there",
};
/// Protocol 101: work happens on `feature/` branches only.
pub static FEATURE_BRANCH_ONLY: Rule = Rule {
    id: "feature-branch-only",
    protocol: "Protocol 101",
    rule: "Stage, commit and push only on a feature/ branch (and never with a detached HEAD)",
    enforced_by: &[
        "git_add",
        "git_commit",
        "git_smart_commit",
        "git_push_feature",
    ],
    remedy: "switch to your feature branch with git_checkout, or start one with git_start_feature",
};
/// Protocol 101: branch names follow `feature/task-<id>-<slug>`.
pub static BRANCH_NAME: Rule = Rule {
    id: "branch-name",
    protocol: "Protocol 101",
    rule: "Feature branches are named feature/task-<id>-<slug>: id of letters and digits, slug of lower-case letters, digits and single hyphens (sanitised from the description)",
    enforced_by: &["git_start_feature", "git_create_branch", "git_checkout"],
    remedy: "create feature branches with git_start_feature(task_id, description), which builds the name",
};
/// Protocol 101: one feature branch at a time.
pub static ONE_FEATURE: Rule = Rule {
    id: "one-feature",
    protocol: "Protocol 101",
    rule: "Only one local feature/ branch may exist at a time",
    enforced_by: &["git_start_feature", "git_create_branch", "git_checkout"],
    remedy: "finish the existing feature first: push it, merge it on the remote, then git_finish_feature",
};
/// Protocol 101: a clean working tree to start or finish a feature.
pub static CLEAN_TREE: Rule = Rule {
    id: "clean-tree",
    protocol: "Protocol 101",
    rule: "Starting or finishing a feature needs a clean working tree: nothing staged, modified, deleted, untracked or conflicted",
    enforced_by: &["git_start_feature", "git_finish_feature"],
    remedy: "commit the changes (git_add + git_smart_commit), stash them (git_stash action=push), or remove them",
};
/// Protocol 101: features start from an up-to-date main.
pub static MAIN_UP_TO_DATE: Rule = Rule {
    id: "main-up-to-date",
    protocol: "Protocol 101",
    rule: "A feature starts from main; when the remote exists, main is fetched and fast-forwarded first, and local main must not hold commits the remote lacks",
    enforced_by: &["git_start_feature"],
    remedy: "make the remote reachable (GIT_TOKEN for HTTPS), or move stray commits off local main onto a feature branch",
};
/// Protocol 122: staged changes to high-risk files are checked.
pub static HIGH_RISK_FILES: Rule = Rule {
    id: "high-risk-files",
    protocol: "Protocol 122",
    rule: "A commit is blocked when a staged high-risk file (GIT_HIGH_RISK_FILES: .gitignore, .env, .env.local, Dockerfile, package.json) loses more than twice the lines it gains, or gains a secret-looking line (API_KEY=, SECRET=, PASSWORD=, TOKEN=, aws_secret with a value)",
    enforced_by: &["git_commit", "git_smart_commit"],
    remedy: "unstage the file (git_reset) and make a smaller, secret-free change; keep secrets out of the repository",
};
/// Protocol 101: a feature is finished only after it was merged.
pub static MERGED_BEFORE_FINISH: Rule = Rule {
    id: "merged-before-finish",
    protocol: "Protocol 101",
    rule: "git_finish_feature deletes a branch only when it is merged: an ancestor of <remote>/main, or squash-merged (merging it into main would change nothing)",
    enforced_by: &["git_finish_feature"],
    remedy: "push the branch (git_push_feature), merge its pull request on the remote, then call git_finish_feature again",
};
/// Protocol 101: a push is verified on the remote.
pub static VERIFIED_PUSH: Rule = Rule {
    id: "verified-push",
    protocol: "Protocol 101",
    rule: "After a push the remote branch is read back; the push succeeds only if it points at the local commit",
    enforced_by: &["git_push_feature"],
    remedy: "check the remote (permissions, hooks, protected branches) and push again",
};
/// Protocol 101: no force push without approval.
pub static NO_FORCE_PUSH: Rule = Rule {
    id: "no-force-push",
    protocol: "Protocol 101",
    rule: "No force push without approval: force=true is refused unless the operator set GIT_ALLOW_FORCE_PUSH=1",
    enforced_by: &["git_push_feature"],
    remedy: "integrate the remote changes instead (git_pull), or ask the operator to approve force pushes",
};
/// No empty commits.
pub static NO_EMPTY_COMMIT: Rule = Rule {
    id: "no-empty-commit",
    protocol: "Protocol 101",
    rule: "A commit must change something: the staged tree must differ from HEAD's",
    enforced_by: &["git_commit", "git_smart_commit"],
    remedy: "stage changes with git_add first",
};
/// No argument may look like a command-line flag.
pub static NO_FLAG_ARGUMENTS: Rule = Rule {
    id: "no-flag-arguments",
    protocol: "Sanctuary",
    rule: "No string argument (ref, path, revision, date, message, description) may start with '-', so nothing can be read as a git option",
    enforced_by: &["every tool"],
    remedy: "pass the value without a leading '-' (for a file named -x, use ./-x)",
};
/// Paths stay inside the repository.
pub static PATH_CONTAINMENT: Rule = Rule {
    id: "path-containment",
    protocol: "Sanctuary",
    rule: "Every file path resolves (symbolic links included) inside the repository's working tree and outside .git",
    enforced_by: &["git_add", "git_diff", "git_blame"],
    remedy: "pass a path relative to the repository root",
};
/// Repositories only under the configured base directories.
pub static BASE_DIRECTORIES: Rule = Rule {
    id: "base-directories",
    protocol: "Sanctuary",
    rule: "Repositories (working tree and .git), and local remotes, must lie inside GIT_BASE_DIRS",
    enforced_by: &["every tool"],
    remedy: "use a repository under the configured base directories, or ask the operator to add one",
};
/// Identity and credentials come from the environment.
pub static IDENTITY_FROM_ENVIRONMENT: Rule = Rule {
    id: "identity-from-environment",
    protocol: "Sanctuary",
    rule: "Author, committer and HTTPS token come from the server's environment (GIT_AUTHOR_*, GIT_COMMITTER_*, GIT_TOKEN), never from a request; tokens are never sent over plain http",
    enforced_by: &[
        "git_commit",
        "git_smart_commit",
        "git_tag",
        "git_stash",
        "git_fetch",
        "git_pull",
        "git_push_feature",
    ],
    remedy: "ask the operator to set the identity or token",
};

/// Every rule, in the order `git_get_safety_rules` lists them.
pub static RULES: [&Rule; 15] = [
    &PROTECTED_BRANCH,
    &FEATURE_BRANCH_ONLY,
    &BRANCH_NAME,
    &ONE_FEATURE,
    &CLEAN_TREE,
    &MAIN_UP_TO_DATE,
    &HIGH_RISK_FILES,
    &MERGED_BEFORE_FINISH,
    &VERIFIED_PUSH,
    &NO_FORCE_PUSH,
    &NO_EMPTY_COMMIT,
    &NO_FLAG_ARGUMENTS,
    &PATH_CONTAINMENT,
    &BASE_DIRECTORIES,
    &IDENTITY_FROM_ENVIRONMENT,
];

/// The original fleet's six working habits, returned with the rules.
pub const HABITS: [&str; 6] = [
    "Sync main before starting: git_start_feature fetches and fast-forwards it for you",
    "Never commit to main: work on one feature/ branch",
    "One feature branch at a time: finish it before starting the next",
    "Check git_get_status before acting",
    "No force push without approval",
    "Verify the branch (git_get_status) before editing files",
];

/// Refuse a string argument that could be read as an option, is empty, or holds a NUL byte.
pub fn check_arg(arg: &'static str, value: &str) -> Result<(), GitError> {
    if value.trim_start().starts_with('-') {
        return Err(GitError::refused(
            &NO_FLAG_ARGUMENTS,
            format!("{arg} {value:?} starts with '-' and could be read as an option"),
            NO_FLAG_ARGUMENTS.remedy,
        ));
    }
    if value.contains('\0') {
        return Err(GitError::arg(arg, "contains a NUL byte"));
    }
    if value.trim().is_empty() {
        return Err(GitError::arg(arg, "must not be empty"));
    }
    Ok(())
}

/// [`check_arg`] on an optional argument.
pub fn check_opt(arg: &'static str, value: Option<&str>) -> Result<(), GitError> {
    value.map_or(Ok(()), |v| check_arg(arg, v))
}

/// The slug of a description: lower-case ASCII letters and digits, other runs become one `-`,
/// no leading or trailing `-`, at most [`MAX_SLUG_CHARS`] characters.
pub fn slugify(description: &str) -> String {
    let mut slug = String::new();
    for c in description.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.chars().take(MAX_SLUG_CHARS).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// A task id as used in branch names: 1–32 ASCII letters or digits.
pub fn check_task_id(task_id: &str) -> Result<(), GitError> {
    if task_id.is_empty()
        || task_id.len() > MAX_TASK_ID_CHARS
        || !task_id.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(GitError::arg(
            "task_id",
            format!(
                "{task_id:?} must be 1 to {MAX_TASK_ID_CHARS} ASCII letters or digits, e.g. 119"
            ),
        ));
    }
    Ok(())
}

/// `feature/task-<id>-<slug>` for a task and description.
pub fn feature_branch_name(task_id: &str, description: &str) -> Result<String, GitError> {
    check_task_id(task_id)?;
    let slug = slugify(description);
    if slug.is_empty() {
        return Err(GitError::arg(
            "description",
            format!("{description:?} has no letters or digits to build a branch name from"),
        ));
    }
    Ok(format!("{FEATURE_PREFIX}task-{task_id}-{slug}"))
}

/// Whether `name` is exactly of the form `feature/task-<id>-<slug>` that git_start_feature builds.
pub fn is_canonical_feature_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("feature/task-") else {
        return false;
    };
    let Some((id, slug)) = rest.split_once('-') else {
        return false;
    };
    check_task_id(id).is_ok() && !slug.is_empty() && slugify(slug) == slug
}

/// Refuse a branch name under `feature/` that is not canonical.
pub fn check_feature_name(name: &str) -> Result<(), GitError> {
    if name.starts_with(FEATURE_PREFIX) && !is_canonical_feature_name(name) {
        return Err(GitError::refused(
            &BRANCH_NAME,
            format!("{name:?} is not of the form feature/task-<id>-<slug>"),
            BRANCH_NAME.remedy,
        ));
    }
    Ok(())
}

/// The current branch's short name, or `None` for a detached HEAD; an unborn branch counts.
pub fn current_branch(repo: &Repository) -> Result<Option<String>, GitError> {
    match repo.head() {
        Ok(head) if head.is_branch() => Ok(head.shorthand().ok().map(str::to_owned)),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
            // HEAD points at a branch with no commit yet: read the symbolic target.
            let head = repo.find_reference("HEAD").git("reading HEAD")?;
            Ok(head
                .symbolic_target()
                .ok()
                .flatten()
                .and_then(|t| t.strip_prefix("refs/heads/"))
                .map(str::to_owned))
        }
        Err(e) => Err(GitError::Git {
            context: "reading HEAD".to_owned(),
            source: e,
        }),
    }
}

/// Protocol 101: the current branch must be a `feature/` branch (not main, not detached) for
/// `action` (staging, committing, pushing). Returns the branch name.
pub fn require_feature_branch(
    repo: &Repository,
    main: &str,
    action: &str,
) -> Result<String, GitError> {
    match current_branch(repo)? {
        Some(b) if b == main => Err(GitError::refused(
            &PROTECTED_BRANCH,
            format!("{action} on '{b}' is not allowed"),
            PROTECTED_BRANCH.remedy,
        )),
        Some(b) if b.starts_with(FEATURE_PREFIX) => Ok(b),
        Some(b) => Err(GitError::refused(
            &FEATURE_BRANCH_ONLY,
            format!("{action} on '{b}' is not allowed: it is not a feature/ branch"),
            FEATURE_BRANCH_ONLY.remedy,
        )),
        None => Err(GitError::refused(
            &FEATURE_BRANCH_ONLY,
            format!("{action} with a detached HEAD is not allowed"),
            FEATURE_BRANCH_ONLY.remedy,
        )),
    }
}

/// Local `feature/` branches other than `except`.
pub fn other_feature_branches(repo: &Repository, except: &str) -> Result<Vec<String>, GitError> {
    let mut found = Vec::new();
    for b in repo
        .branches(Some(BranchType::Local))
        .git("listing branches")?
    {
        let (b, _) = b.git("listing branches")?;
        if let Ok(Some(name)) = b.name()
            && name.starts_with(FEATURE_PREFIX)
            && name != except
        {
            found.push(name.to_owned());
        }
    }
    Ok(found)
}

/// Protocol 101: refuse creating `name` while another feature branch exists.
pub fn require_single_feature(repo: &Repository, name: &str) -> Result<(), GitError> {
    if !name.starts_with(FEATURE_PREFIX) {
        return Ok(());
    }
    let others = other_feature_branches(repo, name)?;
    if others.is_empty() {
        return Ok(());
    }
    Err(GitError::refused(
        &ONE_FEATURE,
        format!(
            "cannot create '{name}': feature branch {} already exists",
            others.join(", ")
        ),
        ONE_FEATURE.remedy,
    ))
}

/// Paths that keep the working tree from being clean: everything but ignored files.
pub fn dirty_paths(repo: &Repository) -> Result<Vec<String>, GitError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo.statuses(Some(&mut opts)).git("reading status")?;
    Ok(statuses
        .iter()
        .filter(|e| e.status() != Status::CURRENT && !e.status().contains(Status::IGNORED))
        .map(|e| String::from_utf8_lossy(e.path_bytes()).into_owned())
        .collect())
}

/// Protocol 101: refuse `action` unless the tree is clean.
pub fn require_clean_tree(repo: &Repository, action: &str) -> Result<(), GitError> {
    let dirty = dirty_paths(repo)?;
    if dirty.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = dirty.iter().take(10).map(String::as_str).collect();
    let more = dirty.len().saturating_sub(shown.len());
    Err(GitError::refused(
        &CLEAN_TREE,
        format!(
            "{action} needs a clean working tree, but {} path(s) changed: {}{}",
            dirty.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
        CLEAN_TREE.remedy,
    ))
}

/// What the high-risk check found in one staged file.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct RiskFinding {
    /// Path of the file.
    pub path: String,
    /// Lines added in the staged change.
    pub added: usize,
    /// Lines removed in the staged change.
    pub removed: usize,
    /// Why it blocks (empty when it passes).
    pub problems: Vec<String>,
}

/// Names of secret-looking settings (compared upper-cased). `AWS_SECRET` also matches longer
/// names (`AWS_SECRET_ACCESS_KEY`); the others must be followed by the assignment.
const SECRET_MARKERS: [&str; 5] = ["API_KEY", "SECRET", "PASSWORD", "TOKEN", "AWS_SECRET"];

/// Whether an added line looks like it sets a secret: a marker, then `=` or `:` (spaces and a
/// closing quote allowed between), then a non-empty value.
pub fn looks_like_secret(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    SECRET_MARKERS.iter().any(|m| {
        upper.match_indices(m).any(|(i, _)| {
            let mut rest = &upper[i + m.len()..];
            if *m == "AWS_SECRET" {
                rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
            }
            let rest = rest.trim_start_matches([' ', '\t', '"', '\'']);
            let Some(value) = rest.strip_prefix(['=', ':']) else {
                return false;
            };
            let value = value.trim().trim_matches(['"', '\'', ',', ' ']);
            !value.is_empty()
        })
    })
}

/// Whether a path's file name is one of the high-risk names.
pub fn is_high_risk(path: &str, names: &[String]) -> bool {
    let file = Path::new(path)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    names.contains(&file)
}

/// Protocol 122: look at the staged changes (HEAD → index) of high-risk files; return every
/// finding, and refuse when one has a problem.
pub fn check_high_risk(repo: &Repository, names: &[String]) -> Result<Vec<RiskFinding>, GitError> {
    let head_tree = match repo.head() {
        Ok(h) => Some(h.peel_to_tree().git("reading HEAD's tree")?),
        Err(_) => None,
    };
    let index = repo.index().git("reading the index")?;
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(0);
    let diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .git("diffing the staged changes")?;
    let mut findings: Vec<RiskFinding> = Vec::new();
    let mut risky = BTreeSet::new();
    for d in diff.deltas() {
        for f in [d.old_file(), d.new_file()] {
            if let Some(p) = f.path().map(|p| p.to_string_lossy().into_owned())
                && is_high_risk(&p, names)
            {
                risky.insert(p);
            }
        }
    }
    if risky.is_empty() {
        return Ok(findings);
    }
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            let path = delta
                .new_file()
                .path()
                .or_else(|| delta.old_file().path())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !risky.contains(&path) {
                return true;
            }
            let idx = match findings.iter().position(|f| f.path == path) {
                Some(i) => i,
                None => {
                    findings.push(RiskFinding {
                        path: path.clone(),
                        added: 0,
                        removed: 0,
                        problems: Vec::new(),
                    });
                    findings.len() - 1
                }
            };
            let finding = &mut findings[idx];
            match line.origin() {
                '+' => {
                    finding.added += 1;
                    let text = String::from_utf8_lossy(line.content());
                    if looks_like_secret(&text) && finding.problems.len() < 5 {
                        let shown: String = text.trim().chars().take(40).collect();
                        finding.problems.push(format!(
                            "line {} adds a secret-looking value ({}…)",
                            line.new_lineno().unwrap_or(0),
                            shown.split(['=', ':']).next().unwrap_or("").trim()
                        ));
                    }
                }
                '-' => finding.removed += 1,
                _ => {}
            }
            true
        }),
    )
    .git("reading the staged changes")?;
    for f in &mut findings {
        if f.removed > 2 * f.added {
            f.problems.insert(
                0,
                format!(
                    "removes {} line(s) and adds {} (more than twice as many removed as added)",
                    f.removed, f.added
                ),
            );
        }
    }
    let blocked: Vec<String> = findings
        .iter()
        .filter(|f| !f.problems.is_empty())
        .map(|f| format!("{}: {}", f.path, f.problems.join("; ")))
        .collect();
    if blocked.is_empty() {
        Ok(findings)
    } else {
        Err(GitError::refused(
            &HIGH_RISK_FILES,
            format!("staged high-risk change blocked: {}", blocked.join(" | ")),
            HIGH_RISK_FILES.remedy,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_sanitised() {
        assert_eq!(slugify("Add Login Page"), "add-login-page");
        assert_eq!(
            slugify("  --Fix: the   ../../etc bug!! "),
            "fix-the-etc-bug"
        );
        assert_eq!(slugify("Ünïcode ✓ only"), "n-code-only");
        assert_eq!(slugify("$(rm -rf /)"), "rm-rf");
        assert_eq!(slugify("!!!"), "");
        let long = "word ".repeat(40);
        let s = slugify(&long);
        assert!(s.len() <= MAX_SLUG_CHARS && !s.ends_with('-'), "{s}");
    }

    #[test]
    fn feature_names_are_built_and_recognised() {
        let name = feature_branch_name("119", "Deploy the pilot").unwrap();
        assert_eq!(name, "feature/task-119-deploy-the-pilot");
        assert!(is_canonical_feature_name(&name));
        assert!(!is_canonical_feature_name("feature/login"));
        assert!(!is_canonical_feature_name("feature/task-1-Bad_Slug"));
        assert!(!is_canonical_feature_name("feature/task--x"));
        assert!(feature_branch_name("1 2", "x").is_err());
        assert!(feature_branch_name("../1", "x").is_err());
        assert!(feature_branch_name("7", "%%%").is_err());
        assert!(check_feature_name("feature/login").is_err());
        assert!(check_feature_name("bugfix/whatever").is_ok());
    }

    #[test]
    fn flag_like_and_empty_arguments_are_refused() {
        let e = check_arg("target", "--output=/tmp/x").unwrap_err();
        assert_eq!(e.rule_id(), Some("no-flag-arguments"));
        assert!(e.to_string().contains("target \"--output=/tmp/x\""), "{e}");
        assert!(check_arg("target", " -p").is_err());
        assert!(check_arg("target", "").is_err());
        assert!(check_arg("target", "a\0b").is_err());
        assert!(check_arg("target", "main~1").is_ok());
    }

    #[test]
    fn secret_lines_need_a_value() {
        assert!(looks_like_secret("API_KEY=abc123"));
        assert!(looks_like_secret("export github_token = \"ghp_x\""));
        assert!(looks_like_secret("aws_secret_access_key: AKIA"));
        assert!(!looks_like_secret("API_KEY="));
        assert!(!looks_like_secret("PASSWORD=\"\""));
        assert!(!looks_like_secret("node_modules/"));
        assert!(!looks_like_secret("  \"tokenizer\": \"^1.0.0\","));
        assert!(looks_like_secret("  \"password\": \"hunter2\","));
    }

    #[test]
    fn high_risk_names_match_any_directory() {
        let names: Vec<String> = DEFAULT_NAMES.iter().map(|s| (*s).to_owned()).collect();
        assert!(is_high_risk(".env", &names));
        assert!(is_high_risk("web/package.json", &names));
        assert!(!is_high_risk("src/env.rs", &names));
        assert!(!is_high_risk(".env.example", &names));
    }

    const DEFAULT_NAMES: [&str; 5] = [
        ".gitignore",
        ".env",
        ".env.local",
        "Dockerfile",
        "package.json",
    ];

    #[test]
    fn every_rule_has_a_remedy_and_a_unique_id() {
        let ids: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len());
        assert!(
            RULES
                .iter()
                .all(|r| !r.remedy.is_empty() && !r.enforced_by.is_empty())
        );
    }
}
