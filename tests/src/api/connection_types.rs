//! `connection_types`: the source types a connection can be created with.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};

/// `(name, label, config properties, auth kind)` of the known types. Only `managed` is served with data locally;
/// the others can be registered and report a clear health error.
const TYPES: &[(&str, &str, &[&str], &str)] = &[
    ("managed", "Managed (parquet loads)", &[], "none"),
    (
        "postgres",
        "PostgreSQL",
        &["host", "port", "database", "user", "sslmode"],
        "password",
    ),
    ("mysql", "MySQL", &["host", "port", "database", "user"], "password"),
    (
        "snowflake",
        "Snowflake",
        &["account", "warehouse", "database", "user", "role"],
        "password",
    ),
    (
        "bigquery",
        "BigQuery",
        &["project_id", "dataset"],
        "service_account_key",
    ),
    ("duckdb", "DuckDB", &["path"], "none"),
    ("iceberg", "Apache Iceberg", &["catalog_uri", "warehouse"], "token"),
];

pub(crate) fn is_known(name: &str) -> bool {
    TYPES.iter().any(|t| t.0 == name)
}

/// `GET /v1/connection-types`.
pub(crate) fn list(_app: &Arc<App>, _ctx: Ctx) -> ApiResult {
    let types: Vec<Value> = TYPES.iter().map(|(n, l, ..)| json!({"name": n, "label": l})).collect();
    Ok(Reply::json(200, &json!({"connection_types": types})))
}

/// `GET /v1/connection-types/{name}`.
pub(crate) fn get(_app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.p("name");
    let (n, l, props, auth) = TYPES
        .iter()
        .find(|t| t.0 == name)
        .ok_or_else(|| ApiError::not_found(format!("unknown connection type `{name}`")))?;
    let properties: serde_json::Map<String, Value> = props
        .iter()
        .map(|p| {
            (
                p.to_string(),
                json!({"type": if *p == "port" { "integer" } else { "string" }}),
            )
        })
        .collect();
    let auth = if *auth == "none" {
        Value::Null
    } else {
        json!({"type": auth})
    };
    Ok(Reply::json(
        200,
        &json!({"name": n, "label": l, "config_schema": {"type": "object", "properties": properties}, "auth": auth}),
    ))
}
