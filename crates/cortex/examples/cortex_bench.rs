//! The cortex benchmark driver (run by `scripts/bench-cortex.sh`): ingest throughput on a corpus,
//! query latency cold and warm, cache-hit latency, and the server's memory.
//!
//!     cortex_bench --bin target/release/sanctuary-cortex --corpus DIR [--queries 200] [--cold 8] [--hits 1000]
//!
//! It starts a real ChromaDB (the test kit's harness: `.cache/chroma/venv`), runs the cortex
//! binary against it with the local embedder, and talks to it with rmcp's client over Streamable
//! HTTP on loopback, so latencies are round trips through the real server. Definitions:
//! - ingest: one `cortex_ingest_full` of the corpus; chunks/s = child chunks written / wall time;
//! - cold query: the first query of a freshly started process (model load and Chroma's index
//!   load included), one per restart;
//! - warm query: a query never asked before (`use_cache: false`), model and index loaded;
//! - cache hit: the same query again with `use_cache: true` (answered from the memory tier).
//!
//! Prints Markdown for docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{Context as _, bail};
use fleet_testkit::{
    Client, Server, call, chroma::Chroma, http_client, is_error, structured, text,
};
use serde_json::{Value, json};

/// Questions about the corpus (the sources of some well-known crates).
const QUERIES: &[&str] = &[
    "How do I spawn a blocking task on the runtime?",
    "What happens when a oneshot sender is dropped?",
    "How is a TCP listener bound to an address?",
    "How do I deserialize JSON into a struct?",
    "What error does from_str return for trailing characters?",
    "How does the client set a request timeout?",
    "How are HTTP/2 connections configured?",
    "How does a tool router dispatch a call?",
    "What is the maximum frame size?",
    "How is a tensor moved to another device?",
    "How does matrix multiplication broadcast?",
    "How is a BERT model loaded from safetensors?",
    "What does the layer norm epsilon do?",
    "How are environment variables read?",
    "How is a mutex poisoned after a panic?",
    "How does the select macro pick a branch?",
    "How do I read a file line by line asynchronously?",
    "What is the difference between a semaphore and a mutex?",
    "How are cookies stored between requests?",
    "How do I stream a response body?",
    "How does graceful shutdown work in the server?",
    "What are the rules for serializing enums?",
    "How do I rename a field when serializing?",
    "How does the scheduler steal work between threads?",
    "How is the time driver paused in tests?",
    "How are redirects followed?",
    "How do I add a header to every request?",
    "How does the decoder handle chunked transfer encoding?",
    "How are unicode escapes parsed in strings?",
    "How is a number with an exponent parsed?",
    "What does the interval tick do when it is late?",
    "How do I cancel a task?",
    "How does a broadcast channel handle lagging receivers?",
    "How is memory mapped for a tensor?",
    "How does the attention mask get applied?",
    "How do I create a custom error type?",
    "What is a waker and how is it used?",
    "How do I limit the number of concurrent requests?",
    "How does the progress notification reach the client?",
    "How do I implement a server handler?",
];

struct Args {
    bin: PathBuf,
    corpus: PathBuf,
    queries: usize,
    cold: usize,
    hits: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        bin: PathBuf::from("target/release/sanctuary-cortex"),
        corpus: PathBuf::from(".cache/bench/cortex-corpus"),
        queries: 200,
        cold: 8,
        hits: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--bin" => a.bin = v.into(),
            "--corpus" => a.corpus = v.into(),
            "--queries" => a.queries = v.parse()?,
            "--cold" => a.cold = v.parse()?,
            "--hits" => a.hits = v.parse()?,
            _ => bail!("unknown flag {k}"),
        }
    }
    Ok(a)
}

