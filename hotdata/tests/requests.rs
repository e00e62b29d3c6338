//! What goes on the wire: for at least one operation of every tag, the
//! method, path (percent-encoded), query string, headers and JSON body are
//! exactly what `spec/openapi.yaml` declares. Also the generated extras at
//! run time: outcome decoding, open enums and both paging styles.

mod support;

use std::future::IntoFuture as _;

use futures::TryStreamExt as _;
use hotdata::outcomes::{CreateIndexOutcome, LoadManagedTableOutcome};
use hotdata::prelude::*;
use hotdata::types;
use serde_json::json;
use support::{Canned, Recorded, Stub};

/// Headers every request carries.
fn assert_common(r: &Recorded) {
    assert_eq!(r.header("authorization"), Some("Bearer test-key"));
    assert_eq!(r.header("x-workspace-id"), Some("ws_test"));
    assert_eq!(r.header("user-agent"), Some(hotdata::USER_AGENT_VALUE));
    assert!(hotdata::USER_AGENT_VALUE.starts_with("hotdata-rust/"));
}

fn assert_json_body(r: &Recorded, want: serde_json::Value) {
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), want);
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn connection_types_get_encodes_the_path_parameter() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(200, json!({"name": "postgres", "label": "PostgreSQL"}))]);
    let got = stub
        .client()
        .get_connection_type()
        .name("post gres/15?#%")
        .send()
        .await
        .expect("ok");
    assert_eq!(got.label, "PostgreSQL");
    let r = stub.only();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path(), "/v1/connection-types/post%20gres%2F15%3F%23%25");
    assert_eq!(r.query(), "");
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_common(&r);
}

/// Futures users await can be spawned on a multi-threaded runtime, and stay
/// small: every request awaits one, and its size is paid (and copied) each
/// time.
#[test]
fn operation_futures_are_send_and_small() {
    fn send_future<F: std::future::Future + Send>(f: F) -> usize {
        std::mem::size_of_val(&f)
    }
    let client = hotdata::Client::builder()
        .api_key("k")
        .workspace_id("ws")
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("client");
    let size = send_future(client.get_result().id("res_1").send());
    assert!(size <= 4096, "get_result().send() is {size} bytes");
    send_future(client.list_results().send());
    send_future(client.query("select 1").into_future());
    send_future(client.result("res_1").rows());
    send_future(client.execute_saved_query("sq_1").into_future());
}

#[tokio::test]
async fn path_parameters_that_would_change_the_path_are_refused_before_sending() {
    let stub = Stub::start().await;
    let client = stub.client();
    for id in ["", ".", ".."] {
        // Sent, `/v1/results/{id}` would become `/v1/results/` (the list) or
        // climb out of `/v1/results`.
        let err = client.get_result().id(id).send().await.expect_err(id);
        assert!(
            matches!(&err, hotdata::Error::InvalidArgument { argument, .. } if argument == "id"),
            "{id:?}: {err:?}"
        );
        assert!(err.to_string().contains("get_result"), "{err}");
        let err = client.result(id).rows().await.expect_err(id);
        assert!(matches!(err, hotdata::Error::InvalidArgument { .. }), "{id:?}: {err:?}");
        let err = client.execute_saved_query(id).await.expect_err(id);
        assert!(matches!(err, hotdata::Error::InvalidArgument { .. }), "{id:?}: {err:?}");
    }
    assert!(stub.received().is_empty(), "nothing reaches the wire");
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn a_base_url_path_prefix_is_kept() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(200, json!({"name": "postgres", "label": "PostgreSQL"}))]);
    let client = stub
        .builder()
        .base_url(format!("{}/gateway/hotdata/v1/", stub.base_url))
        .build()
        .expect("client");
    client.get_connection_type().name("postgres").send().await.expect("ok");
    assert_eq!(stub.only().path(), "/gateway/hotdata/v1/connection-types/postgres");
}

