//! Guardrail 2: the cluster registers itself with the gateway, keeps the registration alive, and
//! never lets the gateway's absence stop it from serving tools.
//!
//! ContextForge dialect: `POST /gateways {name, url, transport, description, tags}`; on 409
//! ("name already exists") look the entry up by name and `PUT /gateways/{id}` with the same body,
//! which also makes the gateway re-discover our tools. Transient failures (connection refused,
//! 5xx) are retried with exponential backoff and jitter, forever. Once registered, the task looks
//! for its id in `GET /gateways` every `check_interval`; when it is gone, the gateway lost its
//! database, so we register again. Manifest dialect: POST the seed's manifest; the periodic check
//! re-posts it.
//!
//! The task runs beside the server, which is already listening: ContextForge connects back to
//! discover tools while it handles our POST.

use std::{sync::Arc, time::Duration};

use rand::{SeedableRng as _, rngs::StdRng};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::{
    cluster::Cluster,
    config::{GatewayAuth, RegistrationConfig, RegistrationDialect},
    manifest::Manifest,
    server::Fleet,
};

/// Where registration stands, as `/health` reports it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RegistrationState {
    /// Not attempted, and why.
    Disabled {
        /// Why registration is off.
        reason: String,
    },
    /// The gateway knows us.
    Registered {
        /// The gateway's id for this registration (ContextForge), if any.
        gateway_id: Option<String>,
        /// The gateway URL.
        gateway: String,
        /// The endpoint we advertised.
        advertised: String,
        /// Unix seconds of the last successful registration.
        since_unix: u64,
        /// The last failed periodic check, if the gateway is currently unreachable.
        last_check_error: Option<String>,
    },
    /// Registration failed; another attempt is scheduled.
    Retrying {
        /// Attempts made so far.
        attempt: u32,
        /// What went wrong last time.
        last_error: String,
        /// Delay before the next attempt, in milliseconds.
        next_attempt_in_ms: u64,
    },
}

