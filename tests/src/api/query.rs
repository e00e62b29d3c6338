//! `query`: ad-hoc SQL, synchronously, in the background, or synchronously with a fallback to the background.
//! The execution path is shared with saved queries and SQL-based datasets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::app::{App, Ctx};
use crate::config::Contract;
use crate::engine::{self, Outcome, QueryError, Scope};
use crate::reply::{ApiError, ApiResult, Body, Reply};
use crate::results::{Format, Slice};
use crate::state::{QueryRun, ResultMeta, now, sha256_hex};

/// Inline results up to this many rows are built in memory and validated; larger ones stream.
pub(crate) const VALIDATE_ROWS: u64 = 10_000;

/// How the caller wants to wait.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Sync,
    Async,
    AsyncAfter(Duration),
}

/// A query to run.
#[derive(Debug, Clone)]
pub(crate) struct RunRequest {
    pub(crate) sql: String,
    pub(crate) scope: Scope,
    pub(crate) saved_query: Option<(String, i64)>,
    pub(crate) user: String,
    /// The database the query runs in (`None`: unscoped, seed-era only); recorded on the run and the result.
    pub(crate) database_id: Option<String>,
}

/// `POST /v1/query`.
pub(crate) async fn query(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let sql = ctx.required("sql")?.to_string();
    let database_id = query_database(app, &ctx)?;
    let scope = scope_for(app, &ctx, database_id.as_deref())?;
    let mode = if ctx.flag("async") {
        match ctx.body.get("async_after_ms").and_then(serde_json::Value::as_u64) {
            Some(ms) => Mode::AsyncAfter(Duration::from_millis(ms)),
            None => Mode::Async,
        }
    } else {
        Mode::Sync
    };
    let arrow = wants_arrow(&ctx);
    run(
        app,
        &ctx.ws,
        RunRequest {
            sql,
            scope,
            saved_query: None,
            user: ctx.user_public_id(),
            database_id,
        },
        mode,
        arrow,
    )
    .await
}

/// Whether the caller asked for an Arrow IPC stream (and not JSON) in `Accept`.
fn wants_arrow(ctx: &Ctx) -> bool {
    let accept = ctx.header("accept").unwrap_or_default().to_ascii_lowercase();
    accept.contains("application/vnd.apache.arrow.stream") && !accept.contains("application/json")
}

/// The database a `POST /v1/query` names, by its `X-Database-Id` header or its `database_id` body field. Naming
/// two different databases is a 400 in both contracts; naming none is a 400 under the live contract and an
/// unscoped query under the seed-era one.
fn query_database(app: &App, ctx: &Ctx) -> Result<Option<String>, ApiError> {
    let header = ctx.header("x-database-id").map(str::to_string);
    let field = ctx.s("database_id").map(str::to_string);
    match (header, field) {
        (Some(h), Some(f)) if h != f => Err(ApiError::bad_request(format!(
            "the X-Database-Id header (`{h}`) and the database_id field (`{f}`) name different databases; name \
             the database once"
        ))),
        (Some(id), _) | (None, Some(id)) => Ok(Some(id)),
        (None, None) if app.config.contract == Contract::Live => Err(ApiError::bad_request(
            "name the database to run the query in, by the X-Database-Id header or the database_id field",
        )),
        (None, None) => Ok(None),
    }
}

/// The catalogs visible to a request, honouring `X-Database-Id`, `default_catalog` and `default_schema`.
pub(crate) fn scope_for(app: &App, ctx: &Ctx, database_id: Option<&str>) -> Result<Scope, ApiError> {
    let default_catalog = ctx.s("default_catalog").map(str::to_string);
    let default_schema = ctx.s("default_schema").map(str::to_string);
    if database_id.is_none() && (default_catalog.is_some() || default_schema.is_some()) {
        return Err(ApiError::bad_request(
            "default_catalog and default_schema need the X-Database-Id header",
        ));
    }
    if let Some(id) = database_id
        && (id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        return Err(ApiError::bad_request(format!(
            "`{id}` is not a well-formed database ID"
        )));
    }
    let mut scope = app.read_ws(&ctx.ws, |ws| match database_id {
        Some(id) => match ws.databases.get(id) {
            Some(db) => Ok(app.scope(ws, Some(db))),
            None => Err(super::missing("database", id)),
        },
        None => Ok(app.scope(ws, None)),
    })??;
    if let Some(c) = default_catalog {
        let visible = c == scope.default_catalog || scope.tables.iter().any(|t| t.catalog == c);
        if !visible {
            return Err(ApiError::bad_request(format!(
                "catalog `{c}` is not visible in this database"
            )));
        }
        scope.default_catalog = c;
    }
    if let Some(s) = default_schema {
        scope.default_schema = s;
    }
    Ok(scope)
}

