//! Uploads from a file or any reader, and the flows that use them: loading
//! an upload into a managed table and creating a dataset from it.
//!
//! [`Client::upload_file`], [`Client::upload`] and [`Client::upload_files`]
//! use presigned upload sessions (`POST /v1/uploads`): the bytes go straight
//! to object storage in parts, then the session is finalized once. The
//! seed-era `POST /v1/files` stays reachable as the deprecated
//! [`Client::upload_legacy`].

mod presigned;

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use bytes::BytesMut;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use tokio::io::{AsyncRead, AsyncReadExt as _};

pub use presigned::{FinalizeUnclear, STORAGE_PUT, is_presign_unsupported};

use crate::client::Client;
use crate::generated::operations::{CREATE_UPLOAD_SESSION_HANDLER, UPLOAD_FILE};
use crate::generated::outcomes::LoadManagedTableOutcome;
use crate::generated::prelude::*;
use crate::generated::types;
use crate::runtime::error::Error;
use crate::runtime::send;

const OPERATION: &str = UPLOAD_FILE.id;
/// Bytes read from the source per chunk sent by the legacy
/// [`Client::upload_legacy`]; its memory use stays near this.
pub const UPLOAD_CHUNK_SIZE: usize = 256 * 1024;

/// Storage `PUT`s in flight at once for one upload unless
/// [`UploadOptions::concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

pub(crate) type Progress = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// How to send an upload: its content type, its size, how many parts at
/// once, an integrity checksum, and whom to tell how far it got.
///
/// ```
/// let options = hotdata::UploadOptions::new()
///     .content_type("text/csv")
///     .size(1024)
///     .concurrency(8)
///     .progress(|sent, total| eprintln!("{sent} of {total:?} bytes"));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct UploadOptions {
    content_type: Option<String>,
    size: Option<u64>,
    progress: Option<Progress>,
    concurrency: Option<usize>,
    part_size: Option<u64>,
    filename: Option<String>,
    sha256: Option<String>,
    compute_sha256: bool,
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("progress", &self.progress.as_ref().map(|_| "<callback>"))
            .field("concurrency", &self.concurrency)
            .field("part_size", &self.part_size)
            .field("filename", &self.filename)
            .field("sha256", &self.sha256)
            .field("compute_sha256", &self.compute_sha256)
            .finish()
    }
}

impl UploadOptions {
    /// No content type, size or progress callback; [`DEFAULT_CONCURRENCY`]
    /// parts at once; the server's part size.
    pub fn new() -> Self {
        Self::default()
    }

    /// The body's media type. For files it is otherwise inferred from the
    /// extension (see [`content_type_for`]).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The exact number of bytes the reader yields. It is declared when the
    /// session opens (the server refuses an oversized file before any
    /// transfer and checks the stored size at finalize) and passed to the
    /// progress callback as the total. Files know their size. A reader
    /// without one is sent as a streaming upload whose part URLs are minted
    /// as it goes; a reader that yields a different number of bytes than
    /// declared is an [`Error::InvalidArgument`] and is not finalized.
    pub fn size(mut self, bytes: u64) -> Self {
        self.size = Some(bytes);
        self
    }

    /// Called with `(bytes_stored, total)` each time a part is stored (for
    /// [`Client::upload_files`], bytes of all files together).
    pub fn progress(mut self, callback: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// How many storage `PUT`s may be in flight at once (at least 1; default
    /// [`DEFAULT_CONCURRENCY`]). Memory use stays near `concurrency` times
    /// the session's part size. For [`Client::upload_files`], how many files
    /// are sent at once, each one part at a time.
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.concurrency = Some(parts.max(1));
        self
    }

    /// A preferred part size for multipart sessions; the server fits it to
    /// its limits and has the last word.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = Some(bytes);
        self
    }

    /// The original file name, recorded with the upload for reference. Files
    /// send theirs.
    pub fn filename(mut self, name: impl Into<String>) -> Self {
        self.filename = Some(name.into());
        self
    }

    /// The SHA-256 of the whole body (hex or base64), declared when the
    /// session opens; the server refuses the finalize when the stored bytes
    /// do not match.
    pub fn sha256(mut self, digest: impl Into<String>) -> Self {
        self.sha256 = Some(digest.into());
        self
    }

    /// Compute the SHA-256 of a file and declare it (see
    /// [`sha256`](Self::sha256)). The service takes the checksum when the
    /// session opens, so the file is read once to hash it before the
    /// transfer (in constant memory). Only for files: [`Client::upload`]
    /// refuses it, since a reader cannot be read twice.
    #[cfg(feature = "checksum")]
    pub fn compute_sha256(mut self) -> Self {
        self.compute_sha256 = true;
        self
    }

    fn declare(&self) -> presigned::Declare {
        presigned::Declare {
            size: self.size,
            content_type: self.content_type.clone(),
            filename: self.filename.clone(),
            part_size: self.part_size,
            sha256: self.sha256.clone(),
        }
    }

    fn concurrency_or_default(&self) -> usize {
        self.concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1)
    }
}

