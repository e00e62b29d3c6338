//! `saved_queries`: named, versioned SQL, classified from its syntax tree and runnable by ID.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{missing, opt};
use crate::api::query::{self, Mode, RunRequest};
use crate::app::{App, Ctx};
use crate::classify::classify;
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{SavedQuery, SavedQueryVersion, now, sha256_hex};

fn version_of(sql: &str, n: i64) -> SavedQueryVersion {
    SavedQueryVersion {
        version: n,
        sql: sql.to_string(),
        sql_hash: sha256_hex(sql),
        created_at: now(),
        classification: classify(sql),
    }
}

fn classification_json(
    v: &SavedQueryVersion,
    category_override: &Option<String>,
    table_size: &Option<String>,
) -> Value {
    let c = &v.classification;
    json!({"category": category_override.clone().or_else(|| c.category.clone()),
           "has_aggregation": c.has_aggregation, "has_group_by": c.has_group_by, "has_join": c.has_join,
           "has_limit": c.has_limit, "has_order_by": c.has_order_by, "has_predicate": c.has_predicate,
           "num_tables": c.num_tables, "table_size": opt(table_size), "sql": v.sql, "sql_hash": v.sql_hash})
}

fn detail(q: &SavedQuery) -> Value {
    let mut body = json!({"id": q.id, "name": q.name, "description": q.description, "tags": q.tags,
        "latest_version": q.versions.last().map(|v| v.version).unwrap_or(0),
        "created_at": q.created_at, "updated_at": q.updated_at});
    if let (Some(v), Some(obj)) = (q.versions.last(), body.as_object_mut())
        && let Value::Object(extra) = classification_json(v, &q.category_override, &q.table_size)
    {
        obj.extend(extra);
    }
    body
}

/// Stores a new saved query; returns its ID.
pub(crate) fn insert(
    app: &App,
    ws: &str,
    name: String,
    description: String,
    tags: Vec<String>,
    sql: String,
) -> Result<String, ApiError> {
    if sql.trim().is_empty() {
        return Err(ApiError::bad_request("sql must not be empty"));
    }
    app.with_ws(ws, |w, ids| {
        let at = now();
        let q = SavedQuery {
            id: ids.id("sq"),
            name,
            description,
            tags,
            created_at: at.clone(),
            updated_at: at,
            category_override: None,
            table_size: None,
            versions: vec![version_of(&sql, 1)],
        };
        let id = q.id.clone();
        w.saved_queries.insert(id.clone(), q);
        id
    })
}

fn tags_of(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// `POST /v1/queries`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.required("name")?.to_string();
    let sql = ctx.required("sql")?.to_string();
    let description = ctx.s("description").unwrap_or_default().to_string();
    let id = insert(app, &ctx.ws, name, description, tags_of(ctx.body.get("tags")), sql)?;
    let q = app
        .read_ws(&ctx.ws, |w| w.saved_queries.get(&id).cloned())?
        .ok_or_else(|| missing("saved query", &id))?;
    Ok(Reply::json(201, &detail(&q)))
}

/// `GET /v1/queries`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let all = app.read_ws(&ctx.ws, |w| w.saved_queries.values().cloned().collect::<Vec<_>>())?;
    let (page, has_more, limit, offset) = super::offset_page(&ctx, &all, 100, 1000)?;
    let items: Vec<Value> = page
        .iter()
        .map(|q| {
            json!({"id": q.id, "name": q.name, "description": q.description, "tags": q.tags,
                   "latest_version": q.versions.last().map(|v| v.version).unwrap_or(0),
                   "created_at": q.created_at, "updated_at": q.updated_at})
        })
        .collect();
    Ok(Reply::json(
        200,
        &json!({"queries": items, "count": items.len(), "has_more": has_more, "limit": limit, "offset": offset}),
    ))
}

fn saved(app: &App, ctx: &Ctx) -> Result<SavedQuery, ApiError> {
    let id = ctx.p("id");
    app.read_ws(&ctx.ws, |w| w.saved_queries.get(id).cloned())?
        .ok_or_else(|| missing("saved query", id))
}

