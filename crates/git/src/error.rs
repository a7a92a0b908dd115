//! Errors a git tool reports to the caller, and their one conversion into an `isError` result.
//!
//! Three kinds matter to a caller: a bad argument (fix the call), a refusal by a Protocol 101/122
//! rule (the message names the rule and says what to do instead), and a git failure (the
//! operation was tried; libgit2's message says why).

use rmcp::model::{ContentBlock, IntoContents};

use crate::rules::Rule;

/// A git tool that ran and could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// An argument was unusable; names the argument.
    #[error("invalid {arg}: {reason}")]
    InvalidArgument {
        /// The argument's name.
        arg: &'static str,
        /// Why.
        reason: String,
    },
    /// A safety rule refused the operation.
    #[error("refused by {} ({}): {reason}; remedy: {remedy}", .rule.id, .rule.protocol)]
    Refused {
        /// The rule that refused.
        rule: &'static Rule,
        /// What was wrong, in this repository, now.
        reason: String,
        /// What the caller can do instead.
        remedy: String,
    },
    /// libgit2 failed.
    #[error("{context}: {}", .source.message())]
    Git {
        /// What was being done.
        context: String,
        /// libgit2's error.
        #[source]
        source: git2::Error,
    },
    /// Another index-changing call held the repository for too long.
    #[error(
        "repository {repo} is busy: another index-changing call held its lock for {waited_secs}s (GIT_LOCK_TIMEOUT); try again shortly"
    )]
    Busy {
        /// The repository.
        repo: String,
        /// How long this call waited.
        waited_secs: u64,
    },
    /// A network operation did not finish in time or was cancelled.
    #[error("{operation} was aborted: {reason}")]
    Aborted {
        /// What was aborted.
        operation: String,
        /// Why.
        reason: String,
    },
    /// The repository is not in a state the operation can work from (a pull that is not a
    /// fast-forward, a stash pop that conflicts); the message says what to do.
    #[error("{0}")]
    State(String),
    /// A bug or an unexpected failure outside git (a worker thread died).
    #[error("internal error: {0}")]
    Internal(String),
}

impl GitError {
    /// Shorthand for [`GitError::InvalidArgument`].
    pub fn arg(arg: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            arg,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`GitError::Refused`].
    pub fn refused(
        rule: &'static Rule,
        reason: impl Into<String>,
        remedy: impl Into<String>,
    ) -> Self {
        Self::Refused {
            rule,
            reason: reason.into(),
            remedy: remedy.into(),
        }
    }

    /// The rule id when this is a refusal (for the audit log).
    pub fn rule_id(&self) -> Option<&'static str> {
        match self {
            Self::Refused { rule, .. } => Some(rule.id),
            _ => None,
        }
    }
}

/// Attach what was being done to a libgit2 error: `repo.head().git("reading HEAD")?`.
pub(crate) trait GitContext<T> {
    /// Wrap the error with `context`.
    fn git(self, context: impl Into<String>) -> Result<T, GitError>;
}

impl<T> GitContext<T> for Result<T, git2::Error> {
    fn git(self, context: impl Into<String>) -> Result<T, GitError> {
        self.map_err(|source| GitError::Git {
            context: context.into(),
            source,
        })
    }
}

impl IntoContents for GitError {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::PROTECTED_BRANCH;

    #[test]
    fn refusals_name_the_rule_the_protocol_and_a_remedy() {
        let e = GitError::refused(
            &PROTECTED_BRANCH,
            "the current branch is 'main'",
            "start a feature with git_start_feature",
        );
        let text = e.to_string();
        assert_eq!(
            text,
            "refused by protected-branch (Protocol 101): the current branch is 'main'; \
             remedy: start a feature with git_start_feature"
        );
        assert_eq!(e.rule_id(), Some("protected-branch"));
    }

    #[test]
    fn git_errors_keep_the_context() {
        let e: Result<(), _> = Err(git2::Error::from_str("object not found"));
        let text = e.git("resolving 'nope'").unwrap_err().to_string();
        assert_eq!(text, "resolving 'nope': object not found");
    }
}
