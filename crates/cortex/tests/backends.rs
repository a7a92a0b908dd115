//! The backends: Ollama through the test kit's stand-in (answers with citations, the embedder's
//! task prefixes, model status), Guardrail 6 (a slow hop is named, the chain budget caps the
//! total), an embedder mismatch, and a Chroma outage that cortex survives and recovers from.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{World, err, ok, sources};
use fleet_testkit::ollama::{Delays, StandIn, StandInConfig};
use serde_json::json;

async fn standin() -> StandIn {
    StandIn::start(StandInConfig::default()).await.unwrap()
}

#[tokio::test]
async fn ask_answers_from_retrieved_passages_and_cites_them() {
    let w = World::new().await;
    let ollama = standin().await;
    let (_s, c) = w
        .cortex(&[
            ("CORTEX_OLLAMA_URL", &ollama.url),
            ("CORTEX_EMBEDDER", "local"),
        ])
        .await;
    ok(&c, "cortex_ingest_full", json!({})).await;
    ollama.clear_requests();

    let a = ok(
        &c,
        "cortex_ask",
        json!({"question": "Which moons of Jupiter did Galileo discover?", "max_results": 2}),
    )
    .await;
    assert_eq!(a["status"], "success", "{a}");
    assert_eq!(a["sources"][0]["source"], "notes/astronomy.txt", "{a}");
    assert_eq!(a["sources"][0]["cited"], true, "{a}");
    assert!(
        a["answer"]
            .as_str()
            .unwrap()
            .starts_with("According to [1]"),
        "{a}"
    );
    assert!(a["answer"].as_str().unwrap().contains("Jupiter"), "{a}");
    assert_eq!(
        a["model"],
        "hf.co/richfrem/Sanctuary-Qwen2-7B-v1.0-GGUF-Final:Q4_K_M"
    );
    assert!(a["prompt_tokens"].as_u64().unwrap() > 10);
    // What the model was given: the system rules and numbered passages, never a stream.
    let chats: Vec<_> = ollama
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/chat")
        .collect();
    assert_eq!(chats.len(), 1);
    let body = &chats[0].body;
    assert_eq!(body["stream"], false);
    assert!(
        body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Cite every statement")
    );
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.starts_with("Context:\n\n[1] notes/astronomy.txt (lines "),
        "{user}"
    );
    assert!(
        user.ends_with("Question: Which moons of Jupiter did Galileo discover?"),
        "{user}"
    );

    // Nothing relevant: the model is not asked.
    ollama.clear_requests();
    let none = ok(
        &c,
        "cortex_ask",
        json!({"question": "zebra xylophone quantum", "min_score": 0.99}),
    )
    .await;
    assert_eq!(none["status"], "no_context");
    assert!(ollama.requests().iter().all(|r| r.path != "/api/chat"));

    // An unknown model is Ollama's own message, with its status.
    let e = err(
        &c,
        "cortex_ask",
        json!({"question": "Jupiter moons", "model": "missing-model"}),
    )
    .await;
    assert!(
        e.contains("HTTP 404") && e.contains("model \"missing-model\" not found"),
        "{e}"
    );

    // The model tools.
    let status = ok(&c, "check_sanctuary_model_status", json!({})).await;
    assert_eq!(status["available"], true, "{status}");
    assert_eq!(status["all_models"].as_array().unwrap().len(), 3);
    let reply = ok(
        &c,
        "query_sanctuary_model",
        json!({"prompt": "Say hello", "system_prompt": "Be brief", "max_tokens": 50}),
    )
    .await;
    assert!(
        reply["response"].as_str().unwrap().contains("Say hello"),
        "{reply}"
    );
    assert_eq!(
        reply["total_tokens"],
        reply["prompt_tokens"].as_u64().unwrap() + reply["completion_tokens"].as_u64().unwrap()
    );
    let sent = ollama
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/api/chat")
        .unwrap();
    assert_eq!(sent.body["options"]["num_predict"], 50);
    assert_eq!(sent.body["messages"][0]["role"], "system");
}

