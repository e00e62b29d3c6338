//! `connections`: registered sources. `managed` connections keep their tables locally (parquet loads); other
//! types are recorded and report that the local server cannot reach them.

use std::sync::Arc;

use serde_json::{Value, json};

use super::missing;
use crate::app::{App, Ctx};
use crate::engine;
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Connection, Secret, Table, Workspace, now, table_key};

/// Health error of connection types the local server does not serve.
pub(crate) fn unreachable_message(source_type: &str) -> String {
    format!(
        "hotdata-local cannot reach `{source_type}` sources; only `managed` connections hold data in the local server"
    )
}

/// `POST /v1/connections`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.required("name")?.to_string();
    let source_type = ctx.required("source_type")?.to_string();
    if !super::connection_types::is_known(&source_type) {
        return Err(ApiError::bad_request(format!("unknown source_type `{source_type}`")));
    }
    if !super::valid_name(&name) {
        return Err(ApiError::bad_request(format!(
            "`{name}` is not a valid connection name"
        )));
    }
    let secret_name = ctx.s("secret_name").map(str::to_string);
    let secret_id = ctx.s("secret_id").map(str::to_string);
    if secret_name.is_some() && secret_id.is_some() {
        return Err(ApiError::bad_request("give either secret_name or secret_id, not both"));
    }
    let mut config = ctx.body.get("config").cloned().unwrap_or_else(|| json!({}));
    let skip = ctx.flag("skip_discovery");
    let c = app.with_ws(&ctx.ws, |w, ids| {
        if w.connection_by_name(&name).is_some() || name == "datasets" || name == "default" {
            return Err(ApiError::conflict(format!(
                "a connection named `{name}` already exists"
            )));
        }
        let mut secret = match (&secret_name, &secret_id) {
            (Some(n), _) => Some(
                w.secrets
                    .get(n)
                    .map(|s| s.name.clone())
                    .ok_or_else(|| ApiError::bad_request(format!("secret `{n}` does not exist")))?,
            ),
            (_, Some(id)) => Some(
                w.secrets
                    .values()
                    .find(|s| &s.id == id)
                    .map(|s| s.name.clone())
                    .ok_or_else(|| ApiError::bad_request(format!("secret `{id}` does not exist")))?,
            ),
            _ => None,
        };
        // Inline credentials become secrets, as the real service does.
        if let Some(obj) = config.as_object_mut() {
            for key in ["password", "token"] {
                if let Some(Value::String(v)) = obj.remove(key) {
                    let at = now();
                    let sname = format!("{name}_{key}");
                    w.secrets.insert(
                        sname.clone(),
                        Secret {
                            id: ids.id("secr"),
                            name: sname.clone(),
                            value: v,
                            created_at: at.clone(),
                            updated_at: at,
                        },
                    );
                    secret.get_or_insert(sname);
                }
            }
        }
        let health_error = (source_type != "managed").then(|| unreachable_message(&source_type));
        let c = Connection {
            id: ids.id("conn"),
            name: name.clone(),
            source_type: source_type.clone(),
            config,
            secret_name: secret,
            created_at: now(),
            database_id: None,
            health_error,
            tables: Default::default(),
        };
        w.connections.insert(c.id.clone(), c.clone());
        Ok(c)
    })??;
    let (status, error) = match (&c.health_error, skip) {
        (_, true) => ("skipped", Value::Null),
        (Some(e), false) => ("failed", json!(e)),
        (None, false) => ("success", Value::Null),
    };
    Ok(Reply::json(
        201,
        &json!({"id": c.id, "name": c.name, "source_type": c.source_type, "discovery_status": status,
                "discovery_error": error, "tables_discovered": c.tables.len()}),
    ))
}

/// `GET /v1/connections`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let list = app.read_ws(&ctx.ws, |w| {
        w.connections
            .values()
            .filter(|c| c.database_id.is_none())
            .map(|c| json!({"id": c.id, "name": c.name, "source_type": c.source_type}))
            .collect::<Vec<_>>()
    })?;
    Ok(Reply::json(200, &json!({"connections": list})))
}

