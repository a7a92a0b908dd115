//! Settings of the git cluster (`GIT_*`), read with fleet-core's reader so their problems are
//! reported together with the core ones.
//!
//! Everything that decides *who* acts (author and committer identity, the HTTPS token) and
//! *where* (base directories, default repository) comes from here, never from a request.

use std::{
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

use fleet_core::{EnvReader, EnvVar};

/// Default name of the protected integration branch.
pub const DEFAULT_MAIN_BRANCH: &str = "main";
/// Default remote used by the workflow tools.
pub const DEFAULT_REMOTE: &str = "origin";
/// Default author name when `GIT_AUTHOR_NAME` is unset.
pub const DEFAULT_AUTHOR_NAME: &str = "Sanctuary Git";
/// Default author email when `GIT_AUTHOR_EMAIL` is unset.
pub const DEFAULT_AUTHOR_EMAIL: &str = "sanctuary-git@localhost";
/// Default user name sent with `GIT_TOKEN` (GitHub accepts any; this is its documented one).
pub const DEFAULT_TOKEN_USERNAME: &str = "x-access-token";
/// Files whose staged changes get the Protocol 122 check by default.
pub const DEFAULT_HIGH_RISK_FILES: &str = ".gitignore,.env,.env.local,Dockerfile,package.json";
/// Default cap on a diff, show or log answer, in bytes.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 1024 * 1024;
/// Default cap on `max_count` of `git_log`.
pub const DEFAULT_MAX_LOG_COUNT: u64 = 10_000;
/// Default time limit of a network operation (fetch, pull, push and the workflow tools using them).
pub const DEFAULT_NETWORK_TIMEOUT: Duration = Duration::from_secs(120);
/// Default wait for the repository lock before an index-changing call gives up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Every variable this cluster reads.
pub const GIT_VARS: &[EnvVar] = &[
    EnvVar {
        name: "GIT_BASE_DIRS",
        default: "<current directory>",
        help: "Comma-separated directories; every repository (and every local remote) must lie inside one of them",
    },
    EnvVar {
        name: "GIT_REPO_PATH",
        default: "",
        help: "Repository used when a call gives no repo_path (the original fleet's REPO_PATH); must lie inside GIT_BASE_DIRS",
    },
    EnvVar {
        name: "GIT_MAIN_BRANCH",
        default: DEFAULT_MAIN_BRANCH,
        help: "The protected integration branch: never staged on, committed to or pushed; features start from it",
    },
    EnvVar {
        name: "GIT_REMOTE",
        default: DEFAULT_REMOTE,
        help: "Remote used by git_start_feature, git_push_feature, git_finish_feature and the default of git_fetch/git_pull",
    },
    EnvVar {
        name: "GIT_AUTHOR_NAME",
        default: DEFAULT_AUTHOR_NAME,
        help: "Author name of every commit, tag and stash made by the server",
    },
    EnvVar {
        name: "GIT_AUTHOR_EMAIL",
        default: DEFAULT_AUTHOR_EMAIL,
        help: "Author email of every commit, tag and stash made by the server",
    },
    EnvVar {
        name: "GIT_COMMITTER_NAME",
        default: "<GIT_AUTHOR_NAME>",
        help: "Committer name",
    },
    EnvVar {
        name: "GIT_COMMITTER_EMAIL",
        default: "<GIT_AUTHOR_EMAIL>",
        help: "Committer email",
    },
    EnvVar {
        name: "GIT_TOKEN",
        default: "",
        help: "Token for HTTPS remotes (sent as the password of GIT_TOKEN_USERNAME, never over plain http, never logged)",
    },
    EnvVar {
        name: "GIT_TOKEN_USERNAME",
        default: DEFAULT_TOKEN_USERNAME,
        help: "User name sent with GIT_TOKEN",
    },
    EnvVar {
        name: "GIT_ALLOW_FORCE_PUSH",
        default: "0",
        help: "Operator approval for git_push_feature force=true (Protocol 101: no force push without approval)",
    },
    EnvVar {
        name: "GIT_HIGH_RISK_FILES",
        default: DEFAULT_HIGH_RISK_FILES,
        help: "File names (any directory) whose staged heavy deletions or secret-looking additions block a commit (Protocol 122)",
    },
    EnvVar {
        name: "GIT_AUDIT_LOG",
        default: "<temp dir>/sanctuary-git/audit.jsonl",
        help: "JSON-lines audit log of every mutating call (ok, refused or failed); - writes it to the log on stderr instead",
    },
    EnvVar {
        name: "GIT_MAX_OUTPUT_BYTES",
        default: "1048576",
        help: "Largest diff, show or log answer; longer output is cut and marked truncated",
    },
    EnvVar {
        name: "GIT_MAX_LOG_COUNT",
        default: "10000",
        help: "Largest max_count accepted by git_log",
    },
    EnvVar {
        name: "GIT_NETWORK_TIMEOUT",
        default: "120s",
        help: "Time limit of fetch, pull, push, git_start_feature and git_finish_feature (transfers are aborted when it passes)",
    },
    EnvVar {
        name: "GIT_LOCK_TIMEOUT",
        default: "30s",
        help: "How long an index-changing call waits for the repository lock before answering busy",
    },
];

/// Who the server acts as; from the environment only.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    /// Author name.
    pub author_name: String,
    /// Author email.
    pub author_email: String,
    /// Committer name.
    pub committer_name: String,
    /// Committer email.
    pub committer_email: String,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.author_name, self.author_email)
    }
}

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the audit log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    /// Append JSON lines to this file (created with its directory on first write).
    File(PathBuf),
    /// Emit each record as a tracing event (target `audit`) on stderr.
    Log,
}

