//! Parent/child chunking: parents of 2000 characters (200 overlap) are what a query returns;
//! children of 400 (50 overlap), cut from each parent, are what gets embedded and searched.
//!
//! The splitters come from `text-splitter`, which packs the largest semantic units that fit:
//! - Markdown (`.md`, `.markdown`, `.mdx`): headings, then blocks, paragraphs, sentences
//!   (pulldown-cmark events), so a section is not cut mid-list or mid-code-block when it fits;
//! - code in Rust, Python, JavaScript, TypeScript and Go: tree-sitter syntax levels, so a whole
//!   function or class stays together when it fits and nested items split before statements;
//! - everything else: blank lines, lines, sentences, words.
//!
//! Sizes are counted in characters, and every chunk carries its byte offset and line range, so a
//! result can say where it came from. Ids derive from content (see [`chunk_id`]), which is what
//! makes re-ingesting an upsert.

use std::path::Path;

use ring::digest::{SHA256, digest};
use text_splitter::{ChunkConfig, CodeSplitter, MarkdownSplitter, TextSplitter};

use crate::config::ChunkSizes;

/// A language with a tree-sitter grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// `.rs`
    Rust,
    /// `.py`
    Python,
    /// `.js`, `.jsx`, `.mjs`, `.cjs`
    JavaScript,
    /// `.ts`
    TypeScript,
    /// `.tsx`
    Tsx,
    /// `.go`
    Go,
}

impl Lang {
    fn language(self) -> tree_sitter::Language {
        let f = match self {
            Self::Rust => tree_sitter_rust::LANGUAGE,
            Self::Python => tree_sitter_python::LANGUAGE,
            Self::JavaScript => tree_sitter_javascript::LANGUAGE,
            Self::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT,
            Self::Tsx => tree_sitter_typescript::LANGUAGE_TSX,
            Self::Go => tree_sitter_go::LANGUAGE,
        };
        f.into()
    }

    /// Lower-case name for metadata.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::JavaScript => "javascript",
            Self::TypeScript => "typescript",
            Self::Tsx => "tsx",
            Self::Go => "go",
        }
    }
}

/// How a document is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// Markdown structure.
    Markdown,
    /// Syntax tree of a language.
    Code(Lang),
    /// Plain text: blank lines, lines, sentences.
    Text,
}

impl DocKind {
    /// `markdown`, `code:rust`, `text`.
    pub fn label(self) -> String {
        match self {
            Self::Markdown => "markdown".to_owned(),
            Self::Code(l) => format!("code:{}", l.name()),
            Self::Text => "text".to_owned(),
        }
    }
}

/// The splitter for a file, by extension.
pub fn kind_for(path: &Path) -> DocKind {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "md" | "markdown" | "mdx" => DocKind::Markdown,
        "rs" => DocKind::Code(Lang::Rust),
        "py" | "pyi" => DocKind::Code(Lang::Python),
        "js" | "jsx" | "mjs" | "cjs" => DocKind::Code(Lang::JavaScript),
        "ts" | "mts" | "cts" => DocKind::Code(Lang::TypeScript),
        "tsx" => DocKind::Code(Lang::Tsx),
        "go" => DocKind::Code(Lang::Go),
        _ => DocKind::Text,
    }
}

/// A piece of a document and where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text (trimmed of surrounding whitespace).
    pub text: String,
    /// Byte offset in the document.
    pub start: usize,
    /// First line, 1-based.
    pub start_line: usize,
    /// Last line, 1-based, inclusive.
    pub end_line: usize,
}

/// A parent chunk and the children cut from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentChunk {
    /// The parent.
    pub span: Span,
    /// Its children, in order.
    pub children: Vec<Span>,
}

/// The signature of the chunking settings: stored with each ingested file, so changing the sizes
/// re-chunks files that did not change.
pub fn signature(sizes: &ChunkSizes) -> String {
    format!(
        "v1:{}/{}:{}/{}",
        sizes.parent, sizes.parent_overlap, sizes.child, sizes.child_overlap
    )
}

