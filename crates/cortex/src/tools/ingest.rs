//! `cortex_ingest_full` and `cortex_ingest_incremental`: files into the knowledge base, as an
//! upsert, with MCP progress notifications.

use fleet_core::Progress;
use rmcp::{
    Json,
    handler::server::{tool::Extension, wrapper::Parameters},
    schemars, tool, tool_router,
};
use serde::Deserialize;

use crate::{
    error::CortexError,
    ingest::{IngestOutput, IngestRequest},
    server::CortexServer,
};

/// Most paths one call may list.
const MAX_PATHS: usize = 1000;

/// Arguments of `cortex_ingest_full`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct IngestFullArgs {
    /// Directories to ingest, relative to CORTEX_SOURCE_ROOT (absolute paths inside it are
    /// accepted). Default: the whole root.
    #[serde(default)]
    pub source_directories: Vec<String>,
    /// Delete the collection, the parent store and the query cache first (default false).
    #[serde(default)]
    pub purge_existing: bool,
    /// Re-embed files even when unchanged since their last ingest (default false).
    #[serde(default)]
    pub force: bool,
}

/// Arguments of `cortex_ingest_incremental`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct IngestIncrementalArgs {
    /// Files to ingest, relative to CORTEX_SOURCE_ROOT (1 to 1000). A listed file that no longer
    /// exists has its chunks removed.
    pub file_paths: Vec<String>,
    /// Re-embed files even when unchanged since their last ingest (default false).
    #[serde(default)]
    pub force: bool,
}

fn check_count(paths: &[String], arg: &'static str) -> Result<(), CortexError> {
    if paths.len() > MAX_PATHS {
        return Err(CortexError::arg(
            arg,
            format!(
                "{} paths is over the limit of {MAX_PATHS} per call",
                paths.len()
            ),
        ));
    }
    Ok(())
}

#[tool_router(router = ingest_tools, vis = "pub(crate)")]
impl CortexServer {
    /// Ingest directories into the knowledge base: walk them (honouring .gitignore; skipping .git,
    /// build output, binaries and files over CORTEX_MAX_FILE_BYTES), split each file into parents
    /// (2000 characters, 200 overlap) and children (400/50) with Markdown- and code-aware
    /// splitting, embed the children into Chroma and keep the parents in the state volume.
    /// Re-ingesting is an upsert: unchanged files are skipped, changed files replace their chunks,
    /// files deleted from the directories lose theirs. Sends progress notifications when the
    /// request has a progress token. Limit: CORTEX_INGEST_TIMEOUT (30 min).
    /// Example: `{"source_directories": ["docs", "01_PROTOCOLS"]}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_ingest_full(
        &self,
        Parameters(args): Parameters<IngestFullArgs>,
        Extension(progress): Extension<Progress>,
    ) -> Result<Json<IngestOutput>, CortexError> {
        check_count(&args.source_directories, "source_directories")?;
        let request = IngestRequest::Full {
            directories: args.source_directories,
            purge: args.purge_existing,
        };
        self.engine
            .ingest(request, args.force, &progress)
            .await
            .map(Json)
    }

    /// Ingest or refresh specific files (the same chunking and upsert rules as
    /// `cortex_ingest_full`); a listed file that was deleted has its chunks removed. Files are
    /// read whatever their extension, but must be UTF-8 text under CORTEX_MAX_FILE_BYTES.
    /// Example: `{"file_paths": ["docs/guide.md", "src/lib.rs"]}`.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub async fn cortex_ingest_incremental(
        &self,
        Parameters(args): Parameters<IngestIncrementalArgs>,
        Extension(progress): Extension<Progress>,
    ) -> Result<Json<IngestOutput>, CortexError> {
        check_count(&args.file_paths, "file_paths")?;
        let request = IngestRequest::Incremental {
            files: args.file_paths,
        };
        self.engine
            .ingest(request, args.force, &progress)
            .await
            .map(Json)
    }
}