fn corpus_bytes(dir: &Path) -> (u64, u64) {
    let mut bytes = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(m) = e.metadata() {
                bytes += m.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Summary {
    p50: f64,
    p90: f64,
    p99: f64,
    n: usize,
}

fn summary(mut ms: Vec<f64>) -> Summary {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    Summary {
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        n: ms.len(),
    }
}

fn row(name: &str, s: &Summary) -> String {
    format!(
        "| {name} | {:.1} | {:.1} | {:.1} | {} |",
        s.p50, s.p90, s.p99, s.n
    )
}

async fn timed(c: &Client, tool: &str, args: Value) -> anyhow::Result<(f64, Value)> {
    let t = Instant::now();
    let r = call(c, tool, args).await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if is_error(&r) {
        bail!("{tool} failed: {}", text(&r));
    }
    Ok((ms, structured(&r)))
}

fn env_for(chroma: &Chroma, state: &Path, corpus: &Path, model: &Path) -> Vec<(String, String)> {
    vec![
        ("CORTEX_CHROMA_URL".into(), chroma.url.clone()),
        ("CORTEX_STATE_DIR".into(), state.display().to_string()),
        ("CORTEX_SOURCE_ROOT".into(), corpus.display().to_string()),
        ("CORTEX_MODEL_DIR".into(), model.display().to_string()),
        ("CORTEX_OLLAMA_URL".into(), "off".into()),
        ("CORTEX_EMBEDDER".into(), "local".into()),
        ("CORTEX_COLLECTION".into(), "bench_chunks".into()),
        // One ingest of the whole corpus runs long on a small CPU.
        ("CORTEX_INGEST_TIMEOUT".into(), "3h".into()),
        ("FLEET_SESSION_IDLE_TIMEOUT".into(), "3h".into()),
    ]
}

async fn start(bin: &Path, env: &[(String, String)]) -> anyhow::Result<(Server, Client)> {
    let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Server::start(bin.to_str().context("binary path is not UTF-8")?, &refs).await?;
    let c = http_client(&s.url("/mcp")).await?;
    Ok((s, c))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/models/all-MiniLM-L6-v2");
    let (bytes, files) = corpus_bytes(&a.corpus);
    if bytes < 5 * 1024 * 1024 {
        bail!(
            "the corpus {} holds {bytes} bytes; the benchmark wants at least 5 MiB",
            a.corpus.display()
        );
    }
    let chroma = Chroma::start().await?;
    let state = tempfile::tempdir()?;
    let corpus = a.corpus.canonicalize()?;
    let env = env_for(&chroma, state.path(), &corpus, &model);

    // Ingest.
    let (s, c) = start(&a.bin, &env).await?;
    let pid = s.pid().context("no pid")?;
    let idle_rss = rss_kib(pid, "VmRSS:");
    let (ingest_ms, ingest) = timed(&c, "cortex_ingest_full", json!({})).await?;
    let chunks = ingest["chunks_upserted"].as_u64().unwrap_or(0);
    let parents = ingest["parents_written"].as_u64().unwrap_or(0);
    let ingested = ingest["files_ingested"].as_u64().unwrap_or(0);
    let after_ingest_rss = rss_kib(pid, "VmHWM:");
    let (reingest_ms, reingest) = timed(&c, "cortex_ingest_full", json!({})).await?;

    // Warm queries: every question is new to the cache (use_cache false), several rounds.
    let mut warm = Vec::new();
    let mut top_sources = Vec::new();
    for i in 0..a.queries {
        let q = format!("{} ({})", QUERIES[i % QUERIES.len()], i / QUERIES.len());
        let (ms, r) = timed(
            &c,
            "cortex_query",
            json!({"query": q, "max_results": 5, "use_cache": false}),
        )
        .await?;
        warm.push(ms);
        if i < QUERIES.len() {
            top_sources.push(r["results"][0]["source"].as_str().unwrap_or("").to_owned());
        }
    }
    // Cache hits: the same question, answered from the cache.
    let hit_q = json!({"query": QUERIES[0], "max_results": 5, "use_cache": true});
    timed(&c, "cortex_query", hit_q.clone()).await?;
    let mut hits = Vec::new();
    for _ in 0..a.hits {
        let (ms, r) = timed(&c, "cortex_query", hit_q.clone()).await?;
        if r["cache_hit"] != true {
            bail!("expected a cache hit: {r}");
        }
        hits.push(ms);
    }
    let mut cache_get = Vec::new();
    timed(
        &c,
        "cortex_cache_set",
        json!({"query": "bench", "answer": "x".repeat(1000)}),
    )
    .await?;
    for _ in 0..a.hits {
        cache_get.push(
            timed(&c, "cortex_cache_get", json!({"query": "bench"}))
                .await?
                .0,
        );
    }
    let peak_rss = rss_kib(pid, "VmHWM:");
    let steady_rss = rss_kib(pid, "VmRSS:");
    drop(c);
    s.terminate().await?;

    // Cold queries: a fresh process each time, its first query.
    let mut cold = Vec::new();
    let mut start_ms = Vec::new();
    for i in 0..a.cold {
        let t = Instant::now();
        let (s, c) = start(&a.bin, &env).await?;
        start_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let q = QUERIES[(i * 7 + 3) % QUERIES.len()];
        cold.push(
            timed(
                &c,
                "cortex_query",
                json!({"query": q, "max_results": 5, "use_cache": false}),
            )
            .await?
            .0,
        );
        drop(c);
        s.terminate().await?;
    }
    drop(chroma);

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "Corpus: {files} files, {:.2} MiB ({}); {ingested} files ingested into {parents} parents and {chunks} child chunks.\n",
        bytes as f64 / 1048576.0,
        a.corpus.display()
    );
    println!("| measurement | value |\n|---|---|");
    println!(
        "| ingest (cold: empty collection) | {chunks} chunks in {:.1} s = **{:.1} chunks/s** ({:.0} KiB/s) |",
        ingest_ms / 1000.0,
        chunks as f64 / (ingest_ms / 1000.0),
        bytes as f64 / 1024.0 / (ingest_ms / 1000.0)
    );
    println!(
        "| re-ingest, nothing changed | {:.1} s ({} files unchanged, {} chunks written) |",
        reingest_ms / 1000.0,
        reingest["files_unchanged"],
        reingest["chunks_upserted"]
    );
    println!(
        "| RSS idle after start | {:.1} MiB |",
        idle_rss as f64 / 1024.0
    );
    println!(
        "| peak RSS during ingest | {:.1} MiB |",
        after_ingest_rss as f64 / 1024.0
    );
    println!(
        "| peak RSS over the whole run (VmHWM) | {:.1} MiB |",
        peak_rss as f64 / 1024.0
    );
    println!("| RSS at the end | {:.1} MiB |", steady_rss as f64 / 1024.0);
    println!();
    println!("| query round trip | p50 ms | p90 ms | p99 ms | n |\n|---|---|---|---|---|");
    println!(
        "{}",
        row(
            "cold: first query of a fresh process (model + index load)",
            &summary(cold)
        )
    );
    println!(
        "{}",
        row("warm: new query, `use_cache: false`", &summary(warm))
    );
    println!(
        "{}",
        row("cache hit: `cortex_query`, memory tier", &summary(hits))
    );
    println!(
        "{}",
        row("cache hit: `cortex_cache_get`", &summary(cache_get))
    );
    println!(
        "{}",
        row("start to healthy (spawn → /health 200)", &summary(start_ms))
    );
    println!();
    println!(
        "Load average during the run (end): {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for s in top_sources {
        let krate = s.split('/').next().unwrap_or("").to_owned();
        *counts.entry(krate).or_default() += 1;
    }
    println!(
        "Top result per crate over the {} distinct questions: {counts:?}",
        QUERIES.len().min(a.queries)
    );
    Ok(())
}
