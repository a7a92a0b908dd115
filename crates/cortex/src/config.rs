//! Settings of the cortex cluster (`CORTEX_*`), read with fleet-core's reader so their problems are
//! reported together with the core ones.
//!
//! Backend URLs default to the network aliases of ADR 060 (`sanctuary-vector-db`,
//! `sanctuary-ollama`) and pass fleet-core's [`NetPolicy`] like every other service URL.
//! Nothing outside this file reads the environment.

use std::{path::PathBuf, time::Duration};

use fleet_core::{
    EnvReader, EnvVar,
    budget::{self, ChainTimeouts, Hop},
    netpolicy::{NetPolicy, UrlRole},
};
use url::Url;

/// Default ChromaDB endpoint: the vector database's network alias.
pub const DEFAULT_CHROMA_URL: &str = "http://sanctuary-vector-db:8000";
/// Default Ollama endpoint: the compute backend's network alias.
pub const DEFAULT_OLLAMA_URL: &str = "http://sanctuary-ollama:11434";
/// Default Chroma collection of child chunks (the original cortex's name).
pub const DEFAULT_COLLECTION: &str = "child_chunks_v5";
/// Default chat model (the original's fine-tuned Sanctuary model).
pub const DEFAULT_CHAT_MODEL: &str = "hf.co/richfrem/Sanctuary-Qwen2-7B-v1.0-GGUF-Final:Q4_K_M";
/// Default Ollama embedding model.
pub const DEFAULT_EMBED_MODEL: &str = "nomic-embed-text";
/// nomic-embed-text's task prefix for queries.
pub const DEFAULT_QUERY_PREFIX: &str = "search_query: ";
/// nomic-embed-text's task prefix for documents.
pub const DEFAULT_DOCUMENT_PREFIX: &str = "search_document: ";
/// Default directory of the local model (what `scripts/fetch-model.sh` writes).
pub const DEFAULT_MODEL_DIR: &str = ".cache/models/all-MiniLM-L6-v2";
/// Default state directory (parents, cache, digest).
pub const DEFAULT_STATE_DIR: &str = ".cache/cortex";
/// Default parent chunk size, in characters.
pub const DEFAULT_PARENT_CHUNK: u64 = 2000;
/// Default parent overlap, in characters.
pub const DEFAULT_PARENT_OVERLAP: u64 = 200;
/// Default child chunk size, in characters.
pub const DEFAULT_CHILD_CHUNK: u64 = 400;
/// Default child overlap, in characters.
pub const DEFAULT_CHILD_OVERLAP: u64 = 50;
/// Default cache time to live.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(24 * 3600);
/// Default number of entries in the memory tier.
pub const DEFAULT_CACHE_MEMORY_ENTRIES: u64 = 1000;
/// Default byte budget of the memory tier.
pub const DEFAULT_CACHE_MEMORY_BYTES: u64 = 32 * 1024 * 1024;
/// Default number of entries in the SQLite tier.
pub const DEFAULT_CACHE_MAX_ENTRIES: u64 = 10_000;
/// Default largest cached value.
pub const DEFAULT_CACHE_MAX_VALUE_BYTES: u64 = 1024 * 1024;
/// Default time limit of an ingest tool call.
pub const DEFAULT_INGEST_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Default largest file ingested.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;
/// Default most files one ingest call considers.
pub const DEFAULT_MAX_FILES: u64 = 20_000;
/// Default texts per embedding call during ingest. Small batches keep each embed hop far inside
/// its 5 s limit on a busy 2-core CPU (a batch of 8 children takes about 0.25 s there, idle), and
/// are no slower per chunk: padding to the longest text costs more in large batches.
pub const DEFAULT_EMBED_BATCH: u64 = 8;
/// Default records per Chroma upsert (further capped by the server's `max_batch_size`).
pub const DEFAULT_UPSERT_BATCH: u64 = 512;
/// Default longest query accepted, in characters.
pub const DEFAULT_MAX_QUERY_CHARS: u64 = 4000;
/// Default characters of retrieved context given to the model by `cortex_ask`.
pub const DEFAULT_ASK_CONTEXT_CHARS: u64 = 12_000;
/// Default extensions ingested.
pub const DEFAULT_EXTENSIONS: &str = "md,markdown,mdx,txt,rst,adoc,py,rs,js,jsx,mjs,cjs,ts,tsx,go,java,kt,c,h,cc,cpp,hpp,cs,rb,php,swift,scala,sh,bash,zsh,sql,toml,yaml,yml,json,html,css,proto";
/// Default directory names never entered (besides `.git` and what `.gitignore` excludes).
pub const DEFAULT_EXCLUDE_DIRS: &str = ".git,target,node_modules,__pycache__,.venv,venv,dist,build,.cache,.mypy_cache,.pytest_cache,.tox,.next,.idea,.vscode";