/// Split `text` into parents and their children.
pub fn chunk(text: &str, kind: DocKind, sizes: &ChunkSizes) -> Result<Vec<ParentChunk>, String> {
    let lines = LineIndex::new(text);
    let parents = split(text, kind, sizes.parent, sizes.parent_overlap)?;
    let mut out = Vec::with_capacity(parents.len());
    for (offset, parent_text) in parents {
        let children = split(parent_text, kind, sizes.child, sizes.child_overlap)?
            .into_iter()
            .map(|(o, child)| lines.span(child, offset + o))
            .collect();
        out.push(ParentChunk {
            span: lines.span(parent_text, offset),
            children,
        });
    }
    Ok(out)
}

/// `(byte offset, chunk)` pairs of `text` cut to `size` characters with `overlap`.
fn split(
    text: &str,
    kind: DocKind,
    size: usize,
    overlap: usize,
) -> Result<Vec<(usize, &str)>, String> {
    let config = ChunkConfig::new(size)
        .with_overlap(overlap)
        .map_err(|e| format!("chunk size {size} with overlap {overlap}: {e}"))?;
    Ok(match kind {
        DocKind::Markdown => MarkdownSplitter::new(config).chunk_indices(text).collect(),
        DocKind::Code(lang) => CodeSplitter::new(lang.language(), config)
            .map_err(|e| format!("{} grammar: {e}", lang.name()))?
            .chunk_indices(text)
            .collect(),
        DocKind::Text => TextSplitter::new(config).chunk_indices(text).collect(),
    })
}

