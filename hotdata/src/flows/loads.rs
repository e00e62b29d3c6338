//! Loads: writing rows into a managed table, from an upload, a stored
//! result or CSV text sent inline, in one of five modes.
//!
//! [`Client::load`] (and [`Database::load`](crate::Database::load)) is the
//! one entry point. It takes the table, a source and a [`LoadMode`], checks
//! them before anything is sent, and then either runs the load to the end
//! (await it) or hands it to a background job ([`Load::submit`],
//! [`Load::async_after`]) that is waited on with [`LoadJob`].
//!
//! ```no_run
//! use hotdata::loads::LoadMode;
//! # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
//! let table = hotdata::ManagedTable::in_database("db_abc123", "main", "people");
//! let loaded = client
//!     .load(table)
//!     .from_csv("id,name\n1,ada\n2,bob\n")
//!     .mode(LoadMode::Upsert { keys: vec!["id".into()] })
//!     .await?;
//! println!("{} rows in {}.{}", loaded.row_count, loaded.schema_name, loaded.table_name);
//! # Ok(()) }
//! ```
//!
//! # Retries and idempotency keys
//!
//! A load is a `POST`, so the client sends it again after a connection
//! failure only when the request provably never reached the server, or when
//! its body carries an `idempotency_key` (see [`RetryPolicy`](crate::RetryPolicy)).
//! The spec allows that key on **inline CSV loads only** (the server refuses
//! it next to `upload_id` or `result_id`), so:
//!
//! - an inline load always carries one: the caller's
//!   ([`Load::idempotency_key`]) or a random one made for that call. Every
//!   retry of the call sends the same bytes, so the same key, and the server
//!   loads the rows at most once and answers the repeat with the first
//!   outcome. A connection reset after the server took the request is then
//!   retried safely.
//! - an upload or result load carries none. After a connection failure that
//!   may have reached the server it is **not** resent; the error comes back
//!   as [`Error::Transport`] and the caller decides. The spec names the safe
//!   way to do that for an upload: load the same `upload_id` again (the
//!   server claims an upload atomically, so a second load of it while the
//!   first runs is a `409`).
//!
//! A key reused with other data, another table or another mode is a `409`
//! with code `IDEMPOTENCY_KEY_CONFLICT`: nothing was loaded, and sending it
//! again will not help. Two other `409`s say nothing was written yet and are
//! sent again, the same bytes, within the client's retry policy:
//! `RESOURCE_LOCKED` (another load holds the table) for every load, and, for
//! an inline load, the answer to a resend that arrived while the first
//! attempt with its key still ran.
//!
//! # Names
//!
//! The generated operations keep their spec names (`load_managed_table`,
//! `load_database_table`, reachable through [`Client::api`]); the flow has a
//! name no operation has (`load`), so no name on [`Client`] means two things.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::Nullable;
use crate::client::Client;
use crate::flows::runs::{JobHandle, WaitOptions};
use crate::flows::upload::{ManagedTable, Owner};
use crate::generated::operations::GET_JOB;
use crate::generated::outcomes::{LoadDatabaseTableOutcome, LoadManagedTableOutcome};
use crate::generated::prelude::*;
use crate::generated::types;
use crate::runtime::error::Error;

const OPERATION: &str = "load";

/// The largest inline CSV body the service takes (2 MiB); a larger one is
/// refused here, before sending, as the service would refuse it with `413`.
/// Upload bigger files ([`Client::upload`]) and load the upload.
pub const INLINE_DATA_LIMIT: usize = 2 * 1024 * 1024;

/// The longest idempotency key the service takes, in characters.
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 255;

/// The shortest wait [`Load::async_after`] accepts.
pub const MIN_ASYNC_AFTER: Duration = Duration::from_millis(1000);

