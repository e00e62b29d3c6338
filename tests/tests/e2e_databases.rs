//! End to end, tags `databases`, `database_context`, `connections` (managed loads) and `workspace_context`:
//! managed databases loaded from parquet and queried in their scope, attached catalogs, context entries.

mod sdk;

use hotdata::ManagedTable;
use hotdata::prelude::*;
use hotdata::types::{self, LoadMode};
use hotdata_local::fixtures;
use sdk::{Sdk, expect, table};

async fn create_sales_db(sdk: &Sdk) -> types::CreateDatabaseResponse {
    let schemas = vec![types::DatabaseDefaultSchemaDecl {
        name: "public".to_owned(),
        tables: vec![
            types::DatabaseDefaultTableDecl::builder()
                .name("orders")
                .try_into()
                .expect("a name is all a table declaration needs"),
            types::DatabaseDefaultTableDecl::builder()
                .name("customers")
                .try_into()
                .expect("a name is all a table declaration needs"),
        ],
    }];
    sdk.client
        .create_database()
        .body_map(|b| {
            b.name(Some("sales".to_owned()))
                .expires_at(Some("24h".to_owned()))
                .schemas(schemas)
        })
        .send()
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn parquet_loads_replace_and_append_then_scoped_queries() {
    let sdk = Sdk::start().await;
    let db = create_sales_db(&sdk).await;
    assert!(db.expires_at.is_some());
    let detail = sdk.client.get_database().database_id(&db.id).send().await.unwrap();
    assert_eq!(detail.default_connection_id, db.default_connection_id);
    assert!(detail.attachments.is_empty());
    let listing = sdk.client.list_databases().send().await.unwrap();
    assert_eq!(listing.databases.len(), 1);
    assert_eq!(listing.databases[0].name.as_deref(), Some("sales"));

    let orders = ManagedTable::in_database(&db.id, "public", "orders");
    let loaded = sdk
        .client
        .load_upload(&sdk.upload_orders().await, &orders, LoadMode::Replace)
        .await
        .unwrap();
    assert_eq!(loaded.row_count, 6);
    assert_eq!(loaded.table_name, "orders");
    assert_eq!(loaded.schema_name, "public");
    assert_eq!(loaded.connection_id, db.default_connection_id);
    assert!(loaded.arrow_schema_json.contains("amount"));

    // Through the connection id too, appending.
    let by_connection = ManagedTable::in_connection(&db.default_connection_id, "public", "orders");
    let appended = sdk
        .client
        .load_upload(&sdk.upload_orders().await, &by_connection, LoadMode::Append)
        .await
        .unwrap();
    assert_eq!(appended.row_count, 12);

    let rows = sdk
        .client
        .query("SELECT count(*) AS n, sum(amount) AS total FROM default.public.orders")
        .database(&db.id)
        .await
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["12", "3500.68"]]));

    // Replace starts over.
    let replaced = sdk
        .client
        .load_upload(&sdk.upload_orders().await, &orders, LoadMode::Replace)
        .await
        .unwrap();
    assert_eq!(replaced.row_count, 6);

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct RegionTotal {
        region: String,
        orders: u64,
        total: String,
    }
    let rows = sdk
        .client
        .query("SELECT region, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY region ORDER BY region")
        .database(&db.id)
        .default_schema("public")
        .await
        .unwrap();
    let totals: Vec<RegionTotal> = rows.rows_as().unwrap();
    assert_eq!(
        totals,
        [
            RegionTotal {
                region: "amer".into(),
                orders: 3,
                total: "537.09".into()
            },
            RegionTotal {
                region: "apac".into(),
                orders: 1,
                total: "1200.00".into()
            },
            RegionTotal {
                region: "emea".into(),
                orders: 2,
                total: "13.25".into()
            },
        ]
    );

    // Outside the database's scope its catalog is not visible.
    let err = sdk
        .client
        .query("SELECT * FROM default.public.orders")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));

    // A consumed upload cannot be loaded twice; a CSV is not parquet.
    let upload = sdk.upload_orders().await;
    sdk.client
        .load_upload(&upload, &orders, LoadMode::Replace)
        .await
        .unwrap();
    let err = sdk
        .client
        .load_upload(&upload, &orders, LoadMode::Replace)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
    let csv = sdk
        .client
        .upload(
            std::io::Cursor::new(fixtures::orders_csv()),
            hotdata::UploadOptions::new().content_type("text/csv"),
        )
        .await
        .unwrap();
    let err = sdk
        .client
        .load_upload(&csv.upload_id, &orders, LoadMode::Replace)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));

    sdk.client.delete_database().database_id(&db.id).send().await.unwrap();
    let err = sdk.client.get_database().database_id(&db.id).send().await.unwrap_err();
    assert!(err.is_not_found());
    let err = sdk.client.query("SELECT 1").database(&db.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn attached_catalogs_and_context_entries() {
    let sdk = Sdk::start().await;
    let db = create_sales_db(&sdk).await;
    let warehouse = sdk.managed_connection("warehouse").await;
    let events = ManagedTable::in_connection(&warehouse.id, "raw", "events");
    sdk.client
        .load_upload(&sdk.upload_orders().await, &events, LoadMode::Replace)
        .await
        .unwrap();

    sdk.client
        .attach_database_catalog()
        .database_id(&db.id)
        .body_map(|b| b.connection_id(warehouse.id.clone()).alias(Some("wh".to_owned())))
        .send()
        .await
        .unwrap();
    let detail = sdk.client.get_database().database_id(&db.id).send().await.unwrap();
    assert_eq!(detail.attachments.len(), 1);
    assert_eq!(detail.attachments[0].alias.as_deref(), Some("wh"));
    let rows = sdk
        .client
        .query("SELECT count(*) AS n FROM wh.raw.events")
        .database(&db.id)
        .await
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["6"]]));
    let rows = sdk
        .client
        .query("SELECT max(id) AS top FROM raw.events")
        .database(&db.id)
        .default_catalog("wh")
        .await
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["6"]]));
    sdk.client
        .detach_database_catalog()
        .database_id(&db.id)
        .connection_id(&warehouse.id)
        .send()
        .await
        .unwrap();
    let err = sdk
        .client
        .query("SELECT count(*) AS n FROM wh.raw.events")
        .database(&db.id)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));

    // Database context entries.
    sdk.client
        .upsert_database_context()
        .database_id(&db.id)
        .body_map(|b| b.name("glossary").content("amount is in dollars"))
        .send()
        .await
        .unwrap();
    sdk.client
        .upsert_database_context()
        .database_id(&db.id)
        .body_map(|b| b.name("glossary").content("amount is in US dollars"))
        .send()
        .await
        .unwrap();
    let got = sdk
        .client
        .get_database_context()
        .database_id(&db.id)
        .name("glossary")
        .send()
        .await
        .unwrap();
    assert_eq!(got.context.content, "amount is in US dollars");
    let all = sdk
        .client
        .list_database_contexts()
        .database_id(&db.id)
        .send()
        .await
        .unwrap();
    assert_eq!(all.contexts.len(), 1);
    sdk.client
        .delete_database_context()
        .database_id(&db.id)
        .name("glossary")
        .send()
        .await
        .unwrap();
    let err = sdk
        .client
        .get_database_context()
        .database_id(&db.id)
        .name("glossary")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());

    // Workspace context entries.
    sdk.client
        .upsert_workspace_context()
        .body_map(|b| b.name("style").content("use ISO dates"))
        .send()
        .await
        .unwrap();
    let ws = sdk.client.get_workspace_context().name("style").send().await.unwrap();
    assert_eq!(ws.context.content, "use ISO dates");
    assert_eq!(
        sdk.client
            .list_workspace_contexts()
            .send()
            .await
            .unwrap()
            .contexts
            .len(),
        1
    );
    sdk.client
        .delete_workspace_context()
        .name("style")
        .send()
        .await
        .unwrap();
    assert!(
        sdk.client
            .list_workspace_contexts()
            .send()
            .await
            .unwrap()
            .contexts
            .is_empty()
    );
    sdk.finish();
}
