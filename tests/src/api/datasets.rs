//! `datasets`: managed, versioned tables queried as `datasets.main.<table_name>`.

use std::sync::Arc;

use serde_json::{Value, json};

use super::missing;
use crate::app::{App, Ctx};
use crate::engine::{self, SourceFormat};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Dataset, DatasetVersion, now};

/// [`SourceFormat::sniff`] on Tokio's blocking pool (it reads the file's first bytes).
async fn sniff(path: std::path::PathBuf, content_type: Option<String>) -> Result<SourceFormat, ApiError> {
    tokio::task::spawn_blocking(move || SourceFormat::sniff(&path, content_type.as_deref()))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// A SQL-friendly table name derived from a label.
fn table_name_from(label: &str) -> String {
    let mut s: String = label
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s.truncate(128);
    s
}

fn user_err(e: engine::QueryError) -> ApiError {
    if e.user_error {
        ApiError::bad_request(e.message)
    } else {
        ApiError::internal(e.message)
    }
}

/// Builds version `version` of dataset `id` from `source`, writing its parquet file. `fresh` is true on creation
/// (an upload source is then claimed and consumed) and false on refresh (the consumed upload is read again).
pub(crate) async fn build_version(
    app: &Arc<App>,
    ws: &str,
    id: &str,
    version: i64,
    source: &Value,
    fresh: bool,
) -> Result<DatasetVersion, ApiError> {
    let kind = source
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let rel = format!("datasets/{ws}/{id}/v{version}.parquet");
    let out = app.dirs.abs(&rel);
    let scratch = app.dirs.abs(&format!("scratch/{ws}"));
    let columns = source.get("columns").and_then(Value::as_object).cloned();
    let format_of = |v: &Value| v.get("format").and_then(Value::as_str).and_then(SourceFormat::parse);
    let (rows, cols) = match kind.as_str() {
        "upload" => {
            let upload_id = source.get("upload_id").and_then(Value::as_str).unwrap_or_default();
            let upload = if fresh {
                super::uploads::claim(app, ws, upload_id)?
            } else {
                app.read_ws(ws, |w| w.uploads.get(upload_id).cloned())?
                    .ok_or_else(|| missing("upload", upload_id))?
            };
            let path = app.dirs.abs(&upload.file);
            let format = match format_of(source) {
                Some(f) => f,
                None => sniff(path.clone(), upload.content_type.clone()).await?,
            };
            let r = engine::convert_to_parquet(&path, format, columns.as_ref(), &out, &scratch).await;
            if fresh {
                super::uploads::release(app, ws, upload_id, r.is_ok());
            }
            r.map_err(user_err)?
        }
        "inline" => {
            let inline = source.get("inline").cloned().unwrap_or(Value::Null);
            let content = inline.get("content").and_then(Value::as_str).unwrap_or_default();
            let format = format_of(&inline).unwrap_or(SourceFormat::Csv);
            let columns = inline.get("columns").and_then(Value::as_object).cloned();
            crate::state::create_private_dirs_async(&scratch)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let tmp = scratch.join(format!("{id}-v{version}.inline"));
            crate::state::write_private_async(&tmp, content.as_bytes())
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let r = engine::convert_to_parquet(&tmp, format, columns.as_ref(), &out, &scratch).await;
            let _ = tokio::fs::remove_file(&tmp).await;
            r.map_err(user_err)?
        }
        "url" => {
            let url = source.get("url").and_then(Value::as_str).unwrap_or_default();
            let Some(path) = url.strip_prefix("file://") else {
                return Err(ApiError::bad_request(
                    "hotdata-local has no network access; only file:// URLs can be used as dataset sources",
                ));
            };
            let path = std::path::PathBuf::from(path);
            let is_file = tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file());
            if !is_file {
                return Err(ApiError::bad_request(format!("{url} is not a readable file")));
            }
            // The data directory holds every workspace's uploads, tables and results; a file:// URL must not
            // reach into it, or one workspace could read another's data by path.
            let real = tokio::fs::canonicalize(&path).await.unwrap_or_else(|_| path.clone());
            let root = tokio::fs::canonicalize(&app.dirs.root)
                .await
                .unwrap_or_else(|_| app.dirs.root.clone());
            if real.starts_with(&root) {
                return Err(ApiError::bad_request(format!(
                    "{url} is inside the server's data directory; use an upload or a table instead"
                )));
            }
            let format = match format_of(source) {
                Some(f) => f,
                None => sniff(path.clone(), None).await?,
            };
            engine::convert_to_parquet(&path, format, columns.as_ref(), &out, &scratch)
                .await
                .map_err(user_err)?
        }
        "saved_query" | "sql_query" => {
            let (sql, _) = if kind == "saved_query" {
                let sq_id = source.get("saved_query_id").and_then(Value::as_str).unwrap_or_default();
                let wanted = source.get("version").and_then(Value::as_i64);
                app.read_ws(ws, |w| {
                    let sq = w
                        .saved_queries
                        .get(sq_id)
                        .ok_or_else(|| missing("saved query", sq_id))?;
                    let v = match wanted {
                        Some(n) => sq.versions.iter().find(|v| v.version == n),
                        None => sq.versions.last(),
                    }
                    .ok_or_else(|| ApiError::bad_request("that saved query version does not exist"))?;
                    Ok::<_, ApiError>((v.sql.clone(), v.version))
                })??
            } else {
                (
                    source
                        .get("sql")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    0,
                )
            };
            let scope = app.read_ws(ws, |w| app.scope(w, None))?;
            let ctx = engine::context(&scope).await.map_err(user_err)?;
            let df = engine::plan(&ctx, &sql).await.map_err(user_err)?;
            let stream = df
                .execute_stream()
                .await
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            let (rows, schema) = engine::write_parquet(stream, &out).await.map_err(user_err)?;
            (rows, engine::columns_of(&schema))
        }
        other => return Err(ApiError::bad_request(format!("unknown source type `{other}`"))),
    };
    let vid = app.with_ws(ws, |_, ids| ids.id("dsv"))?;
    Ok(DatasetVersion {
        id: vid,
        version,
        source_type: kind,
        created_at: now(),
        file: rel,
        columns: cols,
        row_count: rows,
    })
}

