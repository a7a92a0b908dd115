//! The utils cluster (`sanctuary-utils`): pure compute, no I/O.
//!
//! | group | tools |
//! |---|---|
//! | time | `time_get_current_time`, `get_current_time`, `convert_time`, `time_get_timezone_info` |
//! | calculator | `calculator_calculate`, `calculator_add`, `calculator_subtract`, `calculator_multiply`, `calculator_divide` |
//! | uuid | `uuid_generate_uuid4`, `uuid_generate_uuid1`, `uuid_generate_uuid7`, `uuid_validate_uuid` |
//! | string | `string_to_upper`, `string_to_lower`, `string_trim`, `string_reverse`, `string_word_count`, `string_replace` |
//! | fleet | `gateway_get_capabilities` |
//!
//! The original fleet's 17 names are kept; `get_current_time`, `convert_time` follow
//! mcp-server-time; `uuid_generate_uuid7` is new. This crate knows no transport: fleet-core serves it.

pub mod config;
pub mod error;
pub mod expr;
pub mod server;
mod tools;

pub use config::{UTILS_VARS, UtilsConfig};
pub use error::UtilsError;
pub use server::UtilsServer;