#[tokio::test]
async fn connections_load_managed_table() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"arrow_schema_json": "{}", "connection_id": "conn_1", "row_count": 3,
               "schema_name": "public", "table_name": "orders"}),
    )]);
    let got = stub
        .client()
        .load_managed_table()
        .connection_id("conn_1")
        .schema("public")
        .table("orders")
        .body_map(|b| b.mode(types::LoadMode::Replace).upload_id("upl_9".to_owned()))
        .send_outcome()
        .await
        .expect("ok")
        .into_inner();
    let LoadManagedTableOutcome::Ok(got) = got else {
        panic!("a 200 is a finished load: {got:?}")
    };
    assert_eq!(got.row_count, 3);
    let r = stub.only();
    assert_eq!(r.method, "POST");
    assert_eq!(r.path(), "/v1/connections/conn_1/schemas/public/tables/orders/loads");
    assert_json_body(&r, json!({"mode": "replace", "upload_id": "upl_9"}));
    assert_common(&r);
}

#[tokio::test]
async fn database_context_upsert() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"context": {"name": "readme", "content": "# hi", "updated_at": "2026-05-01T00:00:00Z"}}),
    )]);
    stub.client()
        .upsert_database_context()
        .database_id("db_1")
        .body_map(|b| b.name("readme").content("# hi"))
        .send()
        .await
        .expect("ok");
    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("POST", "/v1/databases/db_1/context"));
    assert_json_body(&r, json!({"name": "readme", "content": "# hi"}));
}

#[tokio::test]
async fn databases_create_with_declared_tables() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        201,
        json!({"id": "db_abc123", "default_connection_id": "conn_db"}),
    )]);
    let orders: types::DatabaseDefaultTableDecl = types::DatabaseDefaultTableDecl::builder()
        .name("orders")
        .try_into()
        .expect("table");
    let public: types::DatabaseDefaultSchemaDecl = types::DatabaseDefaultSchemaDecl::builder()
        .name("public")
        .tables(vec![orders])
        .try_into()
        .expect("schema");
    let created = stub
        .client()
        .create_database()
        .body_map(|b| {
            b.name("sales".to_owned())
                .expires_at("24h".to_owned())
                .schemas(vec![public])
        })
        .send()
        .await
        .expect("ok");
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.default_connection_id, "conn_db");
    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("POST", "/v1/databases"));
    assert_json_body(
        &r,
        json!({"name": "sales", "expires_at": "24h", "schemas": [{"name": "public", "tables": [{"name": "orders"}]}]}),
    );
    assert_common(&r);
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn datasets_list_sends_limit_and_offset() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"count": 0, "datasets": [], "has_more": false, "limit": 10, "offset": 20}),
    )]);
    stub.client()
        .list_datasets()
        .limit(10)
        .offset(20u64)
        .send()
        .await
        .expect("ok");
    let r = stub.only();
    assert_eq!(
        (r.method.as_str(), r.path(), r.query()),
        ("GET", "/v1/datasets", "limit=10&offset=20")
    );
    assert!(r.body.is_empty());
    assert_common(&r);
}

#[tokio::test]
async fn embedding_providers_update_sends_only_given_fields() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"id": "ep_1", "name": "openai-small", "updated_at": "2026-05-01T10:00:00Z"}),
    )]);
    stub.client()
        .update_embedding_provider()
        .id("ep_1")
        .body_map(|b| b.name("openai-small".to_owned()))
        .send()
        .await
        .expect("ok");
    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("PUT", "/v1/embedding-providers/ep_1"));
    assert_json_body(&r, json!({"name": "openai-small"}));
}

#[tokio::test]
async fn indexes_create_renames_async() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        201,
        json!({"columns": ["body"], "created_at": "2026-05-01T10:00:00Z", "index_name": "body_idx",
               "index_type": "bm25", "status": "pending", "updated_at": "2026-05-01T10:00:00Z"}),
    )]);
    let got = stub
        .client()
        .create_index()
        .connection_id("conn_1")
        .schema("public")
        .table("docs")
        .body_map(|b| {
            b.index_name("body_idx")
                .columns(vec!["body".to_owned()])
                .index_type(Some(types::IndexType::Bm25))
                .async_(Some(true))
        })
        .send_outcome()
        .await
        .expect("ok")
        .into_inner();
    let CreateIndexOutcome::Created(got) = got else {
        panic!("a 201 is a created index: {got:?}")
    };
    assert_eq!(got.status, types::IndexStatus::Pending);
    let r = stub.only();
    assert_eq!(
        (r.method.as_str(), r.path()),
        ("POST", "/v1/connections/conn_1/tables/public/docs/indexes")
    );
    assert_json_body(
        &r,
        json!({"index_name": "body_idx", "columns": ["body"], "index_type": "bm25", "async": true}),
    );
}