/// Every variable this cluster reads.
pub const CORTEX_VARS: &[EnvVar] = &[
    EnvVar {
        name: "CORTEX_CHROMA_URL",
        default: DEFAULT_CHROMA_URL,
        help: "ChromaDB 1.x server (v2 REST API); checked against the network policy like every service URL",
    },
    EnvVar {
        name: "CORTEX_CHROMA_TENANT",
        default: "default_tenant",
        help: "Chroma tenant",
    },
    EnvVar {
        name: "CORTEX_CHROMA_DATABASE",
        default: "default_database",
        help: "Chroma database",
    },
    EnvVar {
        name: "CORTEX_COLLECTION",
        default: DEFAULT_COLLECTION,
        help: "Chroma collection holding the child chunks (3-512 characters of a-z A-Z 0-9 . _ -)",
    },
    EnvVar {
        name: "CORTEX_OLLAMA_URL",
        default: DEFAULT_OLLAMA_URL,
        help: "Ollama server for generation (and embeddings when selected); `off` disables Ollama",
    },
    EnvVar {
        name: "CORTEX_OLLAMA_MODEL",
        default: DEFAULT_CHAT_MODEL,
        help: "Chat model used by cortex_ask and query_sanctuary_model",
    },
    EnvVar {
        name: "CORTEX_OLLAMA_EMBED_MODEL",
        default: DEFAULT_EMBED_MODEL,
        help: "Ollama embedding model when CORTEX_EMBEDDER selects Ollama",
    },
    EnvVar {
        name: "CORTEX_OLLAMA_QUERY_PREFIX",
        default: "search_query: ",
        help: "Prefix put before a query sent to the Ollama embedder (nomic-embed-text's task prefix)",
    },
    EnvVar {
        name: "CORTEX_OLLAMA_DOCUMENT_PREFIX",
        default: "search_document: ",
        help: "Prefix put before a document chunk sent to the Ollama embedder",
    },
    EnvVar {
        name: "CORTEX_EMBEDDER",
        default: "auto",
        help: "local (all-MiniLM-L6-v2 in-process), ollama, or auto: ollama when CORTEX_OLLAMA_URL is set explicitly, else local",
    },
    EnvVar {
        name: "CORTEX_MODEL_DIR",
        default: DEFAULT_MODEL_DIR,
        help: "Directory with model.safetensors, tokenizer.json and config.json of the local embedder (scripts/fetch-model.sh)",
    },
    EnvVar {
        name: "CORTEX_STATE_DIR",
        default: DEFAULT_STATE_DIR,
        help: "State volume: parent store and ingest log (cortex.sqlite), cache (cache.sqlite), guardian digest",
    },
    EnvVar {
        name: "CORTEX_SOURCE_ROOT",
        default: ".",
        help: "Directory that ingest paths are relative to; nothing outside it is read",
    },
    EnvVar {
        name: "CORTEX_EMBED_TIMEOUT",
        default: "5s",
        help: "Guardrail 6: limit of one embedding hop",
    },
    EnvVar {
        name: "CORTEX_SEARCH_TIMEOUT",
        default: "10s",
        help: "Guardrail 6: limit of one search hop (Chroma query and parent lookup, or one upsert batch)",
    },
    EnvVar {
        name: "CORTEX_GENERATE_TIMEOUT",
        default: "30s",
        help: "Guardrail 6: limit of one generation hop (Ollama chat)",
    },
    EnvVar {
        name: "CORTEX_CHAIN_TIMEOUT",
        default: "45s",
        help: "Guardrail 6: limit of a whole query or ask chain",
    },
    EnvVar {
        name: "CORTEX_INGEST_TIMEOUT",
        default: "30m",
        help: "Time limit of cortex_ingest_full, cortex_ingest_incremental and cortex_cache_warmup (FLEET_TOOL_TIMEOUTS overrides)",
    },
    EnvVar {
        name: "CORTEX_PARENT_CHUNK_CHARS",
        default: "2000",
        help: "Parent chunk size in characters",
    },
    EnvVar {
        name: "CORTEX_PARENT_OVERLAP_CHARS",
        default: "200",
        help: "Overlap between parent chunks in characters",
    },
    EnvVar {
        name: "CORTEX_CHILD_CHUNK_CHARS",
        default: "400",
        help: "Child chunk size in characters (what is embedded)",
    },
    EnvVar {
        name: "CORTEX_CHILD_OVERLAP_CHARS",
        default: "50",
        help: "Overlap between child chunks in characters",
    },
    EnvVar {
        name: "CORTEX_EXTENSIONS",
        default: "md,markdown,mdx,txt,rst,… (see docs)",
        help: "File extensions ingested (comma-separated, no dots)",
    },
    EnvVar {
        name: "CORTEX_EXCLUDE_DIRS",
        default: ".git,target,node_modules,__pycache__,… (see docs)",
        help: "Directory names never entered; .gitignore rules apply as well",
    },
    EnvVar {
        name: "CORTEX_MAX_FILE_BYTES",
        default: "2097152",
        help: "Larger files are skipped (and reported)",
    },
    EnvVar {
        name: "CORTEX_MAX_FILES",
        default: "20000",
        help: "Most files one ingest call considers",
    },
    EnvVar {
        name: "CORTEX_EMBED_BATCH",
        default: "8",
        help: "Texts per embedding call during ingest",
    },
    EnvVar {
        name: "CORTEX_UPSERT_BATCH",
        default: "512",
        help: "Records per Chroma upsert; capped by the server's max_batch_size",
    },
    EnvVar {
        name: "CORTEX_MAX_QUERY_CHARS",
        default: "4000",
        help: "Longest query or prompt accepted",
    },
    EnvVar {
        name: "CORTEX_ASK_CONTEXT_CHARS",
        default: "12000",
        help: "Characters of retrieved context cortex_ask gives the model",
    },
    EnvVar {
        name: "CORTEX_CACHE_TTL",
        default: "24h",
        help: "Time to live of cache entries (both tiers)",
    },
    EnvVar {
        name: "CORTEX_CACHE_MEMORY_ENTRIES",
        default: "1000",
        help: "Entries kept in the memory tier (least recently used evicted)",
    },
    EnvVar {
        name: "CORTEX_CACHE_MEMORY_BYTES",
        default: "33554432",
        help: "Bytes of values kept in the memory tier",
    },
    EnvVar {
        name: "CORTEX_CACHE_MAX_ENTRIES",
        default: "10000",
        help: "Entries kept in the SQLite tier (least recently used evicted)",
    },
    EnvVar {
        name: "CORTEX_CACHE_MAX_VALUE_BYTES",
        default: "1048576",
        help: "Largest value cortex_cache_set accepts",
    },
];

