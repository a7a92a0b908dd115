//! A small typed client for ChromaDB 1.x's v2 REST API, on the workspace's reqwest.
//!
//! Why not the `chromadb` crate: measured at 2.3.0, its `heartbeat()`/`version()` still call the
//! removed v1 API (410 Gone), a query fails to decode when a hit has no document, and it pulls
//! reqwest 0.11, hyper 0.14 and minreq beside the fleet's reqwest 0.13. This client covers the
//! endpoints cortex uses, treats every per-hit field as nullable, and keeps Chroma's HTTP status
//! and message in its errors.
//!
//! Data-plane calls take the collection's UUID (Chroma refuses names there); collection calls
//! take the name. Every call is bounded by the client's timeout; callers add Guardrail 6 hops.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use url::Url;

use crate::error::{CortexError, describe};

/// Metadata of a record or collection: string keys, JSON scalar (or array) values.
pub type Metadata = Map<String, Value>;

/// Chroma's rule for collection names.
pub fn validate_collection_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let ends_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !(3..=512).contains(&name.len()) || !ok_chars || !ends_ok {
        return Err(format!(
            "{name:?} is not a valid collection name: 3-512 characters of a-z A-Z 0-9 . _ -, starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// A collection as Chroma describes it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Collection {
    /// UUID used by data-plane calls.
    pub id: String,
    /// Name.
    pub name: String,
    /// User metadata (cortex records its embedder here).
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// Embedding dimension, once the first record fixed it.
    #[serde(default)]
    pub dimension: Option<u64>,
}

/// Records to upsert: parallel lists.
#[derive(Debug, Default, Serialize)]
pub struct Upsert {
    /// Record ids.
    pub ids: Vec<String>,
    /// One embedding per id.
    pub embeddings: Vec<Vec<f32>>,
    /// One document per id.
    pub documents: Vec<String>,
    /// One metadata object per id.
    pub metadatas: Vec<Metadata>,
}

/// A nearest-neighbour query for one embedding.
#[derive(Debug, Serialize)]
pub struct Query {
    /// The query embedding (one per query; cortex sends one).
    pub query_embeddings: Vec<Vec<f32>>,
    /// Hits wanted.
    pub n_results: usize,
    /// Metadata filter.
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    /// Fields wanted: documents, metadatas, distances.
    pub include: Vec<&'static str>,
}

/// Hits of one query, nested per query embedding; every per-hit field may be null.
#[derive(Debug, Default, Deserialize)]
pub struct QueryResult {
    /// Ids per query.
    #[serde(default)]
    pub ids: Vec<Vec<String>>,
    /// Documents per query.
    #[serde(default)]
    pub documents: Option<Vec<Vec<Option<String>>>>,
    /// Metadatas per query.
    #[serde(default)]
    pub metadatas: Option<Vec<Vec<Option<Metadata>>>>,
    /// Distances per query.
    #[serde(default)]
    pub distances: Option<Vec<Vec<Option<f32>>>>,
}

/// One hit of a query.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Record id.
    pub id: String,
    /// Its document, if stored.
    pub document: Option<String>,
    /// Its metadata, if any.
    pub metadata: Metadata,
    /// Distance (cosine distance for cortex collections).
    pub distance: Option<f32>,
}

impl QueryResult {
    /// The hits of the first (only) query, in Chroma's order.
    pub fn hits(self) -> Vec<Hit> {
        let ids = self.ids.into_iter().next().unwrap_or_default();
        let mut docs = self
            .documents
            .and_then(|d| d.into_iter().next())
            .unwrap_or_default()
            .into_iter();
        let mut metas = self
            .metadatas
            .and_then(|d| d.into_iter().next())
            .unwrap_or_default()
            .into_iter();
        let mut dists = self
            .distances
            .and_then(|d| d.into_iter().next())
            .unwrap_or_default()
            .into_iter();
        ids.into_iter()
            .map(|id| Hit {
                id,
                document: docs.next().flatten(),
                metadata: metas.next().flatten().unwrap_or_default(),
                distance: dists.next().flatten(),
            })
            .collect()
    }
}

/// A get by ids or by filter.
#[derive(Debug, Default, Serialize)]
pub struct Get {
    /// Ids wanted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    /// Metadata filter.
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    /// Document filter (`$contains`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub where_document: Option<Value>,
    /// Most records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Records to skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// Fields wanted.
    pub include: Vec<&'static str>,
}

/// Records returned by a get; per-record fields may be null.
#[derive(Debug, Default, Deserialize)]
pub struct GetResult {
    /// Ids.
    #[serde(default)]
    pub ids: Vec<String>,
    /// Documents.
    #[serde(default)]
    pub documents: Option<Vec<Option<String>>>,
    /// Metadatas.
    #[serde(default)]
    pub metadatas: Option<Vec<Option<Metadata>>>,
    /// Embeddings (when asked for).
    #[serde(default)]
    pub embeddings: Option<Vec<Option<Vec<f32>>>>,
}

/// One record of a get.
#[derive(Debug, Clone)]
pub struct Record {
    /// Record id.
    pub id: String,
    /// Document.
    pub document: Option<String>,
    /// Metadata.
    pub metadata: Metadata,
    /// Embedding length, when embeddings were asked for.
    pub dimension: Option<usize>,
}

impl GetResult {
    /// The records, zipped.
    pub fn records(self) -> Vec<Record> {
        let mut docs = self.documents.unwrap_or_default().into_iter();
        let mut metas = self.metadatas.unwrap_or_default().into_iter();
        let mut embs = self.embeddings.unwrap_or_default().into_iter();
        self.ids
            .into_iter()
            .map(|id| Record {
                id,
                document: docs.next().flatten(),
                metadata: metas.next().flatten().unwrap_or_default(),
                dimension: embs.next().flatten().map(|e| e.len()),
            })
            .collect()
    }
}

/// A delete by ids or by filter.
#[derive(Debug, Default, Serialize)]
pub struct Delete {
    /// Ids to delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    /// Metadata filter.
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Deleted {
    #[serde(default)]
    deleted: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct PreFlight {
    max_batch_size: usize,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The Chroma client: base URL, tenant and database.
#[derive(Debug, Clone)]
pub struct ChromaClient {
    http: Client,
    base: Url,
    tenant: String,
    database: String,
}

impl ChromaClient {
    /// A client for `base` (e.g. `http://sanctuary-vector-db:8000`).
    pub fn new(http: Client, base: Url, tenant: String, database: String) -> Self {
        Self {
            http,
            base,
            tenant,
            database,
        }
    }

    /// The base URL, for messages.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    fn db(&self, path: &str) -> String {
        self.url(&format!(
            "/api/v2/tenants/{}/databases/{}{path}",
            self.tenant, self.database
        ))
    }

    /// Send one request and decode the answer; errors keep the operation, status and message.
    async fn send<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        url: String,
        body: Option<&(impl Serialize + ?Sized)>,
        timeout: Option<Duration>,
    ) -> Result<T, CortexError> {
        let mut req = self.http.request(method, &url);
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.transport(&e))?;
        if !status.is_success() {
            let message = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(ErrorBody {
                    error,
                    message: Some(m),
                }) => match error {
                    Some(kind) if !m.contains(&kind) => format!("{kind}: {m}"),
                    _ => m,
                },
                _ => String::from_utf8_lossy(&bytes).chars().take(500).collect(),
            };
            return Err(CortexError::Chroma {
                operation,
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| CortexError::Chroma {
            operation,
            status: status.as_u16(),
            message: format!("undecodable reply: {e}"),
        })
    }

    fn transport(&self, e: &reqwest::Error) -> CortexError {
        CortexError::ChromaUnreachable {
            url: self.base.to_string(),
            detail: describe(e),
        }
    }

    /// `GET /api/v2/heartbeat` with a short timeout: the server's clock in nanoseconds.
    pub async fn heartbeat(&self, timeout: Duration) -> Result<u64, CortexError> {
        let v: Value = self
            .send(
                "heartbeat",
                Method::GET,
                self.url("/api/v2/heartbeat"),
                None::<&()>,
                Some(timeout),
            )
            .await?;
        Ok(v.get("nanosecond heartbeat")
            .and_then(Value::as_u64)
            .unwrap_or_default())
    }

    /// `GET /api/v2/version`.
    pub async fn version(&self, timeout: Duration) -> Result<String, CortexError> {
        self.send(
            "version",
            Method::GET,
            self.url("/api/v2/version"),
            None::<&()>,
            Some(timeout),
        )
        .await
    }

    /// The server's largest accepted batch (`GET /api/v2/pre-flight-checks`).
    pub async fn max_batch_size(&self) -> Result<usize, CortexError> {
        let p: PreFlight = self
            .send(
                "pre-flight-checks",
                Method::GET,
                self.url("/api/v2/pre-flight-checks"),
                None::<&()>,
                None,
            )
            .await?;
        Ok(p.max_batch_size)
    }

    /// Collections, `limit` from `offset`.
    pub async fn list_collections(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Collection>, CortexError> {
        self.send(
            "list collections",
            Method::GET,
            self.db(&format!("/collections?limit={limit}&offset={offset}")),
            None::<&()>,
            None,
        )
        .await
    }

    /// Number of collections.
    pub async fn count_collections(&self) -> Result<u64, CortexError> {
        self.send(
            "count collections",
            Method::GET,
            self.db("/collections_count"),
            None::<&()>,
            None,
        )
        .await
    }

    /// The collection called `name`, or `None` when it does not exist.
    pub async fn get_collection(&self, name: &str) -> Result<Option<Collection>, CortexError> {
        match self
            .send(
                "get collection",
                Method::GET,
                self.db(&format!("/collections/{name}")),
                None::<&()>,
                None,
            )
            .await
        {
            Ok(c) => Ok(Some(c)),
            Err(CortexError::Chroma { status, .. }) if status == StatusCode::NOT_FOUND.as_u16() => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Create `name` with cosine distance and `metadata` (or return it if it exists).
    pub async fn get_or_create_collection(
        &self,
        name: &str,
        metadata: Metadata,
    ) -> Result<Collection, CortexError> {
        let mut metadata = metadata;
        metadata.insert("hnsw:space".into(), Value::from("cosine"));
        let body = serde_json::json!({
            "name": name,
            "get_or_create": true,
            "metadata": metadata,
        });
        self.send(
            "create collection",
            Method::POST,
            self.db("/collections"),
            Some(&body),
            None,
        )
        .await
    }

    /// Replace the metadata of collection `id` (Chroma replaces, it does not merge).
    pub async fn set_collection_metadata(
        &self,
        id: &str,
        metadata: &Metadata,
    ) -> Result<(), CortexError> {
        let body = serde_json::json!({ "new_metadata": metadata });
        let _: Value = self
            .send(
                "modify collection",
                Method::PUT,
                self.db(&format!("/collections/{id}")),
                Some(&body),
                None,
            )
            .await?;
        Ok(())
    }

    /// Delete collection `name`; `false` when it did not exist.
    pub async fn delete_collection(&self, name: &str) -> Result<bool, CortexError> {
        match self
            .send::<Value>(
                "delete collection",
                Method::DELETE,
                self.db(&format!("/collections/{name}")),
                None::<&()>,
                None,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(CortexError::Chroma { status, .. }) if status == StatusCode::NOT_FOUND.as_u16() => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Upsert records into collection `id`.
    pub async fn upsert(&self, id: &str, records: &Upsert) -> Result<(), CortexError> {
        let _: Value = self
            .send(
                "upsert",
                Method::POST,
                self.db(&format!("/collections/{id}/upsert")),
                Some(records),
                None,
            )
            .await?;
        Ok(())
    }

    /// Query collection `id`.
    pub async fn query(&self, id: &str, query: &Query) -> Result<QueryResult, CortexError> {
        self.send(
            "query",
            Method::POST,
            self.db(&format!("/collections/{id}/query")),
            Some(query),
            None,
        )
        .await
    }

    /// Get records of collection `id`.
    pub async fn get(&self, id: &str, get: &Get) -> Result<GetResult, CortexError> {
        self.send(
            "get",
            Method::POST,
            self.db(&format!("/collections/{id}/get")),
            Some(get),
            None,
        )
        .await
    }

    /// Records in collection `id`.
    pub async fn count(&self, id: &str) -> Result<u64, CortexError> {
        self.send(
            "count",
            Method::GET,
            self.db(&format!("/collections/{id}/count")),
            None::<&()>,
            None,
        )
        .await
    }

    /// Delete records of collection `id`; returns how many Chroma reports deleted.
    pub async fn delete(&self, id: &str, delete: &Delete) -> Result<u64, CortexError> {
        let d: Deleted = self
            .send(
                "delete",
                Method::POST,
                self.db(&format!("/collections/{id}/delete")),
                Some(delete),
                None,
            )
            .await?;
        Ok(d.deleted.unwrap_or_default())
    }
}

/// Whether an error means "this collection id no longer exists" (it was deleted or recreated).
pub fn is_missing_collection(e: &CortexError) -> bool {
    match e {
        CortexError::Chroma {
            status, message, ..
        } => *status == 404 || message.contains("does not exist"),
        CortexError::CollectionNotFound { .. } => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_names_follow_chromas_rule() {
        assert!(validate_collection_name("child_chunks_v5").is_ok());
        assert!(validate_collection_name("a.b-c").is_ok());
        for bad in ["ab", "_abc", "abc_", "a b c", "ü-name", ""] {
            assert!(validate_collection_name(bad).is_err(), "{bad}");
        }
        assert!(validate_collection_name(&"x".repeat(513)).is_err());
    }

    #[test]
    fn query_hits_tolerate_null_documents_and_metadata() {
        let raw = r#"{"ids":[["a","c","b"]],"embeddings":null,"documents":[["doc a",null,"doc b"]],
            "metadatas":[[{"source":"x"},null,{"n":1}]],"distances":[[0.0,0.25,null]]}"#;
        let hits = serde_json::from_str::<QueryResult>(raw).unwrap().hits();
        assert_eq!(hits.len(), 3);
        assert_eq!(hits[0].document.as_deref(), Some("doc a"));
        assert!(hits[1].document.is_none() && hits[1].metadata.is_empty());
        assert_eq!(hits[1].distance, Some(0.25));
        assert_eq!(hits[2].distance, None);
    }

    #[test]
    fn an_empty_query_result_has_no_hits() {
        let hits = serde_json::from_str::<QueryResult>(r#"{"ids":[[]]}"#)
            .unwrap()
            .hits();
        assert!(hits.is_empty());
    }

    #[test]
    fn get_records_zip_their_fields() {
        let raw = r#"{"ids":["a","b"],"documents":[null,"b"],"metadatas":null,"embeddings":[[1,2,3],null]}"#;
        let recs = serde_json::from_str::<GetResult>(raw).unwrap().records();
        assert_eq!(recs[0].dimension, Some(3));
        assert_eq!(recs[1].document.as_deref(), Some("b"));
        assert!(recs[1].metadata.is_empty());
    }
}