fn user_connection(app: &App, ctx: &Ctx) -> Result<Connection, ApiError> {
    let id = ctx.p("connection_id");
    app.read_ws(&ctx.ws, |w| w.user_connection(id).cloned())?
        .ok_or_else(|| missing("connection", id))
}

/// `GET /v1/connections/{connection_id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let c = user_connection(app, &ctx)?;
    let synced = c.tables.values().filter(|t| !t.files.is_empty()).count();
    Ok(Reply::json(
        200,
        &json!({"id": c.id, "name": c.name, "source_type": c.source_type, "table_count": c.tables.len(),
                "synced_table_count": synced}),
    ))
}

/// `DELETE /v1/connections/{connection_id}`.
pub(crate) fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("connection_id").to_string();
    app.with_ws(&ctx.ws, |w, _| {
        w.user_connection(&id)?;
        for db in w.databases.values_mut() {
            db.attachments.retain(|(c, _)| c != &id);
        }
        w.connections.remove(&id)
    })?
    .ok_or_else(|| missing("connection", &id))?;
    let _ = std::fs::remove_dir_all(app.dirs.abs(&format!("tables/{}/{id}", ctx.ws)));
    Ok(Reply::no_content())
}

/// `GET /v1/connections/{connection_id}/health`.
pub(crate) fn health(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let started = std::time::Instant::now();
    let c = user_connection(app, &ctx)?;
    let latency = started.elapsed().as_millis() as u64;
    Ok(Reply::json(
        200,
        &json!({"connection_id": c.id, "healthy": c.health_error.is_none(), "latency_ms": latency,
                "error": c.health_error}),
    ))
}

/// `DELETE /v1/connections/{connection_id}/cache`: managed data is not a cache, so nothing is dropped.
pub(crate) fn purge_cache(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    user_connection(app, &ctx)?;
    Ok(Reply::no_content())
}

/// `DELETE /v1/connections/{connection_id}/tables/{schema}/{table}/cache`.
pub(crate) fn purge_table_cache(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let c = user_connection(app, &ctx)?;
    let key = table_key(ctx.p("schema"), ctx.p("table"));
    if !c.tables.contains_key(&key) {
        return Err(missing("table", &key));
    }
    Ok(Reply::no_content())
}

/// Any managed connection by ID, including a database's `default` one (the loads endpoint accepts those).
fn managed_connection(w: &Workspace, id: &str) -> Result<Connection, ApiError> {
    let c = w.connections.get(id).ok_or_else(|| missing("connection", id))?;
    if !c.is_managed() {
        return Err(ApiError::bad_request(format!(
            "connection `{id}` is of type `{}`; only managed connections accept loads",
            c.source_type
        )));
    }
    Ok(c.clone())
}

/// `POST /v1/connections/{connection_id}/schemas/{schema}/tables/{table}/loads`.
pub(crate) async fn load_table(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn_id = ctx.p("connection_id").to_string();
    let schema = ctx.p("schema").to_string();
    let table = ctx.p("table").to_string();
    let upload_id = ctx.required("upload_id")?.to_string();
    let mode = ctx.required("mode")?.to_string();
    if mode != "replace" && mode != "append" {
        return Err(ApiError::bad_request(format!(
            "mode `{mode}` is not supported; use `replace` or `append`"
        )));
    }
    if !super::valid_name(&schema) || !super::valid_name(&table) {
        return Err(ApiError::bad_request(
            "schema and table names must be letters, digits or `_`",
        ));
    }
    app.read_ws(&ctx.ws, |w| managed_connection(w, &conn_id))??;
    let upload = super::uploads::claim(app, &ctx.ws, &upload_id)?;
    let result = load_claimed(app, &ctx.ws, &conn_id, &schema, &table, &upload, &mode).await;
    super::uploads::release(app, &ctx.ws, &upload_id, result.is_ok());
    let (rows, schema_json) = result?;
    Ok(Reply::json(
        200,
        &json!({"connection_id": conn_id, "schema_name": schema, "table_name": table, "row_count": rows,
                "arrow_schema_json": schema_json}),
    ))
}

