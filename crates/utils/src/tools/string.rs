//! String tools: case, trim, reverse, word count, replace. Reverse works on grapheme clusters,
//! so emoji with modifiers and letters with combining marks survive intact. Every tool refuses
//! text above UTILS_MAX_TEXT_BYTES.

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation as _;

use crate::{error::UtilsError, server::UtilsServer};

/// Arguments of the single-text tools.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TextArgs {
    /// The text to transform.
    pub text: String,
}

/// A transformed text.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TextOutput {
    /// Always true for a result (failures are tool errors).
    pub success: bool,
    /// The transformed text.
    pub result: String,
}

/// Arguments of `string_replace`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReplaceArgs {
    /// The text to search in.
    pub text: String,
    /// The exact substring to replace (case-sensitive, must not be empty).
    pub old: String,
    /// What to put in its place (may be empty).
    pub new: String,
    /// Replace at most this many occurrences, from the start; all when omitted.
    #[serde(default)]
    pub count: Option<usize>,
}

/// Result of `string_replace`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReplaceOutput {
    /// Always true for a result.
    pub success: bool,
    /// The text after replacement.
    pub result: String,
    /// How many occurrences were replaced.
    pub replacements: usize,
}

/// Result of `string_word_count`.
#[derive(Debug, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct WordCount {
    /// Words, by Unicode word boundaries (punctuation is not a word).
    pub word_count: usize,
    /// Unicode scalar values (what Python's `len` counts).
    pub char_count: usize,
    /// Characters other than whitespace.
    pub char_count_no_spaces: usize,
    /// User-perceived characters (grapheme clusters): an emoji family counts once.
    pub grapheme_count: usize,
    /// Lines (0 for empty text).
    pub line_count: usize,
    /// UTF-8 bytes.
    pub byte_count: usize,
}

impl UtilsServer {
    fn check_size(&self, arg: &'static str, text: &str) -> Result<(), UtilsError> {
        if text.len() > self.config.max_text_bytes {
            return Err(UtilsError::arg(
                arg,
                format!(
                    "text is {} bytes; the limit is {} (UTILS_MAX_TEXT_BYTES)",
                    text.len(),
                    self.config.max_text_bytes
                ),
            ));
        }
        Ok(())
    }

    fn transform(
        &self,
        text: &str,
        f: impl FnOnce(&str) -> String,
    ) -> Result<Json<TextOutput>, UtilsError> {
        self.check_size("text", text)?;
        Ok(Json(TextOutput {
            success: true,
            result: f(text),
        }))
    }
}

/// Reverse by grapheme cluster.
pub(crate) fn reverse(text: &str) -> String {
    text.graphemes(true).rev().collect()
}

/// Count words, characters, graphemes, lines and bytes.
pub(crate) fn count(text: &str) -> WordCount {
    WordCount {
        word_count: text.unicode_words().count(),
        char_count: text.chars().count(),
        char_count_no_spaces: text.chars().filter(|c| !c.is_whitespace()).count(),
        grapheme_count: text.graphemes(true).count(),
        line_count: text.lines().count(),
        byte_count: text.len(),
    }
}

/// Replace up to `limit` occurrences of `old` with `new`.
pub(crate) fn replace(text: &str, old: &str, new: &str, limit: Option<usize>) -> (String, usize) {
    let found = text.matches(old).count();
    let n = limit.map_or(found, |l| l.min(found));
    (text.replacen(old, new, n), n)
}

#[tool_router(router = string_tools, vis = "pub(crate)")]
impl UtilsServer {
    /// Convert text to upper case (Unicode-aware: `straße` → `STRASSE`). Example: `{"text": "hello"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn string_to_upper(
        &self,
        Parameters(args): Parameters<TextArgs>,
    ) -> Result<Json<TextOutput>, UtilsError> {
        self.transform(&args.text, str::to_uppercase)
    }

    /// Convert text to lower case (Unicode-aware). Example: `{"text": "HELLO"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn string_to_lower(
        &self,
        Parameters(args): Parameters<TextArgs>,
    ) -> Result<Json<TextOutput>, UtilsError> {
        self.transform(&args.text, str::to_lowercase)
    }

    /// Remove leading and trailing whitespace (Unicode whitespace included). Example: `{"text": "  hi \n"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn string_trim(
        &self,
        Parameters(args): Parameters<TextArgs>,
    ) -> Result<Json<TextOutput>, UtilsError> {
        self.transform(&args.text, |t| t.trim().to_owned())
    }

    /// Reverse text by user-perceived character, so `👍🏽` and `é` (e + combining accent) stay whole.
    /// Example: `{"text": "abc"}` gives `cba`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn string_reverse(
        &self,
        Parameters(args): Parameters<TextArgs>,
    ) -> Result<Json<TextOutput>, UtilsError> {
        self.transform(&args.text, reverse)
    }

    /// Count words (Unicode word boundaries), characters, non-space characters, graphemes, lines
    /// and bytes. Example: `{"text": "Hello, world!"}` gives 2 words.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn string_word_count(
        &self,
        Parameters(args): Parameters<TextArgs>,
    ) -> Result<Json<WordCount>, UtilsError> {
        self.check_size("text", &args.text)?;
        Ok(Json(count(&args.text)))
    }

    /// Replace occurrences of `old` with `new` (exact, case-sensitive), all or the first `count`.
    /// Example: `{"text": "a-b-c", "old": "-", "new": "+", "count": 1}` gives `a+b-c`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn string_replace(
        &self,
        Parameters(args): Parameters<ReplaceArgs>,
    ) -> Result<Json<ReplaceOutput>, UtilsError> {
        self.check_size("text", &args.text)?;
        if args.old.is_empty() {
            return Err(UtilsError::arg(
                "old",
                "must not be empty (there is nothing to find)",
            ));
        }
        let (result, replacements) = replace(&args.text, &args.old, &args.new, args.count);
        if result.len() > self.config.max_text_bytes {
            return Err(UtilsError::arg(
                "new",
                format!(
                    "the result would be {} bytes; the limit is {} (UTILS_MAX_TEXT_BYTES)",
                    result.len(),
                    self.config.max_text_bytes
                ),
            ));
        }
        Ok(Json(ReplaceOutput {
            success: true,
            result,
            replacements,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_keeps_graphemes_whole() {
        assert_eq!(reverse("abc"), "cba");
        assert_eq!(reverse("ae\u{301}z"), "ze\u{301}a");
        assert_eq!(reverse("👍🏽👨‍👩‍👧"), "👨‍👩‍👧👍🏽");
        assert_eq!(reverse("🇫🇷🇩🇪"), "🇩🇪🇫🇷");
    }

    #[test]
    fn counts() {
        let c = count("Hello, world!\nSecond line 👨‍👩‍👧");
        assert_eq!(c.word_count, 4);
        assert_eq!(c.line_count, 2);
        assert_eq!(c.grapheme_count, 27);
        assert!(c.char_count > c.grapheme_count);
        assert_eq!(
            count(""),
            WordCount {
                word_count: 0,
                char_count: 0,
                char_count_no_spaces: 0,
                grapheme_count: 0,
                line_count: 0,
                byte_count: 0
            }
        );
    }

    #[test]
    fn replace_counts_and_limits() {
        assert_eq!(replace("a-b-c", "-", "+", None), ("a+b+c".into(), 2));
        assert_eq!(replace("a-b-c", "-", "+", Some(1)), ("a+b-c".into(), 1));
        assert_eq!(replace("abc", "x", "y", None), ("abc".into(), 0));
    }
}
