//! The tool groups of the filesystem cluster, one file each; `FsServer::all_tools` sums their
//! routers.

pub(crate) mod code;
pub(crate) mod grep;
pub(crate) mod list;
pub(crate) mod patch;
pub(crate) mod read;
pub(crate) mod write;
