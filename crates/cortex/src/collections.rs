//! Collection tools in the spirit of chroma-mcp (which needs network access for its embedding
//! functions and breaks offline): list, info, count, peek, get with `where` filters, delete.
//!
//! They work on any collection of the Chroma database; the cortex collection is the default.
//! Deleting from the cortex collection also forgets the affected files' ingest records, so the
//! next ingest restores what was deleted instead of trusting that the file is complete.

use serde::Serialize;
use serde_json::Value;

use crate::{
    chroma::{self, Collection, Delete, Get, Metadata, Record},
    engine::Engine,
    error::CortexError,
};

/// Most documents one call returns.
pub const MAX_DOCUMENTS: usize = 100;
/// Most collections one list returns.
pub const MAX_COLLECTIONS: usize = 100;

/// A collection, summarised.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CollectionSummary {
    /// Name.
    pub name: String,
    /// Chroma's id.
    pub id: String,
    /// Records, when counted.
    pub count: Option<u64>,
    /// Vector length, once fixed.
    pub dimension: Option<u64>,
    /// Its metadata.
    pub metadata: Metadata,
    /// Whether this is the collection cortex ingests into.
    pub managed_by_cortex: bool,
}

/// One record, as shown.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DocumentView {
    /// Record id.
    pub id: String,
    /// Its document (shortened to `max_chars`).
    pub document: Option<String>,
    /// True when the document was shortened.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Its metadata.
    pub metadata: Metadata,
}

/// Result of `cortex_delete_documents`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeleteOutput {
    /// The collection.
    pub collection: String,
    /// Records Chroma reports deleted.
    pub deleted: u64,
    /// Files whose ingest record was dropped (the next ingest restores their remaining chunks).
    pub sources_invalidated: Vec<String>,
}

/// A filtered read.
#[derive(Debug, Clone, Default)]
pub struct GetParams {
    /// Ids wanted.
    pub ids: Option<Vec<String>>,
    /// Metadata filter.
    pub filter: Option<Value>,
    /// Document filter.
    pub where_document: Option<Value>,
    /// Most records.
    pub limit: usize,
    /// Records to skip.
    pub offset: usize,
    /// Longest document shown.
    pub max_chars: usize,
}

fn view(r: Record, max_chars: usize) -> DocumentView {
    let (document, truncated) = match r.document {
        Some(d) if d.chars().count() > max_chars => {
            (Some(d.chars().take(max_chars).collect()), true)
        }
        other => (other, false),
    };
    DocumentView {
        id: r.id,
        document,
        truncated,
        metadata: r.metadata,
    }
}

/// A filter must be a JSON object.
fn check_filter(v: &Option<Value>, arg: &'static str) -> Result<(), CortexError> {
    match v {
        None => Ok(()),
        Some(Value::Object(m)) if !m.is_empty() => Ok(()),
        Some(_) => Err(CortexError::arg(
            arg,
            "must be a non-empty JSON object, e.g. {\"source\": \"docs/a.md\"} or {\"$and\": [...]}",
        )),
    }
}

/// Chroma's 400 on a filtered call means the filter was bad: name the argument.
fn blame_filter(e: CortexError, filtered: bool) -> CortexError {
    match e {
        CortexError::Chroma {
            status: 400,
            message,
            ..
        } if filtered => CortexError::arg("where", format!("chroma refused the filter: {message}")),
        other => other,
    }
}

impl Engine {
    /// The collection called `name` (the cortex collection when `None`).
    pub async fn named_collection(&self, name: Option<&str>) -> Result<Collection, CortexError> {
        let name = name.unwrap_or(&self.config.collection);
        chroma::validate_collection_name(name).map_err(|e| CortexError::arg("collection", e))?;
        self.chroma
            .get_collection(name)
            .await?
            .ok_or_else(|| CortexError::CollectionNotFound {
                name: name.to_owned(),
                hint: "; see cortex_list_collections".to_owned(),
            })
    }

    fn summary(&self, c: Collection, count: Option<u64>) -> CollectionSummary {
        CollectionSummary {
            managed_by_cortex: c.name == self.config.collection,
            name: c.name,
            id: c.id,
            count,
            dimension: c.dimension,
            metadata: c.metadata.unwrap_or_default(),
        }
    }

