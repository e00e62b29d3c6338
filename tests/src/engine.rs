//! SQL through DataFusion: building the catalogs a query may see, running it into a stored Arrow IPC file, turning
//! uploads into parquet tables, and profiling tables.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider};
use datafusion::common::TableReference;
use datafusion::common::config::Dialect;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{
    CsvReadOptions, DataFrame, JsonReadOptions, ParquetReadOptions, SQLOptions, SessionConfig, SessionContext,
};
use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::state::{Column, Database, Workspace};

/// One table a query can read.
#[derive(Debug, Clone)]
pub(crate) struct TableSource {
    pub(crate) catalog: String,
    pub(crate) schema: String,
    pub(crate) table: String,
    /// A parquet file, or a directory of parquet files (ending in `/`).
    pub(crate) location: PathBuf,
}

/// What a query sees: its tables and how unqualified names resolve.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) tables: Vec<TableSource>,
    /// Declared schemas of the scope's managed catalogs, `(catalog, schema)`, visible even without tables.
    pub(crate) schemas: Vec<(String, String)>,
    pub(crate) default_catalog: String,
    pub(crate) default_schema: String,
    /// Keeps the files of `tables` on disk while the query runs (a load may replace a table meanwhile).
    pub(crate) pins: Option<Arc<crate::app::ReadPins>>,
}

/// A query failure: the message, and whether it is the caller's fault (400) or ours (500).
#[derive(Debug, Clone)]
pub(crate) struct QueryError {
    pub(crate) message: String,
    pub(crate) user_error: bool,
}

impl QueryError {
    fn user(e: impl std::fmt::Display) -> QueryError {
        QueryError {
            message: e.to_string(),
            user_error: true,
        }
    }
    fn internal(e: impl std::fmt::Display) -> QueryError {
        QueryError {
            message: e.to_string(),
            user_error: false,
        }
    }
}

/// The scope of a query in `ws`: every connection by name plus `datasets.main`, or, with a database, its `default`
/// catalog and attached catalogs only.
pub(crate) fn scope(ws: &Workspace, root: &Path, database: Option<&Database>) -> Scope {
    let mut tables = Vec::new();
    let mut schemas = Vec::new();
    let mut add_connection = |catalog: &str, conn_id: &str| {
        if let Some(conn) = ws.connections.get(conn_id) {
            schemas.extend(conn.schemas.iter().map(|s| (catalog.to_string(), s.clone())));
            for t in conn.tables.values() {
                if let Some(first) = t.files.first() {
                    let dir = root.join(first);
                    let dir = dir.parent().map(Path::to_path_buf).unwrap_or(dir);
                    tables.push(TableSource {
                        catalog: catalog.to_string(),
                        schema: t.schema.clone(),
                        table: t.table.clone(),
                        location: PathBuf::from(format!("{}/", dir.display())),
                    });
                }
            }
        }
    };
    match database {
        Some(db) => {
            add_connection(&db.default_catalog, &db.default_connection_id);
            for (conn_id, alias) in &db.attachments {
                let name = match alias {
                    Some(a) => a.clone(),
                    None => ws.catalog_name(conn_id).unwrap_or_default(),
                };
                add_connection(&name, conn_id);
            }
            Scope {
                tables,
                schemas,
                default_catalog: db.default_catalog.clone(),
                default_schema: db.default_schema.clone(),
                pins: None,
            }
        }
        None => {
            for c in ws.connections.values().filter(|c| c.database_id.is_none()) {
                add_connection(&c.name, &c.id);
            }
            for ds in ws.datasets.values() {
                if let Some(v) = ds.current() {
                    tables.push(TableSource {
                        catalog: "datasets".into(),
                        schema: "main".into(),
                        table: ds.table_name.clone(),
                        location: root.join(&v.file),
                    });
                }
            }
            Scope {
                tables,
                schemas,
                default_catalog: "datasets".into(),
                default_schema: "main".into(),
                pins: None,
            }
        }
    }
}

