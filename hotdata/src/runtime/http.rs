//! Reading whole bodies into one buffer, pre-sized from a `Content-Length`
//! that is capped because the server sent it.

use bytes::Bytes;

use crate::runtime::error::Error;

/// The most room reserved up front from a server's `Content-Length`. The
/// header is untrusted: a lying one must not make the client allocate
/// gigabytes before a byte arrives. Bigger bodies grow the buffer as they
/// really arrive.
const MAX_PRESIZE: u64 = 16 << 20;

/// Reads a whole body into one buffer sized from `Content-Length`, appending
/// chunks as they arrive (no intermediate buffer, no copy at the end).
pub(crate) async fn read_body(operation: &'static str, mut response: reqwest::Response) -> Result<Vec<u8>, Error> {
    let body = Vec::with_capacity(presize(&response, 0));
    read_rest(operation, &mut response, body).await
}

/// A whole body, for bodies decoded at once (the generated `send()`s). A
/// body that arrives as one chunk (a small response) is returned as it is,
/// without a copy; a longer one is gathered like [`read_body`]. Its future is
/// smaller than reqwest's `bytes()`, which every request used to await.
pub(crate) async fn read_all(operation: &'static str, mut response: reqwest::Response) -> Result<Bytes, Error> {
    let Some(first) = next_chunk(operation, &mut response).await? else {
        return Ok(Bytes::new());
    };
    let Some(second) = next_chunk(operation, &mut response).await? else {
        return Ok(first);
    };
    let mut body = Vec::with_capacity(presize(&response, first.len() + second.len()));
    body.extend_from_slice(&first);
    body.extend_from_slice(&second);
    drop((first, second));
    read_rest(operation, &mut response, body).await.map(Bytes::from)
}

/// Room to reserve for a body: its `Content-Length` (capped), at least `min`.
fn presize(response: &reqwest::Response, min: usize) -> usize {
    presize_for(response.content_length(), min)
}

fn presize_for(content_length: Option<u64>, min: usize) -> usize {
    let hint = content_length.unwrap_or(0).min(MAX_PRESIZE);
    usize::try_from(hint).unwrap_or(0).max(min)
}

async fn next_chunk(operation: &'static str, response: &mut reqwest::Response) -> Result<Option<Bytes>, Error> {
    response.chunk().await.map_err(|e| Error::from_reqwest(operation, e))
}

/// Appends the rest of the body to `body`.
async fn read_rest(
    operation: &'static str,
    response: &mut reqwest::Response,
    mut body: Vec<u8>,
) -> Result<Vec<u8>, Error> {
    while let Some(chunk) = next_chunk(operation, response).await? {
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lying_content_length_reserves_a_bounded_buffer() {
        // A 4 GiB header on a small body must not reserve 4 GiB.
        assert_eq!(presize_for(Some(4 << 30), 0), 16 << 20);
        assert_eq!(presize_for(Some(u64::MAX), 0), 16 << 20);
        assert_eq!(presize_for(Some(1_000), 0), 1_000);
        assert_eq!(presize_for(None, 10), 10);
        // What was already received always fits.
        assert_eq!(presize_for(Some(4 << 30), 32 << 20), 32 << 20);
    }
}
