//! Guardrail 6: chain timeouts for multi-hop backend work (embed → search → generate).
//!
//! A [`ChainBudget`] is created per request with a total allowance; each hop runs under
//! `min(hop limit, what is left of the total)`. When a hop runs out of time the error names the
//! hop, its limit and how long it ran, so "the answer took 45 s" becomes "generate timed out after
//! 30 s". Nothing here knows which backend a hop talks to: clusters name their hops.

use std::{fmt, future::Future, time::Duration};

use tokio::time::Instant;

/// Default limit of an embedding hop.
pub const DEFAULT_EMBED_TIMEOUT: Duration = Duration::from_secs(5);
/// Default limit of a vector-search hop.
pub const DEFAULT_SEARCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Default limit of a generation hop.
pub const DEFAULT_GENERATE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit of a whole chain.
pub const DEFAULT_CHAIN_TIMEOUT: Duration = Duration::from_secs(45);

/// One kind of hop and its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop {
    /// Short name used in errors and spans (`embed`, `search`, `generate`).
    pub name: &'static str,
    /// Longest this hop may take on its own.
    pub limit: Duration,
}

impl Hop {
    /// A hop called `name` limited to `limit`.
    pub const fn new(name: &'static str, limit: Duration) -> Self {
        Self { name, limit }
    }
}

/// The limits of a chain: its hops and the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainTimeouts {
    /// The embedding hop.
    pub embed: Hop,
    /// The search hop.
    pub search: Hop,
    /// The generation hop.
    pub generate: Hop,
    /// The whole chain.
    pub total: Duration,
}

impl Default for ChainTimeouts {
    fn default() -> Self {
        Self {
            embed: Hop::new("embed", DEFAULT_EMBED_TIMEOUT),
            search: Hop::new("search", DEFAULT_SEARCH_TIMEOUT),
            generate: Hop::new("generate", DEFAULT_GENERATE_TIMEOUT),
            total: DEFAULT_CHAIN_TIMEOUT,
        }
    }
}

impl ChainTimeouts {
    /// Start a chain now.
    pub fn start(&self) -> ChainBudget {
        ChainBudget::new(self.total)
    }
}

/// Why a hop did not produce a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HopError<E> {
    /// The hop's own limit expired.
    HopTimeout {
        /// The hop.
        hop: &'static str,
        /// Its limit.
        limit: Duration,
        /// How long it ran.
        elapsed: Duration,
    },
    /// The chain's total budget expired during (or before) this hop.
    ChainExhausted {
        /// The hop that was running or about to run.
        hop: &'static str,
        /// The chain's total budget.
        total: Duration,
        /// Time spent in the chain so far.
        elapsed: Duration,
    },
    /// The hop finished in time but failed.
    Failed {
        /// The hop.
        hop: &'static str,
        /// The hop's own error.
        error: E,
    },
}

impl<E> HopError<E> {
    /// The hop that failed.
    pub fn hop(&self) -> &'static str {
        match self {
            Self::HopTimeout { hop, .. }
            | Self::ChainExhausted { hop, .. }
            | Self::Failed { hop, .. } => hop,
        }
    }

    /// True for either kind of timeout.
    pub fn is_timeout(&self) -> bool {
        !matches!(self, Self::Failed { .. })
    }
}

