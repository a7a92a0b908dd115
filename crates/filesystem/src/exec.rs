//! External lint and format tools: which ones are known, which are installed, and running one
//! safely.
//!
//! A tool gets the file's *content on stdin*, never a path to open: the jail read the file, so
//! a symlink swapped in during the call cannot make a linter read (and echo) a file outside it.
//! The path is passed only as a display name (`--stdin-filename`), which tools use for messages
//! and to find their own configuration. The child runs with a cleared environment plus a short
//! allow-list (PATH, HOME, locale, toolchain homes), a time limit (FS_EXEC_TIMEOUT; killed when
//! exceeded), and capped output. Nothing is run that is not in [`TOOLS`].

use std::{path::PathBuf, process::Stdio, time::Duration};

use schemars::JsonSchema;
use serde::Serialize;
use tokei::LanguageType;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::error::FsError;

/// What a tool is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Reports problems.
    Lint,
    /// Rewrites the source.
    Format,
}

/// A known external tool.
#[derive(Debug)]
pub struct ToolSpec {
    /// The name callers use.
    pub name: &'static str,
    /// The program looked up on PATH.
    pub program: &'static str,
    /// Lint or format.
    pub purpose: Purpose,
    /// Languages it handles, best first for its purpose.
    pub languages: &'static [LanguageType],
    /// Arguments; `{path}` is replaced by the file's absolute path (display only).
    pub args: &'static [&'static str],
    /// Whether the source goes as an argument (mypy's `-c`) instead of stdin.
    pub source_as_arg: bool,
    /// Exit codes that mean "ran fine" (lint: problems found is still a run).
    pub ok_codes: &'static [i32],
}

/// Python's own compiler as a syntax checker: compiles, never runs.
const PY_COMPILE: &str = "import sys\nsrc = sys.stdin.buffer.read()\ntry:\n    compile(src, sys.argv[1], 'exec', dont_inherit=True)\nexcept SyntaxError as e:\n    print(f'{sys.argv[1]}:{e.lineno}:{e.offset}: SyntaxError: {e.msg}')\n    sys.exit(1)\n";

const PY: &[LanguageType] = &[LanguageType::Python];
const JS: &[LanguageType] = &[
    LanguageType::JavaScript,
    LanguageType::Jsx,
    LanguageType::TypeScript,
    LanguageType::Tsx,
];
const SH: &[LanguageType] = &[LanguageType::Sh, LanguageType::Bash];
const WEB: &[LanguageType] = &[
    LanguageType::JavaScript,
    LanguageType::Jsx,
    LanguageType::TypeScript,
    LanguageType::Tsx,
    LanguageType::Json,
    LanguageType::Css,
    LanguageType::Markdown,
    LanguageType::Yaml,
    LanguageType::Html,
];

