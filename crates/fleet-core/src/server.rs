//! The MCP handler every transport serves: one [`Fleet`] per process, one [`FleetServer`] per session.
//!
//! [`Fleet`] holds what all sessions share (the cluster, its tool table, the guard, metrics,
//! registration state). [`FleetServer`] is the rmcp `ServerHandler`; it is a cheap clone around
//! the `Arc<Fleet>`, created by each transport for each session. Tool calls go through
//! [`crate::guard::Guard`]; unknown tools are a JSON-RPC `-32602`, as the 2025-11-25 spec says.

use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Instant,
};

use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    handler::server::{router::tool::ToolRouter, tool::ToolCallContext},
    model::{
        CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
        PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    },
    service::RequestContext,
};
use tokio::sync::watch;

use crate::{
    cluster::Cluster, config::CoreConfig, guard::Guard, metrics::Metrics,
    registration::RegistrationState,
};

/// Everything one cluster process shares between sessions and endpoints.
pub struct Fleet<C: Cluster> {
    /// The cluster's own state.
    pub cluster: C,
    /// The cluster's tools (plus fault-injection tools in debug builds that ask for them).
    pub tools: ToolRouter<C>,
    /// Core configuration.
    pub config: CoreConfig,
    /// Isolation and limits for tool calls.
    pub guard: Guard,
    /// Exported metrics.
    pub metrics: Arc<Metrics>,
    /// When the process started serving, for `/health` uptime.
    pub started: Instant,
    /// Registration state, written by the registration task and read by `/health`.
    pub registration: watch::Sender<RegistrationState>,
    /// The address actually bound (differs from the configured one when `PORT=0`).
    pub bound: OnceLock<SocketAddr>,
    info: ServerConfig,
}

impl<C: Cluster> std::fmt::Debug for Fleet<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("cluster", &C::INFO.name)
            .field("tools", &self.tools.map.len())
            .finish_non_exhaustive()
    }
}

impl<C: Cluster> Fleet<C> {
    /// Build the shared state for `cluster` under `config`.
    pub fn new(cluster: C, config: CoreConfig) -> Arc<Self> {
        let info = C::INFO;
        #[allow(unused_mut)]
        let mut tools = cluster.tools();
        #[cfg(debug_assertions)]
        if config.fault_tools {
            tools.merge(crate::faults::fault_tools());
        }
        let metrics = Arc::new(Metrics::new(info.name, info.version));
        let guard = Guard::new(info.name, config.max_concurrent_calls, metrics.clone());
        let implementation = {
            let mut i = Implementation::new(info.name, info.version);
            i.title = Some(info.title.to_owned());
            i.description = Some(info.description.to_owned());
            i
        };
        let server_info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(implementation)
            .with_instructions(info.instructions);
        let (registration, _) = watch::channel(RegistrationState::Disabled {
            reason: "registration has not started".to_owned(),
        });
        Arc::new(Self {
            cluster,
            tools,
            config,
            guard,
            metrics,
            started: Instant::now(),
            registration,
            bound: OnceLock::new(),
            info: server_info,
        })
    }

    /// The tool a client means by `name`: exact, or with `-` read as `_`
    /// (gateways slugify `calculator_add` into `calculator-add`).
    pub fn resolve_tool(&self, name: &str) -> Option<&Tool> {
        self.tools
            .get(name)
            .or_else(|| self.tools.get(&name.replace('-', "_")))
    }

    /// The port clients reach us on: the bound one, else the configured one.
    pub fn port(&self) -> Option<u16> {
        self.bound
            .get()
            .map(SocketAddr::port)
            .or(self.config.listen.map(|a| a.port()))
    }

    /// Tool names, sorted.
    pub fn tool_names(&self) -> Vec<String> {
        self.tools
            .list_all()
            .into_iter()
            .map(|t| t.name.into_owned())
            .collect()
    }
}

/// The rmcp handler for one session.
pub struct FleetServer<C: Cluster> {
    fleet: Arc<Fleet<C>>,
}

impl<C: Cluster> Clone for FleetServer<C> {
    fn clone(&self) -> Self {
        Self {
            fleet: self.fleet.clone(),
        }
    }
}

impl<C: Cluster> FleetServer<C> {
    /// A handler for a new session of `fleet`.
    pub fn new(fleet: Arc<Fleet<C>>) -> Self {
        Self { fleet }
    }
}

const MAX_LOGGED_ARGS: usize = 512;

impl<C: Cluster> ServerHandler for FleetServer<C> {
    fn get_info(&self) -> ServerConfig {
        self.fleet.info.clone()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.fleet.tools.list_all()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.fleet.resolve_tool(name).cloned()
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let fleet = &self.fleet;
        let Some(tool) = fleet.resolve_tool(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool '{}': {} has {} tools, see tools/list",
                    request.name,
                    C::INFO.name,
                    fleet.tools.list_all().len()
                ),
                None,
            ));
        };
        let name = tool.name.clone();
        request.name = name.clone();
        if tracing::enabled!(tracing::Level::DEBUG) {
            let args = request
                .arguments
                .as_ref()
                .map(|a| serde_json::Value::Object(a.clone()).to_string())
                .unwrap_or_default();
            let cut = args
                .char_indices()
                .nth(MAX_LOGGED_ARGS)
                .map_or(args.len(), |(i, _)| i);
            tracing::debug!(tool = %name, arguments = &args[..cut], "tool call arguments");
        }
        let limit = fleet
            .config
            .timeout_for(&name, fleet.cluster.tool_timeout(&name));
        let ct = context.ct.clone();
        let request_id = context.id.to_string();
        let owned = fleet.clone();
        let call = async move {
            let ctx = ToolCallContext::new(&owned.cluster, request, context);
            owned.tools.call(ctx).await
        };
        fleet.guard.run(&name, &request_id, limit, ct, call).await
    }
}
