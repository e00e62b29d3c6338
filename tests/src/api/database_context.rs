//! `database_context`: named text documents attached to one managed database.

use std::sync::Arc;

use serde_json::json;

use super::missing;
use super::workspace_context::{check_name, entry_from_body, entry_json};
use crate::app::{App, Ctx};
use crate::reply::{ApiResult, Reply};

/// `GET /v1/databases/{database_id}/context`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id");
    let contexts = app
        .read_ws(&ctx.ws, |w| {
            w.databases
                .get(id)
                .map(|d| d.contexts.values().map(entry_json).collect::<Vec<_>>())
        })?
        .ok_or_else(|| missing("database", id))?;
    Ok(Reply::json(200, &json!({"contexts": contexts})))
}

/// `POST /v1/databases/{database_id}/context`.
pub(crate) fn upsert(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id").to_string();
    let e = entry_from_body(&ctx)?;
    let name = e.name.clone();
    app.with_ws(&ctx.ws, |w, _| {
        w.databases.get_mut(&id).map(|d| d.contexts.insert(name, e.clone()))
    })?
    .ok_or_else(|| missing("database", &id))?;
    Ok(Reply::json(200, &json!({"context": entry_json(&e)})))
}

/// `GET /v1/databases/{database_id}/context/{name}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id");
    let name = ctx.p("name");
    check_name(name)?;
    let e = app
        .read_ws(&ctx.ws, |w| w.databases.get(id).map(|d| d.contexts.get(name).cloned()))?
        .ok_or_else(|| missing("database", id))?
        .ok_or_else(|| missing("context entry", name))?;
    Ok(Reply::json(200, &json!({"context": entry_json(&e)})))
}

/// `DELETE /v1/databases/{database_id}/context/{name}`.
pub(crate) fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id").to_string();
    let name = ctx.p("name").to_string();
    check_name(&name)?;
    app.with_ws(&ctx.ws, |w, _| {
        w.databases.get_mut(&id).map(|d| d.contexts.remove(&name))
    })?
    .ok_or_else(|| missing("database", &id))?
    .ok_or_else(|| missing("context entry", &name))?;
    Ok(Reply::no_content())
}
