//! End to end through the `hotdata` SDK's hand-written load and database flows (`Client::load`, `Client::database`
//! and its handle, lookup by name, counts, bulk batches, constant-per-key), live October 2026 contract. Every table
//! state is read back with real SQL through `Database::query`; faults are injected by the server.

mod sdk;

use std::time::Duration;

use hotdata::Error;
use hotdata::loads::{LoadMode, LoadOutcome};
use hotdata::prelude::*;
use hotdata::types;
use hotdata_local::Fault;
use sdk::{Sdk, expect, quick_wait, table};

/// A server on the live contract (the default configuration), validated strictly.
async fn live() -> Sdk {
    Sdk::with(hotdata_local::Config::default()).await
}

/// Creates an empty database named `name` (the generated operation: the SDK has no flow of its own for it).
async fn create(sdk: &Sdk, name: &str) -> hotdata::Database {
    let name = name.to_owned();
    let created = sdk
        .client
        .create_database()
        .body_map(|b| b.name(Some(name)))
        .send()
        .await
        .expect("database created")
        .into_inner();
    sdk.client.database(created.id)
}

/// Creates database `name` declaring `main.<tbl>` keyed by `key`.
async fn create_keyed(sdk: &Sdk, name: &str, tbl: &str, key: &[&str]) -> hotdata::Database {
    let decl: types::DatabaseDefaultTableDecl = types::DatabaseDefaultTableDecl::builder()
        .name(tbl)
        .key(key.iter().map(|k| k.to_string()).collect::<Vec<_>>())
        .try_into()
        .expect("a table declaration");
    let schemas = vec![types::DatabaseDefaultSchemaDecl {
        name: "main".to_owned(),
        tables: vec![decl],
    }];
    let name = name.to_owned();
    let created = sdk
        .client
        .create_database()
        .body_map(|b| b.name(Some(name)).schemas(schemas))
        .send()
        .await
        .expect("database created")
        .into_inner();
    sdk.client.database(created.id)
}

