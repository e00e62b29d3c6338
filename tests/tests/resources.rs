//! Resource behaviour: create, get and list agree; delete makes the next get a 404; pagination; uploads; managed
//! databases with X-Database-Id; datasets with versions and pinning; saved-query classification; persistence.

mod support;

use hotdata_local::Config;
use serde_json::json;
use support::{Local, parquet_from_sql};

#[tokio::test]
async fn delete_then_get_is_a_documented_404() {
    let local = Local::start().await;
    let (_, sq) = local
        .post_json("/v1/queries", json!({"name": "q", "sql": "SELECT 1"}))
        .await;
    let id = sq["id"].as_str().unwrap();
    let (_, list) = local.get_json("/v1/queries").await;
    assert_eq!(list["queries"][0]["id"], sq["id"]);
    assert_eq!(local.get_json(&format!("/v1/queries/{id}")).await.1["sql"], "SELECT 1");
    assert_eq!(local.delete(&format!("/v1/queries/{id}")).await.status().as_u16(), 204);
    let (status, body) = local.get_json(&format!("/v1/queries/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");

    // Sandboxes document the generic shape for 404.
    let (status, body) = local.get_json("/v1/sandboxes/sbx_missing").await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], 404);
}

#[tokio::test]
async fn offset_pagination_pages_through_everything() {
    let local = Local::start().await;
    for i in 0..5 {
        local
            .post_json("/v1/queries", json!({"name": format!("q{i}"), "sql": "SELECT 1"}))
            .await;
    }
    let mut names = Vec::new();
    let mut offset = 0;
    loop {
        let (_, page) = local.get_json(&format!("/v1/queries?limit=2&offset={offset}")).await;
        for q in page["queries"].as_array().unwrap() {
            names.push(q["name"].as_str().unwrap().to_string());
        }
        offset += page["count"].as_u64().unwrap();
        if page["has_more"] != true {
            break;
        }
    }
    assert_eq!(names, ["q0", "q1", "q2", "q3", "q4"]);
}

