//! Handlers, one module per spec tag, and the dispatch from `operationId` to handler.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult};

mod connection_types;
mod connections;
mod database_context;
mod databases;
mod datasets;
mod db_scope;
mod embedding_providers;
mod indexes;
mod information_schema;
mod jobs;
mod managed;
pub(crate) mod query;
mod query_runs;
mod refresh;
mod results;
mod sandboxes;
mod saved_queries;
mod secrets;
mod upload_sessions;
mod uploads;
mod usage;
mod workspace_context;
mod workspaces;

/// Runs the handler of `ctx.op`.
pub(crate) async fn dispatch(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.op.id.clone();
    match id.as_str() {
        "list_connection_types" => connection_types::list(app, ctx),
        "get_connection_type" => connection_types::get(app, ctx),

        "create_connection" => connections::create(app, ctx),
        "list_connections" => connections::list(app, ctx),
        "get_connection" => connections::get(app, ctx),
        "delete_connection" => connections::delete(app, ctx).await,
        "check_connection_health" => connections::health(app, ctx),
        "purge_connection_cache" => connections::purge_cache(app, ctx),
        "purge_table_cache" => connections::purge_table_cache(app, ctx),
        "load_managed_table" => connections::load_table(app, ctx).await,
        "delete_managed_table" => connections::delete_table(app, ctx).await,
        "get_table_profile" => connections::profile(app, ctx),
        "add_managed_schema" => connections::add_schema(app, ctx),
        "add_managed_table" => connections::add_table(app, ctx),
        "set_managed_table_constant_per_key" => connections::set_constant_per_key(app, ctx),

        "list_database_contexts" => database_context::list(app, ctx),
        "upsert_database_context" => database_context::upsert(app, ctx),
        "get_database_context" => database_context::get(app, ctx),
        "delete_database_context" => database_context::delete(app, ctx),

        "create_database" => databases::create(app, ctx),
        "list_databases" => databases::list(app, ctx),
        "get_database" => databases::get(app, ctx),
        "delete_database" => databases::delete(app, ctx).await,
        "attach_database_catalog" => databases::attach(app, ctx),
        "detach_database_catalog" => databases::detach(app, ctx),
        "lookup_database_by_name" => databases::lookup(app, ctx),
        "count_databases" => databases::count(app, ctx),
        "fork_database" => databases::fork(app, ctx).await,
        "get_database_lineage" => databases::lineage(app, ctx),
        "bulk_create_databases" => databases::bulk_create(app, ctx),
        "get_database_batch" => databases::get_batch(app, ctx),
        "delete_database_batch" => databases::delete_batch(app, ctx).await,
        "add_database_schema" => databases::add_schema(app, ctx),
        "add_database_table" => databases::add_table(app, ctx),
        "load_database_table" => databases::load_table(app, ctx).await,
        "set_database_table_constant_per_key" => databases::set_constant_per_key(app, ctx),

        "create_dataset" => datasets::create(app, ctx).await,
        "list_datasets" => datasets::list(app, ctx),
        "get_dataset" => datasets::get(app, ctx),
        "update_dataset" => datasets::update(app, ctx),
        "delete_dataset" => datasets::delete(app, ctx).await,
        "list_dataset_versions" => datasets::versions(app, ctx),

        "create_embedding_provider" => embedding_providers::create(app, ctx),
        "list_embedding_providers" => embedding_providers::list(app, ctx),
        "get_embedding_provider" => embedding_providers::get(app, ctx),
        "update_embedding_provider" => embedding_providers::update(app, ctx),
        "delete_embedding_provider" => embedding_providers::delete(app, ctx),

        "create_index" => indexes::create_table_index(app, ctx).await,
        "list_indexes" => indexes::list_table_indexes(app, ctx),
        "delete_index" => indexes::delete_table_index(app, ctx),
        "create_dataset_index" => indexes::create_dataset_index(app, ctx).await,
        "list_dataset_indexes" => indexes::list_dataset_indexes(app, ctx),
        "delete_dataset_index" => indexes::delete_dataset_index(app, ctx),
        "list_indexes_collection" => indexes::list_database_indexes(app, ctx),

        "information_schema" => information_schema::list(app, ctx),

        "list_jobs" => jobs::list(app, ctx),
        "get_job" => jobs::get(app, ctx),

        "query" => query::query(app, ctx).await,

        "list_query_runs" => query_runs::list(app, ctx),
        "get_query_run" => query_runs::get(app, ctx),

        "refresh" => refresh::refresh(app, ctx).await,

        "list_results" => results::list(app, ctx),
        "get_result" => results::get(app, ctx).await,

        "create_sandbox" => sandboxes::create(app, ctx),
        "list_sandboxes" => sandboxes::list(app, ctx),
        "get_sandbox" => sandboxes::get(app, ctx),
        "update_sandbox" => sandboxes::update(app, ctx),
        "delete_sandbox" => sandboxes::delete(app, ctx),

        "create_saved_query" => saved_queries::create(app, ctx),
        "list_saved_queries" => saved_queries::list(app, ctx),
        "get_saved_query" => saved_queries::get(app, ctx),
        "update_saved_query" => saved_queries::update(app, ctx),
        "delete_saved_query" => saved_queries::delete(app, ctx),
        "list_saved_query_versions" => saved_queries::versions(app, ctx),
        "execute_saved_query" => saved_queries::execute(app, ctx).await,

        "create_secret" => secrets::create(app, ctx),
        "list_secrets" => secrets::list(app, ctx),
        "get_secret" => secrets::get(app, ctx),
        "update_secret" => secrets::update(app, ctx),
        "delete_secret" => secrets::delete(app, ctx),

        "upload_file" => uploads::upload(app, ctx).await,
        "list_uploads" => uploads::list(app, ctx),
        "create_upload_session_handler" => upload_sessions::create(app, ctx),
        "create_upload_sessions_batch_handler" => upload_sessions::create_batch(app, ctx),
        "mint_upload_parts_handler" => upload_sessions::mint(app, ctx),
        "finalize_upload_handler" => upload_sessions::finalize(app, ctx).await,

        "get_usage" => usage::get(app, ctx).await,

        "list_workspace_contexts" => workspace_context::list(app, ctx),
        "upsert_workspace_context" => workspace_context::upsert(app, ctx),
        "get_workspace_context" => workspace_context::get(app, ctx),
        "delete_workspace_context" => workspace_context::delete(app, ctx),

        "create_workspace" => workspaces::create(app, ctx),
        "list_workspaces" => workspaces::list(app, ctx),
        "delete_workspace" => workspaces::delete(app, ctx).await,

        other => Err(ApiError::new(
            501,
            "not_implemented",
            format!("operation `{other}` is not served"),
        )),
    }
}

/// Offset paging: `(page, has_more, limit, offset)`.
pub(crate) fn offset_page<T: Clone>(
    ctx: &Ctx,
    items: &[T],
    default_limit: u64,
    max_limit: u64,
) -> Result<(Vec<T>, bool, u64, u64), ApiError> {
    let limit = ctx.q_u64("limit")?.unwrap_or(default_limit).clamp(1, max_limit);
    let offset = ctx.q_u64("offset")?.unwrap_or(0);
    let start = (offset as usize).min(items.len());
    let end = start.saturating_add(limit as usize).min(items.len());
    Ok((items[start..end].to_vec(), end < items.len(), limit, offset))
}

/// `null` for `None`, the string otherwise.
pub(crate) fn opt(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| json!(s))
}

/// A 404 in the operation's documented shape.
pub(crate) fn missing(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("{what} `{id}` not found"))
}

/// Checks a context-entry or table-like name: 1 to 128 ASCII letters, digits or `_`, not starting with a digit.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}
