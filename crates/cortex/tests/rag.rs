//! Ingest and query through the real binary against a real ChromaDB and the real local embedder:
//! the right answers come first, re-ingesting is an upsert, changed and deleted files are
//! followed, the cache is real, bad input is a named error, progress is reported.

#![allow(clippy::unwrap_used)]

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{INGESTED, World, err, ok, sources, write};
use rmcp::{
    ClientHandler, RoleClient, ServiceExt as _,
    model::{CallToolRequestParams, ClientRequest, ProgressNotificationParam, Request},
    service::{NotificationContext, PeerRequestOptions},
    transport::StreamableHttpClientTransport,
};
use serde_json::{Value, json};

async fn count(c: &fleet_testkit::Client) -> u64 {
    ok(c, "cortex_collection_count", json!({})).await["count"]
        .as_u64()
        .unwrap()
}

async fn chunks_of(c: &fleet_testkit::Client, source: &str) -> Vec<Value> {
    ok(
        c,
        "cortex_get_documents",
        json!({"where": {"source": source}, "limit": 100}),
    )
    .await["documents"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn ingest_is_an_upsert_and_follows_changed_and_deleted_files() {
    let w = World::new().await;
    let (_s, c) = w.cortex(&[]).await;

    let first = ok(&c, "cortex_ingest_full", json!({})).await;
    assert_eq!(first["status"], "success", "{first}");
    assert_eq!(first["files_ingested"], INGESTED.len() as u64, "{first}");
    assert_eq!(first["documents_processed"], first["files_ingested"]);
    let chunks = first["chunks_upserted"].as_u64().unwrap();
    assert!(chunks > INGESTED.len() as u64, "{first}");
    assert_eq!(count(&c).await, chunks);
    // .gitignore, excluded directories, binaries: never ingested.
    let skipped: Vec<&str> = first["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["docs/corrupt.md"], "{first}");
    assert!(
        first["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("binary")
    );
    for never in [
        "secret/keys.md",
        "target/debug/generated.md",
        "docs/corrupt.md",
    ] {
        assert!(
            chunks_of(&c, never).await.is_empty(),
            "{never} was ingested"
        );
    }

    // Again: nothing changed, nothing written, no duplicates.
    let again = ok(&c, "cortex_ingest_full", json!({})).await;
    assert_eq!(again["files_unchanged"], INGESTED.len() as u64, "{again}");
    assert_eq!(again["files_ingested"], 0);
    assert_eq!(again["chunks_upserted"], 0);
    assert_eq!(count(&c).await, chunks);
    // Forced: everything re-embedded, still no duplicates (ids derive from content).
    let forced = ok(&c, "cortex_ingest_full", json!({"force": true})).await;
    assert_eq!(forced["chunks_upserted"], chunks);
    assert_eq!(count(&c).await, chunks);

    // A changed file replaces its chunks.
    let before = chunks_of(&c, "notes/astronomy.txt").await;
    assert!(!before.is_empty());
    write(
        w.corpus.path(),
        "notes/astronomy.txt",
        b"Mars has two small moons, Phobos and Deimos. Olympus Mons on Mars is the tallest volcano in the solar system.\n",
    );
    let inc = ok(
        &c,
        "cortex_ingest_incremental",
        json!({"file_paths": ["notes/astronomy.txt"]}),
    )
    .await;
    assert_eq!(inc["files_ingested"], 1, "{inc}");
    assert!(inc["chunks_deleted"].as_u64().unwrap() >= 1, "{inc}");
    let after = chunks_of(&c, "notes/astronomy.txt").await;
    let texts: Vec<&str> = after
        .iter()
        .map(|d| d["document"].as_str().unwrap())
        .collect();
    assert!(texts.iter().all(|t| !t.contains("Jupiter")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("Phobos")), "{texts:?}");
    assert_eq!(
        count(&c).await,
        chunks - before.len() as u64 + after.len() as u64
    );
    let q = ok(
        &c,
        "cortex_query",
        json!({"query": "What are the moons of Mars called?", "use_cache": false}),
    )
    .await;
    assert_eq!(sources(&q)[0], "notes/astronomy.txt");
    assert!(
        q["results"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Phobos")
    );

    // A deleted file loses its chunks and parents on the next full ingest...
    std::fs::remove_file(w.corpus.path().join("docs/guides/volcanoes.md")).unwrap();
    let full = ok(
        &c,
        "cortex_ingest_full",
        json!({"source_directories": ["docs"]}),
    )
    .await;
    assert_eq!(full["files_removed"], 1, "{full}");
    assert_eq!(full["removed"], json!(["docs/guides/volcanoes.md"]));
    assert!(chunks_of(&c, "docs/guides/volcanoes.md").await.is_empty());
    // ...and a file deleted then named to the incremental ingest too.
    std::fs::remove_file(w.corpus.path().join("src/chain.rs")).unwrap();
    let gone = ok(
        &c,
        "cortex_ingest_incremental",
        json!({"file_paths": ["src/chain.rs"]}),
    )
    .await;
    assert_eq!(gone["files_removed"], 1, "{gone}");
    assert!(chunks_of(&c, "src/chain.rs").await.is_empty());

    let stats = ok(&c, "cortex_get_stats", json!({})).await;
    assert_eq!(stats["total_documents"], 3, "{stats}");
    assert_eq!(stats["total_chunks"], count(&c).await);
    assert_eq!(stats["health_status"], "healthy", "{stats}");
    assert_eq!(stats["last_ingest"]["kind"], "incremental");

    // Purge empties both stores.
    let purged = ok(
        &c,
        "cortex_ingest_full",
        json!({"source_directories": ["docs/protocols"], "purge_existing": true}),
    )
    .await;
    assert_eq!(purged["purged"], true);
    assert_eq!(purged["files_ingested"], 1);
    let stats = ok(&c, "cortex_get_stats", json!({})).await;
    assert_eq!(stats["total_documents"], 1, "{stats}");
    assert_eq!(stats["total_chunks"], count(&c).await);
}

#[tokio::test]
async fn queries_return_the_known_answer_first_with_parents_and_locations() {
    let w = World::new().await;
    let (_s, c) = w.cortex(&[]).await;
    ok(&c, "cortex_ingest_full", json!({})).await;
    for (query, want) in [
        (
            "How do I bake sourdough bread in the oven?",
            "docs/guides/baking.md",
        ),
        (
            "What happens when a volcano erupts and lava flows?",
            "docs/guides/volcanoes.md",
        ),
        ("Which moons orbit Jupiter?", "notes/astronomy.txt"),
        (
            "Can I commit straight to the main branch?",
            "docs/protocols/p101_git_safety.md",
        ),
        (
            "function that enforces the chain timeout of the hops",
            "src/chain.rs",
        ),
    ] {
        let r = ok(
            &c,
            "cortex_query",
            json!({"query": query, "max_results": 3}),
        )
        .await;
        assert_eq!(sources(&r)[0], want, "{query}: {r}");
        let results = r["results"].as_array().unwrap();
        assert!(results.len() <= 3);
        // Distinct parents, scores in [0, 1] and descending, parent text containing the match.
        let mut parents: Vec<&str> = results
            .iter()
            .map(|x| x["parent_id"].as_str().unwrap())
            .collect();
        parents.sort();
        parents.dedup();
        assert_eq!(parents.len(), results.len(), "{r}");
        let scores: Vec<f64> = results
            .iter()
            .map(|x| x["score"].as_f64().unwrap())
            .collect();
        assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "{scores:?}");
        assert!(scores.windows(2).all(|p| p[0] >= p[1]), "{scores:?}");
        let top = &results[0];
        assert!(!top["parent_missing"].as_bool().unwrap_or(false));
        assert!(
            top["content"].as_str().unwrap().contains(
                top["matched_chunk"]["text"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .take(40)
                    .collect::<String>()
                    .as_str()
            )
        );
        let (start, end) = (
            top["location"]["start_line"].as_u64().unwrap(),
            top["location"]["end_line"].as_u64().unwrap(),
        );
        assert!(start >= 1 && end >= start, "{top}");
        let child = &top["matched_chunk"]["location"];
        assert!(
            child["start_line"].as_u64().unwrap() >= start
                && child["end_line"].as_u64().unwrap() <= end
        );
    }
    // Code is tagged with its splitter.
    let r = ok(
        &c,
        "cortex_query",
        json!({"query": "enforce_chain_timeout", "source": "src"}),
    )
    .await;
    assert_eq!(sources(&r), ["src/chain.rs"]);
    assert_eq!(r["results"][0]["kind"], "code:rust");

    // A source filter keeps results inside a file or a directory.
    let r = ok(
        &c,
        "cortex_query",
        json!({"query": "volcano lava eruption", "source": "docs/protocols/", "max_results": 5}),
    )
    .await;
    assert!(
        sources(&r).iter().all(|s| s.starts_with("docs/protocols/")),
        "{r}"
    );
    assert_eq!(r["source_filter"], "docs/protocols");
    let r = ok(
        &c,
        "cortex_query",
        json!({"query": "bread", "source": "notes/astronomy.txt"}),
    )
    .await;
    assert_eq!(sources(&r), ["notes/astronomy.txt"]);
    let r = ok(
        &c,
        "cortex_query",
        json!({"query": "bread", "source": "no/such/dir"}),
    )
    .await;
    assert!(r["results"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_query_cache_is_used_when_asked_and_dropped_by_ingest() {
    let w = World::new().await;
    let (_s, c) = w.cortex(&[]).await;
    ok(&c, "cortex_ingest_full", json!({})).await;
    let q = json!({"query": "sourdough starter", "max_results": 2});
    let first = ok(&c, "cortex_query", q.clone()).await;
    assert_eq!(first["cache_hit"], false);
    let second = ok(&c, "cortex_query", q.clone()).await;
    assert_eq!(second["cache_hit"], true);
    assert_eq!(second["cache_tier"], "memory");
    assert_eq!(second["results"], first["results"]);
    // use_cache=false neither reads nor is served from the cache.
    let fresh = ok(
        &c,
        "cortex_query",
        json!({"query": "sourdough starter", "max_results": 2, "use_cache": false}),
    )
    .await;
    assert_eq!(fresh["cache_hit"], false);
    // Another max_results is another entry.
    let other = ok(
        &c,
        "cortex_query",
        json!({"query": "sourdough starter", "max_results": 1}),
    )
    .await;
    assert_eq!(other["cache_hit"], false);

    let stats = ok(&c, "cortex_cache_stats", json!({})).await;
    assert_eq!(stats["memory_hits"], 1, "{stats}");
    assert_eq!(stats["misses"], 2, "{stats}");
    assert_eq!(stats["namespaces"]["query"], 2, "{stats}");

    // A change to the collection drops cached results.
    write(
        w.corpus.path(),
        "docs/guides/baking.md",
        b"# Baking\n\nRye bread needs a sourdough starter too.\n",
    );
    ok(
        &c,
        "cortex_ingest_incremental",
        json!({"file_paths": ["docs/guides/baking.md"]}),
    )
    .await;
    let after = ok(&c, "cortex_query", q).await;
    assert_eq!(after["cache_hit"], false);
    assert!(
        after["results"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Rye bread")
    );
}

#[tokio::test]
async fn bad_arguments_are_errors_that_name_them() {
    let w = World::new().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.md"), "# outside").unwrap();
    std::os::unix::fs::symlink(outside.path(), w.corpus.path().join("escape")).unwrap();
    let (_s, c) = w.cortex(&[]).await;

    // Nothing ingested yet: a clear error, not an empty success.
    let e = err(&c, "cortex_query", json!({"query": "anything"})).await;
    assert!(
        e.contains("does not exist") && e.contains("cortex_ingest_full"),
        "{e}"
    );

    for (tool, args, wanted) in [
        (
            "cortex_query",
            json!({"query": "   "}),
            "invalid query: empty",
        ),
        (
            "cortex_query",
            json!({"query": "x", "max_results": 0}),
            "invalid max_results: 0 is outside 1..=50",
        ),
        (
            "cortex_query",
            json!({"query": "x", "max_results": 51}),
            "invalid max_results",
        ),
        (
            "cortex_query",
            json!({"query": "x".repeat(5000)}),
            "CORTEX_MAX_QUERY_CHARS",
        ),
        (
            "cortex_query",
            json!({"query": "x", "source": "../etc"}),
            "invalid source",
        ),
        ("cortex_query", json!({}), "missing field `query`"),
        (
            "cortex_ingest_full",
            json!({"source_directories": ["../.."]}),
            "invalid source_directories[0]",
        ),
        (
            "cortex_ingest_full",
            json!({"source_directories": ["docs", "/etc"]}),
            "invalid source_directories[1]: /etc is outside CORTEX_SOURCE_ROOT",
        ),
        (
            "cortex_ingest_full",
            json!({"source_directories": ["nope"]}),
            "nope is not a directory",
        ),
        (
            "cortex_ingest_full",
            json!({"source_directories": ["escape"]}),
            "symbolic link",
        ),
        (
            "cortex_ingest_incremental",
            json!({"file_paths": []}),
            "invalid file_paths: empty",
        ),
        (
            "cortex_ingest_incremental",
            json!({"file_paths": ["docs/../../x.md"]}),
            "invalid file_paths[0]",
        ),
        (
            "cortex_ingest_incremental",
            json!({"file_paths": ["notes", "docs"]}),
            "invalid file_paths[0]: notes is a directory",
        ),
        (
            "cortex_ingest_incremental",
            json!({"file_paths": ["escape/x.md"]}),
            "symbolic link",
        ),
        (
            "cortex_ingest_incremental",
            json!({"file_paths": vec!["a.md"; 1001]}),
            "over the limit of 1000",
        ),
        (
            "cortex_cache_set",
            json!({"query": "q", "answer": " "}),
            "invalid answer",
        ),
        (
            "cortex_cache_warmup",
            json!({"genesis_queries": []}),
            "invalid genesis_queries",
        ),
        (
            "cortex_cache_warmup",
            json!({"genesis_queries": ["fine", " "]}),
            "invalid genesis_queries[1]: empty",
        ),
        (
            "cortex_guardian_wakeup",
            json!({"mode": "loud"}),
            "invalid mode",
        ),
        ("cortex_get_documents", json!({"limit": 0}), "invalid limit"),
        (
            "cortex_get_documents",
            json!({"max_chars": 0}),
            "invalid max_chars",
        ),
        ("cortex_delete_documents", json!({}), "invalid ids"),
        (
            "cortex_collection_count",
            json!({"collection": "x"}),
            "invalid collection",
        ),
        (
            "cortex_collection_info",
            json!({"collection": "no_such_collection"}),
            "does not exist",
        ),
        ("cortex_ask", json!({"question": "q"}), "ollama is disabled"),
        (
            "cortex_ask",
            json!({"question": "q", "temperature": 3}),
            "invalid temperature",
        ),
        (
            "query_sanctuary_model",
            json!({"prompt": "hi", "max_tokens": 0}),
            "invalid max_tokens",
        ),
    ] {
        let e = err(&c, tool, args.clone()).await;
        assert!(e.contains(wanted), "{tool}({args}): {e}");
    }

    // Files outside the root never reach the collection.
    ok(&c, "cortex_ingest_full", json!({})).await;
    let all = ok(
        &c,
        "cortex_get_documents",
        json!({"where": {"source": {"$ne": "x"}}, "limit": 100}),
    )
    .await;
    assert!(all["documents"].as_array().unwrap().iter().all(|d| {
        !d["metadata"]["source"]
            .as_str()
            .unwrap()
            .starts_with("escape")
    }));
    // A filter Chroma refuses names the argument.
    let e = err(
        &c,
        "cortex_get_documents",
        json!({"where": {"source": {"$bogus": 1}}}),
    )
    .await;
    assert!(e.starts_with("invalid where"), "{e}");
}

#[derive(Clone, Default)]
struct Progress(Arc<Mutex<Vec<ProgressNotificationParam>>>);

impl ClientHandler for Progress {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push(params);
    }
}

#[tokio::test]
async fn ingest_reports_progress_when_asked() {
    let w = World::new().await;
    // Many small files and small groups, so there are several progress steps.
    for i in 0..70 {
        write(
            w.corpus.path(),
            &format!("many/f{i:03}.md"),
            format!("# File {i}\n\nText number {i}.\n").as_bytes(),
        );
    }
    let (server, _) = w.cortex(&[]).await;
    fleet_core::install_crypto_provider();
    let collector = Progress::default();
    let client = collector
        .clone()
        .serve(StreamableHttpClientTransport::from_uri(server.url("/mcp")))
        .await
        .unwrap();
    let mut params = CallToolRequestParams::new("cortex_ingest_full");
    params = params.with_arguments(
        json!({"source_directories": ["many"]})
            .as_object()
            .unwrap()
            .clone(),
    );
    let handle = client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let token = handle.progress_token.clone();
    let result = handle.await_response().await.unwrap();
    let rmcp::model::ServerResult::CallToolResult(result) = result else {
        panic!("not a tool result: {result:?}");
    };
    assert_eq!(fleet_testkit::structured(&result)["files_ingested"], 70);
    // Notifications are handled in their own tasks; wait for the last one.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let done = collector
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.total.is_some() && Some(p.progress) == p.total);
        if done || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let progress = collector.0.lock().unwrap().clone();
    assert!(progress.len() >= 3, "{progress:?}");
    assert!(
        progress
            .iter()
            .all(|p| p.progress_token == token && p.total == Some(70.0)),
        "{progress:?}"
    );
    let values: Vec<f64> = progress.iter().map(|p| p.progress).collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
    assert_eq!(values.last(), Some(&70.0));
    assert!(
        progress
            .last()
            .unwrap()
            .message
            .as_deref()
            .unwrap()
            .starts_with("done")
    );
}

#[tokio::test]
async fn collection_tools_list_peek_filter_and_delete() {
    let w = World::new().await;
    let (_s, c) = w.cortex(&[]).await;
    ok(&c, "cortex_ingest_full", json!({})).await;
    let total = count(&c).await;

    // Another collection in the same database, created behind cortex's back.
    let http = fleet_testkit::http();
    let db = format!(
        "{}/api/v2/tenants/default_tenant/databases/default_database",
        w.chroma.url
    );
    let made: Value = http
        .post(format!("{db}/collections"))
        .json(&json!({"name": "someone_else", "get_or_create": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = made["id"].as_str().unwrap();
    http.post(format!("{db}/collections/{id}/upsert"))
        .json(&json!({"ids": ["a", "b"], "embeddings": [[1.0, 0.0], [0.0, 1.0]], "documents": ["first", null], "metadatas": [{"k": 1}, null]}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    let list = ok(&c, "cortex_list_collections", json!({})).await;
    assert_eq!(list["total"], 2, "{list}");
    let by_name = |n: &str| {
        list["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("test_chunks")["managed_by_cortex"], true);
    assert_eq!(by_name("test_chunks")["count"], total);
    assert_eq!(by_name("test_chunks")["dimension"], 384);
    assert_eq!(by_name("someone_else")["managed_by_cortex"], false);
    assert_eq!(by_name("someone_else")["count"], 2);

    // Peek: cortex's own by default, any other by name (a record without a document is fine).
    let peek = ok(&c, "cortex_peek_collection", json!({"limit": 3})).await;
    assert_eq!(peek["count"], 3);
    assert!(peek["documents"][0]["metadata"]["source"].is_string());
    let other = ok(
        &c,
        "cortex_peek_collection",
        json!({"collection": "someone_else"}),
    )
    .await;
    assert_eq!(other["count"], 2);
    assert!(other["documents"][1]["document"].is_null());
    let n = ok(
        &c,
        "cortex_collection_count",
        json!({"collection": "someone_else"}),
    )
    .await;
    assert_eq!(n["count"], 2);

    // Filters on metadata and on document text, and a shortened document.
    let got = ok(
        &c,
        "cortex_get_documents",
        json!({"where": {"$and": [{"kind": "markdown"}, {"dirs": {"$contains": "docs/guides"}}]}, "limit": 100}),
    )
    .await;
    let docs = got["documents"].as_array().unwrap();
    assert!(!docs.is_empty());
    assert!(docs.iter().all(|d| {
        d["metadata"]["source"]
            .as_str()
            .unwrap()
            .starts_with("docs/guides/")
    }));
    let got = ok(
        &c,
        "cortex_get_documents",
        json!({"where_document": {"$contains": "Galileo"}, "max_chars": 10}),
    )
    .await;
    assert_eq!(
        got["documents"][0]["metadata"]["source"],
        "notes/astronomy.txt"
    );
    assert_eq!(got["documents"][0]["truncated"], true);
    assert_eq!(
        got["documents"][0]["document"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        10
    );

    // Delete by filter: the records go, the file's ingest record too, so the next ingest restores.
    let gone = chunks_of(&c, "notes/astronomy.txt").await.len() as u64;
    let d = ok(
        &c,
        "cortex_delete_documents",
        json!({"where": {"source": "notes/astronomy.txt"}}),
    )
    .await;
    assert_eq!(d["deleted"], gone, "{d}");
    assert_eq!(d["sources_invalidated"], json!(["notes/astronomy.txt"]));
    assert_eq!(count(&c).await, total - gone);
    let again = ok(&c, "cortex_ingest_full", json!({})).await;
    assert_eq!(again["files_ingested"], 1, "{again}");
    assert_eq!(count(&c).await, total);
    // Delete by ids in another collection leaves cortex's records alone.
    let d = ok(
        &c,
        "cortex_delete_documents",
        json!({"collection": "someone_else", "ids": ["a"]}),
    )
    .await;
    assert_eq!(d["sources_invalidated"], json!([]));
    assert_eq!(
        ok(
            &c,
            "cortex_collection_count",
            json!({"collection": "someone_else"})
        )
        .await["count"],
        1
    );
    assert_eq!(count(&c).await, total);
}

#[tokio::test]
async fn a_collection_deleted_behind_cortexs_back_is_recreated() {
    let w = World::new().await;
    let (_s, c) = w.cortex(&[]).await;
    ok(&c, "cortex_ingest_full", json!({})).await;
    let total = count(&c).await;
    let db = format!(
        "{}/api/v2/tenants/default_tenant/databases/default_database",
        w.chroma.url
    );
    fleet_testkit::http()
        .delete(format!("{db}/collections/test_chunks"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    // The next ingest rebuilds everything, although no file changed.
    let again = ok(&c, "cortex_ingest_full", json!({})).await;
    assert_eq!(again["files_ingested"], INGESTED.len() as u64, "{again}");
    assert_eq!(count(&c).await, total);
    let q = ok(
        &c,
        "cortex_query",
        json!({"query": "volcano lava", "use_cache": false}),
    )
    .await;
    assert_eq!(sources(&q)[0], "docs/guides/volcanoes.md");
    // Queries in the meantime say plainly what to do.
    fleet_testkit::http()
        .delete(format!("{db}/collections/test_chunks"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let e = err(
        &c,
        "cortex_query",
        json!({"query": "volcano", "use_cache": false}),
    )
    .await;
    assert!(
        e.contains("does not exist") && e.contains("cortex_ingest_full"),
        "{e}"
    );
}
