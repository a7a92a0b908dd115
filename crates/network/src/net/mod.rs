//! Everything that touches the network, behind one guarded client.
//!
//! - [`policy`]: which addresses and names are public (the SSRF rules) and the allow-list; no I/O.
//! - [`resolver`]: the reqwest DNS resolver that connects only to checked addresses.
//! - [`robots`]: robots.txt rules per origin, cached and fetched once.
//! - [`client`]: [`client::Engine`], the request loop (checks on every hop, redirects by hand,
//!   rate and concurrency limits, time limits, streamed body cap, one log line per request).

pub mod client;
pub mod policy;
pub mod resolver;
pub mod robots;

use url::Url;

/// A URL fit for logs and error messages: no user info, no query values, no fragment.
pub fn redact_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    let had_query = shown.query().is_some_and(|q| !q.is_empty());
    shown.set_query(None);
    let mut s = shown.to_string();
    if had_query {
        s.push_str("?…");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_credentials_and_query_values() {
        let url =
            Url::parse("https://user:pw@api.example/v1/items?api_key=s3cret&x=1#frag").unwrap();
        assert_eq!(redact_url(&url), "https://api.example/v1/items?…");
        let plain = Url::parse("http://example.com/a").unwrap();
        assert_eq!(redact_url(&plain), "http://example.com/a");
    }
}