/// The media type this SDK sends for a file name: `.csv`, `.json`
/// (`.jsonl`, `.ndjson`) and `.parquet` by extension, else
/// `application/octet-stream`.
///
/// ```
/// assert_eq!(hotdata::upload::content_type_for("orders.PARQUET".as_ref()), "application/parquet");
/// assert_eq!(hotdata::upload::content_type_for("a/b.csv".as_ref()), "text/csv");
/// assert_eq!(hotdata::upload::content_type_for("blob".as_ref()), "application/octet-stream");
/// ```
pub fn content_type_for(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "parquet" => "application/parquet",
        "csv" => "text/csv",
        "json" | "jsonl" | "ndjson" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Where a managed table lives: a connection id (e.g. a database's
/// `default_connection_id`), or a managed database whose default connection
/// is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedTable {
    pub(crate) owner: Owner,
    pub(crate) schema: String,
    pub(crate) table: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    Connection(String),
    Database(String),
}

impl ManagedTable {
    /// `schema.table` of the managed connection `connection_id`.
    pub fn in_connection(
        connection_id: impl Into<String>,
        schema: impl Into<String>,
        table: impl Into<String>,
    ) -> Self {
        ManagedTable {
            owner: Owner::Connection(connection_id.into()),
            schema: schema.into(),
            table: table.into(),
        }
    }

    /// `schema.table` of the managed database `database_id` (its default
    /// connection is looked up when loading).
    pub fn in_database(database_id: impl Into<String>, schema: impl Into<String>, table: impl Into<String>) -> Self {
        ManagedTable {
            owner: Owner::Database(database_id.into()),
            schema: schema.into(),
            table: table.into(),
        }
    }
}

impl Client {
    /// Uploads a file through a presigned upload session: one storage `PUT`
    /// for a small file, parts of the session's size (up to
    /// [`DEFAULT_CONCURRENCY`] at once) for a large one, then one finalize.
    /// Memory use stays near the concurrency times the part size. The
    /// content type comes from the extension ([`content_type_for`]).
    ///
    /// Each part is retried with backoff on `429`, `5xx`, timeouts and
    /// connection failures (the client's [`RetryPolicy`](crate::RetryPolicy)),
    /// and its URL is minted again when storage answers `403` (an expired
    /// URL). Storage requests carry none of the client's headers: no bearer,
    /// no workspace. Dropping the returned future stops the transfer. A
    /// server without presigned uploads gives an error for which
    /// [`is_presign_unsupported`] is true.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let upload = client.upload_file("orders.parquet").await?;
    /// println!("uploaded {} ({} bytes)", upload.upload_id, upload.size_bytes);
    /// # Ok(()) }
    /// ```
    ///
    /// The generated operations are at `client.api().create_upload_session_handler()` and
    /// next to it.
    pub async fn upload_file(&self, path: impl AsRef<Path>) -> Result<types::FinalizeUploadResponse, Error> {
        self.upload_file_with(path, UploadOptions::new()).await
    }

    /// [`upload_file`](Client::upload_file) with options: a content type
    /// that overrides the extension, a progress callback, concurrency, a
    /// checksum.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let options = hotdata::UploadOptions::new()
    ///     .concurrency(8)
    ///     .progress(|done, total| eprintln!("{done}/{total:?}"));
    /// let upload = client.upload_file_with("events.parquet", options).await?;
    /// # let _ = upload;
    /// # Ok(()) }
    /// ```
    pub async fn upload_file_with(
        &self,
        path: impl AsRef<Path>,
        options: UploadOptions,
    ) -> Result<types::FinalizeUploadResponse, Error> {
        let path = path.as_ref();
        let (file, options) = prepare_file(path, options).await?;
        self.upload_through_session(file, &options).await
    }

    /// Uploads whatever `reader` yields through a presigned upload session
    /// (`application/octet-stream` unless [`UploadOptions::content_type`]
    /// says otherwise). With [`UploadOptions::size`] the size is declared;
    /// without it the session is a streaming one: parts of the session's
    /// part size are read one after another and their URLs minted on demand,
    /// the last part taking the rest.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let csv: &'static [u8] = b"id,name\n1,ada\n";
    /// let options = hotdata::UploadOptions::new().content_type("text/csv").size(csv.len() as u64);
    /// let upload = client.upload(csv, options).await?;
    /// # let _ = upload;
    /// # Ok(()) }
    /// ```
    pub async fn upload(
        &self,
        reader: impl AsyncRead + Send,
        options: UploadOptions,
    ) -> Result<types::FinalizeUploadResponse, Error> {
        if options.compute_sha256 {
            return Err(Error::invalid_argument(
                CREATE_UPLOAD_SESSION_HANDLER.id,
                "compute_sha256",
                "a reader cannot be read twice to hash it before the session opens: pass the digest with \
                 `UploadOptions::sha256`, or upload a file with `upload_file_with`",
            ));
        }
        self.upload_through_session(reader, &options).await
    }

    /// Opens one session for what `options` declare and sends `reader`'s
    /// bytes through it.
    async fn upload_through_session(
        &self,
        reader: impl AsyncRead + Send,
        options: &UploadOptions,
    ) -> Result<types::FinalizeUploadResponse, Error> {
        let declare = options.declare();
        let session = presigned::open(self, &declare).await?;
        let tracker = presigned::Tracker::new(declare.size, options.progress.clone());
        presigned::transfer(
            self,
            session,
            Box::pin(reader),
            declare.size,
            options.concurrency_or_default(),
            &tracker,
        )
        .await
    }

    /// Uploads several files with one batch of sessions
    /// (`POST /v1/uploads/batch`), answered in the order of `paths`. See
    /// [`upload_files_with`](Client::upload_files_with).
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let uploads = client.upload_files(["jan.csv", "feb.csv", "mar.csv"]).await?;
    /// for u in &uploads {
    ///     println!("{} ({} bytes)", u.upload_id, u.size_bytes);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn upload_files<P: AsRef<Path>>(
        &self,
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Vec<types::FinalizeUploadResponse>, Error> {
        self.upload_files_with(paths, UploadOptions::new()).await
    }

    /// [`upload_files`](Client::upload_files) with options: up to
    /// [`UploadOptions::concurrency`] files are sent at once, each one part
    /// at a time, so memory stays near the concurrency times the part size;
    /// progress counts the bytes of all files against their sum. Content
    /// types come from each file's extension unless
    /// [`UploadOptions::content_type`] sets one for all; `size`, `filename`
    /// and `sha256` do not apply (each file declares its own size and name,
    /// and [`UploadOptions::compute_sha256`] hashes each file).
    ///
    /// Either every file is finalized and the list returned, or the first
    /// error is: files finalized before it stay uploaded (unloaded uploads
    /// expire), the others are not finalized.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let options = hotdata::UploadOptions::new().concurrency(2);
    /// let uploads = client.upload_files_with(["a.parquet", "b.parquet"], options).await?;
    /// # let _ = uploads;
    /// # Ok(()) }
    /// ```
    pub async fn upload_files_with<P: AsRef<Path>>(
        &self,
        paths: impl IntoIterator<Item = P>,
        options: UploadOptions,
    ) -> Result<Vec<types::FinalizeUploadResponse>, Error> {
        use futures::{StreamExt as _, TryStreamExt as _};
        let paths: Vec<PathBuf> = paths.into_iter().map(|p| p.as_ref().to_path_buf()).collect();
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let shared = UploadOptions {
            size: None,
            filename: None,
            sha256: None,
            ..options.clone()
        };
        let mut prepared = Vec::with_capacity(paths.len());
        for path in &paths {
            // Files are opened (and hashed, if asked) up front, so a missing
            // one fails before any session is opened.
            prepared.push(prepare_file(path, shared.clone()).await?);
        }
        let declares: Vec<_> = prepared.iter().map(|(_, o)| o.declare()).collect();
        let total = declares.iter().try_fold(0u64, |sum, d| sum.checked_add(d.size?));
        let sessions = presigned::open_batch(self, &declares).await?;
        let tracker = presigned::Tracker::new(total, options.progress.clone());
        let tracker = &tracker;
        futures::stream::iter(prepared.into_iter().zip(sessions).zip(declares))
            .map(|(((file, _), session), declare)| async move {
                presigned::transfer(self, session, Box::pin(file), declare.size, 1, tracker).await
            })
            .buffered(options.concurrency_or_default())
            .try_collect()
            .await
    }

    /// Uploads a file with the seed-era `POST /v1/files`, streamed in
    /// [`UPLOAD_CHUNK_SIZE`] chunks; see [`upload_legacy`](Client::upload_legacy).
    #[deprecated(
        note = "since 2026-07-23: `POST /v1/files` was replaced by presigned upload sessions; use `upload_file`. \
                Kept for seed-era servers that still serve it"
    )]
    #[allow(deprecated)]
    pub async fn upload_file_legacy(
        &self,
        path: impl AsRef<Path>,
        mut options: UploadOptions,
    ) -> Result<types::UploadResponse, Error> {
        let path = path.as_ref();
        let cannot = |e: std::io::Error| {
            Error::invalid_argument(OPERATION, "path", format!("cannot read {}: {e}", path.display()))
        };
        let file = tokio::fs::File::open(path).await.map_err(cannot)?;
        let size = file.metadata().await.map_err(cannot)?.len();
        options.size.get_or_insert(size);
        options
            .content_type
            .get_or_insert_with(|| content_type_for(path).to_owned());
        self.upload_legacy(file, options).await
    }

    /// Uploads whatever `reader` yields with the seed-era `POST /v1/files`:
    /// one request whose body is streamed in [`UPLOAD_CHUNK_SIZE`] chunks
    /// (`application/octet-stream` unless [`UploadOptions::content_type`]
    /// says otherwise). Only `content_type`, `size` and `progress` apply.
    /// For servers that predate presigned upload sessions (see
    /// [`is_presign_unsupported`]); the live service removed this endpoint.
    ///
    /// ```no_run
    /// # #[allow(deprecated)]
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let csv: &'static [u8] = b"id,name\n1,ada\n";
    /// let options = hotdata::UploadOptions::new().content_type("text/csv");
    /// let upload = client.upload_legacy(csv, options).await?;
    /// println!("{}", upload.id);
    /// # Ok(()) }
    /// ```
    #[deprecated(
        note = "since 2026-07-23: `POST /v1/files` was replaced by presigned upload sessions; use `upload`. \
                Kept for seed-era servers that still serve it"
    )]
    pub async fn upload_legacy(
        &self,
        reader: impl AsyncRead + Send + 'static,
        options: UploadOptions,
    ) -> Result<types::UploadResponse, Error> {
        let UploadOptions {
            content_type,
            size,
            progress,
            ..
        } = options;
        let body = reqwest::Body::wrap_stream(chunks(Box::pin(reader), size, progress));
        let mut request = self
            .request(&UPLOAD_FILE, &[])?
            .header(
                CONTENT_TYPE,
                content_type.as_deref().unwrap_or("application/octet-stream"),
            )
            .body(body);
        if let Some(size) = size {
            request = request.header(CONTENT_LENGTH, size);
        }
        let response = self.execute_ok(OPERATION, request).await?;
        Ok(send::decode_json::<types::UploadResponse>(OPERATION, response)
            .await?
            .into_inner())
    }

    /// Publishes an upload as the new contents of a managed table (the
    /// "load parquet into a managed table" flow).
    ///
    /// [`Client::load`] does this and more (every source and mode, key
    /// columns, background jobs); prefer it in new code. This shorthand
    /// stays for callers that have it, and for seed-era servers: a table
    /// [`in_database`](ManagedTable::in_database) is loaded through the
    /// database's default connection, looked up first.
    ///
    /// ```no_run
    /// use hotdata::upload::ManagedTable;
    /// use hotdata::types::LoadMode;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let upload = client.upload_file("orders.parquet").await?;
    /// let table = ManagedTable::in_database("db_abc123", "public", "orders");
    /// let loaded = client.load_upload(&upload.upload_id, &table, LoadMode::Replace).await?;
    /// println!("{} rows in {}", loaded.row_count, loaded.table_name);
    /// # Ok(()) }
    /// ```
    pub async fn load_upload(
        &self,
        upload_id: &str,
        target: &ManagedTable,
        mode: types::LoadMode,
    ) -> Result<types::LoadManagedTableResponse, Error> {
        let connection_id = match &target.owner {
            Owner::Connection(id) => id.clone(),
            Owner::Database(id) => {
                self.api()
                    .get_database()
                    .database_id(id)
                    .send()
                    .await?
                    .into_inner()
                    .default_connection_id
            }
        };
        let upload_id = upload_id.to_owned();
        let outcome = self
            .api()
            .load_managed_table()
            .connection_id(connection_id)
            .schema(target.schema.clone())
            .table(target.table.clone())
            .body_map(|b| b.mode(mode).upload_id(upload_id))
            .send_outcome()
            .await?
            .into_inner();
        match outcome {
            LoadManagedTableOutcome::Ok(loaded) => Ok(loaded),
            // The service may hand a large load to the background: wait for
            // its job and return the load it reports.
            LoadManagedTableOutcome::Accepted(submitted) => {
                let job = self.job(submitted.id).wait().await?;
                match job.result {
                    Some(types::JobResult::LoadManagedTableResponse(loaded)) => Ok(loaded),
                    _ => Err(Error::decode(
                        "load_managed_table",
                        None,
                        None,
                        "result",
                        format!("load job `{}` succeeded without a load result", job.id),
                        b"",
                    )),
                }
            }
        }
    }

    /// Creates a dataset from an upload; `format` says how to read the file
    /// when its content type does not. The table is then queryable as
    /// `datasets.main.<table_name>`.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let upload = client.upload_file("customers.csv").await?;
    /// let ds = client
    ///     .create_dataset_from_upload("customers", &upload.upload_id, Some(hotdata::types::DataFormat::Csv))
    ///     .await?;
    /// println!("query it as datasets.main.{}", ds.table_name);
    /// # Ok(()) }
    /// ```
    #[deprecated(
        note = "since 2026-06-19: datasets left the public API; seed-era and local servers still serve them. Load into a managed database table instead"
    )]
    #[allow(deprecated)]
    pub async fn create_dataset_from_upload(
        &self,
        label: &str,
        upload_id: &str,
        format: Option<types::DataFormat>,
    ) -> Result<types::CreateDatasetResponse, Error> {
        let source = types::UploadDatasetSource {
            columns: Default::default(),
            format,
            type_: types::UploadDatasetSourceType::Upload,
            upload_id: upload_id.to_owned(),
        };
        let label = label.to_owned();
        Ok(self
            .api()
            .create_dataset()
            .body_map(|b| b.label(label).source(types::DatasetSource::from(source)))
            .send()
            .await?
            .into_inner())
    }
}

