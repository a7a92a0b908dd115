//! Settings of the filesystem cluster (`FS_*`), read with fleet-core's reader so their problems are
//! reported together with the core ones. The allowed roots are checked here (each must exist and be
//! a directory); opening them is [`crate::jail`]'s job.

use std::{path::PathBuf, time::Duration};

use fleet_core::{EnvReader, EnvVar};

/// Default cap on a file read into memory (read tools, edits, patches, analysis), in bytes.
pub const DEFAULT_MAX_READ_BYTES: u64 = 10 * 1024 * 1024;
/// Default cap on content written by one call, in bytes.
pub const DEFAULT_MAX_WRITE_BYTES: u64 = 10 * 1024 * 1024;
/// Default cap on entries in a listing, tree or search result.
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;
/// Default cap on grep matches in one answer (the `max_results` argument may ask for fewer).
pub const DEFAULT_MAX_MATCHES: u64 = 2_000;
/// Default cap on the text of one answer (grep lines, listings, several files), in bytes.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 2 * 1024 * 1024;
/// Default deadline of a directory walk (grep, trees, searches, analysis).
pub const DEFAULT_WALK_TIMEOUT: Duration = Duration::from_secs(20);
/// Default time limit of an external lint or format tool (the original fleet's 30 s).
pub const DEFAULT_EXEC_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on `resources/list` entries.
pub const DEFAULT_MAX_RESOURCES: u64 = 500;
/// Files whose content may not shrink by more than half in one write (the original's poka-yoke).
pub const DEFAULT_GUARDED_FILES: &str = ".gitignore,.env,.env.local,Dockerfile,package.json";
/// Paths `code_delete` refuses without `force` (the original's list, as globs).
pub const DEFAULT_PROTECTED_PATTERNS: &str =
    "*.pyc,__pycache__/**,.git/**,.env,server.py,operations.py,models.py";

/// Variables passed through to external lint and format tools (everything else is withheld, so
/// a tool never sees the gateway secret or other settings).
pub const EXEC_ENV_PASSTHROUGH: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "CARGO_HOME",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "NODE_PATH",
    "GOPATH",
    "GOROOT",
    "GOCACHE",
    "XDG_CACHE_HOME",
];

/// Every variable this cluster reads.
pub const FS_VARS: &[EnvVar] = &[
    EnvVar {
        name: "FS_ROOTS",
        default: "<working directory>",
        help: "Comma-separated directories the tools may touch (the jail); in containers the mounted workspace, e.g. /workspace",
    },
    EnvVar {
        name: "FS_READ_ONLY",
        default: "false",
        help: "Refuse every mutation (write, edit, patch, move, delete, mkdir, format)",
    },
    EnvVar {
        name: "FS_AUDIT_LOG",
        default: "",
        help: "File that receives one JSON line per mutation (time, tool, paths, bytes, outcome); unset: the log on stderr",
    },
    EnvVar {
        name: "FS_MAX_READ_BYTES",
        default: "10485760",
        help: "Largest file a tool reads into memory",
    },
    EnvVar {
        name: "FS_MAX_WRITE_BYTES",
        default: "10485760",
        help: "Largest content one call may write",
    },
    EnvVar {
        name: "FS_MAX_ENTRIES",
        default: "10000",
        help: "Most entries in one listing, tree or file search (the answer says when it was truncated)",
    },
    EnvVar {
        name: "FS_MAX_MATCHES",
        default: "2000",
        help: "Most grep matches in one answer",
    },
    EnvVar {
        name: "FS_MAX_OUTPUT_BYTES",
        default: "2097152",
        help: "Largest text of one answer (grep lines, listings, several files)",
    },
    EnvVar {
        name: "FS_WALK_TIMEOUT",
        default: "20s",
        help: "Deadline of every directory walk; a walk that hits it answers with what it found, marked truncated",
    },
    EnvVar {
        name: "FS_EXEC_TIMEOUT",
        default: "30s",
        help: "Time limit of an external lint or format tool (killed when exceeded)",
    },
    EnvVar {
        name: "FS_GREP_THREADS",
        default: "<number of CPUs>",
        help: "Threads a grep or analysis walk uses",
    },
    EnvVar {
        name: "FS_MAX_RESOURCES",
        default: "500",
        help: "Most files listed by resources/list",
    },
    EnvVar {
        name: "FS_GUARDED_FILES",
        default: DEFAULT_GUARDED_FILES,
        help: "File names whose content may not shrink by more than half in one write (poka-yoke)",
    },
    EnvVar {
        name: "FS_PROTECTED_PATTERNS",
        default: DEFAULT_PROTECTED_PATTERNS,
        help: "Globs code_delete refuses without force (a pattern without / matches the file name)",
    },
];

