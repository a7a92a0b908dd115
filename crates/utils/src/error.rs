//! Errors a utils tool reports to the caller, and their one conversion into an `isError` result.

use rmcp::model::{ContentBlock, IntoContents};

use crate::expr::ExprError;

/// A tool that ran and could not produce an answer.
#[derive(Debug, thiserror::Error)]
pub enum UtilsError {
    /// An argument was unusable; names the argument.
    #[error("invalid {arg}: {reason}")]
    InvalidArgument {
        /// The argument's name.
        arg: &'static str,
        /// Why.
        reason: String,
    },
    /// The expression has no value.
    #[error("cannot evaluate {expression:?}: {source}")]
    Expression {
        /// The expression, shortened if long.
        expression: String,
        /// Why.
        #[source]
        source: ExprError,
    },
    /// Arithmetic failed.
    #[error("{0}")]
    Arithmetic(String),
}

impl UtilsError {
    /// Shorthand for [`UtilsError::InvalidArgument`].
    pub fn arg(arg: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            arg,
            reason: reason.into(),
        }
    }
}

impl IntoContents for UtilsError {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.to_string())]
    }
}
