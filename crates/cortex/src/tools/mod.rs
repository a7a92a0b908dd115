//! The tool groups of the cortex cluster, one file each; `CortexServer::all_tools` sums their
//! routers. Tool methods are thin: they check arguments and call the engine.

pub(crate) mod cache;
pub(crate) mod collections;
pub(crate) mod ingest;
pub(crate) mod model;
pub(crate) mod query;
pub(crate) mod status;
