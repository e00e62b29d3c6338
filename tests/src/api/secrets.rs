//! `secrets`: write-only credentials, addressed by name.

use std::sync::Arc;

use serde_json::json;

use super::missing;
use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Secret, now};

/// `POST /v1/secrets`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.required("name")?.to_string();
    let value = ctx.required("value")?.to_string();
    let s = app.with_ws(&ctx.ws, |w, ids| {
        if w.secrets.contains_key(&name) {
            return Err(ApiError::conflict(format!("a secret named `{name}` already exists")));
        }
        let at = now();
        let s = Secret {
            id: ids.id("secr"),
            name: name.clone(),
            value,
            created_at: at.clone(),
            updated_at: at,
        };
        w.secrets.insert(name, s.clone());
        Ok(s)
    })??;
    Ok(Reply::json(
        201,
        &json!({"id": s.id, "name": s.name, "created_at": s.created_at}),
    ))
}

/// `GET /v1/secrets`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let secrets = app.read_ws(&ctx.ws, |w| {
        w.secrets
            .values()
            .map(|s| json!({"name": s.name, "created_at": s.created_at, "updated_at": s.updated_at}))
            .collect::<Vec<_>>()
    })?;
    Ok(Reply::json(200, &json!({"secrets": secrets})))
}

/// `GET /v1/secrets/{name}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.p("name");
    let s = app
        .read_ws(&ctx.ws, |w| w.secrets.get(name).cloned())?
        .ok_or_else(|| missing("secret", name))?;
    Ok(Reply::json(
        200,
        &json!({"name": s.name, "created_at": s.created_at, "updated_at": s.updated_at}),
    ))
}

/// `PUT /v1/secrets/{name}`.
pub(crate) fn update(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.p("name").to_string();
    let value = ctx.required("value")?.to_string();
    let s = app.with_ws(&ctx.ws, |w, _| {
        let s = w.secrets.get_mut(&name)?;
        s.value = value;
        s.updated_at = now();
        Some(s.clone())
    })?;
    let s = s.ok_or_else(|| missing("secret", &name))?;
    Ok(Reply::json(200, &json!({"name": s.name, "updated_at": s.updated_at})))
}

/// `DELETE /v1/secrets/{name}`.
pub(crate) fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.p("name").to_string();
    app.with_ws(&ctx.ws, |w, _| w.secrets.remove(&name))?
        .ok_or_else(|| missing("secret", &name))?;
    Ok(Reply::no_content())
}