/// Which embedder to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedderChoice {
    /// all-MiniLM-L6-v2 in-process.
    Local,
    /// Ollama's `/api/embed`.
    Ollama,
}

/// Chunk sizes, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSizes {
    /// Parent chunk size.
    pub parent: usize,
    /// Overlap between parents.
    pub parent_overlap: usize,
    /// Child chunk size.
    pub child: usize,
    /// Overlap between children.
    pub child_overlap: usize,
}

impl Default for ChunkSizes {
    fn default() -> Self {
        Self {
            parent: DEFAULT_PARENT_CHUNK as usize,
            parent_overlap: DEFAULT_PARENT_OVERLAP as usize,
            child: DEFAULT_CHILD_CHUNK as usize,
            child_overlap: DEFAULT_CHILD_OVERLAP as usize,
        }
    }
}

/// Limits of the two-tier cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Time to live of an entry.
    pub ttl: Duration,
    /// Entries in the memory tier.
    pub memory_entries: usize,
    /// Bytes of values in the memory tier.
    pub memory_bytes: usize,
    /// Entries in the SQLite tier.
    pub max_entries: usize,
    /// Largest value accepted.
    pub max_value_bytes: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_CACHE_TTL,
            memory_entries: DEFAULT_CACHE_MEMORY_ENTRIES as usize,
            memory_bytes: DEFAULT_CACHE_MEMORY_BYTES as usize,
            max_entries: DEFAULT_CACHE_MAX_ENTRIES as usize,
            max_value_bytes: DEFAULT_CACHE_MAX_VALUE_BYTES as usize,
        }
    }
}

