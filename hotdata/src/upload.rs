//! Uploads streamed from a file or any reader, and the flows that use them:
//! loading an upload into a managed table and creating a dataset from it.

use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use bytes::BytesMut;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use tokio::io::{AsyncRead, AsyncReadExt as _};

use crate::client::Client;
use crate::error::Error;
use crate::generated::operations::UPLOAD_FILE;
use crate::generated::outcomes::LoadManagedTableOutcome;
use crate::generated::prelude::*;
use crate::generated::types;
use crate::transport;

const OPERATION: &str = UPLOAD_FILE.id;
/// Bytes read from the source per chunk sent; memory use stays near this.
pub const UPLOAD_CHUNK_SIZE: usize = 256 * 1024;

type Progress = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// How to send an upload: its content type, its size, and whom to tell how
/// far it got.
///
/// ```
/// let options = hotdata::UploadOptions::new()
///     .content_type("text/csv")
///     .size(1024)
///     .progress(|sent, total| eprintln!("{sent} of {total:?} bytes"));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct UploadOptions {
    content_type: Option<String>,
    size: Option<u64>,
    progress: Option<Progress>,
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("progress", &self.progress.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

impl UploadOptions {
    /// No content type, size or progress callback.
    pub fn new() -> Self {
        Self::default()
    }

    /// The body's media type. For files it is otherwise inferred from the
    /// extension (see [`content_type_for`]).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The exact number of bytes the reader yields, sent as
    /// `Content-Length` and passed to the progress callback as the total.
    /// Files know their size; for other readers it is optional.
    pub fn size(mut self, bytes: u64) -> Self {
        self.size = Some(bytes);
        self
    }

    /// Called with `(bytes_sent, total)` each time a chunk is handed to the
    /// connection.
    pub fn progress(mut self, callback: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
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
    owner: Owner,
    schema: String,
    table: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
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
    /// Uploads a file (`POST /v1/files`), streamed from disk in
    /// [`UPLOAD_CHUNK_SIZE`] chunks: memory use does not grow with the file.
    /// The content type comes from the extension ([`content_type_for`]).
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let upload = client.upload_file("orders.parquet").await?;
    /// println!("uploaded {} ({} bytes)", upload.id, upload.size_bytes);
    /// # Ok(()) }
    /// ```
    ///
    /// The generated operation (a body in memory) is still at
    /// `client.api().upload_file()`.
    pub async fn upload_file(&self, path: impl AsRef<Path>) -> Result<types::UploadResponse, Error> {
        self.upload_file_with(path, UploadOptions::new()).await
    }

    /// [`upload_file`](Client::upload_file) with options: a content type
    /// that overrides the extension, a progress callback.
    pub async fn upload_file_with(
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
        self.upload(file, options).await
    }

    /// Uploads whatever `reader` yields, streamed in [`UPLOAD_CHUNK_SIZE`]
    /// chunks (`application/octet-stream` unless
    /// [`UploadOptions::content_type`] says otherwise).
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
        reader: impl AsyncRead + Send + 'static,
        options: UploadOptions,
    ) -> Result<types::UploadResponse, Error> {
        let UploadOptions {
            content_type,
            size,
            progress,
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
        Ok(transport::decode_json::<types::UploadResponse>(OPERATION, response)
            .await?
            .into_inner())
    }

    /// Publishes an upload as the new contents of a managed table (the
    /// "load parquet into a managed table" flow).
    ///
    /// ```no_run
    /// use hotdata::upload::ManagedTable;
    /// use hotdata::types::LoadMode;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let upload = client.upload_file("orders.parquet").await?;
    /// let table = ManagedTable::in_database("db_abc123", "public", "orders");
    /// let loaded = client.load_upload(&upload.id, &table, LoadMode::Replace).await?;
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
    ///     .create_dataset_from_upload("customers", &upload.id, Some(hotdata::types::DataFormat::Csv))
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