/// A DataFusion context with the Postgres dialect and the scope's tables registered.
pub(crate) async fn context(scope: &Scope) -> Result<SessionContext, QueryError> {
    let mut config = SessionConfig::new()
        .with_default_catalog_and_schema(&scope.default_catalog, &scope.default_schema)
        .with_information_schema(true);
    config.options_mut().sql_parser.dialect = Dialect::PostgreSQL;
    let ctx = SessionContext::new_with_config(config);
    let ensure_schema = |catalog: &str, schema: &str| -> Result<(), QueryError> {
        let catalog = match ctx.catalog(catalog) {
            Some(c) => c,
            None => {
                let c: Arc<dyn CatalogProvider> = Arc::new(MemoryCatalogProvider::new());
                ctx.register_catalog(catalog, c.clone());
                c
            }
        };
        if catalog.schema(schema).is_none() {
            catalog
                .register_schema(schema, Arc::new(MemorySchemaProvider::new()))
                .map_err(QueryError::internal)?;
        }
        Ok(())
    };
    for (catalog, schema) in &scope.schemas {
        ensure_schema(catalog, schema)?;
    }
    for t in &scope.tables {
        ensure_schema(&t.catalog, &t.schema)?;
        let reference = TableReference::full(t.catalog.as_str(), t.schema.as_str(), t.table.as_str());
        let location = t.location.to_string_lossy().into_owned();
        ctx.register_parquet(reference, &location, ParquetReadOptions::default().file_extension(""))
            .await
            .map_err(QueryError::internal)?;
    }
    Ok(ctx)
}

/// Plans `sql` as a read-only statement.
pub(crate) async fn plan(ctx: &SessionContext, sql: &str) -> Result<DataFrame, QueryError> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    ctx.sql_with_options(sql, options).await.map_err(QueryError::user)
}

/// What a finished query produced.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) columns: Vec<String>,
    pub(crate) nullable: Vec<bool>,
    pub(crate) row_count: u64,
    /// Rows per stored batch, so readers can skip whole batches.
    pub(crate) batch_rows: Vec<u64>,
    pub(crate) execution_time_ms: u64,
    /// Bytes read from table files, from the scans' metrics; `None` when no table was read.
    pub(crate) bytes_scanned: Option<u64>,
}

/// Sum of the `bytes_scanned` metric over every node of an executed plan.
fn bytes_scanned(plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>) -> Option<u64> {
    let own = plan
        .metrics()
        .and_then(|m| m.sum_by_name("bytes_scanned"))
        .map(|v| v.as_usize() as u64);
    plan.children()
        .into_iter()
        .filter_map(bytes_scanned)
        .fold(own, |acc, n| Some(acc.unwrap_or(0) + n))
}

/// Runs `sql` in `scope` and writes every row to an Arrow IPC file at `out`, batch by batch.
pub(crate) async fn run_to_file(scope: &Scope, sql: &str, out: &Path) -> Result<Outcome, QueryError> {
    let started = Instant::now();
    let ctx = context(scope).await?;
    let df = plan(&ctx, sql).await?;
    let physical = df.create_physical_plan().await.map_err(QueryError::user)?;
    let stream =
        datafusion::physical_plan::execute_stream(physical.clone(), ctx.task_ctx()).map_err(QueryError::user)?;
    let (row_count, batch_rows, schema) = write_ipc(stream, out).await?;
    let scanned = if scope.tables.is_empty() {
        None
    } else {
        bytes_scanned(&physical)
    };
    Ok(Outcome {
        columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
        nullable: schema.fields().iter().map(|f| f.is_nullable()).collect(),
        row_count,
        batch_rows,
        execution_time_ms: started.elapsed().as_millis() as u64,
        bytes_scanned: scanned,
    })
}

async fn write_ipc(stream: SendableRecordBatchStream, out: &Path) -> Result<(u64, Vec<u64>, SchemaRef), QueryError> {
    let schema = stream.schema();
    let file_schema = schema.clone();
    let (rows, batch_rows) = write_off_workers(stream, out, move |file, batches| {
        let mut writer =
            FileWriter::try_new(BufWriter::with_capacity(1 << 20, file), &file_schema).map_err(QueryError::internal)?;
        while let Some(batch) = batches.blocking_recv() {
            writer.write(&batch).map_err(QueryError::internal)?;
        }
        writer.finish().map_err(QueryError::internal)
    })
    .await?;
    Ok((rows, batch_rows, schema))
}

