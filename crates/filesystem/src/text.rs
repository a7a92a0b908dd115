//! Small text helpers shared by the tools: binary detection, decoding, line endings, sizes,
//! times and cutting long lines. No I/O here.

use std::time::SystemTime;

/// How far into a file binary detection looks (as git and ripgrep do, a NUL byte).
const BINARY_SNIFF_BYTES: usize = 8192;

/// The offset of a NUL byte in the first 8 KiB, which marks the content as binary.
pub fn binary_offset(bytes: &[u8]) -> Option<usize> {
    bytes[..bytes.len().min(BINARY_SNIFF_BYTES)]
        .iter()
        .position(|&b| b == 0)
}

/// UTF-8 text, with invalid sequences replaced; `true` when something was replaced.
pub fn decode(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        Ok(s) => (s, false),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
    }
}

/// The line ending a text mostly uses.
pub fn line_ending(text: &str) -> &'static str {
    let crlf = text.matches("\r\n").count();
    let lf = text.matches('\n').count();
    if crlf > 0 && crlf * 2 >= lf {
        "\r\n"
    } else {
        "\n"
    }
}

/// A size for people: `512 B`, `1.5 KiB`, `3.0 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A file time as RFC 3339 UTC, if the filesystem has it.
pub fn time(t: std::io::Result<cap_std::time::SystemTime>) -> Option<String> {
    let t: SystemTime = t.ok()?.into_std();
    jiff::Timestamp::try_from(t).ok().map(|ts| ts.to_string())
}

/// `s` cut to at most `max` characters, with `…` marking the cut.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The byte index at or below `at` that is a char boundary of `s`.
pub fn floor_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A Markdown code fence longer than any backtick run inside `body`.
pub fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_do_what_they_say() {
        assert_eq!(binary_offset(b"abc\0def"), Some(3));
        assert_eq!(binary_offset(b"plain"), None);
        assert!(decode(vec![b'a', 0xff]).1);
        assert_eq!(line_ending("a\r\nb\r\n"), "\r\n");
        assert_eq!(line_ending("a\nb\r\nc\nd\n"), "\n");
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(cut("héllo", 2), "hé…");
        assert_eq!(cut("hi", 5), "hi");
        assert_eq!(floor_boundary("é", 1), 0);
        assert_eq!(fence("a ```` b"), "`````");
        assert_eq!(fence("plain"), "```");
    }
}
