//! The MCP handler every transport serves: one [`Fleet`] per process, one [`FleetServer`] per session.
//!
//! [`Fleet`] holds what all sessions share (the cluster, its tool table, the guard, metrics,
//! registration state). [`FleetServer`] is the rmcp `ServerHandler`; it is a cheap clone around
//! the `Arc<Fleet>`, created by each transport for each session. Tool calls go through
//! [`crate::guard::Guard`]; unknown tools are a JSON-RPC `-32602`, as the 2025-11-25 spec says.

// Logging (and roots) are deprecated from MCP 2026-07-28 (SEP-2577) but part of 2025-11-25,
// which this server speaks; the deprecation is about the future protocol, not this use.
#![allow(deprecated)]

use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Instant,
};

use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    handler::server::{
        prompt::PromptContext,
        router::{prompt::PromptRouter, tool::ToolRouter},
        tool::ToolCallContext,
    },
    model::{
        CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
        CompletionInfo, GetPromptRequestParams, GetPromptResponse, Implementation,
        ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
        PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
        ServerCapabilities, ServerConfig, SetLevelRequestParams, SubscribeRequestParams, Tool,
        UnsubscribeRequestParams,
    },
    service::{NotificationContext, RequestContext},
};
use tokio::sync::watch;

use crate::{
    cluster::Cluster, config::CoreConfig, guard::Guard, metrics::Metrics, progress::Progress,
    registration::RegistrationState, session::Session,
};

/// Everything one cluster process shares between sessions and endpoints.
pub struct Fleet<C: Cluster> {
    /// The cluster's own state.
    pub cluster: C,
    /// The cluster's tools (plus fault-injection tools in debug builds that ask for them).
    pub tools: ToolRouter<C>,
    /// The cluster's prompts.
    pub prompts: PromptRouter<C>,
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
        let prompts = cluster.prompts();
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_resources()
            .build();
        if cluster.accepts_subscriptions()
            && let Some(resources) = capabilities.resources.as_mut()
        {
            resources.subscribe = Some(true);
        }
        let server_info = ServerConfig::new(capabilities)
            .with_server_info(implementation)
            .with_instructions(info.instructions);
        let (registration, _) = watch::channel(RegistrationState::Disabled {
            reason: "registration has not started".to_owned(),
        });
        Arc::new(Self {
            cluster,
            tools,
            prompts,
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
    session: Arc<Session>,
}

impl<C: Cluster> Clone for FleetServer<C> {
    fn clone(&self) -> Self {
        Self {
            fleet: self.fleet.clone(),
            session: self.session.clone(),
        }
    }
}

impl<C: Cluster> FleetServer<C> {
    /// A handler for a new session of `fleet`.
    pub fn new(fleet: Arc<Fleet<C>>) -> Self {
        Self {
            fleet,
            session: Arc::new(Session::default()),
        }
    }

    /// Ask the client for its roots, if it declared the capability, and remember them.
    #[allow(deprecated)] // Roots are deprecated from 2026-07-28 on but current in 2025-11-25.
    async fn refresh_roots(&self, peer: &rmcp::Peer<RoleServer>) {
        let declared = peer
            .peer_info()
            .is_some_and(|info| info.capabilities.roots.is_some());
        if !declared {
            return;
        }
        match tokio::time::timeout(std::time::Duration::from_secs(10), peer.list_roots()).await {
            Ok(Ok(result)) => {
                let roots: Vec<String> = result.roots.into_iter().map(|r| r.uri).collect();
                tracing::debug!(session = %self.session.id, ?roots, "client roots");
                self.session.set_roots(roots);
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "roots/list failed"),
            Err(_) => tracing::debug!("roots/list timed out"),
        }
    }
}

const MAX_LOGGED_ARGS: usize = 512;

/// Tool arguments for a debug log line, redacted by the cluster, serialized (and cut) only if a
/// layer records the event.
struct LoggedArgs<'a>(
    Option<&'a rmcp::model::JsonObject>,
    &'a (dyn Fn(&mut rmcp::model::JsonObject) + Sync),
);

impl std::fmt::Display for LoggedArgs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(args) = self.0 else { return Ok(()) };
        let mut args = args.clone();
        (self.1)(&mut args);
        let text = serde_json::Value::Object(args).to_string();
        let cut = text
            .char_indices()
            .nth(MAX_LOGGED_ARGS)
            .map_or(text.len(), |(i, _)| i);
        f.write_str(&text[..cut])
    }
}

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
        let redact =
            |args: &mut rmcp::model::JsonObject| fleet.cluster.redact_arguments(&name, args);
        tracing::debug!(tool = %name, arguments = %LoggedArgs(request.arguments.as_ref(), &redact), "tool call arguments");
        let limit = fleet
            .config
            .timeout_for(&name, fleet.cluster.tool_timeout(&name));
        let ct = context.ct.clone();
        let request_id = context.id.to_string();
        let peer = context.peer.clone();
        let mut context = context;
        let token = context.meta.get_progress_token();
        context
            .extensions
            .insert(Progress::new(peer.clone(), token));
        context.extensions.insert(self.session.clone());
        let log = self.session.log_level().map(|level| (peer, level));
        let owned = fleet.clone();
        let call = async move {
            let ctx = ToolCallContext::new(&owned.cluster, request, context);
            owned.tools.call(ctx).await
        };
        fleet
            .guard
            .run(&name, &request_id, limit, ct, log, call)
            .await
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.session.set_log_level(request.level);
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(
            self.fleet.prompts.list_all(),
        ))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let ctx = PromptContext::new(
            &self.fleet.cluster,
            request.name,
            request.arguments,
            context,
        );
        self.fleet.prompts.get_prompt(ctx).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources = self.fleet.cluster.list_resources(&self.session).await?;
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.fleet.cluster.resource_templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let result = self
            .fleet
            .cluster
            .read_resource(&request.uri, &self.session)
            .await?;
        Ok(result.into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let mut values = self.fleet.cluster.complete(&request).await?;
        let total = values.len();
        values.truncate(100);
        let info = CompletionInfo::with_pagination(values, Some(total as u32), total > 100)
            .map_err(|e| ErrorData::internal_error(e, None))?;
        Ok(CompleteResult::new(info))
    }

    #[allow(deprecated)] // resources/subscribe is legacy-only; sessions before 2026-07-28 still use it.
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if self.fleet.cluster.accepts_subscriptions() {
            tracing::debug!(uri = %request.uri, "resource subscription");
            Ok(())
        } else {
            Err(ErrorData::method_not_found::<
                rmcp::model::SubscribeRequestMethod,
            >())
        }
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if self.fleet.cluster.accepts_subscriptions() {
            tracing::debug!(uri = %request.uri, "resource unsubscription");
            Ok(())
        } else {
            Err(ErrorData::method_not_found::<
                rmcp::model::UnsubscribeRequestMethod,
            >())
        }
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.refresh_roots(&context.peer).await;
    }

    async fn on_roots_list_changed(&self, context: NotificationContext<RoleServer>) {
        self.refresh_roots(&context.peer).await;
    }
}