#[tokio::test]
async fn information_schema_query_string() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"count": 0, "has_more": false, "limit": 5, "tables": []}),
    )]);
    stub.client()
        .information_schema()
        .connection_id("conn_1")
        .schema("pub%")
        .include_columns(true)
        .limit(5)
        .cursor("c&1")
        .send()
        .await
        .expect("ok");
    let r = stub.only();
    assert_eq!(r.path(), "/v1/information_schema");
    let mut pairs: Vec<&str> = r.query().split('&').collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            "connection_id=conn_1",
            "cursor=c%261",
            "include_columns=true",
            "limit=5",
            "schema=pub%25"
        ]
    );
}

#[tokio::test]
async fn jobs_list_filters_by_open_enum() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"jobs": [{"id": "job_1", "attempts": 1, "created_at": "2026-05-01T10:00:00Z",
                         "job_type": "compaction_v9", "status": "running"}]}),
    )]);
    let jobs = stub
        .client()
        .list_jobs()
        .job_type(types::JobType::CreateIndex)
        .status("pending,running")
        .send()
        .await
        .expect("ok");
    // A job type this SDK has never heard of still decodes.
    assert!(matches!(jobs.jobs[0].job_type, types::JobType::Other(_)));
    assert_eq!(jobs.jobs[0].job_type.as_str(), "compaction_v9");
    assert_eq!(jobs.jobs[0].job_type, types::JobType::from("compaction_v9"));
    assert!(!jobs.jobs[0].job_type.is_known());
    assert_eq!(jobs.jobs[0].status, types::JobStatus::Running);
    let r = stub.only();
    assert_eq!(r.path(), "/v1/jobs");
    assert_eq!(r.query(), "job_type=create_index&status=pending%2Crunning");
}

#[tokio::test]
async fn query_sends_database_scope_and_decodes_both_outcomes() {
    let stub = Stub::start().await;
    stub.reply([
        Canned::json(
            200,
            json!({"columns": ["ok"], "nullable": [false], "rows": [[1]], "row_count": 1,
                   "execution_time_ms": 3, "query_run_id": "qrun_1", "result_id": "res_1"}),
        ),
        Canned::json(
            202,
            json!({"query_run_id": "qrun_2", "status": "running", "status_url": "/v1/query-runs/qrun_2"}),
        ),
    ]);
    let client = stub.client();
    let sync = client
        .api()
        .query()
        .x_database_id("db_abc123")
        .body_map(|b| b.sql("SELECT 1 AS ok"))
        .send_outcome()
        .await
        .expect("200");
    match sync.into_inner() {
        hotdata::outcomes::QueryOutcome::Ok(rows) => assert_eq!(rows.rows, vec![vec![hotdata::Cell::from(json!(1))]]),
        other => panic!("expected rows, got {other:?}"),
    }
    let run = client
        .api()
        .query()
        .body_map(|b| b.sql("SELECT * FROM big").async_(Some(true)).async_after_ms(Some(1500)))
        .send_outcome()
        .await
        .expect("202");
    assert_eq!(run.status().as_u16(), 202);
    match run.into_inner() {
        hotdata::outcomes::QueryOutcome::Accepted(a) => {
            assert_eq!(a.query_run_id, "qrun_2");
            assert_eq!(a.status, types::QueryRunStatus::Running);
        }
        other => panic!("expected a run handle, got {other:?}"),
    }
    let [first, second] = <[Recorded; 2]>::try_from(stub.received()).expect("two requests");
    assert_eq!((first.method.as_str(), first.path()), ("POST", "/v1/query"));
    assert_eq!(first.header("x-database-id"), Some("db_abc123"));
    assert_json_body(&first, json!({"sql": "SELECT 1 AS ok"}));
    assert_eq!(second.header("x-database-id"), None);
    assert_json_body(
        &second,
        json!({"sql": "SELECT * FROM big", "async": true, "async_after_ms": 1500}),
    );
    assert_common(&second);
}

