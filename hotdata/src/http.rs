//! Helpers of the hand-written requests beyond what the transport does
//! (requests are built with `Client::request` and sent with
//! `Client::execute_ok`): next-page links held to the client's origin, and
//! bodies read into one pre-sized buffer.

use crate::client::Client;
use crate::error::Error;

/// Starts a request to an absolute URL the server handed out (a `Link`), but
/// only on the client's own origin: the API key never leaves for another host.
pub(crate) fn request_url(
    client: &Client,
    operation: &'static str,
    url: &reqwest::Url,
) -> Result<reqwest::RequestBuilder, Error> {
    if url.origin() != client.api().inner.base().origin() {
        return Err(Error::decode(
            operation,
            None,
            None,
            "Link",
            format!(
                "the next-page link points at another origin ({}); refusing to send credentials there",
                url.origin().ascii_serialization()
            ),
            url.as_str().as_bytes(),
        ));
    }
    let http = progenitor_client::ClientInfo::client(client.api());
    Ok(http.get(url.clone()))
}

/// Largest body worth reserving room for up front; bigger ones are refused
/// by the row decoder anyway.
const MAX_PRESIZE: u64 = u32::MAX as u64;

/// Reads a whole body into one buffer sized from `Content-Length`, appending
/// chunks as they arrive (no intermediate buffer, no copy at the end).
pub(crate) async fn read_body(operation: &'static str, mut response: reqwest::Response) -> Result<Vec<u8>, Error> {
    let hint = response.content_length().unwrap_or(0).min(MAX_PRESIZE);
    let mut body = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(|e| Error::from_reqwest(operation, e))? {
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