/// Every tool this server may run, in order of preference per language.
pub const TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "ruff",
        program: "ruff",
        purpose: Purpose::Lint,
        languages: PY,
        args: &[
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            "--stdin-filename",
            "{path}",
            "-",
        ],
        source_as_arg: false,
        ok_codes: &[0, 1],
    },
    ToolSpec {
        name: "flake8",
        program: "flake8",
        purpose: Purpose::Lint,
        languages: PY,
        args: &["--stdin-display-name", "{path}", "-"],
        source_as_arg: false,
        ok_codes: &[0, 1],
    },
    ToolSpec {
        name: "pylint",
        program: "pylint",
        purpose: Purpose::Lint,
        languages: PY,
        args: &[
            "--score=n",
            "--output-format=text",
            "--from-stdin",
            "{path}",
        ],
        source_as_arg: false,
        ok_codes: &[0, 1, 2, 4, 8, 16, 18, 20, 22, 24, 26, 28, 30],
    },
    ToolSpec {
        name: "mypy",
        program: "mypy",
        purpose: Purpose::Lint,
        languages: PY,
        args: &[
            "--no-incremental",
            "--cache-dir",
            "/dev/null",
            "--no-error-summary",
            "-c",
        ],
        source_as_arg: true,
        ok_codes: &[0, 1],
    },
    ToolSpec {
        name: "py_compile",
        program: "python3",
        purpose: Purpose::Lint,
        languages: PY,
        args: &["-I", "-c", PY_COMPILE, "{path}"],
        source_as_arg: false,
        ok_codes: &[0, 1],
    },
    ToolSpec {
        name: "eslint",
        program: "eslint",
        purpose: Purpose::Lint,
        languages: JS,
        args: &["--stdin", "--stdin-filename", "{path}"],
        source_as_arg: false,
        ok_codes: &[0, 1],
    },
    ToolSpec {
        name: "shellcheck",
        program: "shellcheck",
        purpose: Purpose::Lint,
        languages: SH,
        args: &["--format=gcc", "-"],
        source_as_arg: false,
        ok_codes: &[0, 1],
    },
    ToolSpec {
        name: "ruff",
        program: "ruff",
        purpose: Purpose::Format,
        languages: PY,
        args: &["format", "--no-cache", "--stdin-filename", "{path}", "-"],
        source_as_arg: false,
        ok_codes: &[0],
    },
    ToolSpec {
        name: "black",
        program: "black",
        purpose: Purpose::Format,
        languages: PY,
        args: &["-q", "--stdin-filename", "{path}", "-"],
        source_as_arg: false,
        ok_codes: &[0],
    },
    ToolSpec {
        name: "rustfmt",
        program: "rustfmt",
        purpose: Purpose::Format,
        languages: &[LanguageType::Rust],
        args: &["--edition", "2024"],
        source_as_arg: false,
        ok_codes: &[0],
    },
    ToolSpec {
        name: "gofmt",
        program: "gofmt",
        purpose: Purpose::Format,
        languages: &[LanguageType::Go],
        args: &[],
        source_as_arg: false,
        ok_codes: &[0],
    },
    ToolSpec {
        name: "prettier",
        program: "prettier",
        purpose: Purpose::Format,
        languages: WEB,
        args: &["--stdin-filepath", "{path}"],
        source_as_arg: false,
        ok_codes: &[0],
    },
    ToolSpec {
        name: "shfmt",
        program: "shfmt",
        purpose: Purpose::Format,
        languages: SH,
        args: &[],
        source_as_arg: false,
        ok_codes: &[0],
    },
];

/// Longest source passed as an argument (Linux limits one argument to 128 KiB).
const MAX_ARG_SOURCE: usize = 120 * 1024;

/// Where `program` is installed, searching `PATH` from the exec environment.
pub fn locate(env: &[(String, String)], program: &str) -> Option<PathBuf> {
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str())?;
    let cwd = std::path::Path::new("/");
    which::which_in(program, Some(path), cwd).ok()
}

