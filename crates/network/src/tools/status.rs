//! `check_site_status`: the original fleet's tool, made truthful. The original called any
//! status "UP"; this one reports the status class, the latency, the final URL after redirects,
//! the address connected to, and whether the TLS certificate is valid (with its dates).
//!
//! It sends `HEAD` (falling back to `GET` when a server refuses HEAD with 405 or 501, reading no
//! body). When the certificate is rejected it asks once more without verification, only to
//! report the status beside `tls.valid: false`; nothing from that answer is returned but the
//! status line and the certificate's details.

use std::time::SystemTime;

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use x509_cert::{Certificate, der::Decode as _};

use super::fetch::parse_url;
use crate::{
    error::NetError,
    net::client::{Agent, Fetched, Outbound, RedirectHop, status_line},
    server::NetworkServer,
};
use reqwest::Method;

/// Arguments of `check_site_status`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SiteStatusArgs {
    /// URL to check (http or https).
    #[schemars(url, length(min = 1))]
    pub url: String,
    /// Follow redirects (each hop checked) and report the final answer (default true).
    #[serde(default)]
    pub follow_redirects: Option<bool>,
}

/// The certificate of an HTTPS site.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct TlsReport {
    /// Whether the certificate chain and name verified against the trusted roots.
    pub valid: bool,
    /// Why it did not, e.g. `invalid peer certificate: Expired`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Subject of the leaf certificate (RFC 4514).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Issuer of the leaf certificate (RFC 4514).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Start of validity, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// End of validity, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// Whole days until `not_after` (negative once expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_remaining: Option<i64>,
}

/// Result of `check_site_status`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SiteStatus {
    /// The URL checked.
    pub url: String,
    /// `up` (1xx–3xx), `client_error` (4xx), `server_error` (5xx) or `unreachable`.
    pub state: &'static str,
    /// One sentence, e.g. `https://example.com/ is UP: 200 OK (2xx success) in 84 ms`.
    pub summary: String,
    /// Final HTTP status code (absent when unreachable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Final status line, e.g. `503 Service Unavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_text: Option<String>,
    /// `1xx informational`, `2xx success`, `3xx redirection`, `4xx client error`, `5xx server error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_class: Option<&'static str>,
    /// Milliseconds from the first request until the final response's headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The URL that gave the final answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// Redirects followed, in order.
    pub redirects: Vec<RedirectHop>,
    /// The address connected to, e.g. `93.184.215.14:443`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The method that gave the answer (`HEAD`, or `GET` after a 405/501).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Certificate details (HTTPS only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsReport>,
    /// Why the site could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[tool_router(router = status_tools, vis = "pub(crate)")]
impl NetworkServer {
    /// Check whether a site answers, and how: the status class (`up`, `client_error`,
    /// `server_error`, `unreachable`), latency, final URL after redirects, the address reached,
    /// and for HTTPS whether the certificate is valid and when it expires. Sends HEAD (GET
    /// without reading the body when HEAD is refused). An unreachable site or a bad certificate
    /// is a normal answer; a URL the SSRF guard refuses is an error. Limited by
    /// `NET_TOTAL_TIMEOUT`. Example: `{"url": "https://www.rust-lang.org/"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    pub async fn check_site_status(
        &self,
        Parameters(args): Parameters<SiteStatusArgs>,
    ) -> Result<Json<SiteStatus>, NetError> {
        let url = parse_url("url", &args.url)?;
        let follow = args.follow_redirects.unwrap_or(true);
        let budget = self.budget();
        let probe = |method: Method, insecure: bool| {
            let mut req = Outbound::get(url.clone(), Agent::Autonomous, 0);
            req.method = method;
            req.follow_redirects = follow;
            req.insecure_tls = insecure;
            req
        };
        let mut tls_error = None;
        let mut outcome = self
            .engine
            .execute(probe(Method::HEAD, false), &budget)
            .await;
        if let Err(NetError::Tls { reason, .. }) = &outcome {
            tls_error = Some(reason.clone());
            outcome = self
                .engine
                .execute(probe(Method::HEAD, true), &budget)
                .await;
        }
        let mut method = Method::HEAD;
        if let Ok(f) = &outcome
            && matches!(f.status.as_u16(), 405 | 501)
        {
            method = Method::GET;
            let insecure = tls_error.is_some();
            outcome = self
                .engine
                .execute(probe(Method::GET, insecure), &budget)
                .await;
        }
        let shown = url.to_string();
        match outcome {
            Ok(f) => Ok(Json(report(shown, &f, &method, tls_error))),
            Err(e @ (NetError::Refused { .. } | NetError::InvalidArgument { .. })) => Err(e),
            Err(e) => Ok(Json(SiteStatus {
                summary: format!("{shown} is UNREACHABLE: {e}"),
                url: shown,
                state: "unreachable",
                status: None,
                status_text: None,
                status_class: None,
                latency_ms: None,
                final_url: None,
                redirects: Vec::new(),
                address: None,
                method: None,
                tls: tls_error.map(|error| TlsReport {
                    valid: false,
                    error: Some(error),
                    ..TlsReport::default()
                }),
                error: Some(e.to_string()),
            })),
        }
    }
}

