//! Shared fixtures: the utils binary in HTTP mode with the fault-injection tools enabled.

#![allow(dead_code, unreachable_pub)]

use fleet_testkit::Server;

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_sanctuary-utils");

/// The 20 tools of the utils cluster.
pub const TOOLS: [&str; 20] = [
    "calculator_add",
    "calculator_calculate",
    "calculator_divide",
    "calculator_multiply",
    "calculator_subtract",
    "convert_time",
    "gateway_get_capabilities",
    "get_current_time",
    "string_replace",
    "string_reverse",
    "string_to_lower",
    "string_to_upper",
    "string_trim",
    "string_word_count",
    "time_get_current_time",
    "time_get_timezone_info",
    "uuid_generate_uuid1",
    "uuid_generate_uuid4",
    "uuid_generate_uuid7",
    "uuid_validate_uuid",
];

/// Start the binary on an ephemeral port with fault tools and a fixed local zone.
pub async fn start(extra: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("FLEET_FAULT_TOOLS", "1"),
        ("UTILS_LOCAL_TIMEZONE", "Europe/Paris"),
    ];
    env.extend_from_slice(extra);
    Server::start(BIN, &env).await.expect("server starts")
}