#[tokio::test]
async fn ollama_embeddings_carry_the_task_prefixes_and_a_model_switch_is_refused() {
    let w = World::new().await;
    let ollama = standin().await;
    // An explicit Ollama URL selects Ollama embeddings (CORTEX_EMBEDDER=auto).
    let (s, c) = w
        .cortex(&[
            ("CORTEX_OLLAMA_URL", &ollama.url),
            ("CORTEX_EMBEDDER", "auto"),
        ])
        .await;
    let ingest = ok(&c, "cortex_ingest_full", json!({})).await;
    assert_eq!(ingest["embedder"], "ollama/nomic-embed-text");
    let embeds: Vec<_> = ollama
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/embed")
        .collect();
    assert!(!embeds.is_empty());
    for r in &embeds {
        assert_eq!(r.body["model"], "nomic-embed-text");
        assert!(
            r.body["input"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.as_str().unwrap().starts_with("search_document: ")),
            "{}",
            r.body
        );
    }
    ollama.clear_requests();
    let q = ok(
        &c,
        "cortex_query",
        json!({"query": "sourdough bread oven", "use_cache": false}),
    )
    .await;
    assert_eq!(sources(&q)[0], "docs/guides/baking.md", "{q}");
    let sent = ollama
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/embed")
        .unwrap();
    assert_eq!(
        sent.body["input"],
        json!(["search_query: sourdough bread oven"])
    );
    let info = ok(&c, "cortex_collection_info", json!({})).await;
    assert_eq!(
        info["collection"]["metadata"]["cortex:embedding_model"],
        "nomic-embed-text"
    );
    assert_eq!(info["collection"]["metadata"]["cortex:dimension"], 768);
    drop(c);
    drop(s);

    // The same collection with the local embedder: a clear mismatch, not silent garbage.
    let (_s2, c2) = w.cortex(&[("CORTEX_EMBEDDER", "local")]).await;
    let e = err(&c2, "cortex_query", json!({"query": "sourdough"})).await;
    assert!(e.starts_with("embedding mismatch"), "{e}");
    assert!(
        e.contains("ollama/nomic-embed-text (768 dimensions)")
            && e.contains("local/all-MiniLM-L6-v2 (384 dimensions)"),
        "{e}"
    );
    assert!(e.contains("purge_existing"), "{e}");
    let e = err(
        &c2,
        "cortex_ingest_incremental",
        json!({"file_paths": ["notes/astronomy.txt"]}),
    )
    .await;
    assert!(e.starts_with("embedding mismatch"), "{e}");
    // Purging starts over with the local model.
    let purged = ok(&c2, "cortex_ingest_full", json!({"purge_existing": true})).await;
    assert_eq!(purged["embedder"], "local/all-MiniLM-L6-v2");
    let q = ok(
        &c2,
        "cortex_query",
        json!({"query": "sourdough bread oven"}),
    )
    .await;
    assert_eq!(sources(&q)[0], "docs/guides/baking.md");
}

