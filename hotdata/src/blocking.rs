//! A client for programs without an async runtime (feature `blocking`).
//!
//! [`Client`] pairs an async [`crate::Client`] with a private current-thread
//! tokio runtime. It has no blocking copy of each method: every call of the
//! async client (the hand-written flows, the handles they return and every
//! generated operation) is built as usual, through `Deref`, and handed to
//! one of three adapters:
//!
//! - [`Client::run`] runs a call whose answer is a `Result<T, hotdata::Error>`
//!   (every flow and operation of this crate) and returns that answer;
//! - [`Client::iter`] turns a stream of results (`result(id).stream()`,
//!   `pages(n)`, `stream_as::<T>()`, generated `.stream()`s) into an
//!   [`Iterator`] that fetches as it is advanced;
//! - [`Client::block_on`] runs any other future.
//!
//! So the blocking client can never lag behind the async one: a method added
//! there is usable here the day it lands, with the same arguments, options
//! and documentation.
//!
//! ```no_run
//! use hotdata::prelude::*;
//!
//! fn main() -> Result<(), hotdata::Error> {
//!     let client = hotdata::blocking::Client::from_env()?;
//!     // A hand-written flow, with its options.
//!     let rows = client.run(client.query("SELECT 1 AS ok").database("db_main").rows())?;
//!     println!("{}", rows.row(0).and_then(|r| r.value("ok")).unwrap());
//!     // A handle returned by one call, used by the next.
//!     let run = client.run(client.query("SELECT 2").database("db_main").submit())?;
//!     let info = client.run(run.wait())?;
//!     println!("{}", info.status);
//!     // A generated operation.
//!     let jobs = client.run(client.list_jobs().send())?;
//!     println!("{} jobs", jobs.jobs.len());
//!     // A stream, read as it is iterated.
//!     for row in client.iter(client.result("res_1").database("db_main").stream()) {
//!         println!("{:?}", row?.value("ok"));
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Where it may be called
//!
//! - A thread without a tokio runtime (a plain `main`, a thread of your
//!   own): the call runs on the calling thread.
//! - A thread where blocking is allowed although a runtime is around, such
//!   as a closure given to `tokio::task::spawn_blocking`: the call runs on a
//!   short-lived helper thread while the calling thread waits, since tokio
//!   does not let a runtime be driven from a thread that belongs to another.
//! - Not the body of a `block_on` (a `#[tokio::main]` function and what it
//!   calls directly): there blocking would stall the runtime, so
//!   [`Client::run`] and each step of [`Client::iter`] fail with
//!   [`Error::Config`], and [`Client::block_on`] panics, each saying to use
//!   the async client instead. Inside a task started with `tokio::spawn`,
//!   tokio gives no way to tell it from a `spawn_blocking` thread, so the call
//!   works there but blocks that worker thread for its whole duration: use
//!   the async client in async code.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt as _};

use crate::runtime::error::Error;
use crate::runtime::retry::RetryPolicy;

const IN_ASYNC: &str = "hotdata::blocking::Client was called from inside an async runtime, where blocking the thread \
     would stall other tasks: use the async hotdata::Client there (or call this one inside \
     tokio::task::spawn_blocking)";

/// Owns the runtime; shuts it down without blocking, so dropping the client
/// is safe anywhere.
struct Runtime(Option<tokio::runtime::Runtime>);

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Runtime")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Runtime {
    /// Runs `fut` to completion on this runtime; see the module docs for
    /// where that may happen.
    fn block_on<F>(&self, fut: F) -> Result<F::Output, Error>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(rt) = &self.0 else {
            return Err(Error::config("the blocking client's runtime is shut down"));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            // No runtime on this thread: drive ours here.
            return Ok(rt.block_on(fut));
        }
        // A runtime is around. In the body of its `block_on` no task is
        // running: refuse. A task is running when this is a
        // `spawn_blocking` closure (or, undetectably, an async task): tokio
        // refuses to drive a second runtime from such a thread, so a helper
        // thread drives ours while this one waits.
        if tokio::task::try_id().is_none() {
            return Err(Error::config(IN_ASYNC));
        }
        std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("hotdata-blocking".to_owned())
                .spawn_scoped(scope, || rt.block_on(fut))
                .map_err(|e| Error::config(format!("cannot start the blocking client's helper thread: {e}")))?;
            // A panic in the call surfaces here, as it would on this thread.
            Ok(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })
    }
}

