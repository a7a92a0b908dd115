//! Symbol outlines: functions, types, classes, methods, modules... with their lines and
//! nesting, for Rust, Python, JavaScript, TypeScript (and TSX), Go, and Markdown headings.
//!
//! Source languages are parsed with tree-sitter (real grammars, so strings, comments and
//! macros never confuse the outline) and queried with small queries of our own, written for an
//! outline rather than the grammars' `tags.scm` (which mix references in and have no `impl`
//! blocks). Markdown headings come from pulldown-cmark, which knows setext headings and fenced
//! code blocks. Everything here works on bytes already read through the jail.

use std::sync::OnceLock;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use schemars::JsonSchema;
use serde::Serialize;
use tokei::LanguageType;
use tree_sitter::{Language, Node, Query, QueryCursor, StreamingIterator as _};

/// Most symbols returned for one file.
pub const MAX_SYMBOLS: usize = 5000;
/// Longest signature kept, in characters.
const MAX_SIGNATURE: usize = 160;

/// One entry of an outline.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub struct Symbol {
    /// `function`, `method`, `struct`, `enum`, `trait`, `impl`, `class`, `interface`, `type`,
    /// `module`, `macro`, `constant` or `heading`.
    pub kind: String,
    /// The symbol's name (for `impl`: `Trait for Type` or `Type`; for Go methods:
    /// `Receiver.Name`; for headings: the heading text).
    pub name: String,
    /// 1-based first line.
    pub line: usize,
    /// 1-based last line.
    pub end_line: usize,
    /// Nesting depth: 0 at top level (for headings: level - 1).
    pub depth: usize,
    /// The first line of the definition, trimmed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub signature: String,
}

/// The languages with an outline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grammar {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
}

const RUST: &str = r#"
(function_item name: (identifier) @name) @function
(function_signature_item name: (identifier) @name) @function
(struct_item name: (type_identifier) @name) @struct
(enum_item name: (type_identifier) @name) @enum
(union_item name: (type_identifier) @name) @struct
(type_item name: (type_identifier) @name) @type
(trait_item name: (type_identifier) @name) @trait
(impl_item type: (_) @name) @impl
(mod_item name: (identifier) @name) @module
(macro_definition name: (identifier) @name) @macro
(const_item name: (identifier) @name) @constant
(static_item name: (identifier) @name) @constant
"#;

const PYTHON: &str = r#"
(class_definition name: (identifier) @name) @class
(function_definition name: (identifier) @name) @function
"#;

