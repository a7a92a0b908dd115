//! `check_site_status` through the real binary: status classes, latency, redirects, HEAD
//! fallback, unreachable sites, and TLS validity against real HTTPS servers on loopback with
//! certificates from a private CA made by the test (trusted, untrusted, expired).

#![allow(clippy::unwrap_used)]

mod common;

use std::{net::SocketAddr, sync::Arc};

use axum::{Router, routing::get};
use common::{html, redirect, respond, site};
use fleet_testkit::{args, call, is_error, structured, text};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, date_time_ymd};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, server::TlsStream};

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { html("<p>ok</p>") }))
        .route("/gone", get(|| async { respond(404, "text/plain", "no") }))
        .route(
            "/down",
            get(|| async { respond(503, "text/plain", "maintenance") }),
        )
        .route("/moved", get(|| async { redirect(301, "/") }))
        .route(
            "/get-only",
            axum::routing::any(|m: axum::http::Method| async move {
                if m == axum::http::Method::HEAD {
                    respond(405, "text/plain", "")
                } else {
                    html("<p>get only</p>")
                }
            }),
        )
}

async fn status(client: &fleet_testkit::Client, url: &str) -> Value {
    let r = call(client, "check_site_status", args(&[("url", json!(url))]))
        .await
        .unwrap();
    structured(&r)
}

