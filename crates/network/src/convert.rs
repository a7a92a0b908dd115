//! Response bodies to text a model can read: charset decoding, the text/binary decision,
//! HTML to Markdown (main-content extraction, then Markdown), and `fetch`'s pagination.
//!
//! Extraction is `dom_smoothie` (a port of Mozilla's readability.js, the algorithm behind
//! Firefox's reader view, which mcp-server-fetch uses through readabilipy); its Markdown is
//! `dom_query`'s serializer, run on the extracted article's DOM, so a page is parsed once. When
//! readability finds no article (a list page, an app shell), the whole body is converted after
//! dropping scripts, styles, navigation, headers, footers and forms. Everything here is
//! synchronous and CPU-bound: callers run it on a blocking thread.

use std::borrow::Cow;

use dom_smoothie::{Config, Readability, TextMode};
use encoding_rs::{Encoding, UTF_8};
use url::Url;

/// What `fetch` returns when no text could be extracted from an HTML page (the peer's text).
pub const SIMPLIFY_FAILED: &str = "<error>Page failed to be simplified from HTML</error>";
/// Elements that are never content, dropped before extraction.
const NEVER_CONTENT: &str = "script, style, noscript, template, iframe, nav";
/// Elements also dropped before converting a page readability could not simplify.
const BOILERPLATE: &str =
    "script, style, noscript, template, svg, iframe, nav, header, footer, aside, form, dialog";
/// Bytes examined when sniffing a `<meta charset>` or binary content.
const SNIFF_BYTES: usize = 1024;

/// The media type without parameters, lower case (`text/html`).
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a body of `content_type` is text (the body is sniffed when the type is absent).
pub fn is_textual(content_type: &str, body: &[u8]) -> bool {
    let e = essence(content_type);
    if e.is_empty() {
        return !body.iter().take(SNIFF_BYTES).any(|&b| b == 0);
    }
    let (top, sub) = e.split_once('/').unwrap_or((e.as_str(), ""));
    top == "text"
        || sub.ends_with("+json")
        || sub.ends_with("+xml")
        || matches!(
            sub,
            "json"
                | "xml"
                | "javascript"
                | "ecmascript"
                | "x-javascript"
                | "x-www-form-urlencoded"
                | "yaml"
                | "x-yaml"
                | "toml"
                | "graphql"
                | "x-ndjson"
                | "ndjson"
                | "csv"
                | "x-sh"
                | "x-httpd-php"
                | "sql"
        )
}

/// Whether a page is HTML, by mcp-server-fetch's rule: an HTML media type, no media type at
/// all, or `<html` within its first 100 characters.
pub fn is_html(content_type: &str, text: &str) -> bool {
    let e = essence(content_type);
    if e.is_empty() || e == "text/html" || e == "application/xhtml+xml" {
        return true;
    }
    let head: String = text.chars().take(100).collect();
    head.to_ascii_lowercase().contains("<html")
}

/// Decode `body`: the `charset` of `content_type`, else a byte-order mark, else an HTML
/// `<meta charset>` in the first kilobyte, else UTF-8. Invalid sequences become U+FFFD.
pub fn decode(body: &[u8], content_type: &str) -> String {
    let label = content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned());
    let encoding = label
        .as_deref()
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .or_else(|| Encoding::for_bom(body).map(|(e, _)| e))
        .or_else(|| meta_charset(body))
        .unwrap_or(UTF_8);
    let (text, _, _) = encoding.decode(body);
    match text {
        Cow::Borrowed(s) => s.to_owned(),
        Cow::Owned(s) => s,
    }
}

/// The encoding named by `<meta charset=…>` or `<meta http-equiv … content="…charset=…">`.
fn meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(SNIFF_BYTES)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = lower.find("charset=")? + "charset=".len();
    let label: String = lower[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    Encoding::for_label(label.as_bytes())
}

/// Readable Markdown of an HTML page: the main content, headed by the page title.
pub fn html_to_markdown(html: &str, url: &Url) -> String {
    let config = Config {
        text_mode: TextMode::Markdown,
        ..Config::default()
    };
    let doc = dom_query::Document::from(html);
    doc.select(NEVER_CONTENT).remove();
    let article = Readability::with_document(doc, Some(url.as_str()), Some(config))
        .and_then(|mut r| r.parse())
        .ok();
    let (title, body) = match article {
        Some(a) if !a.text_content.trim().is_empty() => (a.title, a.text_content.to_string()),
        Some(a) => (a.title, whole_page(html)),
        None => (String::new(), whole_page(html)),
    };
    let body = tidy(&body);
    if body.is_empty() {
        return SIMPLIFY_FAILED.to_owned();
    }
    let title = title.trim();
    let starts_with_title = body
        .lines()
        .next()
        .is_some_and(|l| l.trim_start_matches('#').trim() == title);
    if title.is_empty() || starts_with_title {
        body
    } else {
        format!("# {title}\n\n{body}")
    }
}

/// Markdown of the whole `<body>` minus boilerplate, for pages with no article.
fn whole_page(html: &str) -> String {
    let doc = dom_query::Document::from(html);
    doc.select(BOILERPLATE).remove();
    let body = doc.select("body");
    match body.nodes().first() {
        Some(node) => node.md(None).to_string(),
        None => doc.md(None).to_string(),
    }
}

