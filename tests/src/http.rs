//! The HTTP layer: accept loop, routing by the spec, faults, auth, validation of both directions, dispatch.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::{App, Ctx};
use crate::config::Validation;
use crate::conformance::{Direction, Violation};
use crate::faults::Fault;
use crate::reply::{ApiError, Body, Reply};
use crate::spec::{ParamIn, Route, query_decode};

/// The response body type of the server.
pub(crate) type ResBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// Largest JSON request body read into memory.
const MAX_JSON_BODY: usize = 256 * 1024 * 1024;

/// Accepts connections until `shutdown` fires.
pub(crate) async fn accept_loop(app: Arc<App>, listener: TcpListener, mut shutdown: oneshot::Receiver<()>) {
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |req| handle(app.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, service)
                .await;
        });
    }
}

fn full(bytes: impl Into<Bytes>) -> ResBody {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed_unsync()
}

fn json_response(status: u16, value: &Value, request_id: &str) -> Response<ResBody> {
    let mut r = Response::new(full(value.to_string()));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = request_id.parse() {
        r.headers_mut().insert("x-request-id", v);
    }
    r
}

/// Handles one request. An `Err` makes hyper drop the connection without answering (the `Reset` fault).
async fn handle(app: Arc<App>, req: Request<Incoming>) -> Result<Response<ResBody>, std::io::Error> {
    let request_id = app.next_request_id();
    let path = req.uri().path().to_string();
    if path.starts_with("/_local/") || path == "/_local" {
        return Ok(control(&app, req, &request_id).await);
    }
    if path.starts_with(crate::presign::STORAGE_PREFIX) {
        // Presigned storage traffic: its own auth (the URL's signature), no spec, no faults.
        return Ok(crate::storage::handle(&app, req, &request_id).await);
    }
    let method = req.method().as_str().to_string();
    let (op, path_params) = match app.spec.route(&method, &path) {
        Route::Found(op, params) => (op, params),
        unrouted => {
            let allowed = match unrouted {
                Route::MethodNotAllowed(allowed) => Some(allowed.join(", ")),
                _ => None,
            };
            let status = if allowed.is_some() { 405 } else { 404 };
            if app.config.validation != Validation::Off {
                app.violations.record(Violation {
                    operation_id: format!("{method} {path}"),
                    direction: Direction::Request,
                    status: None,
                    pointer: String::new(),
                    message: "no operation of the spec has this method and path".into(),
                });
            }
            let body = json!({"message": format!("no route for {method} {path}"), "status": status});
            let mut r = json_response(status, &body, &request_id);
            // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
            if let Some(v) = allowed.and_then(|a| hyper::header::HeaderValue::from_str(&a).ok()) {
                r.headers_mut().insert(hyper::header::ALLOW, v);
            }
            return Ok(r);
        }
    };
    app.hit(&op.id);

    let mut post_fault = None;
    let mut unordered = false;
    if let Some(fault) = app.faults.take(&path) {
        match fault {
            Fault::Reset => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                ));
            }
            Fault::TooManyRequests { retry_after_secs } => {
                let body = json!({"error": {"code": "RATE_LIMITED", "message": "rate limit exceeded (injected by hotdata-local)"}});
                let mut r = json_response(429, &body, &request_id);
                if let Ok(v) = retry_after_secs.to_string().parse() {
                    r.headers_mut().insert("retry-after", v);
                }
                return Ok(r);
            }
            Fault::Status(status) => {
                let body = json!({"message": format!("injected failure with status {status}"), "status": status});
                return Ok(json_response(status, &body, &request_id));
            }
            Fault::Delay(d) => tokio::time::sleep(d).await,
            Fault::MalformedBody => {
                let mut r = Response::new(full(&b"{\"result_id\": \"res_broken\", \"rows\": [[1, 2"[..]));
                r.headers_mut().insert(
                    "content-type",
                    hyper::header::HeaderValue::from_static("application/json"),
                );
                if let Ok(v) = request_id.parse() {
                    r.headers_mut().insert("x-request-id", v);
                }
                return Ok(r);
            }
            Fault::TruncatedBody => post_fault = Some(Fault::TruncatedBody),
            Fault::ResetAfterHandling => post_fault = Some(Fault::ResetAfterHandling),
            Fault::UnorderedPages => unordered = true,
        }
    }

    let reply = match prepare(&app, req, op.clone(), path_params).await {
        Ok(mut ctx) => {
            ctx.unordered_rows = unordered;
            match crate::api::dispatch(&app, ctx).await {
                Ok(r) => r,
                Err(e) => e.into_reply(Some(&op)),
            }
        }
        Err(e) => e.into_reply(Some(&op)),
    };
    // What this request changed is on disk before it is acknowledged.
    app.flushed().await;
    if post_fault == Some(Fault::ResetAfterHandling) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected reset after handling",
        ));
    }
    let reply = if app.config.validation != Validation::Off && post_fault.is_none() {
        check_response(&app, &op.id, reply).await
    } else {
        reply
    };
    Ok(into_response(reply, &request_id, post_fault == Some(Fault::TruncatedBody)).await)
}

