//! The server's records, one set per workspace, saved as JSON in the data directory after every change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The current time as RFC 3339 with milliseconds and `Z`.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Lowercase hex SHA-256 of `s`.
pub(crate) fn sha256_hex(s: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Everything the server remembers.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Store {
    /// Source of ID uniqueness and ordering.
    pub(crate) seq: u64,
    pub(crate) workspaces: BTreeMap<String, Workspace>,
}

impl Store {
    /// Loads the store from `path`, or starts empty when the file does not exist.
    pub(crate) fn load(path: &Path) -> Result<Store, String> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("cannot read {}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Marks work that was in flight when the server stopped as failed.
    pub(crate) fn settle_after_restart(&mut self) {
        let at = now();
        for ws in self.workspaces.values_mut() {
            for run in ws.query_runs.values_mut() {
                if run.status == "running" {
                    run.status = "failed".into();
                    run.error_message = Some("the server restarted while the query was running".into());
                    run.completed_at = Some(at.clone());
                }
            }
            for res in ws.results.values_mut() {
                if res.status == "processing" || res.status == "pending" {
                    if res.file.is_some() && res.row_count.is_some() {
                        res.status = "ready".into();
                    } else {
                        res.status = "failed".into();
                        res.error_message = Some("the server restarted before the result was stored".into());
                    }
                }
            }
            // An inline load that was cut short loaded nothing; its key may be used again.
            ws.load_keys.retain(|_, k| k.response.is_some());
            // A finalize cut short never recorded its upload; the parts are still there to finalize again.
            for session in ws.upload_sessions.values_mut() {
                if session.state == "finalizing" {
                    session.state = "open".into();
                }
            }
            for job in ws.jobs.values_mut() {
                if job.status == "pending" || job.status == "running" {
                    job.status = "failed".into();
                    job.error_message = Some("the server restarted while the job was running".into());
                    job.completed_at = Some(at.clone());
                }
            }
        }
    }
}

/// One workspace and everything in it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Workspace {
    pub(crate) public_id: String,
    pub(crate) name: String,
    pub(crate) created_at: String,
    pub(crate) connections: BTreeMap<String, Connection>,
    pub(crate) databases: BTreeMap<String, Database>,
    pub(crate) datasets: BTreeMap<String, Dataset>,
    pub(crate) uploads: BTreeMap<String, Upload>,
    /// Presigned upload sessions by upload ID; a finalized one also has its [`Upload`] under the same ID.
    #[serde(default)]
    pub(crate) upload_sessions: BTreeMap<String, UploadSession>,
    /// Keyed by name.
    pub(crate) secrets: BTreeMap<String, Secret>,
    pub(crate) saved_queries: BTreeMap<String, SavedQuery>,
    pub(crate) query_runs: BTreeMap<String, QueryRun>,
    pub(crate) results: BTreeMap<String, ResultMeta>,
    pub(crate) jobs: BTreeMap<String, Job>,
    pub(crate) embedding_providers: BTreeMap<String, EmbeddingProvider>,
    /// Keyed by name.
    pub(crate) contexts: BTreeMap<String, ContextEntry>,
    pub(crate) sandboxes: BTreeMap<String, Sandbox>,
    /// Every fork ever taken, oldest first; kept after either side is deleted (lineage is history).
    #[serde(default)]
    pub(crate) forks: Vec<ForkRecord>,
    /// Bulk-creation batches by ID.
    #[serde(default)]
    pub(crate) batches: BTreeMap<String, Batch>,
    /// Inline loads by `idempotency_key`.
    #[serde(default)]
    pub(crate) load_keys: BTreeMap<String, LoadKey>,
}

impl Workspace {
    pub(crate) fn new(public_id: &str, name: &str) -> Workspace {
        Workspace {
            public_id: public_id.to_string(),
            name: name.to_string(),
            created_at: now(),
            ..Default::default()
        }
    }

    /// A connection by ID that the connection endpoints may address (not the hidden default catalog of a
    /// database).
    pub(crate) fn user_connection(&self, id: &str) -> Option<&Connection> {
        self.connections.get(id).filter(|c| c.database_id.is_none())
    }

    /// The name a connection's catalog has in its own scope: a connection's name, or, for a database's default
    /// connection, that database's default catalog name.
    pub(crate) fn catalog_name(&self, conn_id: &str) -> Option<String> {
        let c = self.connections.get(conn_id)?;
        Some(match &c.database_id {
            Some(db) => self.databases.get(db).map(|d| d.default_catalog.clone())?,
            None => c.name.clone(),
        })
    }

    /// A connection by name.
    pub(crate) fn connection_by_name(&self, name: &str) -> Option<&Connection> {
        self.connections
            .values()
            .find(|c| c.database_id.is_none() && c.name == name)
    }
}

/// A column as the API reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) data_type: String,
    pub(crate) nullable: bool,
}

