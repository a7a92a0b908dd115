//! A real ChromaDB server for tests: `chroma run` (PyPI `chromadb`, installed by
//! `scripts/setup.sh chroma` into `.cache/chroma/venv`) on a free loopback port with a temporary
//! data directory. It can be stopped and started again on the same port and data, to test outages
//! and recovery. Dropping it kills the process and removes the data.
//!
//! When Chroma is not installed, [`Chroma::start`] fails with the command that installs it.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

/// How long Chroma may take to answer its heartbeat after start.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The `chroma` executable: `$CHROMA_BIN`, else the project's `.cache/chroma/venv/bin/chroma`.
pub fn chroma_bin() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMA_BIN") {
        return Ok(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/chroma/venv/bin/chroma");
    if p.is_file() {
        return Ok(p);
    }
    bail!(
        "ChromaDB is not installed: run `scripts/setup.sh chroma` (it installs PyPI chromadb into \
         .cache/chroma/venv), or set CHROMA_BIN to a `chroma` executable; looked for {}",
        p.display()
    )
}

/// A free loopback port (bound then released).
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A running (or stopped) Chroma server with its own data directory.
#[derive(Debug)]
pub struct Chroma {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its port (kept across restarts).
    pub port: u16,
    data: tempfile::TempDir,
    log: PathBuf,
}

impl Chroma {
    /// Start Chroma on a free port with an empty data directory and wait for its heartbeat.
    pub async fn start() -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let port = free_port()?;
        let log = data.path().join("chroma.log");
        let mut c = Self {
            child: None,
            url: format!("http://127.0.0.1:{port}"),
            port,
            data,
            log,
        };
        c.restart().await?;
        Ok(c)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// (Re)start the server on the same port and data; waits for its heartbeat.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        let bin = chroma_bin()?;
        let db = self.data.path().join("db");
        std::fs::create_dir_all(&db)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(&bin)
            .arg("run")
            .arg("--host")
            .arg("127.0.0.1")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--path")
            .arg(&db)
            .env("ANONYMIZED_TELEMETRY", "False")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        self.child = Some(child);
        let http = crate::http();
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(r) = http
                .get(format!("{}/api/v2/heartbeat", self.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                && r.status().is_success()
            {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "chroma exited with {status} before answering; log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "chroma did not answer its heartbeat on {} in time",
                    self.url
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stop the server (SIGKILL, as an outage would) and wait for it to exit.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// What Chroma printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
