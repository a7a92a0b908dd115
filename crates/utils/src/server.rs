//! `UtilsServer`: the utils cluster's state and its [`Cluster`] implementation.

use fleet_core::{Cluster, ClusterInfo};
use rmcp::handler::server::router::tool::ToolRouter;
use uuid::{Timestamp, Uuid, timestamp::context::ContextV1};

use crate::config::{UTILS_VARS, UtilsConfig};

/// The utils cluster: pure compute, no I/O, no backends.
pub struct UtilsServer {
    /// Limits and the local time zone.
    pub(crate) config: UtilsConfig,
    /// Clock sequence for v1 UUIDs, shared by every call so two ids in the same tick differ.
    v1_context: ContextV1,
    /// Random node id for v1 UUIDs (multicast bit set: not a real MAC address).
    v1_node: [u8; 6],
}

impl UtilsServer {
    /// A server with `config`.
    pub fn new(config: UtilsConfig) -> Self {
        let random = Uuid::new_v4();
        let mut node = [0u8; 6];
        node.copy_from_slice(&random.as_bytes()[10..16]);
        node[0] |= 0x01;
        Self {
            config,
            v1_context: ContextV1::new_random(),
            v1_node: node,
        }
    }

    /// A version-1 UUID from this server's clock sequence and node id.
    pub(crate) fn new_v1(&self) -> Uuid {
        Uuid::new_v1(Timestamp::now(&self.v1_context), &self.v1_node)
    }

    /// Every tool of the cluster.
    pub(crate) fn all_tools() -> ToolRouter<Self> {
        Self::time_tools()
            + Self::calculator_tools()
            + Self::uuid_tools()
            + Self::string_tools()
            + Self::fleet_tools()
    }
}

impl Cluster for UtilsServer {
    const INFO: ClusterInfo = ClusterInfo {
        name: "sanctuary-utils",
        title: "Sanctuary Utils",
        version: env!("CARGO_PKG_VERSION"),
        description: "Low-risk utilities: time zones, calculator, UUIDs and string tools (pure compute, no I/O)",
        instructions: "Utility tools that touch nothing outside this process. Time tools take IANA zone names \
            (Europe/Paris); the calculator takes expressions like '(2+3)*4^2' and never evaluates code; \
            every failure is an error result that names the bad argument.",
        tags: &["sanctuary", "utils", "low-risk"],
        env_vars: UTILS_VARS,
    };

    fn tools(&self) -> ToolRouter<Self> {
        Self::all_tools()
    }
}