/// What a load does with the rows already in the table.
///
/// The keyed modes match incoming rows to stored ones on `keys`. An empty
/// list is refused with [`Error::InvalidArgument`] before anything is sent,
/// unless the load says [`Load::declared_key`] (then the key the table was
/// declared with applies).
///
/// ```
/// use hotdata::loads::LoadMode;
/// let mode = LoadMode::Upsert { keys: vec!["id".into()] };
/// assert_eq!(mode.as_str(), "upsert");
/// assert_eq!(mode.keys(), ["id".to_owned()]);
/// assert!(LoadMode::Append.keys().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadMode {
    /// The loaded rows become the whole table.
    Replace,
    /// The loaded rows are added; they must carry every column the table has.
    Append,
    /// Rows matching the incoming keys are removed (send key columns only).
    Delete {
        /// The key columns.
        keys: Vec<String>,
    },
    /// Rows matching the incoming keys are replaced; unmatched incoming rows
    /// are dropped.
    Update {
        /// The key columns.
        keys: Vec<String>,
    },
    /// Rows matching the incoming keys are replaced; the others are added.
    Upsert {
        /// The key columns.
        keys: Vec<String>,
    },
}

impl LoadMode {
    /// The mode as the wire spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            LoadMode::Replace => "replace",
            LoadMode::Append => "append",
            LoadMode::Delete { .. } => "delete",
            LoadMode::Update { .. } => "update",
            LoadMode::Upsert { .. } => "upsert",
        }
    }

    /// The key columns of a keyed mode; empty for `Replace` and `Append`.
    pub fn keys(&self) -> &[String] {
        match self {
            LoadMode::Replace | LoadMode::Append => &[],
            LoadMode::Delete { keys } | LoadMode::Update { keys } | LoadMode::Upsert { keys } => keys,
        }
    }

    fn is_keyed(&self) -> bool {
        !matches!(self, LoadMode::Replace | LoadMode::Append)
    }

    fn wire(&self) -> types::LoadMode {
        match self {
            LoadMode::Replace => types::LoadMode::Replace,
            LoadMode::Append => types::LoadMode::Append,
            LoadMode::Delete { .. } => types::LoadMode::Delete,
            LoadMode::Update { .. } => types::LoadMode::Update,
            LoadMode::Upsert { .. } => types::LoadMode::Upsert,
        }
    }
}

/// Where a load's rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadSource {
    /// A finalized upload, by id (CSV, newline-delimited JSON or Parquet).
    Upload(String),
    /// A stored query result, by id; copied, so the table outlives it.
    Result(String),
    /// CSV text with a header row, sent in the request (at most
    /// [`INLINE_DATA_LIMIT`] bytes).
    Csv(String),
}

/// A load being configured; see [`Client::load`]. Await it to run the load
/// to the end, or call [`submit`](Load::submit) /
/// [`async_after`](Load::async_after) for a background job.
#[derive(Debug, Clone)]
#[must_use = "a load does nothing until awaited or submitted"]
pub struct Load<'a> {
    client: &'a Client,
    table: ManagedTable,
    source: Option<LoadSource>,
    mode: Option<LoadMode>,
    format: Option<types::DataFormat>,
    columns: HashMap<String, types::ColumnDefinition>,
    idempotency_key: Option<String>,
    declared_key: bool,
    wait: WaitOptions,
    /// Why an argument is already known to be bad (CSV bytes that are not
    /// UTF-8), reported when the load is sent.
    refused: Option<String>,
}

/// What [`Load::submit`] and [`Load::async_after`] came back with.
#[derive(Debug)]
pub enum LoadOutcome {
    /// The load finished before the answer; here is its summary.
    Done(types::LoadManagedTableResponse),
    /// The load goes on as this background job.
    Running(LoadJob),
}

/// A background load, by job id: wait for its summary.
///
/// ```no_run
/// # async fn run(client: hotdata::Client, upload_id: String) -> Result<(), hotdata::Error> {
/// use hotdata::loads::{LoadMode, LoadOutcome};
/// let table = hotdata::ManagedTable::in_database("db_abc123", "main", "events");
/// match client.load(table).from_upload(upload_id).mode(LoadMode::Append).submit().await? {
///     LoadOutcome::Done(loaded) => println!("{} rows", loaded.row_count),
///     LoadOutcome::Running(job) => {
///         println!("job {}", job.id());
///         let loaded = job.wait().await?;
///         println!("{} rows", loaded.row_count);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LoadJob {
    job: JobHandle,
}

