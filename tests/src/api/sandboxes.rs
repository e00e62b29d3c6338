//! `sandboxes`: per-user scratch sessions within a workspace.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Sandbox, now};

fn sandbox_json(s: &Sandbox) -> Value {
    json!({"public_id": s.public_id, "name": s.name, "markdown": s.markdown, "created_at": s.created_at,
           "updated_at": s.updated_at})
}

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("sandbox `{id}` not found"))
}

/// `POST /v1/sandboxes`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.s("name").unwrap_or("sandbox").to_string();
    let markdown = ctx.s("markdown").unwrap_or_default().to_string();
    let s = app.with_ws(&ctx.ws, |w, ids| {
        let at = now();
        let s = Sandbox {
            public_id: ids.id("sbx"),
            name,
            markdown,
            created_at: at.clone(),
            updated_at: at,
        };
        w.sandboxes.insert(s.public_id.clone(), s.clone());
        s
    })?;
    Ok(Reply::json(201, &json!({"ok": true, "sandbox": sandbox_json(&s)})))
}

/// `GET /v1/sandboxes`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let list = app.read_ws(&ctx.ws, |w| w.sandboxes.values().map(sandbox_json).collect::<Vec<_>>())?;
    Ok(Reply::json(200, &json!({"ok": true, "sandboxes": list})))
}

/// `GET /v1/sandboxes/{public_id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("public_id");
    let s = app
        .read_ws(&ctx.ws, |w| w.sandboxes.get(id).cloned())?
        .ok_or_else(|| missing(id))?;
    Ok(Reply::json(200, &json!({"ok": true, "sandbox": sandbox_json(&s)})))
}

/// `PATCH /v1/sandboxes/{public_id}`.
pub(crate) fn update(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("public_id").to_string();
    let name = ctx.s("name").map(str::to_string);
    let markdown = ctx.s("markdown").map(str::to_string);
    let s = app
        .with_ws(&ctx.ws, |w, _| {
            let s = w.sandboxes.get_mut(&id)?;
            if let Some(n) = name {
                s.name = n;
            }
            if let Some(m) = markdown {
                s.markdown = m;
            }
            s.updated_at = now();
            Some(s.clone())
        })?
        .ok_or_else(|| missing(&id))?;
    Ok(Reply::json(200, &json!({"ok": true, "sandbox": sandbox_json(&s)})))
}

/// `DELETE /v1/sandboxes/{public_id}`.
pub(crate) fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("public_id").to_string();
    app.with_ws(&ctx.ws, |w, _| w.sandboxes.remove(&id))?
        .ok_or_else(|| missing(&id))?;
    Ok(Reply::json(200, &json!({"ok": true, "deleted": true})))
}