#[tokio::test]
async fn each_hop_has_its_own_timeout_and_the_chain_has_a_total() {
    let w = World::new().await;
    let ollama = standin().await;
    let (_s, c) = w
        .cortex(&[
            ("CORTEX_OLLAMA_URL", &ollama.url),
            ("CORTEX_EMBEDDER", "ollama"),
            ("CORTEX_EMBED_TIMEOUT", "1s"),
            ("CORTEX_GENERATE_TIMEOUT", "1s"),
            ("CORTEX_CHAIN_TIMEOUT", "10s"),
        ])
        .await;
    ok(
        &c,
        "cortex_ingest_full",
        json!({"source_directories": ["notes"]}),
    )
    .await;

    // A slow embedder: the embed hop is named, with its limit and variable.
    ollama.set_delays(Delays {
        embed: Duration::from_secs(3),
        ..Delays::default()
    });
    let e = err(
        &c,
        "cortex_query",
        json!({"query": "Jupiter", "use_cache": false}),
    )
    .await;
    assert!(e.starts_with("embed timed out after"), "{e}");
    assert!(
        e.contains("(limit 1000 ms)") && e.contains("CORTEX_EMBED_TIMEOUT"),
        "{e}"
    );

    // A slow model: the generate hop, for cortex_ask and query_sanctuary_model alike.
    ollama.set_delays(Delays {
        chat: Duration::from_secs(3),
        ..Delays::default()
    });
    let e = err(&c, "cortex_ask", json!({"question": "Jupiter moons"})).await;
    assert!(e.starts_with("generate timed out after"), "{e}");
    assert!(e.contains("CORTEX_GENERATE_TIMEOUT"), "{e}");
    let e = err(&c, "query_sanctuary_model", json!({"prompt": "hello"})).await;
    assert!(e.starts_with("generate timed out after"), "{e}");

    // The server is still fine, and fast again once the backend is.
    ollama.set_delays(Delays::default());
    let a = ok(&c, "cortex_ask", json!({"question": "Jupiter moons"})).await;
    assert_eq!(a["status"], "success");
    assert!(a["timings"]["generate_ms"].as_u64().is_some());
}

#[tokio::test]
async fn the_chain_budget_cuts_a_hop_that_is_within_its_own_limit() {
    let w = World::new().await;
    let ollama = standin().await;
    let (_s, c) = w
        .cortex(&[
            ("CORTEX_OLLAMA_URL", &ollama.url),
            ("CORTEX_EMBEDDER", "ollama"),
            ("CORTEX_EMBED_TIMEOUT", "5s"),
            ("CORTEX_GENERATE_TIMEOUT", "20s"),
            ("CORTEX_CHAIN_TIMEOUT", "2s"),
        ])
        .await;
    ok(
        &c,
        "cortex_ingest_full",
        json!({"source_directories": ["notes"]}),
    )
    .await;
    // Embedding takes 1.2 s of the 2 s chain (within its 5 s limit); generation would take 3 s
    // (within its 20 s limit) but only about 0.8 s of the chain is left.
    ollama.set_delays(Delays {
        embed: Duration::from_millis(1200),
        chat: Duration::from_secs(3),
        ..Delays::default()
    });
    let e = err(&c, "cortex_ask", json!({"question": "Jupiter moons"})).await;
    assert!(
        e.starts_with("chain budget of 2000 ms exhausted during generate"),
        "{e}"
    );
    assert!(
        e.contains("CORTEX_GENERATE_TIMEOUT (chain: CORTEX_CHAIN_TIMEOUT)"),
        "{e}"
    );
}