#[tokio::test]
async fn saved_queries_are_classified_and_versioned() {
    let local = Local::start().await;
    let cases = [
        ("SELECT * FROM a JOIN b ON a.id = b.id", "join"),
        ("SELECT region, sum(x) FROM a GROUP BY region", "aggregation"),
        ("SELECT * FROM a WHERE id = 7", "point_lookup"),
        ("SELECT * FROM a WHERE x > 7 ORDER BY x LIMIT 3", "filtered_scan"),
        ("SELECT x FROM a", "projection"),
        ("SELECT * FROM a", "full_scan"),
    ];
    for (sql, category) in cases {
        let (status, q) = local.post_json("/v1/queries", json!({"name": "c", "sql": sql})).await;
        assert_eq!(status, 201);
        assert_eq!(q["category"], category, "{sql}");
    }
    let (_, q) = local
        .post_json(
            "/v1/queries",
            json!({"name": "v", "sql": "SELECT 1 AS one", "tags": ["t"]}),
        )
        .await;
    let id = q["id"].as_str().unwrap();
    assert_eq!(q["latest_version"], 1);
    assert_eq!(q["num_tables"], 0);
    let (_, q2) = local
        .put(
            &format!("/v1/queries/{id}"),
            json!({"sql": "SELECT a.x FROM a, b WHERE a.id = b.id ORDER BY 1 LIMIT 2"}),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .map(|v| (0, v))
        .unwrap();
    assert_eq!(q2["latest_version"], 2);
    assert_eq!(q2["has_join"], true);
    assert_eq!(q2["has_order_by"], true);
    assert_eq!(q2["has_limit"], true);
    assert_eq!(q2["num_tables"], 2);
    let (_, same) = local
        .put(&format!("/v1/queries/{id}"), json!({"name": "renamed"}))
        .await
        .json::<serde_json::Value>()
        .await
        .map(|v| (0, v))
        .unwrap();
    assert_eq!(same["latest_version"], 2, "no new version without new SQL");
    let (_, versions) = local.get_json(&format!("/v1/queries/{id}/versions")).await;
    assert_eq!(versions["count"], 2);
    let (status, run) = local
        .post_json(&format!("/v1/queries/{id}/execute"), json!({"version": 1}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(run["rows"], json!([[1]]));
    let (_, runs) = local.get_json(&format!("/v1/query-runs?saved_query_id={id}")).await;
    assert_eq!(runs["query_runs"][0]["saved_query_version"], 1);
}

#[tokio::test]
async fn upload_size_limit_is_enforced_with_413() {
    let local = Local::with(Config {
        max_upload_bytes: 1024,
        contract: hotdata_local::Contract::Seed2026_05,
        ..Config::default()
    })
    .await;
    let resp = local
        .req(reqwest::Method::POST, "/v1/files")
        .header("Content-Type", "text/csv")
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // A streamed body without Content-Length is cut off while it is written.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..8).map(|_| Ok(vec![b'y'; 512])).collect();
    let resp = local
        .req(reqwest::Method::POST, "/v1/files")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let small = local.upload(b"a,b\n1,2\n".to_vec(), "text/csv").await;
    let (_, list) = local.get_json("/v1/files?status=pending").await;
    assert_eq!(list["uploads"][0]["id"], small);
    assert_eq!(list["uploads"][0]["size_bytes"], 8);
}

#[tokio::test]
async fn datasets_from_uploads_with_versions_and_pinning() {
    let local = Local::start().await;
    let csv = local.upload(b"id,name\n1,ann\n2,bob\n".to_vec(), "text/csv").await;
    let (status, ds) = local
        .post_json(
            "/v1/datasets",
            json!({"label": "People", "source": {"type": "upload", "upload_id": csv, "format": "csv"}}),
        )
        .await;
    assert_eq!(status, 201, "{ds}");
    assert_eq!(ds["table_name"], "people");
    let id = ds["id"].as_str().unwrap().to_string();
    let q = local.sql("SELECT name FROM datasets.main.people ORDER BY id").await;
    assert_eq!(q["rows"], json!([["ann"], ["bob"]]));
    let (status, _) = local
        .post_json(
            "/v1/datasets",
            json!({"label": "People", "source": {"type": "upload", "upload_id": csv}}),
        )
        .await;
    assert_eq!(status, 409, "same table name (and a consumed upload)");

    let json_upload = local
        .upload(
            br#"[{"k": 1, "v": "x"}, {"k": 2, "v": "y"}]"#.to_vec(),
            "application/json",
        )
        .await;
    let (status, j) = local
        .post_json(
            "/v1/datasets",
            json!({"label": "kv", "source": {"type": "upload", "upload_id": json_upload}}),
        )
        .await;
    assert_eq!(status, 201, "{j}");
    assert_eq!(local.sql("SELECT sum(k) AS s FROM kv").await["rows"], json!([[3]]));

    let pq = parquet_from_sql(&local, "SELECT 10 AS n UNION ALL SELECT 20").await;
    let pq = local.upload(pq, "application/octet-stream").await;
    let (status, _) = local
        .post_json(
            "/v1/datasets",
            json!({"label": "nums", "source": {"type": "upload", "upload_id": pq}}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        local.sql("SELECT count(*) AS c FROM datasets.main.nums").await["rows"],
        json!([[2]])
    );

    // A refresh makes version 2; pinning version 1 freezes what readers see.
    let (status, refreshed) = local.post_json("/v1/refresh", json!({"dataset_id": id})).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["version"], 2);
    let (_, pinned) = local
        .put(&format!("/v1/datasets/{id}"), json!({"pinned_version": 1}))
        .await
        .json::<serde_json::Value>()
        .await
        .map(|v| (0, v))
        .unwrap();
    assert_eq!(pinned["pinned_version"], 1);
    assert_eq!(pinned["latest_version"], 2);
    let (_, got) = local.get_json(&format!("/v1/datasets/{id}")).await;
    assert_eq!(got["columns"][1]["name"], "name");
    let (_, unpinned) = local
        .put(&format!("/v1/datasets/{id}"), json!({"pinned_version": null}))
        .await
        .json::<serde_json::Value>()
        .await
        .map(|v| (0, v))
        .unwrap();
    assert!(unpinned["pinned_version"].is_null());
    let (_, versions) = local.get_json(&format!("/v1/datasets/{id}/versions?limit=1")).await;
    assert_eq!(versions["has_more"], true);

    assert_eq!(local.delete(&format!("/v1/datasets/{id}")).await.status().as_u16(), 204);
    let (status, _) = local
        .post_json("/v1/query", json!({"sql": "SELECT * FROM datasets.main.people"}))
        .await;
    assert_eq!(status, 400, "a deleted dataset can no longer be queried");
}

#[tokio::test]
async fn managed_database_with_parquet_loads_and_scoped_queries() {
    let local = Local::start().await;
    let (_, db) = local
        .post_json(
            "/v1/databases",
            json!({"name": "sales", "schemas": [{"name": "public", "tables": [{"name": "orders"}]}]}),
        )
        .await;
    let db_id = db["id"].as_str().unwrap().to_string();
    let conn = db["default_connection_id"].as_str().unwrap().to_string();
    let pq = parquet_from_sql(
        &local,
        "SELECT * FROM (VALUES (1, 9.5), (2, 20.25), (3, NULL)) AS t(id, amount)",
    )
    .await;
    let up = local.upload(pq.clone(), "application/octet-stream").await;
    let path = format!("/v1/connections/{conn}/schemas/public/tables/orders/loads");
    let (status, load) = local
        .post_json(&path, json!({"upload_id": up, "mode": "replace"}))
        .await;
    assert_eq!(status, 200, "{load}");
    assert_eq!(load["row_count"], 3);
    let (status, _) = local
        .post_json(&path, json!({"upload_id": up, "mode": "replace"}))
        .await;
    assert_eq!(status, 409, "an upload is consumed by its load");
    let not_parquet = local.upload(b"id\n1\n".to_vec(), "text/csv").await;
    let (status, _) = local
        .post_json(&path, json!({"upload_id": not_parquet, "mode": "replace"}))
        .await;
    assert_eq!(status, 400);
    let up2 = local.upload(pq, "application/octet-stream").await;
    let (_, appended) = local
        .post_json(&path, json!({"upload_id": up2, "mode": "append"}))
        .await;
    assert_eq!(appended["row_count"], 6);

    let scoped = local
        .req(reqwest::Method::POST, "/v1/query")
        .header("X-Database-Id", &db_id)
        .json(&json!({"sql": "SELECT count(*) AS n, count(amount) AS with_amount FROM default.public.orders"}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = scoped.json().await.unwrap();
    assert_eq!(body["rows"], json!([[6, 4]]), "{body}");
    let unqualified = local
        .req(reqwest::Method::POST, "/v1/query")
        .header("X-Database-Id", &db_id)
        .json(&json!({"sql": "SELECT count(*) AS n FROM orders", "default_schema": "public"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        unqualified.json::<serde_json::Value>().await.unwrap()["rows"],
        json!([[6]])
    );
    let (status, _) = local
        .post_json("/v1/query", json!({"sql": "SELECT * FROM default.public.orders"}))
        .await;
    assert_eq!(
        status, 400,
        "without X-Database-Id the database's catalog is not visible"
    );
    let missing = local
        .req(reqwest::Method::POST, "/v1/query")
        .header("X-Database-Id", "db_nope")
        .json(&json!({"sql": "SELECT 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    // A managed connection: profile computed from the data, information schema with wildcards and cursors.
    let (_, c) = local
        .post_json(
            "/v1/connections",
            json!({"name": "wh", "source_type": "managed", "config": {}}),
        )
        .await;
    let cid = c["id"].as_str().unwrap().to_string();
    for t in ["alpha", "beta", "gamma"] {
        let pq = parquet_from_sql(
            &local,
            "SELECT * FROM (VALUES (1, 'x'), (2, NULL), (3, 'x')) AS t(id, tag)",
        )
        .await;
        let up = local.upload(pq, "application/octet-stream").await;
        let (status, _) = local
            .post_json(
                &format!("/v1/connections/{cid}/schemas/s1/tables/{t}/loads"),
                json!({"upload_id": up, "mode": "replace"}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (_, profile) = local
        .get_json(&format!("/v1/connections/{cid}/tables/s1/alpha/profile"))
        .await;
    assert_eq!(profile["row_count"], 3);
    assert_eq!(profile["columns"][1]["null_count"], 1);
    assert_eq!(profile["columns"][1]["cardinality"], 1);
    assert_eq!(profile["columns"][1]["profile"]["type"], "categorical");
    let (_, page1) = local.get_json("/v1/information_schema?limit=2&table=%25a").await;
    assert_eq!(page1["count"], 2);
    assert_eq!(page1["has_more"], true);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = local
        .get_json(&format!("/v1/information_schema?limit=2&table=%25a&cursor={cursor}"))
        .await;
    assert_eq!(page2["count"], 1);
    assert_eq!(page2["tables"][0]["table"], "gamma");
    assert!(page2["tables"][0]["columns"].is_null());

    // Other source types are registered but report a clear health error.
    let (_, pg) = local
        .post_json(
            "/v1/connections",
            json!({"name": "pg", "source_type": "postgres", "config": {"host": "db", "password": "pw"}}),
        )
        .await;
    assert_eq!(pg["discovery_status"], "failed");
    let (_, health) = local
        .get_json(&format!("/v1/connections/{}/health", pg["id"].as_str().unwrap()))
        .await;
    assert_eq!(health["healthy"], false);
    assert!(health["error"].as_str().unwrap().contains("cannot reach"));
    let (_, secrets) = local.get_json("/v1/secrets").await;
    assert!(secrets.to_string().contains("pg_password") && !secrets.to_string().contains("\"pw\""));
}

#[tokio::test]
async fn state_survives_a_restart_with_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: Some(dir.path().to_path_buf()),
        contract: hotdata_local::Contract::Seed2026_05,
        ..Config::default()
    };
    let result_id;
    {
        let local = Local::with(config.clone()).await;
        local
            .post_json("/v1/secrets", json!({"name": "kept", "value": "v"}))
            .await;
        let (_, ds) = local
            .post_json("/v1/datasets", json!({"label": "t", "source": {"type": "inline", "inline": {"format": "csv", "content": "a\n1\n2\n"}}}))
            .await;
        assert_eq!(ds["table_name"], "t");
        result_id = local.sql("SELECT 5 AS five").await["result_id"]
            .as_str()
            .unwrap()
            .to_string();
    }
    let local = Local::with(config).await;
    assert_eq!(local.get_json("/v1/secrets/kept").await.0, 200);
    assert_eq!(local.sql("SELECT sum(a) AS s FROM t").await["rows"], json!([[3]]));
    assert_eq!(
        local.get_json(&format!("/v1/results/{result_id}")).await.1["rows"],
        json!([[5]])
    );
}
