//! Guardrail 1: every tool call runs isolated, and every way it can go wrong becomes an answer.
//!
//! A call is spawned as its own task (tracked, so shutdown can drain it) and raced against its
//! time limit and the client's cancellation. A panic, a timeout or an overload becomes an `isError`
//! result that names the tool and the failure; the process, the session and every other tool keep
//! serving. rmcp alone survives a panic but never answers that request, so the client would hang.
//!
//! Tools that do heavy synchronous work must use `spawn_blocking`: a task that never yields cannot
//! be pre-empted by the time limit.

// Logging (and roots) are deprecated from MCP 2026-07-28 (SEP-2577) but part of 2025-11-25,
// which this server speaks; the deprecation is about the future protocol, not this use.
#![allow(deprecated)]

use std::{any::Any, future::Future, sync::Arc, time::Duration};

use rmcp::{
    ErrorData, Peer, RoleServer,
    model::{CallToolResponse, CallToolResult, ContentBlock, LoggingLevel},
};
use tokio::{sync::Semaphore, time::Instant};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::Instrument;

use crate::{
    budget::fmt_duration,
    logging::{CALL_LOG, CallLog},
    metrics::{Metrics, ToolLabel},
};

/// How a guarded call ended, recorded in logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The tool returned a normal result.
    Ok,
    /// The tool returned an `isError` result (or a JSON-RPC error).
    ToolError,
    /// The tool panicked.
    Panic,
    /// The time limit expired (while running or while waiting for a slot).
    Timeout,
    /// The client cancelled the request.
    Cancelled,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ToolError => "tool_error",
            Self::Panic => "panic",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Runs tool calls in isolation; shared by every session of the process.
#[derive(Debug, Clone)]
pub struct Guard {
    cluster: &'static str,
    slots: Arc<Semaphore>,
    max_slots: usize,
    tracker: TaskTracker,
    metrics: Arc<Metrics>,
}

