//! Waiting for long operations: query runs and background jobs.
//!
//! A handle holds only a client and an id, so a wait can be resumed from an
//! id stored by an earlier process.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::generated::prelude::*;
use crate::runtime::error::{Error, Failure};
use crate::types::{JobStatus, JobStatusResponse, QueryRunInfo, QueryRunStatus};

/// How a wait polls: how long in all, and how often.
///
/// Polling starts after [`initial_interval`](Self::initial_interval) and
/// the interval grows by half each time up to
/// [`max_interval`](Self::max_interval). The deadline bounds the whole wait,
/// each poll's request included: a poll still unanswered when it passes is
/// abandoned, so a stalled connection cannot hold the wait past it. The wait
/// then ends with [`Error::Timeout`], whose
/// [`source`](std::error::Error::source) is the last error a poll met, if
/// any (say, the `503` that kept it retrying); the operation itself is
/// unaffected and can be waited for again. A poll that fails with a
/// retryable error (after the client's own retries) does not end the wait;
/// any other error does.
///
/// ```
/// use std::time::Duration;
/// let opts = hotdata::WaitOptions::default()
///     .deadline(Duration::from_secs(120))
///     .initial_interval(Duration::from_millis(100))
///     .max_interval(Duration::from_secs(2));
/// assert_eq!(opts.get_deadline(), Duration::from_secs(120));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    deadline: Duration,
    initial_interval: Duration,
    max_interval: Duration,
}

impl Default for WaitOptions {
    /// A 10 minute deadline; polls from 250 ms apart up to 5 s apart.
    fn default() -> Self {
        WaitOptions {
            deadline: Duration::from_secs(600),
            initial_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(5),
        }
    }
}

impl WaitOptions {
    /// How long to wait in all.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The wait before the second poll (the first is immediate).
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// The longest wait between two polls.
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// How long to wait in all.
    pub fn get_deadline(&self) -> Duration {
        self.deadline
    }
}

/// Where a polled operation stands.
enum State {
    Done,
    Failed {
        status: String,
        message: Option<String>,
    },
    /// A status this SDK does not know: maybe final, so the wait stops.
    Unknown {
        status: String,
        message: Option<String>,
    },
    Pending,
}

/// Polls `fetch` until `state` says the operation ended or the deadline
/// passes; each poll is bounded by the time left.
async fn poll<T, F, Fut>(
    kind: &'static str,
    id: &str,
    opts: WaitOptions,
    mut fetch: F,
    state: impl Fn(&T) -> State,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let started = Instant::now();
    let timed_out = |last: Option<Error>| Error::wait_timeout(format!("wait for {kind} {id}"), started.elapsed(), last);
    let mut interval = opts.initial_interval;
    let mut polls: u32 = 0;
    let mut last: Option<Error> = None;
    loop {
        polls = polls.saturating_add(1);
        let span = tracing::debug_span!("hotdata.wait", kind, id, poll = polls);
        let left = opts.deadline.saturating_sub(started.elapsed());
        let Ok(polled) = tokio::time::timeout(left, fetch()).await else {
            tracing::debug!(parent: &span, "poll unanswered at the deadline");
            return Err(timed_out(last));
        };
        match polled {
            Ok(value) => match state(&value) {
                State::Done => return Ok(value),
                State::Failed { status, message } => return Err(Error::failed(kind, id, status, message)),
                State::Unknown { status, message } => {
                    return Err(Error::UnknownStatus(Box::new(Failure {
                        kind,
                        id: id.to_owned(),
                        status,
                        message,
                    })));
                }
                State::Pending => {}
            },
            Err(e) if e.is_retryable() => {
                tracing::debug!(parent: &span, error = %e, "poll failed; still waiting");
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
        let left = opts.deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(timed_out(last));
        }
        tokio::time::sleep(interval.min(left)).await;
        interval = interval.saturating_add(interval / 2).min(opts.max_interval);
    }
}

/// A query run, by id: read its state, or wait until it has finished.
///
/// Made by [`Client::query_run`], or by submitting a query.
///
/// ```no_run
/// # async fn run(client: hotdata::Client, stored_id: String) -> Result<(), hotdata::Error> {
/// use std::time::Duration;
/// let handle = client.query_run(stored_id);
/// let run = handle
///     .wait_with(hotdata::WaitOptions::default().deadline(Duration::from_secs(60)))
///     .await?;
/// println!("{} rows, result {:?}", run.row_count.unwrap_or(0), run.result_id);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct QueryRunHandle {
    client: Client,
    id: String,
    /// The run's database: the query's, else the client's default.
    database: Option<String>,
}

impl QueryRunHandle {
    /// A handle on run `id` through `client`, in the client's default database.
    pub(crate) fn new(client: Client, id: String) -> Self {
        let database = client.database_id().map(str::to_owned);
        QueryRunHandle { client, id, database }
    }

    /// A handle on run `id` of a query scoped to `database`.
    pub(crate) fn scoped(client: Client, id: String, database: Option<String>) -> Self {
        let database = database.or_else(|| client.database_id().map(str::to_owned));
        QueryRunHandle { client, id, database }
    }

