//! Progress notifications for long tools (ingest, large greps, fetch/push).
//!
//! fleet-core puts a [`Progress`] into every tool call's request extensions; a tool takes it with
//! rmcp's `Extension<Progress>` extractor and calls [`Progress::report`]. When the client sent no
//! `progressToken`, reporting is a no-op, so tools need not check. Reports go through the
//! request's own peer, so on Streamable HTTP they ride the call's stream.

use rmcp::{
    Peer, RoleServer,
    model::{ProgressNotificationParam, ProgressToken},
};

/// A handle for reporting progress of one tool call.
#[derive(Debug, Clone)]
pub struct Progress {
    peer: Peer<RoleServer>,
    token: Option<ProgressToken>,
}

impl Progress {
    /// Progress for a request made through `peer` with `token` (if the client asked).
    pub fn new(peer: Peer<RoleServer>, token: Option<ProgressToken>) -> Self {
        Self { peer, token }
    }

    /// Whether the client asked for progress.
    pub fn wanted(&self) -> bool {
        self.token.is_some()
    }

    /// Report `progress` (of `total`, if known) with an optional message. Send failures (client
    /// gone) are ignored: progress is advisory.
    pub async fn report(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        let Some(token) = &self.token else { return };
        let mut param = ProgressNotificationParam::new(token.clone(), progress);
        param.total = total;
        param.message = message;
        if let Err(e) = self.peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not delivered");
        }
    }
}