/// `sql` in `db`'s scope, as text cells.
async fn sql(db: &hotdata::Database, sql: &str) -> Vec<Vec<String>> {
    let rows = db.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    table(&rows)
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

/// The path prefix of loads into `main.<tbl>` of `db`.
fn loads_path(db: &hotdata::Database, tbl: &str) -> String {
    format!("/v1/databases/{}/schemas/main/tables/{tbl}/loads", db.id())
}

#[tokio::test]
async fn every_mode_of_load_changes_the_table_as_sql_then_sees_it() {
    let sdk = live().await;
    let db = create(&sdk, "modes").await;
    let all = "SELECT id, name FROM main.people ORDER BY id";

    let r = db
        .load("main", "people")
        .from_csv("id,name\n1,ann\n2,bob\n")
        .mode(LoadMode::Replace)
        .await
        .expect("replace");
    assert_eq!(
        (r.row_count, r.schema_name.as_str(), r.table_name.as_str()),
        (2, "main", "people")
    );
    assert_eq!(sql(&db, all).await, expect(&[&["1", "ann"], &["2", "bob"]]));

    let r = db
        .load("main", "people")
        .from_csv("id,name\n3,cy\n")
        .mode(LoadMode::Append)
        .await
        .expect("append");
    assert_eq!(r.row_count, 3);
    assert_eq!(
        sql(&db, all).await,
        expect(&[&["1", "ann"], &["2", "bob"], &["3", "cy"]])
    );

    // Upsert on `id`: 2 changes, 4 arrives.
    let r = db
        .load("main", "people")
        .from_csv("id,name\n2,bea\n4,dee\n")
        .mode(LoadMode::Upsert { keys: keys(&["id"]) })
        .await
        .expect("upsert");
    assert_eq!(r.row_count, 4);
    assert_eq!(
        sql(&db, all).await,
        expect(&[&["1", "ann"], &["2", "bea"], &["3", "cy"], &["4", "dee"]])
    );

    // Update on `id`: 3 changes, 9 is not there and is dropped.
    let r = db
        .load("main", "people")
        .from_csv("id,name\n3,cyd\n9,zed\n")
        .mode(LoadMode::Update { keys: keys(&["id"]) })
        .await
        .expect("update");
    assert_eq!(r.row_count, 4);
    assert_eq!(
        sql(&db, all).await,
        expect(&[&["1", "ann"], &["2", "bea"], &["3", "cyd"], &["4", "dee"]])
    );

    // Delete on `id`, key columns only.
    let r = db
        .load("main", "people")
        .from_csv("id\n1\n4\n")
        .mode(LoadMode::Delete { keys: keys(&["id"]) })
        .await
        .expect("delete");
    assert_eq!(r.row_count, 2);
    assert_eq!(sql(&db, all).await, expect(&[&["2", "bea"], &["3", "cyd"]]));

    // Declared column types for inline CSV: `amount` becomes a two-place decimal.
    let r = db
        .load("main", "prices")
        .from_csv("id,amount\n1,2.5\n")
        .column("id", "BIGINT")
        .column("amount", "DECIMAL(10,2)")
        .mode(LoadMode::Replace)
        .await
        .expect("typed columns");
    assert_eq!(r.row_count, 1);
    assert_eq!(
        sql(&db, "SELECT id, amount FROM main.prices").await,
        expect(&[&["1", "2.50"]])
    );
    sdk.finish();
}

#[tokio::test]
async fn a_keyed_load_may_use_the_declared_key_only_when_it_says_so() {
    let sdk = live().await;
    let db = create_keyed(&sdk, "declared", "items", &["sku"]).await;
    db.load("main", "items")
        .from_csv("sku,qty\na,1\nb,2\n")
        .mode(LoadMode::Replace)
        .await
        .expect("replace");
    sdk.server.reset_hits();

    // No keys and no `declared_key()`: refused before anything is sent.
    for mode in [
        LoadMode::Delete { keys: vec![] },
        LoadMode::Update { keys: vec![] },
        LoadMode::Upsert { keys: vec![] },
    ] {
        let err = db
            .load("main", "items")
            .from_csv("sku,qty\nb,5\n")
            .mode(mode.clone())
            .await
            .expect_err("a keyed mode without keys");
        match &err {
            Error::InvalidArgument { argument, message, .. } => {
                assert_eq!(argument, "mode");
                assert!(message.contains("declared_key"), "{message}");
            }
            other => panic!("{mode:?}: {other:?}"),
        }
    }
    assert_eq!(sdk.server.hits("load_database_table"), 0, "nothing was sent");

    // With `declared_key()` the table's own key (`sku`) applies.
    db.load("main", "items")
        .from_csv("sku,qty\nb,5\nc,1\n")
        .mode(LoadMode::Upsert { keys: vec![] })
        .declared_key()
        .await
        .expect("upsert on the declared key");
    assert_eq!(
        sql(&db, "SELECT sku, qty FROM main.items ORDER BY sku").await,
        expect(&[&["a", "1"], &["b", "5"], &["c", "1"]])
    );
    sdk.finish();
}

#[tokio::test]
async fn an_inline_load_whose_answer_is_lost_is_resent_with_its_key_and_loads_once() {
    let sdk = live().await;
    let db = create(&sdk, "retries").await;
    db.load("main", "events")
        .from_csv("id,what\n1,start\n")
        .mode(LoadMode::Replace)
        .await
        .expect("replace");
    sdk.server.reset_hits();

    // The server appends the rows, then the connection drops before the answer: the client cannot know whether
    // the load happened. The body carries the call's idempotency key, so the transport sends it again, and the
    // server answers the repeat with the first outcome instead of loading twice.
    sdk.server
        .faults()
        .push_for(&loads_path(&db, "events"), Fault::ResetAfterHandling, 1);
    let r = db
        .load("main", "events")
        .from_csv("id,what\n2,click\n3,scroll\n")
        .mode(LoadMode::Append)
        .await
        .expect("the resent load answers");
    assert_eq!(sdk.server.hits("load_database_table"), 2, "sent twice");
    assert_eq!(r.row_count, 3, "the first outcome, replayed");
    assert_eq!(
        sql(&db, "SELECT id, what FROM main.events ORDER BY id").await,
        expect(&[&["1", "start"], &["2", "click"], &["3", "scroll"]]),
        "the rows arrived once"
    );

    // A caller-given key behaves the same, and a later call with the same key and body (say, from a restarted
    // process) is answered from the first without loading again.
    sdk.server
        .faults()
        .push_for(&loads_path(&db, "events"), Fault::ResetAfterHandling, 1);
    let once = || {
        db.load("main", "events")
            .from_csv("id,what\n4,buy\n")
            .mode(LoadMode::Append)
            .idempotency_key("order-4")
    };
    assert_eq!(once().await.expect("given key").row_count, 4);
    assert_eq!(once().await.expect("same key again").row_count, 4);
    assert_eq!(sql(&db, "SELECT count(*) FROM main.events").await, expect(&[&["4"]]));

    // The same key with another body is a typed conflict and loads nothing.
    let err = db
        .load("main", "events")
        .from_csv("id,what\n5,other\n")
        .mode(LoadMode::Append)
        .idempotency_key("order-4")
        .await
        .expect_err("same key, different body");
    assert_eq!(
        (err.status(), err.code()),
        (Some(409), Some("IDEMPOTENCY_KEY_CONFLICT"))
    );
    assert_eq!(sql(&db, "SELECT count(*) FROM main.events").await, expect(&[&["4"]]));

    // An upload load may not carry a key (the spec allows one only with inline data), so after the same lost
    // answer it is not resent: the caller gets the transport error, and the single attempt did load.
    let upload = sdk
        .client
        .upload(
            std::io::Cursor::new(b"id,what\n6,upload\n".to_vec()),
            hotdata::UploadOptions::new().content_type("text/csv"),
        )
        .await
        .expect("upload");
    sdk.server.reset_hits();
    sdk.server
        .faults()
        .push_for(&loads_path(&db, "events"), Fault::ResetAfterHandling, 1);
    let err = db
        .load("main", "events")
        .from_upload(upload.upload_id)
        .format(types::DataFormat::Csv)
        .mode(LoadMode::Append)
        .await
        .expect_err("no key, no resend");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(sdk.server.hits("load_database_table"), 1, "sent once");
    assert_eq!(sql(&db, "SELECT count(*) FROM main.events").await, expect(&[&["5"]]));
    sdk.finish();
}

#[tokio::test]
async fn submitted_loads_are_jobs_to_wait_on_and_result_loads_finish_at_once() {
    let sdk = live().await;
    let db = create(&sdk, "jobs").await;

    let outcome = db
        .load("main", "logs")
        .from_csv("id,line\n1,boot\n2,ready\n")
        .mode(LoadMode::Replace)
        .submit()
        .await
        .expect("submitted");
    let LoadOutcome::Running(job) = outcome else {
        panic!("an inline submitted load is a job: {outcome:?}");
    };
    assert!(!job.id().is_empty());
    let loaded = job.wait_with(quick_wait()).await.expect("the job ends");
    assert_eq!((loaded.row_count, loaded.table_name.as_str()), (2, "logs"));
    assert_eq!(
        sql(&db, "SELECT id, line FROM main.logs ORDER BY id").await,
        expect(&[&["1", "boot"], &["2", "ready"]])
    );

    // An upload, submitted; the job is resumed from its id alone.
    let upload = sdk
        .client
        .upload(
            std::io::Cursor::new(b"id,line\n3,serve\n".to_vec()),
            hotdata::UploadOptions::new().content_type("text/csv"),
        )
        .await
        .expect("upload");
    let outcome = db
        .load("main", "logs")
        .from_upload(upload.upload_id)
        .format(types::DataFormat::Csv)
        .mode(LoadMode::Append)
        .submit()
        .await
        .expect("submitted");
    let LoadOutcome::Running(job) = outcome else {
        panic!("an upload submitted load is a job: {outcome:?}");
    };
    let resumed = hotdata::loads::LoadJob::from(sdk.client.job(job.id().to_owned()));
    assert_eq!(resumed.wait_with(quick_wait()).await.expect("job").row_count, 3);

    // `async_after` gives the load time to finish: a small one is done in time.
    let outcome = db
        .load("main", "logs")
        .from_csv("id,line\n4,idle\n")
        .mode(LoadMode::Append)
        .async_after(Duration::from_secs(10))
        .await
        .expect("async_after");
    let LoadOutcome::Done(done) = outcome else {
        panic!("a small load finishes within 10 s: {outcome:?}");
    };
    assert_eq!(done.row_count, 4);

    // A stored result feeds another table; submitted, it still finishes before the answer.
    let rows = db
        .query("SELECT id * 10 AS id, line FROM main.logs WHERE id <= 2")
        .await
        .expect("query");
    let result_id = rows.result_id().expect("a stored result").to_owned();
    let outcome = db
        .load("main", "copied")
        .from_result(result_id)
        .mode(LoadMode::Replace)
        .submit()
        .await
        .expect("result load");
    let LoadOutcome::Done(done) = outcome else {
        panic!("result loads run to the end: {outcome:?}");
    };
    assert_eq!(done.row_count, 2);
    assert_eq!(
        sql(&db, "SELECT id, line FROM main.copied ORDER BY id").await,
        expect(&[&["10", "boot"], &["20", "ready"]])
    );
    sdk.finish();
}

#[tokio::test]
async fn a_fork_through_the_handle_goes_its_own_way_and_both_lineages_say_so() {
    let sdk = live().await;
    let shop = create(&sdk, "shop").await;
    shop.load("main", "prices")
        .from_csv("id,amount\n1,10\n2,20\n")
        .mode(LoadMode::Replace)
        .await
        .expect("load");
    let details = shop.get().await.expect("details");
    assert_eq!(details.id, shop.id());
    assert!(details.forked_from.is_none());

    let fork = shop.fork().description("try a price change").await.expect("fork");
    let trial = fork.database.clone();
    assert_ne!(trial.id(), shop.id());
    let from = fork.response.forked_from.as_ref().expect("forked_from");
    assert_eq!(from.database_id, shop.id());
    assert_eq!(from.description.as_deref(), Some("try a price change"));

    // The fork holds the data; a load into it leaves the source alone.
    trial
        .load("main", "prices")
        .from_csv("id,amount\n1,99\n")
        .mode(LoadMode::Upsert { keys: keys(&["id"]) })
        .await
        .expect("load into the fork");
    let prices = "SELECT id, amount FROM main.prices ORDER BY id";
    assert_eq!(sql(&trial, prices).await, expect(&[&["1", "99"], &["2", "20"]]));
    assert_eq!(sql(&shop, prices).await, expect(&[&["1", "10"], &["2", "20"]]));

    let up = trial.lineage().await.expect("fork's lineage");
    assert_eq!(up.database_id, trial.id());
    assert_eq!(up.root_id, shop.id());
    assert_eq!(up.ancestors.len(), 1);
    assert_eq!(up.ancestors[0].database_id, shop.id());
    assert_eq!(up.ancestors[0].description.as_deref(), Some("try a price change"));

    // A second fork; the source lists both, newest first, and a limit cuts the list but not the count.
    let second = shop.fork().name("shop-second").await.expect("second fork");
    let down = shop.lineage().await.expect("source's lineage");
    assert_eq!(down.fork_count, 2);
    let ids: Vec<&str> = down.forks.iter().map(|f| f.database_id.as_str()).collect();
    assert_eq!(ids, [second.database.id(), trial.id()]);
    let cut = shop.lineage_with_forks_limit(1).await.expect("limited lineage");
    assert_eq!((cut.forks.len(), cut.fork_count), (1, 2));

    // The fork's tables, through the handle.
    let tables = trial.tables().await.expect("tables");
    let names: Vec<(&str, &str)> = tables.iter().map(|t| (t.schema.as_str(), t.table.as_str())).collect();
    assert_eq!(names, [("main", "prices")]);
    let columns: Vec<&str> = tables[0].columns.iter().flatten().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["id", "amount"]);

    // Deleting the fork: gone, and the source's lineage keeps it as history.
    trial.delete().await.expect("delete the fork");
    let err = trial.get().await.expect_err("deleted");
    assert!(err.is_not_found(), "{err:?}");
    let down = shop.lineage().await.expect("source's lineage");
    let gone = down
        .forks
        .iter()
        .find(|f| f.database_id == trial.id())
        .expect("still listed");
    assert!(!gone.exists);
    sdk.finish();
}