/// `POST /v1/datasets`.
pub(crate) async fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let label = ctx.required("label")?.to_string();
    let table_name = ctx
        .s("table_name")
        .map(str::to_string)
        .unwrap_or_else(|| table_name_from(&label));
    if !super::valid_name(&table_name) {
        return Err(ApiError::bad_request(format!(
            "`{table_name}` is not a valid table name"
        )));
    }
    let mut source = ctx.body.get("source").cloned().unwrap_or(Value::Null);
    let id = app.with_ws(&ctx.ws, |w, ids| {
        if w.datasets.values().any(|d| d.table_name == table_name) {
            return Err(ApiError::conflict(format!(
                "a dataset with table name `{table_name}` already exists"
            )));
        }
        Ok(ids.id("ds"))
    })??;
    if source.get("type").and_then(Value::as_str) == Some("sql_query") {
        // The SQL becomes a saved query, and the dataset reads from it.
        let sql = source
            .get("sql")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let name = source.get("name").and_then(Value::as_str).unwrap_or(&label).to_string();
        let description = source
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let sq = super::saved_queries::insert(app, &ctx.ws, name, description, Vec::new(), sql)?;
        if let Some(obj) = source.as_object_mut() {
            obj.insert("saved_query_id".into(), json!(sq));
        }
    }
    let version = build_version(app, &ctx.ws, &id, 1, &source, true).await?;
    let at = now();
    let ds = Dataset {
        id: id.clone(),
        label,
        table_name,
        source_type: version.source_type.clone(),
        source,
        created_at: at.clone(),
        updated_at: at,
        pinned_version: None,
        versions: vec![version],
        indexes: Default::default(),
    };
    app.with_ws(&ctx.ws, |w, _| {
        if w.datasets.values().any(|d| d.table_name == ds.table_name) {
            return Err(ApiError::conflict(format!(
                "a dataset with table name `{}` already exists",
                ds.table_name
            )));
        }
        w.datasets.insert(id, ds.clone());
        Ok(())
    })??;
    Ok(Reply::json(
        201,
        &json!({"id": ds.id, "label": ds.label, "table_name": ds.table_name, "schema_name": "main",
                "status": "ready", "created_at": ds.created_at}),
    ))
}

