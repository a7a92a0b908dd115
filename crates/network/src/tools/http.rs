//! `http_request`: a general HTTP client for APIs — GET, HEAD, POST, PUT, PATCH, DELETE with
//! headers and a JSON or text body — behind the same SSRF guard, limits and logging as `fetch`.
//!
//! It is an API client, not a crawler, so robots.txt is not consulted (many APIs disallow all
//! robots in robots.txt while serving their API to clients). Request headers and bodies are never
//! logged (see [`crate::server::redact_arguments`]); credentials are dropped when a redirect
//! leaves the origin. Hop-by-hop and framing headers are refused: they would break or smuggle
//! requests.

use std::collections::BTreeMap;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use reqwest::{
    Method,
    header::{self, HeaderMap, HeaderName, HeaderValue},
};
use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fetch::parse_url;
use crate::{
    convert,
    error::NetError,
    net::client::{Agent, Outbound, RedirectHop, is_sensitive_header, status_line},
    server::NetworkServer,
};

/// Headers a caller may not set.
const FORBIDDEN_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
    "expect",
];
/// Most headers per request.
const MAX_HEADERS: usize = 64;
/// Bodies larger than this are decoded on a blocking thread.
const BLOCKING_THRESHOLD: usize = 256 * 1024;

/// HTTP methods `http_request` sends.
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// Read a resource (the default).
    #[default]
    Get,
    /// Headers only.
    Head,
    /// Create, or run an action.
    Post,
    /// Replace.
    Put,
    /// Modify part.
    Patch,
    /// Remove.
    Delete,
}

impl HttpMethod {
    fn method(self) -> Method {
        match self {
            Self::Get => Method::GET,
            Self::Head => Method::HEAD,
            Self::Post => Method::POST,
            Self::Put => Method::PUT,
            Self::Patch => Method::PATCH,
            Self::Delete => Method::DELETE,
        }
    }
}

/// Arguments of `http_request`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct HttpRequestArgs {
    /// `GET` (default), `HEAD`, `POST`, `PUT`, `PATCH` or `DELETE`.
    #[serde(default)]
    pub method: HttpMethod,
    /// URL to call (http or https).
    #[schemars(url, length(min = 1))]
    pub url: String,
    /// Request headers, name to value, e.g. `{"Authorization": "Bearer …"}`. Values are never
    /// logged; `Host`, `Content-Length`, `Transfer-Encoding` and hop-by-hop headers are refused.
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    /// A JSON body (sent with `Content-Type: application/json` unless a header says otherwise).
    #[serde(default)]
    pub json: Option<Value>,
    /// A text body (sent as `text/plain; charset=utf-8` unless a header says otherwise).
    #[serde(default)]
    pub body: Option<String>,
    /// Follow redirects, each hop checked (default true); 303, and 301/302 after a POST, become GET.
    #[serde(default)]
    pub follow_redirects: Option<bool>,
    /// Response bytes to read at most (default and ceiling: `NET_MAX_BODY_BYTES`).
    #[serde(default)]
    pub max_response_bytes: Option<u64>,
}

/// Result of `http_request`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HttpRequestOutput {
    /// Status code.
    pub status: u16,
    /// Status line, e.g. `201 Created`.
    pub status_text: String,
    /// The URL that answered (after redirects).
    pub url: String,
    /// Response headers; repeated headers are joined with `, ` (`set-cookie` with newlines).
    pub headers: BTreeMap<String, String>,
    /// The response's `Content-Type` ("" when absent).
    pub content_type: String,
    /// The body as text, when it is text and not JSON parsed into `json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body parsed, when it is complete JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// The body base64-encoded, when it is binary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// Body bytes read.
    pub bytes: usize,
    /// Whether the body was cut at the byte limit (the rest was not read).
    pub truncated: bool,
    /// Redirects followed, in order.
    pub redirects: Vec<RedirectHop>,
    /// Milliseconds until the final response's headers.
    pub elapsed_ms: f64,
}

