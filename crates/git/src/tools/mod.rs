//! The tool groups of the git cluster, one file each; `GitServer::all_tools` sums their routers.

pub(crate) mod branch;
pub(crate) mod diff;
pub(crate) mod extra;
pub(crate) mod history;
pub(crate) mod index;
pub(crate) mod remote;
pub(crate) mod status;
pub(crate) mod workflow;