/// `GET /v1/queries/{id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    Ok(Reply::json(200, &detail(&saved(app, &ctx)?)))
}

/// `PUT /v1/queries/{id}`: different SQL adds a version.
pub(crate) fn update(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id").to_string();
    let body = ctx.body.clone();
    if let Some(Value::String(s)) = body.get("sql")
        && s.trim().is_empty()
    {
        return Err(ApiError::bad_request("sql must not be empty"));
    }
    let q = app
        .with_ws(&ctx.ws, |w, _| {
            let q = w.saved_queries.get_mut(&id)?;
            if let Some(n) = body.get("name").and_then(Value::as_str) {
                q.name = n.to_string();
            }
            if let Some(d) = body.get("description").and_then(Value::as_str) {
                q.description = d.to_string();
            }
            if let Some(t) = body.get("tags").filter(|t| t.is_array()) {
                q.tags = tags_of(Some(t));
            }
            match body.get("category_override") {
                Some(Value::Null) => q.category_override = None,
                Some(Value::String(c)) => q.category_override = Some(c.clone()),
                _ => {}
            }
            match body.get("table_size_override") {
                Some(Value::Null) => q.table_size = None,
                Some(Value::String(c)) => q.table_size = Some(c.clone()),
                _ => {}
            }
            if let Some(sql) = body.get("sql").and_then(Value::as_str)
                && q.versions.last().is_none_or(|v| v.sql != sql)
            {
                let n = q.versions.last().map(|v| v.version).unwrap_or(0) + 1;
                q.versions.push(version_of(sql, n));
            }
            q.updated_at = now();
            Some(q.clone())
        })?
        .ok_or_else(|| missing("saved query", &id))?;
    Ok(Reply::json(200, &detail(&q)))
}

/// `DELETE /v1/queries/{id}`.
pub(crate) fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id").to_string();
    app.with_ws(&ctx.ws, |w, _| w.saved_queries.remove(&id))?
        .ok_or_else(|| missing("saved query", &id))?;
    Ok(Reply::no_content())
}

/// `GET /v1/queries/{id}/versions`.
pub(crate) fn versions(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let q = saved(app, &ctx)?;
    let (page, has_more, limit, offset) = super::offset_page(&ctx, &q.versions, 100, 1000)?;
    let items: Vec<Value> = page
        .iter()
        .map(|v| {
            let mut j = classification_json(v, &q.category_override, &q.table_size);
            j["version"] = json!(v.version);
            j["created_at"] = json!(v.created_at);
            j
        })
        .collect();
    Ok(Reply::json(
        200,
        &json!({"saved_query_id": q.id, "versions": items, "count": items.len(), "has_more": has_more,
                "limit": limit, "offset": offset}),
    ))
}

/// `POST /v1/queries/{id}/execute`.
pub(crate) async fn execute(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let q = saved(app, &ctx)?;
    let wanted = ctx.body.get("version").and_then(Value::as_i64);
    let v = match wanted {
        Some(n) => q.versions.iter().find(|v| v.version == n),
        None => q.versions.last(),
    }
    .ok_or_else(|| ApiError::not_found(format!("saved query `{}` has no version {}", q.id, wanted.unwrap_or(0))))?;
    // The database comes from the header only; the live contract requires it, the seed era runs unscoped without.
    let database_id = ctx.header("x-database-id").map(str::to_string);
    if database_id.is_none() && app.config.contract == crate::config::Contract::Live {
        return Err(ApiError::bad_request(
            "name the database to run the saved query in with the X-Database-Id header",
        ));
    }
    let scope = query::scope_for(app, &ctx, database_id.as_deref())?;
    let req = RunRequest {
        sql: v.sql.clone(),
        scope,
        saved_query: Some((q.id.clone(), v.version)),
        user: ctx.user_public_id(),
        database_id,
    };
    query::run(app, &ctx.ws, req, Mode::Sync, false).await
}