/// Cortex settings.
#[derive(Debug, Clone)]
pub struct CortexConfig {
    /// ChromaDB base URL.
    pub chroma_url: Url,
    /// Chroma tenant.
    pub chroma_tenant: String,
    /// Chroma database.
    pub chroma_database: String,
    /// Collection of child chunks.
    pub collection: String,
    /// Ollama base URL; `None` when disabled.
    pub ollama_url: Option<Url>,
    /// Chat model.
    pub chat_model: String,
    /// Ollama embedding model.
    pub embed_model: String,
    /// Prefix for queries sent to the Ollama embedder.
    pub query_prefix: String,
    /// Prefix for documents sent to the Ollama embedder.
    pub document_prefix: String,
    /// The embedder in use.
    pub embedder: EmbedderChoice,
    /// Local model directory.
    pub model_dir: PathBuf,
    /// State directory.
    pub state_dir: PathBuf,
    /// Root that ingest paths are confined to.
    pub source_root: PathBuf,
    /// Guardrail 6 limits.
    pub timeouts: ChainTimeouts,
    /// Time limit of the ingest tools.
    pub ingest_timeout: Duration,
    /// Chunk sizes.
    pub chunks: ChunkSizes,
    /// Extensions ingested, lower case without dots.
    pub extensions: Vec<String>,
    /// Directory names never entered.
    pub exclude_dirs: Vec<String>,
    /// Largest file ingested.
    pub max_file_bytes: u64,
    /// Most files per ingest call.
    pub max_files: usize,
    /// Texts per embedding call.
    pub embed_batch: usize,
    /// Records per upsert.
    pub upsert_batch: usize,
    /// Longest query.
    pub max_query_chars: usize,
    /// Context budget of `cortex_ask`.
    pub ask_context_chars: usize,
    /// Cache limits.
    pub cache: CacheLimits,
}

impl CortexConfig {
    /// Settings for tests and embedding: the given backends and directories, defaults elsewhere.
    pub fn new(
        chroma_url: Url,
        ollama_url: Option<Url>,
        state_dir: PathBuf,
        source_root: PathBuf,
    ) -> Self {
        Self {
            chroma_url,
            chroma_tenant: "default_tenant".to_owned(),
            chroma_database: "default_database".to_owned(),
            collection: DEFAULT_COLLECTION.to_owned(),
            ollama_url,
            chat_model: DEFAULT_CHAT_MODEL.to_owned(),
            embed_model: DEFAULT_EMBED_MODEL.to_owned(),
            query_prefix: DEFAULT_QUERY_PREFIX.to_owned(),
            document_prefix: DEFAULT_DOCUMENT_PREFIX.to_owned(),
            embedder: EmbedderChoice::Local,
            model_dir: PathBuf::from(DEFAULT_MODEL_DIR),
            state_dir,
            source_root,
            timeouts: ChainTimeouts::default(),
            ingest_timeout: DEFAULT_INGEST_TIMEOUT,
            chunks: ChunkSizes::default(),
            extensions: split_list(DEFAULT_EXTENSIONS),
            exclude_dirs: split_list(DEFAULT_EXCLUDE_DIRS),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_files: DEFAULT_MAX_FILES as usize,
            embed_batch: DEFAULT_EMBED_BATCH as usize,
            upsert_batch: DEFAULT_UPSERT_BATCH as usize,
            max_query_chars: DEFAULT_MAX_QUERY_CHARS as usize,
            ask_context_chars: DEFAULT_ASK_CONTEXT_CHARS as usize,
            cache: CacheLimits::default(),
        }
    }