impl From<JobHandle> for LoadJob {
    /// A load job from a job handle, e.g. one resumed by id with
    /// [`Client::job`].
    fn from(job: JobHandle) -> Self {
        LoadJob { job }
    }
}

impl LoadJob {
    /// The job's id.
    pub fn id(&self) -> &str {
        self.job.id()
    }

    /// The underlying job handle, for its raw state.
    pub fn job(&self) -> &JobHandle {
        &self.job
    }

    /// Waits with [`WaitOptions::default`] until the job ends and returns the
    /// load's summary; a failed job is [`Error::Failed`].
    pub async fn wait(&self) -> Result<types::LoadManagedTableResponse, Error> {
        self.wait_with(WaitOptions::default()).await
    }

    /// [`wait`](Self::wait) with `opts`.
    pub async fn wait_with(&self, opts: WaitOptions) -> Result<types::LoadManagedTableResponse, Error> {
        let job = self.job.wait_with(opts).await?;
        match job.result {
            Some(types::JobResult::LoadManagedTableResponse(loaded)) => Ok(loaded),
            _ => Err(Error::decode(
                GET_JOB.id,
                None,
                None,
                "result",
                format!("load job `{}` ended without a load summary", job.id),
                b"",
            )),
        }
    }
}

impl Client {
    /// Starts a load into `table` (in a database or on a managed
    /// connection). Give it a source ([`from_upload`](Load::from_upload),
    /// [`from_result`](Load::from_result), [`from_csv`](Load::from_csv)) and
    /// a [`mode`](Load::mode), then await it. See the [module
    /// docs](crate::flows::loads) for retries and idempotency keys.
    ///
    /// ```no_run
    /// use hotdata::loads::LoadMode;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let upload = client.upload_file("orders.parquet").await?;
    /// let table = hotdata::ManagedTable::in_database("db_abc123", "main", "orders");
    /// let loaded = client.load(table).from_upload(upload.upload_id).mode(LoadMode::Replace).await?;
    /// println!("{} rows", loaded.row_count);
    /// # Ok(()) }
    /// ```
    pub fn load(&self, table: ManagedTable) -> Load<'_> {
        Load {
            client: self,
            table,
            source: None,
            mode: None,
            format: None,
            columns: HashMap::new(),
            idempotency_key: None,
            declared_key: false,
            wait: WaitOptions::default(),
            refused: None,
        }
    }
}

impl<'a> Load<'a> {
    /// Loads a finalized upload (`upload_id`).
    pub fn from_upload(mut self, upload_id: impl Into<String>) -> Self {
        self.refused = None;
        self.source = Some(LoadSource::Upload(upload_id.into()));
        self
    }

    /// Copies a stored query result (`result_id`). Such loads always run to
    /// the end before the answer, even when submitted.
    pub fn from_result(mut self, result_id: impl Into<String>) -> Self {
        self.refused = None;
        self.source = Some(LoadSource::Result(result_id.into()));
        self
    }

    /// Sends CSV text (with a header row) in the request. At most
    /// [`INLINE_DATA_LIMIT`] bytes.
    pub fn from_csv(mut self, csv: impl Into<String>) -> Self {
        self.refused = None;
        self.source = Some(LoadSource::Csv(csv.into()));
        self
    }

    /// [`from_csv`](Self::from_csv) from bytes, which must be UTF-8 (the
    /// wire field is text); other bytes are an [`Error::InvalidArgument`]
    /// when the load is sent.
    pub fn from_csv_bytes(mut self, csv: impl Into<Vec<u8>>) -> Self {
        match String::from_utf8(csv.into()) {
            Ok(text) => self.source = Some(LoadSource::Csv(text)),
            Err(e) => self.refused = Some(format!("inline CSV must be UTF-8: {e}")),
        }
        self
    }

    /// Any [`LoadSource`].
    pub fn source(mut self, source: LoadSource) -> Self {
        self.refused = None;
        self.source = Some(source);
        self
    }

