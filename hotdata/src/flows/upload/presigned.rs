//! The presigned upload flow: open a session, `PUT` the bytes straight to
//! storage in parts, finalize once.
//!
//! Everything runs inside the caller's future (parts in flight are polled by
//! a bounded `try_buffer_unordered`, never spawned), so dropping the future
//! stops every transfer. Storage requests are built without
//! `Transport::prepare`, so they carry none of the SDK's headers (no bearer,
//! no workspace, no user agent). They go through the client given to
//! `ClientBuilder::storage_http_client`, or else the API's own client.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use futures::{StreamExt as _, TryStreamExt as _};
use reqwest::header::{ETAG, HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncRead, AsyncReadExt as _};

use super::Progress;
use crate::client::Client;
use crate::generated::operations::{
    CREATE_UPLOAD_SESSION_HANDLER, CREATE_UPLOAD_SESSIONS_BATCH_HANDLER, FINALIZE_UPLOAD_HANDLER,
    MINT_UPLOAD_PARTS_HANDLER,
};
use crate::generated::prelude::*;
use crate::generated::types;
use crate::runtime::error::{ApiError, Error};

/// The name storage failures are reported under: the `PUT` of a part to a
/// presigned URL is no operation of the API.
pub const STORAGE_PUT: &str = "storage_put";

/// Parts read ahead of the ones in flight never exceed this many bytes of
/// up-front reservation; a part buffer grows as its bytes really arrive.
const MAX_RESERVE: u64 = 8 << 20;

/// How often one part's URL is minted again after storage refused it with
/// `403` (an expired or otherwise rejected signature).
const MAX_REMINTS: u32 = 3;

/// A presigned URL or finalize token: used on the wire, never shown.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An open session, reduced to what the transfer needs.
#[derive(Debug)]
pub(crate) struct Session {
    id: String,
    token: Secret,
    single: bool,
    part_size: Option<u64>,
    /// Part URLs handed out so far, by part number.
    urls: Mutex<HashMap<u64, Secret>>,
    /// Headers the session asks every storage `PUT` to carry.
    headers: HeaderMap,
}

impl Session {
    fn from_response(operation: &'static str, s: types::UploadSessionResponse) -> Result<Session, Error> {
        let bad = |message: String| Error::decode(operation, None, None, "", message, b"");
        let single = match s.mode {
            types::UploadMode::Single => true,
            types::UploadMode::Multipart => false,
            other => {
                return Err(bad(format!(
                    "upload session `{}` has unknown mode `{other}`",
                    s.upload_id
                )));
            }
        };
        let mut urls = HashMap::new();
        if single {
            let url = s
                .url
                .ok_or_else(|| bad(format!("single-mode upload session `{}` has no url", s.upload_id)))?;
            urls.insert(1, Secret(url));
        } else {
            if s.part_size.unwrap_or(0) == 0 {
                return Err(bad(format!(
                    "multipart upload session `{}` has no usable part_size",
                    s.upload_id
                )));
            }
            for (i, url) in s.part_urls.unwrap_or_default().into_iter().enumerate() {
                urls.insert(i as u64 + 1, Secret(url));
            }
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &s.headers {
            let name = HeaderName::try_from(name.as_str());
            let value = HeaderValue::try_from(value.as_str());
            match (name, value) {
                (Ok(name), Ok(mut value)) => {
                    value.set_sensitive(true);
                    headers.insert(name, value);
                }
                _ => {
                    return Err(bad(format!(
                        "upload session `{}` asks for a storage header that cannot be sent",
                        s.upload_id
                    )));
                }
            }
        }
        Ok(Session {
            id: s.upload_id,
            token: Secret(s.finalize_token),
            single,
            part_size: s.part_size,
            urls: Mutex::new(urls),
            headers,
        })
    }

    fn url(&self, part: u64) -> Option<Secret> {
        self.urls.lock().ok()?.get(&part).cloned()
    }
}

/// What to declare when opening a session.
#[derive(Debug, Default, Clone)]
pub(crate) struct Declare {
    pub(crate) size: Option<u64>,
    pub(crate) content_type: Option<String>,
    pub(crate) filename: Option<String>,
    pub(crate) part_size: Option<u64>,
    pub(crate) sha256: Option<String>,
}

impl Declare {
    fn request(&self) -> types::CreateUploadRequest {
        let mut r = types::CreateUploadRequest {
            content_type: self.content_type.clone().into(),
            declared_size_bytes: self.size.into(),
            filename: self.filename.clone().into(),
            part_size: self.part_size.into(),
            ..Default::default()
        };
        if let Some(digest) = &self.sha256 {
            r.checksum_algo = types::UploadChecksumAlgorithm::Sha256.into();
            r.checksum_value = digest.clone().into();
        }
        r
    }
}

/// Progress shared by every part of one call (one file, or a whole batch).
pub(crate) struct Tracker {
    done: AtomicU64,
    total: Option<u64>,
    callback: Option<Progress>,
}

impl Tracker {
    pub(crate) fn new(total: Option<u64>, callback: Option<Progress>) -> Self {
        Tracker {
            done: AtomicU64::new(0),
            total,
            callback,
        }
    }