    /// Read the `CORTEX_*` variables; backend URLs are checked against `policy`. `None` when a
    /// problem made the settings unusable (it is recorded in `r`, like every other problem).
    pub fn read(r: &mut EnvReader<'_>, policy: NetPolicy) -> Option<Self> {
        let chroma_url = backend_url(r, policy, "CORTEX_CHROMA_URL", DEFAULT_CHROMA_URL);
        let ollama_explicit = r.raw("CORTEX_OLLAMA_URL");
        let ollama_off = ollama_explicit
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("none"));
        // `Some(None)`: Ollama is on but its URL was unusable (a problem is recorded).
        let ollama_url =
            (!ollama_off).then(|| backend_url(r, policy, "CORTEX_OLLAMA_URL", DEFAULT_OLLAMA_URL));
        let embedder = match r
            .string("CORTEX_EMBEDDER", "auto")
            .to_ascii_lowercase()
            .as_str()
        {
            "local" => EmbedderChoice::Local,
            "ollama" => EmbedderChoice::Ollama,
            "auto" => {
                if ollama_explicit.is_some() && !ollama_off {
                    EmbedderChoice::Ollama
                } else {
                    EmbedderChoice::Local
                }
            }
            other => {
                r.problem(
                    "CORTEX_EMBEDDER",
                    format!("expected local, ollama or auto, got {other:?}"),
                );
                EmbedderChoice::Local
            }
        };
        if embedder == EmbedderChoice::Ollama && ollama_off {
            r.problem(
                "CORTEX_EMBEDDER",
                "ollama embeddings need Ollama, but CORTEX_OLLAMA_URL is off",
            );
        }
        let collection = r.string("CORTEX_COLLECTION", DEFAULT_COLLECTION);
        if let Err(e) = crate::chroma::validate_collection_name(&collection) {
            r.problem("CORTEX_COLLECTION", e);
        }

        let timeouts = ChainTimeouts {
            embed: Hop::new(
                "embed",
                positive(r, "CORTEX_EMBED_TIMEOUT", budget::DEFAULT_EMBED_TIMEOUT),
            ),
            search: Hop::new(
                "search",
                positive(r, "CORTEX_SEARCH_TIMEOUT", budget::DEFAULT_SEARCH_TIMEOUT),
            ),
            generate: Hop::new(
                "generate",
                positive(
                    r,
                    "CORTEX_GENERATE_TIMEOUT",
                    budget::DEFAULT_GENERATE_TIMEOUT,
                ),
            ),
            total: positive(r, "CORTEX_CHAIN_TIMEOUT", budget::DEFAULT_CHAIN_TIMEOUT),
        };

        let chunks = ChunkSizes {
            parent: r.bounded(
                "CORTEX_PARENT_CHUNK_CHARS",
                DEFAULT_PARENT_CHUNK,
                200,
                100_000,
            ) as usize,
            parent_overlap: r.bounded(
                "CORTEX_PARENT_OVERLAP_CHARS",
                DEFAULT_PARENT_OVERLAP,
                0,
                50_000,
            ) as usize,
            child: r.bounded("CORTEX_CHILD_CHUNK_CHARS", DEFAULT_CHILD_CHUNK, 50, 20_000) as usize,
            child_overlap: r.bounded(
                "CORTEX_CHILD_OVERLAP_CHARS",
                DEFAULT_CHILD_OVERLAP,
                0,
                10_000,
            ) as usize,
        };
        if chunks.parent_overlap >= chunks.parent {
            r.problem(
                "CORTEX_PARENT_OVERLAP_CHARS",
                format!(
                    "must be smaller than CORTEX_PARENT_CHUNK_CHARS ({})",
                    chunks.parent
                ),
            );
        }
        if chunks.child_overlap >= chunks.child {
            r.problem(
                "CORTEX_CHILD_OVERLAP_CHARS",
                format!(
                    "must be smaller than CORTEX_CHILD_CHUNK_CHARS ({})",
                    chunks.child
                ),
            );
        }
        if chunks.child > chunks.parent {
            r.problem(
                "CORTEX_CHILD_CHUNK_CHARS",
                format!(
                    "must not exceed CORTEX_PARENT_CHUNK_CHARS ({})",
                    chunks.parent
                ),
            );
        }

        let mut extensions = r.list("CORTEX_EXTENSIONS");
        if extensions.is_empty() {
            extensions = split_list(DEFAULT_EXTENSIONS);
        }
        let extensions = extensions
            .into_iter()
            .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
            .collect();
        let mut exclude_dirs = r.list("CORTEX_EXCLUDE_DIRS");
        if exclude_dirs.is_empty() {
            exclude_dirs = split_list(DEFAULT_EXCLUDE_DIRS);
        }

        let cache = CacheLimits {
            ttl: positive(r, "CORTEX_CACHE_TTL", DEFAULT_CACHE_TTL),
            memory_entries: r.bounded(
                "CORTEX_CACHE_MEMORY_ENTRIES",
                DEFAULT_CACHE_MEMORY_ENTRIES,
                1,
                1_000_000,
            ) as usize,
            memory_bytes: r.bounded(
                "CORTEX_CACHE_MEMORY_BYTES",
                DEFAULT_CACHE_MEMORY_BYTES,
                1024,
                4 << 30,
            ) as usize,
            max_entries: r.bounded(
                "CORTEX_CACHE_MAX_ENTRIES",
                DEFAULT_CACHE_MAX_ENTRIES,
                1,
                10_000_000,
            ) as usize,
            max_value_bytes: r.bounded(
                "CORTEX_CACHE_MAX_VALUE_BYTES",
                DEFAULT_CACHE_MAX_VALUE_BYTES,
                256,
                64 << 20,
            ) as usize,
        };