/// Opens a file and completes the options from it: its size, content type
/// and name, and its SHA-256 when asked to compute one.
async fn prepare_file(path: &Path, mut options: UploadOptions) -> Result<(tokio::fs::File, UploadOptions), Error> {
    let op = CREATE_UPLOAD_SESSION_HANDLER.id;
    let cannot =
        |e: std::io::Error| Error::invalid_argument(op, "path", format!("cannot read {}: {e}", path.display()));
    let mut file = tokio::fs::File::open(path).await.map_err(cannot)?;
    let size = file.metadata().await.map_err(cannot)?.len();
    options.size = Some(size);
    options
        .content_type
        .get_or_insert_with(|| content_type_for(path).to_owned());
    if options.filename.is_none() {
        options.filename = path.file_name().map(|n| n.to_string_lossy().into_owned());
    }
    if options.compute_sha256 {
        options.sha256 = Some(hash_file(&mut file).await.map_err(cannot)?);
    }
    Ok((file, options))
}

/// The hex SHA-256 of the rest of `file`, which is then rewound.
#[cfg(feature = "checksum")]
async fn hash_file(file: &mut tokio::fs::File) -> std::io::Result<String> {
    use sha2::Digest as _;
    use tokio::io::AsyncSeekExt as _;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    file.rewind().await?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(not(feature = "checksum"))]
async fn hash_file(_: &mut tokio::fs::File) -> std::io::Result<String> {
    Err(std::io::Error::other(
        "computing a SHA-256 needs the `checksum` feature",
    ))
}

/// The reader as a stream of chunks, reporting progress as each is handed on.
fn chunks(
    reader: Pin<Box<dyn AsyncRead + Send>>,
    total: Option<u64>,
    progress: Option<Progress>,
) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    let state = (reader, BytesMut::new(), 0u64, progress);
    futures::stream::try_unfold(state, move |(mut reader, mut buf, sent, progress)| async move {
        buf.reserve(UPLOAD_CHUNK_SIZE);
        let n = reader.read_buf(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        let chunk = buf.split().freeze();
        let sent = sent + n as u64;
        if let Some(report) = &progress {
            report(sent, total);
        }
        Ok(Some((chunk, (reader, buf, sent, progress))))
    })
}