async fn load_claimed(
    app: &Arc<App>,
    ws: &str,
    conn_id: &str,
    schema: &str,
    table: &str,
    upload: &crate::state::Upload,
    mode: &str,
) -> Result<(u64, String), ApiError> {
    let src = app.dirs.abs(&upload.file);
    let user = |e: engine::QueryError| ApiError::bad_request(e.message);
    engine::check_parquet_magic(&src).map_err(user)?;
    let (_, arrow_schema) = engine::parquet_footer(&src).map_err(user)?;
    let existing = app.read_ws(ws, |w| {
        w.connections
            .get(conn_id)
            .and_then(|c| c.tables.get(&table_key(schema, table)).cloned())
    })?;
    let (generation, mut files) = match (&existing, mode) {
        (Some(t), "append") if !t.files.is_empty() => {
            if t.arrow_schema_json != engine::schema_json(&arrow_schema) {
                return Err(ApiError::bad_request(
                    "the upload's columns differ from the table's; use mode `replace`",
                ));
            }
            (t.generation, t.files.clone())
        }
        (Some(t), _) => (t.generation + 1, Vec::new()),
        (None, _) => (1, Vec::new()),
    };
    let rel = format!(
        "tables/{ws}/{conn_id}/{schema}/{table}/g{generation}/part-{:04}.parquet",
        files.len()
    );
    let dest = app.dirs.prepare(&rel).map_err(|e| ApiError::internal(e.to_string()))?;
    std::fs::copy(&src, &dest).map_err(|e| ApiError::internal(e.to_string()))?;
    files.push(rel);
    let dir = dest.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let (rows, profile) = engine::profile(&dir).await.map_err(|e| ApiError::internal(e.message))?;
    let schema_text = engine::schema_json(&arrow_schema);
    let columns = engine::columns_of(&arrow_schema);
    let key = table_key(schema, table);
    let old_generation_dir = app
        .dirs
        .abs(&format!("tables/{ws}/{conn_id}/{schema}/{table}/g{}", generation - 1));
    app.with_ws(ws, |w, _| {
        let c = w
            .connections
            .get_mut(conn_id)
            .ok_or_else(|| missing("connection", conn_id))?;
        let t = c.tables.entry(key).or_insert_with(|| Table::declared(schema, table));
        t.files = files;
        t.generation = generation;
        t.row_count = rows;
        t.columns = columns;
        t.arrow_schema_json = schema_text.clone();
        t.synced_at = Some(now());
        t.profile = Some(Value::Array(profile));
        Ok::<_, ApiError>(())
    })??;
    if generation > 1 {
        let _ = std::fs::remove_dir_all(old_generation_dir);
    }
    Ok((rows, schema_text))
}

/// `DELETE /v1/connections/{connection_id}/schemas/{schema}/tables/{table}`.
pub(crate) fn delete_table(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn_id = ctx.p("connection_id").to_string();
    let key = table_key(ctx.p("schema"), ctx.p("table"));
    app.with_ws(&ctx.ws, |w, _| {
        managed_connection(w, &conn_id)?;
        let c = w
            .connections
            .get_mut(&conn_id)
            .ok_or_else(|| missing("connection", &conn_id))?;
        c.tables.remove(&key).ok_or_else(|| missing("table", &key))
    })??;
    let _ = std::fs::remove_dir_all(app.dirs.abs(&format!(
        "tables/{}/{conn_id}/{}/{}",
        ctx.ws,
        ctx.p("schema"),
        ctx.p("table")
    )));
    Ok(Reply::no_content())
}

/// `GET /v1/connections/{connection_id}/tables/{schema}/{table}/profile`: statistics computed at load time.
pub(crate) fn profile(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let c = user_connection(app, &ctx)?;
    let key = table_key(ctx.p("schema"), ctx.p("table"));
    let t = c.tables.get(&key).ok_or_else(|| missing("table", &key))?;
    let columns = t
        .profile
        .clone()
        .ok_or_else(|| ApiError::not_found(format!("table `{key}` has no data yet")))?;
    Ok(Reply::json(
        200,
        &json!({"connection": c.name, "schema": t.schema, "table": t.table, "row_count": t.row_count,
                "synced_at": t.synced_at, "columns": columns}),
    ))
}
