//! The protocol surface every cluster gets from fleet-core, tested in-process over Streamable HTTP
//! with rmcp's client: log notifications routed from tracing (per session, per level, before the
//! result), progress notifications, cancellation, client roots, and the defaults for prompts,
//! resources, completion and subscriptions.

#![allow(clippy::unwrap_used)]
// Logging and roots are deprecated from MCP 2026-07-28 but part of 2025-11-25, which is tested here.
#![allow(deprecated)]

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use fleet_core::{Cluster, ClusterInfo, CoreConfig, Fleet, Progress, Session};
use rmcp::{
    ClientHandler, RoleClient, ServiceExt as _,
    handler::server::{router::tool::ToolRouter, tool::Extension},
    model::{
        ArgumentInfo, CallToolRequestParams, ClientCapabilities, ClientConfig, ClientRequest,
        CompleteRequestParams, Implementation, ListRootsResult, LoggingLevel,
        LoggingMessageNotificationParam, PaginatedRequestParams, ProgressNotificationParam,
        ReadResourceRequestParams, Reference, Request, Root, SetLevelRequestParams,
        SubscribeRequestParams,
    },
    service::{NotificationContext, PeerRequestOptions, RequestContext, RunningService},
    tool, tool_router,
    transport::StreamableHttpClientTransport,
};

struct Probe;

#[tool_router]
impl Probe {
    /// Logs one event at each of debug, info and warn.
    #[tool]
    async fn noisy(&self) -> String {
        tracing::debug!(target: "sanctuary_probe", "detail");
        tracing::info!(target: "sanctuary_probe", step = 2, "progressing");
        tracing::warn!(target: "sanctuary_probe", "careful");
        "done".to_owned()
    }

    /// Reports progress three times.
    #[tool]
    async fn steps(&self, Extension(progress): Extension<Progress>) -> String {
        for i in 1..=3 {
            progress
                .report(f64::from(i), Some(3.0), Some(format!("step {i}")))
                .await;
        }
        format!("wanted={}", progress.wanted())
    }

    /// Sleeps ten seconds (for cancellation).
    #[tool]
    async fn wait(&self) -> String {
        tokio::time::sleep(Duration::from_secs(10)).await;
        "late".to_owned()
    }

    /// The client's roots as this session knows them.
    #[tool]
    fn roots(&self, Extension(session): Extension<Arc<Session>>) -> String {
        format!("{:?}", session.roots())
    }
}

impl Cluster for Probe {
    const INFO: ClusterInfo = ClusterInfo {
        name: "sanctuary-probe",
        title: "Probe",
        version: "0.0.1",
        description: "protocol test cluster",
        instructions: "",
        tags: &[],
        env_vars: &[],
    };

    fn tools(&self) -> ToolRouter<Self> {
        Self::tool_router()
    }
}

#[derive(Clone, Default)]
struct Collector {
    logs: Arc<Mutex<Vec<LoggingMessageNotificationParam>>>,
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    roots: Vec<String>,
}

impl ClientHandler for Collector {
    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.logs.lock().unwrap().push(params);
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }

    async fn list_roots(
        &self,
        _: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, rmcp::ErrorData> {
        Ok(ListRootsResult::new(
            self.roots.iter().map(Root::new).collect(),
        ))
    }

    fn get_info(&self) -> ClientConfig {
        let caps = if self.roots.is_empty() {
            ClientCapabilities::default()
        } else {
            ClientCapabilities::builder().enable_roots().build()
        };
        ClientConfig::new(caps, Implementation::new("probe-client", "0"))
    }
}

