//! The command line every cluster binary shares: run, `healthcheck`, `--help`, `--version`.
//!
//! A cluster's `main.rs` is one call to [`run_main`], which reads the environment (core and
//! cluster settings together, so every problem is reported at once), installs logging, builds the
//! runtime and serves until SIGTERM. Exit codes say what went wrong (see [`crate::error`]).

use std::{io::Write as _, process::ExitCode, time::Duration};

use crate::{
    cluster::Cluster,
    config::{CORE_VARS, CoreConfig, EnvReader, EnvVar, ProcessEnv},
    error::{CoreError, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, EXIT_USAGE},
    server::Fleet,
};

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Serve,
    Health,
    Help,
    Version,
    Bad(String),
}

fn parse(args: &[String]) -> Command {
    match args {
        [] => Command::Serve,
        [a] if a == "healthcheck" => Command::Health,
        [a] if a == "--help" || a == "-h" || a == "help" => Command::Help,
        [a] if a == "--version" || a == "-V" => Command::Version,
        other => Command::Bad(other.join(" ")),
    }
}

/// Everything `--help` prints, built from the same tables the parser uses.
pub fn help_text(name: &str, version: &str, description: &str, cluster_vars: &[EnvVar]) -> String {
    let mut s = format!(
        "{name} {version}\n{description}\n\n\
         Usage: {name} [healthcheck | --help | --version]\n\n\
         With PORT set, serves MCP over HTTP on HOST:PORT: Streamable HTTP at /mcp, legacy SSE at /sse\n\
         (+ POST /messages), and /health, /ready, /manifest, /metrics; registers with MCP_GATEWAY_URL if set.\n\
         Without PORT, serves one MCP session on stdin/stdout (logs go to stderr).\n\
         `{name} healthcheck` exits 0 when the server on PORT answers /health.\n\n\
         Exit codes: 0 ok, 1 failure or unhealthy, 64 bad usage, 69 port unavailable, 70 internal error, 78 bad configuration.\n"
    );
    let mut section = |title: &str, vars: &[EnvVar]| {
        if vars.is_empty() {
            return;
        }
        s.push_str(&format!("\n{title}:\n"));
        for v in vars {
            let default = if v.default.is_empty() {
                "unset"
            } else {
                v.default
            };
            s.push_str(&format!(
                "  {:<36} {}\n  {:<36} (default: {})\n",
                v.name, v.help, "", default
            ));
        }
    };
    section("Environment (shared by every cluster)", CORE_VARS);
    section("Environment (this cluster)", cluster_vars);
    s
}

/// Run a cluster binary: parse arguments and environment, then serve. `build` reads the
/// cluster's own settings from the same reader (recording problems there) and returns the
/// cluster, or `None` when a problem was recorded.
pub fn run_main<C, F>(build: F) -> ExitCode
where
    C: Cluster,
    F: FnOnce(&mut EnvReader<'_>, &CoreConfig) -> Option<C>,
{
    let info = C::INFO;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args) {
        Command::Help => {
            let _ = std::io::stdout().write_all(
                help_text(info.name, info.version, info.description, info.env_vars).as_bytes(),
            );
            return ExitCode::from(EXIT_OK);
        }
        Command::Version => {
            let _ = writeln!(std::io::stdout(), "{} {}", info.name, info.version);
            return ExitCode::from(EXIT_OK);
        }
        Command::Bad(a) => {
            let _ = writeln!(
                std::io::stderr(),
                "{}: unexpected arguments {a:?}\nUsage: {} [healthcheck | --help | --version]",
                info.name,
                info.name
            );
            return ExitCode::from(EXIT_USAGE);
        }
        Command::Health => return healthcheck(info.name),
        Command::Serve => {}
    }

    let env = ProcessEnv;
    let mut reader = EnvReader::new(&env);
    let core = CoreConfig::read(info.name, &mut reader);
    let cluster = build(&mut reader, &core);
    if let Err(e) = reader.finish() {
        let _ = writeln!(
            std::io::stderr(),
            "{}: {e}\nSee `{} --help` and docs/CONFIGURATION.md.",
            info.name,
            info.name
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    let Some(cluster) = cluster else {
        let _ = writeln!(
            std::io::stderr(),
            "{}: the cluster could not be configured",
            info.name
        );
        return ExitCode::from(EXIT_CONFIG);
    };
    crate::telemetry::init(core.log_format, &core.log_filter);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(CoreError::Runtime(e)),
    };
    let result = runtime.block_on(async move {
        let fleet = Fleet::new(cluster, core);
        crate::serve::serve(fleet, crate::shutdown::signal()).await
    });
    // Abandoned calls (past the grace period) must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => report(e),
    }
}

fn report(e: CoreError) -> ExitCode {
    tracing::error!(error = %e, "fatal");
    let _ = writeln!(std::io::stderr(), "error: {e}");
    e.exit_code()
}

/// Probe `http://<local host>:$PORT/health`; exit 0 only on `200` with `"status":"ok"`, printing
/// the health document (one JSON line) so scripts can read the registration state through
/// `podman exec <container> /usr/local/bin/cluster healthcheck`.
fn healthcheck(name: &str) -> ExitCode {
    let env = ProcessEnv;
    let mut r = EnvReader::new(&env);
    let core = CoreConfig::read(name, &mut r);
    let Some(addr) = core.listen else {
        let _ = writeln!(
            std::io::stderr(),
            "{name} healthcheck: PORT is not set (the server runs on stdio, which has no health endpoint)"
        );
        return ExitCode::from(EXIT_USAGE);
    };
    let host = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("http://{host}:{}/health", addr.port());
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(async {
                let client = crate::http_client(name, "healthcheck", Duration::from_secs(3))
                    .map_err(|e| e.to_string())?;
                let resp = client.get(&url).send().await.map_err(|e| e.to_string())?;
                let status = resp.status();
                let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
                if status.is_success() && body["status"] == "ok" {
                    Ok(body)
                } else {
                    Err(format!("HTTP {status}: {body}"))
                }
            })
        });
    match outcome {
        Ok(body) => {
            // The health document (registration state included) for `podman exec … healthcheck`.
            let _ = writeln!(std::io::stdout(), "{body}");
            ExitCode::from(EXIT_OK)
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "{name} healthcheck: {url}: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn commands() {
        assert_eq!(parse(&args(&[])), Command::Serve);
        assert_eq!(parse(&args(&["healthcheck"])), Command::Health);
        assert_eq!(parse(&args(&["-h"])), Command::Help);
        assert_eq!(parse(&args(&["--version"])), Command::Version);
        assert_eq!(
            parse(&args(&["--port", "80"])),
            Command::Bad("--port 80".into())
        );
    }

    #[test]
    fn help_lists_every_core_and_cluster_variable() {
        let cluster = [EnvVar {
            name: "UTILS_LOCAL_TIMEZONE",
            default: "UTC",
            help: "zone",
        }];
        let text = help_text("sanctuary-utils", "0.1.0", "pure compute", &cluster);
        for v in CORE_VARS.iter().chain(cluster.iter()) {
            assert!(text.contains(v.name), "{} missing from --help", v.name);
        }
    }
}