/// Trim, and fold runs of blank lines into one.
fn tidy(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut blank = 0;
    for line in md.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_owned()
}

/// One page of `content` in mcp-server-fetch's format: `content[start_index..][..max_length]`
/// in characters, with the marker naming the next `start_index` when more remains.
pub fn paginate(content: &str, start_index: usize, max_length: usize) -> String {
    let Some((start, _)) = content.char_indices().nth(start_index) else {
        return "<error>No more content available.</error>".to_owned();
    };
    let rest = &content[start..];
    match rest.char_indices().nth(max_length) {
        None => rest.to_owned(),
        Some((end, _)) => format!(
            "{}\n\n<error>Content truncated. Call the fetch tool with a start_index of {} to get more content.</error>",
            &rest[..end],
            start_index + max_length
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://news.example/2026/11/article").unwrap()
    }

    const ARTICLE: &str = r#"<!doctype html><html><head><title>Rust 2026 ships | News</title>
<meta charset="utf-8"></head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/tech">Tech</a></nav></header>
<aside class="sidebar"><h3>Trending</h3><ul><li><a href="/x">Celebrity gossip</a></li></ul></aside>
<main><article>
<h1>Rust 2026 ships</h1>
<p>The Rust project released its 2026 edition today, after <a href="/history">three years</a> of work.
The release focuses on async ergonomics, faster compile times and a smaller standard library surface.</p>
<h2>What changed</h2>
<ul><li>Async closures are stable.</li><li>The borrow checker accepts more programs.</li></ul>
<pre><code>fn main() { println!("hello"); }</code></pre>
<table><tr><th>Version</th><th>Date</th></tr><tr><td>1.95</td><td>2026-04-14</td></tr></table>
<p>Developers interviewed for this article said the upgrade was painless for most crates, though
some macros needed small changes. Several companies reported shorter build times in continuous
integration after moving to the new edition.</p>
</article></main>
<footer>© 2026 News Corp. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"#;

    #[test]
    fn an_article_keeps_its_content_and_drops_the_chrome() {
        let md = html_to_markdown(ARTICLE, &url());
        assert!(md.contains("Rust 2026 ships"), "{md}");
        assert!(md.contains("## What changed"), "{md}");
        assert!(md.contains("- Async closures are stable."), "{md}");
        assert!(md.contains("fn main()"), "{md}");
        assert!(
            md.contains("| Version | Date |") || md.contains("|Version|"),
            "{md}"
        );
        assert!(
            md.contains("[three years](https://news.example/history)"),
            "links are made absolute: {md}"
        );
        assert!(!md.contains("Celebrity gossip"), "{md}");
        assert!(!md.contains("All rights reserved"), "{md}");
        assert!(!md.contains("<p>"), "{md}");
    }

    #[test]
    fn a_page_without_an_article_is_converted_whole_minus_boilerplate() {
        let html = "<html><body><nav>Menu</nav><ul><li><a href='/a'>Item A</a></li><li>Item B</li></ul><script>var x=1;</script></body></html>";
        let md = html_to_markdown(html, &url());
        assert!(md.contains("Item A") && md.contains("Item B"), "{md}");
        assert!(!md.contains("Menu") && !md.contains("var x"), "{md}");
        assert_eq!(
            html_to_markdown("<html><body></body></html>", &url()),
            SIMPLIFY_FAILED
        );
    }

    #[test]
    fn charsets_come_from_the_header_the_bom_or_the_meta_tag() {
        let latin1 = b"caf\xe9";
        assert_eq!(decode(latin1, "text/plain; charset=ISO-8859-1"), "café");
        let meta = b"<html><head><meta charset=\"windows-1252\"></head><body>caf\xe9</body></html>";
        assert!(decode(meta, "text/html").contains("café"));
        let bom = b"\xef\xbb\xbfhello";
        assert_eq!(decode(bom, ""), "hello");
        assert_eq!(decode(b"ok \xff", "text/plain"), "ok \u{fffd}");
    }

    #[test]
    fn text_and_html_are_recognized() {
        assert!(is_textual("application/json; charset=utf-8", b"{}"));
        assert!(is_textual("application/vnd.api+json", b"{}"));
        assert!(is_textual("text/csv", b"a,b"));
        assert!(!is_textual("image/png", b"\x89PNG"));
        assert!(!is_textual("", b"\x89PNG\r\n\x1a\n\0\0"));
        assert!(is_textual("", b"plain words"));
        assert!(is_html("text/html; charset=utf-8", ""));
        assert!(is_html("", "anything"));
        assert!(is_html("text/plain", "<!DOCTYPE html><HTML>"));
        assert!(!is_html("application/json", "{\"html\": 1}"));
    }

    #[test]
    fn pagination_counts_characters_and_names_the_next_index() {
        let text = "héllo wörld";
        assert_eq!(
            paginate(text, 0, 5),
            "héllo\n\n<error>Content truncated. Call the fetch tool with a start_index of 5 to get more content.</error>"
        );
        assert_eq!(paginate(text, 6, 100), "wörld");
        assert_eq!(paginate(text, 6, 5), "wörld");
        assert_eq!(
            paginate(text, 11, 5),
            "<error>No more content available.</error>"
        );
        assert_eq!(
            paginate("", 0, 5),
            "<error>No more content available.</error>"
        );
    }
}
