//! Stored results as Arrow record batches (feature `arrow`).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::StreamDecoder;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt as _, TryStreamExt as _};
use reqwest::header::{ACCEPT, HeaderValue};

use crate::error::Error;
use crate::generated::operations::GET_RESULT;
use crate::generated::types::ResultFormat;
use crate::results::{OPERATION, ResultRequest, fetch_ready};

/// The media type of an Arrow IPC stream.
const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

impl ResultRequest<'_> {
    /// The result as an Arrow IPC stream, decoded batch by batch as the bytes
    /// arrive: peak memory is about one batch, whatever the result's size.
    ///
    /// A result still being written is waited for as with every read (see
    /// [`wait_timeout`](ResultRequest::wait_timeout); `Duration::ZERO` makes
    /// a pending result fail at once with [`Error::Timeout`]).
    ///
    /// ```no_run
    /// use futures::TryStreamExt as _;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let mut batches = client.result("res_123").arrow_stream().await?;
    /// while let Some(batch) = batches.try_next().await? {
    ///     println!("{} rows", batch.num_rows());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn arrow_stream(self) -> Result<RecordBatchStream, Error> {
        let client = self.client;
        let mut query = vec![("format", ResultFormat::Arrow.as_str().to_owned())];
        if let Some(o) = self.offset {
            query.push(("offset", o.to_string()));
        }
        if let Some(l) = self.limit {
            query.push(("limit", l.to_string()));
        }
        let response = fetch_ready(client, &self.id, self.wait, || {
            Ok(client
                .request(&GET_RESULT, &[&self.id])?
                .query(&query)
                .header(ACCEPT, HeaderValue::from_static(ARROW_STREAM)))
        })
        .await?;
        let status = response.status().as_u16();
        let decoding = Decoding {
            body: response.bytes_stream().boxed(),
            decoder: StreamDecoder::new(),
            pending: Buffer::from(Vec::<u8>::new()),
            status,
            done: false,
        };
        let inner = futures::stream::unfold(decoding, |mut d| async move {
            let item = d.next_batch().await?;
            Some((item, d))
        })
        .boxed();
        Ok(RecordBatchStream { inner })
    }

    /// Every batch of the result, collected; for results small enough to
    /// hold whole.
    pub async fn arrow_collect(self) -> Result<Vec<RecordBatch>, Error> {
        self.arrow_stream().await?.try_collect().await
    }
}

/// Record batches decoded off the socket; see
/// [`ResultRequest::arrow_stream`].
pub struct RecordBatchStream {
    inner: BoxStream<'static, Result<RecordBatch, Error>>,
}

impl fmt::Debug for RecordBatchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordBatchStream").finish_non_exhaustive()
    }
}

impl Stream for RecordBatchStream {
    type Item = Result<RecordBatch, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// The decoding state: the body still to read, the decoder, and the part of
/// the last chunk the decoder has not consumed yet.
struct Decoding {
    body: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    decoder: StreamDecoder,
    pending: Buffer,
    status: u16,
    done: bool,
}

impl Decoding {
    async fn next_batch(&mut self) -> Option<Result<RecordBatch, Error>> {
        if self.done {
            return None;
        }
        loop {
            if !self.pending.is_empty() {
                match self.decoder.decode(&mut self.pending) {
                    Ok(Some(batch)) => return Some(Ok(batch)),
                    Ok(None) => {}
                    Err(e) => return Some(Err(self.fail(e.to_string()))),
                }
                continue;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.pending = Buffer::from(chunk),
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(Error::from_reqwest(OPERATION, e)));
                }
                None => {
                    self.done = true;
                    return match self.decoder.finish() {
                        Ok(()) => None,
                        Err(e) => Some(Err(self.fail(format!("the Arrow stream ended early: {e}")))),
                    };
                }
            }
        }
    }

    fn fail(&mut self, message: String) -> Error {
        self.done = true;
        Error::decode(OPERATION, Some(self.status), None, "", message, b"")
    }
}