/// A registered connection. Managed connections hold their tables' data locally.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Connection {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) source_type: String,
    pub(crate) config: Value,
    pub(crate) secret_name: Option<String>,
    pub(crate) created_at: String,
    /// Set for the `default` catalog connection that a database owns.
    pub(crate) database_id: Option<String>,
    /// Why this connection cannot be reached, for source types the local server cannot serve.
    pub(crate) health_error: Option<String>,
    /// Keyed by `schema.table`.
    pub(crate) tables: BTreeMap<String, Table>,
    /// Schemas declared on the connection, also those without tables yet.
    #[serde(default)]
    pub(crate) schemas: BTreeSet<String>,
}

impl Connection {
    pub(crate) fn is_managed(&self) -> bool {
        self.source_type == "managed"
    }

    /// Whether `schema` exists: declared, or holding a table.
    pub(crate) fn has_schema(&self, schema: &str) -> bool {
        self.schemas.iter().any(|s| s.eq_ignore_ascii_case(schema))
            || self.tables.values().any(|t| t.schema.eq_ignore_ascii_case(schema))
    }

    /// The key of a table, matched exactly first and then ignoring ASCII case.
    pub(crate) fn find_table(&self, schema: &str, table: &str) -> Option<String> {
        let exact = table_key(schema, table);
        if self.tables.contains_key(&exact) {
            return Some(exact);
        }
        self.tables
            .iter()
            .find(|(_, t)| t.schema.eq_ignore_ascii_case(schema) && t.table.eq_ignore_ascii_case(table))
            .map(|(k, _)| k.clone())
    }
}

/// Key of a table within a connection.
pub(crate) fn table_key(schema: &str, table: &str) -> String {
    format!("{schema}.{table}")
}

/// A table of a connection, declared or loaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Table {
    pub(crate) schema: String,
    pub(crate) table: String,
    /// Data files (relative to the data directory); empty until the first load.
    pub(crate) files: Vec<String>,
    pub(crate) generation: u64,
    pub(crate) row_count: u64,
    pub(crate) columns: Vec<Column>,
    pub(crate) arrow_schema_json: String,
    pub(crate) synced_at: Option<String>,
    /// `TableProfileResponse.columns`, computed when the data was loaded.
    pub(crate) profile: Option<Value>,
    pub(crate) indexes: BTreeMap<String, Index>,
    /// Columns that identify a row, for keyed loads.
    #[serde(default)]
    pub(crate) key: Vec<String>,
    /// `TablePartitionKey` objects as declared.
    #[serde(default)]
    pub(crate) partition_by: Vec<Value>,
    /// `TableSortKey` objects as declared.
    #[serde(default)]
    pub(crate) sorted_by: Vec<Value>,
    #[serde(default)]
    pub(crate) constant_per_key: Vec<String>,
}

impl Table {
    pub(crate) fn declared(schema: &str, table: &str) -> Table {
        Table {
            schema: schema.to_string(),
            table: table.to_string(),
            files: Vec::new(),
            generation: 0,
            row_count: 0,
            columns: Vec::new(),
            arrow_schema_json: String::new(),
            synced_at: None,
            profile: None,
            indexes: BTreeMap::new(),
            key: Vec::new(),
            partition_by: Vec::new(),
            sorted_by: Vec::new(),
            constant_per_key: Vec::new(),
        }
    }
}

/// Index metadata (the local server keeps no index structures; queries scan).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Index {
    pub(crate) index_name: String,
    pub(crate) index_type: String,
    pub(crate) columns: Vec<String>,
    pub(crate) metric: Option<String>,
    pub(crate) status: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// A managed database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Database {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) expires_at: Option<String>,
    pub(crate) default_connection_id: String,
    /// `(connection_id, alias)`.
    pub(crate) attachments: Vec<(String, Option<String>)>,
    pub(crate) contexts: BTreeMap<String, ContextEntry>,
    pub(crate) created_at: String,
    /// Name of the default catalog inside the database's scope.
    #[serde(default = "default_catalog_name")]
    pub(crate) default_catalog: String,
    /// Schema that unqualified names resolve to.
    #[serde(default = "main_schema_name")]
    pub(crate) default_schema: String,
    /// The bulk-creation batch that made the database.
    #[serde(default)]
    pub(crate) batch_id: Option<String>,
}