/// A failed registration step.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The gateway could not be reached at all.
    #[error("gateway unreachable at {url}: {source}")]
    Unreachable {
        /// What we called.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The gateway answered with an error status.
    #[error("{what}: HTTP {status}: {body}")]
    Rejected {
        /// Which step failed, with a hint.
        what: String,
        /// The status code.
        status: StatusCode,
        /// The start of the response body.
        body: String,
    },
    /// The gateway answered 2xx with a body we cannot use.
    #[error("unexpected gateway response to {what}: {detail}")]
    Protocol {
        /// Which step.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// What a periodic check found.
#[derive(Debug, PartialEq, Eq)]
enum Check {
    Known,
    Forgotten,
}

/// Backoff before attempt `attempt` (1-based): 1 s, 2 s, 4 s … capped at `max`, with "equal
/// jitter" (half fixed, half random) so a fleet restarted together does not retry in lockstep.
pub fn backoff(attempt: u32, max: Duration, rng: &mut impl rand::Rng) -> Duration {
    let exp = Duration::from_secs(1u64 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(max);
    let half = capped / 2;
    half + Duration::from_secs_f64(rng.random::<f64>() * half.as_secs_f64())
}

struct Client {
    http: reqwest::Client,
    cfg: RegistrationConfig,
    description: String,
    tags: Vec<String>,
}

const BODY_SNIPPET: usize = 300;

impl Client {
    fn api_url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.cfg.gateway_url.as_str().trim_end_matches('/'),
            path
        )
    }

    fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cfg.auth {
            GatewayAuth::None => req,
            GatewayAuth::Bearer(t) => req.bearer_auth(t),
            GatewayAuth::Jwt {
                secret,
                subject,
                audience,
                issuer,
            } => req.bearer_auth(crate::jwt::mint(
                secret,
                subject,
                audience,
                issuer,
                std::time::SystemTime::now(),
            )),
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, String), RegistrationError> {
        let mut req = self.authorize(self.http.request(method, url));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|source| RegistrationError::Unreachable {
                url: url.to_owned(),
                source,
            })?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|source| RegistrationError::Unreachable {
                url: url.to_owned(),
                source,
            })?;
        Ok((status, text))
    }

    fn rejected(what: impl Into<String>, status: StatusCode, body: &str) -> RegistrationError {
        let cut = body
            .char_indices()
            .nth(BODY_SNIPPET)
            .map_or(body.len(), |(i, _)| i);
        let mut what = what.into();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                what.push_str(" (check MCPGATEWAY_BEARER_TOKEN or MCPGATEWAY_JWT_SECRET and MCPGATEWAY_JWT_SUBJECT)");
            }
            StatusCode::BAD_GATEWAY => {
                what.push_str(" (the gateway could not reach the advertised URL; check FLEET_ADVERTISE_URL and the network)");
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                what.push_str(" (the gateway refused the request body or URL; its SSRF settings may block the advertised address)");
            }
            _ => {}
        }
        RegistrationError::Rejected {
            what,
            status,
            body: body[..cut].to_owned(),
        }
    }

    fn gateway_body(&self) -> Value {
        json!({
            "name": self.cfg.name,
            "url": self.cfg.advertise_url.as_str(),
            "transport": self.cfg.transport.contextforge_name(),
            "description": self.description,
            "tags": self.tags,
        })
    }

    fn id_of(body: &str, what: &'static str) -> Result<String, RegistrationError> {
        let v: Value = serde_json::from_str(body).map_err(|e| RegistrationError::Protocol {
            what,
            detail: format!("not JSON: {e}"),
        })?;
        v.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| RegistrationError::Protocol {
                what,
                detail: "no \"id\" field".to_owned(),
            })
    }

    /// ContextForge: create, or update in place when the name is taken.
    async fn register_contextforge(&self) -> Result<String, RegistrationError> {
        let body = self.gateway_body();
        let url = self.api_url("/gateways");
        let (status, text) = self.send(Method::POST, &url, Some(&body)).await?;
        if status.is_success() {
            return Self::id_of(&text, "POST /gateways");
        }
        if status != StatusCode::CONFLICT {
            return Err(Self::rejected("POST /gateways", status, &text));
        }
        if !text.to_ascii_lowercase().contains("name already exists") {
            return Err(Self::rejected(
                format!(
                    "POST /gateways conflicts with another entry for {} (remove that entry or change FLEET_GATEWAY_NAME)",
                    self.cfg.advertise_url
                ),
                status,
                &text,
            ));
        }
        let name: String = url::form_urlencoded::byte_serialize(self.cfg.name.as_bytes()).collect();
        let (status, text) = self
            .send(
                Method::GET,
                &self.api_url(&format!("/gateways/{name}")),
                None,
            )
            .await?;
        if !status.is_success() {
            return Err(Self::rejected(
                "GET /gateways/{name} after 409",
                status,
                &text,
            ));
        }
        let id = Self::id_of(&text, "GET /gateways/{name}")?;
        let (status, text) = self
            .send(
                Method::PUT,
                &self.api_url(&format!("/gateways/{id}")),
                Some(&body),
            )
            .await?;
        if !status.is_success() {
            return Err(Self::rejected("PUT /gateways/{id}", status, &text));
        }
        tracing::info!(gateway_id = %id, "updated existing gateway entry");
        Ok(id)
    }

    /// Is registration `id` still there? `GET /gateways/{id}` cannot tell: for a token without
    /// team claims ContextForge answers an unknown id with 403, not 404 (measured with 1.1.0
    /// after a database reset). The listing shows every public registration to any token that
    /// could have made it, so look for our id there.
    async fn check_contextforge(&self, id: &str) -> Result<Check, RegistrationError> {
        let (status, text) = self
            .send(
                Method::GET,
                &self.api_url("/gateways?include_inactive=true&limit=0"),
                None,
            )
            .await?;
        if !status.is_success() {
            return Err(Self::rejected("GET /gateways", status, &text));
        }
        let listing: Value =
            serde_json::from_str(&text).map_err(|e| RegistrationError::Protocol {
                what: "GET /gateways",
                detail: format!("not JSON: {e}"),
            })?;
        let items = match &listing {
            Value::Array(items) => items,
            Value::Object(o) => match o.get("items") {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(RegistrationError::Protocol {
                        what: "GET /gateways",
                        detail: "no list of gateways".to_owned(),
                    });
                }
            },
            _ => {
                return Err(RegistrationError::Protocol {
                    what: "GET /gateways",
                    detail: "no list of gateways".to_owned(),
                });
            }
        };
        let known = items
            .iter()
            .any(|g| g.get("id").and_then(Value::as_str) == Some(id));
        Ok(if known {
            Check::Known
        } else {
            Check::Forgotten
        })
    }

    async fn post_manifest(&self, manifest: &Manifest) -> Result<(), RegistrationError> {
        let body = serde_json::to_value(manifest).map_err(|e| RegistrationError::Protocol {
            what: "manifest",
            detail: e.to_string(),
        })?;
        let (status, text) = self
            .send(Method::POST, self.cfg.manifest_url.as_str(), Some(&body))
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(Self::rejected(
                format!("POST {}", self.cfg.manifest_url),
                status,
                &text,
            ))
        }
    }

    async fn deregister(&self, id: Option<&str>) -> Result<(), RegistrationError> {
        let url = match (self.cfg.dialect, id) {
            (RegistrationDialect::ContextForge, Some(id)) => {
                self.api_url(&format!("/gateways/{id}"))
            }
            (RegistrationDialect::ContextForge, None) => return Ok(()),
            (RegistrationDialect::Manifest, _) => {
                let mut u = self.cfg.manifest_url.clone();
                let name: String =
                    url::form_urlencoded::byte_serialize(self.cfg.name.as_bytes()).collect();
                let path = u
                    .path()
                    .trim_end_matches('/')
                    .trim_end_matches("register")
                    .trim_end_matches('/')
                    .to_owned();
                u.set_path(&format!("{path}/{name}"));
                u.to_string()
            }
        };
        let (status, text) = self.send(Method::DELETE, &url, None).await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(Self::rejected(format!("DELETE {url}"), status, &text))
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// Register `fleet` and keep it registered until `shutdown` fires.
pub async fn run<C: Cluster>(
    fleet: Arc<Fleet<C>>,
    cfg: RegistrationConfig,
    shutdown: CancellationToken,
) {
    let http = match crate::http_client(C::INFO.name, C::INFO.version, Duration::from_secs(30)) {
        Ok(h) => h,
        Err(e) => {
            fleet
                .registration
                .send_replace(RegistrationState::Disabled {
                    reason: format!("cannot build an HTTP client: {e}"),
                });
            return;
        }
    };
    let client = Client {
        http,
        cfg,
        description: C::INFO.description.to_owned(),
        tags: C::INFO.tags.iter().map(|t| (*t).to_owned()).collect(),
    };
    let mut rng = StdRng::from_os_rng();
    let mut attempt: u32 = 0;
    let mut registered_id: Option<Option<String>> = None;

    'outer: loop {
        attempt += 1;
        fleet.metrics.registration_attempts.inc();
        let result = match client.cfg.dialect {
            RegistrationDialect::ContextForge => client.register_contextforge().await.map(Some),
            RegistrationDialect::Manifest => client
                .post_manifest(&Manifest::of(&fleet, &client.cfg.advertise_url))
                .await
                .map(|()| None),
        };
        let id = match result {
            Ok(id) => id,
            Err(e) => {
                let delay = backoff(attempt, client.cfg.max_backoff, &mut rng);
                tracing::warn!(attempt, error = %e, retry_in_ms = delay.as_millis() as u64, "registration failed");
                fleet
                    .registration
                    .send_replace(RegistrationState::Retrying {
                        attempt,
                        last_error: e.to_string(),
                        next_attempt_in_ms: delay.as_millis() as u64,
                    });
                tokio::select! {
                    () = tokio::time::sleep(delay) => continue,
                    () = shutdown.cancelled() => break,
                }
            }
        };
        tracing::info!(gateway = %client.cfg.gateway_url, advertised = %client.cfg.advertise_url, gateway_id = id.as_deref().unwrap_or("-"), attempt, "registered with the gateway");
        attempt = 0;
        fleet.metrics.registered.set(1);
        let since = unix_now();
        let publish = |last_check_error: Option<String>| {
            fleet
                .registration
                .send_replace(RegistrationState::Registered {
                    gateway_id: id.clone(),
                    gateway: client.cfg.gateway_url.to_string(),
                    advertised: client.cfg.advertise_url.to_string(),
                    since_unix: since,
                    last_check_error,
                });
        };
        publish(None);
        registered_id = Some(id.clone());

        loop {
            tokio::select! {
                () = tokio::time::sleep(client.cfg.check_interval) => {}
                () = shutdown.cancelled() => break 'outer,
            }
            let check = match (client.cfg.dialect, id.as_deref()) {
                (RegistrationDialect::ContextForge, Some(id)) => {
                    client.check_contextforge(id).await
                }
                _ => client
                    .post_manifest(&Manifest::of(&fleet, &client.cfg.advertise_url))
                    .await
                    .map(|()| Check::Known),
            };
            match check {
                Ok(Check::Known) => publish(None),
                Ok(Check::Forgotten) => {
                    tracing::warn!("the gateway no longer knows this cluster; registering again");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "registration check failed; will check again");
                    publish(Some(e.to_string()));
                }
            }
        }
        fleet.metrics.registered.set(0);
        registered_id = None;
    }

    if client.cfg.deregister_on_shutdown
        && let Some(id) = registered_id
    {
        match tokio::time::timeout(Duration::from_secs(5), client.deregister(id.as_deref())).await {
            Ok(Ok(())) => tracing::info!("deregistered from the gateway"),
            Ok(Err(e)) => tracing::warn!(error = %e, "deregistration failed"),
            Err(_) => tracing::warn!("deregistration timed out"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let mut rng = StdRng::seed_from_u64(7);
        let max = Duration::from_secs(60);
        for attempt in 1..=20u32 {
            let full = Duration::from_secs(1u64 << (attempt - 1).min(16)).min(max);
            let d = backoff(attempt, max, &mut rng);
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
        assert!(backoff(1, max, &mut rng) <= Duration::from_secs(1));
        assert!(backoff(30, max, &mut rng) >= Duration::from_secs(30));
    }

    #[test]
    fn jitter_spreads_a_fleet_restarted_together() {
        let mut rng = StdRng::seed_from_u64(1);
        let delays: std::collections::BTreeSet<_> = (0..5)
            .map(|_| backoff(6, Duration::from_secs(60), &mut rng).as_millis())
            .collect();
        assert_eq!(delays.len(), 5);
    }

    #[test]
    fn health_shape_is_tagged_by_state() {
        let s = serde_json::to_value(RegistrationState::Retrying {
            attempt: 3,
            last_error: "gateway unreachable".into(),
            next_attempt_in_ms: 4000,
        })
        .unwrap();
        assert_eq!(s["state"], "retrying");
        assert_eq!(s["attempt"], 3);
    }
}
