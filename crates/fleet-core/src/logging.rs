//! MCP log notifications routed from `tracing`.
//!
//! A client that sent `logging/setLevel` receives, as `notifications/message`, the tracing events
//! its own tool calls emit at or above that level, and nothing else: events are captured through
//! a task-local set by the guard around each call, so one session never sees another's logs, and
//! server-wide events (start-up, other sessions) are never sent to clients. The guard forwards the
//! captured events through the request's own peer while the call runs and flushes the rest before
//! the result, so on Streamable HTTP they ride the call's stream and arrive before its answer.
//!
//! Only events from fleet-core and the cluster crates (targets `fleet_core…`, `sanctuary…`) are
//! captured; rmcp, hyper and friends stay out, which also rules out a notification logging its
//! own sending.

// Logging (and roots) are deprecated from MCP 2026-07-28 (SEP-2577) but part of 2025-11-25,
// which this server speaks; the deprecation is about the future protocol, not this use.
#![allow(deprecated)]

use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use serde_json::{Map, Value};
use tokio::sync::mpsc::UnboundedSender;
use tracing::{Event, Level, Subscriber, field::Visit};
use tracing_subscriber::{Layer, layer::Context};

use crate::session::level_rank;

/// Where the events of one tool call go.
#[derive(Debug, Clone)]
pub(crate) struct CallLog {
    pub(crate) min: LoggingLevel,
    pub(crate) tx: UnboundedSender<LoggingMessageNotificationParam>,
}

tokio::task_local! {
    pub(crate) static CALL_LOG: CallLog;
}

/// Whether `target` belongs to code whose events may reach clients.
pub fn forwardable_target(target: &str) -> bool {
    target.starts_with("fleet_core") || target.starts_with("sanctuary")
}

fn mcp_level(level: &Level) -> LoggingLevel {
    match *level {
        Level::ERROR => LoggingLevel::Error,
        Level::WARN => LoggingLevel::Warning,
        Level::INFO => LoggingLevel::Info,
        _ => LoggingLevel::Debug,
    }
}

#[derive(Default)]
struct Fields {
    message: Option<String>,
    fields: Map<String, Value>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.fields
                .insert(field.name().to_owned(), Value::String(value.to_owned()));
        }
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.fields.insert(field.name().to_owned(), value.into());
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.fields.insert(field.name().to_owned(), value.into());
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.fields.insert(field.name().to_owned(), value.into());
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.fields.insert(field.name().to_owned(), value.into());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.fields
                .insert(field.name().to_owned(), Value::String(text));
        }
    }
}

/// The tracing layer that captures events into the current call's [`CallLog`].
#[derive(Debug, Default, Clone, Copy)]
pub struct McpLogLayer;

impl<S: Subscriber> Layer<S> for McpLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = mcp_level(meta.level());
        let _ = CALL_LOG.try_with(|log| {
            if level_rank(level) < level_rank(log.min) {
                return;
            }
            let mut fields = Fields::default();
            event.record(&mut fields);
            let mut data = Map::new();
            data.insert(
                "message".to_owned(),
                Value::String(fields.message.unwrap_or_default()),
            );
            if !fields.fields.is_empty() {
                data.insert("fields".to_owned(), Value::Object(fields.fields));
            }
            let mut param = LoggingMessageNotificationParam::new(level, Value::Object(data));
            param.logger = Some(meta.target().to_owned());
            let _ = log.tx.send(param);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::{filter::filter_fn, layer::SubscriberExt as _};

    #[tokio::test]
    async fn events_inside_a_call_are_captured_at_or_above_the_level() {
        let subscriber = tracing_subscriber::registry()
            .with(McpLogLayer.with_filter(filter_fn(|m| forwardable_target(m.target()))));
        let _guard = tracing::subscriber::set_default(subscriber);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tracing::info!("outside any call");
        CALL_LOG
            .scope(
                CallLog {
                    min: LoggingLevel::Info,
                    tx,
                },
                async {
                    tracing::debug!("too detailed");
                    tracing::info!(rows = 3, "processing");
                    tracing::warn!("careful");
                    tracing::info!(target: "hyper::proto", "not ours");
                },
            )
            .await;
        let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].level, LoggingLevel::Info);
        assert_eq!(got[0].data["message"], "processing");
        assert_eq!(got[0].data["fields"]["rows"], 3);
        assert_eq!(got[1].level, LoggingLevel::Warning);
        assert!(got[0].logger.as_deref().unwrap().starts_with("fleet_core"));
    }
}