#[tokio::test]
async fn lookup_by_name_is_typed_for_none_and_many_and_counts_agree() {
    let sdk = live().await;
    let solo = create(&sdk, "solo").await;
    create(&sdk, "twin").await;
    create(&sdk, "twin").await;

    let found = sdk.client.database_by_name("SOLO").await.expect("case ignored");
    assert_eq!(found.id(), solo.id());

    let none = sdk.client.database_by_name("nobody").await.expect_err("no such name");
    assert!(none.is_not_found(), "{none:?}");
    assert!(!none.is_ambiguous_name());

    let many = sdk.client.database_by_name("twin").await.expect_err("two share it");
    assert!(many.is_ambiguous_name(), "{many:?}");
    assert!(!many.is_not_found());
    assert_eq!(many.status(), Some(409));

    let empty = sdk.client.database_by_name("").await.expect_err("empty name");
    assert!(matches!(empty, Error::InvalidArgument { .. }), "{empty:?}");

    assert_eq!(sdk.client.database_count(None).await.expect("count"), 3);
    assert_eq!(sdk.client.database_count(Some("twi")).await.expect("count"), 2);
    assert_eq!(sdk.client.database_count(Some("nobody")).await.expect("count"), 0);
    sdk.finish();
}

#[tokio::test]
async fn a_bulk_batch_is_a_job_whose_databases_are_listed_counted_and_deleted() {
    let sdk = live().await;
    let batch = sdk
        .client
        .create_database_batch(3)
        .name_template("tenant-{index}")
        .idempotency_key("tenants-1")
        .await
        .expect("batch accepted");
    assert!(batch.job().is_some(), "the creation answer names the job");
    let done = batch.wait_with(quick_wait()).await.expect("batch filled");
    assert_eq!((done.count, done.created_count), (3, 3));
    assert_eq!(done.batch_id, batch.id());

    // The same key answers with the same batch and creates nothing more.
    let again = sdk
        .client
        .create_database_batch(3)
        .name_template("tenant-{index}")
        .idempotency_key("tenants-1")
        .await
        .expect("repeat");
    assert_eq!(again.id(), batch.id());
    assert_eq!(sdk.client.database_count(None).await.expect("count"), 3);

    // A handle made from the id alone reads the same batch.
    let resumed = sdk.client.database_batch(batch.id().to_owned());
    assert_eq!(resumed.get().await.expect("batch").created_count, 3);
    let mut names: Vec<String> = resumed
        .databases()
        .await
        .expect("members")
        .into_iter()
        .filter_map(|d| d.name)
        .collect();
    names.sort();
    assert_eq!(names.len(), 3);
    assert!(names[0].starts_with("tenant-0"), "{names:?}");
    assert_eq!(resumed.count().await.expect("count"), 3);

    // Each member is a database to query; a load into one is a table of its own.
    let first = sdk
        .client
        .database(resumed.databases().await.expect("members")[0].id.clone());
    first
        .load("main", "t")
        .from_csv("x\n1\n")
        .mode(LoadMode::Replace)
        .await
        .expect("load into a member");

    // A batch holding loaded data is not deleted whole.
    let err = resumed.delete().await.expect_err("a member holds data");
    assert_eq!(err.status(), Some(409), "{err:?}");
    first.delete().await.expect("delete the loaded member");
    let removed = resumed.delete().await.expect("batch deleted");
    assert_eq!((removed.batch_id.as_str(), removed.deleted_count), (batch.id(), 2));
    assert_eq!(sdk.client.database_count(None).await.expect("count"), 0);
    assert!(resumed.get().await.expect_err("gone").is_not_found());

    // Arguments the spec refuses are refused before sending.
    let err = sdk.client.create_database_batch(0).await.expect_err("count 0");
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let err = sdk
        .client
        .create_database_batch(2)
        .name_template("same-name")
        .await
        .expect_err("no {index}");
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    sdk.finish();
}