/// Drives `stream` here and hands its non-empty batches to `write`, which runs on Tokio's blocking pool with the
/// newly created (private) file at `out`, so no file system call runs on an async worker. Returns the row count
/// and the rows of each batch.
async fn write_off_workers(
    mut stream: SendableRecordBatchStream,
    out: &Path,
    write: impl FnOnce(File, &mut tokio::sync::mpsc::Receiver<RecordBatch>) -> Result<(), QueryError> + Send + 'static,
) -> Result<(u64, Vec<u64>), QueryError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<RecordBatch>(2);
    let out = out.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || {
        if let Some(parent) = out.parent() {
            crate::state::create_private_dirs(parent).map_err(QueryError::internal)?;
        }
        let file = crate::state::private_file().open(&out).map_err(QueryError::internal)?;
        write(file, &mut rx)
    });
    let mut rows = 0u64;
    let mut batch_rows = Vec::new();
    let mut failed = None;
    while let Some(batch) = stream.next().await {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                failed = Some(QueryError::user(e));
                break;
            }
        };
        if batch.num_rows() == 0 {
            continue;
        }
        rows = rows.saturating_add(batch.num_rows() as u64);
        batch_rows.push(batch.num_rows() as u64);
        if tx.send(batch).await.is_err() {
            // The writer stopped; its error is reported below.
            break;
        }
    }
    drop(tx);
    let written = writer.await.map_err(QueryError::internal)?;
    if let Some(e) = failed {
        return Err(e);
    }
    written?;
    Ok((rows, batch_rows))
}

/// Writes a stream to a parquet file, returning the row count and schema.
pub(crate) async fn write_parquet(
    stream: SendableRecordBatchStream,
    out: &Path,
) -> Result<(u64, SchemaRef), QueryError> {
    let schema = stream.schema();
    let file_schema = schema.clone();
    let (rows, _) = write_off_workers(stream, out, move |file, batches| {
        let mut writer = ArrowWriter::try_new(file, file_schema, None).map_err(QueryError::internal)?;
        while let Some(batch) = batches.blocking_recv() {
            writer.write(&batch).map_err(QueryError::internal)?;
        }
        writer.close().map_err(QueryError::internal)?;
        Ok(())
    })
    .await?;
    Ok((rows, schema))
}

/// File formats a dataset can be built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceFormat {
    Csv,
    Json,
    Parquet,
}

impl SourceFormat {
    pub(crate) fn parse(s: &str) -> Option<SourceFormat> {
        match s {
            "csv" => Some(SourceFormat::Csv),
            "json" => Some(SourceFormat::Json),
            "parquet" => Some(SourceFormat::Parquet),
            _ => None,
        }
    }

    /// Guesses the format from the first bytes of a file and its content type.
    pub(crate) fn sniff(path: &Path, content_type: Option<&str>) -> SourceFormat {
        use std::io::Read as _;
        let mut head = Vec::new();
        if let Ok(f) = File::open(path) {
            let _ = f.take(64).read_to_end(&mut head);
        }
        if head.starts_with(b"PAR1") {
            return SourceFormat::Parquet;
        }
        if let Some(ct) = content_type {
            if ct.contains("json") {
                return SourceFormat::Json;
            }
            if ct.contains("parquet") {
                return SourceFormat::Parquet;
            }
        }
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') | Some(b'[') => SourceFormat::Json,
            _ => SourceFormat::Csv,
        }
    }
}