#[tokio::test]
async fn rows_moved_to_the_background_are_their_own_error_with_the_run_id() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        202,
        json!({"query_run_id": "qrun_9", "status": "running", "status_url": "/v1/query-runs/qrun_9",
               "reason": "tables are being cached"}),
    )]);
    let err = stub
        .builder()
        .database_id("db_default")
        .build()
        .expect("client")
        .query("SELECT * FROM big")
        .database("db_9")
        .await
        .expect_err("moved");
    let hotdata::Error::MovedToBackground(moved) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(moved.operation, "query");
    assert_eq!(moved.run_id, "qrun_9");
    assert_eq!(moved.database_id.as_deref(), Some("db_9"));
    assert_eq!(moved.reason.as_deref(), Some("tables are being cached"));
    assert_eq!(moved.result_id, None);
    assert!(!err.is_retryable());
    assert_eq!(err.status(), Some(202));
    assert!(err.to_string().contains("qrun_9"), "{err}");
    assert_eq!(stub.only().header("x-database-id"), Some("db_9"));
}

#[tokio::test]
async fn query_runs_get() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"id": "qrun_1", "created_at": "2026-05-01T10:00:00Z", "snapshot_id": "s",
               "sql_hash": "h", "sql_text": "SELECT 1", "status": "succeeded"}),
    )]);
    let run = stub.client().get_query_run().id("qrun_1").send().await.expect("ok");
    assert_eq!(run.status, types::QueryRunStatus::Succeeded);
    assert_eq!(stub.only().path(), "/v1/query-runs/qrun_1");
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn refresh_body() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"id": "job_1", "status": "pending", "status_url": "/v1/jobs/job_1"}),
    )]);
    stub.client()
        .refresh()
        .body_map(|b| {
            b.connection_id(Some("conn_1".to_owned()))
                .data(Some(true))
                .async_(Some(true))
        })
        .send()
        .await
        .expect("ok");
    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("POST", "/v1/refresh"));
    assert_json_body(&r, json!({"connection_id": "conn_1", "data": true, "async": true}));
}

#[tokio::test]
async fn results_get_with_format_and_slice() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(200, json!({"result_id": "res_1", "status": "ready"}))]);
    let res = stub
        .client()
        .get_result()
        .id("res_1")
        .offset(100u64)
        .limit(50u64)
        .format(types::ResultFormat::Json)
        .send()
        .await
        .expect("ok");
    assert_eq!(res.status, types::ResultStatus::Ready);
    let r = stub.only();
    assert_eq!(r.path(), "/v1/results/res_1");
    let mut pairs: Vec<&str> = r.query().split('&').collect();
    pairs.sort();
    assert_eq!(pairs, ["format=json", "limit=50", "offset=100"]);
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn sandboxes_update_is_a_patch() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"ok": true, "sandbox": {"public_id": "sb_1", "name": "n", "markdown": "m",
               "created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z"}}),
    )]);
    stub.client()
        .update_sandbox()
        .public_id("sb_1")
        .body_map(|b| b.markdown(Some("m".to_owned())))
        .send()
        .await
        .expect("ok");
    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("PATCH", "/v1/sandboxes/sb_1"));
    assert_json_body(&r, json!({"markdown": "m"}));
}

#[tokio::test]
async fn saved_queries_execute_with_version() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"columns": [], "nullable": [], "rows": [], "row_count": 0, "execution_time_ms": 1,
               "query_run_id": "qrun_3"}),
    )]);
    stub.client()
        .api()
        .execute_saved_query()
        .id("sq_1")
        .body_map(|b| b.version(Some(2)))
        .send()
        .await
        .expect("ok");
    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("POST", "/v1/queries/sq_1/execute"));
    assert_json_body(&r, json!({"version": 2}));
}

