//! Every utils tool through the real binary and a real client: good inputs give the right answer,
//! bad inputs give an `isError` result that names the problem.

#![allow(clippy::unwrap_used)]

mod common;

use fleet_testkit::{Client, call, http_client, is_error, structured, text};
use serde_json::{Value, json};

async fn client() -> (fleet_testkit::Server, Client) {
    let server = common::start(&[("UTILS_MAX_TEXT_BYTES", "2048")]).await;
    let client = http_client(&server.url("/mcp")).await.unwrap();
    (server, client)
}

async fn ok(c: &Client, tool: &str, a: Value) -> Value {
    let r = call(c, tool, a).await.unwrap();
    structured(&r)
}

async fn err(c: &Client, tool: &str, a: Value) -> String {
    let r = call(c, tool, a.clone()).await.unwrap();
    assert!(is_error(&r), "{tool}({a}) should fail, got {r:?}");
    text(&r)
}

#[tokio::test]
async fn time_tools_honour_the_zone() {
    let (_s, c) = client().await;
    let r = ok(
        &c,
        "time_get_current_time",
        json!({"timezone_name": "Asia/Kathmandu"}),
    )
    .await;
    assert_eq!(r["timezone"], "Asia/Kathmandu");
    assert_eq!(r["utc_offset"], "+05:45");
    assert!(r["time"].as_str().unwrap().ends_with("+05:45"), "{r}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((r["unix_timestamp"].as_i64().unwrap() - now).abs() < 5);

    // No zone: the configured local zone (UTILS_LOCAL_TIMEZONE=Europe/Paris), not UTC.
    let local = ok(&c, "time_get_current_time", json!({})).await;
    assert_eq!(local["timezone"], "Europe/Paris");

    let peer = ok(
        &c,
        "get_current_time",
        json!({"timezone": "America/New_York"}),
    )
    .await;
    assert_eq!(
        peer.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["datetime", "day_of_week", "is_dst", "timezone"]
    );

    assert!(
        err(&c, "get_current_time", json!({"timezone": "Mars/Base"}))
            .await
            .contains("unknown time zone \"Mars/Base\"")
    );
    assert!(
        err(&c, "get_current_time", json!({"timezone": ""}))
            .await
            .contains("invalid timezone")
    );
    assert!(
        err(&c, "get_current_time", json!({}))
            .await
            .contains("missing field `timezone`")
    );
}

#[tokio::test]
async fn convert_time_handles_fractional_offsets_and_dst() {
    let (_s, c) = client().await;
    let r = ok(
        &c,
        "convert_time",
        json!({"source_timezone": "America/New_York", "time": "16:30", "target_timezone": "Asia/Kathmandu", "date": "2026-01-15"}),
    )
    .await;
    assert_eq!(r["time_difference"], "+10.75h");
    assert_eq!(r["target"]["datetime"], "2026-01-16T03:15:00+05:45");

    let gap = err(&c, "convert_time", json!({"source_timezone": "Europe/Paris", "time": "02:30", "target_timezone": "UTC", "date": "2026-03-29"})).await;
    assert!(gap.contains("does not exist in Europe/Paris"), "{gap}");
    let fold = ok(&c, "convert_time", json!({"source_timezone": "Europe/Paris", "time": "02:30", "target_timezone": "UTC", "date": "2026-10-25"})).await;
    assert_eq!(fold["target"]["datetime"], "2026-10-25T00:30:00+00:00");
    assert!(fold["note"].as_str().unwrap().contains("occurs twice"));

    assert!(
        err(
            &c,
            "convert_time",
            json!({"source_timezone": "UTC", "time": "25:00", "target_timezone": "UTC"})
        )
        .await
        .contains("invalid time")
    );
    assert!(err(&c, "convert_time", json!({"source_timezone": "UTC", "time": "10:00", "target_timezone": "UTC", "date": "2026-02-30"})).await.contains("invalid date"));
}

#[tokio::test]
async fn timezone_info_lists_and_describes() {
    let (_s, c) = client().await;
    let all = ok(&c, "time_get_timezone_info", json!({})).await;
    assert!(all["count"].as_u64().unwrap() > 300, "{}", all["count"]);
    assert_eq!(all["local_timezone"], "Europe/Paris");
    let asia = ok(
        &c,
        "time_get_timezone_info",
        json!({"search": "kathmandu", "timezone_name": "asia/kathmandu"}),
    )
    .await;
    assert_eq!(asia["available_timezones"], json!(["Asia/Kathmandu"]));
    assert_eq!(asia["zone"]["timezone"], "Asia/Kathmandu");
    assert_eq!(asia["zone"]["abbreviation"], "+0545");
    assert!(
        err(
            &c,
            "time_get_timezone_info",
            json!({"timezone_name": "Nowhere/Else"})
        )
        .await
        .contains("invalid timezone_name")
    );
}

#[tokio::test]
async fn calculator_answers_and_refuses_clearly() {
    let (_s, c) = client().await;
    let r = ok(
        &c,
        "calculator_calculate",
        json!({"expression": "sqrt(3^2 + 4^2) * 2 - 10 % 4"}),
    )
    .await;
    assert_eq!(r["result"], json!(8.0));
    assert_eq!(r["formatted"], "8");
    assert_eq!(
        ok(
            &c,
            "calculator_calculate",
            json!({"expression": "0.1 + 0.2"})
        )
        .await["formatted"],
        "0.3"
    );

    let cases = [
        ("1 / 0", "division by zero"),
        ("10 ^ 10 ^ 10", "overflow"),
        ("sqrt(-4)", "sqrt is undefined here"),
        ("2 +", "ends where a number was expected"),
        ("import os", "unknown name 'import'"),
        ("__import__('os').system('id')", "syntax error"),
    ];
    for (expr, expected) in cases {
        let msg = err(&c, "calculator_calculate", json!({"expression": expr})).await;
        assert!(msg.contains(expected), "{expr}: {msg}");
    }
    let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
    assert!(
        err(&c, "calculator_calculate", json!({"expression": deep}))
            .await
            .contains("nests deeper than 64")
    );
    let long = "1+".repeat(5000) + "1";
    assert!(
        err(&c, "calculator_calculate", json!({"expression": long}))
            .await
            .contains("the limit is 4096")
    );
    assert!(
        err(&c, "calculator_calculate", json!({"expression": 42}))
            .await
            .contains("invalid type")
    );

    assert_eq!(
        ok(&c, "calculator_add", json!({"a": 2.5, "b": 0.5})).await["result"],
        json!(3.0)
    );
    assert_eq!(
        ok(&c, "calculator_subtract", json!({"a": 2, "b": 5})).await["result"],
        json!(-3.0)
    );
    assert_eq!(
        ok(&c, "calculator_multiply", json!({"a": -4, "b": 2.5})).await["result"],
        json!(-10.0)
    );
    assert_eq!(
        ok(&c, "calculator_divide", json!({"a": 7, "b": 2})).await["result"],
        json!(3.5)
    );
    assert!(
        err(&c, "calculator_divide", json!({"a": 7, "b": 0}))
            .await
            .contains("division by zero")
    );
    assert!(
        err(&c, "calculator_multiply", json!({"a": 1e308, "b": 1e308}))
            .await
            .contains("overflow")
    );
    assert!(
        err(&c, "calculator_add", json!({"a": "two", "b": 2}))
            .await
            .contains("invalid type")
    );
}

#[tokio::test]
async fn uuid_tools_generate_and_validate() {
    let (_s, c) = client().await;
    for (tool, version) in [
        ("uuid_generate_uuid4", 4),
        ("uuid_generate_uuid1", 1),
        ("uuid_generate_uuid7", 7),
    ] {
        let r = ok(&c, tool, json!({})).await;
        let v = ok(&c, "uuid_validate_uuid", json!({"uuid_string": r["uuid"]})).await;
        assert_eq!(
            (v["valid"].as_bool(), v["version"].as_u64()),
            (Some(true), Some(version)),
            "{tool}: {r}"
        );
    }
    let many = ok(&c, "uuid_generate_uuid7", json!({"count": 50})).await;
    let ids: Vec<&str> = many["uuids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "v7 ids are time-ordered");
    let v1 = ok(&c, "uuid_generate_uuid1", json!({"count": 100})).await;
    let unique: std::collections::HashSet<_> = v1["uuids"].as_array().unwrap().iter().collect();
    assert_eq!(unique.len(), 100);

    let bad = ok(
        &c,
        "uuid_validate_uuid",
        json!({"uuid_string": "not-a-uuid"}),
    )
    .await;
    assert_eq!(bad["valid"], false);
    assert!(bad["error"].as_str().unwrap().contains("invalid"));
    assert!(
        err(&c, "uuid_generate_uuid4", json!({"count": 0}))
            .await
            .contains("invalid count")
    );
    assert!(
        err(&c, "uuid_generate_uuid4", json!({"count": 5000}))
            .await
            .contains("between 1 and 1000")
    );
}

#[tokio::test]
async fn string_tools_are_unicode_correct_and_bounded() {
    let (_s, c) = client().await;
    assert_eq!(
        ok(&c, "string_to_upper", json!({"text": "straße"})).await["result"],
        "STRASSE"
    );
    assert_eq!(
        ok(&c, "string_to_lower", json!({"text": "ÀBC"})).await["result"],
        "àbc"
    );
    assert_eq!(
        ok(&c, "string_trim", json!({"text": "\u{3000} hi \n"})).await["result"],
        "hi"
    );
    assert_eq!(
        ok(&c, "string_reverse", json!({"text": "ae\u{301}👨‍👩‍👧"})).await["result"],
        "👨‍👩‍👧e\u{301}a"
    );
    let wc = ok(
        &c,
        "string_word_count",
        json!({"text": "The quick, brown fox."}),
    )
    .await;
    assert_eq!(
        (wc["word_count"].as_u64(), wc["char_count"].as_u64()),
        (Some(4), Some(21))
    );
    let rep = ok(
        &c,
        "string_replace",
        json!({"text": "a-b-c", "old": "-", "new": "+", "count": 1}),
    )
    .await;
    assert_eq!(
        (rep["result"].as_str(), rep["replacements"].as_u64()),
        (Some("a+b-c"), Some(1))
    );

    assert!(
        err(
            &c,
            "string_replace",
            json!({"text": "abc", "old": "", "new": "x"})
        )
        .await
        .contains("invalid old")
    );
    let big = "x".repeat(3000);
    assert!(
        err(&c, "string_to_upper", json!({"text": big}))
            .await
            .contains("the limit is 2048")
    );
    let grows = ok(
        &c,
        "string_replace",
        json!({"text": "aaaa", "old": "a", "new": "bb"}),
    )
    .await;
    assert_eq!(grows["result"], "bbbbbbbb");
    assert!(
        err(
            &c,
            "string_replace",
            json!({"text": "a".repeat(1000), "old": "a", "new": "bbb"})
        )
        .await
        .contains("invalid new")
    );
    assert!(
        err(&c, "string_trim", json!({}))
            .await
            .contains("missing field `text`")
    );
}

#[tokio::test]
async fn capabilities_describe_the_fleet() {
    let (_s, c) = client().await;
    let r = ok(&c, "gateway_get_capabilities", json!({})).await;
    assert_eq!(r["total_clusters"], 5);
    let names: Vec<&str> = r["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sanctuary-utils",
            "sanctuary-filesystem",
            "sanctuary-network",
            "sanctuary-git",
            "sanctuary-cortex"
        ]
    );
    assert_eq!(
        r["utils_tools"].as_array().unwrap().len(),
        common::TOOLS.len()
    );
}

#[tokio::test]
async fn every_tool_is_described_annotated_and_typed() {
    let (_s, c) = client().await;
    let tools = c.peer().list_all_tools().await.unwrap();
    for t in tools.iter().filter(|t| !t.name.starts_with("fleet_fault")) {
        let desc = t.description.as_deref().unwrap_or("");
        assert!(desc.len() > 20, "{} needs a description", t.name);
        let a = t
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no annotations", t.name));
        assert_eq!(a.read_only_hint, Some(true), "{}", t.name);
        assert!(t.output_schema.is_some(), "{} has no output schema", t.name);
    }
}