/// Reads a CSV, JSON (array or newline-delimited) or parquet file, optionally casting columns to declared SQL
/// types, and writes it as parquet at `out`. `scratch` is a directory for intermediate files.
pub(crate) async fn convert_to_parquet(
    input: &Path,
    format: SourceFormat,
    columns: Option<&serde_json::Map<String, Value>>,
    out: &Path,
    scratch: &Path,
) -> Result<(u64, Vec<Column>), QueryError> {
    let ctx = SessionContext::new();
    let path = input.to_string_lossy().into_owned();
    let df = match format {
        SourceFormat::Csv => ctx
            .read_csv(path, CsvReadOptions::new().has_header(true).file_extension(""))
            .await
            .map_err(|e| QueryError::user(format!("cannot read the CSV data: {e}")))?,
        SourceFormat::Parquet => {
            let input = input.to_path_buf();
            off_workers(move || check_parquet_magic(&input)).await?;
            ctx.read_parquet(path, ParquetReadOptions::default().file_extension(""))
                .await
                .map_err(|e| QueryError::user(format!("cannot read the parquet data: {e}")))?
        }
        SourceFormat::Json => {
            let (input, scratch) = (input.to_path_buf(), scratch.to_path_buf());
            let nd = off_workers(move || to_ndjson(&input, &scratch)).await?;
            ctx.read_json(
                nd.to_string_lossy().into_owned(),
                JsonReadOptions {
                    file_extension: "",
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| QueryError::user(format!("cannot read the JSON data: {e}")))?
        }
    };
    let df = match columns {
        Some(cols) if !cols.is_empty() => {
            ctx.register_table("source_data", df.into_view())
                .map_err(QueryError::internal)?;
            let mut select = Vec::new();
            for (name, ty) in cols {
                let Some(ty) = ty.as_str() else {
                    return Err(QueryError::user(format!(
                        "the type of column `{name}` must be a string"
                    )));
                };
                if !ty.chars().all(|c| c.is_ascii_alphanumeric() || " (),_".contains(c)) {
                    return Err(QueryError::user(format!("`{ty}` is not a SQL type")));
                }
                let quoted = name.replace('"', "\"\"");
                select.push(format!("CAST(\"{quoted}\" AS {ty}) AS \"{quoted}\""));
            }
            plan(&ctx, &format!("SELECT {} FROM source_data", select.join(", "))).await?
        }
        _ => df,
    };
    let stream = df.execute_stream().await.map_err(QueryError::user)?;
    let (rows, schema) = write_parquet(stream, out).await?;
    Ok((rows, columns_of(&schema)))
}

/// Column descriptions of a schema.
pub(crate) fn columns_of(schema: &SchemaRef) -> Vec<Column> {
    schema
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
            nullable: f.is_nullable(),
        })
        .collect()
}

/// Runs blocking file work `f` on Tokio's blocking pool.
pub(crate) async fn off_workers<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, QueryError> + Send + 'static,
) -> Result<T, QueryError> {
    tokio::task::spawn_blocking(f).await.map_err(QueryError::internal)?
}

/// Fails unless the file starts and ends with the parquet magic bytes.
pub(crate) fn check_parquet_magic(path: &Path) -> Result<(), QueryError> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut f = File::open(path).map_err(QueryError::internal)?;
    let len = f.metadata().map_err(QueryError::internal)?.len();
    let mut head = [0u8; 4];
    let mut tail = [0u8; 4];
    let ok = len >= 12
        && f.read_exact(&mut head).is_ok()
        && f.seek(SeekFrom::End(-4)).is_ok()
        && f.read_exact(&mut tail).is_ok()
        && &head == b"PAR1"
        && &tail == b"PAR1";
    if ok {
        Ok(())
    } else {
        Err(QueryError::user(
            "the upload is not a parquet file (missing PAR1 magic bytes)",
        ))
    }
}

/// Turns a JSON array file into newline-delimited JSON; newline-delimited input is used as is.
fn to_ndjson(input: &Path, scratch: &Path) -> Result<PathBuf, QueryError> {
    use std::io::{Read as _, Write as _};
    let mut f = File::open(input).map_err(QueryError::internal)?;
    let mut first = [0u8; 1];
    loop {
        if f.read(&mut first).map_err(QueryError::internal)? == 0 {
            return Err(QueryError::user("the JSON data is empty"));
        }
        if !first[0].is_ascii_whitespace() {
            break;
        }
    }
    if first[0] != b'[' {
        return Ok(input.to_path_buf());
    }
    let text = std::fs::read(input).map_err(QueryError::internal)?;
    let rows: Vec<Value> =
        serde_json::from_slice(&text).map_err(|e| QueryError::user(format!("the JSON data is not valid: {e}")))?;
    crate::state::create_private_dirs(scratch).map_err(QueryError::internal)?;
    let out = scratch.join(format!(
        "{}.ndjson",
        input.file_name().and_then(|n| n.to_str()).unwrap_or("data")
    ));
    let mut w = BufWriter::new(crate::state::private_file().open(&out).map_err(QueryError::internal)?);
    for row in rows {
        if !row.is_object() {
            return Err(QueryError::user(
                "every element of a JSON array source must be an object",
            ));
        }
        serde_json::to_writer(&mut w, &row).map_err(QueryError::internal)?;
        w.write_all(b"\n").map_err(QueryError::internal)?;
    }
    w.flush().map_err(QueryError::internal)?;
    Ok(out)
}