        let chroma_url = chroma_url?;
        let ollama_url = match ollama_url {
            None => None,
            Some(url) => Some(url?),
        };
        Some(Self {
            chroma_url,
            chroma_tenant: r.string("CORTEX_CHROMA_TENANT", "default_tenant"),
            chroma_database: r.string("CORTEX_CHROMA_DATABASE", "default_database"),
            collection,
            ollama_url,
            chat_model: r.string("CORTEX_OLLAMA_MODEL", DEFAULT_CHAT_MODEL),
            embed_model: r.string("CORTEX_OLLAMA_EMBED_MODEL", DEFAULT_EMBED_MODEL),
            query_prefix: prefix(r, "CORTEX_OLLAMA_QUERY_PREFIX", DEFAULT_QUERY_PREFIX),
            document_prefix: prefix(r, "CORTEX_OLLAMA_DOCUMENT_PREFIX", DEFAULT_DOCUMENT_PREFIX),
            embedder,
            model_dir: PathBuf::from(r.string("CORTEX_MODEL_DIR", DEFAULT_MODEL_DIR)),
            state_dir: PathBuf::from(r.string("CORTEX_STATE_DIR", DEFAULT_STATE_DIR)),
            source_root: PathBuf::from(r.string("CORTEX_SOURCE_ROOT", ".")),
            timeouts,
            ingest_timeout: positive(r, "CORTEX_INGEST_TIMEOUT", DEFAULT_INGEST_TIMEOUT),
            chunks,
            extensions,
            exclude_dirs,
            max_file_bytes: r.bounded("CORTEX_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES, 1, 1 << 30),
            max_files: r.bounded("CORTEX_MAX_FILES", DEFAULT_MAX_FILES, 1, 10_000_000) as usize,
            embed_batch: r.bounded("CORTEX_EMBED_BATCH", DEFAULT_EMBED_BATCH, 1, 4096) as usize,
            upsert_batch: r.bounded("CORTEX_UPSERT_BATCH", DEFAULT_UPSERT_BATCH, 1, 100_000)
                as usize,
            max_query_chars: r.bounded(
                "CORTEX_MAX_QUERY_CHARS",
                DEFAULT_MAX_QUERY_CHARS,
                16,
                1 << 20,
            ) as usize,
            ask_context_chars: r.bounded(
                "CORTEX_ASK_CONTEXT_CHARS",
                DEFAULT_ASK_CONTEXT_CHARS,
                500,
                1 << 20,
            ) as usize,
            cache,
        })
    }
}

/// A backend URL from `var` (or `default`), checked against the network policy; `None` after
/// recording a problem.
fn backend_url(r: &mut EnvReader<'_>, policy: NetPolicy, var: &str, default: &str) -> Option<Url> {
    let url = match r.raw(var) {
        Some(_) => r.url(var)?,
        None => match Url::parse(default) {
            Ok(u) => u,
            Err(e) => {
                r.problem(
                    var,
                    format!("built-in default {default:?} is not a URL: {e}"),
                );
                return None;
            }
        },
    };
    if let Err(e) = policy.check(&url, UrlRole::Backend) {
        r.problem(var, e);
        return None;
    }
    Some(url)
}

/// A duration that must be above zero.
fn positive(r: &mut EnvReader<'_>, var: &str, default: Duration) -> Duration {
    let d = r.duration(var, default);
    if d.is_zero() {
        r.problem(var, "must be greater than zero");
        return default;
    }
    d
}