/// Records a run and a result, executes, and answers as `POST /v1/query` does (`arrow`: with an Arrow IPC stream
/// rather than a JSON body).
pub(crate) async fn run(app: &Arc<App>, ws: &str, req: RunRequest, mode: Mode, arrow: bool) -> ApiResult {
    let (run_id, result_id) = app.with_ws(ws, |w, ids| {
        let run_id = ids.id("qrun");
        let result_id = ids.id("rslt");
        let at = now();
        w.query_runs.insert(
            run_id.clone(),
            QueryRun {
                id: run_id.clone(),
                status: "running".into(),
                sql_text: req.sql.clone(),
                sql_hash: sha256_hex(&req.sql),
                created_at: at.clone(),
                completed_at: None,
                execution_time_ms: None,
                server_processing_ms: None,
                row_count: None,
                result_id: None,
                error_message: None,
                saved_query_id: req.saved_query.as_ref().map(|s| s.0.clone()),
                saved_query_version: req.saved_query.as_ref().map(|s| s.1),
                snapshot_id: format!("snap_{:012x}", w.datasets.len() + w.connections.len() * 1000),
                trace_id: Some(ids.id("trace")),
                user_public_id: Some(req.user.clone()),
                bytes_scanned: None,
                transitions: vec![("running".into(), at.clone())],
                database_id: req.database_id.clone(),
            },
        );
        w.results.insert(
            result_id.clone(),
            ResultMeta {
                id: result_id.clone(),
                status: "processing".into(),
                created_at: at,
                error_message: None,
                file: None,
                row_count: None,
                batch_rows: Vec::new(),
                database_id: req.database_id.clone(),
            },
        );
        (run_id, result_id)
    })?;

    let task = {
        let app = app.clone();
        let ws = ws.to_string();
        let run_id = run_id.clone();
        let result_id = result_id.clone();
        tokio::spawn(async move { execute(&app, &ws, &run_id, &result_id, &req).await })
    };
    let finished = match mode {
        Mode::Sync => Some(task.await),
        Mode::Async => None,
        Mode::AsyncAfter(d) => {
            let mut task = task;
            tokio::time::timeout(d, &mut task).await.ok()
        }
    };
    match finished {
        None => {
            let status_url = format!("/v1/query-runs/{run_id}");
            let body = json!({"query_run_id": run_id, "status": "running", "status_url": status_url, "reason": null});
            Ok(Reply::json(202, &body).with_header("Location", format!("{}{status_url}", app.base_url)))
        }
        Some(Err(join)) => Err(ApiError::internal(format!("the query task failed: {join}"))),
        Some(Ok(Err(e))) => Err(if e.user_error {
            ApiError::new(400, "query_error", e.message)
        } else {
            ApiError::internal(e.message)
        }),
        Some(Ok(Ok(outcome))) if arrow => arrow_response(app, ws, &run_id, &result_id, &outcome),
        Some(Ok(Ok(outcome))) => inline_response(app, ws, &run_id, &result_id, &outcome).await,
    }
}

/// Executes a recorded run and settles its run and result records. While the result is being written
/// ([`Config::result_ready_delay`](crate::Config::result_ready_delay)) the result is `processing` and the run
/// still `running`, as the live service reports a run whose result is being saved.
async fn execute(
    app: &Arc<App>,
    ws: &str,
    run_id: &str,
    result_id: &str,
    req: &RunRequest,
) -> Result<Outcome, QueryError> {
    let started = Instant::now();
    let rel = format!("results/{ws}/{result_id}.arrow");
    let path = result_file(app, ws, result_id);
    let outcome = engine::run_to_file(&req.scope, &req.sql, &path).await;
    let delay = app.config.result_ready_delay;
    let processing_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let saved_later = outcome.is_ok() && !delay.is_zero();
    let _ = app.with_ws(ws, |w, _| {
        let at = now();
        if let Some(run) = w.query_runs.get_mut(run_id) {
            run.server_processing_ms = Some(processing_ms);
            run.result_id = Some(result_id.to_string());
            match &outcome {
                Ok(o) => {
                    run.execution_time_ms = Some(o.execution_time_ms);
                    run.row_count = Some(o.row_count);
                    run.bytes_scanned = o.bytes_scanned;
                    if !saved_later {
                        run.status = "succeeded".into();
                    }
                }
                Err(e) => {
                    run.status = "failed".into();
                    run.error_message = Some(e.message.clone());
                }
            }
            if !saved_later {
                run.completed_at = Some(at.clone());
                run.transitions.push((run.status.clone(), at));
            }
        }
        if let Some(res) = w.results.get_mut(result_id) {
            match &outcome {
                Ok(o) => {
                    res.file = Some(rel.clone());
                    res.row_count = Some(o.row_count);
                    res.batch_rows = o.batch_rows.clone();
                    if !saved_later {
                        res.status = "ready".into();
                    }
                }
                Err(e) => {
                    res.status = "failed".into();
                    res.error_message = Some(e.message.clone());
                }
            }
        }
    });
    if saved_later {
        let app = app.clone();
        let ws = ws.to_string();
        let run_id = run_id.to_string();
        let result_id = result_id.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = app.with_ws(&ws, |w, _| {
                if let Some(res) = w.results.get_mut(&result_id) {
                    res.status = "ready".into();
                }
                if let Some(run) = w.query_runs.get_mut(&run_id) {
                    let at = now();
                    run.status = "succeeded".into();
                    run.completed_at = Some(at.clone());
                    run.transitions.push(("succeeded".into(), at));
                }
            });
        });
    }
    outcome
}

