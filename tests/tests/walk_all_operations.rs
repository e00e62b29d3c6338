//! Walks every operation of the spec over loopback HTTP and proves each one answers with a success status and a
//! spec-valid response (the server validates both directions; dropping it fails on any violation).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Value, json};
use support::{Local, json_of, parquet_from_sql};

/// Records the status each operation answered with.
struct Walk {
    local: Local,
    seen: BTreeMap<String, u16>,
}

impl Walk {
    async fn call(&mut self, op: &str, method: Method, path: &str, body: Option<Value>) -> Value {
        self.call_in(op, method, path, body, None).await
    }

    /// Like `call`, scoped to a database with `X-Database-Id`.
    async fn call_in(&mut self, op: &str, method: Method, path: &str, body: Option<Value>, db: Option<&str>) -> Value {
        let mut req = self.local.req(method, path);
        if let Some(db) = db {
            req = req.header("X-Database-Id", db);
        }
        self.send(op, path, req, body).await
    }

    /// A `POST` authenticated by an upload session's finalize token as well.
    async fn call_with_token(&mut self, op: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let req = self
            .local
            .req(Method::POST, path)
            .header("X-Upload-Finalize-Token", token);
        self.send(op, path, req, body).await
    }

    async fn send(&mut self, op: &str, path: &str, mut req: reqwest::RequestBuilder, body: Option<Value>) -> Value {
        if let Some(b) = body {
            req = req.json(&b);
        }
        let (status, v) = json_of(req.send().await.expect("request")).await;
        assert!((200..300).contains(&status), "{op} {path} answered {status}: {v}");
        self.seen.insert(op.to_string(), status);
        v
    }
}

