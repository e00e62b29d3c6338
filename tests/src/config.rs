//! Server configuration.

use std::path::PathBuf;
use std::time::Duration;

/// What the server does with traffic that does not match `spec/openapi.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Validation {
    /// Validate nothing.
    Off,
    /// Validate every request and response and record mismatches; [`Server::violations`](crate::Server::violations)
    /// lists them and the binary prints them, but nothing panics.
    Record,
    /// Like [`Validation::Record`], and dropping the [`Server`](crate::Server) handle panics (unless the thread is
    /// already panicking) when any mismatch was recorded, so the test that caused it fails.
    #[default]
    Strict,
}

/// Which era of the API the server follows where the two eras' rules conflict. Operations that exist in only
/// one era are served in both modes; `tests/README.md` lists every rule that differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Contract {
    /// The October 2026 service: a query names exactly one database (`database_id` or `X-Database-Id`), and
    /// results and runs made in a database are read with that database's `X-Database-Id`.
    #[default]
    Live,
    /// The May 2026 service (`--contract 2026-05`): a query may name no database and then sees every connection
    /// and `datasets.main.*`; results and runs are read without `X-Database-Id`.
    Seed2026_05,
}

impl Contract {
    /// The name used on the command line: `live` or `2026-05`.
    pub fn as_str(self) -> &'static str {
        match self {
            Contract::Live => "live",
            Contract::Seed2026_05 => "2026-05",
        }
    }
}

impl std::str::FromStr for Contract {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "live" => Ok(Contract::Live),
            "2026-05" => Ok(Contract::Seed2026_05),
            other => Err(format!("unknown contract `{other}` (expected `live` or `2026-05`)")),
        }
    }
}

/// How to start a [`Server`](crate::Server). `Config::default()` gives an ephemeral loopback port, a temporary
/// data directory, the default credentials and strict spec validation.
///
/// ```
/// let config = hotdata_local::Config {
///     api_key: "my-key".into(),
///     max_upload_bytes: 1024 * 1024,
///     // Truncate live answers after 100 rows and keep results `processing` for half a second.
///     preview_rows: 100,
///     result_ready_delay: std::time::Duration::from_millis(500),
///     ..Default::default()
/// };
/// assert_eq!(config.port, None);
/// assert_eq!(config.contract, hotdata_local::Contract::Live);
/// assert_eq!(config.json_fetch_budget_bytes, hotdata_local::DEFAULT_JSON_FETCH_BUDGET);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port on 127.0.0.1; `None` picks a free one.
    pub port: Option<u16>,
    /// Directory holding state, uploads, tables and results. When set, everything survives a restart; when
    /// `None`, a temporary directory is used and removed when the server stops.
    pub data_dir: Option<PathBuf>,
    /// Largest accepted `POST /v1/files` body, in bytes; larger uploads get the spec's `413` error.
    pub max_upload_bytes: u64,
    /// The bearer token every request must carry.
    pub api_key: String,
    /// Public ID of the workspace seeded at start (sent as `X-Workspace-Id`).
    pub workspace_id: String,
    /// Spec-conformance mode.
    pub validation: Validation,
    /// The OpenAPI document to serve and validate against; `None` means this repository's `spec/openapi.yaml`.
    pub spec_path: Option<PathBuf>,
    /// How long a finished result stays `processing` before it turns `ready`; lets tests observe the `202` and
    /// `Retry-After` answer of `GET /v1/results/{id}`, and the `total_row_count: null` of a truncated answer
    /// whose result is still being written. Zero by default.
    pub result_ready_delay: Duration,
    /// Presigned upload sessions (`POST /v1/uploads` and the storage endpoint under `/_storage/`).
    pub uploads: UploadSessions,
    /// Which era's rules apply where the two eras conflict; [`Contract::Live`] by default.
    pub contract: Contract,
    /// Most rows a finished query sends inline ([`DEFAULT_PREVIEW_ROWS`] by default). Under
    /// [`Contract::Live`] a larger JSON answer is a preview of this many rows with `truncated: true` (the full
    /// rows are read through `result_id`); in either mode a larger answer asked for as an Arrow stream is a `202`
    /// whose rows are read from the stored result.
    pub preview_rows: u64,
    /// Largest estimated size, in bytes, of one JSON read of a stored result (`GET /v1/results/{id}` as JSON,
    /// for the asked `offset`/`limit` slice); a larger read is refused with `413 RESULT_TOO_LARGE`. The estimate
    /// is the slice's row count times the stored result's average Arrow bytes per row (the size of its Arrow IPC
    /// file divided by its row count, rounded up). [`DEFAULT_JSON_FETCH_BUDGET`] by default.
    pub json_fetch_budget_bytes: u64,
    /// Largest sum of the estimates (as for [`Config::json_fetch_budget_bytes`]) of the JSON result reads in
    /// flight at once; a read that would go over it is refused with `429` (`OVERLOADED`, `Retry-After: 1`), and one
    /// larger than this total on its own with `413`, as it could never be admitted. A read
    /// holds its share from admission until its body has been encoded, and the encoder waits for the client, so a
    /// slow reader keeps its share. [`DEFAULT_JSON_TOTAL_BUDGET`] by default. Arrow, CSV, Markdown and Parquet
    /// reads stream and count against neither budget.
    pub json_total_budget_bytes: u64,
}