#[tokio::test]
async fn constant_per_key_is_declared_through_the_handle_and_a_managed_table() {
    let sdk = live().await;
    let db = create_keyed(&sdk, "cpk", "orders", &["id"]).await;
    db.load("main", "orders")
        .from_csv("id,customer,amount\n1,c1,10\n")
        .mode(LoadMode::Replace)
        .await
        .expect("load");

    let set = db
        .set_constant_per_key("main", "orders", ["customer"])
        .await
        .expect("declared");
    assert_eq!(set.constant_per_key, ["customer"]);
    assert_eq!((set.schema.as_str(), set.table.as_str()), ("main", "orders"));
    let tables = db.tables().await.expect("tables");
    assert_eq!(tables[0].constant_per_key, ["customer"]);

    // The same table addressed through its connection; an empty list withdraws the declaration.
    let on_connection = hotdata::ManagedTable::in_connection(set.connection_id.clone(), "main", "orders");
    let cleared = sdk
        .client
        .set_constant_per_key(&on_connection, Vec::<String>::new())
        .await
        .expect("withdrawn");
    assert!(cleared.constant_per_key.is_empty());
    assert!(db.tables().await.expect("tables")[0].constant_per_key.is_empty());

    // A load through the connection reaches the same table.
    sdk.client
        .load(on_connection)
        .from_csv("id,customer,amount\n1,c1,15\n2,c2,5\n")
        .mode(LoadMode::Upsert { keys: keys(&["id"]) })
        .await
        .expect("connection-scoped load");
    assert_eq!(
        sql(&db, "SELECT id, amount FROM main.orders ORDER BY id").await,
        expect(&[&["1", "15"], &["2", "5"]])
    );
    sdk.finish();
}