    fn add(&self, bytes: u64) {
        let done = self.done.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
        if let Some(report) = &self.callback {
            report(done, self.total);
        }
    }
}

/// Opens one session. A server without presigned uploads (`404`, `405`,
/// `501`) gets an error that names the legacy method.
pub(crate) async fn open(client: &Client, declare: &Declare) -> Result<Session, Error> {
    let op = CREATE_UPLOAD_SESSION_HANDLER.id;
    let session = client
        .api()
        .create_upload_session_handler()
        .body(declare.request())
        .send()
        .await
        .map_err(unsupported_hint)?
        .into_inner();
    Session::from_response(op, session)
}

/// Opens one session per entry, in order, with one request.
pub(crate) async fn open_batch(client: &Client, declares: &[Declare]) -> Result<Vec<Session>, Error> {
    let op = CREATE_UPLOAD_SESSIONS_BATCH_HANDLER.id;
    let body = types::BatchCreateUploadRequest {
        uploads: declares.iter().map(Declare::request).collect(),
    };
    let sessions = client
        .api()
        .create_upload_sessions_batch_handler()
        .body(body)
        .send()
        .await
        .map_err(unsupported_hint)?
        .into_inner()
        .uploads;
    if sessions.len() != declares.len() {
        return Err(Error::decode(
            op,
            None,
            None,
            "uploads",
            format!("asked for {} upload sessions, got {}", declares.len(), sessions.len()),
            b"",
        ));
    }
    sessions.into_iter().map(|s| Session::from_response(op, s)).collect()
}

/// Whether `err` says the server cannot open presigned upload sessions
/// (`501 PRESIGN_UNSUPPORTED`, or `404`/`405` from a server that predates
/// them). Such a server may still take [`Client::upload_legacy`].
///
/// ```
/// let err = hotdata::Client::builder().build().unwrap_err();
/// assert!(!hotdata::upload::is_presign_unsupported(&err));
/// ```
pub fn is_presign_unsupported(err: &Error) -> bool {
    match err {
        Error::Api(api) => {
            (api.operation == CREATE_UPLOAD_SESSION_HANDLER.id
                || api.operation == CREATE_UPLOAD_SESSIONS_BATCH_HANDLER.id)
                && matches!(api.status, 404 | 405 | 501)
        }
        _ => false,
    }
}

const LEGACY_HINT: &str = "this server cannot open presigned upload sessions; for a seed-era server that still \
                           serves `POST /v1/files`, use `Client::upload_legacy`";

fn unsupported_hint(err: Error) -> Error {
    match err {
        Error::Api(mut api) if matches!(api.status, 404 | 405 | 501) => {
            api.message = format!("{} ({LEGACY_HINT})", api.message);
            Error::Api(api)
        }
        other => other,
    }
}

/// Sends everything `reader` yields through `session` and finalizes it.
/// `size` is the declared size, when one was declared.
pub(crate) async fn transfer<R: AsyncRead + Send + Unpin>(
    client: &Client,
    session: Session,
    reader: R,
    size: Option<u64>,
    concurrency: usize,
    progress: &Tracker,
) -> Result<types::FinalizeUploadResponse, Error> {
    let op = STORAGE_PUT;
    let part_size = if session.single {
        // One PUT of the whole (declared) body; an empty file is one empty part.
        size.ok_or_else(|| {
            Error::decode(
                CREATE_UPLOAD_SESSION_HANDLER.id,
                None,
                None,
                "mode",
                format!(
                    "upload session `{}` is single-mode for an upload of unknown size",
                    session.id
                ),
                b"",
            )
        })?
    } else {
        session.part_size.unwrap_or(1).max(1)
    };
    let session = &session;
    let read = AtomicU64::new(0);
    let read = &read;
    // Parts are read one after another; at most `concurrency` of them are in
    // flight, and the next one is read only when a slot is free.
    // The stream owns the reader, of a named type: a borrowed or `dyn` one
    // makes the closure's argument higher-ranked, and the future could then
    // not be proven `Send`.
    let parts = futures::stream::try_unfold((reader, 1u64, false), move |(mut r, n, ended)| async move {
        if ended {
            return Ok(None);
        }
        let body = read_part(&mut r, part_size).await?;
        let len = body.len() as u64;
        let total = read.fetch_add(len, Ordering::Relaxed).saturating_add(len);
        if let Some(size) = size
            && total > size
        {
            return Err(Error::invalid_argument(
                op,
                "size",
                format!("the source yielded more than the declared {size} bytes"),
            ));
        }
        if body.is_empty() && n > 1 {
            return Ok(None);
        }
        let ended = len < part_size || session.single;
        // A single-mode session must not see more bytes than declared: one
        // byte past the end is enough to know.
        if session.single && !read_part(&mut r, 1).await?.is_empty() {
            return Err(Error::invalid_argument(
                op,
                "size",
                format!("the source yielded more than the declared {part_size} bytes"),
            ));
        }
        let next = n
            .checked_add(1)
            .ok_or_else(|| Error::invalid_argument(op, "size", "too many parts"))?;
        Ok(Some(((n, body), (r, next, ended))))
    })
    // Boxing fixes the stream's lifetimes here, so the caller's future is
    // `Send` (the blocking client runs it on another thread).
    .boxed();
    let mut etags: Vec<(u64, String)> = parts
        .map_ok(|(n, body)| async move {
            let len = body.len() as u64;
            let etag = put_part(client, session, n, body).await?;
            progress.add(len);
            Ok::<_, Error>((n, etag))
        })
        .try_buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    let total = read.load(Ordering::Relaxed);
    if let Some(size) = size
        && total != size
    {
        return Err(Error::invalid_argument(
            op,
            "size",
            format!("the source ended after {total} bytes, but {size} were declared"),
        ));
    }
    etags.sort_unstable_by_key(|(n, _)| *n);
    finalize(client, session, etags).await
}

/// Reads up to `limit` bytes (fewer only at the end of the source).
async fn read_part<R: AsyncRead + Unpin + ?Sized>(reader: &mut R, limit: u64) -> Result<Bytes, Error> {
    let reserve = usize::try_from(limit.min(MAX_RESERVE)).unwrap_or(0);
    let mut buf = BytesMut::with_capacity(reserve);
    let mut remaining = limit;
    while remaining > 0 {
        let mut take = (&mut *reader).take(remaining);
        let n = take
            .read_buf(&mut buf)
            .await
            .map_err(|e| Error::invalid_argument(STORAGE_PUT, "reader", format!("cannot read the source: {e}")))?;
        if n == 0 {
            break;
        }
        remaining -= n as u64;
    }
    Ok(buf.freeze())
}

/// Mints URLs for `parts`, keeping them in the session.
async fn mint(client: &Client, session: &Session, parts: Vec<NonZeroU64>) -> Result<(), Error> {
    let minted = client
        .api()
        .mint_upload_parts_handler()
        .upload_id(session.id.clone())
        .x_upload_finalize_token(session.token.expose().to_owned())
        .body(types::MintUploadPartsRequest { part_numbers: parts })
        .send()
        .await?
        .into_inner();
    if let Ok(mut urls) = session.urls.lock() {
        for part in minted.parts {
            urls.insert(part.part_number.get(), Secret(part.url));
        }
    }
    Ok(())
}

/// `PUT`s one part, retried with backoff on `429`, `5xx`, timeouts and
/// connection failures, with its URL minted again after a storage `403`.
/// Returns the part's `ETag`.
async fn put_part(client: &Client, session: &Session, part: u64, body: Bytes) -> Result<String, Error> {
    let number = NonZeroU64::new(part).ok_or_else(|| Error::invalid_argument(STORAGE_PUT, "part", "part 0"))?;
    let policy = client.retry_policy();
    let started = Instant::now();
    let (mut attempt, mut remints) = (0u32, 0u32);
    let http = client
        .storage_http
        .as_ref()
        .unwrap_or_else(|| progenitor_client::ClientInfo::client(client.api()));
    loop {
        let url = match session.url(part) {
            Some(url) => url,
            None => {
                // A streaming session mints ahead, a few parts at a time.
                let ahead: Vec<NonZeroU64> = (part..part.saturating_add(4)).filter_map(NonZeroU64::new).collect();
                mint(client, session, if session.single { vec![number] } else { ahead }).await?;
                session.url(part).ok_or_else(|| {
                    Error::decode(
                        MINT_UPLOAD_PARTS_HANDLER.id,
                        None,
                        None,
                        "parts",
                        format!("no URL minted for part {part} of upload `{}`", session.id),
                        b"",
                    )
                })?
            }
        };
        attempt += 1;
        let sent = http
            .put(url.expose())
            .headers(session.headers.clone())
            .body(body.clone())
            .send()
            .await;
        let err = match sent {
            Ok(response) if response.status().is_success() => {
                return match response.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
                    Some(etag) => Ok(etag.to_owned()),
                    None if session.single => Ok(String::new()),
                    None => Err(Error::decode(
                        STORAGE_PUT,
                        Some(response.status().as_u16()),
                        Some(response.headers()),
                        "ETag",
                        format!("storage stored part {part} of upload `{}` without an ETag", session.id),
                        b"",
                    )),
                };
            }
            Ok(response) if response.status().as_u16() == 403 && remints < MAX_REMINTS => {
                // An expired (or otherwise refused) URL: ask for a fresh one.
                remints += 1;
                drop(response);
                tracing::debug!(upload_id = %session.id, part, "storage refused the part URL; minting it again");
                mint(client, session, vec![number]).await?;
                continue;
            }
            Ok(response) => storage_error(response).await,
            Err(e) => Error::from_reqwest(STORAGE_PUT, e),
        };
        let retryable = match &err {
            Error::Api(api) => api.status == 429 || api.status >= 500,
            Error::Timeout { .. } | Error::Transport { .. } => true,
            _ => false,
        };
        let wait = err.retry_after().unwrap_or_else(|| policy.backoff(attempt));
        if !retryable
            || attempt >= policy.get_max_attempts()
            || started.elapsed().saturating_add(wait) > policy.get_max_elapsed()
        {
            return Err(err);
        }
        tracing::debug!(upload_id = %session.id, part, attempt, "retrying a part: {err}");
        tokio::time::sleep(wait).await;
    }
}

