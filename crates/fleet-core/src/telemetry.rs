//! Logging: one tracing subscriber per process, always on stderr (stdout belongs to the stdio
//! transport), text or JSON, filtered by `RUST_LOG`. Panics are logged through tracing too, so a
//! contained tool panic appears once, as a structured event, instead of as a raw stderr dump.

use tracing_subscriber::{
    EnvFilter, Layer as _, filter::filter_fn, fmt, layer::SubscriberExt as _,
    util::SubscriberInitExt as _,
};

use crate::{
    config::LogFormat,
    logging::{McpLogLayer, forwardable_target},
};

/// Install the subscriber; a second call (tests) is a no-op. Two layers, each with its own
/// filter: stderr output filtered by `stderr_filter` (`CoreConfig::log_filter`), and the MCP log bridge (see `crate::logging`),
/// which sees every level of fleet-core's and the clusters' events so a client may ask for
/// `debug` whatever `RUST_LOG` says.
pub fn init(format: LogFormat, stderr_filter: &str) {
    let filter = || EnvFilter::try_new(stderr_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry()
        .with(McpLogLayer.with_filter(filter_fn(|meta| forwardable_target(meta.target()))));
    let installed = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_current_span(true)
                    .with_filter(filter()),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_filter(filter()),
            )
            .try_init(),
    };
    if installed.is_ok() {
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %payload, %location, "panic");
        }));
    }
}
