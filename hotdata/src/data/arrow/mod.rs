//! Stored results as Arrow record batches (feature `arrow`).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::StreamDecoder;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt as _, TryStreamExt as _};

use crate::runtime::error::Error;

pub(crate) mod cells;

/// A query's answer as Arrow record batches; see
/// [`Query::arrow`](crate::Query::arrow). It is a stream of batches, with
/// what the server said about the answer.
pub struct ArrowAnswer {
    pub(crate) query_run_id: Option<String>,
    pub(crate) result_id: Option<String>,
    pub(crate) total_row_count: Option<u64>,
    pub(crate) execution_time_ms: Option<u64>,
    pub(crate) warning: Option<String>,
    pub(crate) database_id: Option<String>,
    pub(crate) batches: RecordBatchStream,
}

impl fmt::Debug for ArrowAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrowAnswer")
            .field("query_run_id", &self.query_run_id)
            .field("result_id", &self.result_id)
            .field("total_row_count", &self.total_row_count)
            .field("database_id", &self.database_id)
            .finish_non_exhaustive()
    }
}

impl ArrowAnswer {
    /// The query run that produced the answer.
    pub fn query_run_id(&self) -> Option<&str> {
        self.query_run_id.as_deref()
    }

    /// The stored result, when the server saved one.
    pub fn result_id(&self) -> Option<&str> {
        self.result_id.as_deref()
    }

    /// Rows in the whole answer (`X-Total-Row-Count`), when the server said.
    pub fn total_row_count(&self) -> Option<u64> {
        self.total_row_count
    }

    /// How long the query ran on the server, when it said.
    pub fn execution_time_ms(&self) -> Option<u64> {
        self.execution_time_ms
    }

    /// The server's warning about the query, if any.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// The database the query ran in.
    pub fn database_id(&self) -> Option<&str> {
        self.database_id.as_deref()
    }

    /// The batches alone.
    pub fn into_batches(self) -> RecordBatchStream {
        self.batches
    }

    /// Every batch, collected; for answers small enough to hold whole.
    pub async fn collect(self) -> Result<Vec<RecordBatch>, Error> {
        self.batches.try_collect().await
    }
}

impl Stream for ArrowAnswer {
    type Item = Result<RecordBatch, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.batches.poll_next_unpin(cx)
    }
}

/// Decodes `response`'s body, an Arrow IPC stream, batch by batch as it
/// arrives.
pub(crate) fn decode(operation: &'static str, response: reqwest::Response) -> RecordBatchStream {
    let status = response.status().as_u16();
    let decoding = Decoding {
        operation,
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
    RecordBatchStream { inner }
}

/// Record batches decoded off the socket; see
/// [`ResultRequest::arrow_stream`](crate::ResultRequest::arrow_stream).
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
    operation: &'static str,
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
                    return Some(Err(Error::from_reqwest(self.operation, e)));
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
        Error::decode(self.operation, Some(self.status), None, "", message, b"")
    }
}
