//! Errors a cortex tool reports to the caller, and their one conversion into an `isError` result.
//!
//! Messages name the problem and what to do: the argument at fault, the backend and its URL, the
//! hop that ran out of time and the variable that sets its limit.

use fleet_core::budget::HopError;
use rmcp::model::{ContentBlock, IntoContents};

/// A cortex operation that could not produce an answer.
#[derive(Debug, thiserror::Error)]
pub enum CortexError {
    /// An argument was unusable; names the argument.
    #[error("invalid {arg}: {reason}")]
    InvalidArgument {
        /// The argument's name (with an index for list items, e.g. `file_paths[2]`).
        arg: String,
        /// Why.
        reason: String,
    },
    /// Chroma could not be reached at all.
    #[error("chroma at {url} is unreachable: {detail}")]
    ChromaUnreachable {
        /// Base URL tried.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// Chroma answered with an error.
    #[error("chroma {operation} failed (HTTP {status}): {message}")]
    Chroma {
        /// What was attempted (`query`, `upsert`, ...).
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// Chroma's message.
        message: String,
    },
    /// A named collection does not exist.
    #[error("collection {name:?} does not exist in chroma{hint}")]
    CollectionNotFound {
        /// Its name.
        name: String,
        /// What to do about it (may be empty).
        hint: String,
    },
    /// Ollama could not be reached at all.
    #[error("ollama at {url} is unreachable: {detail}")]
    OllamaUnreachable {
        /// Base URL tried.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// Ollama answered with an error.
    #[error("ollama {operation} failed (HTTP {status}): {message}")]
    Ollama {
        /// `embed`, `chat` or `tags`.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// Ollama's message.
        message: String,
    },
    /// Ollama is switched off but the tool needs it.
    #[error("ollama is disabled (CORTEX_OLLAMA_URL=off), and {0} needs it")]
    OllamaDisabled(&'static str),
    /// The embedder failed (model missing, tokenizer error, bad reply).
    #[error("embedder {model}: {message}")]
    Embedder {
        /// The embedding model.
        model: String,
        /// What went wrong.
        message: String,
    },
    /// The collection was built with another embedding model or dimension.
    #[error("embedding mismatch: {0}")]
    Mismatch(String),
    /// The parent store, ingest log or cache database failed.
    #[error("state store {path}: {message}")]
    Store {
        /// The database file.
        path: String,
        /// SQLite's message.
        message: String,
    },
    /// A hop or the whole chain ran out of time (Guardrail 6); the message names the hop.
    #[error("{message}; {hint}")]
    Timeout {
        /// The hop (`embed`, `search`, `generate`).
        hop: &'static str,
        /// fleet-core's description of the overrun.
        message: String,
        /// Which variable sets the limit.
        hint: &'static str,
    },
    /// A file or directory could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// What failed.
        message: String,
    },
    /// An ingest stopped part-way because a backend failed; what was done is stored.
    #[error(
        "{source} (the ingest stopped after {done} of {total} files; those are stored: run it again to finish)"
    )]
    Interrupted {
        /// Files finished.
        done: u64,
        /// Files planned.
        total: u64,
        /// What stopped it.
        source: Box<CortexError>,
    },
    /// An internal task failed (a panic in blocking work, a closed channel).
    #[error("internal error: {0}")]
    Internal(String),
}

impl CortexError {
    /// Shorthand for [`CortexError::InvalidArgument`].
    pub fn arg(arg: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            arg: arg.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`CortexError::Io`].
    pub fn io(path: impl std::fmt::Display, err: impl std::fmt::Display) -> Self {
        Self::Io {
            path: path.to_string(),
            message: err.to_string(),
        }
    }

    /// Whether Chroma is unreachable (as opposed to refusing a request).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::ChromaUnreachable { .. } | Self::OllamaUnreachable { .. }
        )
    }
}

impl From<HopError<CortexError>> for CortexError {
    fn from(e: HopError<CortexError>) -> Self {
        let hop = e.hop();
        let hint = match hop {
            "embed" => "the limit is CORTEX_EMBED_TIMEOUT (chain: CORTEX_CHAIN_TIMEOUT)",
            "search" | "upsert" => {
                "the limit is CORTEX_SEARCH_TIMEOUT (chain: CORTEX_CHAIN_TIMEOUT)"
            }
            "generate" => "the limit is CORTEX_GENERATE_TIMEOUT (chain: CORTEX_CHAIN_TIMEOUT)",
            _ => "see CORTEX_*_TIMEOUT",
        };
        match e {
            HopError::Failed { error, .. } => error,
            other => Self::Timeout {
                hop,
                message: other.to_string(),
                hint,
            },
        }
    }
}

impl From<tokio::task::JoinError> for CortexError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Internal(format!("background task failed: {e}"))
    }
}

impl IntoContents for CortexError {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.to_string())]
    }
}

/// Describe a reqwest error with its causes (`error sending request: ... : connection refused`).
pub fn describe(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "connection failed".to_owned()
    } else {
        err.to_string()
    };
    let mut source = err.source();
    let mut last = String::new();
    while let Some(s) = source {
        let part = s.to_string();
        if part != last && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        last = part;
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_hop_timeout_names_the_hop_and_the_variable() {
        let e: CortexError = HopError::<CortexError>::HopTimeout {
            hop: "embed",
            limit: Duration::from_secs(5),
            elapsed: Duration::from_secs(5),
        }
        .into();
        assert_eq!(
            e.to_string(),
            "embed timed out after 5000 ms (limit 5000 ms); the limit is CORTEX_EMBED_TIMEOUT (chain: CORTEX_CHAIN_TIMEOUT)"
        );
    }

    #[test]
    fn a_failed_hop_keeps_the_backend_error() {
        let inner = CortexError::ChromaUnreachable {
            url: "http://chroma:8000/".into(),
            detail: "connection refused".into(),
        };
        let e: CortexError = HopError::Failed {
            hop: "search",
            error: inner,
        }
        .into();
        assert!(e.is_unreachable());
        assert_eq!(
            e.to_string(),
            "chroma at http://chroma:8000/ is unreachable: connection refused"
        );
    }
}
