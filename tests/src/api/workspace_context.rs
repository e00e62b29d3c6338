//! `workspace_context`: named text documents kept at the workspace level.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{missing, valid_name};
use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{ContextEntry, now};

pub(crate) fn entry_json(e: &ContextEntry) -> Value {
    json!({"name": e.name, "content": e.content, "updated_at": e.updated_at})
}

pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`{name}` is not a valid context name: use 1 to 128 letters, digits or `_`, not starting with a digit"
        )))
    }
}

/// `GET /v1/context`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let contexts = app.read_ws(&ctx.ws, |w| w.contexts.values().map(entry_json).collect::<Vec<_>>())?;
    Ok(Reply::json(200, &json!({"contexts": contexts})))
}

/// The entry an upsert body (`name`, `content`) describes, its name checked, stamped now.
pub(crate) fn entry_from_body(ctx: &Ctx) -> Result<ContextEntry, ApiError> {
    let name = ctx.required("name")?.to_string();
    let content = ctx.required("content")?.to_string();
    check_name(&name)?;
    Ok(ContextEntry {
        name,
        content,
        updated_at: now(),
    })
}

/// `POST /v1/context`.
pub(crate) fn upsert(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let e = entry_from_body(&ctx)?;
    let name = e.name.clone();
    app.with_ws(&ctx.ws, |w, _| w.contexts.insert(name, e.clone()))?;
    Ok(Reply::json(200, &json!({"context": entry_json(&e)})))
}

/// `GET /v1/context/{name}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.p("name");
    check_name(name)?;
    let e = app
        .read_ws(&ctx.ws, |w| w.contexts.get(name).cloned())?
        .ok_or_else(|| missing("context entry", name))?;
    Ok(Reply::json(200, &json!({"context": entry_json(&e)})))
}

/// `DELETE /v1/context/{name}`.
pub(crate) fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.p("name").to_string();
    check_name(&name)?;
    app.with_ws(&ctx.ws, |w, _| w.contexts.remove(&name))?
        .ok_or_else(|| missing("context entry", &name))?;
    Ok(Reply::no_content())
}
