//! The cluster's surface through the real binary: every tool over stdio and SSE with its
//! description, schemas and annotations; the resources; the cache across a restart; readiness per
//! backend; start-up errors.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{BIN, TOOLS, World, err, ok};
use fleet_testkit::{Server, call, sse_client, stdio_client, structured, tool_names};
use rmcp::model::{
    ArgumentInfo, CompleteRequestParams, ReadResourceRequestParams, Reference, ResourceContents,
    ResourceTemplateReference,
};
use serde_json::json;

#[tokio::test]
async fn every_tool_is_served_over_stdio_with_description_schemas_and_annotations() {
    let w = World::new().await;
    let env = w.env(&[]);
    let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let c = stdio_client(BIN, &refs).await.unwrap();
    assert_eq!(tool_names(&c).await.unwrap(), TOOLS);
    for tool in c.peer().list_all_tools().await.unwrap() {
        let name = tool.name.to_string();
        let desc = tool.description.as_deref().unwrap_or_default();
        assert!(desc.len() > 60, "{name}: {desc:?}");
        let a = tool
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no annotations"));
        for hint in [
            a.read_only_hint,
            a.destructive_hint,
            a.idempotent_hint,
            a.open_world_hint,
        ] {
            assert!(hint.is_some(), "{name}: {a:?}");
        }
        assert_eq!(
            tool.input_schema.get("type").and_then(|t| t.as_str()),
            Some("object"),
            "{name}"
        );
        assert!(tool.output_schema.is_some(), "{name} has no output schema");
        let read_only = a.read_only_hint == Some(true);
        let writes = [
            "cortex_ingest_full",
            "cortex_ingest_incremental",
            "cortex_delete_documents",
            "cortex_cache_set",
            "cortex_cache_warmup",
            "cortex_guardian_wakeup",
        ];
        assert_eq!(read_only, !writes.contains(&name.as_str()), "{name}");
    }
    // A real call over stdio.
    let r = ok(
        &c,
        "cortex_ingest_full",
        json!({"source_directories": ["notes"]}),
    )
    .await;
    assert_eq!(r["files_ingested"], 1);
    let q = ok(&c, "cortex_query", json!({"query": "Jupiter's moons"})).await;
    assert_eq!(q["results"][0]["source"], "notes/astronomy.txt");
    // Gateways slugify names; the hyphenated spelling works too.
    let r = call(&c, "cortex-cache-stats", json!({})).await.unwrap();
    assert!(structured(&r)["ttl_seconds"].as_u64().is_some());
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn the_cache_works_over_sse_and_survives_a_restart_in_sqlite() {
    let w = World::new().await;
    let (s, _) = w.cortex(&[("CORTEX_CACHE_TTL", "1h")]).await;
    let c = sse_client(&s.url("/sse")).await.unwrap();
    let miss = ok(
        &c,
        "cortex_cache_get",
        json!({"query": "What is Protocol 101?"}),
    )
    .await;
    assert_eq!(
        (miss["cache_hit"].as_bool(), miss["answer"].is_null()),
        (Some(false), true)
    );
    let set = ok(
        &c,
        "cortex_cache_set",
        json!({"query": "What is Protocol 101?", "answer": "The git safety rules."}),
    )
    .await;
    assert_eq!(set["stored"], true);
    assert_eq!(set["ttl_seconds"], 3600);
    assert_eq!(set["cache_key"].as_str().unwrap().len(), 64);
    let hit = ok(
        &c,
        "cortex_cache_get",
        json!({"query": "  What is   Protocol 101? "}),
    )
    .await;
    assert_eq!(
        (hit["answer"].as_str(), hit["tier"].as_str()),
        (Some("The git safety rules."), Some("memory"))
    );
    let e = err(
        &c,
        "cortex_cache_set",
        json!({"query": "big", "answer": "x".repeat(2 * 1024 * 1024)}),
    )
    .await;
    assert!(
        e.starts_with("invalid answer") && e.contains("CORTEX_CACHE_MAX_VALUE_BYTES"),
        "{e}"
    );
    let stats = ok(&c, "cortex_cache_stats", json!({})).await;
    assert_eq!(
        (
            stats["memory_hits"].as_u64(),
            stats["misses"].as_u64(),
            stats["sets"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{stats}"
    );
    c.cancel().await.unwrap();
    s.terminate().await.unwrap();

    // A new process on the same state volume: the answer comes from SQLite, then from memory.
    let (_s2, c2) = w.cortex(&[]).await;
    let hit = ok(
        &c2,
        "cortex_cache_get",
        json!({"query": "What is Protocol 101?"}),
    )
    .await;
    assert_eq!(
        (hit["answer"].as_str(), hit["tier"].as_str()),
        (Some("The git safety rules."), Some("sqlite"))
    );
    let hit = ok(
        &c2,
        "cortex_cache_get",
        json!({"query": "What is Protocol 101?"}),
    )
    .await;
    assert_eq!(hit["tier"], "memory");
    let stats = ok(&c2, "cortex_cache_stats", json!({})).await;
    assert_eq!(
        (stats["sqlite_hits"].as_u64(), stats["memory_hits"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(stats["sqlite"]["entries"], 1);
    assert!(stats["db_path"].as_str().unwrap().ends_with("cache.sqlite"));

    // Warm-up: answers from the top result, counted.
    ok(&c2, "cortex_ingest_full", json!({})).await;
    let warm = ok(
        &c2,
        "cortex_cache_warmup",
        json!({"genesis_queries": ["What is Protocol 101?", "How is sourdough bread baked?"]}),
    )
    .await;
    assert_eq!(
        (
            warm["cache_hits"].as_u64(),
            warm["cache_misses"].as_u64(),
            warm["queries_cached"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{warm}"
    );
    let warmed = ok(
        &c2,
        "cortex_cache_get",
        json!({"query": "How is sourdough bread baked?"}),
    )
    .await;
    assert!(
        warmed["answer"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("sourdough"),
        "{warmed}"
    );
    // The warm-up also filled the query cache.
    let q = ok(
        &c2,
        "cortex_query",
        json!({"query": "How is sourdough bread baked?", "max_results": 3}),
    )
    .await;
    assert_eq!(q["cache_hit"], true);
}

#[tokio::test]
async fn resources_list_collections_stats_and_the_digest() {
    let w = World::new().await;
    let (s, c) = w.cortex(&[]).await;
    ok(&c, "cortex_ingest_full", json!({})).await;
    let peer = c.peer();
    let mut uris: Vec<String> = peer
        .list_all_resources()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.uri.clone())
        .collect();
    uris.sort();
    assert_eq!(
        uris,
        [
            "cortex://collections",
            "cortex://guardian/digest",
            "cortex://stats"
        ]
    );
    let templates = peer.list_all_resource_templates().await.unwrap();
    assert_eq!(templates[0].uri_template, "cortex://collections/{name}");

    let read = |uri: &str| {
        let uri = uri.to_owned();
        async move {
            let r = peer
                .read_resource(ReadResourceRequestParams::new(uri))
                .await?;
            Ok::<_, rmcp::ServiceError>(match &r.contents[0] {
                ResourceContents::TextResourceContents { text, .. } => text.clone(),
                other => panic!("not text: {other:?}"),
            })
        }
    };
    let list: serde_json::Value =
        serde_json::from_str(&read("cortex://collections").await.unwrap()).unwrap();
    let mine = list["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "test_chunks")
        .unwrap();
    assert_eq!(mine["managed_by_cortex"], true);
    assert!(mine["count"].as_u64().unwrap() > 0);
    let one: serde_json::Value =
        serde_json::from_str(&read("cortex://collections/test_chunks").await.unwrap()).unwrap();
    assert_eq!(one["collection"]["count"], mine["count"]);
    assert_eq!(one["sample"].as_array().unwrap().len(), 3);
    let stats: serde_json::Value =
        serde_json::from_str(&read("cortex://stats").await.unwrap()).unwrap();
    assert_eq!(stats["total_documents"], 5);
    assert!(read("cortex://collections/missing_one").await.is_err());
    assert!(read("cortex://nothing").await.is_err());

    // The digest: built fresh when none was written, then the one the tool wrote.
    let fresh = read("cortex://guardian/digest").await.unwrap();
    assert!(fresh.starts_with("# Guardian Boot Digest"), "{fresh}");
    assert!(
        !w.state.path().join("guardian_boot_digest.md").exists(),
        "reading must not write"
    );
    let woke = ok(&c, "cortex_guardian_wakeup", json!({})).await;
    assert_eq!(woke["status"], "GREEN", "{woke}");
    let on_disk = std::fs::read_to_string(woke["digest_path"].as_str().unwrap()).unwrap();
    assert_eq!(on_disk, woke["digest"].as_str().unwrap());
    assert_eq!(read("cortex://guardian/digest").await.unwrap(), on_disk);
    for needle in [
        "| chroma | up |",
        "| embedder | up |",
        "Collection `test_chunks`",
        "from 5 files",
        "| full | success | 5 |",
        "## Largest sources",
        "docs/guides/baking.md",
    ] {
        assert!(
            on_disk.contains(needle),
            "{needle:?} missing from\n{on_disk}"
        );
    }
    let summary = ok(&c, "cortex_guardian_wakeup", json!({"mode": "summary"})).await;
    assert!(
        !summary["digest"]
            .as_str()
            .unwrap()
            .contains("## Largest sources")
    );

    // Completion of the collection name in the template.
    let done = peer
        .complete(CompleteRequestParams::new(
            Reference::Resource(ResourceTemplateReference::new(
                "cortex://collections/{name}",
            )),
            ArgumentInfo::new("name", "test_"),
        ))
        .await
        .unwrap();
    assert_eq!(done.completion.values, ["test_chunks"]);
    drop(s);
}

#[tokio::test]
async fn readiness_reports_each_backend_and_a_missing_model() {
    let w = World::new().await;
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().display().to_string();
    let (s, c) = w.cortex(&[("CORTEX_MODEL_DIR", &dir)]).await;
    let (code, ready) = s.get_json("/ready").await.unwrap();
    assert_eq!(
        (code, ready["status"].as_str()),
        (503, Some("unready")),
        "{ready}"
    );
    let deps = ready["dependencies"].as_array().unwrap();
    assert_eq!(
        deps.iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["chroma", "embedder"]
    );
    assert_eq!(deps[0]["ok"], true);
    let detail = deps[1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("model.safetensors is missing")
            && detail.contains("scripts/fetch-model.sh"),
        "{detail}"
    );
    let e = err(&c, "cortex_ingest_full", json!({})).await;
    assert!(e.contains("CORTEX_MODEL_DIR"), "{e}");
    // Tools that need no embedder still work; the health summary says what is wrong.
    let stats = ok(&c, "cortex_get_stats", json!({})).await;
    assert_eq!(stats["health_status"], "degraded");
    let (_, health) = s.get_json("/health").await.unwrap();
    assert_eq!(health["tools"], TOOLS.len());
}

#[test]
fn bad_configuration_exits_78_naming_every_variable() {
    let out = Command::new(BIN)
        .env("FLEET_CONTAINER", "1")
        .env("CORTEX_CHROMA_URL", "http://127.0.0.1:8000")
        .env("CORTEX_EMBEDDER", "gpu")
        .env("CORTEX_CHILD_OVERLAP_CHARS", "900")
        .env("CORTEX_STATE_DIR", "/proc/cortex-state")
        .env_remove("PORT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for var in [
        "CORTEX_CHROMA_URL",
        "CORTEX_EMBEDDER",
        "CORTEX_CHILD_OVERLAP_CHARS",
    ] {
        assert!(stderr.contains(var), "{var} missing from {stderr}");
    }
    assert!(stderr.contains("sanctuary-vector-db"), "{stderr}");

    // Settings are fine but the state volume is not writable.
    let out = Command::new(BIN)
        .env("CORTEX_STATE_DIR", "/proc/cortex-state")
        .env("FLEET_CONTAINER", "0")
        .env_remove("PORT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CORTEX_STATE_DIR") && stderr.contains("/proc/cortex-state"),
        "{stderr}"
    );

    let help = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for v in sanctuary_cortex::CORTEX_VARS {
        assert!(help.contains(v.name), "{} missing from --help", v.name);
    }
}

#[tokio::test]
async fn the_manifest_and_health_name_the_cluster() {
    let w = World::new().await;
    let (s, _c): (Server, _) = w.cortex(&[]).await;
    let (_, manifest) = s.get_json("/manifest").await.unwrap();
    assert_eq!(manifest["server_name"], "sanctuary-cortex");
    assert_eq!(manifest["tools"].as_array().unwrap().len(), TOOLS.len());
}