fn summary(d: &Dataset) -> Value {
    json!({"id": d.id, "label": d.label, "table_name": d.table_name, "schema_name": "main",
           "latest_version": d.latest_version(), "pinned_version": d.pinned_version,
           "created_at": d.created_at, "updated_at": d.updated_at})
}

/// `GET /v1/datasets`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let all = app.read_ws(&ctx.ws, |w| w.datasets.values().cloned().collect::<Vec<_>>())?;
    let (page, has_more, limit, offset) = super::offset_page(&ctx, &all, 100, 1000)?;
    let items: Vec<Value> = page.iter().map(summary).collect();
    Ok(Reply::json(
        200,
        &json!({"datasets": items, "count": items.len(), "has_more": has_more, "limit": limit, "offset": offset}),
    ))
}

fn dataset(app: &App, ctx: &Ctx) -> Result<Dataset, ApiError> {
    let id = ctx.p("id");
    app.read_ws(&ctx.ws, |w| w.datasets.get(id).cloned())?
        .ok_or_else(|| missing("dataset", id))
}

/// `GET /v1/datasets/{id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let d = dataset(app, &ctx)?;
    let columns: Vec<Value> = d
        .current()
        .map(|v| {
            v.columns
                .iter()
                .map(|c| json!({"name": c.name, "data_type": c.data_type, "nullable": c.nullable}))
                .collect()
        })
        .unwrap_or_default();
    let mut body = summary(&d);
    body["columns"] = json!(columns);
    body["source_type"] = json!(d.source_type);
    Ok(Reply::json(200, &body))
}

/// `PUT /v1/datasets/{id}`.
pub(crate) fn update(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id").to_string();
    let body = ctx.body.clone();
    let d = app.with_ws(&ctx.ws, |w, _| {
        if !w.datasets.contains_key(&id) {
            return Err(missing("dataset", &id));
        }
        if let Some(t) = body.get("table_name").and_then(Value::as_str) {
            if !super::valid_name(t) {
                return Err(ApiError::conflict(format!("`{t}` cannot be used as a table name")));
            }
            if w.datasets.values().any(|d| d.id != id && d.table_name == t) {
                return Err(ApiError::conflict(format!(
                    "table name `{t}` is already used by another dataset"
                )));
            }
        }
        let d = w.datasets.get_mut(&id).ok_or_else(|| missing("dataset", &id))?;
        match body.get("pinned_version") {
            Some(Value::Null) => d.pinned_version = None,
            Some(v) => {
                let n = v.as_i64().unwrap_or(-1);
                if !d.versions.iter().any(|x| x.version == n) {
                    return Err(ApiError::not_found(format!("dataset `{id}` has no version {v}")));
                }
                d.pinned_version = Some(n);
            }
            None => {}
        }
        if let Some(l) = body.get("label").and_then(Value::as_str) {
            d.label = l.to_string();
        }
        if let Some(t) = body.get("table_name").and_then(Value::as_str) {
            d.table_name = t.to_string();
        }
        d.updated_at = now();
        Ok(d.clone())
    })??;
    Ok(Reply::json(
        200,
        &json!({"id": d.id, "label": d.label, "table_name": d.table_name, "latest_version": d.latest_version(),
                "pinned_version": d.pinned_version, "updated_at": d.updated_at}),
    ))
}

/// `DELETE /v1/datasets/{id}`.
pub(crate) async fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id").to_string();
    app.with_ws(&ctx.ws, |w, _| w.datasets.remove(&id))?
        .ok_or_else(|| missing("dataset", &id))?;
    app.remove_data_dir(&format!("datasets/{}/{id}", ctx.ws)).await;
    Ok(Reply::no_content())
}

/// `GET /v1/datasets/{id}/versions`.
pub(crate) fn versions(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let d = dataset(app, &ctx)?;
    let (page, has_more, limit, offset) = super::offset_page(&ctx, &d.versions, 100, 1000)?;
    let items: Vec<Value> = page
        .iter()
        .map(|v| json!({"id": v.id, "version": v.version, "source_type": v.source_type, "created_at": v.created_at}))
        .collect();
    Ok(Reply::json(
        200,
        &json!({"dataset_id": d.id, "versions": items, "count": items.len(), "has_more": has_more,
                "limit": limit, "offset": offset}),
    ))
}
