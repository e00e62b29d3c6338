//! `--data-dir`: every acknowledged write survives a restart, and the files are private to the server's user.

mod support;

use std::path::Path;

use hotdata_local::Config;
use serde_json::json;
use support::{Local, json_of};

/// What one acknowledged create left behind, to look up after the restart.
#[derive(Debug)]
enum Made {
    SavedQuery(String),
    Secret(String),
    Connection(String),
}

async fn create_many(local: &Local, task: usize, per_task: usize) -> Vec<Made> {
    let mut made = Vec::new();
    for i in 0..per_task {
        let name = format!("t{task}_n{i}");
        let m = match i % 3 {
            0 => {
                let (status, body) = local
                    .post_json("/v1/queries", json!({"name": name, "sql": format!("SELECT {i} AS n")}))
                    .await;
                assert_eq!(status, 201, "{body}");
                Made::SavedQuery(body["id"].as_str().expect("id").to_string())
            }
            1 => {
                let (status, body) = local
                    .post_json("/v1/secrets", json!({"name": name, "value": format!("v{i}")}))
                    .await;
                assert_eq!(status, 201, "{body}");
                Made::Secret(name)
            }
            _ => {
                let (status, body) = local
                    .post_json(
                        "/v1/connections",
                        json!({"name": name, "source_type": "managed", "config": {}}),
                    )
                    .await;
                assert_eq!(status, 201, "{body}");
                Made::Connection(body["id"].as_str().expect("id").to_string())
            }
        };
        made.push(m);
    }
    made
}

/// Looks up every object in `made`; returns the ones the server does not know.
async fn lost(local: &Local, made: &[Made]) -> Vec<String> {
    let mut missing = Vec::new();
    for m in made {
        let path = match m {
            Made::SavedQuery(id) => format!("/v1/queries/{id}"),
            Made::Secret(name) => format!("/v1/secrets/{name}"),
            Made::Connection(id) => format!("/v1/connections/{id}"),
        };
        let (status, _) = json_of(local.get(&path).await).await;
        if status != 200 {
            missing.push(format!("{m:?} -> {status}"));
        }
    }
    missing
}

/// Bursts of concurrent creates, each followed by a stop and a start on the same data directory: every create
/// that was answered `201` is still there, in every round (the last writes of a burst are the ones a stale
/// snapshot written late would undo).
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn acknowledged_writes_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: Some(dir.path().join("data")),
        ..Config::default()
    };
    const ROUNDS: usize = 4;
    const TASKS: usize = 10;
    const PER_TASK: usize = 5;
    let mut made = Vec::new();
    for round in 0..ROUNDS {
        let local = std::sync::Arc::new(Local::with(config.clone()).await);
        let missing = lost(&local, &made).await;
        assert!(
            missing.is_empty(),
            "round {round}: {} acknowledged writes lost: {missing:?}",
            missing.len()
        );
        let mut handles = Vec::new();
        for task in 0..TASKS {
            let local = local.clone();
            handles.push(tokio::spawn(async move {
                create_many(&local, round * TASKS + task, PER_TASK).await
            }));
        }
        for h in handles {
            made.extend(h.await.expect("task"));
        }
        drop(std::sync::Arc::into_inner(local).expect("tasks are done"));
    }
    assert_eq!(made.len(), ROUNDS * TASKS * PER_TASK);

    let local = Local::with(config).await;
    let missing = lost(&local, &made).await;
    assert!(
        missing.is_empty(),
        "{} acknowledged writes lost: {missing:?}",
        missing.len()
    );
    let (_, secrets) = local.get_json("/v1/secrets").await;
    let secret_count = made.iter().filter(|m| matches!(m, Made::Secret(_))).count();
    assert_eq!(secrets["secrets"].as_array().map(Vec::len), Some(secret_count));
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_files_are_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("nested").join("data");
    let config = Config {
        data_dir: Some(root.clone()),
        ..Config::default()
    };
    let local = Local::with(config).await;
    let (status, body) = local
        .post_json("/v1/secrets", json!({"name": "db_password", "value": "hunter2"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let upload = local.upload(b"a,b\n1,2\n".to_vec(), "text/csv").await;
    assert!(!upload.is_empty());

    assert_eq!(mode(&root), 0o700, "data directory");
    assert_eq!(mode(&dir.path().join("nested")), 0o700, "a parent the server created");
    assert_eq!(mode(&root.join("state.json")), 0o600, "state file");
    let uploads = root.join("uploads");
    assert_eq!(mode(&uploads), 0o700, "uploads directory");
    let mut files = 0;
    for ws in std::fs::read_dir(&uploads).expect("uploads") {
        let ws = ws.expect("entry").path();
        assert_eq!(mode(&ws), 0o700, "{}", ws.display());
        for f in std::fs::read_dir(&ws).expect("workspace uploads") {
            let f = f.expect("entry").path();
            assert_eq!(mode(&f), 0o600, "{}", f.display());
            files += 1;
        }
    }
    assert_eq!(files, 1);
    // No temporary state file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&root)
        .expect("root")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