/// Aborts the tool task if the caller stops waiting (client gone, request dropped by rmcp).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Guard {
    /// A guard allowing `max_concurrent` calls at once.
    pub fn new(cluster: &'static str, max_concurrent: usize, metrics: Arc<Metrics>) -> Self {
        Self {
            cluster,
            slots: Arc::new(Semaphore::new(max_concurrent)),
            max_slots: max_concurrent,
            tracker: TaskTracker::new(),
            metrics,
        }
    }

    /// Calls running now.
    pub fn in_flight(&self) -> usize {
        self.tracker.len()
    }

    /// Wait until every call has finished, or `grace` has passed; returns the number still running.
    pub async fn drain(&self, grace: Duration) -> usize {
        self.tracker.close();
        let _ = tokio::time::timeout(grace, self.tracker.wait()).await;
        self.tracker.len()
    }

    /// Run `call` as tool `tool` with time limit `limit`, cancelled by `ct`.
    pub async fn run<F>(
        &self,
        tool: &str,
        request_id: &str,
        limit: Duration,
        ct: CancellationToken,
        log: LogSink,
        call: F,
    ) -> Result<CallToolResponse, ErrorData>
    where
        F: Future<Output = Result<CallToolResponse, ErrorData>> + Send + 'static,
    {
        let label = ToolLabel {
            tool: tool.to_owned(),
        };
        self.metrics.calls.get_or_create(&label).inc();
        let started = Instant::now();
        let deadline = started + limit;
        let span = tracing::info_span!("tool_call", cluster = self.cluster, tool, request_id);

        let (outcome, response) = self
            .execute(tool, limit, deadline, &ct, log, call)
            .instrument(span.clone())
            .await;

        let elapsed = started.elapsed();
        self.metrics
            .latency
            .get_or_create(&label)
            .observe(elapsed.as_secs_f64());
        match outcome {
            Outcome::Ok => {}
            Outcome::Panic => {
                self.metrics.panics.get_or_create(&label).inc();
                self.metrics.errors.get_or_create(&label).inc();
            }
            Outcome::Timeout => {
                self.metrics.timeouts.get_or_create(&label).inc();
                self.metrics.errors.get_or_create(&label).inc();
            }
            Outcome::ToolError | Outcome::Cancelled => {
                self.metrics.errors.get_or_create(&label).inc();
            }
        }
        let _enter = span.enter();
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        match outcome {
            Outcome::Ok | Outcome::ToolError | Outcome::Cancelled => {
                tracing::info!(outcome = outcome.as_str(), elapsed_ms, "tool call finished");
            }
            Outcome::Panic | Outcome::Timeout => {
                tracing::warn!(outcome = outcome.as_str(), elapsed_ms, "tool call failed");
            }
        }
        response
    }

    async fn execute<F>(
        &self,
        tool: &str,
        limit: Duration,
        deadline: Instant,
        ct: &CancellationToken,
        log: LogSink,
        call: F,
    ) -> (Outcome, Result<CallToolResponse, ErrorData>)
    where
        F: Future<Output = Result<CallToolResponse, ErrorData>> + Send + 'static,
    {
        // Wait for a slot within the call's own time limit, so an overload cannot queue forever.
        let permit = tokio::select! {
            p = tokio::time::timeout_at(deadline, self.slots.clone().acquire_owned()) => match p {
                Ok(Ok(permit)) => permit,
                Ok(Err(_closed)) => return failure(tool, Outcome::Cancelled, format!(
                    "tool '{tool}' was not started: the server is shutting down")),
                Err(_) => return failure(tool, Outcome::Timeout, format!(
                    "tool '{tool}' did not start within its {} limit: {} calls were already running \
                     (FLEET_MAX_CONCURRENT_CALLS); try again shortly", fmt_duration(limit), self.max_slots)),
            },
            _ = ct.cancelled() => return failure(tool, Outcome::Cancelled, format!("tool '{tool}' was cancelled by the client")),
        };

        // With a log level set, the call's tracing events are captured (task-local) and sent to
        // the client while it runs; see `crate::logging`.
        let (peer, mut notes, call): (_, _, BoxedCall) = match log {
            Some((peer, min)) => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                (
                    Some(peer),
                    Some(rx),
                    Box::pin(CALL_LOG.scope(CallLog { min, tx }, call)),
                )
            }
            None => (None, None, Box::pin(call)),
        };
        let task = self.tracker.spawn(
            async move {
                let _permit = permit;
                call.await
            }
            .in_current_span(),
        );
        let _abort = AbortOnDrop(task.abort_handle());

        let mut joined = std::pin::pin!(tokio::time::timeout_at(deadline, task));
        let joined = loop {
            tokio::select! {
                Some(note) = next_note(&mut notes) => send_note(peer.as_ref(), note).await,
                j = &mut joined => break j,
                _ = ct.cancelled() => return failure(tool, Outcome::Cancelled, format!("tool '{tool}' was cancelled by the client")),
            }
        };
        // Everything the call logged goes out before its result.
        if let Some(rx) = notes.as_mut() {
            while let Ok(note) = rx.try_recv() {
                send_note(peer.as_ref(), note).await;
            }
        }

        match joined {
            Ok(Ok(result)) => {
                let outcome = match &result {
                    Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => {
                        Outcome::ToolError
                    }
                    Ok(_) => Outcome::Ok,
                    Err(_) => Outcome::ToolError,
                };
                (outcome, result)
            }
            Ok(Err(e)) if e.is_panic() => {
                let msg = panic_message(e.into_panic());
                tracing::error!(panic = %msg, "tool panicked");
                failure(
                    tool,
                    Outcome::Panic,
                    format!(
                        "tool '{tool}' crashed with an internal error (panic: {msg}); the server and its other tools are unaffected"
                    ),
                )
            }
            Ok(Err(_aborted)) => failure(
                tool,
                Outcome::Cancelled,
                format!("tool '{tool}' was aborted"),
            ),
            Err(_) => failure(
                tool,
                Outcome::Timeout,
                format!(
                    "tool '{tool}' timed out after {} (limit set by FLEET_TOOL_TIMEOUT / FLEET_TOOL_TIMEOUTS)",
                    fmt_duration(limit)
                ),
            ),
        }
    }
}

/// Where a call's log events go: the request's peer, and the lowest level the session wants.
pub type LogSink = Option<(Peer<RoleServer>, LoggingLevel)>;

type BoxedCall =
    std::pin::Pin<Box<dyn Future<Output = Result<CallToolResponse, ErrorData>> + Send>>;

async fn next_note(
    rx: &mut Option<
        tokio::sync::mpsc::UnboundedReceiver<rmcp::model::LoggingMessageNotificationParam>,
    >,
) -> Option<rmcp::model::LoggingMessageNotificationParam> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn send_note(
    peer: Option<&Peer<RoleServer>>,
    note: rmcp::model::LoggingMessageNotificationParam,
) {
    if let Some(peer) = peer
        && let Err(e) = peer.notify_logging_message(note).await
    {
        tracing::debug!(target: "fleet_guard_internal", error = %e, "log notification not delivered");
    }
}

/// `_meta` key carrying how a guarded call failed; lets clients and tests tell a panic from a timeout.
pub const OUTCOME_META: &str = "sanctuary.fleet/outcome";