    /// The same run, read in `database` (sent as `X-Database-Id`): the live
    /// API finds a run only in the database its query ran in. Handles from
    /// [`Query::submit`](crate::Query::submit) already carry it.
    pub fn database(mut self, database_id: impl Into<String>) -> Self {
        self.database = Some(database_id.into());
        self
    }

    /// The database the run is read in, if any.
    pub fn database_id(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// Waits for the run to succeed and reads all the rows of its stored
    /// result, in the run's database, as [`Client::result`] does (under
    /// the client's [`ResultLimits`](crate::ResultLimits)).
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let run = client.query("SELECT * FROM events").database("db_1").submit().await?;
    /// let rows = run.rows().await?;
    /// # Ok(()) }
    /// ```
    pub async fn rows(&self) -> Result<crate::Rows, Error> {
        let info = self.wait().await?;
        let Some(result_id) = info.result_id else {
            return Err(Error::decode(
                crate::generated::operations::GET_QUERY_RUN.id,
                Some(200),
                None,
                "result_id",
                "the run succeeded but names no stored result",
                b"",
            ));
        };
        let mut request = self.client.result(result_id);
        request.database = self.database.clone();
        request.rows().await
    }

    /// The run's id; store it to resume the wait later with
    /// [`Client::query_run`].
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The run's current state (`GET /v1/query-runs/{id}`).
    pub async fn get(&self) -> Result<QueryRunInfo, Error> {
        let operation = crate::generated::operations::GET_QUERY_RUN.id;
        let database = self.client.scope(operation, self.database.as_deref())?;
        let mut request = self.client.get_query_run().id(self.id.clone());
        if let Some(db) = database {
            request = request.x_database_id(db);
        }
        Ok(request.send().await?.into_inner())
    }

    /// Waits with [`WaitOptions::default`] until the run succeeds.
    ///
    /// A run that ends `failed` or `interrupted` is [`Error::Failed`] with
    /// its status and error message. A status this SDK does not know is
    /// [`Error::UnknownStatus`] with the status as the server spelled it:
    /// the wait stops rather than poll a status that may be final until the
    /// deadline.
    pub async fn wait(&self) -> Result<QueryRunInfo, Error> {
        self.wait_with(WaitOptions::default()).await
    }

    /// Waits until the run succeeds, as [`wait`](Self::wait) with `opts`.
    pub async fn wait_with(&self, opts: WaitOptions) -> Result<QueryRunInfo, Error> {
        poll(
            "query run",
            &self.id,
            opts,
            || self.get(),
            |run: &QueryRunInfo| match &run.status {
                QueryRunStatus::Running => State::Pending,
                QueryRunStatus::Succeeded => State::Done,
                // `interrupted` is final too: stopped before finishing.
                QueryRunStatus::Failed | QueryRunStatus::Interrupted => State::Failed {
                    status: run.status.to_string(),
                    message: run.error_message.clone(),
                },
                _ => State::Unknown {
                    status: run.status.to_string(),
                    message: run.error_message.clone(),
                },
            },
        )
        .await
    }
}

/// A background job (index creation, dataset refresh, ...), by id: read its
/// state, or wait until it has finished.
///
/// ```no_run
/// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
/// let job = client.job("job_123").wait().await?;
/// if let Some(warning) = &job.error_message {
///     eprintln!("finished with warnings: {warning}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct JobHandle {
    client: Client,
    id: String,
}

impl JobHandle {
    /// A handle on job `id` through `client`.
    pub(crate) fn new(client: Client, id: String) -> Self {
        JobHandle { client, id }
    }

    /// The job's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The job's current state (`GET /v1/jobs/{id}`).
    pub async fn get(&self) -> Result<JobStatusResponse, Error> {
        Ok(self.client.get_job().id(self.id.clone()).send().await?.into_inner())
    }

    /// Waits with [`WaitOptions::default`] until the job ends.
    ///
    /// `succeeded` and `partially_succeeded` return the job (the latter with
    /// its warning in `error_message`); `failed` is [`Error::Failed`]; a
    /// status this SDK does not know is [`Error::UnknownStatus`], as for
    /// [`QueryRunHandle::wait`].
    pub async fn wait(&self) -> Result<JobStatusResponse, Error> {
        self.wait_with(WaitOptions::default()).await
    }

    /// Waits until the job ends, as [`wait`](Self::wait) with `opts`.
    pub async fn wait_with(&self, opts: WaitOptions) -> Result<JobStatusResponse, Error> {
        poll(
            "job",
            &self.id,
            opts,
            || self.get(),
            |job: &JobStatusResponse| match &job.status {
                JobStatus::Pending | JobStatus::Running => State::Pending,
                JobStatus::Succeeded | JobStatus::PartiallySucceeded => State::Done,
                JobStatus::Failed => State::Failed {
                    status: job.status.to_string(),
                    message: job.error_message.clone(),
                },
                _ => State::Unknown {
                    status: job.status.to_string(),
                    message: job.error_message.clone(),
                },
            },
        )
        .await
    }
}