/// Byte offsets of line starts, to turn offsets into line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    fn span(&self, text: &str, start: usize) -> Span {
        let end = start + text.len().saturating_sub(1);
        Span {
            text: text.to_owned(),
            start,
            start_line: self.line(start),
            end_line: self.line(end.max(start)),
        }
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(digest(&SHA256, bytes).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A content-derived id: the first 128 bits of SHA-256 over the parts, each length-prefixed so
/// `("ab", "c")` and `("a", "bc")` differ. The same file content always gives the same ids, so
/// re-ingesting upserts instead of duplicating; `occurrence` separates identical chunks of one
/// document.
pub fn chunk_id(kind: &str, scope: &str, text: &str, occurrence: usize) -> String {
    let mut buf = Vec::with_capacity(scope.len() + text.len() + 32);
    for part in [kind.as_bytes(), scope.as_bytes(), text.as_bytes()] {
        buf.extend_from_slice(&(part.len() as u64).to_le_bytes());
        buf.extend_from_slice(part);
    }
    buf.extend_from_slice(&(occurrence as u64).to_le_bytes());
    hex(&digest(&SHA256, &buf).as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: ChunkSizes = ChunkSizes {
        parent: 2000,
        parent_overlap: 200,
        child: 400,
        child_overlap: 50,
    };

    fn markdown_doc() -> String {
        let mut s = String::from("# Guide\n\nIntro paragraph about the guide.\n\n");
        for i in 0..12 {
            s.push_str(&format!("## Section {i}\n\n"));
            for j in 0..4 {
                s.push_str(&format!(
                    "Paragraph {j} of section {i} explains the topic in some detail, with enough words to matter. "
                ));
                s.push_str(
                    "It continues for a second sentence so that paragraphs have weight.\n\n",
                );
            }
        }
        s
    }

    #[test]
    fn parents_and_children_respect_their_sizes() {
        let doc = markdown_doc();
        let parents = chunk(&doc, DocKind::Markdown, &SIZES).unwrap();
        assert!(parents.len() > 3, "{}", parents.len());
        for p in &parents {
            assert!(p.span.text.chars().count() <= 2000);
            assert!(!p.children.is_empty());
            for c in &p.children {
                assert!(c.text.chars().count() <= 400, "{}", c.text.len());
                // A child is a piece of its parent, located in the document.
                assert!(p.span.text.contains(&c.text));
                assert_eq!(&doc[c.start..c.start + c.text.len()], c.text);
            }
        }
    }

    #[test]
    fn markdown_parents_start_at_headings() {
        let doc = markdown_doc();
        let parents = chunk(&doc, DocKind::Markdown, &SIZES).unwrap();
        for p in parents.iter().skip(1) {
            assert!(
                p.span.text.starts_with("## Section") || p.span.text.starts_with("Paragraph"),
                "{:?}",
                &p.span.text[..40]
            );
        }
    }

    #[test]
    fn line_ranges_point_at_the_text() {
        let doc = "line one\nline two\n\nline four is here\nline five\n";
        let parents = chunk(
            doc,
            DocKind::Text,
            &ChunkSizes {
                parent: 20,
                parent_overlap: 0,
                child: 10,
                child_overlap: 0,
            },
        )
        .unwrap();
        let first = &parents[0].span;
        assert_eq!((first.start_line, first.end_line), (1, 2));
        let lines: Vec<&str> = doc.lines().collect();
        for p in &parents {
            let wanted = lines[p.span.start_line - 1..p.span.end_line].join("\n");
            assert!(wanted.contains(&p.span.text), "{p:?}");
        }
    }

    #[test]
    fn code_splits_between_functions() {
        let mut src = String::new();
        for i in 0..30 {
            src.push_str(&format!(
                "/// Doc for f{i}.\nfn f{i}(x: u32) -> u32 {{\n    let y = x + {i};\n    y * 2\n}}\n\n"
            ));
        }
        let sizes = ChunkSizes {
            parent: 400,
            parent_overlap: 0,
            child: 120,
            child_overlap: 0,
        };
        let parents = chunk(&src, DocKind::Code(Lang::Rust), &sizes).unwrap();
        for p in &parents {
            // Each parent holds whole functions: as many opening as closing braces.
            let opens = p.span.text.matches('{').count();
            assert_eq!(opens, p.span.text.matches('}').count(), "{}", p.span.text);
            // tree-sitter makes a doc comment a sibling of its item, so a cut may fall between them.
            assert!(
                p.span.text.starts_with("/// Doc for f") || p.span.text.starts_with("fn f"),
                "{}",
                p.span.text
            );
        }
        for c in parents.iter().flat_map(|p| &p.children) {
            assert!(
                c.text.starts_with("/// Doc") || c.text.starts_with("fn "),
                "{}",
                c.text
            );
        }
    }

    #[test]
    fn every_grammar_loads() {
        for lang in [
            Lang::Rust,
            Lang::Python,
            Lang::JavaScript,
            Lang::TypeScript,
            Lang::Tsx,
            Lang::Go,
        ] {
            assert!(
                chunk("x = 1\n", DocKind::Code(lang), &SIZES).is_ok(),
                "{lang:?}"
            );
        }
    }

    #[test]
    fn kinds_follow_extensions() {
        assert_eq!(kind_for(Path::new("a/README.md")), DocKind::Markdown);
        assert_eq!(kind_for(Path::new("x.PY")), DocKind::Code(Lang::Python));
        assert_eq!(kind_for(Path::new("x.tsx")), DocKind::Code(Lang::Tsx));
        assert_eq!(kind_for(Path::new("notes.txt")), DocKind::Text);
        assert_eq!(kind_for(Path::new("Makefile")), DocKind::Text);
    }

    #[test]
    fn empty_and_blank_documents_have_no_chunks() {
        assert!(chunk("", DocKind::Text, &SIZES).unwrap().is_empty());
        assert!(
            chunk("  \n\n \t\n", DocKind::Markdown, &SIZES)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn ids_depend_on_content_and_occurrence_only() {
        let a = chunk_id("c", "docs/a.md", "hello", 0);
        assert_eq!(a, chunk_id("c", "docs/a.md", "hello", 0));
        assert_eq!(a.len(), 32);
        assert_ne!(a, chunk_id("c", "docs/a.md", "hello", 1));
        assert_ne!(a, chunk_id("c", "docs/b.md", "hello", 0));
        assert_ne!(chunk_id("c", "ab", "c", 0), chunk_id("c", "a", "bc", 0));
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
