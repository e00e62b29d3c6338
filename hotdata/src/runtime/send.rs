//! What the generated `send()` methods call, through `crate::contract`, to
//! build a request and to turn a response, or a failure before one, into a
//! value or an [`Error`].

use bytes::Bytes;
use progenitor_client::{ByteStream, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::runtime::error::Error;

/// `query_some` on a request builder: adds an optional query parameter only
/// when it is set. `RequestBuilder::query` with `None` adds nothing but
/// still rewrites the URL twice, on every request.
pub(crate) trait QuerySome: Sized {
    fn query_some<T: serde::Serialize>(self, name: &str, value: &Option<T>) -> Self;
}

impl QuerySome for reqwest::RequestBuilder {
    // Inlined so that an unset parameter costs nothing: out of line, each
    // call moved the whole builder in and out.
    #[inline(always)]
    fn query_some<T: serde::Serialize>(self, name: &str, value: &Option<T>) -> Self {
        match value {
            Some(_) => add_query(self, name, value),
            None => self,
        }
    }
}

fn add_query<T: serde::Serialize>(
    builder: reqwest::RequestBuilder,
    name: &str,
    value: &Option<T>,
) -> reqwest::RequestBuilder {
    builder.query(&progenitor_client::QueryParam::new(name, value))
}

/// Sends one operation's request (`request`, or the progenitor error that stopped a generated `send()` from
/// building it). Runs progenitor's hooks in the order its own `send()` bodies run them (`pre`, `exec`,
/// `post`), which puts the request through the transport and its retry loop, and turns any failure into an
/// [`Error`] that names `operation`.
///
/// One function for all operations, rather than the same awaits written into each `send()`, so the compiler
/// builds that state machine once.
pub(crate) async fn execute(
    operation: &'static str,
    client: &crate::generated::Client,
    request: Result<reqwest::Request, progenitor_client::Error<()>>,
) -> Result<reqwest::Response, Error> {
    use progenitor_client::{ClientHooks, OperationInfo};
    let sent = async {
        let mut request = request?;
        let info = OperationInfo {
            operation_id: operation,
        };
        client.pre(&mut request, &info).await?;
        let result = client.exec(request, &info).await;
        client.post(&result, &info).await?;
        Ok(result?)
    };
    sent.await.map_err(|e| request_error(operation, e))
}

/// Sends `request` ([`execute`]) and returns the response when its status is one of `statuses`; any other
/// status becomes an [`Error`] ([`error_response`]). What [`send_json`] and [`send_with`] share.
async fn execute_expecting(
    operation: &'static str,
    client: &crate::generated::Client,
    request: Result<reqwest::Request, progenitor_client::Error<()>>,
    statuses: &'static [u16],
) -> Result<reqwest::Response, Error> {
    let response = execute(operation, client, request).await?;
    if statuses.contains(&response.status().as_u16()) {
        Ok(response)
    } else {
        Err(error_response(operation, response).await)
    }
}

/// What a generated `send()` returns for an operation that answers JSON: sends `request`, then decodes the
/// body of a status in `statuses` as `T` ([`execute_expecting`]).
pub(crate) async fn send_json<T: DeserializeOwned>(
    operation: &'static str,
    client: &crate::generated::Client,
    request: Result<reqwest::Request, progenitor_client::Error<()>>,
    statuses: &'static [u16],
) -> Result<ResponseValue<T>, Error> {
    let response = execute_expecting(operation, client, request, statuses).await?;
    decode_json(operation, response).await
}

/// What a generated `send()` returns for an operation whose success body is empty or streamed: sends
/// `request`, then hands the response of a status in `statuses` to `keep` (`ResponseValue::empty` or
/// `ResponseValue::stream`).
pub(crate) async fn send_with<T>(
    operation: &'static str,
    client: &crate::generated::Client,
    request: Result<reqwest::Request, progenitor_client::Error<()>>,
    statuses: &'static [u16],
    keep: fn(reqwest::Response) -> ResponseValue<T>,
) -> Result<ResponseValue<T>, Error> {
    execute_expecting(operation, client, request, statuses).await.map(keep)
}

/// Reads and decodes a JSON success body.
pub(crate) async fn decode_json<T: DeserializeOwned>(
    operation: &'static str,
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Error> {
    let status = response.status();
    // Moved, not copied: reading the body does not need them.
    let headers = std::mem::take(response.headers_mut());
    let body = crate::runtime::http::read_all(operation, response).await?;
    let value = decode_slice(operation, status, &headers, &body)?;
    Ok(ResponseValue::new(value, status, headers))
}

/// Decodes a JSON body, naming the field path that failed.
pub(crate) fn decode_slice<T: DeserializeOwned>(
    operation: &'static str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Error> {
    // One decoder, serde_json's own: on failure the path is read off the body at the error's position
    // (`json_path`), so no second, path-tracking decoder is compiled for every model.
    serde_json::from_slice::<T>(body).map_err(|e| {
        let path = crate::runtime::json_path::path_at(body, e.line(), e.column());
        Error::decode(
            operation,
            Some(status.as_u16()),
            Some(headers),
            path,
            e.to_string(),
            body,
        )
    })
}

/// The error for a response with a status the operation does not succeed
/// with: an API error for 3xx, 4xx and 5xx, a decode error for an
/// undeclared 2xx.
pub(crate) async fn error_response(operation: &'static str, response: reqwest::Response) -> Error {
    if response.status().is_success() {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_default();
        return unexpected_status(operation, status, &headers, &body);
    }
    Error::from_response(operation, response).await
}

/// A success status the spec does not declare for the operation.
pub(crate) fn unexpected_status(operation: &'static str, status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    Error::decode(
        operation,
        Some(status),
        Some(headers),
        "",
        format!("status {status} is not a success status of this operation"),
        body,
    )
}

/// Converts what can go wrong before a response arrives.
pub(crate) fn request_error(operation: &'static str, err: progenitor_client::Error<()>) -> Error {
    use progenitor_client::Error as P;
    match err {
        P::InvalidRequest(message) => {
            // progenitor says "<name> was not initialized" or
            // "conversion to `T` for <name> failed: ..."
            let argument = message
                .strip_suffix(" was not initialized")
                .map(str::to_owned)
                .or_else(|| {
                    message
                        .split_once(" for ")
                        .and_then(|(_, rest)| rest.split([' ', ':']).next())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "request".to_owned());
            Error::invalid_argument(operation, argument, message)
        }
        P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => Error::from_reqwest(operation, e),
        other => Error::Transport {
            operation: operation.into(),
            source: other.to_string().into(),
        },
    }
}

/// Reads a streamed success body whole (for typed outcomes).
pub(crate) async fn collect_body(
    operation: &'static str,
    response: ResponseValue<ByteStream>,
) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
    use futures::TryStreamExt as _;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_inner_stream()
        .try_fold(Vec::new(), |mut body, chunk| async move {
            body.extend_from_slice(&chunk);
            Ok(body)
        })
        .await
        .map_err(|e| Error::from_reqwest(operation, e))?;
    Ok((status, headers, Bytes::from(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_request_names_the_argument() {
        let e = request_error(
            "get_job",
            progenitor_client::Error::InvalidRequest("id was not initialized".into()),
        );
        assert!(
            matches!(&e, Error::InvalidArgument { argument, .. } if argument == "id"),
            "{e:?}"
        );
        let e = request_error(
            "create_dataset",
            progenitor_client::Error::InvalidRequest("conversion to `X` for body failed: label missing".into()),
        );
        assert!(
            matches!(&e, Error::InvalidArgument { argument, .. } if argument == "body"),
            "{e:?}"
        );
    }

    #[test]
    fn decode_names_the_failing_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Page {
            items: Vec<Item>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            id: String,
        }
        let body = br#"{"items":[{"id":"a"},{"id":7}]}"#;
        let err = decode_slice::<Page>("list_items", StatusCode::OK, &HeaderMap::new(), body).expect_err("bad");
        let Error::Decode(d) = err else { panic!("{err:?}") };
        assert_eq!(d.path, "items[1].id");
        assert_eq!(d.status, Some(200));
        let err =
            decode_slice::<Page>("list_items", StatusCode::OK, &HeaderMap::new(), b"{\"items\":[").expect_err("eof");
        assert!(matches!(err, Error::Decode(_)));
    }
}
