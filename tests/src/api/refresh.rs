//! `refresh`: schema re-discovery, data re-sync of connection tables, and new dataset versions.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::missing;
use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::table_key;

/// `POST /v1/refresh`.
pub(crate) async fn refresh(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let connection_id = ctx.s("connection_id").map(str::to_string);
    let dataset_id = ctx.s("dataset_id").map(str::to_string);
    let data = ctx.flag("data");
    let background = ctx.flag("async");
    let schema = ctx.s("schema_name").map(str::to_string);
    let table = ctx.s("table_name").map(str::to_string);
    if connection_id.is_some() && dataset_id.is_some() {
        return Err(ApiError::bad_request("connection_id and dataset_id cannot be combined"));
    }
    if let Some(id) = dataset_id {
        app.read_ws(&ctx.ws, |w| w.datasets.get(&id).map(|_| ()))?
            .ok_or_else(|| missing("dataset", &id))?;
        if background {
            let (app2, ws) = (app.clone(), ctx.ws.clone());
            let job = super::jobs::submit(app, &ctx.ws, "dataset_refresh", async move {
                refresh_dataset(&app2, &ws, &id).await.map_err(|e| e.message)
            })?;
            return Ok(Reply::json(200, &job));
        }
        return Ok(Reply::json(200, &refresh_dataset(app, &ctx.ws, &id).await?));
    }
    if data {
        let id = connection_id.ok_or_else(|| ApiError::bad_request("a data refresh needs connection_id"))?;
        if schema.is_some() != table.is_some() {
            return Err(ApiError::bad_request("schema_name and table_name go together"));
        }
        app.read_ws(&ctx.ws, |w| w.user_connection(&id).map(|_| ()))?
            .ok_or_else(|| missing("connection", &id))?;
        if let (Some(s), Some(t)) = (&schema, &table) {
            let exists = app.read_ws(&ctx.ws, |w| {
                w.connections
                    .get(&id)
                    .is_some_and(|c| c.tables.contains_key(&table_key(s, t)))
            })?;
            if !exists {
                return Err(missing("table", &table_key(s, t)));
            }
        }
        let job_type = if table.is_some() {
            "data_refresh_table"
        } else {
            "data_refresh_connection"
        };
        let (app2, ws) = (app.clone(), ctx.ws.clone());
        let run = move || refresh_data(&app2, &ws, &id, schema.as_deref(), table.as_deref());
        if background {
            let job = super::jobs::submit(app, &ctx.ws, job_type, async move { run().map_err(|e| e.message) })?;
            return Ok(Reply::json(200, &job));
        }
        return Ok(Reply::json(200, &run()?));
    }
    if background {
        return Err(ApiError::bad_request(
            "async is supported for data and dataset refreshes only",
        ));
    }
    let body = app.read_ws(&ctx.ws, |w| {
        if let Some(id) = &connection_id
            && w.user_connection(id).is_none()
        {
            return Err(missing("connection", id));
        }
        let mut refreshed = 0;
        let mut failed = 0;
        let mut tables = 0;
        let mut errors = Vec::new();
        for c in w.connections.values().filter(|c| c.database_id.is_none()) {
            if connection_id.as_deref().is_some_and(|id| id != c.id) {
                continue;
            }
            match &c.health_error {
                Some(e) => {
                    failed += 1;
                    errors.push(json!({"connection_id": c.id, "error": e}));
                }
                None => {
                    refreshed += 1;
                    tables += c.tables.len();
                }
            }
        }
        Ok(
            json!({"connections_refreshed": refreshed, "connections_failed": failed, "tables_discovered": tables,
                  "tables_added": 0, "tables_modified": 0, "errors": errors}),
        )
    })??;
    Ok(Reply::json(200, &body))
}

/// Managed tables are their own source of truth, so a data refresh re-reads what is stored.
fn refresh_data(app: &App, ws: &str, id: &str, schema: Option<&str>, table: Option<&str>) -> Result<Value, ApiError> {
    let started = Instant::now();
    app.read_ws(ws, |w| {
        let c = w.user_connection(id).ok_or_else(|| missing("connection", id))?;
        let ms = started.elapsed().as_millis() as u64;
        if let (Some(s), Some(t)) = (schema, table) {
            let tb = c
                .tables
                .get(&table_key(s, t))
                .ok_or_else(|| missing("table", &table_key(s, t)))?;
            return Ok(
                json!({"connection_id": id, "schema_name": s, "table_name": t, "rows_synced": tb.row_count,
                             "duration_ms": ms, "warnings": []}),
            );
        }
        let warnings: Vec<Value> = c.health_error.iter().map(|e| json!({"message": e})).collect();
        let synced: Vec<_> = c.tables.values().filter(|t| !t.files.is_empty()).collect();
        Ok(
            json!({"connection_id": id, "tables_refreshed": synced.len(), "tables_failed": 0,
                  "total_rows": synced.iter().map(|t| t.row_count).sum::<u64>(), "duration_ms": ms,
                  "errors": [], "warnings": warnings}),
        )
    })?
}

/// Re-runs a dataset's source as its next version.
async fn refresh_dataset(app: &Arc<App>, ws: &str, id: &str) -> Result<Value, ApiError> {
    let (source, next) = app
        .read_ws(ws, |w| {
            w.datasets.get(id).map(|d| (d.source.clone(), d.latest_version() + 1))
        })?
        .ok_or_else(|| missing("dataset", id))?;
    let v = super::datasets::build_version(app, ws, id, next, &source, false).await?;
    let body = json!({"id": id, "version": v.version, "status": "ready", "created_at": v.created_at});
    app.with_ws(ws, |w, _| {
        let d = w.datasets.get_mut(id).ok_or_else(|| missing("dataset", id))?;
        d.updated_at = crate::state::now();
        d.versions.push(v);
        Ok::<_, ApiError>(())
    })??;
    Ok(body)
}
