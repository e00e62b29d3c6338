//! Load: 100 concurrent clients mix queries, presigned uploads, loads into managed database tables and result
//! reads against one in-process hotdata-local for 60 seconds, while a few `503`/`429` answers are injected from
//! the server's fault queue. Afterwards every acknowledged write is checked with real SQL and every finalized
//! upload must be listed.
//!
//! Prints, per kind of operation: count, p50/p99/max latency (a whole operation, retries included), errors caused
//! by the injected faults, other errors, and `409 RESOURCE_LOCKED` retries; then lost writes, spec violations,
//! the resident memory every 10 seconds and the peak (VmHWM of this process: client and server together).
//! Exits non-zero when any error was not caused by a fault, when a write was lost or duplicated, or when the
//! server recorded a spec violation.
//!
//! ```sh
//! cargo bench -p hotdata-local --bench load
//! HOTDATA_LOAD_SECS=5 HOTDATA_LOAD_CLIENTS=20 cargo bench -p hotdata-local --bench load   # a quick check
//! ```

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hotdata::prelude::*;
use hotdata_local::{Config, Fault, Server, UploadSessions, Validation};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sha2::Digest as _;

use common::{env_u64, proc_status_mib};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Databases the clients write into, each with `TABLES` append-only event tables and one keyed table.
const DATABASES: usize = 4;
const TABLES: usize = 3;
/// Rows loaded into every event table before the clock starts.
const SEED_ROWS: u64 = 200;
/// Key space of the keyed `accounts` tables (upserts only ever touch these ids).
const ACCOUNTS: u64 = 500;
/// Injected faults: every `FAULT_EVERY`, this many `503`s and this many `429`s.
const FAULT_EVERY: Duration = Duration::from_secs(2);
const FAULT_503: u32 = 2;
const FAULT_429: u32 = 1;
/// A client gives up on one request after this many injected faults in a row.
const MAX_ATTEMPTS: u32 = 60;
/// ... or after waiting this long for a table another load holds (`409 RESOURCE_LOCKED` is transient by the spec;
/// the wait shows in the latency).
const MAX_LOCK_WAIT: Duration = Duration::from_secs(180);

/// A small deterministic generator (xorshift64*), one per client; no extra crate.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The kinds of operation measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// SQL over the loaded tables, raw HTTP.
    QueryTables,
    /// SQL over constants (`generate_series`), through the SDK's query flow; its result is read later.
    QuerySdk,
    /// `POST /v1/uploads`, storage `PUT`s, finalize.
    Upload,
    /// Append load of a finalized upload.
    LoadUpload,
    /// Append load of inline CSV with an idempotency key (sometimes sent twice).
    LoadInline,
    /// Keyed upsert of inline CSV.
    Upsert,
    /// Every JSON page of a stored result, following `Link`.
    ReadJson,
    /// A stored result as one Arrow IPC stream.
    ReadArrow,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::QueryTables,
        Kind::QuerySdk,
        Kind::Upload,
        Kind::LoadUpload,
        Kind::LoadInline,
        Kind::Upsert,
        Kind::ReadJson,
        Kind::ReadArrow,
    ];
    fn name(self) -> &'static str {
        match self {
            Kind::QueryTables => "query tables",
            Kind::QuerySdk => "query (SDK)",
            Kind::Upload => "upload",
            Kind::LoadUpload => "load upload",
            Kind::LoadInline => "load inline",
            Kind::Upsert => "upsert",
            Kind::ReadJson => "read JSON",
            Kind::ReadArrow => "read Arrow",
        }
    }
}

#[derive(Default)]
struct KindStats {
    latencies: Vec<Duration>,
    fault_errors: u64,
    other_errors: u64,
    lock_retries: u64,
}

/// Everything the clients record.
#[derive(Default)]
struct Stats {
    kinds: Mutex<BTreeMap<Kind, KindStats>>,
    /// The first few unexpected errors, for the report.
    samples: Mutex<Vec<String>>,
    /// Rows acknowledged per `(database, table)` (appends; seed rows included).
    appended: Mutex<HashMap<(usize, String), u64>>,
    /// Account ids acknowledged per database (upserts).
    accounts: Mutex<HashMap<usize, BTreeSet<u64>>>,
    /// Every finalized upload and whether a load acknowledged it.
    uploads: Mutex<BTreeMap<String, bool>>,
    /// Idempotent replays whose answer matched the first one.
    replays: AtomicU64,
}

