//! The object storage that upload sessions hand out URLs for, served by the same listener outside `/v1`:
//! `PUT /_storage/{workspace}/{upload_id}/{part}?X-Local-Expires=..&X-Local-Signature=..`.
//!
//! It behaves like S3 with a presigned URL, not like the Hotdata API: the signature in the query is the only
//! authorization (no bearer, no workspace header), a request that also carries `Authorization` is refused, an
//! altered or expired URL gets `403`, and errors are S3-style XML. Its traffic is neither counted as operation
//! hits nor validated against the spec. A part is streamed to disk and answered with an `ETag`.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use sha2::Digest as _;
use tokio::io::AsyncWriteExt as _;

use crate::app::App;
use crate::http::ResBody;
use crate::presign::{EXPIRES_PARAM, SIGNATURE_PARAM, STORAGE_PREFIX, hex, now_millis, random_bytes};
use crate::spec::{percent_decode, query_decode};
use crate::state::StoredPart;

/// Headers of the Hotdata API that must not reach storage.
const API_HEADERS: [&str; 3] = ["x-workspace-id", "x-database-id", "x-upload-finalize-token"];

/// An S3-style error answer.
struct StorageError {
    status: u16,
    code: &'static str,
    message: String,
}

fn err(status: u16, code: &'static str, message: impl Into<String>) -> StorageError {
    StorageError {
        status,
        code,
        message: message.into(),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn response(status: u16, body: Bytes, headers: &[(&str, String)]) -> Response<ResBody> {
    let mut r = Response::new(
        Full::new(body)
            .map_err(|never: std::convert::Infallible| match never {})
            .boxed_unsync(),
    );
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (hyper::header::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

/// Serves one request under [`STORAGE_PREFIX`].
pub(crate) async fn handle(app: &Arc<App>, req: Request<Incoming>, request_id: &str) -> Response<ResBody> {
    match put(app, req).await {
        Ok(etag) => response(
            200,
            Bytes::new(),
            &[("etag", etag), ("x-request-id", request_id.to_string())],
        ),
        Err(e) => {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>\
                 <RequestId>{}</RequestId></Error>\n",
                e.code,
                xml_escape(&e.message),
                xml_escape(request_id)
            );
            let mut headers = vec![
                ("content-type", "application/xml".to_string()),
                ("x-request-id", request_id.to_string()),
            ];
            if e.status == 405 {
                headers.push(("allow", "PUT".to_string()));
            }
            response(e.status, Bytes::from(body), &headers)
        }
    }
}

/// Checks the presigned URL, stores the part and returns its quoted `ETag`.
async fn put(app: &Arc<App>, req: Request<Incoming>) -> Result<String, StorageError> {
    let (parts, mut body) = req.into_parts();
    if parts.method != hyper::Method::PUT {
        return Err(err(
            405,
            "MethodNotAllowed",
            format!("{} is not allowed on a presigned upload URL; use PUT", parts.method),
        ));
    }
    if parts.headers.contains_key(hyper::header::AUTHORIZATION) {
        return Err(err(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed: this URL is presigned, so send it without an Authorization header",
        ));
    }
    // The session's `headers` map is empty, so no header is signed; the API's own headers mean a client sent
    // its Hotdata credentials to storage, which the documented service refuses as a signature problem.
    if let Some(name) = API_HEADERS.iter().find(|h| parts.headers.contains_key(**h)) {
        return Err(err(
            403,
            "SignatureDoesNotMatch",
            format!(
                "The request carries the header {name}, which the presigned URL does not sign; send it to the API only"
            ),
        ));
    }
    let path = parts.uri.path().to_string();
    let mut expires = None;
    let mut signature = None;
    for pair in parts.uri.query().unwrap_or_default().split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match query_decode(k).as_str() {
            EXPIRES_PARAM => expires = Some(query_decode(v)),
            SIGNATURE_PARAM => signature = Some(query_decode(v)),
            _ => {}
        }
    }
    let (Some(expires), Some(signature)) = (expires, signature) else {
        return Err(err(
            403,
            "AccessDenied",
            format!("Query-string authentication requires the {SIGNATURE_PARAM} and {EXPIRES_PARAM} parameters"),
        ));
    };
    let expires: u64 = expires
        .parse()
        .map_err(|_| err(403, "AccessDenied", format!("{EXPIRES_PARAM} must be a number")))?;
    if !app.signer.verify("PUT", &path, expires, &signature) {
        return Err(err(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided",
        ));
    }
    if now_millis() > expires {
        return Err(err(403, "AccessDenied", "Request has expired"));
    }

    let rest = path.strip_prefix(STORAGE_PREFIX).unwrap_or_default();
    let segments: Vec<String> = rest.split('/').map(percent_decode).collect();
    let [ws, upload_id, part] = segments.as_slice() else {
        return Err(err(404, "NoSuchKey", "The specified key does not exist"));
    };
    let part: u32 = part
        .parse()
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| err(400, "InvalidArgument", "the part number must be a positive integer"))?;
    let no_upload = || {
        err(
            404,
            "NoSuchUpload",
            "The specified upload does not exist or is already complete",
        )
    };
    let cfg = &app.config.uploads;
    let limit = app
        .read_ws(ws, |w| {
            w.upload_sessions
                .get(upload_id)
                .filter(|s| s.state == "open")
                .map(|s| match s.part_size {
                    Some(ps) => ps,
                    None => s.declared_size.unwrap_or(cfg.max_file_bytes),
                })
        })
        .ok()
        .flatten()
        .ok_or_else(no_upload)?;
    let too_large = || {
        err(
            400,
            "EntityTooLarge",
            format!("Your proposed upload exceeds the maximum allowed size of {limit} bytes for this part"),
        )
    };
    if let Some(len) = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit
    {
        return Err(too_large());
    }

    let rel = format!("uploads/{ws}/{upload_id}.parts/{part}-{}", &hex(&random_bytes())[..12]);
    let file_path = app
        .dirs
        .prepare(&rel)
        .map_err(|e| err(500, "InternalError", e.to_string()))?;
    let mut file = crate::state::private_file_async()
        .open(&file_path)
        .await
        .map_err(|e| err(500, "InternalError", e.to_string()))?;
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    let written: Result<(), StorageError> = async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| err(400, "IncompleteBody", format!("cannot read the body: {e}")))?;
            if let Ok(data) = frame.into_data() {
                size += data.len() as u64;
                if size > limit {
                    return Err(too_large());
                }
                hasher.update(&data);
                file.write_all(&data)
                    .await
                    .map_err(|e| err(500, "InternalError", e.to_string()))?;
            }
        }
        file.flush().await.map_err(|e| err(500, "InternalError", e.to_string()))
    }
    .await;
    drop(file);
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&file_path).await;
        return Err(e);
    }
    let sha256 = hex(&hasher.finalize());
    let etag = format!("\"{}\"", &sha256[..32]);
    let stored = StoredPart {
        size,
        etag: etag.clone(),
        sha256,
        file: rel,
    };
    // Record the part unless a finalize started meanwhile; a part sent again replaces the earlier one.
    let replaced = app
        .with_ws(ws, |w, _| {
            let s = w.upload_sessions.get_mut(upload_id).filter(|s| s.state == "open")?;
            Some(s.parts.insert(part, stored).map(|old| old.file))
        })
        .ok()
        .flatten();
    match replaced {
        None => {
            let _ = tokio::fs::remove_file(&file_path).await;
            Err(no_upload())
        }
        Some(old) => {
            if let Some(old) = old {
                let _ = tokio::fs::remove_file(app.dirs.abs(&old)).await;
            }
            app.flushed().await;
            Ok(etag)
        }
    }
}
