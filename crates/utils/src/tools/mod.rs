//! The tool groups of the utils cluster, one file each; [`all`] sums their routers.

pub(crate) mod calculator;
pub(crate) mod fleet;
pub(crate) mod string;
pub(crate) mod time;
pub(crate) mod uuid;
