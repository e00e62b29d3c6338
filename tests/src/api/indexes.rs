//! `indexes`: index metadata on connection tables and datasets. The local server keeps no index structures (queries
//! scan), but validates columns and models the build lifecycle, including background builds as jobs.

use std::sync::Arc;

use serde_json::{Value, json};

use super::missing;
use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Column, Index, Workspace, now, table_key};

/// Where an index lives.
#[derive(Debug, Clone)]
enum Target {
    Table { connection_id: String, key: String },
    Dataset { id: String },
}

fn index_json(i: &Index) -> Value {
    json!({"index_name": i.index_name, "index_type": i.index_type, "columns": i.columns, "metric": i.metric,
           "status": i.status, "created_at": i.created_at, "updated_at": i.updated_at})
}

fn indexes_mut<'a>(w: &'a mut Workspace, t: &Target) -> Option<&'a mut std::collections::BTreeMap<String, Index>> {
    match t {
        Target::Table { connection_id, key } => w
            .connections
            .get_mut(connection_id)
            .and_then(|c| c.tables.get_mut(key))
            .map(|t| &mut t.indexes),
        Target::Dataset { id } => w.datasets.get_mut(id).map(|d| &mut d.indexes),
    }
}

fn columns_of(w: &Workspace, t: &Target) -> Option<Vec<Column>> {
    match t {
        // A database's default connection counts too: its ID is how the index endpoints address its tables.
        Target::Table { connection_id, key } => w
            .connections
            .get(connection_id)
            .and_then(|c| c.tables.get(key))
            .map(|t| t.columns.clone()),
        Target::Dataset { id } => w
            .datasets
            .get(id)
            .map(|d| d.current().map(|v| v.columns.clone()).unwrap_or_default()),
    }
}

fn table_target(ctx: &Ctx) -> Target {
    Target::Table {
        connection_id: ctx.p("connection_id").to_string(),
        key: table_key(ctx.p("schema"), ctx.p("table")),
    }
}

fn describe(t: &Target) -> String {
    match t {
        Target::Table { connection_id, key } => format!("table `{key}` of connection `{connection_id}`"),
        Target::Dataset { id } => format!("dataset `{id}`"),
    }
}

async fn create(app: &Arc<App>, ctx: Ctx, target: Target, job_type: &'static str) -> ApiResult {
    let name = ctx.required("index_name")?.to_string();
    if !super::valid_name(&name) {
        return Err(ApiError::bad_request(format!("`{name}` is not a valid index name")));
    }
    let columns: Vec<String> = ctx
        .body
        .get("columns")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if columns.is_empty() {
        return Err(ApiError::bad_request("columns must name at least one column"));
    }
    let index_type = ctx.s("index_type").unwrap_or("sorted").to_string();
    let provider = ctx.s("embedding_provider_id").map(str::to_string);
    let metric = match index_type.as_str() {
        "vector" => Some(
            ctx.s("metric")
                .unwrap_or(if provider.is_some() { "cosine" } else { "l2" })
                .to_string(),
        ),
        _ => None,
    };
    let background = ctx.flag("async");
    let info = app.with_ws(&ctx.ws, |w, _| {
        let cols =
            columns_of(w, &target).ok_or_else(|| ApiError::not_found(format!("{} not found", describe(&target))))?;
        if let Target::Table { connection_id, key } = &target
            && w.connections
                .get(connection_id)
                .and_then(|c| c.tables.get(key))
                .is_some_and(|t| !t.sorted_by.is_empty())
        {
            return Err(ApiError::bad_request(format!(
                "{} declares a sort order (sorted_by), so it cannot be indexed",
                describe(&target)
            )));
        }
        for c in &columns {
            let Some(col) = cols.iter().find(|x| &x.name == c) else {
                return Err(ApiError::bad_request(format!(
                    "column `{c}` does not exist in {}",
                    describe(&target)
                )));
            };
            if index_type == "bm25" && !col.data_type.contains("Utf8") {
                return Err(ApiError::bad_request(format!(
                    "bm25 indexes need text columns; `{c}` is {}",
                    col.data_type
                )));
            }
        }
        if let Some(p) = &provider
            && !w.embedding_providers.contains_key(p)
        {
            return Err(ApiError::bad_request(format!(
                "embedding provider `{p}` does not exist"
            )));
        }
        let map =
            indexes_mut(w, &target).ok_or_else(|| ApiError::not_found(format!("{} not found", describe(&target))))?;
        if map.contains_key(&name) {
            return Err(ApiError::bad_request(format!("an index named `{name}` already exists")));
        }
        let at = now();
        let i = Index {
            index_name: name.clone(),
            index_type: index_type.clone(),
            columns: columns.clone(),
            metric: metric.clone(),
            status: if background { "pending" } else { "ready" }.into(),
            created_at: at.clone(),
            updated_at: at,
        };
        map.insert(name.clone(), i.clone());
        Ok(i)
    })??;
    if background {
        let app2 = app.clone();
        let ws = ctx.ws.clone();
        let target2 = target.clone();
        let name2 = name.clone();
        super::jobs::submit(app, &ctx.ws, job_type, async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            app2.with_ws(&ws, |w, _| {
                let i = indexes_mut(w, &target2)
                    .and_then(|m| m.get_mut(&name2))
                    .ok_or("the index was dropped")?;
                i.status = "ready".into();
                i.updated_at = now();
                Ok(index_json(i))
            })
            .map_err(|e| e.message)?
        })?;
    }
    Ok(Reply::json(201, &index_json(&info)))
}

