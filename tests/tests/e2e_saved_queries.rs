//! End to end, tag `saved_queries`: versions, execution (latest or a given version) and classification.

mod sdk;

use futures::TryStreamExt as _;
use hotdata::prelude::*;
use hotdata::types::QueryCategory;
use sdk::Sdk;

#[tokio::test]
async fn versions_and_execution() {
    let sdk = Sdk::start().await;
    let created = sdk
        .client
        .create_saved_query()
        .body_map(|b| {
            b.name("answer")
                .sql("SELECT 41 AS n")
                .description(Some("the answer, almost".to_owned()))
                .tags(Some(vec!["demo".to_owned()]))
        })
        .send()
        .await
        .unwrap();
    assert_eq!(created.latest_version, 1);
    assert_eq!(created.tags, ["demo"]);
    assert_eq!(created.sql_hash.len(), 64);

    let updated = sdk
        .client
        .update_saved_query()
        .id(&created.id)
        .body_map(|b| b.sql(Some("SELECT 42 AS n".to_owned())))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.latest_version, 2);
    assert_ne!(updated.sql_hash, created.sql_hash);
    let renamed = sdk
        .client
        .update_saved_query()
        .id(&created.id)
        .body_map(|b| b.name(Some("the answer".to_owned())))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.latest_version, 2, "no new version without new SQL");
    assert_eq!(renamed.name, "the answer");

    let versions: Vec<(i64, String)> = sdk
        .client
        .list_saved_query_versions()
        .id(&created.id)
        .limit(1)
        .stream()
        .map_ok(|v| (v.version, v.sql))
        .try_collect()
        .await
        .unwrap();
    let mut versions = versions;
    versions.sort();
    assert_eq!(
        versions,
        [(1, "SELECT 41 AS n".to_owned()), (2, "SELECT 42 AS n".to_owned())]
    );

    let latest = sdk.client.execute_saved_query(&created.id).await.unwrap();
    assert_eq!(latest.row(0).unwrap().get::<i64>("n").unwrap(), 42);
    let first = sdk.client.execute_saved_query(&created.id).version(1).await.unwrap();
    assert_eq!(first.row(0).unwrap().get::<i64>("n").unwrap(), 41);
    // The generated operation is still there, with lossless `hotdata::Cell` cells.
    let generated = sdk
        .client
        .api()
        .execute_saved_query()
        .id(&created.id)
        .body_map(|b| b.version(Some(1)))
        .send()
        .await
        .unwrap();
    assert_eq!(generated.rows, [[serde_json::json!(41)]]);

    // Each execution (three so far) is a query run linked to the saved query and its version.
    let runs = sdk
        .client
        .list_query_runs()
        .saved_query_id(&created.id)
        .send()
        .await
        .unwrap();
    let mut linked: Vec<Option<i64>> = runs.query_runs.iter().map(|r| r.saved_query_version).collect();
    linked.sort();
    assert_eq!(linked, [Some(1), Some(1), Some(2)]);

    let err = sdk
        .client
        .execute_saved_query(&created.id)
        .version(9)
        .await
        .unwrap_err();
    assert!(err.is_not_found() || err.status() == Some(400), "{err:?}");

    let listed: Vec<String> = sdk
        .client
        .list_saved_queries()
        .stream()
        .map_ok(|q| q.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, ["the answer"]);
    sdk.client.delete_saved_query().id(&created.id).send().await.unwrap();
    assert!(sdk.client.list_saved_queries().send().await.unwrap().queries.is_empty());
    sdk.finish();
}

#[tokio::test]
async fn classification_is_computed_from_the_sql() {
    let sdk = Sdk::start().await;
    let cases = [
        ("SELECT * FROM a JOIN b ON a.id = b.id", QueryCategory::Join),
        (
            "SELECT region, sum(x) FROM a GROUP BY region",
            QueryCategory::Aggregation,
        ),
        ("SELECT * FROM a WHERE id = 7", QueryCategory::PointLookup),
        (
            "SELECT * FROM a WHERE x > 7 ORDER BY x LIMIT 3",
            QueryCategory::FilteredScan,
        ),
        ("SELECT x FROM a", QueryCategory::Projection),
        ("SELECT * FROM a", QueryCategory::FullScan),
    ];
    for (sql, category) in cases {
        let q = sdk
            .client
            .create_saved_query()
            .body_map(|b| b.name("c").sql(sql))
            .send()
            .await
            .unwrap();
        assert_eq!(q.category, Some(category), "{sql}");
    }
    let q = sdk
        .client
        .create_saved_query()
        .body_map(|b| {
            b.name("flags")
                .sql("SELECT a.x, count(*) FROM a, b WHERE a.id = b.id GROUP BY a.x ORDER BY 1 LIMIT 2")
        })
        .send()
        .await
        .unwrap();
    assert_eq!(q.has_join, Some(true));
    assert_eq!(q.has_aggregation, Some(true));
    assert_eq!(q.has_group_by, Some(true));
    assert_eq!(q.has_order_by, Some(true));
    assert_eq!(q.has_limit, Some(true));
    assert_eq!(q.has_predicate, Some(true));
    assert_eq!(q.num_tables, Some(2));

    // A category override sticks.
    let overridden = sdk
        .client
        .update_saved_query()
        .id(&q.id)
        .body_map(|b| b.category_override(Some(QueryCategory::FullScan)))
        .send()
        .await
        .unwrap();
    assert_eq!(overridden.category, Some(QueryCategory::FullScan));
    sdk.finish();
}

#[tokio::test]
async fn saved_query_rows_are_exact() {
    let sdk = Sdk::start().await;
    let created = sdk
        .client
        .create_saved_query()
        .body_map(|b| {
            b.name("exact").sql(
                "SELECT CAST('99999999999999999999.99' AS DECIMAL(38,2)) AS amount, \
                 CAST(18446744073709551615 AS BIGINT UNSIGNED) AS big",
            )
        })
        .send()
        .await
        .unwrap();
    let rows = sdk.client.execute_saved_query(&created.id).await.unwrap();
    let row = rows.row(0).unwrap();
    assert_eq!(row.raw("amount"), Some("99999999999999999999.99"));
    assert_eq!(row.raw("big"), Some("18446744073709551615"));
    assert_eq!(row.get::<u64>("big").unwrap(), u64::MAX);
    sdk.finish();
}
