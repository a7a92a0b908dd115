//! The tool groups of the network cluster, one file each; `NetworkServer::all_tools` sums their
//! routers.

pub(crate) mod fetch;
pub(crate) mod http;
pub(crate) mod search;
pub(crate) mod status;