/// Filesystem settings.
#[derive(Debug, Clone)]
pub struct FsConfig {
    /// The allowed roots as configured (each an existing directory).
    pub roots: Vec<PathBuf>,
    /// Whether every mutation is refused.
    pub read_only: bool,
    /// Where audit records go; `None` sends them to the log.
    pub audit_log: Option<PathBuf>,
    /// Largest file read into memory.
    pub max_read_bytes: u64,
    /// Largest content written by one call.
    pub max_write_bytes: u64,
    /// Most entries in one listing.
    pub max_entries: usize,
    /// Most grep matches in one answer.
    pub max_matches: usize,
    /// Largest text of one answer.
    pub max_output_bytes: usize,
    /// Deadline of every walk.
    pub walk_timeout: Duration,
    /// Time limit of an external tool.
    pub exec_timeout: Duration,
    /// Threads of a parallel walk.
    pub grep_threads: usize,
    /// Most files in `resources/list`.
    pub max_resources: usize,
    /// Names under the shrink guard.
    pub guarded_files: Vec<String>,
    /// Globs `code_delete` protects.
    pub protected_patterns: Vec<String>,
    /// The environment external tools get (the `EXEC_ENV_PASSTHROUGH` variables that are set).
    pub exec_env: Vec<(String, String)>,
}

impl FsConfig {
    /// Settings for tests and embedding: `roots`, everything else at its default.
    pub fn with_roots(roots: Vec<PathBuf>) -> Self {
        Self {
            roots,
            read_only: false,
            audit_log: None,
            max_read_bytes: DEFAULT_MAX_READ_BYTES,
            max_write_bytes: DEFAULT_MAX_WRITE_BYTES,
            max_entries: DEFAULT_MAX_ENTRIES as usize,
            max_matches: DEFAULT_MAX_MATCHES as usize,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES as usize,
            walk_timeout: DEFAULT_WALK_TIMEOUT,
            exec_timeout: DEFAULT_EXEC_TIMEOUT,
            grep_threads: default_threads(),
            max_resources: DEFAULT_MAX_RESOURCES as usize,
            guarded_files: split(DEFAULT_GUARDED_FILES),
            protected_patterns: split(DEFAULT_PROTECTED_PATTERNS),
            exec_env: Vec::new(),
        }
    }