/// Auth, parameter and body checks; builds the handler context.
async fn prepare(
    app: &App,
    req: Request<Incoming>,
    op: Arc<crate::spec::Operation>,
    path: HashMap<String, String>,
) -> Result<Ctx, ApiError> {
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if token.is_empty() {
        return Err(ApiError::new(
            401,
            "unauthorized",
            "missing bearer token in the Authorization header",
        ));
    }
    if token != app.config.api_key {
        return Err(ApiError::new(401, "unauthorized", "the bearer token is not valid"));
    }
    let mut ws = String::new();
    if op.workspace_scoped {
        ws = headers
            .get("x-workspace-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        if ws.is_empty() {
            return Err(ApiError::new(403, "forbidden", "missing X-Workspace-Id header"));
        }
        if !app.read_store(|s| s.workspaces.contains_key(&ws)) {
            return Err(ApiError::new(
                403,
                "forbidden",
                format!("workspace {ws} does not exist or is not accessible"),
            ));
        }
    }

    let mut query = HashMap::new();
    if let Some(q) = parts.uri.query() {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            query.insert(query_decode(k), query_decode(v));
        }
    }
    let validate = app.config.validation != Validation::Off;
    let record = |pointer: String, message: String| {
        app.violations.record(Violation {
            operation_id: op.id.clone(),
            direction: Direction::Request,
            status: None,
            pointer,
            message,
        })
    };
    let mut first_problem: Option<String> = None;
    if validate {
        for name in query.keys() {
            if !op
                .params
                .iter()
                .any(|p| p.location == ParamIn::Query && &p.name == name)
            {
                record(
                    format!("query:{name}"),
                    "query parameter not declared by the spec".into(),
                );
            }
        }
    }
    for prm in &op.params {
        let raw = match prm.location {
            ParamIn::Path => path.get(&prm.name).cloned(),
            ParamIn::Query => query.get(&prm.name).cloned(),
            ParamIn::Header => headers
                .get(prm.name.as_str())
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        };
        let where_ = format!("{}:{}", format!("{:?}", prm.location).to_lowercase(), prm.name);
        let Some(raw) = raw else {
            if prm.required {
                let msg = format!("required parameter `{}` is missing", prm.name);
                if validate {
                    record(where_, msg.clone());
                }
                first_problem.get_or_insert(msg);
            }
            continue;
        };
        let typed = match prm.kind.as_deref() {
            // Digits beyond i64 are still an integer to the schema (the handler saturates them).
            Some("integer") => raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| {
                let digits = raw.strip_prefix('-').unwrap_or(&raw);
                match raw.parse::<f64>() {
                    Ok(f) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Value::from(f),
                    _ => Value::String(raw.clone()),
                }
            }),
            Some("boolean") => match raw.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(raw.clone()),
            },
            _ => Value::String(raw.clone()),
        };
        match app.spec.validate(&prm.schema_ptr, &typed) {
            Ok(errs) => {
                if let Some(e) = errs.first() {
                    let msg = format!("parameter `{}`: {}", prm.name, e.message);
                    if validate {
                        record(where_, msg.clone());
                    }
                    first_problem.get_or_insert(msg);
                }
            }
            Err(e) if validate => record(String::new(), format!("the spec schema could not be used: {e}")),
            Err(_) => {}
        }
    }
    if let Some(msg) = first_problem {
        return Err(ApiError::bad_request(msg));
    }

    let mut json_body = Value::Null;
    let mut raw = None;
    if let Some(ptr) = &op.json_body_ptr {
        let collected = http_body_util::Limited::new(body, MAX_JSON_BODY)
            .collect()
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?
            .to_bytes();
        if collected.is_empty() {
            if op.body_required {
                let msg = "a JSON request body is required".to_string();
                if validate {
                    record(String::new(), msg.clone());
                }
                return Err(ApiError::bad_request(msg));
            }
        } else {
            if validate {
                let ct = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !ct.starts_with("application/json") {
                    record(
                        "header:Content-Type".into(),
                        format!("expected application/json, got `{ct}`"),
                    );
                }
            }
            json_body = serde_json::from_slice(&collected).map_err(|e| {
                let msg = format!("the request body is not valid JSON: {e}");
                if validate {
                    record(String::new(), msg.clone());
                }
                ApiError::bad_request(msg)
            })?;
            match app.spec.validate(ptr, &json_body) {
                Ok(errs) if !errs.is_empty() => {
                    if validate {
                        for e in &errs {
                            record(e.pointer.clone(), e.message.clone());
                        }
                    }
                    let e = &errs[0];
                    let at = if e.pointer.is_empty() {
                        String::new()
                    } else {
                        format!(" at {}", e.pointer)
                    };
                    return Err(ApiError::bad_request(format!(
                        "invalid request body{at}: {}",
                        e.message
                    )));
                }
                Ok(_) => {}
                Err(e) if validate => record(String::new(), format!("the spec schema could not be used: {e}")),
                Err(_) => {}
            }
        }
    } else if !op.body_media.is_empty() {
        raw = Some(body);
    }
    Ok(Ctx {
        op,
        path,
        query,
        headers,
        ws,
        body: json_body,
        raw,
        token,
        unordered_rows: false,
    })
}