    /// What to do with the rows already there. Required.
    pub fn mode(mut self, mode: LoadMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Lets a keyed mode go without key columns, so the key the table was
    /// declared with applies. Without this, a keyed mode with no keys is an
    /// [`Error::InvalidArgument`].
    pub fn declared_key(mut self) -> Self {
        self.declared_key = true;
        self
    }

    /// How to read the source: for an upload, when its content type does not
    /// say; inline CSV takes only [`types::DataFormat::Csv`]; a result load
    /// takes none.
    pub fn format(mut self, format: types::DataFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// The SQL type of an inline CSV column (`BIGINT`, `DECIMAL(10,2)`, ...).
    /// Once one is given, every CSV column must be; otherwise types are
    /// inferred. Only for inline CSV.
    pub fn column(mut self, name: impl Into<String>, sql_type: impl Into<String>) -> Self {
        self.columns
            .insert(name.into(), types::ColumnDefinition::String(sql_type.into()));
        self
    }

    /// The idempotency key to send, instead of a random one made for this
    /// call: reuse it when sending the same load again from a later process
    /// (at most [`IDEMPOTENCY_KEY_MAX_CHARS`] characters). Only for inline
    /// CSV; see the [module docs](crate::flows::loads).
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// How a load the server moves to a background job is waited on when
    /// the load is awaited (default [`WaitOptions::default`]).
    pub fn wait_options(mut self, opts: WaitOptions) -> Self {
        self.wait = opts;
        self
    }

    /// Runs the load to the end and returns the table's summary. Same as
    /// awaiting the load. If the server hands it to a job anyway, the job is
    /// waited on.
    pub async fn send(self) -> Result<types::LoadManagedTableResponse, Error> {
        let wait = self.wait;
        match self.dispatch(None).await? {
            LoadOutcome::Done(loaded) => Ok(loaded),
            LoadOutcome::Running(job) => job.wait_with(wait).await,
        }
    }

    /// Hands the load to a background job and returns it at once
    /// ([`LoadOutcome::Running`]). A result load runs to the end first
    /// ([`LoadOutcome::Done`]), as the service always runs those.
    pub async fn submit(self) -> Result<LoadOutcome, Error> {
        self.dispatch(Some(None)).await
    }

    /// Waits up to `wait` (at least [`MIN_ASYNC_AFTER`]) for the load, then
    /// leaves it to a background job: [`LoadOutcome::Done`] if it finished
    /// in time, else [`LoadOutcome::Running`].
    pub async fn async_after(self, wait: Duration) -> Result<LoadOutcome, Error> {
        if wait < MIN_ASYNC_AFTER {
            return Err(Error::invalid_argument(
                OPERATION,
                "async_after",
                format!("must be at least {MIN_ASYNC_AFTER:?}, got {wait:?}"),
            ));
        }
        self.dispatch(Some(Some(wait))).await
    }

    /// Checks the arguments and builds the body the spec describes.
    /// `background`: `None` for a load run to the end, `Some(after)` for an
    /// async one.
    fn body(&self, background: Option<Option<Duration>>) -> Result<types::LoadManagedTableRequest, Error> {
        let invalid = |argument: &'static str, message: String| Error::invalid_argument(OPERATION, argument, message);
        if let Some(why) = &self.refused {
            return Err(invalid("data", why.clone()));
        }
        let Some(source) = &self.source else {
            return Err(invalid(
                "source",
                "a load needs a source: `from_upload`, `from_result` or `from_csv`".into(),
            ));
        };
        let Some(mode) = &self.mode else {
            return Err(invalid(
                "mode",
                "a load needs a mode: replace, append, delete, update or upsert".into(),
            ));
        };
        if mode.is_keyed() && mode.keys().is_empty() && !self.declared_key {
            return Err(invalid(
                "mode",
                format!(
                    "mode `{}` matches rows on key columns: list them in the mode, or call `declared_key()` \
                     to use the key the table was declared with",
                    mode.as_str()
                ),
            ));
        }
        if let Some(k) = mode.keys().iter().find(|k| k.is_empty()) {
            return Err(invalid(
                "mode",
                format!("key column names must not be empty (got {k:?})"),
            ));
        }
        let inline = matches!(source, LoadSource::Csv(_));
        if !inline && self.idempotency_key.is_some() {
            return Err(invalid(
                "idempotency_key",
                "the service takes an idempotency key only with inline CSV (`from_csv`)".into(),
            ));
        }
        if !inline && !self.columns.is_empty() {
            return Err(invalid(
                "columns",
                "column types can only be declared for inline CSV".into(),
            ));
        }
        match (source, &self.format) {
            (LoadSource::Result(_), Some(_)) => {
                return Err(invalid("format", "a result load takes no format".into()));
            }
            (LoadSource::Csv(_), Some(f)) if *f != types::DataFormat::Csv => {
                return Err(invalid("format", format!("inline data is CSV, not {f}")));
            }
            _ => {}
        }
        let mut body = types::LoadManagedTableRequest {
            async_: None,
            async_after_ms: Nullable::Unset,
            columns: self.columns.clone(),
            data: Nullable::Unset,
            format: self.format.clone().into(),
            idempotency_key: Nullable::Unset,
            key: Nullable::Unset,
            mode: mode.wire(),
            result_id: Nullable::Unset,
            upload_id: Nullable::Unset,
        };
        if mode.is_keyed() && !mode.keys().is_empty() {
            body.key = Nullable::Value(mode.keys().to_vec());
        }
        match source {
            LoadSource::Upload(id) => body.upload_id = Nullable::Value(id.clone()),
            LoadSource::Result(id) => body.result_id = Nullable::Value(id.clone()),
            LoadSource::Csv(text) => {
                if text.len() > INLINE_DATA_LIMIT {
                    return Err(invalid(
                        "data",
                        format!(
                            "inline CSV is {} bytes, over the service's {INLINE_DATA_LIMIT}: upload it and load the \
                             upload",
                            text.len()
                        ),
                    ));
                }
                body.data = Nullable::Value(text.clone());
                let key = match &self.idempotency_key {
                    Some(k) => k.clone(),
                    None => new_idempotency_key(),
                };
                let key: types::LoadManagedTableRequestIdempotencyKey = key.parse().map_err(|_| {
                    invalid(
                        "idempotency_key",
                        format!("at most {IDEMPOTENCY_KEY_MAX_CHARS} characters"),
                    )
                })?;
                if key.is_empty() {
                    return Err(invalid("idempotency_key", "must not be empty".into()));
                }
                body.idempotency_key = Nullable::Value(key);
            }
        }
        // The service always runs a result load to the end; it is not sent
        // as async.
        if let (Some(after), false) = (background, matches!(source, LoadSource::Result(_))) {
            body.async_ = Some(true);
            if let Some(after) = after {
                body.async_after_ms = Nullable::Value(i64::try_from(after.as_millis()).unwrap_or(i64::MAX));
            }
        }
        Ok(body)
    }

    /// Sends the load (the transport retries as the body allows), and sends
    /// it again on a `409` that says nothing was written yet: see
    /// [`resendable_conflict`].
    async fn dispatch(self, background: Option<Option<Duration>>) -> Result<LoadOutcome, Error> {
        let body = self.body(background)?;
        let keyed = !body.idempotency_key.is_unset();
        let policy = self.client.retry_policy();
        let started = Instant::now();
        let mut attempt: u32 = 1;
        loop {
            match self.send_once(body.clone()).await {
                Err(e) if resendable_conflict(&e, keyed) && attempt < policy.get_max_attempts() => {
                    let wait = e.retry_after().unwrap_or_else(|| policy.backoff(attempt));
                    if started.elapsed().saturating_add(wait) > policy.get_max_elapsed() {
                        return Err(e);
                    }
                    tracing::debug!(
                        code = e.code(),
                        wait_ms = wait.as_millis() as u64,
                        "load: resending after 409"
                    );
                    tokio::time::sleep(wait).await;
                    attempt = attempt.saturating_add(1);
                }
                other => return other,
            }
        }
    }

    /// One request with `body` to the table's load operation.
    async fn send_once(&self, body: types::LoadManagedTableRequest) -> Result<LoadOutcome, Error> {
        let client = self.client;
        let (schema, table) = (self.table.schema.clone(), self.table.table.clone());
        let job = |submitted: types::SubmitJobResponse| LoadOutcome::Running(LoadJob::from(client.job(submitted.id)));
        Ok(match &self.table.owner {
            Owner::Database(id) => {
                match client
                    .api()
                    .load_database_table()
                    .database_id(id.clone())
                    .schema(schema)
                    .table(table)
                    .body(body)
                    .send_outcome()
                    .await?
                    .into_inner()
                {
                    LoadDatabaseTableOutcome::Ok(loaded) => LoadOutcome::Done(loaded),
                    LoadDatabaseTableOutcome::Accepted(submitted) => job(submitted),
                }
            }
            Owner::Connection(id) => {
                match client
                    .api()
                    .load_managed_table()
                    .connection_id(id.clone())
                    .schema(schema)
                    .table(table)
                    .body(body)
                    .send_outcome()
                    .await?
                    .into_inner()
                {
                    LoadManagedTableOutcome::Ok(loaded) => LoadOutcome::Done(loaded),
                    LoadManagedTableOutcome::Accepted(submitted) => job(submitted),
                }
            }
        })
    }
}

/// The `409` code of a load refused because another load holds the table.
pub const RESOURCE_LOCKED: &str = "RESOURCE_LOCKED";
/// The `409` code of a key reused with another body, table or mode.
pub const IDEMPOTENCY_KEY_CONFLICT: &str = "IDEMPOTENCY_KEY_CONFLICT";

/// Whether a load refused with `e` is sent again, the same bytes after
/// `Retry-After` (or the retry policy's backoff), within the client's
/// [`RetryPolicy`](crate::RetryPolicy) attempts and time limit:
///
/// - `409 RESOURCE_LOCKED`, for every load: another load holds the table,
///   nothing was written, and the spec says to send the same request again;
/// - for a keyed (inline) load, any other `409` but
///   `IDEMPOTENCY_KEY_CONFLICT`: the spec's answer to a resend that arrives
///   while the first attempt with that key still runs ("wait and resend with
///   the same key"). The repeat is answered with the first outcome.
///
/// `IDEMPOTENCY_KEY_CONFLICT` is permanent and an upload already being
/// loaded is the caller's to sort out: neither is resent.
fn resendable_conflict(e: &Error, keyed: bool) -> bool {
    match e {
        Error::Api(api) if api.status == 409 => match api.code.as_deref() {
            Some(RESOURCE_LOCKED) => true,
            Some(IDEMPOTENCY_KEY_CONFLICT) => false,
            _ => keyed,
        },
        _ => false,
    }
}

impl<'a> IntoFuture for Load<'a> {
    type Output = Result<types::LoadManagedTableResponse, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A fresh random idempotency key: 128 random bits in hex, with a prefix
/// that says who made it.
pub(crate) fn new_idempotency_key() -> String {
    format!("hdsdk-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::builder()
            .base_url("http://127.0.0.1:9")
            .api_key("k")
            .workspace_id("ws")
            .build()
            .expect("client")
    }

    fn table() -> ManagedTable {
        ManagedTable::in_database("db_1", "main", "t")
    }

    fn argument(err: Error) -> String {
        match err {
            Error::InvalidArgument { argument, .. } => argument.into_owned(),
            other => panic!("not an InvalidArgument: {other:?}"),
        }
    }

    #[test]
    fn keyed_modes_without_keys_are_refused_unless_the_declared_key_is_asked_for() {
        let c = client();
        for mode in [
            LoadMode::Delete { keys: vec![] },
            LoadMode::Update { keys: vec![] },
            LoadMode::Upsert { keys: vec![] },
        ] {
            let load = c.load(table()).from_csv("id\n1\n").mode(mode.clone());
            assert_eq!(argument(load.body(None).unwrap_err()), "mode", "{mode:?}");
            let body = c.load(table()).from_csv("id\n1\n").mode(mode).declared_key().body(None);
            assert!(body.expect("declared key").key.is_unset());
        }
        let body = c
            .load(table())
            .from_csv("id\n1\n")
            .mode(LoadMode::Upsert {
                keys: vec!["id".into()],
            })
            .body(None)
            .unwrap();
        assert_eq!(body.key, Nullable::Value(vec!["id".to_owned()]));
    }

    #[test]
    fn inline_loads_carry_a_fresh_key_and_the_others_none() {
        let c = client();
        let a = c
            .load(table())
            .from_csv("a\n1\n")
            .mode(LoadMode::Append)
            .body(None)
            .unwrap();
        let b = c
            .load(table())
            .from_csv("a\n1\n")
            .mode(LoadMode::Append)
            .body(None)
            .unwrap();
        let (Nullable::Value(ka), Nullable::Value(kb)) = (&a.idempotency_key, &b.idempotency_key) else {
            panic!("inline loads carry a key");
        };
        assert_ne!(ka, kb, "a key per call");
        assert!(ka.starts_with("hdsdk-") && ka.len() == 6 + 32, "{}", **ka);
        let given = c
            .load(table())
            .from_csv("a\n1\n")
            .mode(LoadMode::Append)
            .idempotency_key("mine")
            .body(None)
            .unwrap();
        assert_eq!(given.idempotency_key.as_value().map(|k| k.as_str()), Some("mine"));
        let upload = c
            .load(table())
            .from_upload("up_1")
            .mode(LoadMode::Append)
            .body(None)
            .unwrap();
        assert!(upload.idempotency_key.is_unset());
        let err = c
            .load(table())
            .from_result("res_1")
            .mode(LoadMode::Append)
            .idempotency_key("mine")
            .body(None)
            .unwrap_err();
        assert_eq!(argument(err), "idempotency_key");
        let long = "k".repeat(IDEMPOTENCY_KEY_MAX_CHARS + 1);
        let err = c
            .load(table())
            .from_csv("a\n1\n")
            .mode(LoadMode::Append)
            .idempotency_key(long)
            .body(None)
            .unwrap_err();
        assert_eq!(argument(err), "idempotency_key");
    }

    #[test]
    fn sources_formats_and_sizes_are_checked_before_sending() {
        let c = client();
        assert_eq!(
            argument(c.load(table()).mode(LoadMode::Append).body(None).unwrap_err()),
            "source"
        );
        assert_eq!(
            argument(c.load(table()).from_csv("a\n").body(None).unwrap_err()),
            "mode"
        );
        let big = "a\n".repeat(INLINE_DATA_LIMIT / 2 + 1);
        let err = c
            .load(table())
            .from_csv(big)
            .mode(LoadMode::Append)
            .body(None)
            .unwrap_err();
        assert_eq!(argument(err), "data");
        let err = c
            .load(table())
            .from_csv_bytes(vec![0xff, 0xfe])
            .mode(LoadMode::Append)
            .body(None)
            .unwrap_err();
        assert_eq!(argument(err), "data");
        let err = c
            .load(table())
            .from_result("r")
            .mode(LoadMode::Append)
            .format(types::DataFormat::Csv)
            .body(None)
            .unwrap_err();
        assert_eq!(argument(err), "format");
        let err = c
            .load(table())
            .from_upload("u")
            .mode(LoadMode::Append)
            .column("a", "BIGINT")
            .body(None)
            .unwrap_err();
        assert_eq!(argument(err), "columns");
    }

    #[test]
    fn result_loads_are_never_sent_as_async() {
        let c = client();
        let body = c
            .load(table())
            .from_result("r")
            .mode(LoadMode::Replace)
            .body(Some(Some(Duration::from_secs(2))))
            .unwrap();
        assert_eq!((body.async_, body.async_after_ms.is_unset()), (None, true));
        let body = c
            .load(table())
            .from_upload("u")
            .mode(LoadMode::Replace)
            .body(Some(Some(Duration::from_secs(2))))
            .unwrap();
        assert_eq!((body.async_, body.async_after_ms), (Some(true), Nullable::Value(2000)));
    }

    #[tokio::test]
    async fn a_bad_load_is_refused_without_a_request() {
        // Port 9 (discard) on loopback: a request would fail as Transport.
        let c = client();
        let err = c
            .load(table())
            .from_csv("id\n1\n")
            .mode(LoadMode::Delete { keys: vec![] })
            .await;
        assert_eq!(argument(err.unwrap_err()), "mode");
        let err = c
            .load(table())
            .from_upload("u")
            .mode(LoadMode::Append)
            .async_after(Duration::from_millis(10))
            .await;
        assert_eq!(argument(err.unwrap_err()), "async_after");
    }
}
