//! The JSON-lines audit log: one record per mutating call, whether it succeeded, was refused by a
//! rule, or failed.
//!
//! A record is one `write` of one line to a file opened with `O_APPEND`, so concurrent writers
//! (two server processes on one volume) never interleave inside a line. Arguments are recorded as
//! given, minus free text longer than 200 characters; no token ever reaches a request, so none can
//! reach the log. A failure to write the log is logged and does not fail the call: the git change
//! already happened, and refusing to report it would hide it.

use std::{fs::OpenOptions, io::Write as _, path::PathBuf, sync::Mutex};

use serde::Serialize;
use serde_json::Value;

use crate::config::AuditTarget;

/// One audit record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditRecord {
    /// RFC 3339 time (UTC).
    pub ts: String,
    /// The tool.
    pub tool: String,
    /// The repository's canonical path (empty if it could not be resolved).
    pub repo: String,
    /// Branch before the call, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The call's arguments.
    pub args: Value,
    /// `ok`, `refused` or `error`.
    pub outcome: &'static str,
    /// The rule that refused, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// What happened: the result summary or the error text.
    pub detail: String,
}

/// Where records go.
#[derive(Debug)]
pub struct AuditLog {
    target: AuditTarget,
    /// Serialises writers of this process and keeps the file open between records.
    file: Mutex<Option<std::fs::File>>,
}

impl AuditLog {
    /// A log writing to `target`; a file is opened (and its directory created) on first use.
    pub fn new(target: AuditTarget) -> Self {
        Self {
            target,
            file: Mutex::new(None),
        }
    }

    /// The file, if the log goes to one.
    pub fn path(&self) -> Option<&PathBuf> {
        match &self.target {
            AuditTarget::File(p) => Some(p),
            AuditTarget::Log => None,
        }
    }

    /// Write one record.
    pub fn record(&self, record: &AuditRecord) {
        let line = match serde_json::to_string(record) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "audit record not serializable");
                return;
            }
        };
        match &self.target {
            AuditTarget::Log => {
                tracing::info!(target: "audit", record = %line, "git audit");
            }
            AuditTarget::File(path) => {
                let Ok(mut guard) = self.file.lock() else {
                    tracing::error!("audit log lock poisoned");
                    return;
                };
                if guard.is_none() {
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    match OpenOptions::new().create(true).append(true).open(path) {
                        Ok(f) => *guard = Some(f),
                        Err(e) => {
                            tracing::error!(path = %path.display(), error = %e, record = %line, "cannot open the audit log");
                            return;
                        }
                    }
                }
                if let Some(f) = guard.as_mut() {
                    let mut bytes = line.into_bytes();
                    bytes.push(b'\n');
                    if let Err(e) = f.write_all(&bytes) {
                        tracing::error!(path = %path.display(), error = %e, "cannot write the audit log");
                        *guard = None;
                    }
                }
            }
        }
    }
}

/// Shorten long free-text values (commit messages) in recorded arguments.
pub fn trim_args(mut args: Value) -> Value {
    if let Value::Object(map) = &mut args {
        for v in map.values_mut() {
            if let Value::String(s) = v
                && s.chars().count() > 200
            {
                *s = s.chars().take(200).collect::<String>() + "…";
            }
        }
    }
    args
}

/// Now, RFC 3339 in UTC.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_appended_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("audit.jsonl");
        let log = AuditLog::new(AuditTarget::File(path.clone()));
        for i in 0..3 {
            log.record(&AuditRecord {
                ts: now(),
                tool: "git_add".into(),
                repo: "/r".into(),
                branch: Some("feature/task-1-x".into()),
                args: trim_args(
                    serde_json::json!({"files": [format!("f{i}")], "long": "x".repeat(300)}),
                ),
                outcome: "ok",
                rule: None,
                detail: "staged 1 file".into(),
            });
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["args"]["files"][0], "f2");
        assert_eq!(lines[0]["outcome"], "ok");
        assert_eq!(
            lines[0]["args"]["long"].as_str().unwrap().chars().count(),
            201
        );
        assert!(lines[0].get("rule").is_none());
    }
}