fn default_catalog_name() -> String {
    "default".into()
}

fn main_schema_name() -> String {
    "main".into()
}

/// One fork: which database was copied into which, and when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ForkRecord {
    pub(crate) source_id: String,
    /// The source's label when the fork was taken.
    pub(crate) source_name: Option<String>,
    pub(crate) fork_id: String,
    pub(crate) description: Option<String>,
    pub(crate) forked_at: String,
    /// Microseconds since the epoch when the source was copied.
    pub(crate) snapshot_id: i64,
}

/// A bulk-creation batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Batch {
    pub(crate) id: String,
    pub(crate) count: u64,
    pub(crate) expires_at: Option<String>,
    pub(crate) job_id: Option<String>,
    pub(crate) cancel_requested: bool,
    pub(crate) idempotency_key: Option<String>,
}

/// What an inline load's `idempotency_key` stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LoadKey {
    /// Hash of the table, mode and body the key was first used with.
    pub(crate) fingerprint: String,
    /// The first outcome, once the load has finished.
    pub(crate) response: Option<Value>,
}

/// A dataset and its versions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Dataset {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) table_name: String,
    pub(crate) source_type: String,
    /// The request's `source`, kept so a refresh can run it again.
    pub(crate) source: Value,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) pinned_version: Option<i64>,
    pub(crate) versions: Vec<DatasetVersion>,
    pub(crate) indexes: BTreeMap<String, Index>,
}

impl Dataset {
    pub(crate) fn latest_version(&self) -> i64 {
        self.versions.last().map(|v| v.version).unwrap_or(0)
    }
    /// The version queries read: the pinned one, else the latest.
    pub(crate) fn current(&self) -> Option<&DatasetVersion> {
        match self.pinned_version {
            Some(p) => self.versions.iter().find(|v| v.version == p),
            None => self.versions.last(),
        }
    }
}

/// One version of a dataset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DatasetVersion {
    pub(crate) id: String,
    pub(crate) version: i64,
    pub(crate) source_type: String,
    pub(crate) created_at: String,
    /// Parquet file relative to the data directory.
    pub(crate) file: String,
    pub(crate) columns: Vec<Column>,
    pub(crate) row_count: u64,
}

/// An uploaded file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Upload {
    pub(crate) id: String,
    pub(crate) size_bytes: u64,
    pub(crate) content_type: Option<String>,
    pub(crate) status: String,
    pub(crate) created_at: String,
    pub(crate) file: String,
}

/// A presigned upload session (`POST /v1/uploads`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UploadSession {
    pub(crate) id: String,
    /// `single` or `multipart`.
    pub(crate) mode: String,
    pub(crate) declared_size: Option<u64>,
    /// Size of every part but the last (multipart only).
    pub(crate) part_size: Option<u64>,
    pub(crate) content_type: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) filename: Option<String>,
    /// Lowercase hex SHA-256 the finished file must have, when the caller declared one.
    pub(crate) sha256: Option<String>,
    /// Hex SHA-256 of the finalize token (the token itself is only ever in the create answer).
    pub(crate) token_hash: String,
    pub(crate) created_at: String,
    /// `open`, `finalizing` (a finalize is assembling the file) or `finalized`.
    pub(crate) state: String,
    /// Stored parts by number.
    pub(crate) parts: BTreeMap<u32, StoredPart>,
}

impl UploadSession {
    /// How many parts a known-size session has (1 for `single`); `None` for a streaming upload.
    pub(crate) fn part_count(&self) -> Option<u64> {
        match (self.mode.as_str(), self.declared_size, self.part_size) {
            ("single", _, _) => Some(1),
            (_, Some(size), Some(ps)) if ps > 0 => Some(size.div_ceil(ps).max(1)),
            _ => None,
        }
    }
}

/// One part received by the storage endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredPart {
    pub(crate) size: u64,
    /// The `ETag` answered for it, with its quotes.
    pub(crate) etag: String,
    /// Lowercase hex SHA-256 of its bytes.
    pub(crate) sha256: String,
    /// File relative to the data directory.
    pub(crate) file: String,
}

/// A stored secret. The value never leaves the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Secret {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// Classification of a SQL text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Classification {
    pub(crate) category: Option<String>,
    pub(crate) has_aggregation: Option<bool>,
    pub(crate) has_group_by: Option<bool>,
    pub(crate) has_join: Option<bool>,
    pub(crate) has_limit: Option<bool>,
    pub(crate) has_order_by: Option<bool>,
    pub(crate) has_predicate: Option<bool>,
    pub(crate) num_tables: Option<i64>,
}