/// The blocking client reaches every hand-written flow through its three adapters, with nothing copied per
/// method: a database handle, an inline load, a scoped query, a fork and its lineage, an Arrow answer read as an
/// iterator, a result stream, and a generated operation, all on the live contract without an async runtime.
#[test]
fn the_blocking_client_runs_the_live_flows_without_a_runtime() {
    let server = hotdata_local::Server::start_background(hotdata_local::Config {
        validation: hotdata_local::Validation::Strict,
        ..hotdata_local::Config::default()
    })
    .expect("server starts");
    let client = sdk::builder(&server).build_blocking().expect("blocking client");

    let created = client
        .run(
            client
                .create_database()
                .body_map(|b| b.name(Some("blocking".to_owned())))
                .send(),
        )
        .expect("database created")
        .into_inner();
    let db = client.database(created.id);
    let loaded = client
        .run(
            db.load("main", "people")
                .from_csv("id,name\n1,ann\n2,bob\n3,cy\n")
                .mode(LoadMode::Replace),
        )
        .expect("inline load");
    assert_eq!(loaded.row_count, 3);

    // Without a database the query is refused before anything is sent: the async client's rules, unchanged.
    let err = client.run(client.query("SELECT 1").rows()).expect_err("no database");
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");

    let rows = client
        .run(db.query("SELECT id, name FROM main.people ORDER BY id").rows())
        .expect("rows");
    assert_eq!(table(&rows), expect(&[&["1", "ann"], &["2", "bob"], &["3", "cy"]]));

    let names: Vec<String> = client
        .iter(
            client
                .result(rows.result_id().expect("a result id"))
                .database(db.id())
                .stream(),
        )
        .map(|row| row.expect("row").get::<String>("name").expect("name"))
        .collect();
    assert_eq!(names, ["ann", "bob", "cy"]);

    let answer = client
        .run(db.query("SELECT count(*) AS n FROM main.people").arrow())
        .expect("arrow answer");
    let counted: usize = client.iter(answer).map(|b| b.expect("batch").num_rows()).sum();
    assert_eq!(counted, 1);

    let fork = client.run(db.fork().name("blocking-fork")).expect("fork");
    let lineage = client.run(fork.database.lineage()).expect("lineage");
    assert_eq!(
        lineage.ancestors.first().map(|a| a.database_id.as_str()),
        Some(db.id()),
        "the fork's lineage names its parent first"
    );
    let jobs = client.run(client.list_jobs().send()).expect("a generated operation");
    assert!(jobs.jobs.len() < 1000);
    server.assert_conformant();
}