#[tool_router(router = http_tools, vis = "pub(crate)")]
impl NetworkServer {
    /// Send an HTTP request (GET, HEAD, POST, PUT, PATCH or DELETE) with optional headers and a
    /// JSON (`json`) or text (`body`) body, and return the status, headers and body: JSON bodies
    /// parsed into `json`, text in `body`, binary base64 in `body_base64`. Bodies are read up to
    /// `max_response_bytes` (default and ceiling `NET_MAX_BODY_BYTES`, 5 MiB) and `truncated`
    /// says when more was cut; request bodies are limited to `NET_MAX_REQUEST_BODY_BYTES`.
    /// Redirects are followed with the SSRF check on every hop, and credentials are dropped when
    /// a redirect leaves the origin. Only public addresses are reachable; robots.txt does not
    /// apply (this is an API client). A non-2xx status is an answer, not an error.
    /// Example: `{"method": "POST", "url": "https://httpbin.org/post", "headers": {"X-Trace": "1"}, "json": {"name": "sanctuary"}}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    pub async fn http_request(
        &self,
        Parameters(args): Parameters<HttpRequestArgs>,
    ) -> Result<Json<HttpRequestOutput>, NetError> {
        let url = parse_url("url", &args.url)?;
        let mut headers = request_headers(args.headers.as_ref())?;
        let body = request_body(&args, &mut headers, self.config.max_request_body_bytes)?;
        let cap = self.config.max_body_bytes;
        let max_body = match args.max_response_bytes {
            None => cap,
            Some(0) => {
                return Err(NetError::arg(
                    "max_response_bytes",
                    "must be at least 1 (use HEAD for headers only)",
                ));
            }
            Some(n) => usize::try_from(n).unwrap_or(cap).min(cap),
        };
        let method = args.method.method();
        let req = Outbound {
            method: method.clone(),
            headers,
            body,
            follow_redirects: args.follow_redirects.unwrap_or(true),
            ..Outbound::get(url, Agent::Autonomous, max_body)
        };
        let mut f = self.engine.execute(req, &self.budget()).await?;
        let content_type = f.content_type().to_owned();
        let raw = std::mem::take(&mut f.body);
        let bytes = raw.len();
        let truncated = f.truncated;
        let ct = content_type.clone();
        let shape = move || shape_body(&ct, &raw, truncated);
        // Decoding and JSON parsing of a large body is CPU work: off the async threads.
        let (body, json, body_base64) = if bytes > BLOCKING_THRESHOLD {
            tokio::task::spawn_blocking(shape)
                .await
                .map_err(|e| NetError::Internal(format!("body decoding failed: {e}")))?
        } else {
            shape()
        };
        Ok(Json(HttpRequestOutput {
            status: f.status.as_u16(),
            status_text: status_line(f.status),
            url: f.url.to_string(),
            headers: response_headers(&f.headers),
            content_type,
            body,
            json,
            body_base64,
            bytes,
            truncated,
            redirects: f.redirects,
            elapsed_ms: (f.latency.as_secs_f64() * 100_000.0).round() / 100.0,
        }))
    }
}

/// The body as parsed JSON, text, or base64 (binary), by its content type.
fn shape_body(
    content_type: &str,
    raw: &[u8],
    truncated: bool,
) -> (Option<String>, Option<Value>, Option<String>) {
    if raw.is_empty() {
        return (None, None, None);
    }
    if !convert::is_textual(content_type, raw) {
        return (None, None, Some(STANDARD.encode(raw)));
    }
    let text = convert::decode(raw, content_type);
    let is_json = convert::essence(content_type).ends_with("json");
    match (is_json && !truncated)
        .then(|| serde_json::from_str::<Value>(&text).ok())
        .flatten()
    {
        Some(v) => (None, Some(v), None),
        None => (Some(text), None, None),
    }
}

/// Validate the caller's headers; credential values are marked sensitive for hyper.
pub(crate) fn request_headers(
    given: Option<&BTreeMap<String, String>>,
) -> Result<HeaderMap, NetError> {
    let mut map = HeaderMap::new();
    let Some(given) = given else { return Ok(map) };
    if given.len() > MAX_HEADERS {
        return Err(NetError::arg(
            "headers",
            format!(
                "{} headers given, at most {MAX_HEADERS} allowed",
                given.len()
            ),
        ));
    }
    for (name, value) in given {
        let lower = name.trim().to_ascii_lowercase();
        if FORBIDDEN_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") {
            return Err(NetError::arg(
                "headers",
                format!("{name} is set by the client itself and may not be given"),
            ));
        }
        let hname = HeaderName::from_bytes(lower.as_bytes()).map_err(|_| {
            NetError::arg("headers", format!("{name:?} is not a valid header name"))
        })?;
        let mut hvalue = HeaderValue::from_str(value).map_err(|_| {
            NetError::arg(
                "headers",
                format!("the value of {name} contains characters a header cannot carry (control characters or newlines)"),
            )
        })?;
        if is_sensitive_header(&lower) {
            hvalue.set_sensitive(true);
        }
        map.append(hname, hvalue);
    }
    Ok(map)
}