/// Validates a reply against the responses the spec declares; returns it unchanged.
async fn check_response(app: &App, op_id: &str, reply: Reply) -> Reply {
    let Some(op) = app.spec.operation(op_id).cloned() else {
        return reply;
    };
    let record = |pointer: String, message: String| {
        app.violations.record(Violation {
            operation_id: op.id.clone(),
            direction: Direction::Response,
            status: Some(reply.status),
            pointer,
            message,
        })
    };
    let Some(declared) = op.responses.get(&reply.status) else {
        record(
            String::new(),
            format!("status {} is not declared for this operation", reply.status),
        );
        return reply;
    };
    let ct = reply.content_type.clone().unwrap_or_default();
    let media = ct.split(';').next().unwrap_or_default().trim().to_string();
    match &reply.body {
        Body::Empty => {
            if !declared.content.is_empty() {
                record(
                    String::new(),
                    "the spec declares a body for this status but none was sent".into(),
                );
            }
        }
        Body::Json(text) => match declared.content.get(&media) {
            None => record(
                "header:Content-Type".into(),
                format!("media type `{media}` is not declared"),
            ),
            Some(None) => {}
            Some(Some(ptr)) => match serde_json::from_str::<Value>(text) {
                Err(e) => record(String::new(), format!("body is not JSON: {e}")),
                Ok(v) => match app.spec.validate(ptr, &v) {
                    Ok(errs) => {
                        for e in errs {
                            record(e.pointer, e.message);
                        }
                    }
                    Err(e) => record(String::new(), format!("the spec schema could not be used: {e}")),
                },
            },
        },
        Body::Stream(_) => {
            if !declared.content.contains_key(&media) {
                record(
                    "header:Content-Type".into(),
                    format!("media type `{media}` is not declared"),
                );
            }
        }
    }
    reply
}

async fn into_response(reply: Reply, request_id: &str, truncate: bool) -> Response<ResBody> {
    let status = hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let body: ResBody = if truncate {
        let bytes = match reply.body {
            Body::Empty => Bytes::new(),
            Body::Json(t) => Bytes::from(t),
            Body::Stream(mut rx) => {
                let mut v = Vec::new();
                while let Some(Ok(chunk)) = rx.recv().await {
                    v.extend_from_slice(&chunk);
                }
                Bytes::from(v)
            }
        };
        let half = bytes.slice(..bytes.len() / 2);
        let declared = bytes.len();
        // Send the head and half the body, give them time to reach the client, then abort the connection.
        let stream = futures::stream::unfold(0u8, move |step| {
            let half = half.clone();
            async move {
                match step {
                    0 => Some((Ok(Frame::data(half)), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let e = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "injected truncation");
                        Some((Err(e), 2))
                    }
                    _ => None,
                }
            }
        });
        let mut r = Response::new(StreamBody::new(stream).boxed_unsync());
        *r.status_mut() = status;
        finish_headers(&mut r, &reply.content_type, &reply.headers, request_id);
        if let Ok(v) = declared.to_string().parse() {
            r.headers_mut().insert("content-length", v);
        }
        return r;
    } else {
        match reply.body {
            Body::Empty => full(Bytes::new()),
            Body::Json(t) => full(t),
            Body::Stream(rx) => {
                let stream = futures::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|item| (item.map(Frame::data), rx))
                });
                StreamBody::new(stream).boxed_unsync()
            }
        }
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    finish_headers(&mut r, &reply.content_type, &reply.headers, request_id);
    r
}

