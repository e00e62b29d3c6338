//! End to end, tags `information_schema` and `connections` (profiles, cache): the information schema with `%`
//! wildcards, optional columns and cursor paging, and table profiles computed from the data.

mod sdk;

use futures::TryStreamExt as _;
use hotdata::ManagedTable;
use hotdata::prelude::*;
use hotdata::types::{ColumnProfileDetail, LoadMode};
use sdk::Sdk;

/// A managed connection `warehouse` with tables `s1.alpha`, `s1.beta`, `s1.gamma` and `s2.delta`, each the
/// orders fixture.
async fn warehouse(sdk: &Sdk) -> String {
    let conn = sdk.managed_connection("warehouse").await;
    for (schema, name) in [("s1", "alpha"), ("s1", "beta"), ("s1", "gamma"), ("s2", "delta")] {
        let table = ManagedTable::in_connection(&conn.id, schema, name);
        sdk.client
            .load_upload(&sdk.upload_orders().await, &table, LoadMode::Replace)
            .await
            .unwrap();
    }
    conn.id.clone()
}

#[tokio::test]
async fn wildcards_optional_columns_and_cursor_paging() {
    let sdk = Sdk::start().await;
    let conn = warehouse(&sdk).await;

    let everything: Vec<String> = sdk
        .client
        .information_schema()
        .connection_id(&conn)
        .stream()
        .map_ok(|t| format!("{}.{}", t.schema, t.table))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(everything, ["s1.alpha", "s1.beta", "s1.gamma", "s2.delta"]);

    // `%a` matches names ending in a; `s1` only that schema.
    let first = sdk
        .client
        .information_schema()
        .table("%a")
        .schema("s1")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.count, 2);
    assert!(first.has_more);
    assert!(
        first.tables.iter().all(|t| t.columns.is_none()),
        "columns only when asked"
    );
    let cursor = first.next_cursor.clone().expect("a cursor");
    let second = sdk
        .client
        .information_schema()
        .table("%a")
        .schema("s1")
        .limit(2)
        .cursor(cursor)
        .send()
        .await
        .unwrap();
    assert_eq!(second.tables.len(), 1);
    assert_eq!(second.tables[0].table, "gamma");
    assert!(!second.has_more);

    sdk.server.reset_hits();
    let paged: Vec<String> = sdk
        .client
        .information_schema()
        .table("%a")
        .limit(1)
        .stream()
        .map_ok(|t| t.table)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(paged, ["alpha", "beta", "gamma", "delta"]);
    assert!(sdk.server.hits("information_schema") >= 4, "one page per request");

    let with_columns = sdk
        .client
        .information_schema()
        .table("del%")
        .include_columns(true)
        .send()
        .await
        .unwrap();
    assert_eq!(with_columns.tables.len(), 1);
    let delta = &with_columns.tables[0];
    assert_eq!(delta.connection, "warehouse");
    let columns = delta.columns.as_ref().expect("columns were asked for");
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "customer", "region", "amount"]);
    assert!(!columns[0].nullable);

    let none = sdk.client.information_schema().table("zzz%").send().await.unwrap();
    assert!(none.tables.is_empty());
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn table_profiles_are_computed_from_the_data() {
    let sdk = Sdk::start().await;
    let conn = warehouse(&sdk).await;
    let profile = sdk
        .client
        .get_table_profile()
        .connection_id(&conn)
        .schema("s1")
        .table("alpha")
        .send()
        .await
        .unwrap();
    assert_eq!(profile.row_count, 6);
    assert_eq!((profile.schema.as_str(), profile.table.as_str()), ("s1", "alpha"));
    let by_name = |n: &str| profile.columns.iter().find(|c| c.name == n).unwrap();
    assert_eq!(by_name("customer").cardinality, 4);
    assert_eq!(by_name("region").cardinality, 3);
    assert_eq!(by_name("id").cardinality, 6);
    assert_eq!(by_name("amount").null_count, 0);
    assert_eq!(by_name("amount").null_percentage, 0.0);
    assert!(
        matches!(
            by_name("region").profile,
            Some(ColumnProfileDetail::CategoricalProfileDetail(_))
        ),
        "{:?}",
        by_name("region").profile
    );

    let err = sdk
        .client
        .get_table_profile()
        .connection_id(&conn)
        .schema("s1")
        .table("nope")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // Connection bookkeeping around the same tables.
    let got = sdk.client.get_connection().connection_id(&conn).send().await.unwrap();
    assert_eq!(got.table_count, 4);
    let health = sdk
        .client
        .check_connection_health()
        .connection_id(&conn)
        .send()
        .await
        .unwrap();
    assert!(health.healthy, "{health:?}");
    sdk.client
        .purge_table_cache()
        .connection_id(&conn)
        .schema("s1")
        .table("alpha")
        .send()
        .await
        .unwrap();
    sdk.client
        .purge_connection_cache()
        .connection_id(&conn)
        .send()
        .await
        .unwrap();
    sdk.client
        .delete_managed_table()
        .connection_id(&conn)
        .schema("s2")
        .table("delta")
        .send()
        .await
        .unwrap();
    let left = sdk
        .client
        .information_schema()
        .connection_id(&conn)
        .send()
        .await
        .unwrap();
    assert_eq!(left.tables.len(), 3);
    sdk.finish();
}