fn failure(
    tool: &str,
    outcome: Outcome,
    message: String,
) -> (Outcome, Result<CallToolResponse, ErrorData>) {
    tracing::debug!(
        tool,
        outcome = outcome.as_str(),
        "guard answered for the tool"
    );
    let mut meta = rmcp::model::MetaObject::new();
    meta.insert(
        OUTCOME_META.to_owned(),
        serde_json::Value::String(outcome.as_str().to_owned()),
    );
    let result = CallToolResult::error(vec![ContentBlock::text(message)]).with_meta(Some(meta));
    (outcome, Ok(result.into()))
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(slots: usize) -> Guard {
        Guard::new("test", slots, Arc::new(Metrics::new("test", "0")))
    }

    fn text(r: &Result<CallToolResponse, ErrorData>) -> (bool, String) {
        match r {
            Ok(CallToolResponse::Complete(r)) => (
                r.is_error == Some(true),
                r.content
                    .iter()
                    .filter_map(|c| c.as_text())
                    .map(|t| t.text.clone())
                    .collect(),
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn ok(s: &str) -> Result<CallToolResponse, ErrorData> {
        Ok(CallToolResult::success(vec![ContentBlock::text(s.to_owned())]).into())
    }

    #[tokio::test]
    async fn a_panic_becomes_an_error_result_naming_the_tool() {
        let g = guard(4);
        let r = g
            .run(
                "boom",
                "1",
                Duration::from_secs(5),
                CancellationToken::new(),
                None,
                async {
                    panic!("kaboom");
                },
            )
            .await;
        let (is_error, msg) = text(&r);
        assert!(is_error);
        assert!(msg.contains("'boom'") && msg.contains("kaboom"), "{msg}");
        assert!(
            g.metrics
                .render()
                .contains(r#"fleet_tool_panics_total{tool="boom"} 1"#)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_tool_times_out_and_is_aborted() {
        let g = guard(4);
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let f = finished.clone();
        let r = g
            .run(
                "slow",
                "1",
                Duration::from_secs(2),
                CancellationToken::new(),
                None,
                async move {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    f.store(true, std::sync::atomic::Ordering::SeqCst);
                    ok("late")
                },
            )
            .await;
        let (is_error, msg) = text(&r);
        assert!(is_error);
        assert!(msg.contains("'slow' timed out after 2000 ms"), "{msg}");
        tokio::time::sleep(Duration::from_secs(120)).await;
        assert!(
            !finished.load(std::sync::atomic::Ordering::SeqCst),
            "the timed-out task kept running"
        );
        assert_eq!(g.in_flight(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_by_the_client_stops_the_call() {
        let g = guard(4);
        let ct = CancellationToken::new();
        let c2 = ct.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            c2.cancel();
        });
        let r = g
            .run("wait", "1", Duration::from_secs(30), ct, None, async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                ok("never")
            })
            .await;
        assert!(text(&r).1.contains("cancelled"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_overloaded_guard_answers_instead_of_queueing_forever() {
        let g = guard(1);
        let g2 = g.clone();
        let busy = tokio::spawn(async move {
            g2.run(
                "hog",
                "1",
                Duration::from_secs(100),
                CancellationToken::new(),
                None,
                async {
                    tokio::time::sleep(Duration::from_secs(50)).await;
                    ok("done")
                },
            )
            .await
        });
        tokio::task::yield_now().await;
        let r = g
            .run(
                "next",
                "2",
                Duration::from_secs(1),
                CancellationToken::new(),
                None,
                async { ok("x") },
            )
            .await;
        let (is_error, msg) = text(&r);
        assert!(is_error && msg.contains("did not start"), "{msg}");
        assert!(!text(&busy.await.unwrap()).0);
    }

    #[tokio::test]
    async fn normal_results_pass_through_untouched() {
        let g = guard(2);
        let r = g
            .run(
                "fine",
                "1",
                Duration::from_secs(1),
                CancellationToken::new(),
                None,
                async { ok("42") },
            )
            .await;
        assert_eq!(text(&r), (false, "42".to_owned()));
    }

    #[tokio::test(start_paused = true)]
    async fn drain_waits_for_running_calls_within_the_grace() {
        let g = guard(4);
        let g2 = g.clone();
        tokio::spawn(async move {
            g2.run(
                "a",
                "1",
                Duration::from_secs(100),
                CancellationToken::new(),
                None,
                async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    ok("a")
                },
            )
            .await
        });
        tokio::task::yield_now().await;
        assert_eq!(g.in_flight(), 1);
        assert_eq!(g.drain(Duration::from_secs(10)).await, 0);
    }
}
