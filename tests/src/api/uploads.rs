//! `uploads`: raw files streamed to disk, later consumed by datasets and managed-table loads.

use std::sync::Arc;

use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Upload, now};

fn upload_json(u: &Upload) -> Value {
    json!({"id": u.id, "size_bytes": u.size_bytes, "status": u.status, "created_at": u.created_at,
           "content_type": u.content_type})
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the upload exceeds the limit of {limit} bytes"),
    )
}

/// `POST /v1/files`: the body is written to disk frame by frame and never held whole in memory.
pub(crate) async fn upload(app: &Arc<App>, mut ctx: Ctx) -> ApiResult {
    let limit = app.config.max_upload_bytes;
    if let Some(len) = ctx.header("content-length").and_then(|v| v.parse::<u64>().ok())
        && len > limit
    {
        return Err(too_large(limit));
    }
    let content_type = ctx.header("content-type").map(str::to_string);
    let id = app.with_ws(&ctx.ws, |_, ids| ids.id("upl"))?;
    let rel = format!("uploads/{}/{id}", ctx.ws);
    let path = app.dirs.prepare(&rel).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut file = crate::state::private_file_async()
        .open(&path)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut body = ctx
        .raw
        .take()
        .ok_or_else(|| ApiError::bad_request("the upload body is missing"))?;
    let mut size = 0u64;
    let outcome: Result<(), ApiError> = async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ApiError::bad_request(format!("cannot read the upload body: {e}")))?;
            if let Ok(data) = frame.into_data() {
                size += data.len() as u64;
                if size > limit {
                    return Err(too_large(limit));
                }
                file.write_all(&data)
                    .await
                    .map_err(|e| ApiError::internal(e.to_string()))?;
            }
        }
        file.flush().await.map_err(|e| ApiError::internal(e.to_string()))?;
        if size == 0 {
            return Err(ApiError::bad_request("the upload body is empty"));
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        drop(file);
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    let u = Upload {
        id: id.clone(),
        size_bytes: size,
        content_type,
        status: "pending".into(),
        created_at: now(),
        file: rel,
    };
    app.with_ws(&ctx.ws, |w, _| w.uploads.insert(id, u.clone()))?;
    Ok(Reply::json(201, &upload_json(&u)))
}

/// `GET /v1/files`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let status = ctx.q("status").map(str::to_string);
    let uploads = app.read_ws(&ctx.ws, |w| {
        w.uploads
            .values()
            .filter(|u| status.as_deref().is_none_or(|s| u.status == s))
            .map(upload_json)
            .collect::<Vec<_>>()
    })?;
    Ok(Reply::json(200, &json!({"uploads": uploads})))
}

/// Claims a pending upload for consumption (`processing`), or explains why it cannot be used.
pub(crate) fn claim(app: &App, ws: &str, upload_id: &str) -> Result<Upload, ApiError> {
    app.with_ws(ws, |w, _| {
        let u = w
            .uploads
            .get_mut(upload_id)
            .ok_or_else(|| super::missing("upload", upload_id))?;
        if u.status != "pending" {
            return Err(ApiError::conflict(format!(
                "upload `{upload_id}` is already {}",
                u.status
            )));
        }
        u.status = "processing".into();
        Ok(u.clone())
    })?
}

/// Ends a claim: `consumed` on success, back to `pending` otherwise.
pub(crate) fn release(app: &App, ws: &str, upload_id: &str, consumed: bool) {
    let _ = app.with_ws(ws, |w, _| {
        if let Some(u) = w.uploads.get_mut(upload_id) {
            u.status = if consumed { "consumed" } else { "pending" }.into();
        }
    });
}
