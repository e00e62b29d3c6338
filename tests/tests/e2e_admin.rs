//! End to end, the administrative tags: `workspaces`, `secrets`, `connections` and `connection_types`,
//! `refresh`, `indexes` (background builds waited for with `client.job(id).wait()`), `embedding_providers`,
//! `jobs` and `sandboxes`.

mod sdk;

use hotdata::ManagedTable;
use hotdata::outcomes::CreateIndexOutcome;
use hotdata::prelude::*;
use hotdata::types::{
    DiscoveryStatus, EmbeddingProviderType, IndexStatus, IndexType, JobStatus, JobType, LoadMode, RefreshResponse,
    VectorMetric,
};
use sdk::{Sdk, builder, quick_wait};

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn workspaces_are_listed_created_isolated_and_deleted() {
    let sdk = Sdk::start().await;
    let before = sdk.client.list_workspaces().send().await.unwrap();
    assert_eq!(before.workspaces.len(), 1);
    assert_eq!(before.workspaces[0].public_id, sdk.server.workspace_id());

    let created = sdk
        .client
        .create_workspace()
        .body_map(|b| b.name("analytics"))
        .send()
        .await
        .unwrap();
    let other_id = created.workspace.public_id.clone();
    assert_eq!(created.workspace.name, "analytics");
    let after = sdk.client.list_workspaces().send().await.unwrap();
    assert_eq!(after.workspaces.len(), 2);

    // What one workspace holds, the other does not see.
    sdk.client
        .create_secret()
        .body_map(|b| b.name("only_here").value("v"))
        .send()
        .await
        .unwrap();
    let other = builder(&sdk.server).workspace_id(&other_id).build().unwrap();
    assert!(other.list_secrets().send().await.unwrap().secrets.is_empty());

    // The other workspace writes files: an upload and a stored query result.
    let csv = b"a,b\n1,2\n".to_vec();
    let size = csv.len() as u64;
    other
        .upload(std::io::Cursor::new(csv), hotdata::UploadOptions::new().size(size))
        .await
        .unwrap();
    let rows = other.query("SELECT 1 AS one").await.unwrap();
    assert_eq!(rows.len(), 1);
    // So does this one, whose files must outlive the other's deletion.
    sdk.client.query("SELECT 2 AS two").await.unwrap();
    let dirs = ["uploads", "results"].map(|kind| sdk.server.data_dir().join(kind).join(&other_id));
    for dir in &dirs {
        assert!(dir.is_dir(), "{} was written", dir.display());
    }

    sdk.client.delete_workspace().public_id(&other_id).send().await.unwrap();
    assert_eq!(sdk.client.list_workspaces().send().await.unwrap().workspaces.len(), 1);
    for dir in &dirs {
        assert!(!dir.exists(), "{} is removed with its workspace", dir.display());
    }
    let kept = sdk.server.data_dir().join("results").join(sdk.server.workspace_id());
    assert!(kept.is_dir(), "the remaining workspace keeps its results");
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn secrets_keep_their_values_to_themselves() {
    let sdk = Sdk::start().await;
    let value = "s3cr3t-value-do-not-echo";
    let created = sdk
        .client
        .create_secret()
        .body_map(|b| b.name("warehouse_pw").value(value))
        .send()
        .await
        .unwrap();
    assert_eq!(created.name, "warehouse_pw");
    let got = sdk.client.get_secret().name("warehouse_pw").send().await.unwrap();
    assert_eq!(got.name, "warehouse_pw");
    sdk.client
        .update_secret()
        .name("warehouse_pw")
        .body_map(|b| b.value("rotated-value"))
        .send()
        .await
        .unwrap();
    let listed = sdk.client.list_secrets().send().await.unwrap();
    assert_eq!(listed.secrets.len(), 1);

    // No response ever carried a value: check the raw bodies too.
    let raw = format!("{created:?} {:?} {listed:?}", got.into_inner());
    assert!(!raw.contains(value) && !raw.contains("rotated-value"), "{raw}");
    let http = reqwest::Client::new();
    let body = http
        .get(format!("{}/v1/secrets/warehouse_pw", sdk.server.base_url()))
        .bearer_auth(sdk.server.api_key())
        .header("X-Workspace-Id", sdk.server.workspace_id())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("rotated-value"), "{body}");

    sdk.client.delete_secret().name("warehouse_pw").send().await.unwrap();
    let err = sdk.client.get_secret().name("warehouse_pw").send().await.unwrap_err();
    assert!(err.is_not_found());
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn connections_and_connection_types() {
    let sdk = Sdk::start().await;
    let types = sdk.client.list_connection_types().send().await.unwrap();
    assert!(types.connection_types.iter().any(|t| t.name == "managed"), "{types:?}");
    let managed = sdk.client.get_connection_type().name("managed").send().await.unwrap();
    assert_eq!(managed.name, "managed");
    let err = sdk.client.get_connection_type().name("nope").send().await.unwrap_err();
    assert!(err.is_not_found());

    let wh = sdk.managed_connection("wh").await;
    assert_eq!(wh.source_type, "managed");

    // Another source type is recorded, but cannot be reached from here and says so.
    let mut config = serde_json::Map::new();
    config.insert("host".into(), "db.internal".into());
    config.insert("password".into(), "pw-123".into());
    let pg = sdk
        .client
        .create_connection()
        .body_map(|b| b.name("pg").source_type("postgres").config(config))
        .send()
        .await
        .unwrap();
    assert_eq!(pg.discovery_status, DiscoveryStatus::Failed);
    let health = sdk
        .client
        .check_connection_health()
        .connection_id(&pg.id)
        .send()
        .await
        .unwrap();
    assert!(!health.healthy);
    assert!(
        health.error.as_deref().unwrap_or_default().contains("cannot reach"),
        "{health:?}"
    );

    let listed = sdk.client.list_connections().send().await.unwrap();
    let mut names: Vec<&str> = listed.connections.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["pg", "wh"]);
    sdk.client
        .delete_connection()
        .connection_id(&pg.id)
        .send()
        .await
        .unwrap();
    let err = sdk
        .client
        .get_connection()
        .connection_id(&pg.id)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn indexes_build_in_the_background_as_jobs() {
    let sdk = Sdk::start().await;
    let conn = sdk.managed_connection("wh").await;
    let table = ManagedTable::in_connection(&conn.id, "public", "orders");
    sdk.client
        .load_upload(&sdk.upload_orders().await, &table, LoadMode::Replace)
        .await
        .unwrap();

    let sorted = sdk
        .client
        .create_index()
        .connection_id(&conn.id)
        .schema("public")
        .table("orders")
        .body_map(|b| {
            b.index_name("by_id")
                .columns(vec!["id".to_owned()])
                .index_type(Some(IndexType::Sorted))
        })
        .send_outcome()
        .await
        .unwrap()
        .into_inner();
    let CreateIndexOutcome::Created(sorted) = sorted else {
        panic!("a sorted index is built at once: {sorted:?}")
    };
    assert_eq!(sorted.status, IndexStatus::Ready);

    let pending = sdk
        .client
        .create_index()
        .connection_id(&conn.id)
        .schema("public")
        .table("orders")
        .body_map(|b| {
            b.index_name("customer_text")
                .columns(vec!["customer".to_owned()])
                .index_type(Some(IndexType::Bm25))
                .async_(Some(true))
        })
        .send_outcome()
        .await
        .unwrap()
        .into_inner();
    // A seed-era server answers 201 with a pending index; the live service
    // answers 202 with the job. Both name a job that `list_jobs` finds.
    match &pending {
        CreateIndexOutcome::Created(index) => assert_eq!(index.status, IndexStatus::Pending),
        CreateIndexOutcome::Accepted(job) => assert!(!job.id.is_empty()),
    }
    let jobs = sdk
        .client
        .list_jobs()
        .job_type(JobType::CreateIndex)
        .send()
        .await
        .unwrap();
    assert_eq!(jobs.jobs.len(), 1);
    let job = sdk.client.job(&jobs.jobs[0].id).wait_with(quick_wait()).await.unwrap();
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(job.job_type, JobType::CreateIndex);
    let indexes = sdk
        .client
        .list_indexes()
        .connection_id(&conn.id)
        .schema("public")
        .table("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(indexes.indexes.len(), 2);
    assert!(
        indexes.indexes.iter().all(|i| i.status == IndexStatus::Ready),
        "{indexes:?}"
    );

    let err = sdk
        .client
        .create_index()
        .connection_id(&conn.id)
        .schema("public")
        .table("orders")
        .body_map(|b| b.index_name("bad").columns(vec!["no_such_column".to_owned()]))
        .send_outcome()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    sdk.client
        .delete_index()
        .connection_id(&conn.id)
        .schema("public")
        .table("orders")
        .index_name("by_id")
        .send()
        .await
        .unwrap();

    // Dataset indexes, with an embedding provider for a vector index.
    let ds = sdk.csv_dataset("docs", b"id,body\n1,hello world\n2,goodbye\n").await;
    let provider = sdk
        .client
        .create_embedding_provider()
        .body_map(|b| {
            b.name("local-minilm")
                .provider_type(EmbeddingProviderType::Local)
                .config(serde_json::Map::from_iter([(
                    "model".to_owned(),
                    serde_json::json!("all-minilm"),
                )]))
        })
        .send()
        .await
        .unwrap();
    let vector = sdk
        .client
        .create_dataset_index()
        .dataset_id(&ds.id)
        .body_map(|b| {
            b.index_name("body_vec")
                .columns(vec!["body".to_owned()])
                .index_type(Some(IndexType::Vector))
                .metric(Some(VectorMetric::Cosine))
                .embedding_provider_id(Some(provider.id.clone()))
        })
        .send()
        .await
        .unwrap();
    assert_eq!(vector.metric, Some(VectorMetric::Cosine));
    let listed = sdk
        .client
        .list_dataset_indexes()
        .dataset_id(&ds.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.indexes.len(), 1);
    sdk.client
        .delete_dataset_index()
        .dataset_id(&ds.id)
        .index_name("body_vec")
        .send()
        .await
        .unwrap();
    assert!(
        sdk.client
            .list_dataset_indexes()
            .dataset_id(&ds.id)
            .send()
            .await
            .unwrap()
            .indexes
            .is_empty()
    );
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn refresh_runs_now_or_as_a_job() {
    let sdk = Sdk::start().await;
    let ds = sdk.csv_dataset("nums", b"n\n1\n2\n").await;
    let job = sdk
        .client
        .refresh()
        .body_map(|b| b.dataset_id(Some(ds.id.clone())).async_(Some(true)))
        .send()
        .await
        .unwrap()
        .into_inner();
    let RefreshResponse::SubmitJobResponse(submitted) = job else {
        panic!("an async refresh answers with a job, got {job:?}")
    };
    let done = sdk.client.job(&submitted.id).wait_with(quick_wait()).await.unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.job_type, JobType::DatasetRefresh);
    let got = sdk.client.get_job().id(&submitted.id).send().await.unwrap();
    assert_eq!(got.id, submitted.id);
    let all = sdk.client.list_jobs().send().await.unwrap();
    assert!(all.jobs.iter().any(|j| j.id == submitted.id));
    let ds_now = sdk.client.get_dataset().id(&ds.id).send().await.unwrap();
    assert_eq!(ds_now.latest_version, 2);

    let err = sdk.client.job("job_missing").get().await.unwrap_err();
    assert!(err.is_not_found());
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn embedding_providers_and_sandboxes() {
    let sdk = Sdk::start().await;
    let created = sdk
        .client
        .create_embedding_provider()
        .body_map(|b| {
            b.name("openai")
                .provider_type(EmbeddingProviderType::Service)
                .api_key(Some("sk-test-embedding-key".to_owned()))
                .config(serde_json::Map::from_iter([(
                    "model".to_owned(),
                    serde_json::json!("text-embedding-3-small"),
                )]))
        })
        .send()
        .await
        .unwrap();
    let got = sdk
        .client
        .get_embedding_provider()
        .id(&created.id)
        .send()
        .await
        .unwrap();
    assert!(got.has_secret);
    assert_eq!(got.provider_type, EmbeddingProviderType::Service);
    assert!(!format!("{got:?}").contains("sk-test-embedding-key"));
    sdk.client
        .update_embedding_provider()
        .id(&created.id)
        .body_map(|b| b.name(Some("openai-small".to_owned())))
        .send()
        .await
        .unwrap();
    let listed = sdk.client.list_embedding_providers().send().await.unwrap();
    assert!(listed.embedding_providers.iter().any(|p| p.name == "openai-small"));
    sdk.client
        .delete_embedding_provider()
        .id(&created.id)
        .send()
        .await
        .unwrap();
    assert!(
        sdk.client
            .get_embedding_provider()
            .id(&created.id)
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );

    let sandbox = sdk
        .client
        .create_sandbox()
        .body_map(|b| b.name(Some("scratch".to_owned())).markdown(Some("# notes".to_owned())))
        .send()
        .await
        .unwrap();
    let id = sandbox.sandbox.public_id.clone();
    let updated = sdk
        .client
        .update_sandbox()
        .public_id(&id)
        .body_map(|b| b.markdown(Some("# notes\nmore".to_owned())))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.sandbox.markdown, "# notes\nmore");
    assert_eq!(updated.sandbox.name, "scratch");
    assert_eq!(sdk.client.list_sandboxes().send().await.unwrap().sandboxes.len(), 1);
    let deleted = sdk.client.delete_sandbox().public_id(&id).send().await.unwrap();
    assert!(deleted.deleted);
    let err = sdk.client.get_sandbox().public_id(&id).send().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    sdk.finish();
}
