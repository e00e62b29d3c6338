//! End to end through the `hotdata` SDK, live October 2026 contract: inline CSV loads in every mode into a database
//! table, idempotent load retries, forks that go their own way (with lineage and lookup by name), and bulk creation
//! as a job with batch reads and deletes. The wire-level twin of these flows is `live_databases.rs`; here every call
//! goes through the typed operations on `hotdata::Client`, and every table state is read back with real SQL.

mod sdk;

use hotdata::outcomes::LoadDatabaseTableOutcome;
use hotdata::prelude::*;
use hotdata::types::{self, LoadMode};
use sdk::{Sdk, expect, quick_wait, table};

/// A server on the live contract (the default configuration), validated strictly.
async fn live() -> Sdk {
    Sdk::with(hotdata_local::Config::default()).await
}

/// A table declaration with `name` and, when given, a key.
fn table_decl(name: &str, key: &[&str]) -> types::DatabaseDefaultTableDecl {
    let key: Vec<String> = key.iter().map(|k| k.to_string()).collect();
    types::DatabaseDefaultTableDecl::builder()
        .name(name)
        .key(key)
        .try_into()
        .expect("name and key make a table declaration")
}

/// Creates database `name` declaring `schema.table` keyed by `key`; returns the creation answer.
async fn create_db(sdk: &Sdk, name: &str, schema: &str, tbl: &str, key: &[&str]) -> types::CreateDatabaseResponse {
    let schemas = vec![types::DatabaseDefaultSchemaDecl {
        name: schema.to_owned(),
        tables: vec![table_decl(tbl, key)],
    }];
    let name = name.to_owned();
    let created = sdk
        .client
        .create_database()
        .body_map(|b| b.name(Some(name)).schemas(schemas))
        .send()
        .await
        .expect("database created");
    assert_eq!(created.status().as_u16(), 201);
    let created = created.into_inner();
    assert_eq!(created.created, Some(true));
    created
}

/// Sends an inline CSV load and returns the SDK's answer (typed by status) or its typed error.
async fn try_load(
    sdk: &Sdk,
    db: &str,
    schema: &str,
    tbl: &str,
    mode: LoadMode,
    csv: &str,
    idempotency_key: Option<&str>,
) -> Result<LoadDatabaseTableOutcome, hotdata::Error> {
    let csv = csv.to_owned();
    let key: Option<types::LoadManagedTableRequestIdempotencyKey> =
        idempotency_key.map(|k| k.parse().expect("a valid idempotency key"));
    sdk.client
        .load_database_table()
        .database_id(db)
        .schema(schema)
        .table(tbl)
        .body_map(|b| {
            let b = b.mode(mode).data(csv);
            match key {
                Some(k) => b.idempotency_key(k),
                None => b,
            }
        })
        .send_outcome()
        .await
        .map(|r| r.into_inner())
}

/// An inline CSV load that must finish synchronously (200); returns its result.
async fn load(
    sdk: &Sdk,
    db: &str,
    schema: &str,
    tbl: &str,
    mode: LoadMode,
    csv: &str,
) -> types::LoadManagedTableResponse {
    match try_load(sdk, db, schema, tbl, mode.clone(), csv, None).await {
        Ok(LoadDatabaseTableOutcome::Ok(done)) => done,
        other => panic!("{mode:?} load into {schema}.{tbl}: {other:?}"),
    }
}

/// Runs `sql` in database `db`'s scope and returns the cells as text.
async fn rows_in(sdk: &Sdk, db: &str, sql: &str) -> Vec<Vec<String>> {
    let rows = sdk
        .client
        .query(sql)
        .database(db)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    table(&rows)
}