impl Stats {
    fn with<R>(&self, kind: Kind, f: impl FnOnce(&mut KindStats) -> R) -> R {
        let mut kinds = self.kinds.lock().unwrap_or_else(|e| e.into_inner());
        f(kinds.entry(kind).or_default())
    }
    fn other(&self, kind: Kind, message: String) {
        self.with(kind, |k| k.other_errors += 1);
        let mut s = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        if s.len() < 20 {
            s.push(format!("{}: {message}", kind.name()));
        }
    }
}

/// What one answer was, after the refusals worth retrying were retried.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: bytes::Bytes,
}

impl Answer {
    fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("status {}: body is not JSON ({e})", self.status))
    }
    fn expect(&self, status: u16, what: &str) -> Result<Value, String> {
        if self.status != status {
            return Err(format!(
                "{what}: expected {status}, got {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            ));
        }
        self.json()
    }
}

/// Whether a refusal was one of the injected faults (their bodies say so).
fn injected(status: u16, body: &[u8]) -> bool {
    matches!(status, 429 | 503) && String::from_utf8_lossy(body).contains("injected")
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_millis(100), |s| Duration::from_secs(s.min(5)))
}

/// One simulated user: its own SDK client (with its own connection pool) and raw HTTP client.
struct Client {
    id: usize,
    base: String,
    key: String,
    ws: String,
    http: reqwest::Client,
    sdk: hotdata::Client,
    dbs: Arc<Vec<String>>,
    stats: Arc<Stats>,
    rng: Rng,
    seq: u64,
    /// Results this client made: `(result id, database, rows)`.
    results: Vec<(String, String, u64)>,
}

impl Client {
    fn req(&self, method: Method, path: &str, db: Option<&str>) -> RequestBuilder {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("X-Workspace-Id", &self.ws);
        if let Some(db) = db {
            r = r.header("X-Database-Id", db);
        }
        r
    }