fn finish_headers(r: &mut Response<ResBody>, ct: &Option<String>, extra: &[(String, String)], request_id: &str) {
    let h = r.headers_mut();
    if let Some(ct) = ct
        && let Ok(v) = ct.parse()
    {
        h.insert("content-type", v);
    }
    for (k, v) in extra {
        if let (Ok(k), Ok(v)) = (hyper::header::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
            h.append(k, v);
        }
    }
    if let Ok(v) = request_id.parse() {
        h.insert("x-request-id", v);
    }
}

/// The `/_local/...` control endpoints (not part of the Hotdata API; no auth).
async fn control(app: &App, req: Request<Incoming>, request_id: &str) -> Response<ResBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    match (method.as_str(), path.as_str()) {
        ("GET", "/_local/health") => json_response(200, &json!({"ok": true}), request_id),
        ("GET", "/_local/hits") => {
            let hits = app.hits.lock().unwrap_or_else(|e| e.into_inner()).clone();
            json_response(200, &json!({"hits": hits}), request_id)
        }
        ("DELETE", "/_local/hits") => {
            app.hits.lock().unwrap_or_else(|e| e.into_inner()).clear();
            json_response(200, &json!({"ok": true}), request_id)
        }
        ("GET", "/_local/violations") => {
            let list: Vec<Value> = app
                .violations
                .snapshot()
                .iter()
                .map(|v| {
                    json!({"operation_id": v.operation_id, "direction": format!("{:?}", v.direction).to_lowercase(),
                    "status": v.status, "pointer": v.pointer, "message": v.message})
                })
                .collect();
            json_response(200, &json!({"violations": list}), request_id)
        }
        ("DELETE", "/_local/faults") => {
            app.faults.clear();
            json_response(200, &json!({"ok": true}), request_id)
        }
        ("POST", "/_local/faults") => {
            let body = match req.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return json_response(400, &json!({"message": e.to_string(), "status": 400}), request_id),
            };
            match parse_fault(&body) {
                Ok((fault, times, prefix)) => {
                    match prefix {
                        Some(p) => app.faults.push_for(&p, fault, times),
                        None => app.faults.push(fault, times),
                    }
                    json_response(200, &json!({"ok": true, "pending": app.faults.pending()}), request_id)
                }
                Err(msg) => json_response(400, &json!({"message": msg, "status": 400}), request_id),
            }
        }
        _ => json_response(
            404,
            &json!({"message": "unknown control endpoint", "status": 404}),
            request_id,
        ),
    }
}

/// Parses `{"fault": "...", "times": N, "path_prefix": "...", ...}`.
fn parse_fault(body: &[u8]) -> Result<(Fault, u32, Option<String>), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let kind = v
        .get("fault")
        .and_then(Value::as_str)
        .ok_or("field `fault` is required")?;
    let times = v
        .get("times")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .min(u64::from(u32::MAX)) as u32;
    let prefix = v.get("path_prefix").and_then(Value::as_str).map(str::to_string);
    let fault = match kind {
        "too_many_requests" => Fault::TooManyRequests {
            retry_after_secs: v.get("retry_after_secs").and_then(Value::as_u64).unwrap_or(1),
        },
        "status" => {
            let s = v
                .get("status")
                .and_then(Value::as_u64)
                .ok_or("field `status` is required")?;
            Fault::Status(
                u16::try_from(s)
                    .ok()
                    .filter(|s| (100..600).contains(s))
                    .ok_or("bad status")?,
            )
        }
        "delay" => Fault::Delay(Duration::from_millis(
            v.get("delay_ms").and_then(Value::as_u64).unwrap_or(1000),
        )),
        "reset" => Fault::Reset,
        "reset_after_handling" => Fault::ResetAfterHandling,
        "truncated_body" => Fault::TruncatedBody,
        "malformed_body" => Fault::MalformedBody,
        "unordered_pages" => Fault::UnorderedPages,
        other => return Err(format!("unknown fault `{other}`")),
    };
    Ok((fault, times, prefix))
}