    /// Read the `FS_*` variables; problems are recorded in `r`.
    pub fn read(r: &mut EnvReader<'_>) -> Self {
        let mut roots = r.list("FS_ROOTS");
        if roots.is_empty() {
            roots.push(".".to_owned());
        }
        let mut checked = Vec::new();
        for root in roots {
            let path = PathBuf::from(&root);
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => checked.push(path),
                Ok(_) => r.problem("FS_ROOTS", format!("{root:?} is not a directory")),
                Err(e) => r.problem("FS_ROOTS", format!("{root:?}: {e}")),
            }
        }
        let audit_log = r
            .raw("FS_AUDIT_LOG")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let guarded_files = match r.raw("FS_GUARDED_FILES") {
            Some(v) => split(&v),
            None => split(DEFAULT_GUARDED_FILES),
        };
        let protected_patterns = match r.raw("FS_PROTECTED_PATTERNS") {
            Some(v) => split(&v),
            None => split(DEFAULT_PROTECTED_PATTERNS),
        };
        for p in &protected_patterns {
            if let Err(e) = globset::Glob::new(p) {
                r.problem("FS_PROTECTED_PATTERNS", format!("bad glob {p:?}: {e}"));
            }
        }
        let walk_timeout = r.duration("FS_WALK_TIMEOUT", DEFAULT_WALK_TIMEOUT);
        if walk_timeout.is_zero() {
            r.problem("FS_WALK_TIMEOUT", "must be greater than zero");
        }
        let exec_timeout = r.duration("FS_EXEC_TIMEOUT", DEFAULT_EXEC_TIMEOUT);
        if exec_timeout.is_zero() {
            r.problem("FS_EXEC_TIMEOUT", "must be greater than zero");
        }
        Self {
            roots: checked,
            read_only: r.flag("FS_READ_ONLY", false),
            audit_log,
            max_read_bytes: r.bounded("FS_MAX_READ_BYTES", DEFAULT_MAX_READ_BYTES, 1024, 1 << 30),
            max_write_bytes: r.bounded(
                "FS_MAX_WRITE_BYTES",
                DEFAULT_MAX_WRITE_BYTES,
                1024,
                1 << 30,
            ),
            max_entries: r.bounded("FS_MAX_ENTRIES", DEFAULT_MAX_ENTRIES, 10, 1_000_000) as usize,
            max_matches: r.bounded("FS_MAX_MATCHES", DEFAULT_MAX_MATCHES, 1, 1_000_000) as usize,
            max_output_bytes: r.bounded(
                "FS_MAX_OUTPUT_BYTES",
                DEFAULT_MAX_OUTPUT_BYTES,
                1024,
                256 << 20,
            ) as usize,
            walk_timeout,
            exec_timeout,
            grep_threads: r.bounded("FS_GREP_THREADS", default_threads() as u64, 1, 64) as usize,
            max_resources: r.bounded("FS_MAX_RESOURCES", DEFAULT_MAX_RESOURCES, 1, 100_000)
                as usize,
            guarded_files,
            protected_patterns,
            exec_env: EXEC_ENV_PASSTHROUGH
                .iter()
                .filter_map(|name| r.raw(name).map(|v| ((*name).to_owned(), v)))
                .collect(),
        }
    }
}

/// Available CPUs, at least 1.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(16))
}

/// A comma-separated list without empty entries.
fn split(v: &str) -> Vec<String> {
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

    fn read(pairs: &[(&str, &str)]) -> (FsConfig, Result<(), String>) {
        let env: BTreeMap<&str, &str> = pairs.iter().copied().collect();
        let mut r = EnvReader::new(&env);
        let c = FsConfig::read(&mut r);
        (c, r.finish().map_err(|e| e.to_string()))
    }

    #[test]
    fn defaults_use_the_working_directory() {
        let (c, ok) = read(&[]);
        assert!(ok.is_ok(), "{ok:?}");
        assert_eq!(c.roots, [PathBuf::from(".")]);
        assert!(!c.read_only);
        assert_eq!(c.guarded_files.len(), 5);
        assert_eq!(c.max_entries, DEFAULT_MAX_ENTRIES as usize);
    }

    #[test]
    fn every_bad_value_is_reported() {
        let (_, err) = read(&[
            ("FS_ROOTS", "/definitely/not/here,/etc/hostname"),
            ("FS_MAX_ENTRIES", "3"),
            ("FS_READ_ONLY", "perhaps"),
            ("FS_PROTECTED_PATTERNS", "a[b"),
            ("FS_WALK_TIMEOUT", "0"),
        ]);
        let err = err.unwrap_err();
        for needle in [
            "FS_ROOTS",
            "/definitely/not/here",
            "is not a directory",
            "FS_MAX_ENTRIES",
            "FS_READ_ONLY",
            "FS_PROTECTED_PATTERNS",
            "FS_WALK_TIMEOUT",
        ] {
            assert!(err.contains(needle), "{needle} missing from {err}");
        }
    }
}
