//! Managed catalogs, shared by the connection-scoped and the database-scoped endpoints: declaring schemas and
//! tables, the constant-per-key declaration, and loads (`replace`, `append`, and the keyed `delete`, `update`
//! and `upsert`, merged for real through DataFusion).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::missing;
use crate::app::{App, Ctx};
use crate::engine;
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Connection, Table, Upload, Workspace, now, sha256_hex, table_key};

/// Largest inline `data` a load accepts.
const MAX_INLINE_BYTES: usize = 2 * 1024 * 1024;

/// Longest `async_after_ms` the server waits.
const MAX_ASYNC_AFTER_MS: u64 = 600_000;

/// Any managed connection by ID, including a database's `default` one.
pub(crate) fn managed_connection(w: &Workspace, id: &str) -> Result<Connection, ApiError> {
    let c = w.connections.get(id).ok_or_else(|| missing("connection", id))?;
    check_managed(c, id)?;
    Ok(c.clone())
}

/// Managed connection `id`, to change in place.
pub(crate) fn managed_connection_mut<'w>(w: &'w mut Workspace, id: &str) -> Result<&'w mut Connection, ApiError> {
    let c = w.connections.get_mut(id).ok_or_else(|| missing("connection", id))?;
    check_managed(c, id)?;
    Ok(c)
}