#[tokio::test]
async fn every_operation_is_served_with_a_spec_valid_response() {
    let local = Local::start().await;
    let parquet = parquet_from_sql(
        &local,
        "SELECT * FROM (VALUES (1, 'a', 10.5), (2, 'b', NULL)) AS t(id, name, price)",
    )
    .await;
    let mut w = Walk {
        local,
        seen: BTreeMap::new(),
    };
    w.seen.insert("query".into(), 200);
    w.seen.insert("get_result".into(), 200);

    w.call("list_connection_types", Method::GET, "/v1/connection-types", None)
        .await;
    w.call("get_connection_type", Method::GET, "/v1/connection-types/managed", None)
        .await;

    w.call(
        "create_secret",
        Method::POST,
        "/v1/secrets",
        Some(json!({"name": "pg", "value": "s3cret"})),
    )
    .await;
    w.call("get_secret", Method::GET, "/v1/secrets/pg", None).await;
    w.call("list_secrets", Method::GET, "/v1/secrets", None).await;
    w.call(
        "update_secret",
        Method::PUT,
        "/v1/secrets/pg",
        Some(json!({"value": "n3w"})),
    )
    .await;

    let c = w
        .call(
            "create_connection",
            Method::POST,
            "/v1/connections",
            Some(json!({"name": "shop", "source_type": "managed", "config": {}})),
        )
        .await;
    let conn = c["id"].as_str().unwrap().to_string();
    w.call("list_connections", Method::GET, "/v1/connections", None).await;
    w.call(
        "add_managed_schema",
        Method::POST,
        &format!("/v1/connections/{conn}/schemas"),
        Some(json!({"name": "Raw", "tables": [{"name": "clicks"}]})),
    )
    .await;
    let declared = w
        .call(
            "add_managed_table",
            Method::POST,
            &format!("/v1/connections/{conn}/schemas/raw/tables"),
            Some(json!({"name": "Events", "key": ["id"], "sorted_by": [{"column": "id", "direction": "asc"}]})),
        )
        .await;
    assert_eq!(declared["table"], "events");
    w.call(
        "set_managed_table_constant_per_key",
        Method::PUT,
        &format!("/v1/connections/{conn}/schemas/raw/tables/events/constant-per-key"),
        Some(json!({"constant_per_key": []})),
    )
    .await;
    w.call("get_connection", Method::GET, &format!("/v1/connections/{conn}"), None)
        .await;
    w.call(
        "check_connection_health",
        Method::GET,
        &format!("/v1/connections/{conn}/health"),
        None,
    )
    .await;

    let upload = w.local.upload(parquet.clone(), "application/octet-stream").await;
    w.seen.insert("upload_file".into(), 201);
    w.call("list_uploads", Method::GET, "/v1/files", None).await;
    w.call(
        "load_managed_table",
        Method::POST,
        &format!("/v1/connections/{conn}/schemas/public/tables/orders/loads"),
        Some(json!({"upload_id": upload, "mode": "replace"})),
    )
    .await;

    // Presigned upload sessions: open, PUT the bytes to storage without credentials, mint, finalize, load.
    let batch = w
        .call(
            "create_upload_sessions_batch_handler",
            Method::POST,
            "/v1/uploads/batch",
            Some(json!({"uploads": [{"declared_size_bytes": 3}, {}]})),
        )
        .await;
    assert_eq!(batch["uploads"].as_array().unwrap().len(), 2);
    let session = w
        .call(
            "create_upload_session_handler",
            Method::POST,
            "/v1/uploads",
            Some(json!({"declared_size_bytes": parquet.len(), "content_type": "application/vnd.apache.parquet"})),
        )
        .await;
    let session_id = session["upload_id"].as_str().unwrap().to_string();
    let token = session["finalize_token"].as_str().unwrap().to_string();
    let minted = w
        .call_with_token(
            "mint_upload_parts_handler",
            &format!("/v1/uploads/{session_id}/parts"),
            &token,
            Some(json!({"part_numbers": [1]})),
        )
        .await;
    let put = w
        .local
        .http
        .put(minted["parts"][0]["url"].as_str().unwrap())
        .body(parquet.clone())
        .send()
        .await
        .expect("storage PUT");
    assert_eq!(put.status().as_u16(), 200);
    w.call_with_token(
        "finalize_upload_handler",
        &format!("/v1/uploads/{session_id}/finalize"),
        &token,
        None,
    )
    .await;
    let loaded = w
        .local
        .post_json(
            &format!("/v1/connections/{conn}/schemas/public/tables/orders_presigned/loads"),
            json!({"upload_id": session_id, "mode": "replace"}),
        )
        .await;
    assert_eq!(loaded.0, 200, "{}", loaded.1);

    w.call(
        "get_table_profile",
        Method::GET,
        &format!("/v1/connections/{conn}/tables/public/orders/profile"),
        None,
    )
    .await;
    w.call(
        "information_schema",
        Method::GET,
        "/v1/information_schema?include_columns=true&table=ord%25",
        None,
    )
    .await;
    w.call(
        "purge_table_cache",
        Method::DELETE,
        &format!("/v1/connections/{conn}/tables/public/orders/cache"),
        None,
    )
    .await;
    w.call(
        "purge_connection_cache",
        Method::DELETE,
        &format!("/v1/connections/{conn}/cache"),
        None,
    )
    .await;

    let idx = format!("/v1/connections/{conn}/tables/public/orders/indexes");
    w.call(
        "create_index",
        Method::POST,
        &idx,
        Some(json!({"index_name": "by_id", "columns": ["id"], "index_type": "sorted"})),
    )
    .await;
    w.call("list_indexes", Method::GET, &idx, None).await;
    w.call("delete_index", Method::DELETE, &format!("{idx}/by_id"), None)
        .await;

    let q = w.local.sql("SELECT id, name FROM shop.public.orders ORDER BY id").await;
    assert_eq!(q["rows"], json!([[1, "a"], [2, "b"]]));
    let run = q["query_run_id"].as_str().unwrap().to_string();
    w.call("get_query_run", Method::GET, &format!("/v1/query-runs/{run}"), None)
        .await;
    w.call("list_query_runs", Method::GET, "/v1/query-runs?limit=1", None)
        .await;
    w.call("list_results", Method::GET, "/v1/results?limit=5", None).await;

    let sq = w
        .call(
            "create_saved_query",
            Method::POST,
            "/v1/queries",
            Some(json!({"name": "orders", "sql": "SELECT * FROM shop.public.orders"})),
        )
        .await;
    let sq = sq["id"].as_str().unwrap().to_string();
    w.call("get_saved_query", Method::GET, &format!("/v1/queries/{sq}"), None)
        .await;
    w.call("list_saved_queries", Method::GET, "/v1/queries", None).await;
    w.call(
        "update_saved_query",
        Method::PUT,
        &format!("/v1/queries/{sq}"),
        Some(json!({"sql": "SELECT count(*) AS n FROM shop.public.orders"})),
    )
    .await;
    w.call(
        "list_saved_query_versions",
        Method::GET,
        &format!("/v1/queries/{sq}/versions"),
        None,
    )
    .await;
    w.call(
        "execute_saved_query",
        Method::POST,
        &format!("/v1/queries/{sq}/execute"),
        Some(json!({"version": 1})),
    )
    .await;

    let ds = w
        .call(
            "create_dataset",
            Method::POST,
            "/v1/datasets",
            Some(json!({"label": "Fruit", "source": {"type": "inline", "inline": {"format": "csv", "content": "name,qty\napple,3\npear,5\n"}}})),
        )
        .await;
    let ds = ds["id"].as_str().unwrap().to_string();
    w.call("get_dataset", Method::GET, &format!("/v1/datasets/{ds}"), None)
        .await;
    w.call("list_datasets", Method::GET, "/v1/datasets", None).await;
    w.call("refresh", Method::POST, "/v1/refresh", Some(json!({"dataset_id": ds})))
        .await;
    w.call(
        "update_dataset",
        Method::PUT,
        &format!("/v1/datasets/{ds}"),
        Some(json!({"pinned_version": 1})),
    )
    .await;
    w.call(
        "list_dataset_versions",
        Method::GET,
        &format!("/v1/datasets/{ds}/versions"),
        None,
    )
    .await;
    let didx = format!("/v1/datasets/{ds}/indexes");
    let job_idx = w
        .call(
            "create_dataset_index",
            Method::POST,
            &didx,
            Some(json!({"index_name": "fts", "columns": ["name"], "index_type": "bm25", "async": true})),
        )
        .await;
    assert_eq!(job_idx["status"], "pending");
    w.call("list_dataset_indexes", Method::GET, &didx, None).await;
    let jobs = w.call("list_jobs", Method::GET, "/v1/jobs", None).await;
    let job = jobs["jobs"][0]["id"].as_str().unwrap().to_string();
    w.call("get_job", Method::GET, &format!("/v1/jobs/{job}"), None).await;
    w.call("delete_dataset_index", Method::DELETE, &format!("{didx}/fts"), None)
        .await;

    let ep = w
        .call(
            "create_embedding_provider",
            Method::POST,
            "/v1/embedding-providers",
            Some(json!({"name": "oai", "provider_type": "service", "api_key": "k"})),
        )
        .await;
    let ep = ep["id"].as_str().unwrap().to_string();
    w.call("list_embedding_providers", Method::GET, "/v1/embedding-providers", None)
        .await;
    w.call(
        "get_embedding_provider",
        Method::GET,
        &format!("/v1/embedding-providers/{ep}"),
        None,
    )
    .await;
    w.call(
        "update_embedding_provider",
        Method::PUT,
        &format!("/v1/embedding-providers/{ep}"),
        Some(json!({"name": "oai2"})),
    )
    .await;
    w.call(
        "delete_embedding_provider",
        Method::DELETE,
        &format!("/v1/embedding-providers/{ep}"),
        None,
    )
    .await;

    let db = w
        .call(
            "create_database",
            Method::POST,
            "/v1/databases",
            Some(json!({"name": "sales", "schemas": [{"name": "public", "tables": [{"name": "orders"}]}]})),
        )
        .await;
    let db = db["id"].as_str().unwrap().to_string();
    w.call("list_databases", Method::GET, "/v1/databases", None).await;
    w.call("get_database", Method::GET, &format!("/v1/databases/{db}"), None)
        .await;
    w.call(
        "attach_database_catalog",
        Method::POST,
        &format!("/v1/databases/{db}/catalogs"),
        Some(json!({"connection_id": conn, "alias": "shop"})),
    )
    .await;
    w.call(
        "detach_database_catalog",
        Method::DELETE,
        &format!("/v1/databases/{db}/catalogs/{conn}"),
        None,
    )
    .await;
    let ctxp = format!("/v1/databases/{db}/context");
    w.call(
        "upsert_database_context",
        Method::POST,
        &ctxp,
        Some(json!({"name": "readme", "content": "# Sales"})),
    )
    .await;
    w.call("list_database_contexts", Method::GET, &ctxp, None).await;
    w.call("get_database_context", Method::GET, &format!("{ctxp}/readme"), None)
        .await;
    w.call(
        "delete_database_context",
        Method::DELETE,
        &format!("{ctxp}/readme"),
        None,
    )
    .await;

    w.call(
        "add_database_schema",
        Method::POST,
        &format!("/v1/databases/{db}/schemas"),
        Some(json!({"name": "staging"})),
    )
    .await;
    w.call(
        "add_database_table",
        Method::POST,
        &format!("/v1/databases/{db}/schemas/staging/tables"),
        Some(json!({"name": "items", "key": ["id"], "constant_per_key": ["name"],
                    "partition_by": [{"column": "name", "transform": "identity"}]})),
    )
    .await;
    let upload = w.local.upload(parquet.clone(), "application/octet-stream").await;
    let loaded = w
        .call(
            "load_database_table",
            Method::POST,
            &format!("/v1/databases/{db}/schemas/staging/tables/items/loads"),
            Some(json!({"upload_id": upload, "mode": "replace"})),
        )
        .await;
    assert_eq!(loaded["row_count"], 2);
    w.call(
        "set_database_table_constant_per_key",
        Method::PUT,
        &format!("/v1/databases/{db}/schemas/staging/tables/items/constant-per-key"),
        Some(json!({"constant_per_key": ["name", "price"]})),
    )
    .await;
    let detail = w.local.get_json(&format!("/v1/databases/{db}")).await.1;
    let db_conn = detail["default_connection_id"].as_str().unwrap().to_string();
    w.call(
        "create_index",
        Method::POST,
        &format!("/v1/connections/{db_conn}/tables/staging/items/indexes"),
        Some(json!({"index_name": "by_name", "columns": ["name"], "index_type": "bm25"})),
    )
    .await;
    let listed = w
        .call_in(
            "list_indexes_collection",
            Method::GET,
            "/v1/indexes?limit=10",
            None,
            Some(&db),
        )
        .await;
    assert_eq!(listed["indexes"][0]["table_name"], "items");
    w.call(
        "lookup_database_by_name",
        Method::GET,
        "/v1/databases/by-name?name=SALES",
        None,
    )
    .await;
    w.call("count_databases", Method::GET, "/v1/databases/count", None)
        .await;
    let fork = w
        .call(
            "fork_database",
            Method::POST,
            &format!("/v1/databases/{db}/fork"),
            Some(json!({"description": "walk"})),
        )
        .await;
    assert_eq!(fork["forked_from"]["database_id"], json!(db));
    let fork = fork["id"].as_str().unwrap().to_string();
    w.call(
        "get_database_lineage",
        Method::GET,
        &format!("/v1/databases/{fork}/lineage?forks_limit=5"),
        None,
    )
    .await;
    let batch = w
        .call(
            "bulk_create_databases",
            Method::POST,
            "/v1/databases/bulk",
            Some(json!({"count": 2, "name_template": "tenant-{index}"})),
        )
        .await;
    let batch = batch["batch_id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let b = w
            .call(
                "get_database_batch",
                Method::GET,
                &format!("/v1/databases/bulk/{batch}"),
                None,
            )
            .await;
        if b["created_count"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    w.call(
        "delete_database_batch",
        Method::DELETE,
        &format!("/v1/databases/bulk/{batch}"),
        None,
    )
    .await;
    w.call("get_usage", Method::GET, "/v1/usage", None).await;
    w.call(
        "delete_database",
        Method::DELETE,
        &format!("/v1/databases/{fork}"),
        None,
    )
    .await;
    w.call("delete_database", Method::DELETE, &format!("/v1/databases/{db}"), None)
        .await;

    w.call(
        "upsert_workspace_context",
        Method::POST,
        "/v1/context",
        Some(json!({"name": "notes", "content": "hello"})),
    )
    .await;
    w.call("list_workspace_contexts", Method::GET, "/v1/context", None)
        .await;
    w.call("get_workspace_context", Method::GET, "/v1/context/notes", None)
        .await;
    w.call("delete_workspace_context", Method::DELETE, "/v1/context/notes", None)
        .await;

    let sb = w
        .call(
            "create_sandbox",
            Method::POST,
            "/v1/sandboxes",
            Some(json!({"name": "scratch"})),
        )
        .await;
    let sb = sb["sandbox"]["public_id"].as_str().unwrap().to_string();
    w.call("list_sandboxes", Method::GET, "/v1/sandboxes", None).await;
    w.call("get_sandbox", Method::GET, &format!("/v1/sandboxes/{sb}"), None)
        .await;
    w.call(
        "update_sandbox",
        Method::PATCH,
        &format!("/v1/sandboxes/{sb}"),
        Some(json!({"markdown": "# notes"})),
    )
    .await;
    w.call("delete_sandbox", Method::DELETE, &format!("/v1/sandboxes/{sb}"), None)
        .await;

    w.call("list_workspaces", Method::GET, "/v1/workspaces", None).await;
    let ws = w
        .call(
            "create_workspace",
            Method::POST,
            "/v1/workspaces",
            Some(json!({"name": "second"})),
        )
        .await;
    let ws = ws["workspace"]["public_id"].as_str().unwrap().to_string();
    w.call(
        "delete_workspace",
        Method::DELETE,
        &format!("/v1/workspaces/{ws}"),
        None,
    )
    .await;

    w.call(
        "delete_managed_table",
        Method::DELETE,
        &format!("/v1/connections/{conn}/schemas/public/tables/orders"),
        None,
    )
    .await;
    w.call("delete_dataset", Method::DELETE, &format!("/v1/datasets/{ds}"), None)
        .await;
    w.call("delete_saved_query", Method::DELETE, &format!("/v1/queries/{sq}"), None)
        .await;
    w.call(
        "delete_connection",
        Method::DELETE,
        &format!("/v1/connections/{conn}"),
        None,
    )
    .await;
    w.call("delete_secret", Method::DELETE, "/v1/secrets/pg", None).await;

    // Every operation of the spec (read at run time) was served with a success status and reached the wire.
    let spec_ops: BTreeSet<String> = w.local.server.operation_ids().into_iter().collect();
    let seen: BTreeSet<String> = w.seen.keys().cloned().collect();
    let missing: Vec<_> = spec_ops.difference(&seen).collect();
    assert!(missing.is_empty(), "operations not walked: {missing:?}");

    let unknown: Vec<_> = seen.difference(&spec_ops).collect();
    assert!(unknown.is_empty(), "walked operations that the spec lacks: {unknown:?}");
    for op in &spec_ops {
        assert!(w.local.server.hits(op) >= 1, "{op} never reached the server");
    }
    assert_eq!(
        spec_ops.len(),
        94,
        "the spec is expected to hold 94 operations (63 live, 31 deprecated)"
    );
    w.local.server.assert_conformant();
}