/// [`parquet_footer`] on Tokio's blocking pool.
pub(crate) async fn parquet_footer_async(path: &Path) -> Result<(u64, SchemaRef), QueryError> {
    let path = path.to_path_buf();
    off_workers(move || parquet_footer(&path)).await
}

/// Row count and Arrow schema (as JSON text) of a parquet file, read from its footer.
pub(crate) fn parquet_footer(path: &Path) -> Result<(u64, SchemaRef), QueryError> {
    let f = File::open(path).map_err(QueryError::internal)?;
    let builder = datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| QueryError::user(format!("cannot read the parquet footer: {e}")))?;
    let rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
    Ok((rows, builder.schema().clone()))
}

/// The Arrow schema as JSON text: `{"fields": [{"name", "data_type", "nullable"}]}`.
pub(crate) fn schema_json(schema: &SchemaRef) -> String {
    let fields: Vec<Value> = schema
        .fields()
        .iter()
        .map(|f| json!({"name": f.name(), "data_type": f.data_type().to_string(), "nullable": f.is_nullable()}))
        .collect();
    json!({ "fields": fields }).to_string()
}

async fn collect_sql(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
    plan(ctx, sql).await?.collect().await.map_err(QueryError::internal)
}

fn cell(batches: &[RecordBatch], col: usize) -> Option<String> {
    let b = batches.iter().find(|b| b.num_rows() > 0)?;
    let a = b.column(col);
    if a.is_null(0) {
        return None;
    }
    let f = ArrayFormatter::try_new(a.as_ref(), &FormatOptions::default()).ok()?;
    Some(f.value(0).to_string())
}

/// Per-column statistics of the parquet data at `location` (`TableProfileResponse.columns`).
pub(crate) async fn profile(location: &Path) -> Result<(u64, Vec<Value>), QueryError> {
    let ctx = SessionContext::new();
    ctx.register_parquet(
        "t",
        &*location.to_string_lossy(),
        ParquetReadOptions::default().file_extension(""),
    )
    .await
    .map_err(QueryError::internal)?;
    let schema = ctx
        .table("t")
        .await
        .map_err(QueryError::internal)?
        .schema()
        .as_arrow()
        .clone();
    let total = collect_sql(&ctx, "SELECT count(*) FROM t").await?;
    let rows: u64 = cell(&total, 0).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut out = Vec::new();
    for field in schema.fields() {
        let q = format!("\"{}\"", field.name().replace('"', "\"\""));
        let dt = field.data_type();
        let profilable = !matches!(
            dt,
            DataType::List(_)
                | DataType::LargeList(_)
                | DataType::Struct(_)
                | DataType::Map(..)
                | DataType::Binary
                | DataType::LargeBinary
                | DataType::FixedSizeList(..)
        );
        let (non_null, distinct) = if profilable {
            let b = collect_sql(&ctx, &format!("SELECT count({q}), count(DISTINCT {q}) FROM t")).await?;
            (
                cell(&b, 0).and_then(|s| s.parse().ok()).unwrap_or(0u64),
                cell(&b, 1).and_then(|s| s.parse().ok()).unwrap_or(0u64),
            )
        } else {
            let b = collect_sql(&ctx, &format!("SELECT count({q}) FROM t")).await?;
            (cell(&b, 0).and_then(|s| s.parse().ok()).unwrap_or(0u64), 0)
        };
        let nulls = rows.saturating_sub(non_null);
        let pct = if rows == 0 {
            0.0
        } else {
            nulls as f64 * 100.0 / rows as f64
        };
        let detail = if !profilable || non_null == 0 {
            Value::Null
        } else if matches!(dt, DataType::Boolean) {
            let b = collect_sql(
                &ctx,
                &format!("SELECT count(*) FILTER (WHERE {q}), count(*) FILTER (WHERE NOT {q}) FROM t"),
            )
            .await?;
            let t: u64 = cell(&b, 0).and_then(|s| s.parse().ok()).unwrap_or(0);
            let f: u64 = cell(&b, 1).and_then(|s| s.parse().ok()).unwrap_or(0);
            json!({"type": "boolean", "true_count": t, "false_count": f})
        } else if distinct <= 200 {
            let b = collect_sql(
                &ctx,
                &format!("SELECT CAST({q} AS VARCHAR) AS v, count(*) AS n FROM t GROUP BY {q} ORDER BY n DESC, v"),
            )
            .await?;
            let mut values = Vec::new();
            for batch in &b {
                let vf = ArrayFormatter::try_new(batch.column(0).as_ref(), &FormatOptions::default())
                    .map_err(QueryError::internal)?;
                let nf = ArrayFormatter::try_new(batch.column(1).as_ref(), &FormatOptions::default())
                    .map_err(QueryError::internal)?;
                for i in 0..batch.num_rows() {
                    let value = if batch.column(0).is_null(i) {
                        Value::Null
                    } else {
                        json!(vf.value(i).to_string())
                    };
                    let count: u64 = nf.value(i).to_string().parse().unwrap_or(0);
                    values.push(json!({"value": value, "count": count}));
                }
            }
            json!({"type": "categorical", "values": values})
        } else if dt.is_numeric() {
            let b = collect_sql(
                &ctx,
                &format!("SELECT min({q}), max({q}), avg(CAST({q} AS DOUBLE)) FROM t"),
            )
            .await?;
            let mean: f64 = cell(&b, 2).and_then(|s| s.parse().ok()).unwrap_or(0.0);
            json!({"type": "numeric", "min": cell(&b, 0).unwrap_or_default(), "max": cell(&b, 1).unwrap_or_default(),
                   "mean": if mean.is_finite() { mean } else { 0.0 }})
        } else if dt.is_temporal() {
            let b = collect_sql(&ctx, &format!("SELECT min({q}), max({q}) FROM t")).await?;
            json!({"type": "temporal", "min": cell(&b, 0).unwrap_or_default(), "max": cell(&b, 1).unwrap_or_default()})
        } else if matches!(dt, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
            let b = collect_sql(
                &ctx,
                &format!(
                    "SELECT min(character_length({q})), max(character_length({q})), avg(character_length({q})) FROM t"
                ),
            )
            .await?;
            let avg: f64 = cell(&b, 2).and_then(|s| s.parse().ok()).unwrap_or(0.0);
            json!({"type": "text", "min_length": cell(&b, 0).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0),
                   "max_length": cell(&b, 1).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0), "avg_length": avg})
        } else {
            Value::Null
        };
        out.push(json!({
            "name": field.name(),
            "data_type": dt.to_string(),
            "null_count": nulls,
            "null_percentage": pct,
            "cardinality": distinct,
            "profile": detail,
        }));
    }
    Ok((rows, out))
}

