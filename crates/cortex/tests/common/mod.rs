//! Shared fixtures: a real ChromaDB, a small corpus whose right answers are known, the local
//! model, and the cortex binary started against them.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use fleet_testkit::{Client, Server, chroma::Chroma, http_client};
/// Call a tool that must succeed or fail (shared with the other clusters' tests).
#[allow(unused_imports)] // like the rest of this module, not every test binary uses them
pub use fleet_testkit::{err, ok};
use serde_json::Value;

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_sanctuary-cortex");

/// Every tool of the cluster.
pub const TOOLS: [&str; 18] = [
    "check_sanctuary_model_status",
    "cortex_ask",
    "cortex_cache_get",
    "cortex_cache_set",
    "cortex_cache_stats",
    "cortex_cache_warmup",
    "cortex_collection_count",
    "cortex_collection_info",
    "cortex_delete_documents",
    "cortex_get_documents",
    "cortex_get_stats",
    "cortex_guardian_wakeup",
    "cortex_ingest_full",
    "cortex_ingest_incremental",
    "cortex_list_collections",
    "cortex_peek_collection",
    "cortex_query",
    "query_sanctuary_model",
];

/// The local model fetched by `scripts/fetch-model.sh` (or `CORTEX_TEST_MODEL_DIR`).
pub fn model_dir() -> PathBuf {
    let dir = std::env::var_os("CORTEX_TEST_MODEL_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/models/all-MiniLM-L6-v2"),
        PathBuf::from,
    );
    assert!(
        dir.join("model.safetensors").is_file(),
        "the local embedding model is missing from {}: run `scripts/setup.sh model` (or scripts/fetch-model.sh)",
        dir.display()
    );
    dir
}

/// Write `content` at `root/rel`, creating directories.
pub fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// Paragraphs on one topic, long enough to make several chunks.
fn topic(title: &str, sentences: &[&str], repeat: usize) -> String {
    let mut s = format!("# {title}\n\n");
    for i in 0..repeat {
        s.push_str(&format!("## Part {}\n\n", i + 1));
        for line in sentences {
            s.push_str(line);
            s.push(' ');
        }
        s.push_str("\n\n");
    }
    s
}

/// A corpus with distinct topics, plus things that must not be ingested.
pub fn corpus() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(
        r,
        "docs/guides/baking.md",
        topic(
            "Baking sourdough bread",
            &[
                "Feed the sourdough starter with flour and water the night before baking.",
                "Knead the dough, let it rise, then shape the loaf.",
                "Bake the bread in a hot oven at 240 degrees with steam until the crust is dark brown.",
            ],
            4,
        )
        .as_bytes(),
    );
    write(
        r,
        "docs/guides/volcanoes.md",
        topic(
            "Volcanoes",
            &[
                "A volcano erupts when magma rises through the crust.",
                "Lava flows down the slopes and cools into basalt rock.",
                "Ash clouds from an eruption can ground aircraft.",
            ],
            4,
        )
        .as_bytes(),
    );
    write(
        r,
        "docs/protocols/p101_git_safety.md",
        topic(
            "Protocol 101: git safety",
            &[
                "Never commit directly to the main branch.",
                "Work on a feature branch named feature/task-<id>-<slug> and open a pull request.",
                "Run the test suite before every commit and push.",
            ],
            3,
        )
        .as_bytes(),
    );
    write(
        r,
        "notes/astronomy.txt",
        b"Jupiter has dozens of moons. The four largest moons of Jupiter are Io, Europa, Ganymede and Callisto, \
          discovered by Galileo in 1610. Europa has an ocean of liquid water under its ice.\n\n\
          Saturn is famous for its rings of ice and rock.\n",
    );
    write(
        r,
        "src/chain.rs",
        b"//! Chain timeouts.\n\n/// Run every hop of the retrieval chain under its own timeout and the total budget.\n\
          pub fn enforce_chain_timeout(hops: &[u64], total: u64) -> bool {\n    hops.iter().sum::<u64>() <= total\n}\n\n\
          /// Another function, about something else entirely.\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n",
    );
    write(r, ".gitignore", b"secret/\n");
    write(
        r,
        "secret/keys.md",
        b"# Secret\n\nThe launch code is 0000.\n",
    );
    write(
        r,
        "target/debug/generated.md",
        b"# Generated\n\nbuild output\n",
    );
    write(r, "assets/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0binary");
    write(
        r,
        "docs/corrupt.md",
        b"# Looks like text\0 but has a NUL byte\n",
    );
    d
}

/// Files of [`corpus`] that are ingested.
pub const INGESTED: [&str; 5] = [
    "docs/guides/baking.md",
    "docs/guides/volcanoes.md",
    "docs/protocols/p101_git_safety.md",
    "notes/astronomy.txt",
    "src/chain.rs",
];

/// A test world: Chroma, a corpus, a state directory.
pub struct World {
    /// The real Chroma.
    pub chroma: Chroma,
    /// The corpus (CORTEX_SOURCE_ROOT).
    pub corpus: tempfile::TempDir,
    /// CORTEX_STATE_DIR.
    pub state: tempfile::TempDir,
}

impl World {
    /// Start Chroma and lay out the corpus.
    pub async fn new() -> Self {
        let chroma = Chroma::start()
            .await
            .unwrap_or_else(|e| panic!("cortex's tests need a real ChromaDB: {e:#}"));
        Self {
            chroma,
            corpus: corpus(),
            state: tempfile::tempdir().unwrap(),
        }
    }

    /// The environment for cortex: this world, the local embedder, Ollama off, plus `extra`.
    pub fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            ("CORTEX_CHROMA_URL".into(), self.chroma.url.clone()),
            (
                "CORTEX_STATE_DIR".into(),
                self.state.path().display().to_string(),
            ),
            (
                "CORTEX_SOURCE_ROOT".into(),
                self.corpus.path().display().to_string(),
            ),
            ("CORTEX_MODEL_DIR".into(), model_dir().display().to_string()),
            ("CORTEX_OLLAMA_URL".into(), "off".into()),
            ("CORTEX_EMBEDDER".into(), "local".into()),
            ("CORTEX_COLLECTION".into(), "test_chunks".into()),
            // Several cortex processes embed at once on a small CI machine; the hop limits are
            // tested on their own (tests/backends.rs) with the values they need.
            ("CORTEX_EMBED_TIMEOUT".into(), "60s".into()),
            ("CORTEX_SEARCH_TIMEOUT".into(), "60s".into()),
            ("CORTEX_CHAIN_TIMEOUT".into(), "120s".into()),
        ];
        for (k, v) in extra {
            env.retain(|(ek, _)| ek != k);
            env.push(((*k).to_owned(), (*v).to_owned()));
        }
        env
    }

    /// Start cortex over HTTP and connect a client.
    pub async fn cortex(&self, extra: &[(&str, &str)]) -> (Server, Client) {
        let env = self.env(extra);
        let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let server = Server::start(BIN, &refs).await.expect("cortex starts");
        let client = http_client(&server.url("/mcp")).await.unwrap();
        (server, client)
    }
}

/// Sources of a query's results, in rank order.
pub fn sources(result: &Value) -> Vec<String> {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap().to_owned())
        .collect()
}
