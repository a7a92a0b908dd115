//! Collection tools in the spirit of chroma-mcp: list, info, count, peek, get with `where`
//! filters, delete. See [`crate::collections`].

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    collections::{CollectionSummary, DeleteOutput, DocumentView, GetParams},
    error::CortexError,
    server::CortexServer,
};

fn default_list() -> usize {
    50
}

fn default_peek() -> usize {
    5
}

fn default_get() -> usize {
    10
}

fn default_chars() -> usize {
    2000
}

/// Arguments of `cortex_list_collections`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListArgs {
    /// Most collections, 1 to 100 (default 50).
    #[serde(default = "default_list")]
    pub limit: usize,
    /// Collections to skip (default 0).
    #[serde(default)]
    pub offset: usize,
}

/// Result of `cortex_list_collections`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListOutput {
    /// Collections in the database.
    pub total: u64,
    /// This page, each with its count.
    pub collections: Vec<CollectionSummary>,
}

/// Names a collection.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CollectionArgs {
    /// Collection name (default: cortex's own, CORTEX_COLLECTION).
    #[serde(default)]
    pub collection: Option<String>,
}

/// Result of `cortex_collection_info`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InfoOutput {
    /// The collection.
    pub collection: CollectionSummary,
    /// Three sample records.
    pub sample_documents: Vec<DocumentView>,
}

/// Result of `cortex_collection_count`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CountOutput {
    /// The collection.
    pub collection: String,
    /// Records in it.
    pub count: u64,
}

/// Arguments of `cortex_peek_collection`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PeekArgs {
    /// Collection name (default: cortex's own).
    #[serde(default)]
    pub collection: Option<String>,
    /// Records to show, 1 to 100 (default 5).
    #[serde(default = "default_peek")]
    pub limit: usize,
}

/// Arguments of `cortex_get_documents`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GetArgs {
    /// Collection name (default: cortex's own).
    #[serde(default)]
    pub collection: Option<String>,
    /// Record ids to fetch.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    /// Chroma metadata filter, e.g. `{"source": "docs/a.md"}`, `{"start_line": {"$gt": 100}}`,
    /// `{"$and": [{"kind": "markdown"}, {"dirs": {"$contains": "docs"}}]}`.
    #[serde(default, rename = "where")]
    pub filter: Option<Map<String, Value>>,
    /// Chroma document filter, e.g. `{"$contains": "timeout"}`.
    #[serde(default)]
    pub where_document: Option<Map<String, Value>>,
    /// Most records, 1 to 100 (default 10).
    #[serde(default = "default_get")]
    pub limit: usize,
    /// Records to skip (default 0).
    #[serde(default)]
    pub offset: usize,
    /// Longest document text returned, in characters (default 2000, at most 20000).
    #[serde(default = "default_chars")]
    pub max_chars: usize,
}

/// Result of `cortex_get_documents` and `cortex_peek_collection`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DocumentsOutput {
    /// The collection.
    pub collection: String,
    /// Records returned.
    pub count: usize,
    /// The records.
    pub documents: Vec<DocumentView>,
}

/// Arguments of `cortex_delete_documents`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DeleteArgs {
    /// Collection name (default: cortex's own).
    #[serde(default)]
    pub collection: Option<String>,
    /// Record ids to delete.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    /// Delete the records matching this metadata filter, e.g. `{"source": "docs/old.md"}`.
    #[serde(default, rename = "where")]
    pub filter: Option<Map<String, Value>>,
}

fn object(m: Option<Map<String, Value>>) -> Option<Value> {
    m.map(Value::Object)
}

#[tool_router(router = collection_tools, vis = "pub(crate)")]
impl CortexServer {
    /// List the Chroma database's collections with their record counts, dimensions and metadata
    /// (an empty database gives an empty list). Example: `{"limit": 20}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_list_collections(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<ListOutput>, CortexError> {
        let (collections, total) = self
            .engine
            .list_collections(args.limit, args.offset)
            .await?;
        Ok(Json(ListOutput { total, collections }))
    }

    /// Describe one collection: id, record count, dimension, metadata (cortex records its
    /// embedder there) and three sample records. Example: `{"collection": "child_chunks_v5"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_collection_info(
        &self,
        Parameters(args): Parameters<CollectionArgs>,
    ) -> Result<Json<InfoOutput>, CortexError> {
        let (collection, sample_documents) = self
            .engine
            .collection_info(args.collection.as_deref(), 3)
            .await?;
        Ok(Json(InfoOutput {
            collection,
            sample_documents,
        }))
    }

    /// Count the records of one collection. Example: `{}` (cortex's own collection).
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_collection_count(
        &self,
        Parameters(args): Parameters<CollectionArgs>,
    ) -> Result<Json<CountOutput>, CortexError> {
        let c = self
            .engine
            .named_collection(args.collection.as_deref())
            .await?;
        let count = self.engine.chroma.count(&c.id).await?;
        Ok(Json(CountOutput {
            collection: c.name,
            count,
        }))
    }

    /// Show the first records of a collection (documents shortened to 2000 characters).
    /// Example: `{"limit": 3}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_peek_collection(
        &self,
        Parameters(args): Parameters<PeekArgs>,
    ) -> Result<Json<DocumentsOutput>, CortexError> {
        self.documents(
            args.collection.as_deref(),
            GetParams {
                limit: args.limit,
                max_chars: default_chars(),
                ..GetParams::default()
            },
        )
        .await
    }

    /// Get records of a collection by ids and/or Chroma `where` / `where_document` filters
    /// (operators `$eq $ne $gt $gte $lt $lte $in $nin $and $or`, `$contains` on the `dirs` array;
    /// document filters `$contains $not_contains $regex`). Cortex's records carry `source`,
    /// `dirs`, `kind`, `parent_id`, `start_line`, `end_line`, `doc_hash`. A filter Chroma refuses
    /// is an error naming it. Example:
    /// `{"where": {"source": "docs/guide.md"}, "limit": 20}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_get_documents(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<DocumentsOutput>, CortexError> {
        if !(1..=20_000).contains(&args.max_chars) {
            return Err(CortexError::arg(
                "max_chars",
                format!("{} is outside 1..=20000", args.max_chars),
            ));
        }
        self.documents(
            args.collection.as_deref(),
            GetParams {
                ids: args.ids,
                filter: object(args.filter),
                where_document: object(args.where_document),
                limit: args.limit,
                offset: args.offset,
                max_chars: args.max_chars,
            },
        )
        .await
    }

    /// Delete records from a collection by ids and/or a `where` filter (one of them is required;
    /// to empty cortex's collection use `cortex_ingest_full` with `purge_existing`). Deleting from
    /// cortex's own collection also drops the affected files' ingest records, so the next ingest
    /// restores them. Example: `{"where": {"source": "docs/obsolete.md"}}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_delete_documents(
        &self,
        Parameters(args): Parameters<DeleteArgs>,
    ) -> Result<Json<DeleteOutput>, CortexError> {
        self.engine
            .delete_documents(args.collection.as_deref(), args.ids, object(args.filter))
            .await
            .map(Json)
    }
}

impl CortexServer {
    /// `cortex_peek_collection` and `cortex_get_documents`: the records `params` selects.
    async fn documents(
        &self,
        collection: Option<&str>,
        params: GetParams,
    ) -> Result<Json<DocumentsOutput>, CortexError> {
        let (collection, documents) = self.engine.get_documents(collection, params).await?;
        Ok(Json(DocumentsOutput {
            collection,
            count: documents.len(),
            documents,
        }))
    }
}
