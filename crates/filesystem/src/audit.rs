//! The audit trail: one JSON line per mutation (write, edit, patch, move, delete, mkdir,
//! format), successful or not, with time, tool, session, paths, bytes and outcome.
//!
//! With `FS_AUDIT_LOG` set, lines are appended to that file (opened once with `O_APPEND`, one
//! `write` per line, so concurrent records never interleave); otherwise they go to the log as
//! `audit` events. The audit file lives outside the jail and is never reachable by a tool.

use std::{
    fs::OpenOptions,
    io::{self, Write as _},
    path::Path,
    sync::Mutex,
};

use serde::Serialize;

/// One audit record.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    /// RFC 3339 UTC time.
    pub time: String,
    /// The tool that was called.
    pub tool: &'a str,
    /// The MCP session it was called in.
    pub session: &'a str,
    /// Absolute paths involved (as given when resolution failed).
    pub paths: Vec<String>,
    /// Bytes written (0 for mkdir, move, delete).
    pub bytes: u64,
    /// `ok` or `error`.
    pub outcome: &'a str,
    /// What went wrong, for `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where audit records go.
#[derive(Debug)]
pub struct AuditLog {
    /// The open audit file, if configured.
    file: Option<Mutex<std::fs::File>>,
}

impl AuditLog {
    /// Records go to the log.
    pub fn to_log() -> Self {
        Self { file: None }
    }

    /// Records are appended to `path` (created with mode 0o600 if missing).
    pub fn open(path: &Path) -> io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        Ok(Self {
            file: Some(Mutex::new(file)),
        })
    }

    /// Append one record; a failure to write is logged, never returned (the mutation happened).
    pub fn record(&self, rec: &AuditRecord<'_>) {
        let Ok(mut line) = serde_json::to_string(rec) else {
            return;
        };
        match &self.file {
            Some(file) => {
                line.push('\n');
                let written = file
                    .lock()
                    .map_err(|_| io::Error::other("audit lock poisoned"))
                    .and_then(|mut f| f.write_all(line.as_bytes()));
                if let Err(e) = written {
                    tracing::error!(error = %e, record = %line.trim_end(), "audit record not written");
                }
            }
            None => tracing::info!(target: "audit", record = %line, "mutation"),
        }
    }
}

/// The current time for a record.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn records_are_json_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        for outcome in ["ok", "error"] {
            log.record(&AuditRecord {
                time: now(),
                tool: "write_file",
                session: "s1",
                paths: vec!["/w/a.txt".into()],
                bytes: 3,
                outcome,
                error: (outcome == "error").then(|| "refused: x".to_owned()),
            });
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["tool"], "write_file");
        assert_eq!(lines[0]["bytes"], 3);
        assert!(lines[0].get("error").is_none());
        assert_eq!(lines[1]["outcome"], "error");
        assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
    }
}
