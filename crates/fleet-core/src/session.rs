//! Per-session state: the log level a client asked for and the roots it declared.
//!
//! Each transport creates one [`crate::FleetServer`] per session, and each owns one [`Session`].
//! Tools reach it through rmcp's `Extension<Arc<Session>>` extractor (fleet-core inserts it into
//! every call's request context), for example to narrow file access to the client's roots.

// Logging (and roots) are deprecated from MCP 2026-07-28 (SEP-2577) but part of 2025-11-25,
// which this server speaks; the deprecation is about the future protocol, not this use.
#![allow(deprecated)]

use std::sync::{
    RwLock,
    atomic::{AtomicU8, Ordering},
};

use rmcp::model::LoggingLevel;

/// What fleet-core remembers about one MCP session.
#[derive(Debug)]
pub struct Session {
    /// A process-unique id for logs.
    pub id: String,
    /// 0 = no log notifications; otherwise `level_rank(level) + 1`.
    log_level: AtomicU8,
    /// The client's roots (`file://` URIs), when it declared the capability and answered.
    roots: RwLock<Option<Vec<String>>>,
}

impl Default for Session {
    fn default() -> Self {
        Self {
            id: uuid::Uuid::new_v4().simple().to_string(),
            log_level: AtomicU8::new(0),
            roots: RwLock::new(None),
        }
    }
}

/// Severity order of MCP log levels (RFC 5424), lowest first.
pub fn level_rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

fn level_from_rank(rank: u8) -> LoggingLevel {
    match rank {
        0 => LoggingLevel::Debug,
        1 => LoggingLevel::Info,
        2 => LoggingLevel::Notice,
        3 => LoggingLevel::Warning,
        4 => LoggingLevel::Error,
        5 => LoggingLevel::Critical,
        6 => LoggingLevel::Alert,
        _ => LoggingLevel::Emergency,
    }
}

impl Session {
    /// Record `logging/setLevel`.
    pub fn set_log_level(&self, level: LoggingLevel) {
        self.log_level
            .store(level_rank(level) + 1, Ordering::Relaxed);
    }

    /// The minimum level the client wants as notifications, if it asked for any.
    pub fn log_level(&self) -> Option<LoggingLevel> {
        match self.log_level.load(Ordering::Relaxed) {
            0 => None,
            n => Some(level_from_rank(n - 1)),
        }
    }

    /// Replace the client's roots.
    pub fn set_roots(&self, roots: Vec<String>) {
        if let Ok(mut r) = self.roots.write() {
            *r = Some(roots);
        }
    }

    /// The client's roots, if it declared any; `None` means "no narrowing requested".
    pub fn roots(&self) -> Option<Vec<String>> {
        self.roots.read().ok().and_then(|r| r.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_level_round_trips() {
        let s = Session::default();
        assert_eq!(s.log_level(), None);
        s.set_log_level(LoggingLevel::Warning);
        assert_eq!(s.log_level(), Some(LoggingLevel::Warning));
        s.set_log_level(LoggingLevel::Debug);
        assert_eq!(s.log_level(), Some(LoggingLevel::Debug));
    }

    #[test]
    fn roots_are_absent_until_declared() {
        let s = Session::default();
        assert_eq!(s.roots(), None);
        s.set_roots(vec!["file:///work".into()]);
        assert_eq!(s.roots(), Some(vec!["file:///work".into()]));
    }
}