impl<E: fmt::Display> fmt::Display for HopError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HopTimeout {
                hop,
                limit,
                elapsed,
            } => write!(
                f,
                "{hop} timed out after {} (limit {})",
                fmt_duration(*elapsed),
                fmt_duration(*limit)
            ),
            Self::ChainExhausted {
                hop,
                total,
                elapsed,
            } => write!(
                f,
                "chain budget of {} exhausted during {hop} after {}",
                fmt_duration(*total),
                fmt_duration(*elapsed)
            ),
            Self::Failed { hop, error } => write!(f, "{hop} failed: {error}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for HopError<E> {}

/// Milliseconds under ten seconds, seconds with one decimal above.
pub fn fmt_duration(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The remaining time of one chain; cheap to copy into each hop.
#[derive(Debug, Clone, Copy)]
pub struct ChainBudget {
    started: Instant,
    total: Duration,
}

impl ChainBudget {
    /// A chain of at most `total`, starting now.
    pub fn new(total: Duration) -> Self {
        Self {
            started: Instant::now(),
            total,
        }
    }

    /// Time since the chain started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Time left in the chain.
    pub fn remaining(&self) -> Duration {
        self.total.saturating_sub(self.elapsed())
    }

    /// Run one hop: it gets `min(hop.limit, remaining)`; the error names the hop either way.
    pub async fn run<T, E, F>(&self, hop: Hop, fut: F) -> Result<T, HopError<E>>
    where
        F: Future<Output = Result<T, E>>,
    {
        let remaining = self.remaining();
        if remaining.is_zero() {
            return Err(HopError::ChainExhausted {
                hop: hop.name,
                total: self.total,
                elapsed: self.elapsed(),
            });
        }
        let chain_bound = remaining < hop.limit;
        let allowed = remaining.min(hop.limit);
        let hop_start = Instant::now();
        let span = tracing::debug_span!(
            "hop",
            name = hop.name,
            budget_ms = allowed.as_millis() as u64
        );
        let outcome =
            tracing::Instrument::instrument(tokio::time::timeout(allowed, fut), span).await;
        match outcome {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(error)) => Err(HopError::Failed {
                hop: hop.name,
                error,
            }),
            Err(_) if chain_bound => Err(HopError::ChainExhausted {
                hop: hop.name,
                total: self.total,
                elapsed: self.elapsed(),
            }),
            Err(_) => Err(HopError::HopTimeout {
                hop: hop.name,
                limit: hop.limit,
                elapsed: hop_start.elapsed(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sleep_ok(d: Duration) -> Result<&'static str, String> {
        tokio::time::sleep(d).await;
        Ok("done")
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_hop_returns_its_value() {
        let t = ChainTimeouts::default();
        let chain = t.start();
        assert_eq!(
            chain.run(t.embed, sleep_ok(Duration::from_secs(1))).await,
            Ok("done")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_hop_is_named_with_its_limit() {
        let t = ChainTimeouts::default();
        let chain = t.start();
        let err = chain
            .run(t.embed, sleep_ok(Duration::from_secs(60)))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            HopError::HopTimeout {
                hop: "embed",
                limit: Duration::from_secs(5),
                elapsed: Duration::from_secs(5)
            }
        );
        assert_eq!(
            err.to_string(),
            "embed timed out after 5000 ms (limit 5000 ms)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_total_budget_caps_later_hops() {
        // embed 4 s + search 9 s leave 32 s of the 45 s chain; generate (limit 30 s) still fits.
        // A further 30 s generate after that only has 2 s left and is cut by the chain.
        let t = ChainTimeouts::default();
        let chain = t.start();
        chain
            .run(t.embed, sleep_ok(Duration::from_secs(4)))
            .await
            .unwrap();
        chain
            .run(t.search, sleep_ok(Duration::from_secs(9)))
            .await
            .unwrap();
        chain
            .run(t.generate, sleep_ok(Duration::from_secs(30)))
            .await
            .unwrap();
        let err = chain
            .run(t.generate, sleep_ok(Duration::from_secs(30)))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                HopError::ChainExhausted {
                    hop: "generate",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(chain.elapsed(), Duration::from_secs(45));
        assert_eq!(
            err.to_string(),
            "chain budget of 45.0 s exhausted during generate after 45.0 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_exhausted_chain_refuses_the_next_hop_without_running_it() {
        let t = ChainTimeouts {
            total: Duration::from_secs(1),
            ..ChainTimeouts::default()
        };
        let chain = t.start();
        let _ = chain.run(t.search, sleep_ok(Duration::from_secs(5))).await;
        let mut ran = false;
        let err = chain
            .run(t.generate, async {
                ran = true;
                Ok::<_, String>(())
            })
            .await
            .unwrap_err();
        assert!(!ran);
        assert_eq!(err.hop(), "generate");
        assert!(err.is_timeout());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_hop_keeps_its_error_and_name() {
        let t = ChainTimeouts::default();
        let err = t
            .start()
            .run(t.search, async { Err::<(), _>("connection refused") })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "search failed: connection refused");
        assert!(!err.is_timeout());
    }
}
