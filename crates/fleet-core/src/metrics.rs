//! Prometheus metrics for `/metrics`: calls, errors, panics, timeouts and latency per tool.
//!
//! Labels are bounded: the `tool` label only ever holds names from the cluster's own tool table,
//! because unknown tools are rejected before a call is counted.

use std::sync::atomic::{AtomicI64, AtomicU64};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// The per-tool label set.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToolLabel {
    /// Tool name as listed by `tools/list`.
    pub tool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabel {
    cluster: String,
    version: String,
}

/// Latency buckets in seconds: 100 µs to 2 min, roughly ×2.5 apart.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5, 10.0, 30.0, 120.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every metric the process exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Tool calls started.
    pub calls: Family<ToolLabel, Counter>,
    /// Calls that ended in an `isError` result (including panics and timeouts).
    pub errors: Family<ToolLabel, Counter>,
    /// Calls whose tool panicked.
    pub panics: Family<ToolLabel, Counter>,
    /// Calls that ran out of time.
    pub timeouts: Family<ToolLabel, Counter>,
    /// Call latency in seconds.
    pub latency: Family<ToolLabel, Histogram, fn() -> Histogram>,
    /// Calls running now.
    pub in_flight: Gauge<i64, AtomicI64>,
    /// Open legacy SSE sessions.
    pub sse_sessions: Gauge<i64, AtomicI64>,
    /// 1 while the gateway knows this cluster, else 0.
    pub registered: Gauge<i64, AtomicI64>,
    /// Registration attempts made (successful or not).
    pub registration_attempts: Counter<u64, AtomicU64>,
}

impl Metrics {
    /// Build the registry for `cluster` at `version`.
    pub fn new(cluster: &str, version: &str) -> Self {
        let mut registry = Registry::with_prefix("fleet");
        let calls = Family::<ToolLabel, Counter>::default();
        let errors = Family::<ToolLabel, Counter>::default();
        let panics = Family::<ToolLabel, Counter>::default();
        let timeouts = Family::<ToolLabel, Counter>::default();
        let latency = Family::<ToolLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let in_flight = Gauge::default();
        let sse_sessions = Gauge::default();
        let registered = Gauge::default();
        let registration_attempts = Counter::default();
        let build = Family::<BuildLabel, Gauge>::default();
        build
            .get_or_create(&BuildLabel {
                cluster: cluster.to_owned(),
                version: version.to_owned(),
            })
            .set(1);

        registry.register("build_info", "Cluster name and version", build);
        registry.register("tool_calls", "Tool calls started", calls.clone());
        registry.register(
            "tool_errors",
            "Tool calls that returned isError (panics and timeouts included)",
            errors.clone(),
        );
        registry.register(
            "tool_panics",
            "Tool calls whose tool panicked",
            panics.clone(),
        );
        registry.register(
            "tool_timeouts",
            "Tool calls that exceeded their time limit",
            timeouts.clone(),
        );
        registry.register(
            "tool_call_duration_seconds",
            "Tool call latency",
            latency.clone(),
        );
        registry.register(
            "tool_calls_in_flight",
            "Tool calls running now",
            in_flight.clone(),
        );
        registry.register(
            "sse_sessions",
            "Open legacy SSE sessions",
            sse_sessions.clone(),
        );
        registry.register(
            "registered",
            "1 while the gateway knows this cluster",
            registered.clone(),
        );
        registry.register(
            "registration_attempts",
            "Registration attempts",
            registration_attempts.clone(),
        );

        Self {
            registry,
            calls,
            errors,
            panics,
            timeouts,
            latency,
            in_flight,
            sse_sessions,
            registered,
            registration_attempts,
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_per_tool_series() {
        let m = Metrics::new("sanctuary-utils", "0.1.0");
        let l = ToolLabel {
            tool: "calculator_divide".into(),
        };
        m.calls.get_or_create(&l).inc();
        m.errors.get_or_create(&l).inc();
        m.latency.get_or_create(&l).observe(0.0003);
        let text = m.render();
        assert!(
            text.contains(r#"fleet_tool_calls_total{tool="calculator_divide"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"fleet_tool_errors_total{tool="calculator_divide"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"fleet_tool_call_duration_seconds_bucket{le="0.0005",tool="calculator_divide"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"fleet_build_info{cluster="sanctuary-utils",version="0.1.0"} 1"#),
            "{text}"
        );
    }
}