async fn start() -> String {
    let env: BTreeMap<&str, &str> = [
        ("PORT", "0"),
        ("HOST", "127.0.0.1"),
        ("FLEET_CONTAINER", "0"),
    ]
    .into_iter()
    .collect();
    fleet_core::telemetry::init(fleet_core::config::LogFormat::Text, "info");
    let fleet = Fleet::new(
        Probe,
        CoreConfig::from_source("sanctuary-probe", &env).unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(fleet_core::serve::serve_http(
        fleet,
        listener,
        std::future::pending(),
    ));
    url
}

/// Notifications are sent before the result, but the client handles them in their own tasks.
async fn wait_until(mut ready: impl FnMut() -> bool) {
    for _ in 0..100 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn connect(url: &str, handler: Collector) -> RunningService<RoleClient, Collector> {
    fleet_core::install_crypto_provider();
    handler
        .serve(StreamableHttpClientTransport::from_uri(url.to_owned()))
        .await
        .unwrap()
}

#[tokio::test]
async fn log_notifications_follow_the_level_and_stay_in_their_session() {
    let url = start().await;
    let a = connect(&url, Collector::default()).await;
    let b = connect(&url, Collector::default()).await;

    a.peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Warning))
        .await
        .unwrap();
    a.peer()
        .call_tool(CallToolRequestParams::new("noisy"))
        .await
        .unwrap();
    b.peer()
        .call_tool(CallToolRequestParams::new("noisy"))
        .await
        .unwrap();
    wait_until(|| !a.service().logs.lock().unwrap().is_empty()).await;
    {
        let logs = a.service().logs.lock().unwrap();
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_eq!(logs[0].level, LoggingLevel::Warning);
        assert_eq!(logs[0].data["message"], "careful");
        assert_eq!(logs[0].logger.as_deref(), Some("sanctuary_probe"));
    }
    assert!(
        b.service().logs.lock().unwrap().is_empty(),
        "session b never asked for logs"
    );

    a.peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Debug))
        .await
        .unwrap();
    a.peer()
        .call_tool(CallToolRequestParams::new("noisy"))
        .await
        .unwrap();
    wait_until(|| a.service().logs.lock().unwrap().len() >= 4).await;
    let logs = a.service().logs.lock().unwrap();
    let messages: Vec<_> = logs
        .iter()
        .map(|l| l.data["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages, ["careful", "detail", "progressing", "careful"]);
    assert_eq!(logs[2].data["fields"]["step"], 2);
    assert!(b.service().logs.lock().unwrap().is_empty());
}

#[tokio::test]
async fn progress_is_reported_when_a_token_is_sent() {
    let url = start().await;
    let c = connect(&url, Collector::default()).await;
    let handle = c
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(CallToolRequestParams::new("steps"))),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let token = handle.progress_token.clone();
    let result = handle.await_response().await.unwrap();
    assert!(format!("{result:?}").contains("wanted=true"), "{result:?}");
    // The client handles notifications in their own tasks; give them a moment.
    wait_until(|| c.service().progress.lock().unwrap().len() >= 3).await;
    let progress = c.service().progress.lock().unwrap();
    let values: Vec<f64> = progress.iter().map(|p| p.progress).collect();
    assert_eq!(values, [1.0, 2.0, 3.0]);
    assert!(
        progress
            .iter()
            .all(|p| p.progress_token == token && p.total == Some(3.0))
    );
    assert_eq!(progress[2].message.as_deref(), Some("step 3"));
}

#[tokio::test]
async fn a_cancelled_call_stops_and_the_session_goes_on() {
    let url = start().await;
    let c = connect(&url, Collector::default()).await;
    let handle = c
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(CallToolRequestParams::new("wait"))),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    handle.cancel(Some("test".into())).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let r = c
        .peer()
        .call_tool(CallToolRequestParams::new("noisy"))
        .await
        .unwrap();
    assert_eq!(r.content[0].as_text().unwrap().text, "done");
}

#[tokio::test]
async fn client_roots_are_fetched_after_initialization() {
    let url = start().await;
    let handler = Collector {
        roots: vec!["file:///work/project".into()],
        ..Collector::default()
    };
    let c = connect(&url, handler).await;
    let mut text = String::new();
    for _ in 0..50 {
        text = c
            .peer()
            .call_tool(CallToolRequestParams::new("roots"))
            .await
            .unwrap()
            .content[0]
            .as_text()
            .unwrap()
            .text
            .clone();
        if text != "None" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(text, r#"Some(["file:///work/project"])"#);
    let without = connect(&url, Collector::default()).await;
    let text = without
        .peer()
        .call_tool(CallToolRequestParams::new("roots"))
        .await
        .unwrap()
        .content[0]
        .as_text()
        .unwrap()
        .text
        .clone();
    assert_eq!(text, "None");
}

#[tokio::test]
async fn empty_prompts_resources_and_completions_are_answers_not_errors() {
    let url = start().await;
    let c = connect(&url, Collector::default()).await;
    let info = c.peer_info().unwrap();
    let caps = &info.capabilities;
    assert!(
        caps.logging.is_some()
            && caps.completions.is_some()
            && caps.prompts.is_some()
            && caps.resources.is_some()
    );
    assert!(caps.resources.as_ref().unwrap().subscribe.is_none());
    assert!(
        c.peer()
            .list_prompts(None::<PaginatedRequestParams>)
            .await
            .unwrap()
            .prompts
            .is_empty()
    );
    assert!(
        c.peer()
            .list_resources(None::<PaginatedRequestParams>)
            .await
            .unwrap()
            .resources
            .is_empty()
    );
    assert!(
        c.peer()
            .list_resource_templates(None::<PaginatedRequestParams>)
            .await
            .unwrap()
            .resource_templates
            .is_empty()
    );
    let completion = c
        .peer()
        .complete(CompleteRequestParams::new(
            Reference::for_prompt("nope"),
            ArgumentInfo::new("x", "y"),
        ))
        .await
        .unwrap();
    assert!(completion.completion.values.is_empty());
    let err = c
        .peer()
        .read_resource(ReadResourceRequestParams::new("file:///etc/passwd"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no resource"), "{err}");
    let err = c
        .peer()
        .subscribe(SubscribeRequestParams::new("file:///x"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("-32601")
            || err.to_string().to_lowercase().contains("method not found"),
        "{err}"
    );
}