/// A blocking Hotdata client: any call of [`crate::Client`], run to its end
/// with [`run`](Self::run), [`iter`](Self::iter) or
/// [`block_on`](Self::block_on) (see the [module docs](self)).
///
/// It dereferences to the async client, so calls are built exactly as in
/// async code. Cloning is cheap; clones share the runtime and the
/// connection pool.
#[derive(Clone)]
pub struct Client {
    client: crate::Client,
    rt: Arc<Runtime>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("client", &self.client)
            .finish()
    }
}

impl Client {
    /// Starts configuring a client; finish with
    /// [`ClientBuilder::build_blocking`](crate::ClientBuilder::build_blocking).
    ///
    /// ```
    /// let client = hotdata::blocking::Client::builder()
    ///     .api_key("hd_live_123")
    ///     .workspace_id("ws_abc123")
    ///     .build_blocking()
    ///     .expect("configured");
    /// assert_eq!(client.workspace_id(), Some("ws_abc123"));
    /// ```
    pub fn builder() -> crate::ClientBuilder {
        crate::ClientBuilder::default()
    }

    /// A client configured from the environment and the CLI's profile file,
    /// as [`crate::ClientBuilder::from_env`].
    ///
    /// ```no_run
    /// let client = hotdata::blocking::Client::from_env()?;
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn from_env() -> Result<Client, Error> {
        crate::ClientBuilder::from_env().build_blocking()
    }

