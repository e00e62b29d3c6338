//! Loads and queries of the same managed table at the same time: a query never fails, never sees a table empty
//! or half-written, while appends add files and keyed loads swap the table for a new generation.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use support::{Local, json_of};

async fn create_db(local: &Local) -> String {
    let (status, db) = local
        .post_json(
            "/v1/databases",
            json!({"name": "race", "schemas": [{"name": "public", "tables": [{"name": "accounts", "key": ["id"]}]}]}),
        )
        .await;
    assert_eq!(status, 201, "{db}");
    db["id"].as_str().unwrap().to_string()
}

async fn load(local: &Local, db: &str, table: &str, mode: &str, csv: String) {
    loop {
        let (status, body) = local
            .post_json(
                &format!("/v1/databases/{db}/schemas/public/tables/{table}/loads"),
                json!({"mode": mode, "data": csv}),
            )
            .await;
        if status == 409 && body["error"]["code"] == "RESOURCE_LOCKED" {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        assert_eq!(status, 200, "{mode} into {table}: {body}");
        return;
    }
}

async fn count(local: &Local, db: &str, table: &str) -> Result<(u64, u64), String> {
    let resp = local
        .req(Method::POST, "/v1/query")
        .header("X-Database-Id", db)
        .json(&json!({"sql": format!("SELECT count(*), count(DISTINCT id) FROM public.{table}")}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(resp).await;
    if status != 200 {
        return Err(format!("{status}: {body}"));
    }
    Ok((
        body["rows"][0][0].as_u64().unwrap(),
        body["rows"][0][1].as_u64().unwrap(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queries_never_fail_while_keyed_loads_replace_the_table() {
    let local = Arc::new(Local::start().await);
    let db = create_db(&local).await;
    let rows = |n: u64, v: u64| {
        let mut s = String::from("id,balance\n");
        for i in 1..=n {
            s.push_str(&format!("{i},{v}\n"));
        }
        s
    };
    load(&local, &db, "accounts", "upsert", rows(50, 0)).await;
    load(&local, &db, "events", "append", rows(50, 0)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (local, db, stop) = (local.clone(), db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut v = 1;
            while !stop.load(Ordering::Relaxed) {
                load(&local, &db, "accounts", "upsert", rows(50, v)).await;
                let mut s = String::from("id,balance\n");
                s.push_str(&format!("{},{v}\n", 1000 + v));
                load(&local, &db, "events", "append", s).await;
                v += 1;
            }
            v
        })
    };
    let mut readers = Vec::new();
    for _ in 0..4 {
        let (local, db) = (local.clone(), db.clone());
        readers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            let mut last_events = 0;
            for i in 0..60 {
                let table = if i % 2 == 0 { "accounts" } else { "events" };
                match count(&local, &db, table).await {
                    Ok((n, d)) if table == "accounts" && (n, d) != (50, 50) => {
                        failures.push(format!("accounts: {n} rows, {d} ids"))
                    }
                    Ok((n, d)) if table == "events" && (n < last_events || n < 50 || d != n) => {
                        failures.push(format!("events: {n} rows, {d} ids after {last_events}"))
                    }
                    Ok((n, _)) if table == "events" => last_events = n,
                    Ok(_) => {}
                    Err(e) => failures.push(format!("{table}: {e}")),
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for r in readers {
        failures.extend(r.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    let loads = writer.await.unwrap();
    assert!(loads > 2, "the writer made only {loads} rounds");
    assert!(
        failures.is_empty(),
        "{} failed reads, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );

    // Replaced generations were removed once their last reader finished: one directory is left per table. The
    // removal runs on a blocking thread, so it is given a moment to finish.
    let tables = local.server.data_dir().join("tables").join(local.server.workspace_id());
    for conn in std::fs::read_dir(&tables).unwrap() {
        let dir = conn.unwrap().path().join("public").join("accounts");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let generations: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            if generations.len() == 1 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{}: {generations:?}",
                dir.display()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    local.server.assert_conformant();
}