/// The tool for `purpose` named `name`, or the first installed one for `lang`.
pub fn choose(
    env: &[(String, String)],
    purpose: Purpose,
    name: Option<&str>,
    lang: Option<LanguageType>,
) -> Result<(&'static ToolSpec, PathBuf), FsError> {
    let verb = match purpose {
        Purpose::Lint => "linter",
        Purpose::Format => "formatter",
    };
    let candidates: Vec<&ToolSpec> = TOOLS.iter().filter(|t| t.purpose == purpose).collect();
    let known = || {
        let mut names: Vec<&str> = candidates.iter().map(|t| t.name).collect();
        names.dedup();
        names.join(", ")
    };
    if let Some(name) = name {
        let Some(spec) = candidates.iter().find(|t| t.name == name) else {
            return Err(FsError::arg(
                "tool",
                format!("{name:?} is not a known {verb}; known: {}", known()),
            ));
        };
        return match locate(env, spec.program) {
            Some(p) => Ok((spec, p)),
            None => Err(FsError::Failed(format!(
                "{name} is not installed (`{}` is not on PATH); installed {verb}s: {}",
                spec.program,
                installed(env, purpose)
            ))),
        };
    }
    let Some(lang) = lang else {
        return Err(FsError::arg(
            "tool",
            format!(
                "the file's language is unknown; name a {verb} ({})",
                known()
            ),
        ));
    };
    let fitting: Vec<&&ToolSpec> = candidates
        .iter()
        .filter(|t| t.languages.contains(&lang))
        .collect();
    if fitting.is_empty() {
        return Err(FsError::Failed(format!(
            "no {verb} is known for {}; known {verb}s: {}",
            lang.name(),
            known()
        )));
    }
    for spec in &fitting {
        if let Some(p) = locate(env, spec.program) {
            return Ok((spec, p));
        }
    }
    Err(FsError::Failed(format!(
        "no {verb} for {} is installed; tried {} (none on PATH)",
        lang.name(),
        fitting
            .iter()
            .map(|t| t.name)
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// Names of the installed tools for `purpose`, or `none`.
fn installed(env: &[(String, String)], purpose: Purpose) -> String {
    let mut names: Vec<&str> = TOOLS
        .iter()
        .filter(|t| t.purpose == purpose && locate(env, t.program).is_some())
        .map(|t| t.name)
        .collect();
    names.dedup();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Ran {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output (capped).
    pub stdout: String,
    /// Standard error (capped).
    pub stderr: String,
}

/// How a tool runs: its environment and limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits<'a> {
    /// The whole environment of the child.
    pub env: &'a [(String, String)],
    /// When it is killed.
    pub timeout: Duration,
    /// Most bytes kept of stdout and of stderr.
    pub max_output: usize,
}

/// Run `spec` (at `program`) on `source`, shown as `display` (an absolute path), in `cwd`.
pub async fn run(
    spec: &ToolSpec,
    program: &std::path::Path,
    source: &str,
    display: &str,
    cwd: &std::path::Path,
    limits: Limits<'_>,
) -> Result<Ran, FsError> {
    let Limits {
        env,
        timeout,
        max_output,
    } = limits;
    let mut args: Vec<String> = spec
        .args
        .iter()
        .map(|a| a.replace("{path}", display))
        .collect();
    if spec.source_as_arg {
        if source.len() > MAX_ARG_SOURCE {
            return Err(FsError::Failed(format!(
                "{} takes the source as an argument, limited to {MAX_ARG_SOURCE} bytes; this file has {}",
                spec.name,
                source.len()
            )));
        }
        args.push(source.to_owned());
    }
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| FsError::Failed(format!("cannot start {}: {e}", spec.name)))?;
    let mut stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let input = if spec.source_as_arg {
        Vec::new()
    } else {
        source.as_bytes().to_vec()
    };
    let feed = async move {
        if let Some(mut s) = stdin.take() {
            // A tool may exit without reading everything; that is its business.
            let _ = s.write_all(&input).await;
            let _ = s.shutdown().await;
        }
    };
    let work = async {
        let ((), out, err) = tokio::join!(
            feed,
            read_capped(stdout, max_output),
            read_capped(stderr, max_output)
        );
        let status = child.wait().await;
        (status, out, err)
    };
    let (status, out, err) = match tokio::time::timeout(timeout, work).await {
        Ok(v) => v,
        Err(_) => {
            return Err(FsError::Failed(format!(
                "{} did not finish within {:?} (FS_EXEC_TIMEOUT) and was killed",
                spec.name, timeout
            )));
        }
    };
    let status = status.map_err(|e| FsError::Failed(format!("{} failed: {e}", spec.name)))?;
    let text = |mut b: Vec<u8>| {
        let cut = b.len() > max_output;
        b.truncate(max_output);
        let mut s = String::from_utf8_lossy(&b).into_owned();
        if cut {
            s.push_str("\n... (output truncated at FS_MAX_OUTPUT_BYTES)");
        }
        s
    };
    Ok(Ran {
        code: status.code(),
        stdout: text(out),
        stderr: text(err),
    })
}

/// Up to `max + 1` bytes of a child's pipe (one more than kept, to know it was cut).
async fn read_capped<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>, max: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(p) = pipe {
        let _ = p.take(max as u64 + 1).read_to_end(&mut buf).await;
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_missing_tools_are_named() {
        let env = vec![("PATH".to_owned(), "/nonexistent".to_owned())];
        let e = choose(&env, Purpose::Lint, Some("nope"), None).unwrap_err();
        assert!(e.to_string().contains("not a known linter"), "{e}");
        let e = choose(&env, Purpose::Lint, Some("ruff"), None).unwrap_err();
        assert!(e.to_string().contains("ruff is not installed"), "{e}");
        assert!(e.to_string().contains("installed linters: none"), "{e}");
        let e = choose(&env, Purpose::Format, None, Some(LanguageType::Rust)).unwrap_err();
        assert!(
            e.to_string().contains("no formatter for Rust is installed"),
            "{e}"
        );
        let e = choose(&env, Purpose::Lint, None, Some(LanguageType::Toml)).unwrap_err();
        assert!(e.to_string().contains("no linter is known for TOML"), "{e}");
    }
}