/// Copies a stored result (Arrow IPC file) into a parquet file.
pub(crate) async fn arrow_to_parquet(input: &Path, out: &Path) -> Result<u64, QueryError> {
    let ctx = SessionContext::new();
    let ext = input
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let options = datafusion::datasource::file_format::options::ArrowReadOptions {
        file_extension: &ext,
        ..Default::default()
    };
    let df = ctx
        .read_arrow(input.to_string_lossy().into_owned(), options)
        .await
        .map_err(QueryError::internal)?;
    let stream = df.execute_stream().await.map_err(QueryError::internal)?;
    let (rows, _) = write_parquet(stream, out).await?;
    Ok(rows)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Merges the rows of `incoming` into the table stored in `dir` by the `key` columns and writes the whole new
/// contents to `out`. `delete` drops the stored rows whose key appears in the input, `update` replaces them
/// with the input's rows (input rows with an unknown key are ignored), `upsert` replaces them and adds the rest.
pub(crate) async fn merge_keyed(
    dir: &Path,
    incoming: &Path,
    columns: &[Column],
    key: &[String],
    mode: &str,
    out: &Path,
) -> Result<u64, QueryError> {
    let ctx = SessionContext::new();
    let opts = || ParquetReadOptions::default().file_extension("");
    let dir_text = format!("{}/", dir.display()).replace("//", "/");
    ctx.register_parquet("t", &dir_text, opts())
        .await
        .map_err(QueryError::internal)?;
    ctx.register_parquet("i", &*incoming.to_string_lossy(), opts())
        .await
        .map_err(QueryError::internal)?;
    let (_, incoming_schema) = parquet_footer_async(incoming).await?;
    let incoming_cols = columns_of(&incoming_schema);
    for k in key {
        if !columns.iter().any(|c| &c.name == k) {
            return Err(QueryError::user(format!("the table has no key column `{k}`")));
        }
        if !incoming_cols.iter().any(|c| &c.name == k) {
            return Err(QueryError::user(format!("the loaded rows lack key column `{k}`")));
        }
    }
    if mode != "delete" {
        let mut want: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let mut have: Vec<&str> = incoming_cols.iter().map(|c| c.name.as_str()).collect();
        want.sort_unstable();
        have.sort_unstable();
        if want != have {
            return Err(QueryError::user(format!(
                "a `{mode}` load must carry exactly the table's columns ({})",
                want.join(", ")
            )));
        }
    }
    let matches = key
        .iter()
        .map(|k| format!("i.{q} = t.{q}", q = quote(k)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let stored = columns
        .iter()
        .map(|c| format!("t.{}", quote(&c.name)))
        .collect::<Vec<_>>()
        .join(", ");
    let kept = format!("SELECT {stored} FROM t WHERE NOT EXISTS (SELECT 1 FROM i WHERE {matches})");
    let fresh = columns
        .iter()
        .map(|c| {
            let q = quote(&c.name);
            let same = incoming_cols
                .iter()
                .any(|x| x.name == c.name && x.data_type == c.data_type);
            if same {
                format!("i.{q} AS {q}")
            } else {
                format!("arrow_cast(i.{q}, '{}') AS {q}", c.data_type.replace('\'', "''"))
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match mode {
        "delete" => kept,
        "update" => format!("{kept} UNION ALL SELECT {fresh} FROM i WHERE EXISTS (SELECT 1 FROM t WHERE {matches})"),
        _ => format!("{kept} UNION ALL SELECT {fresh} FROM i"),
    };
    let df = plan(&ctx, &sql).await?;
    let stream = df.execute_stream().await.map_err(QueryError::user)?;
    let (rows, _) = write_parquet(stream, out).await?;
    Ok(rows)
}

/// The select list that reads `columns` from relation `from`, cast to the types of `target` where they differ.
fn cast_select(from: &str, have: &[Column], target: &[Column]) -> String {
    target
        .iter()
        .map(|c| {
            let q = quote(&c.name);
            match have.iter().find(|x| x.name == c.name) {
                Some(x) if x.data_type == c.data_type => format!("{from}.{q} AS {q}"),
                Some(_) => format!("arrow_cast({from}.{q}, '{}') AS {q}", c.data_type.replace('\'', "''")),
                None => format!("arrow_cast(NULL, '{}') AS {q}", c.data_type.replace('\'', "''")),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Appends the rows of `incoming` to the table stored in `dir` (`None` when nothing is stored). The input must
/// carry every stored column; columns it adds are added to the table, null in the stored rows. Returns `None`
/// when the input only needs its columns put in the table's order and types, which is then written to `out`
/// alone (a new part beside the stored ones); otherwise the whole table is rewritten to `out` and `Some(rows)`
/// comes back.
pub(crate) async fn append_rows(
    dir: &Path,
    incoming: &Path,
    columns: &[Column],
    out: &Path,
) -> Result<Option<u64>, QueryError> {
    let (_, incoming_schema) = parquet_footer_async(incoming).await?;
    let have = columns_of(&incoming_schema);
    if let Some(c) = columns.iter().find(|c| !have.iter().any(|x| x.name == c.name)) {
        return Err(QueryError::user(format!(
            "appended rows must carry every column of the table; `{}` is missing (send nulls instead)",
            c.name
        )));
    }
    let ctx = SessionContext::new();
    let opts = || ParquetReadOptions::default().file_extension("");
    ctx.register_parquet("i", &*incoming.to_string_lossy(), opts())
        .await
        .map_err(QueryError::internal)?;
    let added: Vec<Column> = have
        .iter()
        .filter(|x| !columns.iter().any(|c| c.name == x.name))
        .cloned()
        .collect();
    let rewrite = !added.is_empty();
    let sql = if rewrite {
        ctx.register_parquet("t", &format!("{}/", dir.display()), opts())
            .await
            .map_err(QueryError::internal)?;
        let mut widened = columns.to_vec();
        widened.extend(added);
        format!(
            "SELECT {} FROM t UNION ALL SELECT {} FROM i",
            cast_select("t", columns, &widened),
            cast_select("i", &have, &widened)
        )
    } else {
        format!("SELECT {} FROM i", cast_select("i", &have, columns))
    };
    let df = plan(&ctx, &sql).await?;
    let stream = df.execute_stream().await.map_err(QueryError::user)?;
    let (rows, _) = write_parquet(stream, out).await?;
    Ok(rewrite.then_some(rows))
}