/// The status class of `code`.
pub(crate) fn status_class(code: u16) -> (&'static str, &'static str) {
    match code {
        100..=199 => ("up", "1xx informational"),
        200..=299 => ("up", "2xx success"),
        300..=399 => ("up", "3xx redirection"),
        400..=499 => ("client_error", "4xx client error"),
        _ => ("server_error", "5xx server error"),
    }
}

fn report(url: String, f: &Fetched, method: &Method, tls_error: Option<String>) -> SiteStatus {
    let code = f.status.as_u16();
    let (state, class) = status_class(code);
    let ms = (f.latency.as_secs_f64() * 100_000.0).round() / 100.0;
    let word = match state {
        "up" => "UP",
        "client_error" => "answering with a CLIENT ERROR",
        _ => "DOWN (server error)",
    };
    let tls = (f.url.scheme() == "https").then(|| {
        let mut report = f
            .peer_certificate
            .as_deref()
            .map(certificate_report)
            .unwrap_or_default();
        report.valid = tls_error.is_none();
        report.error = tls_error.clone();
        report
    });
    let tls_note = match &tls {
        Some(t) if !t.valid => "; its TLS certificate is NOT valid",
        _ => "",
    };
    SiteStatus {
        summary: format!(
            "{url} is {word}: {} ({class}) in {ms} ms{tls_note}",
            status_line(f.status)
        ),
        url,
        state,
        status: Some(code),
        status_text: Some(status_line(f.status)),
        status_class: Some(class),
        latency_ms: Some(ms),
        final_url: Some(f.url.to_string()),
        redirects: f.redirects.clone(),
        address: f.remote_addr.map(|a| a.to_string()),
        method: Some(method.to_string()),
        tls,
        error: None,
    }
}

/// Subject, issuer and validity of a DER certificate (empty when it does not parse).
pub(crate) fn certificate_report(der: &[u8]) -> TlsReport {
    let Ok(cert) = Certificate::from_der(der) else {
        return TlsReport::default();
    };
    let tbs = cert.tbs_certificate();
    let validity = tbs.validity();
    let not_after = SystemTime::UNIX_EPOCH + validity.not_after.to_unix_duration();
    let days_remaining = match not_after.duration_since(SystemTime::now()) {
        Ok(left) => (left.as_secs() / 86_400) as i64,
        Err(past) => -(past.duration().as_secs().div_ceil(86_400) as i64),
    };
    TlsReport {
        valid: false,
        error: None,
        subject: Some(tbs.subject().to_string()),
        issuer: Some(tbs.issuer().to_string()),
        not_before: Some(validity.not_before.to_date_time().to_string()),
        not_after: Some(validity.not_after.to_date_time().to_string()),
        days_remaining: Some(days_remaining),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes_are_named() {
        assert_eq!(status_class(204), ("up", "2xx success"));
        assert_eq!(status_class(301), ("up", "3xx redirection"));
        assert_eq!(status_class(404), ("client_error", "4xx client error"));
        assert_eq!(status_class(503), ("server_error", "5xx server error"));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        let r = certificate_report(b"not der");
        assert!(r.subject.is_none() && r.days_remaining.is_none());
    }
}
