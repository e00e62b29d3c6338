//! `information_schema` without `connection_id` lists every table of the workspace: user connections' and the
//! default catalogs of managed databases, with their layout fields, through the `hotdata` SDK.

mod sdk;
mod support;

use futures::TryStreamExt as _;
use hotdata::prelude::*;
use sdk::Sdk;
use serde_json::{Value, json};

async fn post(sdk: &Sdk, path: &str, body: Value) -> Value {
    let resp = support::client()
        .post(format!("{}{path}", sdk.server.base_url()))
        .bearer_auth(sdk.server.api_key())
        .header("X-Workspace-Id", sdk.server.workspace_id())
        .json(&body)
        .send()
        .await
        .expect("request");
    let (status, v) = support::json_of(resp).await;
    assert_eq!(status, 201, "POST {path}: {v}");
    v
}

#[tokio::test]
async fn managed_database_tables_are_listed_with_their_layout() {
    let sdk = Sdk::start().await;
    let conn = sdk.managed_connection("warehouse").await;
    post(
        &sdk,
        &format!("/v1/connections/{}/schemas", conn.id),
        json!({"name": "raw"}),
    )
    .await;
    post(
        &sdk,
        &format!("/v1/connections/{}/schemas/raw/tables", conn.id),
        json!({"name": "events"}),
    )
    .await;
    let db = post(&sdk, "/v1/databases", json!({"name": "shop"})).await;
    let db_id = db["id"].as_str().expect("id").to_string();
    let db_conn = db["default_connection_id"]
        .as_str()
        .expect("default connection")
        .to_string();
    post(
        &sdk,
        &format!("/v1/databases/{db_id}/schemas"),
        json!({"name": "sales"}),
    )
    .await;
    post(
        &sdk,
        &format!("/v1/databases/{db_id}/schemas/sales/tables"),
        json!({"name": "orders", "key": ["id"], "constant_per_key": ["region"],
               "partition_by": [{"column": "region", "transform": "identity"}],
               "sorted_by": [{"column": "id", "direction": "desc", "nulls": "last"}]}),
    )
    .await;

    let all: Vec<hotdata::types::TableInfo> = sdk
        .client
        .information_schema()
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<String> = all.iter().map(|t| format!("{}.{}", t.schema, t.table)).collect();
    assert!(names.contains(&"raw.events".to_string()), "{names:?}");
    assert!(
        names.contains(&"sales.orders".to_string()),
        "the database's table is listed: {names:?}"
    );
    assert_eq!(names.len(), 2, "each table once across the pages: {names:?}");
    let orders = all.iter().find(|t| t.table == "orders").expect("orders");
    assert_eq!(orders.partition_by.len(), 1);
    assert_eq!(orders.partition_by[0].column, "region");
    assert_eq!(orders.sorted_by.len(), 1);
    assert_eq!(orders.sorted_by[0].column, "id");
    assert_eq!(orders.constant_per_key, ["region"]);
    assert!(!orders.synced);

    // Patterns reach the database's tables too; `connection_id` still narrows to one connection.
    let matched = sdk.client.information_schema().table("ord%").send().await.unwrap();
    assert_eq!(matched.tables.len(), 1);
    assert_eq!(matched.tables[0].schema, "sales");
    let only_db = sdk
        .client
        .information_schema()
        .connection_id(&db_conn)
        .send()
        .await
        .unwrap();
    assert_eq!(only_db.tables.len(), 1);
    assert_eq!(only_db.tables[0].table, "orders");
    let only_conn = sdk
        .client
        .information_schema()
        .connection_id(&conn.id)
        .send()
        .await
        .unwrap();
    assert_eq!(only_conn.tables.len(), 1);
    assert_eq!(only_conn.tables[0].table, "events");
}