fn list(app: &Arc<App>, ctx: Ctx, target: Target) -> ApiResult {
    let list = app
        .with_ws(&ctx.ws, |w, _| {
            columns_of(w, &target)?;
            indexes_mut(w, &target).map(|m| m.values().map(index_json).collect::<Vec<_>>())
        })?
        .ok_or_else(|| ApiError::not_found(format!("{} not found", describe(&target))))?;
    Ok(Reply::json(200, &json!({"indexes": list})))
}

fn delete(app: &Arc<App>, ctx: Ctx, target: Target) -> ApiResult {
    let name = ctx.p("index_name").to_string();
    app.with_ws(&ctx.ws, |w, _| {
        columns_of(w, &target).ok_or_else(|| ApiError::not_found(format!("{} not found", describe(&target))))?;
        let map =
            indexes_mut(w, &target).ok_or_else(|| ApiError::not_found(format!("{} not found", describe(&target))))?;
        map.remove(&name).map(|_| ()).ok_or_else(|| missing("index", &name))
    })??;
    Ok(Reply::no_content())
}

/// `POST /v1/connections/{connection_id}/tables/{schema}/{table}/indexes`.
pub(crate) async fn create_table_index(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let t = table_target(&ctx);
    create(app, ctx, t, "create_index").await
}

/// `GET /v1/connections/{connection_id}/tables/{schema}/{table}/indexes`.
pub(crate) fn list_table_indexes(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let t = table_target(&ctx);
    list(app, ctx, t)
}

/// `DELETE /v1/connections/{connection_id}/tables/{schema}/{table}/indexes/{index_name}`.
pub(crate) fn delete_table_index(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let t = table_target(&ctx);
    delete(app, ctx, t)
}

/// `POST /v1/datasets/{dataset_id}/indexes`.
pub(crate) async fn create_dataset_index(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let t = Target::Dataset {
        id: ctx.p("dataset_id").to_string(),
    };
    create(app, ctx, t, "create_dataset_index").await
}

/// `GET /v1/datasets/{dataset_id}/indexes`.
pub(crate) fn list_dataset_indexes(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let t = Target::Dataset {
        id: ctx.p("dataset_id").to_string(),
    };
    list(app, ctx, t)
}

/// `DELETE /v1/datasets/{dataset_id}/indexes/{index_name}`.
pub(crate) fn delete_dataset_index(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let t = Target::Dataset {
        id: ctx.p("dataset_id").to_string(),
    };
    delete(app, ctx, t)
}

/// `GET /v1/indexes`: the indexes on the tables of the database in `X-Database-Id` (its default catalog and the
/// catalogs attached to it), ordered by connection, schema, table and name. The cursor is the position of the last
/// index of the previous page.
pub(crate) fn list_database_indexes(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let db_id = ctx.header("x-database-id").unwrap_or_default().to_string();
    if db_id.is_empty() {
        return Err(ApiError::bad_request("the X-Database-Id header is required"));
    }
    let conn_filter = ctx.q("connection_id").map(str::to_string);
    let schema = ctx.q("schema").map(str::to_string);
    let table = ctx.q("table").map(str::to_string);
    let index_type = ctx.q("index_type").map(str::to_string);
    let limit = ctx.q_u64("limit")?.unwrap_or(50).clamp(1, 100) as usize;
    let after = ctx
        .q("cursor")
        .filter(|c| !c.is_empty())
        .map(|c| {
            super::information_schema::decode_cursor(c)
                .map_err(|_| ApiError::bad_request(format!("`{c}` is not a cursor of this listing")))
        })
        .transpose()?;
    let mut rows = app.read_ws(&ctx.ws, |w| {
        let db = w.databases.get(&db_id).ok_or_else(|| missing("database", &db_id))?;
        let mut conns = vec![db.default_connection_id.clone()];
        conns.extend(db.attachments.iter().map(|(c, _)| c.clone()));
        let mut rows = Vec::new();
        for conn_id in conns {
            if conn_filter.as_ref().is_some_and(|f| f != &conn_id) {
                continue;
            }
            let Some(c) = w.connections.get(&conn_id) else { continue };
            for t in c.tables.values() {
                if schema.as_ref().is_some_and(|s| s != &t.schema) || table.as_ref().is_some_and(|x| x != &t.table) {
                    continue;
                }
                for i in t.indexes.values() {
                    if index_type.as_ref().is_some_and(|x| x != &i.index_type) {
                        continue;
                    }
                    let position = format!("{conn_id}\u{1}{}\u{1}{}\u{1}{}", t.schema, t.table, i.index_name);
                    let mut v = index_json(i);
                    v["connection_id"] = json!(conn_id);
                    v["schema_name"] = json!(t.schema);
                    v["table_name"] = json!(t.table);
                    rows.push((position, v));
                }
            }
        }
        Ok::<_, ApiError>(rows)
    })??;
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let rest: Vec<(String, Value)> = rows
        .into_iter()
        .filter(|(p, _)| after.as_ref().is_none_or(|a| p > a))
        .collect();
    let has_more = rest.len() > limit;
    let page: Vec<(String, Value)> = rest.into_iter().take(limit).collect();
    let next = if has_more {
        page.last()
            .map_or(Value::Null, |(p, _)| json!(super::information_schema::encode_cursor(p)))
    } else {
        Value::Null
    };
    let indexes: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    Ok(Reply::json(
        200,
        &json!({"indexes": indexes, "count": indexes.len(), "has_more": has_more, "limit": limit,
                "next_cursor": next}),
    ))
}
