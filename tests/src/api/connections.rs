//! `connections`: registered sources. `managed` connections keep their tables locally (parquet loads); other
//! types are recorded and report that the local server cannot reach them.

use std::sync::Arc;

use serde_json::{Value, json};

use super::managed::managed_connection_mut;
use super::missing;
use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Connection, Secret, now, table_key};

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
            schemas: Default::default(),
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
pub(crate) async fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("connection_id").to_string();
    app.with_ws(&ctx.ws, |w, _| {
        w.user_connection(&id)?;
        for db in w.databases.values_mut() {
            db.attachments.retain(|(c, _)| c != &id);
        }
        w.connections.remove(&id)
    })?
    .ok_or_else(|| missing("connection", &id))?;
    app.remove_data_dir(&format!("tables/{}/{id}", ctx.ws)).await;
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

/// `POST /v1/connections/{connection_id}/schemas/{schema}/tables/{table}/loads`.
pub(crate) async fn load_table(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn_id = ctx.p("connection_id").to_string();
    let schema = ctx.p("schema").to_string();
    let table = ctx.p("table").to_string();
    super::managed::load(app, &ctx, &conn_id, &schema, &table).await
}

/// `POST /v1/connections/{connection_id}/schemas`.
pub(crate) fn add_schema(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn_id = ctx.p("connection_id").to_string();
    super::managed::add_schema(app, &ctx, &conn_id)
}

/// `POST /v1/connections/{connection_id}/schemas/{schema}/tables`.
pub(crate) fn add_table(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn_id = ctx.p("connection_id").to_string();
    let schema = ctx.p("schema").to_string();
    super::managed::add_table(app, &ctx, &conn_id, &schema)
}

/// `PUT /v1/connections/{connection_id}/schemas/{schema}/tables/{table}/constant-per-key`.
pub(crate) fn set_constant_per_key(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn_id = ctx.p("connection_id").to_string();
    let (schema, table) = (ctx.p("schema").to_string(), ctx.p("table").to_string());
    super::managed::set_constant_per_key(app, &ctx, &conn_id, &schema, &table)
}

/// `DELETE /v1/connections/{connection_id}/schemas/{schema}/tables/{table}`.
pub(crate) async fn delete_table(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn_id = ctx.p("connection_id").to_string();
    let key = table_key(ctx.p("schema"), ctx.p("table"));
    app.with_ws(&ctx.ws, |w, _| {
        let c = managed_connection_mut(w, &conn_id)?;
        c.tables.remove(&key).ok_or_else(|| missing("table", &key))
    })??;
    app.remove_data_dir(&format!(
        "tables/{}/{conn_id}/{}/{}",
        ctx.ws,
        ctx.p("schema"),
        ctx.p("table")
    ))
    .await;
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
