//! `ollama-standin`: the test kit's Ollama stand-in as a process (for containers and scripts).
//!
//!     ollama-standin [--host H] [--port P] [--dimension 768] [--models a,b]
//!                    [--embed-delay-ms N] [--chat-delay-ms N] [--generate-delay-ms N] [--tags-delay-ms N]
//!     ollama-standin healthcheck        exit 0 when the stand-in on PORT answers
//!
//! Like the clusters, it reads `HOST` (default `0.0.0.0`) and `PORT` (default 11434, Ollama's)
//! from the environment; flags override them. Prints `listening on http://HOST:PORT` once bound
//! (port 0 picks a free one), then serves until SIGINT or SIGTERM. See `fleet_testkit::ollama`
//! for what it answers.

use std::{process::ExitCode, time::Duration};

use fleet_testkit::ollama::{Delays, StandInConfig, router_for};

fn usage() -> ExitCode {
    eprintln!(
        "usage: ollama-standin [--host H] [--port P] [--dimension N] [--models a,b] \
         [--embed-delay-ms N] [--chat-delay-ms N] [--generate-delay-ms N] [--tags-delay-ms N]\n       \
         ollama-standin healthcheck"
    );
    ExitCode::from(64)
}

/// `GET /` on the local port must answer 200 within 3 s.
fn healthcheck(port: u16) -> ExitCode {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return ExitCode::FAILURE;
    };
    runtime.block_on(async move {
        let r = fleet_testkit::http()
            .get(format!("http://127.0.0.1:{port}/"))
            .timeout(Duration::from_secs(3))
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
            _ => ExitCode::FAILURE,
        }
    })
}

fn main() -> ExitCode {
    let mut host = std::env::var("HOST").unwrap_or_else(|_| "0.0.0.0".to_owned());
    let mut port: u16 = match std::env::var("PORT") {
        Ok(p) => match p.parse() {
            Ok(p) => p,
            Err(_) => return usage(),
        },
        Err(_) => 11434,
    };
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck(port);
    }
    let mut config = StandInConfig::default();
    let mut delays = Delays::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            return usage();
        };
        let ms = |v: &str| v.parse::<u64>().ok().map(Duration::from_millis);
        let ok = match flag.as_str() {
            "--host" => {
                host = value;
                true
            }
            "--port" => value.parse().map(|p| port = p).is_ok(),
            "--dimension" => value.parse().map(|d| config.dimension = d).is_ok(),
            "--models" => {
                config.models = value
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                true
            }
            "--embed-delay-ms" => ms(&value).map(|d| delays.embed = d).is_some(),
            "--chat-delay-ms" => ms(&value).map(|d| delays.chat = d).is_some(),
            "--generate-delay-ms" => ms(&value).map(|d| delays.generate = d).is_some(),
            "--tags-delay-ms" => ms(&value).map(|d| delays.tags = d).is_some(),
            _ => false,
        };
        if !ok {
            return usage();
        }
    }
    config.delays = delays;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ollama-standin: {e}");
            return ExitCode::from(70);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("ollama-standin: cannot bind {host}:{port}: {e}");
                return ExitCode::from(69);
            }
        };
        match listener.local_addr() {
            Ok(addr) => {
                use std::io::Write as _;
                let mut out = std::io::stdout();
                let _ = writeln!(out, "listening on http://{addr}");
                let _ = out.flush();
            }
            Err(e) => {
                eprintln!("ollama-standin: {e}");
                return ExitCode::from(70);
            }
        }
        let shutdown = async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return std::future::pending::<()>().await,
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        match axum::serve(listener, router_for(config))
            .with_graceful_shutdown(shutdown)
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ollama-standin: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