#[tokio::test]
async fn ollama_unreachable_or_off_is_reported_not_fatal() {
    let w = World::new().await;
    // A port with nothing listening.
    let dead = format!(
        "http://127.0.0.1:{}",
        fleet_testkit::chroma::free_port().unwrap()
    );
    let (s, c) = w
        .cortex(&[("CORTEX_OLLAMA_URL", &dead), ("CORTEX_EMBEDDER", "local")])
        .await;
    let status = ok(&c, "check_sanctuary_model_status", json!({})).await;
    assert_eq!(status["reachable"], false);
    assert!(
        status["error"].as_str().unwrap().contains("is unreachable"),
        "{status}"
    );
    let e = err(&c, "query_sanctuary_model", json!({"prompt": "hi"})).await;
    assert!(
        e.starts_with(&format!("ollama at {dead}/ is unreachable")),
        "{e}"
    );
    // Retrieval does not need Ollama; /ready says Ollama is down but optional.
    ok(
        &c,
        "cortex_ingest_full",
        json!({"source_directories": ["notes"]}),
    )
    .await;
    ok(&c, "cortex_query", json!({"query": "Jupiter"})).await;
    let (code, ready) = s.get_json("/ready").await.unwrap();
    assert_eq!(code, 200, "{ready}");
    assert_eq!(ready["status"], "degraded", "{ready}");
    let deps = ready["dependencies"].as_array().unwrap();
    let ollama = deps.iter().find(|d| d["name"] == "ollama").unwrap();
    assert_eq!(
        (ollama["ok"].as_bool(), ollama["optional"].as_bool()),
        (Some(false), Some(true))
    );
    drop(c);
    drop(s);

    let (s, c) = w.cortex(&[("CORTEX_OLLAMA_URL", "off")]).await;
    let status = ok(&c, "check_sanctuary_model_status", json!({})).await;
    assert_eq!(
        (status["available"].as_bool(), status["reachable"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(status["error"].as_str().unwrap().contains("disabled"));
    let (code, ready) = s.get_json("/ready").await.unwrap();
    assert_eq!(
        (code, ready["status"].as_str()),
        (200, Some("ready")),
        "{ready}"
    );
    assert!(
        ready["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["name"] != "ollama")
    );
}

#[tokio::test]
async fn a_chroma_outage_is_survived_and_recovered_from_without_data_loss() {
    let mut w = World::new().await;
    let (mut s, c) = w.cortex(&[]).await;
    ok(&c, "cortex_ingest_full", json!({})).await;
    let before = ok(&c, "cortex_collection_count", json!({})).await["count"]
        .as_u64()
        .unwrap();
    let q = json!({"query": "volcano eruption lava", "use_cache": false});
    assert_eq!(
        sources(&ok(&c, "cortex_query", q.clone()).await)[0],
        "docs/guides/volcanoes.md"
    );

    w.chroma.stop().await.unwrap();
    let e = err(&c, "cortex_query", q.clone()).await;
    assert!(
        e.starts_with(&format!("chroma at {}/ is unreachable", w.chroma.url)),
        "{e}"
    );
    let e = err(
        &c,
        "cortex_ingest_incremental",
        json!({"file_paths": ["notes/astronomy.txt"], "force": true}),
    )
    .await;
    assert!(
        e.starts_with("chroma at") && e.contains("is unreachable"),
        "{e}"
    );
    let e = err(&c, "cortex_list_collections", json!({})).await;
    assert!(e.contains("is unreachable"), "{e}");
    let stats = ok(&c, "cortex_get_stats", json!({})).await;
    assert_eq!(stats["health_status"], "error", "{stats}");
    // The parent store still knows what was ingested.
    assert_eq!(stats["total_chunks"], before);
    let digest = ok(&c, "cortex_guardian_wakeup", json!({})).await;
    assert_eq!(digest["status"], "RED", "{digest}");
    let (code, ready) = s.get_json("/ready").await.unwrap();
    assert_eq!(
        (code, ready["status"].as_str()),
        (200, Some("degraded")),
        "{ready}"
    );
    let chroma = ready["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "chroma")
        .unwrap()
        .clone();
    assert_eq!(chroma["ok"], false);
    assert!(
        chroma["detail"].as_str().unwrap().contains("unreachable"),
        "{chroma}"
    );
    assert!(s.is_running());

    // Chroma returns (same data): cortex recovers on its own, nothing lost.
    w.chroma.restart().await.unwrap();
    let r = ok(&c, "cortex_query", q).await;
    assert_eq!(sources(&r)[0], "docs/guides/volcanoes.md");
    assert_eq!(
        ok(&c, "cortex_collection_count", json!({})).await["count"],
        before
    );
    let (code, ready) = s.get_json("/ready").await.unwrap();
    assert_eq!(
        (code, ready["status"].as_str()),
        (200, Some("ready")),
        "{ready}"
    );
    let again = ok(&c, "cortex_ingest_full", json!({})).await;
    assert_eq!(again["files_ingested"], 0, "nothing to redo: {again}");
    assert_eq!(
        ok(&c, "cortex_get_stats", json!({})).await["health_status"],
        "healthy"
    );
}