/// A prefix: the raw, untrimmed value (a trailing space matters), `""` when set to `none`.
fn prefix(r: &mut EnvReader<'_>, var: &str, default: &str) -> String {
    match r.raw(var) {
        None => default.to_owned(),
        Some(v) if v.eq_ignore_ascii_case("none") => String::new(),
        // The reader trims values; nomic's prefixes end in ": ", so put the space back.
        Some(v) if v.ends_with(':') => format!("{v} "),
        Some(v) => v,
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn read(
        pairs: &[(&'static str, &'static str)],
        policy: NetPolicy,
    ) -> Result<CortexConfig, String> {
        let env: BTreeMap<&str, &str> = pairs.iter().copied().collect();
        let mut r = EnvReader::new(&env);
        let cfg = CortexConfig::read(&mut r, policy);
        r.finish().map_err(|e| e.to_string())?;
        cfg.ok_or_else(|| "no config and no problem recorded".to_owned())
    }

    #[test]
    fn defaults_use_aliases_and_the_local_embedder() {
        let cfg = read(
            &[],
            NetPolicy {
                container: true,
                allow_loopback: false,
            },
        )
        .unwrap();
        assert_eq!(cfg.chroma_url.as_str(), "http://sanctuary-vector-db:8000/");
        assert_eq!(
            cfg.ollama_url.unwrap().as_str(),
            "http://sanctuary-ollama:11434/"
        );
        assert_eq!(cfg.embedder, EmbedderChoice::Local);
        assert_eq!(cfg.timeouts, ChainTimeouts::default());
        assert_eq!(cfg.chunks, ChunkSizes::default());
        assert_eq!(cfg.query_prefix, "search_query: ");
    }

    #[test]
    fn an_explicit_ollama_url_selects_ollama_embeddings_in_auto_mode() {
        let cfg = read(
            &[("CORTEX_OLLAMA_URL", "http://gpu-box:11434")],
            NetPolicy::default(),
        )
        .unwrap();
        assert_eq!(cfg.embedder, EmbedderChoice::Ollama);
        let cfg = read(
            &[
                ("CORTEX_OLLAMA_URL", "http://gpu-box:11434"),
                ("CORTEX_EMBEDDER", "local"),
            ],
            NetPolicy::default(),
        )
        .unwrap();
        assert_eq!(cfg.embedder, EmbedderChoice::Local);
        let cfg = read(&[("CORTEX_OLLAMA_URL", "off")], NetPolicy::default()).unwrap();
        assert!(cfg.ollama_url.is_none());
        assert_eq!(cfg.embedder, EmbedderChoice::Local);
    }

    #[test]
    fn container_mode_refuses_loopback_backends() {
        let err = read(
            &[
                ("CORTEX_CHROMA_URL", "http://127.0.0.1:8000"),
                ("CORTEX_OLLAMA_URL", "http://localhost:11434"),
            ],
            NetPolicy {
                container: true,
                allow_loopback: false,
            },
        )
        .unwrap_err();
        assert!(
            err.contains("CORTEX_CHROMA_URL") && err.contains("CORTEX_OLLAMA_URL"),
            "{err}"
        );
        assert!(err.contains("sanctuary-vector-db"), "{err}");
    }

    #[test]
    fn every_bad_variable_is_reported() {
        let err = read(
            &[
                ("CORTEX_EMBEDDER", "gpu"),
                ("CORTEX_COLLECTION", "x"),
                ("CORTEX_EMBED_TIMEOUT", "0"),
                ("CORTEX_CHILD_OVERLAP_CHARS", "500"),
                ("CORTEX_CHROMA_URL", "ftp://chroma"),
            ],
            NetPolicy::default(),
        )
        .unwrap_err();
        for var in [
            "CORTEX_EMBEDDER",
            "CORTEX_COLLECTION",
            "CORTEX_EMBED_TIMEOUT",
            "CORTEX_CHILD_OVERLAP_CHARS",
            "CORTEX_CHROMA_URL",
        ] {
            assert!(err.contains(var), "{var} missing from {err}");
        }
    }

    #[test]
    fn ollama_embeddings_without_ollama_is_a_problem() {
        let err = read(
            &[("CORTEX_OLLAMA_URL", "off"), ("CORTEX_EMBEDDER", "ollama")],
            NetPolicy::default(),
        )
        .unwrap_err();
        assert!(err.contains("CORTEX_EMBEDDER"), "{err}");
    }

    #[test]
    fn prefixes_keep_their_trailing_space() {
        let cfg = read(
            &[
                ("CORTEX_OLLAMA_QUERY_PREFIX", "query:"),
                ("CORTEX_OLLAMA_DOCUMENT_PREFIX", "none"),
            ],
            NetPolicy::default(),
        )
        .unwrap();
        assert_eq!(cfg.query_prefix, "query: ");
        assert_eq!(cfg.document_prefix, "");
    }
}