/// A storage error answer (S3-style XML), without its body excerpt: a
/// storage error body may echo the signed request.
async fn storage_error(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = crate::runtime::http::read_body(STORAGE_PUT, response)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find("</")? + start;
        Some(text[start..end].chars().take(200).collect::<String>())
    };
    let message = element("Message").unwrap_or_else(|| {
        reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("storage error")
            .to_owned()
    });
    Error::Api(Box::new(ApiError {
        operation: STORAGE_PUT.into(),
        status,
        code: element("Code"),
        message,
        request_id: crate::runtime::error::request_id(&headers).or_else(|| {
            headers
                .get("x-amz-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        }),
        retry_after: crate::runtime::error::retry_after(&headers, SystemTime::now()),
        body_excerpt: String::new(),
    }))
}

/// Finalizes once. The transport retries it only when it provably never
/// reached the server (or was refused with `429`); an answer lost after
/// sending becomes [`FinalizeUnclear`], never a second finalize.
async fn finalize(
    client: &Client,
    session: &Session,
    etags: Vec<(u64, String)>,
) -> Result<types::FinalizeUploadResponse, Error> {
    let mut body = types::FinalizeUploadRequest::default();
    if !session.single {
        let mut parts = Vec::with_capacity(etags.len());
        for (n, e_tag) in etags {
            if let Some(part_number) = NonZeroU64::new(n) {
                parts.push(types::FinalizeUploadPart { e_tag, part_number });
            }
        }
        body.parts = parts.into();
    }
    let sent = client
        .api()
        .finalize_upload_handler()
        .upload_id(session.id.clone())
        .x_upload_finalize_token(session.token.expose().to_owned())
        .body(body)
        .send()
        .await;
    match sent {
        Ok(done) => Ok(done.into_inner()),
        Err(err) if may_have_landed(&err) => Err(Error::Transport {
            operation: FINALIZE_UPLOAD_HANDLER.id.into(),
            source: Box::new(FinalizeUnclear {
                upload_id: session.id.clone(),
                cause: err.to_string(),
            }),
        }),
        Err(err) => Err(err),
    }
}

/// Whether a failed finalize may still have been applied: its answer was
/// lost (timeout, connection closed after sending) rather than refused
/// before connecting.
fn may_have_landed(err: &Error) -> bool {
    match err {
        Error::Timeout { .. } => true,
        Error::Transport { source, .. } => !source
            .downcast_ref::<reqwest::Error>()
            .is_some_and(|e| e.is_connect() || e.is_builder()),
        _ => false,
    }
}

/// The finalize of an upload was sent but its answer was lost: it may have
/// landed. The service refuses a second finalize, and the spec offers no way
/// to read a session's state, so the SDK does not send it again. The source
/// of an [`Error::Transport`] for `finalize_upload_handler`; reach it with
/// `std::error::Error::source` and `downcast_ref`.
///
/// Try loading `upload_id`: a load that finds it means the finalize landed;
/// otherwise upload again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FinalizeUnclear {
    /// The upload whose finalize may have landed.
    pub upload_id: String,
    /// What went wrong after the finalize was sent.
    pub cause: String,
}

impl fmt::Display for FinalizeUnclear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the finalize of upload `{}` may have landed (its answer was lost: {}); not sent again",
            self.upload_id, self.cause
        )
    }
}

impl std::error::Error for FinalizeUnclear {}