/// The `200` body of a finished query: metadata, then the rows read back from the stored result. Under the live
/// contract an answer over [`Config::preview_rows`](crate::Config::preview_rows) carries only that many rows with
/// `truncated: true`, and `total_row_count` is null while the result is still being written; the live counts
/// (`preview_row_count`, `total_row_count`, `truncated`) are left out under the seed-era contract, which never
/// truncates.
async fn inline_response(app: &Arc<App>, ws: &str, run_id: &str, result_id: &str, o: &Outcome) -> ApiResult {
    let live = app.config.contract == Contract::Live;
    let total = o.row_count;
    let truncated = live && total > app.config.preview_rows;
    let shown = if truncated { app.config.preview_rows } else { total };
    let ready = app.read_ws(ws, |w| w.results.get(result_id).is_some_and(|r| r.status == "ready"))?;
    let counts = if live {
        let total_json = if truncated && !ready {
            "null".to_string()
        } else {
            total.to_string()
        };
        format!(",\"preview_row_count\":{shown},\"total_row_count\":{total_json},\"truncated\":{truncated}")
    } else {
        String::new()
    };
    let prefix = format!(
        "{{\"query_run_id\":{},\"result_id\":{},\"columns\":{},\"nullable\":{},\"row_count\":{shown},\"execution_time_ms\":{},\"warning\":null{counts},\"rows\":[",
        json!(run_id),
        json!(result_id),
        json!(o.columns),
        json!(o.nullable),
        o.execution_time_ms
    );
    let slice = Slice {
        file: result_file(app, ws, result_id),
        batch_rows: o.batch_rows.clone(),
        offset: 0,
        limit: truncated.then_some(shown),
        format: Format::Json,
        json_prefix: prefix,
        shuffle: None,
    };
    if shown <= VALIDATE_ROWS {
        let bytes = crate::results::to_vec(slice)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(Reply::json_text(200, String::from_utf8_lossy(&bytes).into_owned()))
    } else {
        Ok(Reply {
            status: 200,
            content_type: Some("application/json".into()),
            headers: Vec::new(),
            body: Body::Stream(crate::results::stream(slice)),
        })
    }
}

/// The answer of a finished query asked for as an Arrow IPC stream: the whole result streamed from the stored
/// file with the metadata in `X-*` headers, or, over [`Config::preview_rows`](crate::Config::preview_rows) rows,
/// a `202` naming the run (and the result in `X-Result-Id`) so the rows are read from `GET /v1/results/{id}`.
fn arrow_response(app: &Arc<App>, ws: &str, run_id: &str, result_id: &str, o: &Outcome) -> ApiResult {
    if o.row_count > app.config.preview_rows {
        let status = app.read_ws(ws, |w| w.query_runs.get(run_id).map(|r| r.status.clone()))?;
        let status_url = format!("/v1/query-runs/{run_id}");
        let reason = format!(
            "the result has {} rows, more than the {} an Arrow answer carries inline; read it from \
             GET /v1/results/{result_id}?format=arrow once it is ready",
            o.row_count, app.config.preview_rows
        );
        let body = json!({"query_run_id": run_id, "status": status.unwrap_or_else(|| "running".into()),
            "status_url": status_url, "reason": reason});
        return Ok(Reply::json(202, &body)
            .with_header("Location", format!("{}{status_url}", app.base_url))
            .with_header("X-Result-Id", result_id));
    }
    let slice = Slice {
        file: result_file(app, ws, result_id),
        batch_rows: o.batch_rows.clone(),
        offset: 0,
        limit: None,
        format: Format::Arrow,
        json_prefix: String::new(),
        shuffle: None,
    };
    Ok(Reply {
        status: 200,
        content_type: Some(Format::Arrow.media_type().to_string()),
        headers: vec![
            ("X-Query-Run-Id".to_string(), run_id.to_string()),
            ("X-Result-Id".to_string(), result_id.to_string()),
            ("X-Total-Row-Count".to_string(), o.row_count.to_string()),
            ("X-Execution-Time-Ms".to_string(), o.execution_time_ms.to_string()),
        ],
        body: Body::Stream(crate::results::stream(slice)),
    })
}

/// Where [`execute`] writes a result of workspace `ws`.
fn result_file(app: &App, ws: &str, result_id: &str) -> std::path::PathBuf {
    app.dirs.abs(&format!("results/{ws}/{result_id}.arrow"))
}
