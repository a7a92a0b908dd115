//! Settings of the utils cluster (`UTILS_*`), read with fleet-core's reader so their problems are
//! reported together with the core ones.

use fleet_core::{EnvReader, EnvVar};
use jiff::tz::TimeZone;

/// Default cap on a calculator expression, in characters.
pub const DEFAULT_MAX_EXPRESSION_CHARS: u64 = 4096;
/// Default cap on the text given to a string tool, in bytes.
pub const DEFAULT_MAX_TEXT_BYTES: u64 = 1024 * 1024;

/// Every variable this cluster reads.
pub const UTILS_VARS: &[EnvVar] = &[
    EnvVar {
        name: "UTILS_LOCAL_TIMEZONE",
        default: "<system zone, else UTC>",
        help: "IANA zone used when a time tool is called without one",
    },
    EnvVar {
        name: "UTILS_MAX_EXPRESSION_CHARS",
        default: "4096",
        help: "Longest calculator expression accepted",
    },
    EnvVar {
        name: "UTILS_MAX_TEXT_BYTES",
        default: "1048576",
        help: "Largest text a string tool accepts",
    },
];

/// Utils settings.
#[derive(Debug, Clone)]
pub struct UtilsConfig {
    /// Zone used when a caller names none.
    pub local_timezone: TimeZone,
    /// Name of that zone, as shown to callers.
    pub local_timezone_name: String,
    /// Longest expression accepted.
    pub max_expression_chars: usize,
    /// Largest text accepted.
    pub max_text_bytes: usize,
}

impl Default for UtilsConfig {
    fn default() -> Self {
        Self {
            local_timezone: TimeZone::UTC,
            local_timezone_name: "UTC".to_owned(),
            max_expression_chars: DEFAULT_MAX_EXPRESSION_CHARS as usize,
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES as usize,
        }
    }
}

impl UtilsConfig {
    /// Read the `UTILS_*` variables.
    pub fn read(r: &mut EnvReader<'_>) -> Self {
        let (local_timezone, local_timezone_name) = match r.raw("UTILS_LOCAL_TIMEZONE") {
            Some(name) => match TimeZone::get(&name) {
                Ok(tz) => (tz, name),
                Err(_) => {
                    r.problem(
                        "UTILS_LOCAL_TIMEZONE",
                        format!("unknown IANA time zone {name:?}"),
                    );
                    (TimeZone::UTC, "UTC".to_owned())
                }
            },
            None => system_zone(),
        };
        Self {
            local_timezone,
            local_timezone_name,
            max_expression_chars: r.bounded(
                "UTILS_MAX_EXPRESSION_CHARS",
                DEFAULT_MAX_EXPRESSION_CHARS,
                16,
                1 << 20,
            ) as usize,
            max_text_bytes: r.bounded(
                "UTILS_MAX_TEXT_BYTES",
                DEFAULT_MAX_TEXT_BYTES,
                1024,
                64 << 20,
            ) as usize,
        }
    }
}

/// The system zone if it has an IANA name (containers usually have none: then UTC).
fn system_zone() -> (TimeZone, String) {
    let tz = TimeZone::system();
    match tz.iana_name() {
        Some(name) => {
            let name = name.to_owned();
            (tz, name)
        }
        None => (TimeZone::UTC, "UTC".to_owned()),
    }
}
