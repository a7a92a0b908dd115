//! HS256 tokens for the gateway's API, minted from its `JWT_SECRET_KEY`.
//!
//! ContextForge accepts a token whose claims are at least `sub` (an existing user), `exp`, `jti`,
//! `aud = mcpgateway-api` and `iss = mcpgateway` (measured: dropping any of them gives 401).
//! HS256 is one HMAC-SHA256 over two base64url segments, and `ring` is already in the build for
//! TLS, so this is a dozen lines instead of a JWT crate with RSA and EC backends we would never use.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;

/// Lifetime of a minted token; each request mints a fresh one, so this only needs to cover one call.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// Mint an HS256 JWT signed with `secret`.
pub fn mint(secret: &str, subject: &str, audience: &str, issuer: &str, now: SystemTime) -> String {
    let iat = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let claims = json!({
        "sub": subject,
        "iat": iat,
        "exp": iat + TOKEN_LIFETIME.as_secs(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "aud": audience,
        "iss": issuer,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_carries_the_claims_contextforge_requires_and_verifies() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let token = mint(
            "secret-key",
            "admin@example.com",
            "mcpgateway-api",
            "mcpgateway",
            now,
        );
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "admin@example.com");
        assert_eq!(claims["aud"], "mcpgateway-api");
        assert_eq!(claims["iss"], "mcpgateway");
        assert_eq!(claims["iat"], 1_800_000_000u64);
        assert_eq!(claims["exp"], 1_800_000_300u64);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 36);

        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"secret-key");
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(ring::hmac::verify(&key, signed.as_bytes(), &signature).is_ok());
        let wrong = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"other");
        assert!(ring::hmac::verify(&wrong, signed.as_bytes(), &signature).is_err());
    }

    #[test]
    fn every_token_has_a_fresh_jti() {
        let now = SystemTime::now();
        assert_ne!(mint("k", "s", "a", "i", now), mint("k", "s", "a", "i", now));
    }
}