#[tokio::test]
async fn every_load_mode_changes_the_table_as_sql_then_sees_it() {
    let sdk = live().await;
    let db = create_db(&sdk, "modes", "main", "people", &["id"]).await;
    let all = "SELECT id, name FROM main.people ORDER BY id";

    let r = load(
        &sdk,
        &db.id,
        "main",
        "people",
        LoadMode::Replace,
        "id,name\n1,ann\n2,bob\n",
    )
    .await;
    assert_eq!(
        (r.row_count, r.schema_name.as_str(), r.table_name.as_str()),
        (2, "main", "people")
    );
    assert_eq!(r.connection_id, db.default_connection_id);
    assert!(r.arrow_schema_json.contains("name"), "{}", r.arrow_schema_json);
    assert_eq!(
        rows_in(&sdk, &db.id, all).await,
        expect(&[&["1", "ann"], &["2", "bob"]])
    );

    let r = load(&sdk, &db.id, "main", "people", LoadMode::Append, "id,name\n3,cy\n").await;
    assert_eq!(r.row_count, 3);
    assert_eq!(
        rows_in(&sdk, &db.id, all).await,
        expect(&[&["1", "ann"], &["2", "bob"], &["3", "cy"]])
    );

    // Upsert by the declared key: 2 changes, 4 arrives.
    let r = load(
        &sdk,
        &db.id,
        "main",
        "people",
        LoadMode::Upsert,
        "id,name\n2,bea\n4,dee\n",
    )
    .await;
    assert_eq!(r.row_count, 4);
    assert_eq!(
        rows_in(&sdk, &db.id, all).await,
        expect(&[&["1", "ann"], &["2", "bea"], &["3", "cy"], &["4", "dee"]])
    );

    // Update touches only keys already there: 9 is ignored.
    let r = load(
        &sdk,
        &db.id,
        "main",
        "people",
        LoadMode::Update,
        "id,name\n1,al\n9,zed\n",
    )
    .await;
    assert_eq!(r.row_count, 4);
    assert_eq!(
        rows_in(&sdk, &db.id, all).await,
        expect(&[&["1", "al"], &["2", "bea"], &["3", "cy"], &["4", "dee"]])
    );

    // Delete by key; an absent key (7) changes nothing.
    let r = load(&sdk, &db.id, "main", "people", LoadMode::Delete, "id\n2\n7\n").await;
    assert_eq!(r.row_count, 3);
    assert_eq!(
        rows_in(&sdk, &db.id, all).await,
        expect(&[&["1", "al"], &["3", "cy"], &["4", "dee"]])
    );

    // A keyed mode on a table with no declared key and none in the request is a typed 400.
    let err = try_load(&sdk, &db.id, "main", "loose", LoadMode::Upsert, "id\n1\n", None)
        .await
        .expect_err("upsert without a key");
    assert_eq!(err.status(), Some(400), "{err}");

    // With the key given in the request, an undeclared table takes keyed loads too.
    let keyed = |mode: LoadMode, csv: &'static str| {
        let sdk = &sdk;
        let db = db.id.clone();
        async move {
            sdk.client
                .load_database_table()
                .database_id(db)
                .schema("main")
                .table("loose")
                .body_map(|b| b.mode(mode).data(csv.to_owned()).key(vec!["k".to_owned()]))
                .send_outcome()
                .await
                .expect("keyed load with the key in the request")
                .into_inner()
        }
    };
    assert!(matches!(
        keyed(LoadMode::Replace, "k,v\na,1\nb,2\n").await,
        LoadDatabaseTableOutcome::Ok(_)
    ));
    keyed(LoadMode::Upsert, "k,v\nb,20\nc,30\n").await;
    assert_eq!(
        rows_in(&sdk, &db.id, "SELECT k, v FROM main.loose ORDER BY k").await,
        expect(&[&["a", "1"], &["b", "20"], &["c", "30"]])
    );
    sdk.finish();
}

#[tokio::test]
async fn an_idempotent_load_retry_loads_once_and_a_changed_body_is_a_typed_conflict() {
    let sdk = live().await;
    let db = create_db(&sdk, "retry", "main", "events", &["id"]).await;
    load(&sdk, &db.id, "main", "events", LoadMode::Replace, "id,what\n1,start\n").await;

    let csv = "id,what\n2,click\n3,scroll\n";
    let first = try_load(&sdk, &db.id, "main", "events", LoadMode::Append, csv, Some("load-42"))
        .await
        .expect("first attempt");
    let second = try_load(&sdk, &db.id, "main", "events", LoadMode::Append, csv, Some("load-42"))
        .await
        .expect("the retry replays");
    let (LoadDatabaseTableOutcome::Ok(first), LoadDatabaseTableOutcome::Ok(second)) = (first, second) else {
        panic!("both attempts should finish synchronously");
    };
    // The generated response types implement neither `PartialEq` nor (by default) `Serialize`; `Debug` shows
    // every field they hold.
    assert_eq!(
        format!("{first:?}"),
        format!("{second:?}"),
        "the same answer both times"
    );
    assert_eq!(first.row_count, 3);
    assert_eq!(
        rows_in(&sdk, &db.id, "SELECT id, what FROM main.events ORDER BY id").await,
        expect(&[&["1", "start"], &["2", "click"], &["3", "scroll"]]),
        "the rows arrived once"
    );

    let err = try_load(
        &sdk,
        &db.id,
        "main",
        "events",
        LoadMode::Append,
        "id,what\n4,other\n",
        Some("load-42"),
    )
    .await
    .expect_err("same key, different body");
    assert_eq!(err.status(), Some(409), "{err}");
    assert_eq!(err.code(), Some("IDEMPOTENCY_KEY_CONFLICT"));
    assert!(matches!(err, hotdata::Error::Api(_)), "{err:?}");
    assert_eq!(
        rows_in(&sdk, &db.id, "SELECT count(*) FROM main.events").await,
        expect(&[&["3"]]),
        "the refused body loaded nothing"
    );

    // A different key is a different load.
    try_load(&sdk, &db.id, "main", "events", LoadMode::Append, csv, Some("load-43"))
        .await
        .expect("a new key");
    assert_eq!(
        rows_in(&sdk, &db.id, "SELECT count(*) FROM main.events").await,
        expect(&[&["5"]])
    );
    sdk.finish();
}