fn check_managed(c: &Connection, id: &str) -> Result<(), ApiError> {
    if c.is_managed() {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "connection `{id}` is of type `{}`; only managed connections hold managed tables",
        c.source_type
    )))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn objects(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// A table declaration (`name`, `key`, `partition_by`, `sorted_by`, `constant_per_key`) in `schema`. With
/// `lower`, the table name is stored in lower case.
pub(crate) fn table_from_decl(schema: &str, decl: &Value, lower: bool) -> Result<Table, ApiError> {
    let raw = decl.get("name").and_then(Value::as_str).unwrap_or_default();
    let name = if lower {
        raw.to_ascii_lowercase()
    } else {
        raw.to_string()
    };
    if !super::valid_name(&name) {
        return Err(ApiError::bad_request(format!("`{raw}` is not a valid table name")));
    }
    let mut t = Table::declared(schema, &name);
    t.key = strings(decl.get("key"));
    t.constant_per_key = strings(decl.get("constant_per_key"));
    t.partition_by = objects(decl.get("partition_by"));
    t.sorted_by = objects(decl.get("sorted_by"));
    for (what, cols) in [("key", &t.key), ("constant_per_key", &t.constant_per_key)] {
        if let Some(c) = cols.iter().find(|c| c.is_empty()) {
            return Err(ApiError::bad_request(format!("`{c}` in {what} is not a column name")));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = cols.iter().find(|c| !seen.insert(c.as_str())) {
            return Err(ApiError::bad_request(format!("column `{dup}` appears twice in {what}")));
        }
    }
    if !t.constant_per_key.is_empty() && t.key.is_empty() {
        return Err(ApiError::bad_request(format!(
            "table `{name}` declares constant_per_key without a key"
        )));
    }
    Ok(t)
}

fn lower_schema(raw: &str) -> Result<String, ApiError> {
    let s = raw.to_ascii_lowercase();
    if !super::valid_name(&s) {
        return Err(ApiError::bad_request(format!("`{raw}` is not a valid schema name")));
    }
    Ok(s)
}

/// Declares a schema, with the tables in the body, on managed connection `conn_id`.
pub(crate) fn add_schema(app: &Arc<App>, ctx: &Ctx, conn_id: &str) -> ApiResult {
    let schema = lower_schema(ctx.required("name")?)?;
    let mut tables = Vec::new();
    for decl in ctx.body.get("tables").and_then(Value::as_array).into_iter().flatten() {
        let t = table_from_decl(&schema, decl, true)?;
        if tables.iter().any(|x: &Table| x.table == t.table) {
            return Err(ApiError::bad_request(format!("table `{}` is declared twice", t.table)));
        }
        tables.push(t);
    }
    let names: Vec<String> = tables.iter().map(|t| t.table.clone()).collect();
    app.with_ws(&ctx.ws, |w, _| {
        let c = managed_connection_mut(w, conn_id)?;
        if c.has_schema(&schema) {
            return Err(ApiError::conflict(format!("schema `{schema}` already exists")));
        }
        c.schemas.insert(schema.clone());
        for t in tables {
            c.tables.insert(table_key(&t.schema, &t.table), t);
        }
        Ok(())
    })??;
    Ok(Reply::json(
        201,
        &json!({"connection_id": conn_id, "schema": schema, "tables": names}),
    ))
}

/// Declares a table in an existing schema of managed connection `conn_id`.
pub(crate) fn add_table(app: &Arc<App>, ctx: &Ctx, conn_id: &str, schema: &str) -> ApiResult {
    let schema = lower_schema(schema)?;
    let t = table_from_decl(&schema, &ctx.body, true)?;
    let name = t.table.clone();
    app.with_ws(&ctx.ws, |w, _| {
        let c = managed_connection_mut(w, conn_id)?;
        if !c.has_schema(&schema) {
            return Err(missing("schema", &schema));
        }
        if c.find_table(&schema, &name).is_some() {
            return Err(ApiError::conflict(format!("table `{schema}.{name}` already exists")));
        }
        c.tables.insert(table_key(&schema, &name), t);
        Ok(())
    })??;
    Ok(Reply::json(
        201,
        &json!({"connection_id": conn_id, "schema": schema, "table": name}),
    ))
}

/// Replaces the constant-per-key declaration of a table of managed connection `conn_id`.
pub(crate) fn set_constant_per_key(app: &Arc<App>, ctx: &Ctx, conn_id: &str, schema: &str, table: &str) -> ApiResult {
    let cols = strings(ctx.body.get("constant_per_key"));
    let (schema, table, cols) = app.with_ws(&ctx.ws, |w, _| {
        let c = managed_connection_mut(w, conn_id)?;
        let key = c
            .find_table(schema, table)
            .ok_or_else(|| missing("table", &table_key(schema, table)))?;
        let t = c.tables.get_mut(&key).ok_or_else(|| missing("table", &key))?;
        if !cols.is_empty() && t.key.is_empty() {
            return Err(ApiError::bad_request(format!(
                "table `{key}` has no key, so no column can be constant per key"
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        for col in &cols {
            if !seen.insert(col.as_str()) {
                return Err(ApiError::bad_request(format!("column `{col}` appears twice")));
            }
            if !t.columns.is_empty() && !t.columns.iter().any(|x| &x.name == col) {
                return Err(ApiError::bad_request(format!("table `{key}` has no column `{col}`")));
            }
        }
        t.constant_per_key = cols;
        Ok((t.schema.clone(), t.table.clone(), t.constant_per_key.clone()))
    })??;
    Ok(Reply::json(
        200,
        &json!({"connection_id": conn_id, "schema": schema, "table": table, "constant_per_key": cols}),
    ))
}

/// Where a load takes its rows from.
#[derive(Debug, Clone)]
enum Source {
    Upload(String),
    Result(String),
    Data(String),
}

/// A validated load request.
#[derive(Debug, Clone)]
struct LoadRequest {
    mode: String,
    source: Source,
    format: Option<String>,
    /// Declared column types of inline data, as SQL type names.
    columns: Option<Map<String, Value>>,
    key: Option<Vec<String>>,
    idempotency_key: Option<String>,
    background: bool,
    wait: Option<Duration>,
}

/// A SQL type name from a `ColumnDefinition` (a string, or `{type, precision, scale}`).
fn column_type(name: &str, def: &Value) -> Result<String, ApiError> {
    match def {
        Value::String(s) => Ok(s.clone()),
        Value::Object(o) => {
            let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
            let precision = o.get("precision").and_then(Value::as_u64);
            let scale = o.get("scale").and_then(Value::as_u64);
            match (precision, scale) {
                (Some(p), Some(s)) if s <= p => Ok(format!("{ty}({p},{s})")),
                (Some(p), None) => Ok(format!("{ty}({p})")),
                (None, None) => Ok(ty.to_string()),
                _ => Err(ApiError::bad_request(format!(
                    "column `{name}`: scale needs a precision at least as large"
                ))),
            }
        }
        _ => Err(ApiError::bad_request(format!("column `{name}` has no usable type"))),
    }
}

fn parse_load(ctx: &Ctx) -> Result<LoadRequest, ApiError> {
    let mode = ctx.required("mode")?.to_string();
    let upload = ctx.s("upload_id").map(str::to_string);
    let result = ctx.s("result_id").map(str::to_string);
    let data = ctx.s("data").map(str::to_string);
    let given = [upload.is_some(), result.is_some(), data.is_some()]
        .iter()
        .filter(|x| **x)
        .count();
    if given != 1 {
        return Err(ApiError::bad_request(
            "give exactly one of upload_id, result_id and data",
        ));
    }
    let source = match (upload, result, data) {
        (Some(u), _, _) => Source::Upload(u),
        (_, Some(r), _) => Source::Result(r),
        (_, _, Some(d)) => Source::Data(d),
        _ => unreachable!("exactly one source was checked"),
    };
    if let Source::Data(d) = &source
        && d.len() > MAX_INLINE_BYTES
    {
        return Err(ApiError::new(
            413,
            "INLINE_DATA_TOO_LARGE",
            format!("inline data is limited to {MAX_INLINE_BYTES} bytes; upload the file instead"),
        ));
    }
    let format = ctx.s("format").map(str::to_string);
    match (&source, format.as_deref()) {
        (Source::Result(_), Some(_)) => return Err(ApiError::bad_request("a result_id load takes no format")),
        (Source::Data(_), Some(f)) if f != "csv" => {
            return Err(ApiError::bad_request("inline data must be CSV"));
        }
        _ => {}
    }
    let columns = match ctx.body.get("columns").and_then(Value::as_object) {
        None => None,
        Some(_) if !matches!(source, Source::Data(_)) => {
            return Err(ApiError::bad_request("columns can only be declared for inline data"));
        }
        Some(m) => {
            let mut out = Map::new();
            for (name, def) in m {
                out.insert(name.clone(), Value::String(column_type(name, def)?));
            }
            Some(out)
        }
    };
    let key = ctx.body.get("key").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect::<Vec<_>>()
    });
    let idempotency_key = ctx.s("idempotency_key").map(str::to_string);
    if idempotency_key.is_some() && !matches!(source, Source::Data(_)) {
        return Err(ApiError::bad_request(
            "idempotency_key is only allowed with inline data",
        ));
    }
    let background = ctx.flag("async");
    let wait = match ctx.body.get("async_after_ms").and_then(Value::as_u64) {
        None => None,
        Some(_) if !background => return Err(ApiError::bad_request("async_after_ms needs async: true")),
        Some(ms) if !(1000..=MAX_ASYNC_AFTER_MS).contains(&ms) => {
            return Err(ApiError::bad_request(format!(
                "async_after_ms must be between 1000 and {MAX_ASYNC_AFTER_MS}"
            )));
        }
        Some(ms) => Some(Duration::from_millis(ms)),
    };
    Ok(LoadRequest {
        mode,
        source,
        format,
        columns,
        key,
        idempotency_key,
        background,
        wait,
    })
}

/// The table a load writes.
#[derive(Debug, Clone)]
struct Target {
    ws: String,
    conn_id: String,
    schema: String,
    table: String,
    /// Key columns for keyed modes.
    key: Vec<String>,
}

/// Holds a table against concurrent loads until dropped.
struct TableLock {
    app: Arc<App>,
    name: String,
}

impl TableLock {
    fn acquire(app: &Arc<App>, name: String) -> Option<TableLock> {
        let mut held = app.table_locks.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(name.clone()).then(|| TableLock { app: app.clone(), name })
    }
}

impl Drop for TableLock {
    fn drop(&mut self) {
        self.app
            .table_locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.name);
    }
}

/// Loads into `schema.table` of managed connection `conn_id`, as both load endpoints do.
pub(crate) async fn load(app: &Arc<App>, ctx: &Ctx, conn_id: &str, schema: &str, table: &str) -> ApiResult {
    let req = parse_load(ctx)?;
    if !matches!(req.mode.as_str(), "replace" | "append" | "delete" | "update" | "upsert") {
        return Err(ApiError::bad_request(format!("mode `{}` is not supported", req.mode)));
    }
    if !super::valid_name(schema) || !super::valid_name(table) {
        return Err(ApiError::bad_request(
            "schema and table names must be letters, digits or `_`",
        ));
    }
    let target = app.read_ws(&ctx.ws, |w| {
        let c = managed_connection(w, conn_id)?;
        let existing = c.find_table(schema, table).and_then(|k| c.tables.get(&k).cloned());
        let (schema, table) = existing.as_ref().map_or((schema.to_string(), table.to_string()), |t| {
            (t.schema.clone(), t.table.clone())
        });
        let key = req
            .key
            .clone()
            .filter(|k| !k.is_empty())
            .or_else(|| existing.map(|t| t.key))
            .unwrap_or_default();
        Ok::<_, ApiError>(Target {
            ws: ctx.ws.clone(),
            conn_id: conn_id.to_string(),
            schema,
            table,
            key,
        })
    })??;
    if matches!(req.mode.as_str(), "delete" | "update" | "upsert") && target.key.is_empty() {
        return Err(ApiError::bad_request(format!(
            "mode `{}` needs key columns: give `key` or declare one on the table",
            req.mode
        )));
    }
    let lock_name = format!(
        "{}/{}/{}",
        target.ws,
        target.conn_id,
        table_key(&target.schema, &target.table)
    );
    let Some(lock) = TableLock::acquire(app, lock_name) else {
        let e = ApiError::new(
            409,
            "RESOURCE_LOCKED",
            format!("another load is writing `{}.{}`", target.schema, target.table),
        );
        return Ok(e.into_reply(Some(&ctx.op)).with_header("Retry-After", "1"));
    };

    let fingerprint = req.idempotency_key.as_ref().map(|_| {
        sha256_hex(
            &json!({"conn": target.conn_id, "schema": target.schema, "table": target.table, "mode": req.mode,
                    "data": ctx.s("data"), "columns": req.columns, "key": req.key, "format": req.format})
            .to_string(),
        )
    });
    if let (Some(k), Some(fp)) = (&req.idempotency_key, &fingerprint) {
        let replay = app.with_ws(&ctx.ws, |w, _| match w.load_keys.get(k) {
            Some(prior) if &prior.fingerprint != fp => Err(ApiError::new(
                409,
                "IDEMPOTENCY_KEY_CONFLICT",
                format!("idempotency_key `{k}` was used with different data, table or mode"),
            )),
            Some(prior) => match &prior.response {
                Some(v) => Ok(Some(v.clone())),
                None => Err(ApiError::new(
                    409,
                    "LOAD_IN_PROGRESS",
                    format!("the load with idempotency_key `{k}` is still running"),
                )),
            },
            None => {
                w.load_keys.insert(
                    k.clone(),
                    crate::state::LoadKey {
                        fingerprint: fp.clone(),
                        response: None,
                    },
                );
                Ok(None)
            }
        })??;
        if let Some(v) = replay {
            return Ok(Reply::json(200, &v));
        }
    }

    let upload = match &req.source {
        Source::Upload(id) => match super::uploads::claim(app, &ctx.ws, id) {
            Ok(u) => Some(u),
            Err(e) => {
                forget_key(app, &ctx.ws, &req);
                return Err(e);
            }
        },
        _ => None,
    };
    let background = req.background && !matches!(req.source, Source::Result(_));
    let wait = req.wait;
    let work = {
        let app = app.clone();
        async move {
            let out = perform(&app, &target, &req, upload.as_ref()).await;
            if let Some(u) = &upload {
                super::uploads::release(&app, &target.ws, &u.id, out.is_ok());
            }
            match (&out, &req.idempotency_key) {
                (Ok(v), Some(k)) => {
                    let _ = app.with_ws(&target.ws, |w, _| {
                        if let Some(rec) = w.load_keys.get_mut(k) {
                            rec.response = Some(v.clone());
                        }
                    });
                }
                (Err(_), Some(_)) => forget_key(&app, &target.ws, &req),
                _ => {}
            }
            drop(lock);
            out
        }
    };
    if !background {
        return work.await.map(|v| Reply::json(200, &v));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = super::jobs::submit(app, &ctx.ws, "managed_load", async move {
        let out = work.await;
        let _ = tx.send(out.clone());
        out.map_err(|e| e.message)
    })?;
    if let Some(d) = wait
        && let Ok(Ok(out)) = tokio::time::timeout(d, rx).await
    {
        return out.map(|v| Reply::json(200, &v));
    }
    Ok(Reply::json(202, &handle))
}

/// Drops the record of an idempotency key whose load did not happen, so the key can be used again.
fn forget_key(app: &App, ws: &str, req: &LoadRequest) {
    if let Some(k) = &req.idempotency_key {
        let _ = app.with_ws(ws, |w, _| {
            if w.load_keys.get(k).is_some_and(|r| r.response.is_none()) {
                w.load_keys.remove(k);
            }
        });
    }
}

/// Turns the source into one parquet file, then applies the mode to the table.
async fn perform(app: &Arc<App>, t: &Target, req: &LoadRequest, upload: Option<&Upload>) -> Result<Value, ApiError> {
    let scratch = app.dirs.abs(&format!("scratch/{}/{}", t.ws, app.next_request_id()));
    let out = async {
        let incoming = prepare_source(app, t, req, upload, &scratch).await?;
        apply(app, t, &req.mode, &incoming).await
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&scratch).await;
    out
}

fn user(e: engine::QueryError) -> ApiError {
    if e.user_error {
        ApiError::bad_request(e.message)
    } else {
        ApiError::internal(e.message)
    }
}

async fn prepare_source(
    app: &Arc<App>,
    t: &Target,
    req: &LoadRequest,
    upload: Option<&Upload>,
    scratch: &std::path::Path,
) -> Result<PathBuf, ApiError> {
    crate::state::create_private_dirs_async(scratch)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let converted = scratch.join("incoming.parquet");
    match &req.source {
        Source::Upload(_) => {
            let u = upload.ok_or_else(|| ApiError::internal("the upload was not claimed"))?;
            let src = app.dirs.abs(&u.file);
            // Without an explicit format the upload must be parquet, as seed-era loads required.
            match req.format.as_deref().and_then(engine::SourceFormat::parse) {
                None | Some(engine::SourceFormat::Parquet) => {
                    let path = src.clone();
                    engine::off_workers(move || engine::check_parquet_magic(&path))
                        .await
                        .map_err(user)?;
                    Ok(src)
                }
                Some(f) => {
                    engine::convert_to_parquet(&src, f, None, &converted, scratch)
                        .await
                        .map_err(user)?;
                    Ok(converted)
                }
            }
        }
        Source::Data(text) => {
            let csv = scratch.join("data.csv");
            crate::state::write_private_async(&csv, text.as_bytes())
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            engine::convert_to_parquet(
                &csv,
                engine::SourceFormat::Csv,
                req.columns.as_ref(),
                &converted,
                scratch,
            )
            .await
            .map_err(user)?;
            Ok(converted)
        }
        Source::Result(id) => {
            let r = app
                .read_ws(&t.ws, |w| w.results.get(id).cloned())?
                .ok_or_else(|| missing("result", id))?;
            let file = match (r.status.as_str(), &r.file) {
                ("ready", Some(f)) => app.dirs.abs(f),
                (status, _) => {
                    return Err(ApiError::bad_request(format!("result `{id}` is {status}, not ready")));
                }
            };
            engine::arrow_to_parquet(&file, &converted).await.map_err(user)?;
            Ok(converted)
        }
    }
}

/// Applies `mode` with the rows of the parquet file `incoming` and records the table's new state.
async fn apply(app: &Arc<App>, t: &Target, mode: &str, incoming: &std::path::Path) -> Result<Value, ApiError> {
    let (_, arrow_schema) = engine::parquet_footer_async(incoming).await.map_err(user)?;
    let key = table_key(&t.schema, &t.table);
    let existing = app.read_ws(&t.ws, |w| {
        w.connections.get(&t.conn_id).and_then(|c| c.tables.get(&key).cloned())
    })?;
    let loaded = existing.as_ref().filter(|x| !x.files.is_empty());
    let base = format!("tables/{}/{}/{}/{}", t.ws, t.conn_id, t.schema, t.table);
    let generation = existing.as_ref().map_or(0, |x| x.generation);
    let summary = |rows: u64, schema_json: String| {
        json!({"connection_id": t.conn_id, "schema_name": t.schema, "table_name": t.table, "row_count": rows,
               "arrow_schema_json": schema_json})
    };
    let (new_generation, files) = match (mode, loaded) {
        ("append", Some(x)) => {
            if x.arrow_schema_json == engine::schema_json(&arrow_schema) {
                let rel = format!("{base}/g{}/part-{:04}.parquet", x.generation, x.files.len());
                copy_into(app, incoming, &rel).await?;
                let mut files = x.files.clone();
                files.push(rel);
                (x.generation, files)
            } else {
                // Different order, types or extra columns: conform the new part, or rewrite the table when it
                // gains columns.
                let g = generation + 1;
                let part = format!("{base}/g{}/part-{:04}.parquet", x.generation, x.files.len());
                let whole = format!("{base}/g{g}/part-0000.parquet");
                let part_abs = app.dirs.prepare(&part).map_err(|e| ApiError::internal(e.to_string()))?;
                let whole_abs = app
                    .dirs
                    .prepare(&whole)
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                let dir = app.dirs.abs(&format!("{base}/g{}", x.generation));
                let scratch = incoming.with_extension("conformed.parquet");
                match engine::append_rows(&dir, incoming, &x.columns, &scratch).await {
                    Ok(None) => {
                        tokio::fs::rename(&scratch, &part_abs)
                            .await
                            .map_err(|e| ApiError::internal(e.to_string()))?;
                        let _ = tokio::fs::remove_dir_all(app.dirs.abs(&format!("{base}/g{g}"))).await;
                        let mut files = x.files.clone();
                        files.push(part);
                        (x.generation, files)
                    }
                    Ok(Some(_)) => {
                        tokio::fs::rename(&scratch, &whole_abs)
                            .await
                            .map_err(|e| ApiError::internal(e.to_string()))?;
                        (g, vec![whole])
                    }
                    Err(e) => {
                        let _ = tokio::fs::remove_dir_all(app.dirs.abs(&format!("{base}/g{g}"))).await;
                        return Err(user(e));
                    }
                }
            }
        }
        ("delete" | "update", None) => {
            // Nothing stored, so nothing matches.
            let schema_text = existing.map(|x| x.arrow_schema_json).unwrap_or_default();
            return Ok(summary(0, schema_text));
        }
        ("delete" | "update" | "upsert", Some(x)) => {
            let g = generation + 1;
            let rel = format!("{base}/g{g}/part-0000.parquet");
            let dest = app.dirs.prepare(&rel).map_err(|e| ApiError::internal(e.to_string()))?;
            let dir = app.dirs.abs(&format!("{base}/g{}/", x.generation));
            engine::merge_keyed(&dir, incoming, &x.columns, &t.key, mode, &dest)
                .await
                .map_err(user)?;
            (g, vec![rel])
        }
        _ => {
            // replace, a first append, or an upsert into an empty table.
            let g = generation + 1;
            let rel = format!("{base}/g{g}/part-0000.parquet");
            copy_into(app, incoming, &rel).await?;
            (g, vec![rel])
        }
    };
    let first = app.dirs.abs(&files[0]);
    let dir = first.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let (_, stored_schema) = engine::parquet_footer_async(&first).await.map_err(user)?;
    let (rows, profile) = engine::profile(&dir).await.map_err(|e| ApiError::internal(e.message))?;
    let schema_text = engine::schema_json(&stored_schema);
    let columns = engine::columns_of(&stored_schema);
    app.with_ws(&t.ws, |w, _| {
        let c = w
            .connections
            .get_mut(&t.conn_id)
            .ok_or_else(|| missing("connection", &t.conn_id))?;
        let tab = c
            .tables
            .entry(key.clone())
            .or_insert_with(|| Table::declared(&t.schema, &t.table));
        tab.files = files;
        tab.generation = new_generation;
        tab.row_count = rows;
        tab.columns = columns;
        tab.arrow_schema_json = schema_text.clone();
        tab.synced_at = Some(now());
        tab.profile = Some(Value::Array(profile));
        Ok::<_, ApiError>(())
    })??;
    if new_generation != generation && generation > 0 {
        // Queries planned before the swap may still read the old generation: it goes when they are done.
        app.retire_dir(app.dirs.abs(&format!("{base}/g{generation}"))).await;
    }
    Ok(summary(rows, schema_text))
}

/// Copies `src` to `rel` so that the file appears whole or not at all: queries list a generation directory while
/// appends add parts to it, and must never read a part that is half copied. The copy is written beside the
/// generation directory (outside what any query lists) and renamed into place; the file work runs off the async
/// workers.
async fn copy_into(app: &App, src: &std::path::Path, rel: &str) -> Result<(), ApiError> {
    let dest = app.dirs.abs(rel);
    let parent = dest
        .parent()
        .ok_or_else(|| ApiError::internal(format!("`{rel}` has no directory")))?;
    crate::state::create_private_dirs_async(parent)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let outside = parent
        .parent()
        .ok_or_else(|| ApiError::internal(format!("`{rel}` has no table directory")))?;
    let tmp = outside.join(format!(".incoming-{}", app.next_request_id()));
    let out = match tokio::fs::copy(src, &tmp).await {
        Ok(_) => tokio::fs::rename(&tmp, &dest).await,
        Err(e) => Err(e),
    };
    if out.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    out.map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(())
}