#[tokio::test]
async fn status_classes_latency_and_redirects_are_reported() {
    let site = site(app()).await;
    let (_server, client) = common::client(&[]).await;
    let up = status(&client, &site.url("/")).await;
    assert_eq!(
        (
            up["state"].as_str(),
            up["status"].as_u64(),
            up["status_class"].as_str()
        ),
        (Some("up"), Some(200), Some("2xx success"))
    );
    assert!(up["latency_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(up["address"], site.addr.to_string());
    assert_eq!(up["method"], "HEAD");
    assert!(up.get("tls").is_none(), "plain HTTP has no certificate");
    assert!(up["summary"].as_str().unwrap().starts_with(&format!(
        "{} is UP: 200 OK (2xx success) in ",
        site.url("/")
    )));

    let gone = status(&client, &site.url("/gone")).await;
    assert_eq!(
        (gone["state"].as_str(), gone["status_class"].as_str()),
        (Some("client_error"), Some("4xx client error"))
    );
    let down = status(&client, &site.url("/down")).await;
    assert_eq!(down["state"], "server_error");
    assert!(
        down["summary"]
            .as_str()
            .unwrap()
            .contains("is DOWN (server error): 503 Service Unavailable")
    );

    let moved = status(&client, &site.url("/moved")).await;
    assert_eq!(
        (moved["status"].as_u64(), moved["final_url"].as_str()),
        (Some(200), Some(site.url("/").as_str()))
    );
    assert_eq!(moved["redirects"][0]["status"], 301);
    let unfollowed = structured(
        &call(
            &client,
            "check_site_status",
            json!({"url": site.url("/moved"), "follow_redirects": false}),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (unfollowed["status"].as_u64(), unfollowed["state"].as_str()),
        (Some(301), Some("up"))
    );

    let get_only = status(&client, &site.url("/get-only")).await;
    assert_eq!(
        (get_only["status"].as_u64(), get_only["method"].as_str()),
        (Some(200), Some("GET"))
    );
    assert_eq!(site.hits_on("/get-only").len(), 2, "HEAD, then GET");

    let closed: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let unreachable = status(&client, &format!("http://{closed}/")).await;
    assert_eq!(unreachable["state"], "unreachable");
    assert!(
        unreachable["error"]
            .as_str()
            .unwrap()
            .contains("Connection refused"),
        "{unreachable}"
    );
    assert!(
        site.hits_on("/robots.txt").is_empty(),
        "a status check is not a crawl"
    );
}

/// A private CA and HTTPS servers using certificates it signed.
struct Pki {
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Sanctuary Test CA");
        let key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        Self {
            ca_pem: ca.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// Serve `app()` over TLS with a certificate for 127.0.0.1 valid in `[from, until]` (years).
    async fn serve(&self, from: i32, until: i32) -> SocketAddr {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "sanctuary-test-site");
        params.not_before = date_time_ymd(from, 1, 1);
        params.not_after = date_time_ymd(until, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        };
        tokio::spawn(async move { axum::serve(listener, app()).await });
        addr
    }
}

/// A TLS listener for axum: handshakes that fail (an untrusting client) are skipped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

#[tokio::test]
async fn tls_validity_is_reported_for_trusted_untrusted_and_expired_certificates() {
    let pki = Pki::new();
    let good = pki.serve(2020, 2099).await;
    let expired = pki.serve(2020, 2021).await;

    // The private CA is not trusted: the certificate is invalid, the status is still reported.
    let (_server, untrusting) = common::client(&[]).await;
    let s = status(&untrusting, &format!("https://{good}/")).await;
    assert_eq!(
        (s["state"].as_str(), s["status"].as_u64()),
        (Some("up"), Some(200)),
        "{s}"
    );
    assert_eq!(s["tls"]["valid"], false);
    assert!(
        s["tls"]["error"]
            .as_str()
            .unwrap()
            .contains("UnknownIssuer"),
        "{s}"
    );
    assert!(
        s["summary"]
            .as_str()
            .unwrap()
            .ends_with("its TLS certificate is NOT valid")
    );
    let fetch = call(
        &untrusting,
        "fetch",
        args(&[("url", json!(format!("https://{good}/")))]),
    )
    .await
    .unwrap();
    assert!(is_error(&fetch));
    assert!(
        text(&fetch).contains("is not valid") && text(&fetch).contains("UnknownIssuer"),
        "{}",
        text(&fetch)
    );

    // Trusted through NET_EXTRA_CA_PEM: valid, with the certificate's details.
    let (_server, trusting) = common::client(&[("NET_EXTRA_CA_PEM", &pki.ca_pem)]).await;
    let s = status(&trusting, &format!("https://{good}/")).await;
    let tls = &s["tls"];
    assert_eq!(tls["valid"], true, "{s}");
    assert!(tls.get("error").is_none());
    assert!(
        tls["subject"]
            .as_str()
            .unwrap()
            .contains("CN=sanctuary-test-site"),
        "{tls}"
    );
    assert!(
        tls["issuer"]
            .as_str()
            .unwrap()
            .contains("CN=Sanctuary Test CA"),
        "{tls}"
    );
    assert_eq!(tls["not_after"], "2099-01-01T00:00:00Z");
    assert!(tls["days_remaining"].as_i64().unwrap() > 20_000);
    let page = call(
        &trusting,
        "fetch",
        args(&[("url", json!(format!("https://{good}/")))]),
    )
    .await
    .unwrap();
    assert!(text(&page).ends_with("ok"), "{}", text(&page));

    // Expired, even from a trusted CA.
    let s = status(&trusting, &format!("https://{expired}/")).await;
    assert_eq!(
        (s["tls"]["valid"].as_bool(), s["status"].as_u64()),
        (Some(false), Some(200))
    );
    assert!(
        s["tls"]["error"]
            .as_str()
            .unwrap()
            .contains("certificate expired"),
        "{s}"
    );
    assert_eq!(s["tls"]["not_after"], "2021-01-01T00:00:00Z");
    assert!(s["tls"]["days_remaining"].as_i64().unwrap() < 0);
}

#[tokio::test]
async fn a_refused_target_is_an_error_not_a_status() {
    let (_server, client) = common::client(&[("NET_ALLOW", "")]).await;
    let r = call(
        &client,
        "check_site_status",
        args(&[("url", json!("http://127.0.0.1:9/"))]),
    )
    .await
    .unwrap();
    assert!(is_error(&r));
    assert!(
        text(&r).starts_with("refused http://127.0.0.1:9/"),
        "{}",
        text(&r)
    );
    let bad = call(
        &client,
        "check_site_status",
        args(&[("url", json!("127.0.0.1"))]),
    )
    .await
    .unwrap();
    assert!(is_error(&bad) && text(&bad).starts_with("invalid url"));
}