#[tokio::test]
async fn saved_queries_execute_into_exact_rows() {
    let stub = Stub::start().await;
    let body = r#"{"columns":["d"],"nullable":[false],"rows":[[99999999999999999999.99]],"row_count":1,
                   "execution_time_ms":1,"query_run_id":"qrun_4"}"#;
    stub.reply([
        Canned::raw(200, "application/json", body.as_bytes().to_vec()),
        Canned::raw(200, "application/json", body.as_bytes().to_vec()),
    ]);
    let client = stub.client();
    let rows = client.execute_saved_query("sq/1").await.expect("rows");
    assert_eq!(rows.row(0).unwrap().raw("d"), Some("99999999999999999999.99"));
    client.execute_saved_query("sq_1").version(3).await.expect("rows");
    let seen = stub.received();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path()),
        ("POST", "/v1/queries/sq%2F1/execute")
    );
    assert_json_body(&seen[0], json!({}));
    assert_json_body(&seen[1], json!({"version": 3}));
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn secrets_create_and_encoded_get() {
    let stub = Stub::start().await;
    stub.reply([
        Canned::json(
            201,
            json!({"id": "secr_1", "name": "pg pass", "created_at": "2026-05-01T10:00:00Z"}),
        ),
        Canned::json(
            200,
            json!({"name": "pg pass", "created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z"}),
        ),
    ]);
    let client = stub.client();
    client
        .create_secret()
        .body_map(|b| b.name("pg pass").value("hunter2"))
        .send()
        .await
        .expect("created");
    client.get_secret().name("pg pass").send().await.expect("got");
    let [create, get] = <[Recorded; 2]>::try_from(stub.received()).expect("two");
    assert_eq!((create.method.as_str(), create.path()), ("POST", "/v1/secrets"));
    assert_json_body(&create, json!({"name": "pg pass", "value": "hunter2"}));
    assert_eq!((get.method.as_str(), get.path()), ("GET", "/v1/secrets/pg%20pass"));
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn uploads_send_raw_bytes() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        201,
        json!({"id": "upl_1", "created_at": "2026-05-01T10:00:00Z", "size_bytes": 4, "status": "pending"}),
    )]);
    let up = stub
        .client()
        .api()
        .upload_file()
        .body(b"PAR1".to_vec())
        .send()
        .await
        .expect("ok");
    assert_eq!(up.status, types::UploadStatus::Pending);
    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("POST", "/v1/files"));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.body, b"PAR1");
    assert_common(&r);
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn workspace_context_delete() {
    let stub = Stub::start().await;
    stub.reply([Canned::empty(204)]);
    let done = stub
        .client()
        .delete_workspace_context()
        .name("notes")
        .send()
        .await
        .expect("ok");
    assert_eq!(done.status().as_u16(), 204);
    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("DELETE", "/v1/context/notes"));
}

#[tokio::test]
async fn workspaces_list_with_organization() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        200,
        json!({"ok": true, "workspaces": [{"public_id": "ws_abc123", "name": "prod", "active": true,
               "favorite": false, "provision_status": "provisioned", "namespace": "workspace-ws_abc123"}]}),
    )]);
    let got = stub
        .client()
        .list_workspaces()
        .organization_public_id("org_1")
        .send()
        .await
        .expect("ok");
    assert_eq!(got.workspaces[0].provision_status, types::ProvisionStatus::Provisioned);
    let r = stub.only();
    assert_eq!(
        (r.method.as_str(), r.path(), r.query()),
        ("GET", "/v1/workspaces", "organization_public_id=org_1")
    );
    assert_eq!(r.header("authorization"), Some("Bearer test-key"));
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn error_bodies_of_both_shapes_decode() {
    let stub = Stub::start().await;
    stub.reply([
        Canned::json(
            404,
            json!({"error": {"code": "NOT_FOUND", "message": "no such dataset"}}),
        ),
        Canned::json(401, json!({"message": "invalid token", "status": 401})),
    ]);
    let client = stub.client();
    for (want, code, message) in [
        (404u16, Some("NOT_FOUND"), "no such dataset"),
        (401, None, "invalid token"),
    ] {
        let err: hotdata::Error = client
            .get_dataset()
            .id("ds_missing")
            .send()
            .await
            .expect_err("error status");
        assert_eq!(err.status(), Some(want));
        assert_eq!(err.code(), code);
        assert_eq!(err.operation(), Some("get_dataset"));
        let hotdata::Error::Api(api) = &err else {
            panic!("expected an API error, got {err:?}")
        };
        assert_eq!(api.message, message);
    }
}