/// The body to send, with a default `Content-Type`; at most `max` bytes.
fn request_body(
    args: &HttpRequestArgs,
    headers: &mut HeaderMap,
    max: usize,
) -> Result<Option<Vec<u8>>, NetError> {
    let (bytes, default_type, arg) = match (&args.json, &args.body) {
        (Some(_), Some(_)) => {
            return Err(NetError::arg("body", "give either json or body, not both"));
        }
        (Some(v), None) => (
            serde_json::to_vec(v).map_err(|e| NetError::arg("json", e.to_string()))?,
            "application/json",
            "json",
        ),
        (None, Some(text)) => (
            text.clone().into_bytes(),
            "text/plain; charset=utf-8",
            "body",
        ),
        (None, None) => return Ok(None),
    };
    if args.method == HttpMethod::Head {
        return Err(NetError::arg(arg, "a HEAD request carries no body"));
    }
    if bytes.len() > max {
        return Err(NetError::arg(
            arg,
            format!(
                "{} bytes is more than NET_MAX_REQUEST_BODY_BYTES ({max})",
                bytes.len()
            ),
        ));
    }
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(default_type));
    }
    Ok(Some(bytes))
}

/// Response headers as a map; repeated values joined.
fn response_headers(h: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in h {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let sep = if name == header::SET_COOKIE {
            "\n"
        } else {
            ", "
        };
        out.entry(name.as_str().to_owned())
            .and_modify(|e| {
                e.push_str(sep);
                e.push_str(&v);
            })
            .or_insert(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn framing_and_hop_by_hop_headers_are_refused() {
        for bad in [
            "Host",
            "Content-Length",
            "Transfer-Encoding",
            "Connection",
            "Proxy-Authorization",
        ] {
            let e = request_headers(Some(&headers(&[(bad, "x")])))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("invalid headers:") && e.contains(bad), "{e}");
        }
        let e = request_headers(Some(&headers(&[("X-A", "a\r\nInjected: 1")])))
            .unwrap_err()
            .to_string();
        assert!(e.contains("X-A"), "{e}");
        let ok = request_headers(Some(&headers(&[
            ("Authorization", "Bearer t"),
            ("Accept", "*/*"),
        ])))
        .unwrap();
        assert!(ok["authorization"].is_sensitive());
        assert!(!ok["accept"].is_sensitive());
    }

    #[test]
    fn bodies_get_a_content_type_and_a_size_limit() {
        let args = |json: Option<Value>, body: Option<&str>, method| HttpRequestArgs {
            method,
            url: "https://x.example".into(),
            headers: None,
            json,
            body: body.map(str::to_owned),
            follow_redirects: None,
            max_response_bytes: None,
        };
        let mut h = HeaderMap::new();
        let b = request_body(
            &args(Some(serde_json::json!({"a": 1})), None, HttpMethod::Post),
            &mut h,
            100,
        )
        .unwrap()
        .unwrap();
        assert_eq!(b, br#"{"a":1}"#);
        assert_eq!(h[header::CONTENT_TYPE], "application/json");
        let mut h = HeaderMap::new();
        assert!(request_body(&args(None, Some("0123456789"), HttpMethod::Put), &mut h, 5).is_err());
        assert!(
            request_body(
                &args(Some(Value::Null), Some("x"), HttpMethod::Post),
                &mut h,
                5
            )
            .is_err()
        );
        assert!(request_body(&args(None, Some("x"), HttpMethod::Head), &mut h, 5).is_err());
    }

    #[test]
    fn repeated_response_headers_are_joined() {
        let mut h = HeaderMap::new();
        h.append("vary", HeaderValue::from_static("a"));
        h.append("vary", HeaderValue::from_static("b"));
        h.append("set-cookie", HeaderValue::from_static("x=1"));
        h.append("set-cookie", HeaderValue::from_static("y=2"));
        let m = response_headers(&h);
        assert_eq!(m["vary"], "a, b");
        assert_eq!(m["set-cookie"], "x=1\ny=2");
    }
}