    /// Sends the request `build` makes, retrying injected faults, `409 RESOURCE_LOCKED` and any other `429` after
    /// their `Retry-After`. Injected faults and lock waits are counted against `kind`.
    async fn send(&self, kind: Kind, build: impl Fn() -> RequestBuilder) -> Result<Answer, String> {
        let started = Instant::now();
        let mut faults = 0;
        while faults < MAX_ATTEMPTS && started.elapsed() < MAX_LOCK_WAIT {
            let resp = build().send().await.map_err(|e| format!("transport: {e}"))?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(|e| format!("reading the body: {e}"))?;
            if injected(status, &body) {
                self.stats.with(kind, |k| k.fault_errors += 1);
                faults += 1;
                tokio::time::sleep(retry_after(&headers).min(Duration::from_millis(200))).await;
                continue;
            }
            if status == 409 && String::from_utf8_lossy(&body).contains("RESOURCE_LOCKED") {
                self.stats.with(kind, |k| k.lock_retries += 1);
                // The documented answer: wait as told. A little jitter keeps the waiters from all coming back at once.
                let jitter = Duration::from_millis(self.id as u64 % 100);
                tokio::time::sleep(retry_after(&headers) + jitter).await;
                continue;
            }
            if status == 429 {
                return Err(format!(
                    "429 not injected: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                ));
            }
            return Ok(Answer { status, headers, body });
        }
        Err(format!(
            "still refused after {faults} injected faults and {:.1?}",
            started.elapsed()
        ))
    }

    fn pick_db(&mut self) -> (usize, String) {
        let d = self.rng.range(0, DATABASES as u64 - 1) as usize;
        (d, self.dbs[d].clone())
    }

    /// CSV rows for an events table, with ids unique across the whole run.
    fn events_csv(&mut self, rows: u64) -> String {
        let mut s = String::from("id,client,account,amount,note\n");
        for _ in 0..rows {
            self.seq += 1;
            let id = (self.id as u64 + 1) * 1_000_000_000 + self.seq;
            let account = self.rng.range(1, ACCOUNTS);
            let amount = self.rng.range(1, 10_000);
            s.push_str(&format!(
                "{id},{},{account},{amount},note {}-{}\n",
                self.id, self.id, self.seq
            ));
        }
        s
    }

    async fn one(&mut self) -> Result<(), (Kind, String)> {
        let roll = self.rng.range(0, 99);
        match roll {
            0..=19 => self.query_tables().await.map_err(|e| (Kind::QueryTables, e)),
            20..=29 => self.query_sdk().await.map_err(|e| (Kind::QuerySdk, e)),
            30..=44 => self.upload_and_load().await,
            45..=59 => self.load_inline().await.map_err(|e| (Kind::LoadInline, e)),
            60..=64 => self.upsert().await.map_err(|e| (Kind::Upsert, e)),
            65..=81 => self.read_json().await,
            _ => self.read_arrow().await,
        }
    }

    async fn timed<T>(
        &self,
        kind: Kind,
        fut: impl std::future::Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        let t = Instant::now();
        let out = fut.await?;
        let d = t.elapsed();
        self.stats.with(kind, |k| k.latencies.push(d));
        Ok(out)
    }

    async fn query_tables(&mut self) -> Result<(), String> {
        let (_, db) = self.pick_db();
        let table = format!("events_{}", self.rng.range(0, TABLES as u64 - 1));
        let which = self.rng.range(0, 3);
        let sql = match which {
            0 => format!("SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(amount) AS total FROM public.{table}"),
            1 => format!(
                "SELECT client, count(*) AS n, max(amount) AS top FROM public.{table} GROUP BY client ORDER BY n DESC LIMIT 10"
            ),
            2 => format!(
                "SELECT count(*) AS n FROM public.{table} e JOIN public.accounts a ON e.account = a.id WHERE a.balance >= 0"
            ),
            // Upserts rewrite this table as a new generation while it is read: it must never look empty or doubled.
            _ => "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM public.accounts".to_string(),
        };
        let body = json!({ "sql": sql });
        let answer = self
            .timed(
                Kind::QueryTables,
                self.send(Kind::QueryTables, || {
                    self.req(Method::POST, "/v1/query", Some(&db)).json(&body)
                }),
            )
            .await?;
        let v = answer.expect(200, &sql)?;
        if which == 0 || which == 3 {
            let (n, ids) = (&v["rows"][0][0], &v["rows"][0][1]);
            let n = n.as_u64().ok_or_else(|| format!("{sql}: no count in {v}"))?;
            let least = if which == 0 { SEED_ROWS } else { 1 };
            if n < least || Some(n) != ids.as_u64() {
                return Err(format!("{sql}: {n} rows but {ids} distinct ids"));
            }
        }
        Ok(())
    }

    async fn query_sdk(&mut self) -> Result<(), String> {
        let (_, db) = self.pick_db();
        let n = self.rng.range(100, 3000);
        let sql = format!(
            "SELECT value AS n, value * 3 AS triple, concat('row-', CAST(value AS VARCHAR)) AS label \
             FROM generate_series(1, {n}) AS t(value)"
        );
        let rows = self
            .timed(Kind::QuerySdk, async {
                loop {
                    match self.sdk.query(sql.as_str()).database(db.as_str()).rows().await {
                        Ok(rows) => return Ok(rows),
                        Err(e) => {
                            let injected_fault =
                                matches!(e.status(), Some(429 | 503)) && e.to_string().contains("injected");
                            if !injected_fault {
                                return Err(format!("SDK query: {e}"));
                            }
                            self.stats.with(Kind::QuerySdk, |k| k.fault_errors += 1);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            })
            .await?;
        if rows.len() as u64 != n {
            return Err(format!("SDK query returned {} rows, expected {n}", rows.len()));
        }
        let last = rows.row(rows.len() - 1).ok_or("no last row")?;
        let triple: i64 = last.get("triple").map_err(|e| e.to_string())?;
        if triple != 3 * n as i64 {
            return Err(format!("last triple {triple}, expected {}", 3 * n));
        }
        let id = rows.result_id().ok_or("the answer has no result_id")?.to_string();
        self.results.push((id, db, n));
        if self.results.len() > 16 {
            self.results.remove(0);
        }
        Ok(())
    }

    /// A result of this client's to read, making one first when it has none yet.
    async fn some_result(&mut self) -> Result<(String, String, u64), (Kind, String)> {
        if self.results.is_empty() {
            self.query_sdk().await.map_err(|e| (Kind::QuerySdk, e))?;
        }
        let i = self.rng.range(0, self.results.len() as u64 - 1) as usize;
        Ok(self.results[i].clone())
    }

    async fn read_json(&mut self) -> Result<(), (Kind, String)> {
        let (id, db, rows) = self.some_result().await?;
        let page = self.rng.range(200, 1000);
        let base = self.base.clone();
        let fetched = self
            .timed(Kind::ReadJson, async {
                let mut next = Some(format!("/v1/results/{id}?offset=0&limit={page}"));
                let mut got = 0u64;
                let mut expected_n = 1u64;
                while let Some(path) = next.take() {
                    let answer = self
                        .send(Kind::ReadJson, || self.req(Method::GET, &path, Some(&db)))
                        .await?;
                    if answer.status == 202 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        next = Some(path);
                        continue;
                    }
                    let v = answer.expect(200, &path)?;
                    let total = answer
                        .headers
                        .get("x-total-row-count")
                        .and_then(|h| h.to_str().ok())
                        .and_then(|h| h.parse::<u64>().ok());
                    if total != Some(rows) {
                        return Err(format!("{path}: X-Total-Row-Count {total:?}, expected {rows}"));
                    }
                    for r in v["rows"].as_array().ok_or("no rows")? {
                        if r[0].as_u64() != Some(expected_n) {
                            return Err(format!("{path}: row {expected_n} is {r}"));
                        }
                        expected_n += 1;
                        got += 1;
                    }
                    next = answer
                        .headers
                        .get("link")
                        .and_then(|l| l.to_str().ok())
                        .and_then(|l| l.split_once('<').and_then(|(_, r)| r.split_once('>')))
                        .map(|(u, _)| u.trim_start_matches(base.as_str()).to_string());
                }
                Ok(got)
            })
            .await
            .map_err(|e| (Kind::ReadJson, e))?;
        if fetched != rows {
            return Err((Kind::ReadJson, format!("{id}: paged {fetched} rows of {rows}")));
        }
        Ok(())
    }

    async fn read_arrow(&mut self) -> Result<(), (Kind, String)> {
        let (id, db, rows) = self.some_result().await?;
        let path = format!("/v1/results/{id}?format=arrow");
        let answer = self
            .timed(Kind::ReadArrow, async {
                loop {
                    let a = self
                        .send(Kind::ReadArrow, || self.req(Method::GET, &path, Some(&db)))
                        .await?;
                    if a.status != 202 {
                        return Ok(a);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .await
            .map_err(|e| (Kind::ReadArrow, e))?;
        if answer.status != 200 {
            return Err((Kind::ReadArrow, format!("{path}: status {}", answer.status)));
        }
        let reader = datafusion::arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(&answer.body), None)
            .map_err(|e| (Kind::ReadArrow, format!("{path}: not an Arrow stream: {e}")))?;
        let mut n = 0u64;
        for batch in reader {
            n += batch.map_err(|e| (Kind::ReadArrow, format!("{path}: {e}")))?.num_rows() as u64;
        }
        if n != rows {
            return Err((Kind::ReadArrow, format!("{path}: {n} rows, expected {rows}")));
        }
        Ok(())
    }

    /// A presigned upload (single `PUT` or multipart, by size), then, two times in three, an append load of it.
    async fn upload_and_load(&mut self) -> Result<(), (Kind, String)> {
        let rows = self.rng.range(20, 200);
        let csv = self.events_csv(rows).into_bytes();
        let with_checksum = self.rng.range(0, 1) == 0;
        let upload_id = self
            .timed(Kind::Upload, self.upload(csv, with_checksum))
            .await
            .map_err(|e| (Kind::Upload, e))?;
        self.stats
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(upload_id.clone(), false);
        if self.rng.range(0, 2) == 0 {
            return Ok(());
        }
        let (d, db) = self.pick_db();
        let table = format!("events_{}", self.rng.range(0, TABLES as u64 - 1));
        let path = format!("/v1/databases/{db}/schemas/public/tables/{table}/loads");
        let body = json!({"upload_id": upload_id, "mode": "append", "format": "csv"});
        let answer = self
            .timed(
                Kind::LoadUpload,
                self.send(Kind::LoadUpload, || self.req(Method::POST, &path, None).json(&body)),
            )
            .await
            .map_err(|e| (Kind::LoadUpload, e))?;
        answer.expect(200, &path).map_err(|e| (Kind::LoadUpload, e))?;
        self.ack_append(d, &table, rows);
        self.stats
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(upload_id, true);
        Ok(())
    }

    async fn upload(&self, bytes: Vec<u8>, with_checksum: bool) -> Result<String, String> {
        let mut open = json!({"declared_size_bytes": bytes.len(), "content_type": "text/csv",
                              "filename": format!("client-{}.csv", self.id)});
        if with_checksum {
            let hex: String = sha2::Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            open["checksum_algo"] = json!("sha256");
            open["checksum_value"] = json!(hex);
        }
        let session = self
            .send(Kind::Upload, || self.req(Method::POST, "/v1/uploads", None).json(&open))
            .await?
            .expect(201, "POST /v1/uploads")?;
        let id = session["upload_id"].as_str().ok_or("no upload_id")?.to_string();
        let token = session["finalize_token"]
            .as_str()
            .ok_or("no finalize_token")?
            .to_string();
        // Storage PUTs carry no API credentials: the URL's signature is the authorization.
        let finalize_body = match session["mode"].as_str() {
            Some("single") => {
                let url = session["url"].as_str().ok_or("no url")?;
                self.put_part(url, bytes).await?;
                None
            }
            Some("multipart") => {
                let size = session["part_size"].as_u64().ok_or("no part_size")? as usize;
                let urls = session["part_urls"].as_array().ok_or("no part_urls")?;
                let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
                if urls.len() != chunks.len() {
                    return Err(format!("{} part URLs for {} parts", urls.len(), chunks.len()));
                }
                let mut parts = Vec::new();
                for (i, (url, chunk)) in urls.iter().zip(chunks).enumerate() {
                    let etag = self.put_part(url.as_str().ok_or("part url")?, chunk.to_vec()).await?;
                    parts.push(json!({"part_number": i + 1, "e_tag": etag}));
                }
                Some(json!({ "parts": parts }))
            }
            other => return Err(format!("session mode {other:?}")),
        };
        let path = format!("/v1/uploads/{id}/finalize");
        let done = self
            .send(Kind::Upload, || {
                let r = self
                    .req(Method::POST, &path, None)
                    .header("X-Upload-Finalize-Token", &token);
                match &finalize_body {
                    Some(b) => r.json(b),
                    None => r,
                }
            })
            .await?
            .expect(200, &path)?;
        if done["upload_id"].as_str() != Some(&id) || done["status"] != "ready" {
            return Err(format!("finalize answered {done}"));
        }
        Ok(id)
    }

    async fn put_part(&self, url: &str, bytes: Vec<u8>) -> Result<String, String> {
        let resp = self
            .http
            .put(url)
            .body(bytes)
            .send()
            .await
            .map_err(|e| format!("storage PUT: {e}"))?;
        if resp.status() != StatusCode::OK {
            return Err(format!(
                "storage PUT: {} {}",
                resp.status(),
                resp.text().await.unwrap_or_default()
            ));
        }
        resp.headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| "storage PUT without ETag".to_string())
    }

    fn ack_append(&self, d: usize, table: &str, rows: u64) {
        *self
            .stats
            .appended
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((d, table.to_string()))
            .or_default() += rows;
    }

    async fn load_inline(&mut self) -> Result<(), String> {
        let (d, db) = self.pick_db();
        let table = format!("events_{}", self.rng.range(0, TABLES as u64 - 1));
        let rows = self.rng.range(5, 100);
        let csv = self.events_csv(rows);
        let key = format!("load-{}-{}", self.id, self.seq);
        let path = format!("/v1/databases/{db}/schemas/public/tables/{table}/loads");
        let body = json!({"mode": "append", "data": csv, "idempotency_key": key});
        let first = self
            .timed(
                Kind::LoadInline,
                self.send(Kind::LoadInline, || self.req(Method::POST, &path, None).json(&body)),
            )
            .await?
            .expect(200, &path)?;
        self.ack_append(d, &table, rows);
        // One time in ten the client "did not hear" the answer and sends the same request again: the key must
        // give back the first answer and load nothing.
        if self.rng.range(0, 9) == 0 {
            let again = self
                .timed(
                    Kind::LoadInline,
                    self.send(Kind::LoadInline, || self.req(Method::POST, &path, None).json(&body)),
                )
                .await?
                .expect(200, &path)?;
            if again != first {
                return Err(format!("replay of {key} answered {again}, first {first}"));
            }
            self.stats.replays.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    async fn upsert(&mut self) -> Result<(), String> {
        let (d, db) = self.pick_db();
        let mut ids = BTreeSet::new();
        for _ in 0..self.rng.range(1, 20) {
            ids.insert(self.rng.range(1, ACCOUNTS));
        }
        let mut csv = String::from("id,balance,owner\n");
        for id in &ids {
            csv.push_str(&format!("{id},{},client-{}\n", self.rng.range(0, 100_000), self.id));
        }
        let path = format!("/v1/databases/{db}/schemas/public/tables/accounts/loads");
        let body = json!({"mode": "upsert", "data": csv});
        self.timed(
            Kind::Upsert,
            self.send(Kind::Upsert, || self.req(Method::POST, &path, None).json(&body)),
        )
        .await?
        .expect(200, &path)?;
        self.stats
            .accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(d)
            .or_default()
            .extend(ids);
        Ok(())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> Result<(), BoxError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let secs = env_u64("HOTDATA_LOAD_SECS", 60);
    let clients = env_u64("HOTDATA_LOAD_CLIENTS", 100) as usize;
    let server = Server::start_background(Config {
        validation: Validation::Record,
        // Small parts, so that uploads of a few kilobytes exercise multipart sessions too.
        uploads: UploadSessions {
            single_put_max_bytes: 4096,
            min_part_size: 1024,
            part_size: 2048,
            ..Default::default()
        },
        ..Config::default()
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let failed = runtime.block_on(run(&server, secs, clients))?;
    let violations = server.violations();
    println!("spec violations recorded by the server: {}", violations.len());
    for v in violations.iter().take(10) {
        println!("  {v}");
    }
    println!(
        "peak RSS (VmHWM, client + server): {:.1} MiB",
        proc_status_mib("VmHWM:")
    );
    drop(server);
    if failed || !violations.is_empty() {
        return Err("the load run failed; see above".into());
    }
    Ok(())
}

/// Runs the load and prints the report; `Ok(true)` when a check failed.
async fn run(server: &Server, secs: u64, clients: usize) -> Result<bool, BoxError> {
    let base = server.base_url().to_string();
    let key = server.api_key().to_string();
    let ws = server.workspace_id().to_string();
    let sdk = |http: reqwest::Client| {
        hotdata::Client::builder()
            .base_url(&base)
            .api_key(key.clone())
            .workspace_id(&ws)
            .http_client(http)
            // Injected faults are counted and retried by the bench itself, so that none goes unseen.
            .retry(hotdata::RetryPolicy::none())
            .build()
    };

    // Databases with a keyed accounts table and seeded event tables.
    let setup_http = reqwest::Client::new();
    let setup = sdk(setup_http.clone())?;
    let stats = Arc::new(Stats::default());
    let mut dbs = Vec::new();
    for d in 0..DATABASES {
        use hotdata::types::{DatabaseDefaultSchemaDecl, DatabaseDefaultTableDecl};
        let table = |name: String, key: &[&str]| -> Result<DatabaseDefaultTableDecl, BoxError> {
            DatabaseDefaultTableDecl::builder()
                .name(name)
                .key(key.iter().map(|k| k.to_string()).collect::<Vec<_>>())
                .try_into()
                .map_err(BoxError::from)
        };
        let mut tables = vec![table("accounts".into(), &["id"])?];
        for t in 0..TABLES {
            tables.push(table(format!("events_{t}"), &[])?);
        }
        let public: DatabaseDefaultSchemaDecl = DatabaseDefaultSchemaDecl::builder()
            .name("public".to_owned())
            .tables(tables)
            .try_into()?;
        let request: hotdata::types::CreateDatabaseRequest = hotdata::types::CreateDatabaseRequest::builder()
            .name(format!("load-{d}"))
            .schemas(vec![public])
            .try_into()?;
        let db = setup.api().create_database().body(request).send().await?.into_inner();
        dbs.push(db.id);
    }
    let dbs = Arc::new(dbs);
    let mut seeder = Client {
        id: 1_000_000,
        base: base.clone(),
        key: key.clone(),
        ws: ws.clone(),
        http: setup_http.clone(),
        sdk: setup.clone(),
        dbs: dbs.clone(),
        stats: stats.clone(),
        rng: Rng::new(7),
        seq: 0,
        results: Vec::new(),
    };
    for (d, db) in dbs.iter().enumerate() {
        for t in 0..TABLES {
            let table = format!("events_{t}");
            let csv = seeder.events_csv(SEED_ROWS);
            let path = format!("/v1/databases/{db}/schemas/public/tables/{table}/loads");
            let body = json!({"mode": "replace", "data": csv});
            seeder
                .send(Kind::LoadInline, || seeder.req(Method::POST, &path, None).json(&body))
                .await?
                .expect(200, &path)?;
            seeder.ack_append(d, &table, SEED_ROWS);
        }
        let path = format!("/v1/databases/{db}/schemas/public/tables/accounts/loads");
        let body = json!({"mode": "upsert", "data": "id,balance,owner\n1,0,seed\n"});
        seeder
            .send(Kind::Upsert, || seeder.req(Method::POST, &path, None).json(&body))
            .await?
            .expect(200, &path)?;
        stats
            .accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(d)
            .or_default()
            .insert(1);
    }
    stats.kinds.lock().unwrap_or_else(|e| e.into_inner()).clear();
    println!(
        "load: {clients} clients for {secs} s against {base}; {DATABASES} databases x ({TABLES} event tables + \
         1 keyed), faults: {FAULT_503} x 503 + {FAULT_429} x 429 every {FAULT_EVERY:?}"
    );
    println!("RSS before the run: {:.1} MiB", proc_status_mib("VmRSS:"));

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);

    // Faults and memory samples on the side.
    let faults = server.faults().clone();
    let fault_stop = stop.clone();
    let injected_total = Arc::new(AtomicU64::new(0));
    let injected_count = injected_total.clone();
    let fault_task = tokio::spawn(async move {
        while !fault_stop.load(Ordering::Relaxed) {
            tokio::time::sleep(FAULT_EVERY).await;
            if fault_stop.load(Ordering::Relaxed) {
                break;
            }
            faults.push(Fault::Status(503), FAULT_503);
            faults.push(Fault::TooManyRequests { retry_after_secs: 1 }, FAULT_429);
            injected_count.fetch_add(u64::from(FAULT_503 + FAULT_429), Ordering::Relaxed);
        }
    });
    let mem_stop = stop.clone();
    let mem_task = tokio::spawn(async move {
        let mut samples = Vec::new();
        let mut tick = 0u64;
        while !mem_stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tick += 1;
            if tick.is_multiple_of(10) {
                samples.push((tick, proc_status_mib("VmRSS:")));
            }
        }
        samples
    });

    let mut tasks = Vec::new();
    for i in 0..clients {
        let http = reqwest::Client::builder().pool_max_idle_per_host(4).build()?;
        let mut c = Client {
            id: i,
            base: base.clone(),
            key: key.clone(),
            ws: ws.clone(),
            http: http.clone(),
            sdk: sdk(http)?,
            dbs: dbs.clone(),
            stats: stats.clone(),
            rng: Rng::new(i as u64 + 1),
            seq: 0,
            results: Vec::new(),
        };
        tasks.push(tokio::spawn(async move {
            let mut ops = 0u64;
            while Instant::now() < deadline {
                if let Err((kind, e)) = c.one().await {
                    c.stats.other(kind, e);
                }
                ops += 1;
            }
            ops
        }));
    }
    let mut ops = 0;
    for t in tasks {
        ops += t.await?;
    }
    let wall = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    fault_task.abort();
    let rss_samples = mem_task.await?;
    let pending = server.faults().pending();
    server.faults().clear();

    // The report.
    let mut failed = false;
    println!(
        "{ops} operations in {wall:.1?} ({:.0}/s)",
        ops as f64 / wall.as_secs_f64()
    );
    println!(
        "{:<13} {:>6} {:>10} {:>10} {:>10} {:>11} {:>11} {:>12}",
        "kind", "count", "p50", "p99", "max", "fault errs", "other errs", "409 retries"
    );
    let mut kinds = std::mem::take(&mut *stats.kinds.lock().unwrap_or_else(|e| e.into_inner()));
    let (mut all, mut fault_errors, mut other_errors, mut lock_retries) = (Vec::new(), 0, 0, 0);
    for kind in Kind::ALL {
        let Some(mut k) = kinds.remove(&kind) else {
            continue;
        };
        k.latencies.sort();
        println!(
            "{:<13} {:>6} {:>10.1?} {:>10.1?} {:>10.1?} {:>11} {:>11} {:>12}",
            kind.name(),
            k.latencies.len(),
            percentile(&k.latencies, 0.50),
            percentile(&k.latencies, 0.99),
            k.latencies.last().copied().unwrap_or_default(),
            k.fault_errors,
            k.other_errors,
            k.lock_retries
        );
        all.extend(k.latencies);
        fault_errors += k.fault_errors;
        other_errors += k.other_errors;
        lock_retries += k.lock_retries;
    }
    all.sort();
    println!(
        "{:<13} {:>6} {:>10.1?} {:>10.1?} {:>10.1?} {:>11} {:>11} {:>12}",
        "all",
        all.len(),
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or_default(),
        fault_errors,
        other_errors,
        lock_retries
    );
    let injected_total = injected_total.load(Ordering::Relaxed);
    println!(
        "faults injected: {injected_total}, hit by requests: {}, answers seen as injected by clients: {fault_errors}",
        injected_total.saturating_sub(u64::from(pending))
    );
    println!(
        "idempotent replays answered like the first request: {}",
        stats.replays.load(Ordering::Relaxed)
    );
    if other_errors > 0 {
        failed = true;
        println!("errors not caused by faults: {other_errors}; the first ones:");
        for s in stats.samples.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            println!("  {s}");
        }
    }

    // Lost writes: every acknowledged row is in its table, once.
    let verify = Client {
        id: 2_000_000,
        base: base.clone(),
        key: key.clone(),
        ws: ws.clone(),
        http: setup_http.clone(),
        sdk: setup,
        dbs: dbs.clone(),
        stats: Arc::new(Stats::default()),
        rng: Rng::new(9),
        seq: 0,
        results: Vec::new(),
    };
    let appended = std::mem::take(&mut *stats.appended.lock().unwrap_or_else(|e| e.into_inner()));
    let accounts = std::mem::take(&mut *stats.accounts.lock().unwrap_or_else(|e| e.into_inner()));
    let (mut acked_rows, mut lost, mut extra) = (0u64, 0u64, 0u64);
    let count = |db: String, sql: String| {
        let verify = &verify;
        async move {
            let body = json!({ "sql": sql });
            let v = verify
                .send(Kind::QueryTables, || {
                    verify.req(Method::POST, "/v1/query", Some(&db)).json(&body)
                })
                .await?
                .expect(200, &sql)?;
            let n = v["rows"][0][0].as_u64().ok_or_else(|| format!("{sql}: {v}"))?;
            let distinct = v["rows"][0][1].as_u64().ok_or_else(|| format!("{sql}: {v}"))?;
            Ok::<_, String>((n, distinct))
        }
    };
    for (d, db) in dbs.iter().enumerate() {
        for t in 0..TABLES {
            let table = format!("events_{t}");
            let want = appended.get(&(d, table.clone())).copied().unwrap_or(0);
            let (n, distinct) = count(
                db.clone(),
                format!("SELECT count(*), count(DISTINCT id) FROM public.{table}"),
            )
            .await?;
            acked_rows += want;
            lost += want.saturating_sub(distinct);
            extra += n.saturating_sub(want);
            if n != want || distinct != n {
                println!("  load-{d}.public.{table}: {want} rows acknowledged, {n} stored, {distinct} distinct ids");
            }
        }
        let want = accounts.get(&d).map_or(0, |s| s.len() as u64);
        let (n, distinct) = count(
            db.clone(),
            "SELECT count(*), count(DISTINCT id) FROM public.accounts".into(),
        )
        .await?;
        acked_rows += want;
        lost += want.saturating_sub(distinct);
        extra += n.saturating_sub(want);
        if n != want || distinct != n {
            println!("  load-{d}.public.accounts: {want} keys acknowledged, {n} stored, {distinct} distinct");
        }
    }
    // Every finalized upload is listed; the loaded ones as consumed.
    let listed = verify
        .send(Kind::Upload, || verify.req(Method::GET, "/v1/files", None))
        .await?
        .expect(200, "GET /v1/files")?;
    let listed: HashMap<String, String> = listed["uploads"]
        .as_array()
        .ok_or("no uploads list")?
        .iter()
        .filter_map(|u| Some((u["id"].as_str()?.to_string(), u["status"].as_str()?.to_string())))
        .collect();
    let uploads = std::mem::take(&mut *stats.uploads.lock().unwrap_or_else(|e| e.into_inner()));
    let mut lost_uploads = 0;
    for (id, loaded) in &uploads {
        let want = if *loaded { "consumed" } else { "pending" };
        if listed.get(id).map(String::as_str) != Some(want) {
            lost_uploads += 1;
            if lost_uploads <= 5 {
                println!("  upload {id}: expected {want}, listed as {:?}", listed.get(id));
            }
        }
    }
    println!(
        "lost writes: {lost} of {acked_rows} acknowledged rows/keys missing, {extra} extra; \
         {lost_uploads} of {} finalized uploads not listed as expected",
        uploads.len()
    );
    if lost > 0 || extra > 0 || lost_uploads > 0 {
        failed = true;
    }
    let samples: Vec<String> = rss_samples.iter().map(|(t, mib)| format!("{t}s {mib:.0}")).collect();
    println!("RSS every 10 s (MiB): {}", samples.join(", "));
    println!("RSS after the run: {:.1} MiB", proc_status_mib("VmRSS:"));
    Ok(failed)
}