/// Git cluster settings.
#[derive(Debug, Clone)]
pub struct GitConfig {
    /// Canonical base directories; repositories must lie inside one.
    pub base_dirs: Vec<PathBuf>,
    /// Repository used when a call names none.
    pub default_repo: Option<PathBuf>,
    /// The protected branch.
    pub main_branch: String,
    /// The workflow remote.
    pub remote: String,
    /// Commit identity.
    pub identity: Identity,
    /// HTTPS token, if any.
    pub token: Option<Secret>,
    /// User name sent with the token.
    pub token_username: String,
    /// Whether `force=true` pushes are approved by the operator.
    pub allow_force_push: bool,
    /// File names checked by the high-risk rule.
    pub high_risk_files: Vec<String>,
    /// Audit log destination.
    pub audit: AuditTarget,
    /// Cap on text output.
    pub max_output_bytes: usize,
    /// Cap on `git_log` `max_count`.
    pub max_log_count: usize,
    /// Time limit of network operations.
    pub network_timeout: Duration,
    /// Wait for the repository lock.
    pub lock_timeout: Duration,
}

impl GitConfig {
    /// Settings for tests and embedding: `base_dirs` (canonicalized when they exist), defaults
    /// elsewhere, audit records to the log.
    pub fn for_base_dirs(base_dirs: &[&Path]) -> Self {
        Self {
            base_dirs: base_dirs
                .iter()
                .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
                .collect(),
            default_repo: None,
            main_branch: DEFAULT_MAIN_BRANCH.to_owned(),
            remote: DEFAULT_REMOTE.to_owned(),
            identity: Identity {
                author_name: DEFAULT_AUTHOR_NAME.to_owned(),
                author_email: DEFAULT_AUTHOR_EMAIL.to_owned(),
                committer_name: DEFAULT_AUTHOR_NAME.to_owned(),
                committer_email: DEFAULT_AUTHOR_EMAIL.to_owned(),
            },
            token: None,
            token_username: DEFAULT_TOKEN_USERNAME.to_owned(),
            allow_force_push: false,
            high_risk_files: split_list(DEFAULT_HIGH_RISK_FILES),
            audit: AuditTarget::Log,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES as usize,
            max_log_count: DEFAULT_MAX_LOG_COUNT as usize,
            network_timeout: DEFAULT_NETWORK_TIMEOUT,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// Read the `GIT_*` variables; `None` when one of them was unusable (the problem is recorded
    /// in `r`, so it is reported with every other one).
    pub fn read(r: &mut EnvReader<'_>) -> Option<Self> {
        let mut ok = true;
        let raw_bases = r.list("GIT_BASE_DIRS");
        let raw_bases = if raw_bases.is_empty() {
            vec![".".to_owned()]
        } else {
            raw_bases
        };
        let mut base_dirs = Vec::new();
        for b in &raw_bases {
            match Path::new(b).canonicalize() {
                Ok(p) if p.is_dir() => base_dirs.push(p),
                Ok(p) => {
                    r.problem(
                        "GIT_BASE_DIRS",
                        format!("{} is not a directory", p.display()),
                    );
                    ok = false;
                }
                Err(e) => {
                    r.problem("GIT_BASE_DIRS", format!("cannot use {b:?}: {e}"));
                    ok = false;
                }
            }
        }
        let default_repo = r.raw("GIT_REPO_PATH").map(PathBuf::from);
        let main_branch = r.string("GIT_MAIN_BRANCH", DEFAULT_MAIN_BRANCH);
        if git2::Branch::name_is_valid(&main_branch).ok() != Some(true)
            || main_branch.starts_with('-')
        {
            r.problem(
                "GIT_MAIN_BRANCH",
                format!("{main_branch:?} is not a valid branch name"),
            );
            ok = false;
        }
        let remote = r.string("GIT_REMOTE", DEFAULT_REMOTE);
        if !git2::Remote::is_valid_name(&remote) || remote.starts_with('-') {
            r.problem(
                "GIT_REMOTE",
                format!("{remote:?} is not a valid remote name"),
            );
            ok = false;
        }
        let author_name = r.string("GIT_AUTHOR_NAME", DEFAULT_AUTHOR_NAME);
        let author_email = r.string("GIT_AUTHOR_EMAIL", DEFAULT_AUTHOR_EMAIL);
        let committer_name = r.string("GIT_COMMITTER_NAME", &author_name);
        let committer_email = r.string("GIT_COMMITTER_EMAIL", &author_email);
        for (var, value) in [
            ("GIT_AUTHOR_NAME", &author_name),
            ("GIT_AUTHOR_EMAIL", &author_email),
            ("GIT_COMMITTER_NAME", &committer_name),
            ("GIT_COMMITTER_EMAIL", &committer_email),
        ] {
            if git2::Signature::now(value, "x@y").is_err() || value.contains(['<', '>', '\n']) {
                r.problem(var, format!("{value:?} cannot appear in a git signature"));
                ok = false;
            }
        }
        let audit = match r.raw("GIT_AUDIT_LOG") {
            Some(v) if v == "-" => AuditTarget::Log,
            Some(v) => AuditTarget::File(PathBuf::from(v)),
            None => AuditTarget::File(
                std::env::temp_dir()
                    .join("sanctuary-git")
                    .join("audit.jsonl"),
            ),
        };
        let high_risk_files = split_list(&r.string("GIT_HIGH_RISK_FILES", DEFAULT_HIGH_RISK_FILES));
        let config = Self {
            base_dirs,
            default_repo,
            main_branch,
            remote,
            identity: Identity {
                author_name,
                author_email,
                committer_name,
                committer_email,
            },
            token: r.raw("GIT_TOKEN").map(Secret),
            token_username: r.string("GIT_TOKEN_USERNAME", DEFAULT_TOKEN_USERNAME),
            allow_force_push: r.flag("GIT_ALLOW_FORCE_PUSH", false),
            high_risk_files,
            audit,
            max_output_bytes: r.bounded(
                "GIT_MAX_OUTPUT_BYTES",
                DEFAULT_MAX_OUTPUT_BYTES,
                1024,
                64 << 20,
            ) as usize,
            max_log_count: r.bounded("GIT_MAX_LOG_COUNT", DEFAULT_MAX_LOG_COUNT, 1, 1_000_000)
                as usize,
            network_timeout: r.duration("GIT_NETWORK_TIMEOUT", DEFAULT_NETWORK_TIMEOUT),
            lock_timeout: r.duration("GIT_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT),
        };
        ok.then_some(config)
    }
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn read(pairs: &[(&'static str, &'static str)]) -> (Option<GitConfig>, Vec<String>) {
        let map: BTreeMap<&str, &str> = pairs.iter().copied().collect();
        let mut r = EnvReader::new(&map);
        let c = GitConfig::read(&mut r);
        let problems = match r.finish() {
            Ok(()) => Vec::new(),
            Err(e) => e.problems.into_iter().map(|p| p.var).collect(),
        };
        (c, problems)
    }

    #[test]
    fn defaults_use_the_current_directory_and_main() {
        let (c, problems) = read(&[]);
        assert!(problems.is_empty(), "{problems:?}");
        let c = c.unwrap();
        assert_eq!(
            c.base_dirs,
            vec![std::env::current_dir().unwrap().canonicalize().unwrap()]
        );
        assert_eq!(c.main_branch, "main");
        assert_eq!(c.identity.author_name, DEFAULT_AUTHOR_NAME);
        assert_eq!(c.high_risk_files.len(), 5);
        assert!(!c.allow_force_push);
        assert!(matches!(c.audit, AuditTarget::File(_)));
    }

    #[test]
    fn every_bad_variable_is_reported() {
        let (c, problems) = read(&[
            ("GIT_BASE_DIRS", "/definitely/not/here"),
            ("GIT_MAIN_BRANCH", "-main"),
            ("GIT_REMOTE", "bad remote"),
            ("GIT_AUTHOR_NAME", "Eve <evil>"),
            ("GIT_MAX_LOG_COUNT", "0"),
        ]);
        assert!(c.is_none());
        for var in [
            "GIT_BASE_DIRS",
            "GIT_MAIN_BRANCH",
            "GIT_REMOTE",
            "GIT_AUTHOR_NAME",
            "GIT_MAX_LOG_COUNT",
        ] {
            assert!(
                problems.iter().any(|p| p == var),
                "{var} not in {problems:?}"
            );
        }
    }

    #[test]
    fn committer_defaults_to_author_and_token_is_redacted() {
        let (c, _) = read(&[
            ("GIT_AUTHOR_NAME", "Ada"),
            ("GIT_AUTHOR_EMAIL", "ada@example.org"),
            ("GIT_TOKEN", "ghp_secret"),
            ("GIT_AUDIT_LOG", "-"),
        ]);
        let c = c.unwrap();
        assert_eq!(c.identity.committer_name, "Ada");
        assert_eq!(c.identity.committer_email, "ada@example.org");
        assert_eq!(c.audit, AuditTarget::Log);
        assert!(!format!("{c:?}").contains("ghp_secret"));
    }
}