/// A saved query.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SavedQuery {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) category_override: Option<String>,
    pub(crate) table_size: Option<String>,
    pub(crate) versions: Vec<SavedQueryVersion>,
}

/// One version of a saved query.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SavedQueryVersion {
    pub(crate) version: i64,
    pub(crate) sql: String,
    pub(crate) sql_hash: String,
    pub(crate) created_at: String,
    pub(crate) classification: Classification,
}

/// The record of one query execution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct QueryRun {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) sql_text: String,
    pub(crate) sql_hash: String,
    pub(crate) created_at: String,
    pub(crate) completed_at: Option<String>,
    pub(crate) execution_time_ms: Option<u64>,
    pub(crate) server_processing_ms: Option<u64>,
    pub(crate) row_count: Option<u64>,
    pub(crate) result_id: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) saved_query_id: Option<String>,
    pub(crate) saved_query_version: Option<i64>,
    pub(crate) snapshot_id: String,
    pub(crate) trace_id: Option<String>,
    pub(crate) user_public_id: Option<String>,
    /// Bytes the run read from table files; `None` when it read no table.
    #[serde(default)]
    pub(crate) bytes_scanned: Option<u64>,
    /// Every status the run went through, with the time it entered it.
    pub(crate) transitions: Vec<(String, String)>,
    /// The database the query ran in; `None` for an unscoped (seed-era) query. Under the live contract a run
    /// with a database is read only with that database's `X-Database-Id`.
    #[serde(default)]
    pub(crate) database_id: Option<String>,
}

/// A persisted query result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResultMeta {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) created_at: String,
    pub(crate) error_message: Option<String>,
    /// Arrow IPC file relative to the data directory, once written.
    pub(crate) file: Option<String>,
    pub(crate) row_count: Option<u64>,
    /// Rows per stored batch, so slices can skip whole batches.
    #[serde(default)]
    pub(crate) batch_rows: Vec<u64>,
    /// The database the query ran in; `None` for an unscoped (seed-era) query. Under the live contract a result
    /// with a database is read only with that database's `X-Database-Id`.
    #[serde(default)]
    pub(crate) database_id: Option<String>,
}

/// A background job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) job_type: String,
    pub(crate) status: String,
    pub(crate) attempts: i64,
    pub(crate) created_at: String,
    pub(crate) completed_at: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) result: Value,
}

/// An embedding provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EmbeddingProvider {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) provider_type: String,
    pub(crate) config: Value,
    pub(crate) secret_name: Option<String>,
    pub(crate) source: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// A named context document (workspace or database level).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ContextEntry {
    pub(crate) name: String,
    pub(crate) content: String,
    pub(crate) updated_at: String,
}

/// A sandbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Sandbox {
    pub(crate) public_id: String,
    pub(crate) name: String,
    pub(crate) markdown: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// Paths inside the data directory.
#[derive(Debug, Clone)]
pub(crate) struct Dirs {
    pub(crate) root: PathBuf,
}

impl Dirs {
    pub(crate) fn state_file(&self) -> PathBuf {
        self.root.join("state.json")
    }
    /// Absolute path of a file recorded relative to the root.
    pub(crate) fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
    /// Creates the parent directory of `rel` (private, see [`create_private_dirs`]) and returns its absolute
    /// path.
    pub(crate) fn prepare(&self, rel: &str) -> std::io::Result<PathBuf> {
        let p = self.abs(rel);
        if let Some(parent) = p.parent() {
            create_private_dirs(parent)?;
        }
        Ok(p)
    }
}

/// Creates `dir` and every missing parent with mode `0700` on unix, so only the server's user can enter them;
/// directories that exist already keep their mode.
pub(crate) fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Options that create a file (or truncate an existing one) for writing, with mode `0600` on unix when it is
/// created, so only the server's user can read it.
pub(crate) fn private_file() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// [`create_private_dirs`] run off the async workers.
pub(crate) async fn create_private_dirs_async(dir: &Path) -> std::io::Result<()> {
    let mut b = tokio::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(0o700);
    b.create(dir).await
}

/// Writes `bytes` to a new private file (see [`private_file`]) off the async workers.
pub(crate) async fn write_private_async(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let mut f = private_file_async().open(path).await?;
    f.write_all(bytes).await?;
    f.flush().await
}

/// [`private_file`] for `tokio::fs`.
pub(crate) fn private_file_async() -> tokio::fs::OpenOptions {
    tokio::fs::OpenOptions::from(private_file())
}
