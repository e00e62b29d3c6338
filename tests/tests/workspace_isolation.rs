//! One workspace never reads, changes or uses another workspace's objects: results, runs, uploads (also presigned
//! sessions and their storage URLs), connections and their tables, databases, datasets, saved queries, secrets,
//! jobs and the rest. Every attempt from the second workspace gets the spec's `404` (or the refusal the operation
//! documents) and no answer carries the first workspace's data.

mod support;

use hotdata_local::{Config, Contract, Validation};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Local, json_of};

/// A request as workspace `ws`.
async fn as_ws(local: &Local, ws: &str, method: Method, path: &str, body: Option<Value>) -> (u16, String) {
    let mut req = local
        .http
        .request(method, local.url(path))
        .bearer_auth(local.server.api_key())
        .header("X-Workspace-Id", ws);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

fn id_of(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` in {v}"))
        .to_string()
}

#[tokio::test]
async fn a_second_workspace_sees_nothing_of_the_first() {
    // The seed-era contract lets the first workspace run a query without naming a database.
    // Violations are recorded and checked at the end: a refused `create_dataset` answers a `404` the spec does
    // not declare (a known gap between server and spec, outside what this test is about).
    let local = Local::with(Config {
        contract: Contract::Seed2026_05,
        validation: Validation::Record,
        ..Config::default()
    })
    .await;

    // Everything the first workspace owns.
    let secret_value = "s3cr3t-value-of-a";
    let (status, _) = local
        .post_json("/v1/secrets", json!({"name": "a_secret", "value": secret_value}))
        .await;
    assert_eq!(status, 201);
    let (_, sq) = local
        .post_json(
            "/v1/queries",
            json!({"name": "a_query", "sql": "SELECT 'only-in-a' AS marker"}),
        )
        .await;
    let saved_query = id_of(&sq, "id");
    let answer = local.sql("SELECT 'only-in-a' AS marker").await;
    let result = id_of(&answer, "result_id");
    let run = id_of(&answer, "query_run_id");
    let upload = local.upload(b"marker\nonly-in-a\n".to_vec(), "text/csv").await;
    let (status, conn) = local
        .post_json(
            "/v1/connections",
            json!({"name": "a_conn", "source_type": "managed", "config": {}}),
        )
        .await;
    assert_eq!(status, 201, "{conn}");
    let conn = id_of(&conn, "id");
    let (status, _) = local
        .post_json(&format!("/v1/connections/{conn}/schemas"), json!({"name": "s"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) = local
        .post_json(
            &format!("/v1/connections/{conn}/schemas/s/tables"),
            json!({"name": "t"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, db) = local.post_json("/v1/databases", json!({"name": "a_db"})).await;
    assert_eq!(status, 201, "{db}");
    let database = id_of(&db, "id");
    let (status, ds) = local
        .post_json(
            "/v1/datasets",
            json!({"label": "a_ds", "source": {"type": "inline", "inline": {"content": "marker\nonly-in-a\n", "format": "csv"}}}),
        )
        .await;
    assert_eq!(status, 201, "{ds}");
    let dataset = id_of(&ds, "id");
    let (status, session) = local
        .post_json(
            "/v1/uploads",
            json!({"declared_size_bytes": 8, "content_type": "text/csv"}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let session_id = id_of(&session, "upload_id");
    let token = id_of(&session, "finalize_token");
    let part_url = id_of(&session, "url");
    let (status, sandbox) = local
        .post_json("/v1/sandboxes", json!({"name": "a_sandbox", "markdown": "only-in-a"}))
        .await;
    assert_eq!(status, 201, "{sandbox}");
    let sandbox = id_of(&sandbox["sandbox"], "public_id");
    let (status, _) = local
        .post_json("/v1/context", json!({"name": "a_context", "content": "only-in-a"}))
        .await;
    assert!(status == 200 || status == 201, "{status}");
    let (status, jobs) = local.get_json("/v1/jobs").await;
    assert_eq!(status, 200);
    let jobs_of_a = jobs.to_string();

    // The second workspace.
    let (status, ws) = local.post_json("/v1/workspaces", json!({"name": "other"})).await;
    assert_eq!(status, 201, "{ws}");
    let b = ws["workspace"]["public_id"].as_str().expect("workspace id").to_string();
    let b = b.as_str();

    // Direct reads of each object: 404.
    for path in [
        format!("/v1/results/{result}"),
        format!("/v1/query-runs/{run}"),
        format!("/v1/queries/{saved_query}"),
        format!("/v1/queries/{saved_query}/versions"),
        "/v1/secrets/a_secret".to_string(),
        format!("/v1/connections/{conn}"),
        format!("/v1/connections/{conn}/health"),
        format!("/v1/connections/{conn}/tables/s/t/profile"),
        format!("/v1/connections/{conn}/tables/s/t/indexes"),
        format!("/v1/databases/{database}"),
        format!("/v1/databases/{database}/lineage"),
        format!("/v1/databases/{database}/context"),
        "/v1/databases/by-name?name=a_db".to_string(),
        format!("/v1/datasets/{dataset}"),
        format!("/v1/datasets/{dataset}/versions"),
        format!("/v1/sandboxes/{sandbox}"),
        "/v1/context/a_context".to_string(),
        format!("/v1/information_schema?connection_id={conn}"),
    ] {
        let (status, body) = as_ws(&local, b, Method::GET, &path, None).await;
        assert_eq!(status, 404, "GET {path} from the other workspace: {body}");
        assert!(
            !body.contains("only-in-a") && !body.contains(secret_value),
            "{path}: {body}"
        );
    }

    // Lists hold none of the first workspace's objects.
    for path in [
        "/v1/results",
        "/v1/query-runs",
        "/v1/queries",
        "/v1/secrets",
        "/v1/connections",
        "/v1/databases",
        "/v1/datasets",
        "/v1/files",
        "/v1/sandboxes",
        "/v1/context",
        "/v1/jobs",
        "/v1/information_schema",
    ] {
        let (status, body) = as_ws(&local, b, Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        for id in [
            &result,
            &run,
            &saved_query,
            &conn,
            &database,
            &dataset,
            &upload,
            &session_id,
            &sandbox,
        ] {
            assert!(
                !body.contains(id.as_str()),
                "GET {path} from the other workspace lists {id}: {body}"
            );
        }
        for name in ["a_secret", "a_conn", "a_db", "a_ds", "a_context", "only-in-a"] {
            assert!(
                !body.contains(name),
                "GET {path} from the other workspace shows {name}: {body}"
            );
        }
    }
    let (_, count) = as_ws(&local, b, Method::GET, "/v1/databases/count", None).await;
    assert!(count.contains("0"), "{count}");
    assert!(!jobs_of_a.is_empty());

    // Using the first workspace's objects as inputs: refused, never read.
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/v1/query".into(),
            Some(json!({"sql": "SELECT * FROM datasets.main.a_ds"})),
        ),
        (
            Method::POST,
            format!("/v1/queries/{saved_query}/execute"),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/v1/datasets".into(),
            Some(json!({"label": "stolen", "source": {"type": "upload", "upload_id": upload}})),
        ),
        (
            Method::POST,
            "/v1/datasets".into(),
            Some(json!({"label": "stolen2", "source": {"type": "saved_query", "saved_query_id": saved_query}})),
        ),
        (
            Method::POST,
            format!("/v1/connections/{conn}/schemas/s/tables/t/loads"),
            Some(json!({"source": {"type": "upload", "upload_id": upload}, "mode": "replace"})),
        ),
        (
            Method::POST,
            format!("/v1/uploads/{session_id}/parts"),
            Some(json!({"part_numbers": [1]})),
        ),
        (
            Method::POST,
            format!("/v1/uploads/{session_id}/finalize"),
            Some(json!({})),
        ),
        (Method::POST, format!("/v1/databases/{database}/fork"), Some(json!({}))),
        (
            Method::POST,
            format!("/v1/databases/{database}/schemas"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/v1/databases/{database}"), None),
        (Method::DELETE, format!("/v1/connections/{conn}"), None),
        (Method::DELETE, format!("/v1/datasets/{dataset}"), None),
        (Method::DELETE, format!("/v1/queries/{saved_query}"), None),
        (Method::DELETE, "/v1/secrets/a_secret".into(), None),
        (Method::DELETE, format!("/v1/sandboxes/{sandbox}"), None),
        (
            Method::PUT,
            "/v1/secrets/a_secret".into(),
            Some(json!({"value": "overwritten"})),
        ),
    ];
    for (method, path, body) in attempts {
        let mut req = local
            .http
            .request(method.clone(), local.url(&path))
            .bearer_auth(local.server.api_key())
            .header("X-Workspace-Id", b);
        if path.ends_with("/finalize") || path.ends_with("/parts") {
            req = req.header("X-Upload-Finalize-Token", &token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let (status, answer) = json_of(req.send().await.expect("request")).await;
        assert!(
            status == 404 || status == 400,
            "{method} {path} from the other workspace: {status} {answer}"
        );
        let text = answer.to_string();
        assert!(!text.contains("only-in-a"), "{method} {path}: {text}");
    }

    // A query scoped to the first workspace's database from the second: 404.
    let (status, body) = json_of(
        local
            .http
            .post(local.url("/v1/query"))
            .bearer_auth(local.server.api_key())
            .header("X-Workspace-Id", b)
            .header("X-Database-Id", &database)
            .json(&json!({"sql": "SELECT 1"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 404, "{body}");

    // The presigned URL of the first workspace's session only ever addresses that session; pointed at the
    // second workspace (same upload, other prefix) its signature no longer matches.
    let a = local.server.workspace_id();
    let moved = part_url.replacen(&format!("/{a}/"), &format!("/{b}/"), 1);
    assert_ne!(moved, part_url);
    let resp = local.http.put(&moved).body("a,b\n1,2\n").send().await.expect("put");
    assert_eq!(resp.status().as_u16(), 403);

    // A dataset from a file:// URL may not reach into the data directory, where the first workspace's files are.
    let upload_file = local.server.data_dir().join("uploads").join(a).join(&upload);
    assert!(upload_file.is_file(), "{}", upload_file.display());
    let url = format!("file://{}", upload_file.display());
    let (status, body) = as_ws(
        &local,
        b,
        Method::POST,
        "/v1/datasets",
        Some(json!({"label": "by_path", "source": {"type": "url", "url": url, "format": "csv"}})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(!body.contains("only-in-a"), "{body}");

    // The first workspace still has everything, unchanged.
    for path in [
        format!("/v1/results/{result}"),
        format!("/v1/queries/{saved_query}"),
        "/v1/secrets/a_secret".to_string(),
        format!("/v1/connections/{conn}"),
        format!("/v1/databases/{database}"),
        format!("/v1/datasets/{dataset}"),
        format!("/v1/sandboxes/{sandbox}"),
    ] {
        let (status, body) = local.get_json(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, session) = json_of(
        local
            .req(Method::POST, &format!("/v1/uploads/{session_id}/parts"))
            .header("X-Upload-Finalize-Token", &token)
            .json(&json!({"part_numbers": [1]}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200, "the session is still open for its owner: {session}");

    let unexpected: Vec<String> = local
        .server
        .take_violations()
        .iter()
        .map(ToString::to_string)
        .filter(|v| !(v.contains("create_dataset") && v.contains("status 404 is not declared")))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
}
