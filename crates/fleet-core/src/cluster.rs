//! The contract between fleet-core and a cluster crate.
//!
//! A cluster is a struct holding its state plus a [`ToolRouter`] built from `#[tool_router]` impl
//! blocks. It says who it is ([`ClusterInfo`]), which tools it has, how long a tool may run, and
//! which backends it depends on. It never sees a transport: fleet-core serves the same tools over
//! Streamable HTTP, SSE and stdio, and wraps every call in the guard.

use std::{future::Future, time::Duration};

use rmcp::{
    ErrorData,
    handler::server::router::{prompt::PromptRouter, tool::ToolRouter},
    model::{CompleteRequestParams, JsonObject, ReadResourceResult, Resource, ResourceTemplate},
};
use serde::Serialize;

use crate::{config::EnvVar, session::Session};

/// Static identity of a cluster.
#[derive(Debug, Clone, Copy)]
pub struct ClusterInfo {
    /// Service and binary name, e.g. `sanctuary-utils`; also the default gateway name and alias.
    pub name: &'static str,
    /// Human title, e.g. `Sanctuary Utils`.
    pub title: &'static str,
    /// Version reported to clients and the gateway.
    pub version: &'static str,
    /// One line for `--help`, the manifest and the gateway's description field.
    pub description: &'static str,
    /// Instructions sent to clients at `initialize`.
    pub instructions: &'static str,
    /// Tags sent to the gateway at registration.
    pub tags: &'static [&'static str],
    /// The cluster's own environment variables, for `--help` and the docs check.
    pub env_vars: &'static [EnvVar],
}

/// The state of one backend a cluster needs, reported by `/ready`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Dependency {
    /// Backend name, e.g. `chroma`.
    pub name: String,
    /// Whether it answered correctly.
    pub ok: bool,
    /// What was checked or what went wrong.
    pub detail: String,
    /// Whether the cluster can serve requests without it (degraded, not unready).
    pub optional: bool,
}

/// What a cluster crate implements; fleet-core does the rest.
pub trait Cluster: Send + Sync + Sized + 'static {
    /// Who this cluster is.
    const INFO: ClusterInfo;

    /// Every tool, built once at start-up.
    fn tools(&self) -> ToolRouter<Self>;

    /// This cluster's default time limit for `tool`; `None` uses `FLEET_TOOL_TIMEOUT`.
    /// `FLEET_TOOL_TIMEOUTS` overrides both.
    fn tool_timeout(&self, tool: &str) -> Option<Duration> {
        let _ = tool;
        None
    }

    /// Check the backends this cluster depends on; an empty list means "no dependencies".
    fn readiness(&self) -> impl Future<Output = Vec<Dependency>> + Send {
        std::future::ready(Vec::new())
    }

    /// Prompts, built once at start-up (rmcp's `#[prompt_router]`). Default: none.
    fn prompts(&self) -> PromptRouter<Self> {
        PromptRouter::new()
    }

    /// Direct resources for `resources/list`, for this session (it may carry the client's roots).
    /// Default: none. Every resource should have a description.
    fn list_resources(
        &self,
        session: &Session,
    ) -> impl Future<Output = Result<Vec<Resource>, ErrorData>> + Send {
        let _ = session;
        std::future::ready(Ok(Vec::new()))
    }

    /// Resource templates for `resources/templates/list`. Default: none.
    fn resource_templates(&self) -> Vec<ResourceTemplate> {
        Vec::new()
    }

    /// Read a resource. Default: every URI is unknown (`-32002` resource not found).
    fn read_resource(
        &self,
        uri: &str,
        session: &Session,
    ) -> impl Future<Output = Result<ReadResourceResult, ErrorData>> + Send {
        let _ = session;
        std::future::ready(Err(ErrorData::resource_not_found(
            format!("no resource {uri:?} on this server; see resources/list"),
            None,
        )))
    }

    /// Suggestions for a prompt or resource-template argument. Default: none (an empty list, not
    /// an error, as the spec asks for unknown references).
    fn complete(
        &self,
        request: &CompleteRequestParams,
    ) -> impl Future<Output = Result<Vec<String>, ErrorData>> + Send {
        let _ = request;
        std::future::ready(Ok(Vec::new()))
    }

    /// Whether `resources/subscribe` is accepted. Default: no (the capability is not advertised).
    fn accepts_subscriptions(&self) -> bool {
        false
    }

    /// Hide secrets (tokens, header values, passwords) in a call's `arguments` before they are
    /// written to the debug log. Default: unchanged.
    fn redact_arguments(&self, tool: &str, arguments: &mut JsonObject) {
        let _ = (tool, arguments);
    }
}