/// Default of [`Config::preview_rows`]: 10,000 rows. The vendor documents a "bounded preview" without a number;
/// this is the size up to which the server builds an inline answer in memory and validates it against the spec,
/// so every live inline answer is checked, and it is the SDK's default page size for stored results.
pub const DEFAULT_PREVIEW_ROWS: u64 = 10_000;
/// Default of [`Config::json_fetch_budget_bytes`]: 256 MiB.
pub const DEFAULT_JSON_FETCH_BUDGET: u64 = 256 * 1024 * 1024;
/// Default of [`Config::json_total_budget_bytes`]: 1 GiB.
pub const DEFAULT_JSON_TOTAL_BUDGET: u64 = 1024 * 1024 * 1024;

/// Limits of presigned upload sessions. The defaults follow the documented service: files up to 16 GiB, parts
/// of 5 MiB to 5 GiB, at most 10,000 parts, URLs valid for 15 minutes.
///
/// ```
/// use std::time::Duration;
/// let config = hotdata_local::Config {
///     uploads: hotdata_local::UploadSessions {
///         single_put_max_bytes: 1024,
///         min_part_size: 16,
///         url_ttl: Duration::from_secs(1),
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// assert!(config.uploads.enabled);
/// ```
#[derive(Debug, Clone)]
pub struct UploadSessions {
    /// When false, the session operations answer `501` with error code `PRESIGN_UNSUPPORTED`, as a deployment
    /// without presigned URLs does.
    pub enabled: bool,
    /// Largest declared size that gets a single-`PUT` session; larger files are multipart.
    pub single_put_max_bytes: u64,
    /// Part size used when the request gives no `part_size` hint.
    pub part_size: u64,
    /// Smallest part size handed out (every part but the last has exactly the part size).
    pub min_part_size: u64,
    /// Largest part size handed out, and the most one storage `PUT` may carry.
    pub max_part_size: u64,
    /// Most parts one multipart upload may have.
    pub max_parts: u32,
    /// Largest file one session may finalize.
    pub max_file_bytes: u64,
    /// How long a presigned storage URL stays valid.
    pub url_ttl: Duration,
}

impl Default for UploadSessions {
    fn default() -> Self {
        UploadSessions {
            enabled: true,
            single_put_max_bytes: 64 * 1024 * 1024,
            part_size: 16 * 1024 * 1024,
            min_part_size: 5 * 1024 * 1024,
            max_part_size: 5 * 1024 * 1024 * 1024,
            max_parts: 10_000,
            max_file_bytes: 16 * 1024 * 1024 * 1024,
            url_ttl: Duration::from_secs(15 * 60),
        }
    }
}

/// The API key a default [`Config`] accepts.
pub const DEFAULT_API_KEY: &str = "hotdata-local-key";
/// The workspace a default [`Config`] seeds.
pub const DEFAULT_WORKSPACE_ID: &str = "ws_local";

impl Default for Config {
    fn default() -> Self {
        Config {
            port: None,
            data_dir: None,
            max_upload_bytes: 2 * 1024 * 1024 * 1024,
            api_key: DEFAULT_API_KEY.to_string(),
            workspace_id: DEFAULT_WORKSPACE_ID.to_string(),
            validation: Validation::Strict,
            spec_path: None,
            result_ready_delay: Duration::ZERO,
            uploads: UploadSessions::default(),
            contract: Contract::Live,
            preview_rows: DEFAULT_PREVIEW_ROWS,
            json_fetch_budget_bytes: DEFAULT_JSON_FETCH_BUDGET,
            json_total_budget_bytes: DEFAULT_JSON_TOTAL_BUDGET,
        }
    }
}
