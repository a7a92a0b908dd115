//! Errors a filesystem tool reports to the caller, and their one conversion into an `isError`
//! result. Every message names the argument or the path it is about; none carries a stack trace,
//! a raw `ENOENT` or text from outside the jail.

use std::io;

use rmcp::model::{ContentBlock, IntoContents};

/// A tool that ran and could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// An argument was unusable; names the argument.
    #[error("invalid {arg}: {reason}")]
    InvalidArgument {
        /// The argument's name (`path`, `edits[1].oldText`).
        arg: String,
        /// Why.
        reason: String,
    },
    /// A path lies outside every allowed root.
    #[error("invalid {arg}: {path} escapes the allowed roots ({roots})")]
    Escape {
        /// The argument's name.
        arg: String,
        /// The path as given.
        path: String,
        /// The roots in force, comma-separated.
        roots: String,
    },
    /// A symbolic link on the way leads outside every allowed root.
    #[error("invalid {arg}: {path}: symlink {link} points outside the allowed roots (-> {target})")]
    SymlinkEscape {
        /// The argument's name.
        arg: String,
        /// The path as given.
        path: String,
        /// The link that leads out.
        link: String,
        /// Where it points.
        target: String,
    },
    /// The path does not exist.
    #[error("invalid {arg}: {path} does not exist")]
    NotFound {
        /// The argument's name.
        arg: String,
        /// The absolute path.
        path: String,
    },
    /// A mutation was asked of a read-only server.
    #[error("read-only: {tool} would modify {path}, but this server is read-only (FS_READ_ONLY)")]
    ReadOnly {
        /// The tool.
        tool: String,
        /// The path it would have changed.
        path: String,
    },
    /// A safety rule refused the operation (shrink guard, protected file, existing destination).
    #[error("refused: {0}")]
    Refused(String),
    /// Something is bigger than a configured limit.
    #[error("{what} is {size} bytes; the limit is {limit} ({var})")]
    TooLarge {
        /// What was too big (`/w/big.log`, `content`).
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
        /// The variable that sets the limit.
        var: &'static str,
    },
    /// The operating system refused.
    #[error("cannot {op} {path}: {reason}")]
    Io {
        /// What was attempted (`read`, `write`, `list`).
        op: &'static str,
        /// The absolute path.
        path: String,
        /// The system's reason, in words.
        reason: String,
    },
    /// The operation failed in a way explained by the message (a patch hunk, an external tool).
    #[error("{0}")]
    Failed(String),
    /// A bug or an unexpected state; the message says which.
    #[error("internal error: {0}")]
    Internal(String),
}

impl FsError {
    /// Shorthand for [`FsError::InvalidArgument`].
    pub fn arg(arg: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            arg: arg.into(),
            reason: reason.into(),
        }
    }

    /// An I/O failure on `path`, with the reason in plain words.
    pub fn io(op: &'static str, path: impl std::fmt::Display, e: &io::Error) -> Self {
        Self::Io {
            op,
            path: path.to_string(),
            reason: describe(e),
        }
    }
}

/// An I/O error in lower-case words, without the `(os error N)` noise where a word says it.
pub fn describe(e: &io::Error) -> String {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "it does not exist".to_owned(),
        K::PermissionDenied if e.to_string().contains("outside of the filesystem") => {
            "the path leads outside the allowed roots".to_owned()
        }
        K::PermissionDenied => "permission denied".to_owned(),
        K::AlreadyExists => "it already exists".to_owned(),
        K::IsADirectory => "it is a directory".to_owned(),
        K::NotADirectory => "a component of the path is not a directory".to_owned(),
        K::DirectoryNotEmpty => "the directory is not empty".to_owned(),
        K::StorageFull => "no space left on the device".to_owned(),
        K::ReadOnlyFilesystem => "the filesystem is mounted read-only".to_owned(),
        K::CrossesDevices => "source and destination are on different filesystems".to_owned(),
        K::InvalidFilename => "the file name is invalid or too long".to_owned(),
        _ if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            "it is a symbolic link where none may be followed (or a symlink loop)".to_owned()
        }
        _ => {
            let s = e.to_string();
            let mut chars = s.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => "unknown error".to_owned(),
            }
        }
    }
}

impl IntoContents for FsError {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_argument_and_the_reason() {
        let e = FsError::Escape {
            arg: "path".into(),
            path: "../etc".into(),
            roots: "/srv/ws".into(),
        };
        assert_eq!(
            e.to_string(),
            "invalid path: ../etc escapes the allowed roots (/srv/ws)"
        );
        let e = FsError::io(
            "read",
            "/srv/ws/x",
            &io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert_eq!(e.to_string(), "cannot read /srv/ws/x: permission denied");
        let loop_err = io::Error::from_raw_os_error(rustix::io::Errno::LOOP.raw_os_error());
        assert!(describe(&loop_err).contains("symbolic link"));
    }
}