#[tokio::test]
async fn a_fork_is_isolated_names_its_source_and_is_found_by_name() {
    let sdk = live().await;
    let src = create_db(&sdk, "shop", "public", "orders", &["id"]).await;
    load(
        &sdk,
        &src.id,
        "public",
        "orders",
        LoadMode::Replace,
        "id,amount\n1,10\n2,20\n",
    )
    .await;
    let detail = sdk.client.get_database().database_id(&src.id).send().await.unwrap();
    assert!(detail.forked_from.is_none());
    assert_eq!(detail.default_schema.as_deref(), Some("public"));

    let fork = sdk
        .client
        .fork_database()
        .database_id(&src.id)
        .body_map(|b| b.description("  try a price change  ".to_owned()))
        .send()
        .await
        .expect("fork");
    assert_eq!(fork.status().as_u16(), 201);
    let fork = fork.into_inner();
    assert_ne!(fork.id, src.id);
    assert_ne!(fork.default_connection_id, src.default_connection_id);
    let from = fork.forked_from.as_ref().expect("a fork says where it came from");
    assert_eq!(from.database_id, src.id);
    assert_eq!(from.name.as_deref(), Some("shop"));
    assert_eq!(from.description.as_deref(), Some("try a price change"));
    assert!(from.snapshot_id.is_some());
    let fork_name = fork.name.clone().expect("a fork gets a name");
    assert!(fork_name.starts_with("shop-"), "{fork_name}");

    // Same rows at first.
    let sum = "SELECT count(*) AS n, sum(amount) AS total FROM orders";
    assert_eq!(rows_in(&sdk, &fork.id, sum).await, expect(&[&["2", "30"]]));

    // Later writes on either side stay on that side.
    load(&sdk, &src.id, "public", "orders", LoadMode::Append, "id,amount\n3,30\n").await;
    load(
        &sdk,
        &fork.id,
        "public",
        "orders",
        LoadMode::Upsert,
        "id,amount\n1,100\n9,900\n",
    )
    .await;
    assert_eq!(rows_in(&sdk, &src.id, sum).await, expect(&[&["3", "60"]]));
    assert_eq!(rows_in(&sdk, &fork.id, sum).await, expect(&[&["3", "1020"]]));
    assert_eq!(
        rows_in(&sdk, &src.id, "SELECT id FROM orders ORDER BY id").await,
        expect(&[&["1"], &["2"], &["3"]])
    );
    assert_eq!(
        rows_in(&sdk, &fork.id, "SELECT id, amount FROM orders ORDER BY id").await,
        expect(&[&["1", "100"], &["2", "20"], &["9", "900"]])
    );

    // Lineage: the fork's single ancestor is the source; the source lists the fork.
    let lineage = sdk
        .client
        .get_database_lineage()
        .database_id(&fork.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lineage.database_id, fork.id);
    assert_eq!(lineage.root_id, src.id);
    assert_eq!(lineage.ancestors.len(), 1);
    assert_eq!(lineage.ancestors[0].database_id, src.id);
    assert_eq!(lineage.ancestors[0].name.as_deref(), Some("shop"));
    assert!(lineage.ancestors[0].exists);
    assert!(!lineage.ancestors_truncated);
    let src_lineage = sdk
        .client
        .get_database_lineage()
        .database_id(&src.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(src_lineage.fork_count, 1);
    assert_eq!(src_lineage.forks[0].database_id, fork.id);

    // Lookup by name: exact, case-insensitive; absent is a typed 404; two matches a typed 409.
    let found = sdk.client.lookup_database_by_name().name("SHOP").send().await.unwrap();
    assert_eq!(found.id, src.id);
    let found = sdk
        .client
        .lookup_database_by_name()
        .name(&fork_name)
        .send()
        .await
        .unwrap();
    assert_eq!(found.id, fork.id);
    assert_eq!(
        found.forked_from.as_ref().map(|f| f.database_id.as_str()),
        Some(src.id.as_str())
    );
    let err = sdk
        .client
        .lookup_database_by_name()
        .name("sho")
        .send()
        .await
        .expect_err("no prefix matching");
    assert_eq!(err.status(), Some(404), "{err}");
    create_db(&sdk, "Shop", "public", "orders", &["id"]).await;
    let err = sdk
        .client
        .lookup_database_by_name()
        .name("shop")
        .send()
        .await
        .expect_err("two databases answer to `shop`");
    assert_eq!(err.status(), Some(409), "{err}");

    // Deleting the source leaves the fork and its data.
    sdk.client.delete_database().database_id(&src.id).send().await.unwrap();
    assert_eq!(rows_in(&sdk, &fork.id, sum).await, expect(&[&["3", "1020"]]));
    let lineage = sdk
        .client
        .get_database_lineage()
        .database_id(&fork.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!lineage.ancestors[0].exists);
    sdk.finish();
}

#[tokio::test]
async fn bulk_creation_is_a_job_whose_batch_is_listed_counted_and_deleted() {
    let sdk = live().await;
    create_db(&sdk, "keeper", "main", "t", &[]).await;
    let count = |batch: Option<String>| {
        let sdk = &sdk;
        async move {
            let mut op = sdk.client.count_databases();
            if let Some(b) = batch {
                op = op.batch(b);
            }
            op.send().await.unwrap().into_inner().total
        }
    };
    assert_eq!(count(None).await, 1);

    let schemas = vec![types::DatabaseDefaultSchemaDecl {
        name: "app".to_owned(),
        tables: vec![table_decl("events", &["id"])],
    }];
    let accepted = sdk
        .client
        .bulk_create_databases()
        .body_map(|b| {
            b.count(std::num::NonZeroU64::new(5).unwrap())
                .name_template("tenant-{index}".to_owned())
                .idempotency_key("bulk-1".to_owned())
                .schemas(schemas)
        })
        .send()
        .await
        .expect("bulk creation accepted");
    assert_eq!(accepted.status().as_u16(), 202);
    let accepted = accepted.into_inner();
    assert_eq!(accepted.count, 5);
    let batch_id = accepted.batch_id.clone();
    let job_id = accepted.job_id.clone().expect("bulk creation runs as a job");
    assert_eq!(
        accepted.status_url.as_deref(),
        Some(format!("/v1/jobs/{job_id}").as_str())
    );

    let job = sdk
        .client
        .job(&job_id)
        .wait_with(quick_wait())
        .await
        .expect("job ends well");
    assert_eq!(job.status, types::JobStatus::Succeeded);
    assert_eq!(job.job_type, types::JobType::BulkCreateDatabases);
    match &job.result {
        Some(types::JobResult::BulkCreateDatabasesResult(r)) => {
            assert_eq!((r.batch_id.as_str(), r.created, r.requested), (batch_id.as_str(), 5, 5));
            assert!(!r.cancelled);
        }
        other => panic!("unexpected job result: {other:?}"),
    }

    let batch = sdk
        .client
        .get_database_batch()
        .batch_id(&batch_id)
        .send()
        .await
        .unwrap();
    assert_eq!((batch.count, batch.created_count), (5, 5));
    assert!(!batch.cancel_requested);
    assert_eq!(batch.job_id.as_deref(), Some(job_id.as_str()));

    let members = sdk
        .client
        .list_databases()
        .batch(&batch_id)
        .limit(std::num::NonZeroU64::new(100).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<String> = members.databases.iter().filter_map(|d| d.name.clone()).collect();
    names.sort();
    let suffix = &batch_id[batch_id.len() - 6..];
    let wanted: Vec<String> = (0..5).map(|i| format!("tenant-{i}-{suffix}")).collect();
    assert_eq!(names, wanted);
    assert_eq!(count(Some(batch_id.clone())).await, 5);
    assert_eq!(count(None).await, 6);

    // The retry with the same idempotency key answers with the same batch and creates nothing.
    let again = sdk
        .client
        .bulk_create_databases()
        .body_map(|b| {
            b.count(std::num::NonZeroU64::new(5).unwrap())
                .name_template("tenant-{index}".to_owned())
                .idempotency_key("bulk-1".to_owned())
                .schemas(vec![types::DatabaseDefaultSchemaDecl {
                    name: "app".to_owned(),
                    tables: vec![table_decl("events", &["id"])],
                }])
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.batch_id, batch_id);
    assert_eq!(count(None).await, 6);

    // Every member carries the declared table: load one and query it.
    let first = &members.databases[0].id;
    load(&sdk, first, "app", "events", LoadMode::Upsert, "id,kind\n1,a\n2,c\n").await;
    load(&sdk, first, "app", "events", LoadMode::Upsert, "id,kind\n2,d\n").await;
    assert_eq!(
        rows_in(&sdk, first, "SELECT id, kind FROM app.events ORDER BY id").await,
        expect(&[&["1", "a"], &["2", "d"]])
    );

    // A member holding data blocks the batch delete (typed 409); without it the batch goes.
    let err = sdk
        .client
        .delete_database_batch()
        .batch_id(&batch_id)
        .send()
        .await
        .expect_err("a member holds data");
    assert_eq!(err.status(), Some(409), "{err}");
    sdk.client.delete_database().database_id(first).send().await.unwrap();
    let gone = sdk
        .client
        .delete_database_batch()
        .batch_id(&batch_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((gone.batch_id.as_str(), gone.deleted_count), (batch_id.as_str(), 4));
    assert_eq!(count(Some(batch_id.clone())).await, 0);
    assert_eq!(count(None).await, 1, "only the database made outside the batch is left");
    let err = sdk
        .client
        .get_database_batch()
        .batch_id(&batch_id)
        .send()
        .await
        .expect_err("the batch is gone");
    assert_eq!(err.status(), Some(404), "{err}");
    sdk.finish();
}

#[tokio::test]
async fn async_loads_run_as_jobs_stored_results_feed_tables_and_creation_can_match_by_name() {
    let sdk = live().await;
    let db = create_db(&sdk, "jobs", "main", "people", &["id"]).await;
    load(&sdk, &db.id, "main", "people", LoadMode::Replace, "id,name\n1,ann\n").await;

    // An asynchronous load answers 202 with a job; waiting on it through the SDK yields the load's result.
    let accepted = sdk
        .client
        .load_database_table()
        .database_id(&db.id)
        .schema("main")
        .table("people")
        .body_map(|b| {
            b.mode(LoadMode::Append)
                .data("id,name\n2,bob\n".to_owned())
                .async_(true)
        })
        .send_outcome()
        .await
        .expect("async load accepted")
        .into_inner();
    let LoadDatabaseTableOutcome::Accepted(submitted) = accepted else {
        panic!("an async load should be accepted as a job: {accepted:?}");
    };
    assert_eq!(submitted.status_url, format!("/v1/jobs/{}", submitted.id));
    let job = sdk
        .client
        .job(&submitted.id)
        .wait_with(quick_wait())
        .await
        .expect("the load job ends well");
    assert_eq!(job.status, types::JobStatus::Succeeded);
    match &job.result {
        Some(types::JobResult::LoadManagedTableResponse(r)) => {
            assert_eq!((r.row_count, r.table_name.as_str()), (2, "people"));
        }
        other => panic!("unexpected job result: {other:?}"),
    }
    assert_eq!(
        rows_in(&sdk, &db.id, "SELECT id, name FROM main.people ORDER BY id").await,
        expect(&[&["1", "ann"], &["2", "bob"]])
    );

    // A query's stored result upserts into the table by its key.
    let stored = sdk
        .client
        .query("SELECT 2 AS id, 'bea' AS name UNION ALL SELECT 3, 'cy'")
        .database(&db.id)
        .await
        .expect("query");
    let result_id = stored.result_id().expect("the query's result is stored").to_owned();
    let from_result = sdk
        .client
        .load_database_table()
        .database_id(&db.id)
        .schema("main")
        .table("people")
        .body_map(|b| b.mode(LoadMode::Upsert).result_id(result_id))
        .send_outcome()
        .await
        .expect("load from a stored result")
        .into_inner();
    let LoadDatabaseTableOutcome::Ok(from_result) = from_result else {
        panic!("a load without `async` finishes in the call: {from_result:?}");
    };
    assert_eq!(from_result.row_count, 3);
    assert_eq!(
        rows_in(&sdk, &db.id, "SELECT id, name FROM main.people ORDER BY id").await,
        expect(&[&["1", "ann"], &["2", "bea"], &["3", "cy"]])
    );

    // Creating with `if_not_exists` under a taken name (trimmed, any case) returns that database: 200, not created.
    let again = sdk
        .client
        .create_database()
        .body_map(|b| b.name(Some(" JOBS ".to_owned())).if_not_exists(Some(true)))
        .send()
        .await
        .expect("get-or-create");
    assert_eq!(again.status().as_u16(), 200);
    let again = again.into_inner();
    assert_eq!((again.id.as_str(), again.created), (db.id.as_str(), Some(false)));
    assert_eq!(sdk.client.count_databases().send().await.unwrap().total, 1);
    sdk.finish();
}