const JAVASCRIPT: &str = r#"
(class_declaration name: (_) @name) @class
(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(method_definition name: (_) @name) @method
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function
"#;

const TYPESCRIPT_EXTRA: &str = r#"
(abstract_class_declaration name: (_) @name) @class
(interface_declaration name: (_) @name) @interface
(type_alias_declaration name: (_) @name) @type
(enum_declaration name: (_) @name) @enum
(internal_module name: (_) @name) @module
(method_signature name: (_) @name) @method
(abstract_method_signature name: (_) @name) @method
(function_signature name: (_) @name) @function
"#;

const GO: &str = r#"
(function_declaration name: (identifier) @name) @function
(method_declaration name: (field_identifier) @name) @method
(type_spec name: (type_identifier) @name) @type
(const_spec name: (identifier) @name) @constant
"#;

impl Grammar {
    fn of(lang: LanguageType) -> Option<Self> {
        Some(match lang {
            LanguageType::Rust => Self::Rust,
            LanguageType::Python => Self::Python,
            LanguageType::JavaScript | LanguageType::Jsx => Self::JavaScript,
            LanguageType::TypeScript => Self::TypeScript,
            LanguageType::Tsx => Self::Tsx,
            LanguageType::Go => Self::Go,
            _ => return None,
        })
    }

    fn language(self) -> Language {
        match self {
            Self::Rust => tree_sitter_rust::LANGUAGE.into(),
            Self::Python => tree_sitter_python::LANGUAGE.into(),
            Self::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Self::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Self::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Self::Go => tree_sitter_go::LANGUAGE.into(),
        }
    }

    /// The compiled query, built once per process.
    fn query(self) -> Result<&'static Query, String> {
        static QUERIES: [OnceLock<Result<Query, String>>; 6] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let (slot, source) = match self {
            Self::Rust => (0, RUST.to_owned()),
            Self::Python => (1, PYTHON.to_owned()),
            Self::JavaScript => (2, JAVASCRIPT.to_owned()),
            Self::TypeScript => (3, format!("{JAVASCRIPT}{TYPESCRIPT_EXTRA}")),
            Self::Tsx => (4, format!("{JAVASCRIPT}{TYPESCRIPT_EXTRA}")),
            Self::Go => (5, GO.to_owned()),
        };
        QUERIES[slot]
            .get_or_init(|| Query::new(&self.language(), &source).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Whether `lang` has an outline.
pub fn supported(lang: LanguageType) -> bool {
    Grammar::of(lang).is_some() || lang == LanguageType::Markdown
}

/// The outline of `text` in `lang`; `None` when the language has none. The bool says whether
/// [`MAX_SYMBOLS`] cut it.
pub fn outline(lang: LanguageType, text: &str) -> Option<Result<(Vec<Symbol>, bool), String>> {
    if lang == LanguageType::Markdown {
        return Some(Ok(headings(text)));
    }
    let grammar = Grammar::of(lang)?;
    Some(symbols(grammar, text))
}

fn symbols(grammar: Grammar, text: &str) -> Result<(Vec<Symbol>, bool), String> {
    let query = grammar.query()?;
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&grammar.language())
        .map_err(|e| e.to_string())?;
    let tree = parser
        .parse(text, None)
        .ok_or_else(|| "the parser gave up".to_owned())?;
    let source = text.as_bytes();
    let name_idx = query.capture_index_for_name("name");
    let mut found: Vec<(String, String, Node<'_>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, tree.root_node(), source);
    let mut truncated = false;
    while let Some(m) = matches.next() {
        let mut name = None;
        let mut def = None;
        for c in m.captures {
            if Some(c.index) == name_idx {
                name = c.node.utf8_text(source).ok();
            } else {
                def = Some((c.node, query.capture_names()[c.index as usize]));
            }
        }
        let (Some(name), Some((node, kind))) = (name, def) else {
            continue;
        };
        if !seen.insert((node.id(), name.to_owned())) {
            continue;
        }
        if found.len() >= MAX_SYMBOLS {
            truncated = true;
            break;
        }
        let (kind, name) = refine(grammar, kind, name, node, source);
        found.push((kind, name, node));
    }
    found.sort_by_key(|f| (f.2.start_byte(), std::cmp::Reverse(f.2.end_byte())));
    // Depth from containment: a stack of the enclosing symbols' end bytes and kinds.
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut out = Vec::with_capacity(found.len());
    for (mut kind, name, node) in found {
        while stack.last().is_some_and(|(e, _)| *e <= node.start_byte()) {
            stack.pop();
        }
        if kind == "function"
            && stack.last().is_some_and(|(_, k)| {
                matches!(k.as_str(), "impl" | "trait" | "class" | "interface")
            })
        {
            kind = "method".to_owned();
        }
        out.push(Symbol {
            signature: signature(node, source),
            kind: kind.clone(),
            name,
            line: node.start_position().row + 1,
            end_line: node.end_position().row + 1,
            depth: stack.len(),
        });
        stack.push((node.end_byte(), kind));
    }
    Ok((out, truncated))
}

/// Names and kinds that need more than the capture: Rust `impl Trait for Type`, Go methods
/// with their receiver, Go types by what they are.
fn refine(
    grammar: Grammar,
    kind: &str,
    name: &str,
    node: Node<'_>,
    source: &[u8],
) -> (String, String) {
    let text = |n: Option<Node<'_>>| n.and_then(|n| n.utf8_text(source).ok()).unwrap_or("");
    match (grammar, kind) {
        (Grammar::Rust, "impl") => {
            let t = text(node.child_by_field_name("trait"));
            if t.is_empty() {
                ("impl".to_owned(), name.to_owned())
            } else {
                ("impl".to_owned(), format!("{t} for {name}"))
            }
        }
        (Grammar::Go, "method") => {
            let recv = text(node.child_by_field_name("receiver"));
            let ty = recv
                .trim_matches(|c| c == '(' || c == ')')
                .split_whitespace()
                .last()
                .unwrap_or("")
                .trim_start_matches('*');
            let ty = ty.split('[').next().unwrap_or(ty);
            if ty.is_empty() {
                ("method".to_owned(), name.to_owned())
            } else {
                ("method".to_owned(), format!("{ty}.{name}"))
            }
        }
        (Grammar::Go, "type") => {
            let k = match node.child_by_field_name("type").map(|t| t.kind()) {
                Some("struct_type") => "struct",
                Some("interface_type") => "interface",
                _ => "type",
            };
            (k.to_owned(), name.to_owned())
        }
        _ => (kind.to_owned(), name.to_owned()),
    }
}

fn signature(node: Node<'_>, source: &[u8]) -> String {
    let text = node.utf8_text(source).unwrap_or("");
    let first = text.lines().next().unwrap_or("").trim();
    crate::text::cut(first, MAX_SIGNATURE)
}

/// Markdown headings (ATX and setext; none inside code blocks).
fn headings(text: &str) -> (Vec<Symbol>, bool) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset);
    let mut out = Vec::new();
    let mut current: Option<(usize, usize, usize, String)> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some((level as usize, range.start, range.end, String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = current.as_mut() {
                    c.3.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, end, title)) = current.take() {
                    if out.len() >= MAX_SYMBOLS {
                        return (out, true);
                    }
                    out.push(Symbol {
                        kind: "heading".to_owned(),
                        name: title.trim().to_owned(),
                        line: line_of(start),
                        end_line: line_of(end.saturating_sub(1)),
                        depth: level - 1,
                        signature: String::new(),
                    });
                }
            }
            _ => {}
        }
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn names(lang: LanguageType, src: &str) -> Vec<(String, String, usize, usize)> {
        outline(lang, src)
            .unwrap()
            .unwrap()
            .0
            .into_iter()
            .map(|s| (s.kind, s.name, s.line, s.depth))
            .collect()
    }

    fn pair(k: &str, n: &str, line: usize, depth: usize) -> (String, String, usize, usize) {
        (k.to_owned(), n.to_owned(), line, depth)
    }

    #[test]
    fn every_query_compiles() {
        for g in [
            Grammar::Rust,
            Grammar::Python,
            Grammar::JavaScript,
            Grammar::TypeScript,
            Grammar::Tsx,
            Grammar::Go,
        ] {
            g.query().unwrap();
        }
    }

    #[test]
    fn rust_outline_has_items_impls_and_methods() {
        let src = "//! doc\nstruct Point { x: i32 }\n\nimpl Display for Point {\n    fn fmt(&self) {}\n}\n\nmod inner {\n    pub fn helper() -> &'static str { \"fn fake()\" }\n}\nconst MAX: u8 = 1;\nmacro_rules! m { () => {} }\ntrait T { fn required(&self); }\n";
        assert_eq!(
            names(LanguageType::Rust, src),
            [
                pair("struct", "Point", 2, 0),
                pair("impl", "Display for Point", 4, 0),
                pair("method", "fmt", 5, 1),
                pair("module", "inner", 8, 0),
                pair("function", "helper", 9, 1),
                pair("constant", "MAX", 11, 0),
                pair("macro", "m", 12, 0),
                pair("trait", "T", 13, 0),
                pair("method", "required", 13, 1),
            ]
        );
    }

    #[test]
    fn python_outline_nests_methods_in_classes() {
        let src = "import os\n\nclass Repo:\n    def __init__(self):\n        pass\n\n    @property\n    def name(self):\n        return 'def not_this():'\n\ndef main():\n    pass\n";
        assert_eq!(
            names(LanguageType::Python, src),
            [
                pair("class", "Repo", 3, 0),
                pair("method", "__init__", 4, 1),
                pair("method", "name", 8, 1),
                pair("function", "main", 11, 0),
            ]
        );
    }

    #[test]
    fn javascript_and_typescript_outlines() {
        let js = "export class A {\n  run() {}\n}\nfunction b() {}\nconst c = () => 1;\n";
        assert_eq!(
            names(LanguageType::JavaScript, js),
            [
                pair("class", "A", 1, 0),
                pair("method", "run", 2, 1),
                pair("function", "b", 4, 0),
                pair("function", "c", 5, 0),
            ]
        );
        let ts = "interface Shape { area(): number }\ntype Id = string;\nenum Color { Red }\nexport function f(x: Id): void {}\nabstract class S { abstract go(): void; }\n";
        assert_eq!(
            names(LanguageType::TypeScript, ts),
            [
                pair("interface", "Shape", 1, 0),
                pair("method", "area", 1, 1),
                pair("type", "Id", 2, 0),
                pair("enum", "Color", 3, 0),
                pair("function", "f", 4, 0),
                pair("class", "S", 5, 0),
                pair("method", "go", 5, 1),
            ]
        );
        let tsx = "export const App = () => <div/>;\n";
        assert_eq!(
            names(LanguageType::Tsx, tsx),
            [pair("function", "App", 1, 0)]
        );
    }

    #[test]
    fn go_outline_names_receivers_and_type_kinds() {
        let src = "package main\n\ntype Repo struct{}\ntype Runner interface{ Run() }\n\nfunc (r *Repo) Name() string { return \"\" }\n\nfunc main() {}\n";
        assert_eq!(
            names(LanguageType::Go, src),
            [
                pair("struct", "Repo", 3, 0),
                pair("interface", "Runner", 4, 0),
                pair("method", "Repo.Name", 6, 0),
                pair("function", "main", 8, 0),
            ]
        );
    }

    #[test]
    fn markdown_headings_skip_code_blocks() {
        let src = "# Title\n\ntext\n\n```\n# not a heading\n```\n\nSub\n---\n\n### Deep `code`\n";
        assert_eq!(
            names(LanguageType::Markdown, src),
            [
                pair("heading", "Title", 1, 0),
                pair("heading", "Sub", 9, 1),
                pair("heading", "Deep code", 12, 2),
            ]
        );
        assert!(outline(LanguageType::Toml, "a = 1").is_none());
    }
}
