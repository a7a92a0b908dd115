//! Language detection and line counts (code, comments, blanks), from tokei's language table
//! and counter, applied to bytes the jail already read.
//!
//! tokei's own `LanguageType::from_path` reads a file's first line by ambient path when the
//! name has no extension (to look for a `#!` line); that would be an access outside the jail,
//! so [`language`] never lets it: names with an extension go to tokei as is, others are asked
//! about with a path tokei cannot open (see the comment there), and the `#!` line is read here
//! from the bytes we already have.

use std::path::Path;

use tokei::{Config, LanguageType};

/// The language of a file named `path` whose content starts with `head`.
pub fn language(path: &Path, head: &[u8]) -> Option<LanguageType> {
    let name = path.file_name()?.to_str()?;
    let config = Config::default();
    if Path::new(name).extension().is_some() {
        // With an extension tokei decides from the name alone and never opens the file.
        return LanguageType::from_path(name, &config).or_else(|| shebang(head));
    }
    // Without one, tokei first tries well-known names (Makefile, Dockerfile, ...) and then
    // opens the path to read a `#!` line. A NUL byte makes that open fail inside the standard
    // library before any system call, so only the name table is consulted.
    let unopenable = format!("\0/{name}");
    LanguageType::from_path(unopenable, &config).or_else(|| shebang(head))
}

/// The language named by a `#!` line.
fn shebang(head: &[u8]) -> Option<LanguageType> {
    let first = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?.trim();
    let mut words = line.split_whitespace();
    let program = words.next()?;
    let program = if program.ends_with("/env") {
        words.find(|w| !w.starts_with('-'))?
    } else {
        program.rsplit('/').next()?
    };
    let program = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    let found = match program {
        "python" | "pypy" => LanguageType::Python,
        "node" | "nodejs" | "deno" | "bun" => LanguageType::JavaScript,
        "bash" => LanguageType::Bash,
        "sh" | "dash" | "ksh" => LanguageType::Sh,
        "zsh" => LanguageType::Zsh,
        "fish" => LanguageType::Fish,
        "ruby" => LanguageType::Ruby,
        "perl" => LanguageType::Perl,
        "php" => LanguageType::Php,
        "lua" => LanguageType::Lua,
        "Rscript" => LanguageType::R,
        _ => {
            // The languages that list this exact `#!` line in tokei's table.
            let exact = format!("#!{}", line.split_whitespace().next().unwrap_or(""));
            return LanguageType::list()
                .iter()
                .map(|(l, _)| *l)
                .find(|l| l.shebangs().contains(&exact.as_str()));
        }
    };
    Some(found)
}

/// Code, comment and blank line counts of `text` in `lang` (embedded languages included).
pub fn counts(lang: LanguageType, text: &[u8]) -> (usize, usize, usize) {
    let stats = lang.parse_from_slice(text, &Config::default()).summarise();
    (stats.code, stats.comments, stats.blanks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_names_and_shebangs() {
        assert_eq!(
            language(Path::new("/w/a.rs"), b""),
            Some(LanguageType::Rust)
        );
        assert_eq!(
            language(Path::new("x/Makefile"), b""),
            Some(LanguageType::Makefile)
        );
        assert_eq!(
            language(Path::new("Dockerfile"), b""),
            Some(LanguageType::Dockerfile)
        );
        assert_eq!(
            language(Path::new("bin/tool"), b"#!/usr/bin/env python3\nprint(1)\n"),
            Some(LanguageType::Python)
        );
        assert_eq!(
            language(Path::new("run"), b"#!/bin/bash\n"),
            Some(LanguageType::Bash)
        );
        assert_eq!(language(Path::new("notes"), b"hello"), None);
        assert_eq!(language(Path::new("x.tsx"), b""), Some(LanguageType::Tsx));
    }

    #[test]
    fn counts_split_code_comments_and_blanks() {
        let src =
            b"// a comment\nfn main() {\n\n    /* block */\n    let s = \"// not a comment\";\n}\n";
        assert_eq!(counts(LanguageType::Rust, src), (3, 2, 1));
    }
}