    /// Wraps an async client, starting the runtime its calls will run on.
    ///
    /// ```
    /// let async_client = hotdata::Client::builder().api_key("hd_live_123").build()?;
    /// let client = hotdata::blocking::Client::new(async_client)?;
    /// assert_eq!(client.as_async().base_url(), client.base_url());
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn new(client: crate::Client) -> Result<Client, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("cannot start the blocking client's runtime: {e}")))?;
        Ok(Client {
            client,
            rt: Arc::new(Runtime(Some(rt))),
        })
    }

    /// Runs one call of the async client (a flow such as `query(..).rows()`,
    /// a handle's `wait()`, a generated operation's `send()`) and returns its
    /// answer.
    ///
    /// Called where blocking would stall an async runtime (see the
    /// [module docs](self)), nothing is sent and the answer is
    /// [`Error::Config`].
    ///
    /// ```no_run
    /// # fn demo(client: hotdata::blocking::Client) -> Result<(), hotdata::Error> {
    /// let rows = client.run(client.query("SELECT 40 + 2 AS answer").database("db_main").rows())?;
    /// let answer: i64 = rows.row(0).expect("one row").get("answer")?;
    /// assert_eq!(answer, 42);
    ///
    /// let saved = client.run(client.execute_saved_query("sq_abc123").version(2).rows())?;
    /// println!("{} rows", saved.len());
    /// # Ok(()) }
    /// ```
    pub fn run<F, T>(&self, call: F) -> Result<T, Error>
    where
        F: IntoFuture<Output = Result<T, Error>>,
        F::IntoFuture: Send,
        T: Send,
    {
        self.rt.block_on(call.into_future())?
    }

    /// Reads a stream of the async client (`result(id).stream()`,
    /// `stream_as::<T>()`, `pages(n)`, a generated operation's `stream()`)
    /// as a blocking [`Iterator`]: each `next()` runs until the stream yields,
    /// fetching when it has to.
    ///
    /// Called where blocking would stall an async runtime, `next()` yields
    /// one [`Error::Config`] and then `None`.
    ///
    /// ```no_run
    /// # fn demo(client: hotdata::blocking::Client) -> Result<(), hotdata::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Order { amount: String }
    /// let mut total = 0usize;
    /// for order in client.iter(client.result("res_1").database("db_main").stream_as::<Order>()) {
    ///     total += order?.amount.len();
    /// }
    /// println!("{total} characters of amounts");
    /// # Ok(()) }
    /// ```
    pub fn iter<'a, S, T>(&'a self, stream: S) -> Iter<'a, T>
    where
        S: Stream<Item = Result<T, Error>> + Send + 'a,
        T: Send,
    {
        Iter {
            stream: Some(Box::pin(stream)),
            rt: &self.rt,
        }
    }

    /// Runs any future to completion on this client's runtime, for futures
    /// whose output is not a `Result<_, hotdata::Error>` (for those,
    /// [`run`](Self::run) reports a misplaced call as an error instead).
    ///
    /// ```no_run
    /// # fn demo(client: hotdata::blocking::Client) {
    /// // Two jobs fetched at once; the answer is a pair, not one `Result`.
    /// let (a, b) = client.block_on(futures::future::join(
    ///     client.job("job_1").get(),
    ///     client.job("job_2").get(),
    /// ));
    /// println!("{:?} {:?}", a.map(|j| j.status), b.map(|j| j.status));
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When called where blocking would stall an async runtime (see the
    /// [module docs](self)).
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: IntoFuture,
        F::IntoFuture: Send,
        F::Output: Send,
    {
        match self.rt.block_on(fut.into_future()) {
            Ok(output) => output,
            Err(e) => panic!("{e}"),
        }
    }

    /// The async client this one wraps (also reached through `Deref`).
    pub fn as_async(&self) -> &crate::Client {
        &self.client
    }

    /// The same client with another retry policy, sharing the runtime; see
    /// [`crate::Client::with_retry`].
    ///
    /// ```
    /// let client = hotdata::blocking::Client::builder().api_key("hd_live_123").build_blocking()?;
    /// let once = client.with_retry(hotdata::RetryPolicy::none());
    /// assert_eq!(once.retry_policy().get_max_attempts(), 1);
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        Client {
            client: self.client.with_retry(policy),
            rt: Arc::clone(&self.rt),
        }
    }
}

impl Deref for Client {
    type Target = crate::Client;

    fn deref(&self) -> &crate::Client {
        &self.client
    }
}

impl crate::ClientBuilder {
    /// Builds a [`blocking::Client`](Client) (feature `blocking`).
    ///
    /// ```
    /// let client = hotdata::Client::builder().api_key("hd_live_123").build_blocking()?;
    /// # let _ = client;
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn build_blocking(self) -> Result<Client, Error> {
        Client::new(self.build()?)
    }
}

/// A stream of the async client, owned by an [`Iter`].
type BoxedStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'a>>;

/// A stream of the async client read as a blocking iterator; made by
/// [`Client::iter`].
#[must_use = "iterators are lazy"]
pub struct Iter<'a, T> {
    /// `None` once the stream ended or the iterator could not run.
    stream: Option<BoxedStream<'a, T>>,
    rt: &'a Runtime,
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Iter")
            .field("done", &self.stream.is_none())
            .finish()
    }
}

impl<T: Send> Iterator for Iter<'_, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.stream.as_mut()?;
        match self.rt.block_on(stream.next()) {
            Ok(Some(item)) => Some(item),
            Ok(None) => {
                self.stream = None;
                None
            }
            // A misplaced call: it could never run, so it ends here.
            Err(e) => {
                self.stream = None;
                Some(Err(e))
            }
        }
    }
}

impl<T: Send> std::iter::FusedIterator for Iter<'_, T> {}
