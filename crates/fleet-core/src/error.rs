//! Errors that stop a cluster process, each mapped to a distinct exit code.

use std::process::ExitCode;

use crate::config::ConfigError;

/// Why the process could not run or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The environment is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listen address could not be bound (in use, not permitted, not local).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP server failed while running.
    #[error("http server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// The stdio session could not start.
    #[error("stdio session failed: {0}")]
    Stdio(String),
    /// The async runtime could not be created.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Exit status for a successful run.
pub const EXIT_OK: u8 = 0;
/// Exit status of a failed health check or a server that failed while running.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status for bad command-line usage (sysexits `EX_USAGE`).
pub const EXIT_USAGE: u8 = 64;
/// Exit status when the port cannot be bound (sysexits `EX_UNAVAILABLE`).
pub const EXIT_UNAVAILABLE: u8 = 69;
/// Exit status for an internal failure such as the runtime not starting (`EX_SOFTWARE`).
pub const EXIT_SOFTWARE: u8 = 70;
/// Exit status for a bad environment (sysexits `EX_CONFIG`).
pub const EXIT_CONFIG: u8 = 78;

impl CoreError {
    /// The exit code an operator (or a restart policy) sees.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Config(_) => EXIT_CONFIG,
            Self::Bind { .. } => EXIT_UNAVAILABLE,
            Self::Serve(_) | Self::Stdio(_) => EXIT_FAILURE,
            Self::Runtime(_) => EXIT_SOFTWARE,
        })
    }
}
