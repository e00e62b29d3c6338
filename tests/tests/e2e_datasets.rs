//! End to end, tags `uploads`, `datasets` and `refresh`: uploads in three formats become datasets queried as
//! `datasets.main.<table>`; versions and pinning; paginated lists.

mod sdk;

use futures::TryStreamExt as _;
use hotdata::UploadOptions;
use hotdata::prelude::*;
use hotdata::types::{self, DataFormat, RefreshResponse};
use hotdata_local::fixtures;
use sdk::{Sdk, expect, table};

fn inline_csv(content: &str) -> types::DatasetSource {
    types::DatasetSource::from(types::InlineDatasetSource {
        inline: types::InlineData {
            columns: Default::default(),
            content: content.to_owned(),
            format: DataFormat::Csv,
        },
        type_: types::InlineDatasetSourceType::Inline,
    })
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn csv_json_and_parquet_uploads_become_queryable_datasets() {
    let sdk = Sdk::start().await;
    let dir = tempfile::tempdir().unwrap();
    let parquet_path = dir.path().join("orders.parquet");
    std::fs::write(&parquet_path, fixtures::orders_parquet()).unwrap();
    let csv_path = dir.path().join("orders.csv");
    std::fs::write(&csv_path, fixtures::orders_csv()).unwrap();

    let progress = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = progress.clone();
    let parquet = sdk
        .client
        .upload_file_with(
            &parquet_path,
            UploadOptions::new().progress(move |sent, total| seen.lock().unwrap().push((sent, total))),
        )
        .await
        .unwrap();
    let size = fixtures::orders_parquet().len() as u64;
    assert_eq!(parquet.size_bytes as u64, size);
    assert_eq!(parquet.status, "ready");
    assert_eq!(progress.lock().unwrap().last(), Some(&(size, Some(size))));
    assert_eq!(parquet.content_type.as_deref(), Some("application/parquet"));

    let csv = sdk.client.upload_file(&csv_path).await.unwrap();
    assert_eq!(csv.content_type.as_deref(), Some("text/csv"));
    let json_bytes = fixtures::orders_json();
    let json = sdk
        .client
        .upload(
            std::io::Cursor::new(json_bytes),
            UploadOptions::new().content_type("application/json"),
        )
        .await
        .unwrap();

    let pending = sdk.client.list_uploads().status("pending").send().await.unwrap();
    assert_eq!(pending.uploads.len(), 3);

    let from_parquet = sdk
        .client
        .create_dataset_from_upload("Orders Parquet", &parquet.upload_id, None)
        .await
        .unwrap();
    assert_eq!(from_parquet.table_name, "orders_parquet");
    assert_eq!(from_parquet.schema_name, "main");
    let from_csv = sdk
        .client
        .create_dataset_from_upload("orders csv", &csv.upload_id, Some(DataFormat::Csv))
        .await
        .unwrap();
    let from_json = sdk
        .client
        .create_dataset_from_upload("orders json", &json.upload_id, Some(DataFormat::Json))
        .await
        .unwrap();

    // The parquet decimal column sums exactly.
    let rows = sdk
        .client
        .query("SELECT count(*) AS n, sum(amount) AS total FROM datasets.main.orders_parquet")
        .await
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["6", fixtures::ORDERS_TOTAL]]));
    for ds in [&from_csv, &from_json] {
        let rows = sdk
            .client
            .query(format!(
                "SELECT count(*) AS n, sum(id) AS ids, count(DISTINCT customer) AS customers \
                 FROM datasets.main.{} WHERE region = 'amer'",
                ds.table_name
            ))
            .await
            .unwrap();
        assert_eq!(table(&rows), expect(&[&["3", "13", "2"]]), "{}", ds.table_name);
    }
    // The three agree row by row.
    let rows = sdk
        .client
        .query(
            "SELECT p.id, p.customer FROM datasets.main.orders_parquet p \
             JOIN datasets.main.orders_csv c ON p.id = c.id AND p.customer = c.customer \
             JOIN datasets.main.orders_json j ON p.id = j.id AND p.region = j.region ORDER BY p.id",
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 6);

    // Uploads are consumed by their dataset.
    let consumed = sdk.client.list_uploads().status("consumed").send().await.unwrap();
    assert_eq!(consumed.uploads.len(), 3);
    let got = sdk.client.get_dataset().id(&from_parquet.id).send().await.unwrap();
    let names: Vec<&str> = got.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "customer", "region", "amount"]);
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn versions_and_pinning() {
    let sdk = Sdk::start().await;
    let ds = sdk
        .client
        .create_dataset()
        .body_map(|b| b.label("people").source(inline_csv("id,name\n1,ann\n2,bob\n")))
        .send()
        .await
        .unwrap();
    let rows = sdk
        .client
        .query("SELECT name FROM datasets.main.people ORDER BY id")
        .await
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["ann"], &["bob"]]));

    let refreshed = sdk
        .client
        .refresh()
        .body_map(|b| b.dataset_id(Some(ds.id.clone())))
        .send()
        .await
        .unwrap()
        .into_inner();
    match refreshed {
        RefreshResponse::RefreshDatasetResponse(r) => {
            assert_eq!(r.id, ds.id);
            assert_eq!(r.version, 2);
        }
        other => panic!("a dataset refresh answers with the dataset's new version, got {other:?}"),
    }

    let versions: Vec<i64> = sdk
        .client
        .list_dataset_versions()
        .id(&ds.id)
        .limit(1)
        .stream()
        .map_ok(|v| v.version)
        .try_collect()
        .await
        .unwrap();
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(sorted, [1, 2], "{versions:?}");

    let pinned = sdk
        .client
        .update_dataset()
        .id(&ds.id)
        .body_map(|b| b.pinned_version(Some(1)))
        .send()
        .await
        .unwrap();
    assert_eq!(pinned.pinned_version, Some(1));
    assert_eq!(pinned.latest_version, 2);
    let got = sdk.client.get_dataset().id(&ds.id).send().await.unwrap();
    assert_eq!(got.pinned_version, Some(1));

    let unpinned = sdk.client.unpin_dataset(&ds.id).await.unwrap();
    assert_eq!(unpinned.pinned_version, None);
    assert_eq!(unpinned.latest_version, 2);
    let got = sdk.client.get_dataset().id(&ds.id).send().await.unwrap();
    assert_eq!(got.pinned_version, None);

    // Renaming the table moves where it is queried.
    sdk.client
        .update_dataset()
        .id(&ds.id)
        .body_map(|b| b.table_name(Some("humans".to_owned())))
        .send()
        .await
        .unwrap();
    let rows = sdk
        .client
        .query("SELECT count(*) AS n FROM datasets.main.humans")
        .await
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["2"]]));
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn dataset_lists_page_lazily_and_delete_is_final() {
    let sdk = Sdk::start().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let ds = sdk
            .client
            .create_dataset()
            .body_map(move |b| b.label(format!("t{i}")).source(inline_csv(&format!("v\n{i}\n"))))
            .send()
            .await
            .unwrap();
        ids.push(ds.id.clone());
    }
    sdk.server.reset_hits();
    let tables: Vec<String> = sdk
        .client
        .list_datasets()
        .limit(2)
        .stream()
        .map_ok(|d| d.table_name)
        .try_collect()
        .await
        .unwrap();
    let mut sorted = tables.clone();
    sorted.sort();
    assert_eq!(sorted, ["t0", "t1", "t2", "t3", "t4"]);
    assert_eq!(sdk.server.hits("list_datasets"), 3, "pages of 2, 2 and 1");
    let pages: Vec<usize> = sdk
        .client
        .list_datasets()
        .limit(4)
        .pages()
        .map_ok(|p| p.datasets.len())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages, [4, 1]);

    sdk.client.delete_dataset().id(&ids[0]).send().await.unwrap();
    let err = sdk.client.get_dataset().id(&ids[0]).send().await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = sdk.client.query("SELECT * FROM datasets.main.t0").await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    let rows = sdk
        .client
        .query("SELECT sum(v) AS s FROM (SELECT v FROM t1 UNION ALL SELECT v FROM datasets.main.t4)")
        .await
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["5"]]));
    sdk.finish();
}