#[tokio::test]
async fn offset_pagination_streams_every_item_lazily() {
    let stub = Stub::start().await;
    let page = |ids: &[&str], offset: u64, has_more: bool| {
        let items: Vec<_> = ids
            .iter()
            .map(|id| json!({"id": id, "status": "ready", "created_at": "2026-05-01T10:00:00Z"}))
            .collect();
        Canned::json(
            200,
            json!({"results": items, "count": ids.len(), "has_more": has_more, "limit": 2, "offset": offset}),
        )
    };
    stub.reply([
        page(&["a", "b"], 4, true),
        page(&["c", "d"], 6, true),
        page(&["e"], 8, false),
    ]);
    let all: Vec<types::ResultInfo> = stub
        .client()
        .list_results()
        .limit(2)
        .offset(4u64)
        .stream()
        .try_collect()
        .await
        .expect("all pages");
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    let queries: Vec<String> = stub.received().iter().map(|r| r.query().to_owned()).collect();
    assert_eq!(queries, ["limit=2&offset=4", "limit=2&offset=6", "limit=2&offset=8"]);
}

#[tokio::test]
async fn cursor_pagination_follows_next_cursor() {
    let stub = Stub::start().await;
    let page = |ids: &[&str], next: Option<&str>| {
        let runs: Vec<_> = ids
            .iter()
            .map(|id| {
                json!({"id": id, "created_at": "2026-05-01T10:00:00Z", "snapshot_id": "s",
                       "sql_hash": "h", "sql_text": "SELECT 1", "status": "succeeded"})
            })
            .collect();
        Canned::json(
            200,
            json!({"query_runs": runs, "count": ids.len(), "has_more": next.is_some(), "limit": 2, "next_cursor": next}),
        )
    };
    stub.reply([page(&["r1", "r2"], Some("k/2")), page(&["r3"], None)]);
    let client = stub.client();
    let mut pages = client.list_query_runs().limit(2).pages();
    let first = pages.try_next().await.expect("ok").expect("page 1");
    assert_eq!(first.query_runs.len(), 2);
    // Lazy: the second page is not requested until asked for.
    assert_eq!(stub.received().len(), 1);
    let second = pages.try_next().await.expect("ok").expect("page 2");
    assert_eq!(second.query_runs[0].id, "r3");
    assert!(pages.try_next().await.expect("ok").is_none());
    let queries: Vec<String> = stub.received().iter().map(|r| r.query().to_owned()).collect();
    assert_eq!(queries, ["limit=2", "cursor=k%2F2&limit=2"]);
}

/// The futures generated `send()` methods return (the runtime's, since `send()` is a plain `fn`) can move
/// between threads, as `tokio::spawn` needs: one of each kind, JSON, empty and streamed.
#[tokio::test]
async fn generated_send_futures_can_be_spawned() {
    fn spawnable<F: std::future::Future + Send>(f: F) -> F {
        f
    }
    let stub = Stub::start().await;
    stub.reply([Canned::json(200, json!({"ok": true, "workspaces": []}))]);
    let client = stub.client();
    let api = client.api();
    drop(spawnable(api.delete_connection().connection_id("c").send()));
    drop(spawnable(api.query().body_map(|b| b.sql("SELECT 1")).send()));
    let listed = spawnable(api.list_workspaces().send()).await.expect("200");
    assert_eq!(listed.status().as_u16(), 200);
    let owned = client.clone();
    let joined = tokio::spawn(async move { owned.api().list_workspaces().send().await.map(|r| r.status().as_u16()) });
    stub.reply([Canned::json(200, json!({"ok": true, "workspaces": []}))]);
    assert_eq!(joined.await.expect("joined").expect("200"), 200);
}
