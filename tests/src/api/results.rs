//! `results`: stored query output, listed and downloaded in several formats.

use std::sync::Arc;

use serde_json::json;

use super::{missing, opt};
use crate::api::query::VALIDATE_ROWS;
use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Body, Reply};
use crate::results::{Format, Slice};

/// `GET /v1/results`: newest first, offset paging.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let database = super::db_scope::list_database(app, &ctx, "results")?;
    let all = app.read_ws(&ctx.ws, |w| {
        w.results
            .values()
            .rev()
            .filter(|r| database.is_none() || r.database_id == database)
            .cloned()
            .collect::<Vec<_>>()
    })?;
    let (page, has_more, limit, offset) = super::offset_page(&ctx, &all, 100, 1000)?;
    let results: Vec<_> = page
        .iter()
        .map(|r| json!({"id": r.id, "status": r.status, "created_at": r.created_at, "error_message": opt(&r.error_message)}))
        .collect();
    Ok(Reply::json(
        200,
        &json!({"results": results, "count": results.len(), "has_more": has_more, "limit": limit, "offset": offset}),
    ))
}

/// `GET /v1/results/{id}`.
pub(crate) async fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id").to_string();
    let meta = app.read_ws(&ctx.ws, |w| w.results.get(&id).cloned())?;
    let owner = meta.as_ref().map(|m| m.database_id.as_deref());
    super::db_scope::check_read(app, &ctx, owner, "result", &id)?;
    let meta = meta.ok_or_else(|| missing("result", &id))?;
    let format = match ctx.q("format") {
        Some(f) => Format::parse(f).ok_or_else(|| {
            ApiError::bad_request(format!("unknown format `{f}`; use arrow, json, csv, md or parquet"))
        })?,
        None => Format::from_accept(ctx.header("accept").unwrap_or_default()),
    };
    let offset = ctx.q_u64("offset")?.unwrap_or(0);
    let limit = ctx.q_u64("limit")?;
    match meta.status.as_str() {
        // The live contract answers a failed result with the result's own state, not a generic error.
        "failed" => {
            let body = json!({"result_id": id, "status": "failed", "error_message": meta.error_message});
            return Ok(Reply::json(409, &body));
        }
        "ready" => {}
        status => {
            let body = json!({"result_id": id, "status": status, "columns": null, "nullable": null,
                "rows": null, "row_count": null, "error_message": null});
            return Ok(Reply::json(202, &body).with_header("Retry-After", "1"));
        }
    }
    let file = app.dirs.abs(meta.file.as_deref().unwrap_or_default());
    let total = meta.row_count.unwrap_or(0);
    let stored = inspect(file.clone()).await?;
    let (columns, nullable) = (stored.columns, stored.nullable);
    let start = offset.min(total);
    let end = limit.map(|l| start.saturating_add(l).min(total)).unwrap_or(total);
    let returned = end - start;
    let mut reply_headers = vec![("X-Total-Row-Count".to_string(), total.to_string())];
    if format != Format::Parquet && end < total {
        let mut next = format!("{}/v1/results/{id}?offset={end}", app.base_url);
        if let Some(l) = limit {
            next.push_str(&format!("&limit={l}"));
        }
        if let Some(f) = ctx.q("format") {
            next.push_str(&format!("&format={f}"));
        }
        reply_headers.push(("Link".to_string(), format!("<{next}>; rel=\"next\"")));
    }
    // The live service sends the whole result's row count in the body too, so a windowed read can tell a page
    // from the whole; seed-era servers sent it only as the header.
    let total_field = if app.config.contract == crate::config::Contract::Live {
        format!(",\"total_row_count\":{total}")
    } else {
        String::new()
    };
    let prefix = format!(
        "{{\"result_id\":{},\"status\":\"ready\",\"columns\":{},\"nullable\":{},\"row_count\":{returned}{total_field},\"error_message\":null,\"rows\":[",
        json!(id),
        json!(columns),
        json!(nullable)
    );
    // The JSON budgets: one read's estimate against the per-read budget (413), the reads in flight against the
    // total (429). The estimate is the slice's rows times the stored file's average bytes per row.
    let mut permit = None;
    if format == Format::Json {
        let file_bytes = stored.bytes.map_err(|e| {
            ApiError::new(
                503,
                "RESULT_SIZE_UNKNOWN",
                format!("the size of the stored result cannot be told ({e}); it is not served as JSON"),
            )
        })?;
        let estimate = if total == 0 {
            0
        } else {
            file_bytes.div_ceil(total).saturating_mul(returned)
        };
        // A read larger than the whole total could never be admitted, so it is refused as too large, not retried.
        let budget = app
            .config
            .json_fetch_budget_bytes
            .min(app.config.json_total_budget_bytes);
        if estimate > budget {
            return Err(ApiError::new(
                413,
                "RESULT_TOO_LARGE",
                format!(
                    "this JSON read of {returned} rows needs an estimated {estimate} bytes, over the per-read \
                     budget of {budget} bytes; ask for fewer rows with limit, or read the result as arrow, csv, \
                     md or parquet, which stream without a limit"
                ),
            ));
        }
        match app.json_reads.try_acquire(estimate, app.config.json_total_budget_bytes) {
            Some(p) => permit = Some(p),
            None => {
                let body = json!({"error": {"code": "OVERLOADED", "message": format!(
                    "this JSON read (an estimated {estimate} bytes) does not fit next to the JSON reads in \
                     flight; retry later, or read the result as arrow, csv, md or parquet")}});
                return Ok(Reply::json(429, &body).with_header("Retry-After", "1"));
            }
        }
    }
    let shuffle = (ctx.unordered_rows && format != Format::Parquet).then(crate::results::fresh_seed);
    let slice = Slice {
        file,
        batch_rows: meta.batch_rows,
        offset: start,
        limit,
        format,
        json_prefix: prefix,
        shuffle,
    };
    let mut reply = if format == Format::Json && returned <= VALIDATE_ROWS {
        let bytes = crate::results::to_vec(slice)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        drop(permit);
        Reply::json_text(200, String::from_utf8_lossy(&bytes).into_owned())
    } else {
        Reply {
            status: 200,
            content_type: Some(format.media_type().to_string()),
            headers: Vec::new(),
            body: Body::Stream(crate::results::stream_holding(slice, permit)),
        }
    };
    reply.headers.extend(reply_headers);
    Ok(reply)
}

/// What a read needs to know of a stored result's file before it answers.
struct Stored {
    /// The file's size, which JSON reads estimate their bytes from.
    bytes: std::io::Result<u64>,
    columns: Vec<String>,
    nullable: Vec<bool>,
}

/// Opens a stored result and reads its size and schema on a blocking thread, so a slow disk stalls neither the
/// runtime's workers nor the requests they serve.
async fn inspect(file: std::path::PathBuf) -> Result<Stored, ApiError> {
    tokio::task::spawn_blocking(move || {
        let f = std::fs::File::open(&file)
            .map_err(|e| ApiError::internal(format!("cannot open the stored result: {e}")))?;
        let bytes = f.metadata().map(|m| m.len());
        let reader = datafusion::arrow::ipc::reader::FileReader::try_new(std::io::BufReader::new(f), None)
            .map_err(|e| ApiError::internal(format!("cannot read the stored result: {e}")))?;
        let fields = reader.schema().fields().clone();
        Ok(Stored {
            bytes,
            columns: fields.iter().map(|f| f.name().clone()).collect(),
            nullable: fields.iter().map(|f| f.is_nullable()).collect(),
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("reading the stored result's schema stopped: {e}")))?
}
