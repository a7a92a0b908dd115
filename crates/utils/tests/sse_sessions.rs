//! 50 concurrent legacy-SSE sessions, each with its own queue: every client gets exactly its own
//! replies. Request ids collide on purpose (every rmcp client numbers from 0), so a reply routed
//! to the wrong session would be accepted by the wrong client and fail the text comparison.

#![allow(clippy::unwrap_used)]

mod common;

use fleet_testkit::{args, call, sse_client, structured};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sse_sessions_each_get_only_their_own_replies() {
    let server = common::start(&[]).await;
    let url = server.url("/sse");
    let sessions = (0..50).map(|i| {
        let url = url.clone();
        tokio::spawn(async move {
            let client = sse_client(&url).await.unwrap();
            for round in 0..5 {
                let text = format!("session {i:02} round {round} ✓");
                let r = call(&client, "string_reverse", args(&[("text", json!(text))]))
                    .await
                    .unwrap();
                let expected: String = text.chars().rev().collect();
                assert_eq!(
                    structured(&r)["result"],
                    json!(expected),
                    "session {i} got someone else's reply"
                );
            }
            client
        })
    });
    let clients: Vec<_> = futures::future::join_all(sessions)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let (_, health) = server.get_json("/health").await.unwrap();
    assert_eq!(health["sse_sessions"], 50);
    for c in clients {
        c.cancel().await.unwrap();
    }
    // Closing a stream removes its session.
    for _ in 0..100 {
        let (_, health) = server.get_json("/health").await.unwrap();
        if health["sse_sessions"] == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("sessions were not removed after their clients disconnected");
}