    /// Collections with their counts.
    pub async fn list_collections(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<CollectionSummary>, u64), CortexError> {
        if !(1..=MAX_COLLECTIONS).contains(&limit) {
            return Err(CortexError::arg(
                "limit",
                format!("{limit} is outside 1..={MAX_COLLECTIONS}"),
            ));
        }
        let total = self.chroma.count_collections().await?;
        let list = self.chroma.list_collections(limit, offset).await?;
        let mut out = Vec::with_capacity(list.len());
        for c in list {
            let count = self.chroma.count(&c.id).await.ok();
            out.push(self.summary(c, count));
        }
        Ok((out, total))
    }

    /// A collection's summary and a few sample records.
    pub async fn collection_info(
        &self,
        name: Option<&str>,
        samples: usize,
    ) -> Result<(CollectionSummary, Vec<DocumentView>), CortexError> {
        let c = self.named_collection(name).await?;
        let count = self.chroma.count(&c.id).await?;
        let sample = self
            .chroma
            .get(
                &c.id,
                &Get {
                    limit: Some(samples),
                    include: vec!["documents", "metadatas"],
                    ..Get::default()
                },
            )
            .await?
            .records()
            .into_iter()
            .map(|r| view(r, 300))
            .collect();
        Ok((self.summary(c, Some(count)), sample))
    }

    /// Records of a collection, by ids and/or filters.
    pub async fn get_documents(
        &self,
        name: Option<&str>,
        p: GetParams,
    ) -> Result<(String, Vec<DocumentView>), CortexError> {
        if !(1..=MAX_DOCUMENTS).contains(&p.limit) {
            return Err(CortexError::arg(
                "limit",
                format!("{} is outside 1..={MAX_DOCUMENTS}", p.limit),
            ));
        }
        check_filter(&p.filter, "where")?;
        check_filter(&p.where_document, "where_document")?;
        if let Some(ids) = &p.ids
            && (ids.is_empty() || ids.iter().any(|i| i.trim().is_empty()))
        {
            return Err(CortexError::arg(
                "ids",
                "must be a non-empty list of non-empty ids",
            ));
        }
        let c = self.named_collection(name).await?;
        let filtered = p.filter.is_some() || p.where_document.is_some();
        let records = self
            .chroma
            .get(
                &c.id,
                &Get {
                    ids: p.ids,
                    filter: p.filter,
                    where_document: p.where_document,
                    limit: Some(p.limit),
                    offset: Some(p.offset),
                    include: vec!["documents", "metadatas"],
                },
            )
            .await
            .map_err(|e| blame_filter(e, filtered))?
            .records();
        Ok((
            c.name,
            records.into_iter().map(|r| view(r, p.max_chars)).collect(),
        ))
    }

    /// Delete records by ids and/or filter.
    pub async fn delete_documents(
        &self,
        name: Option<&str>,
        ids: Option<Vec<String>>,
        filter: Option<Value>,
    ) -> Result<DeleteOutput, CortexError> {
        check_filter(&filter, "where")?;
        if ids.is_none() && filter.is_none() {
            return Err(CortexError::arg(
                "ids",
                "give ids or a where filter (deleting everything is cortex_ingest_full purge_existing=true)",
            ));
        }
        if let Some(ids) = &ids
            && (ids.is_empty() || ids.iter().any(|i| i.trim().is_empty()))
        {
            return Err(CortexError::arg(
                "ids",
                "must be a non-empty list of non-empty ids",
            ));
        }
        let c = self.named_collection(name).await?;
        let filtered = filter.is_some();
        let managed = c.name == self.config.collection;
        let mut sources: Vec<String> = Vec::new();
        if managed {
            // Which files lose chunks: their records must go, or an unchanged-file skip would
            // leave the deletion in place for good.
            let affected = self
                .chroma
                .get(
                    &c.id,
                    &Get {
                        ids: ids.clone(),
                        filter: filter.clone(),
                        include: vec!["metadatas"],
                        ..Get::default()
                    },
                )
                .await
                .map_err(|e| blame_filter(e, filtered))?;
            sources = affected
                .records()
                .into_iter()
                .filter_map(|r| {
                    r.metadata
                        .get("source")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect();
            sources.sort();
            sources.dedup();
        }
        let deleted = self
            .chroma
            .delete(&c.id, &Delete { ids, filter })
            .await
            .map_err(|e| blame_filter(e, filtered))?;
        if managed && !sources.is_empty() {
            self.store.remove_sources(&c.name, sources.clone()).await?;
            self.cache.clear_namespace("query").await?;
        }
        Ok(DeleteOutput {
            collection: c.name,
            deleted,
            sources_invalidated: sources,
        })
    }
}
