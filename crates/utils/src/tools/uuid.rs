//! UUID tools: v4 (random), v1 (time-based, the original's), v7 (time-ordered, the modern choice
//! for keys) and validation.
//!
//! v1 embeds a node id; using the host's MAC address would leak it, so this server uses a random
//! node id chosen at start-up with the multicast bit set, as RFC 9562 §6.10 allows, and a
//! process-wide clock sequence so ids from one process never collide.

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{error::UtilsError, server::UtilsServer};

/// Most ids one call may generate.
pub(crate) const MAX_COUNT: u32 = 1000;

/// Arguments of the generators.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct GenerateArgs {
    /// How many ids to generate (1 to 1000, default 1).
    #[serde(default)]
    pub count: Option<u32>,
}

/// Generated ids.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Generated {
    /// The first (or only) id, hyphenated lower case.
    pub uuid: String,
    /// The UUID version.
    pub version: usize,
    /// All ids when `count` > 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuids: Option<Vec<String>>,
}

/// Arguments of `uuid_validate_uuid`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ValidateArgs {
    /// The text to check; hyphenated, simple (32 hex digits), braced or `urn:uuid:` forms.
    pub uuid_string: String,
}

/// Result of `uuid_validate_uuid`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Validation {
    /// Whether the text is a well-formed RFC 9562 UUID (nil and max included).
    pub valid: bool,
    /// The canonical hyphenated form, when it parses.
    pub uuid: Option<String>,
    /// The version (1–8), when it has one.
    pub version: Option<usize>,
    /// `rfc9562`, `ncs`, `microsoft`, `future`; or `nil` / `max`.
    pub variant: Option<String>,
    /// Why it is not valid.
    pub error: Option<String>,
}

fn generate(
    count: Option<u32>,
    version: usize,
    mut make: impl FnMut() -> Uuid,
) -> Result<Generated, UtilsError> {
    let count = count.unwrap_or(1);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(UtilsError::arg(
            "count",
            format!("must be between 1 and {MAX_COUNT}, got {count}"),
        ));
    }
    let ids: Vec<String> = (0..count)
        .map(|_| make().hyphenated().to_string())
        .collect();
    Ok(Generated {
        uuid: ids[0].clone(),
        version,
        uuids: (count > 1).then_some(ids),
    })
}

/// Check `text` as a UUID.
pub(crate) fn validate(text: &str) -> Validation {
    let text = text.trim();
    match Uuid::parse_str(text) {
        Err(e) => Validation {
            valid: false,
            uuid: None,
            version: None,
            variant: None,
            error: Some(e.to_string()),
        },
        Ok(u) if u.is_nil() || u.is_max() => Validation {
            valid: true,
            uuid: Some(u.hyphenated().to_string()),
            version: None,
            variant: Some(if u.is_nil() { "nil" } else { "max" }.to_owned()),
            error: None,
        },
        Ok(u) => {
            let variant = match u.get_variant() {
                uuid::Variant::RFC4122 => "rfc9562",
                uuid::Variant::NCS => "ncs",
                uuid::Variant::Microsoft => "microsoft",
                _ => "future",
            };
            let version = u.get_version_num();
            let ok = variant == "rfc9562" && (1..=8).contains(&version);
            Validation {
                valid: ok,
                uuid: Some(u.hyphenated().to_string()),
                version: (1..=8).contains(&version).then_some(version),
                variant: Some(variant.to_owned()),
                error: (!ok).then(|| format!("well-formed hex, but variant {variant} / version {version} is not an RFC 9562 UUID")),
            }
        }
    }
}

#[tool_router(router = uuid_tools, vis = "pub(crate)")]
impl UtilsServer {
    /// Generate random (version 4) UUIDs. Example: `{}` or `{"count": 5}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub fn uuid_generate_uuid4(
        &self,
        Parameters(args): Parameters<GenerateArgs>,
    ) -> Result<Json<Generated>, UtilsError> {
        generate(args.count, 4, Uuid::new_v4).map(Json)
    }

    /// Generate time-based (version 1) UUIDs, with a random per-process node id instead of the
    /// host's MAC address. Prefer `uuid_generate_uuid7` for new database keys.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub fn uuid_generate_uuid1(
        &self,
        Parameters(args): Parameters<GenerateArgs>,
    ) -> Result<Json<Generated>, UtilsError> {
        generate(args.count, 1, || self.new_v1()).map(Json)
    }

    /// Generate time-ordered (version 7) UUIDs: sortable by creation time, good database keys.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub fn uuid_generate_uuid7(
        &self,
        Parameters(args): Parameters<GenerateArgs>,
    ) -> Result<Json<Generated>, UtilsError> {
        generate(args.count, 7, Uuid::now_v7).map(Json)
    }

    /// Check whether a string is a valid UUID and report its canonical form, version and variant.
    /// An invalid string is a normal answer (`valid: false` with the reason), not an error.
    /// Example: `{"uuid_string": "{123E4567-E89B-12D3-A456-426614174000}"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn uuid_validate_uuid(
        &self,
        Parameters(args): Parameters<ValidateArgs>,
    ) -> Json<Validation> {
        Json(validate(&args.uuid_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_reports_version_and_canonical_form() {
        let v = validate("{123E4567-E89B-12D3-A456-426614174000}");
        assert!(v.valid);
        assert_eq!(
            v.uuid.as_deref(),
            Some("123e4567-e89b-12d3-a456-426614174000")
        );
        assert_eq!(v.version, Some(1));
        let v7 = validate(&Uuid::now_v7().simple().to_string());
        assert_eq!((v7.valid, v7.version), (true, Some(7)));
        assert_eq!(
            validate("urn:uuid:00000000-0000-0000-0000-000000000000")
                .variant
                .as_deref(),
            Some("nil")
        );
    }

    #[test]
    fn invalid_strings_say_why() {
        for bad in [
            "",
            "not-a-uuid",
            "123e4567-e89b-12d3-a456-42661417400",
            "123e4567-e89b-12d3-a456-4266141740000",
        ] {
            let v = validate(bad);
            assert!(!v.valid && v.error.is_some(), "{bad}");
        }
        // Well-formed hex with the NCS variant bits is not an RFC 9562 UUID.
        let ncs = validate("123e4567-e89b-12d3-0456-426614174000");
        assert!(!ncs.valid);
        assert_eq!(ncs.variant.as_deref(), Some("ncs"));
    }

    #[test]
    fn counts_are_bounded() {
        assert_eq!(
            generate(Some(3), 4, Uuid::new_v4)
                .unwrap()
                .uuids
                .unwrap()
                .len(),
            3
        );
        assert!(generate(Some(0), 4, Uuid::new_v4).is_err());
        assert!(generate(Some(MAX_COUNT + 1), 4, Uuid::new_v4).is_err());
    }
}
