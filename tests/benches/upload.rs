//! Upload: a presigned multipart upload of a large file through the SDK (`Client::upload_file_with`) against the
//! same parts sent with plain `reqwest` `PUT`s at the same concurrency, to `hotdata-local`'s storage endpoint.
//!
//! The server runs as its own process (the `hotdata-local` binary of this package, on a temporary data
//! directory), and every measured upload runs in a fresh child process of this bench, so that the resident memory
//! a run reports is the client's alone, and no allocator state or connection pool carries over from one run to
//! the next. The source file is written once (not timed); one raw upload warms the server up (not counted); then,
//! for each round, one SDK upload and one raw upload run one after the other, the order alternating between rounds.
//!
//! - **sdk**: `client.upload_file_with(path, UploadOptions::new().concurrency(C))`: session, part `PUT`s, finalize.
//! - **raw**: the same `POST /v1/uploads` body the SDK sends, then every part read from the file into memory and
//!   `PUT` to its presigned URL with a plain `reqwest::Client` (`buffer_unordered(C)`), then the same finalize.
//!
//! Each upload is timed whole (session to finalize) and up to the moment its last part was stored (the SDK's
//! progress callback; the raw upload's last `PUT`). A child samples its `VmRSS` every 10 ms; its extra resident
//! memory is the peak (`VmHWM` at the end, which a sample cannot miss) minus `VmRSS` just before the upload.
//! After every upload the stored file in the server's data directory must have the source's size and SHA-256;
//! it is then deleted, so the disk holds at most one stored copy besides the source.
//!
//! Exits non-zero when the SDK's median throughput (whole upload, or part `PUT`s only) is below 0.8 times the raw
//! baseline's, when the SDK's extra resident memory exceeds `C × part size + 32 MiB` in any round, when an upload
//! did not land intact, or when the server recorded a spec violation.
//!
//! ```sh
//! cargo bench -p hotdata-local --bench upload
//! HOTDATA_BENCH_UPLOAD_MIB=128 HOTDATA_BENCH_UPLOAD_ROUNDS=1 cargo bench -p hotdata-local --bench upload
//! ```
//!
//! Knobs: `HOTDATA_BENCH_UPLOAD_MIB` (source size, 1024), `HOTDATA_BENCH_UPLOAD_CONCURRENCY` (parts in flight, 4,
//! the SDK's default), `HOTDATA_BENCH_UPLOAD_ROUNDS` (3), `HOTDATA_BENCH_UPLOAD_PART_MIB` (a part size hint both
//! clients send; unset, the server's 16 MiB). Files up to 64 MiB get a single-`PUT` session from the server.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Digest as _;

use common::{env_u64, pid_status_mib, proc_status_mib};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const MIB: u64 = 1024 * 1024;
/// A child process of this bench reads its upload from this variable (JSON of [`Job`]).
const JOB_ENV: &str = "HOTDATA_BENCH_UPLOAD_JOB";
/// The line a child prints its [`Outcome`] on.
const OUTCOME_PREFIX: &str = "OUTCOME ";
/// The file name both clients declare (its extension gives `application/octet-stream` in the SDK).
const SOURCE_NAME: &str = "source.bin";
const CONTENT_TYPE: &str = "application/octet-stream";
/// Throughput target: the SDK at least this fraction of the raw baseline.
const MIN_RATIO: f64 = 0.8;
/// Allowance on top of `concurrency × part size` for the SDK's extra resident memory.
const RSS_SLACK_MIB: f64 = 32.0;

/// Which client a child runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Role {
    Sdk,
    Raw,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Sdk => "sdk",
            Role::Raw => "raw",
        }
    }
}

/// One measured upload, as handed to a child.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    role: Role,
    url: String,
    key: String,
    workspace: String,
    path: PathBuf,
    size: u64,
    concurrency: usize,
    part_hint: Option<u64>,
}

/// What a child measured.
#[derive(Debug, Serialize, Deserialize)]
struct Outcome {
    upload_id: String,
    /// `size_bytes` of the finalize answer.
    size_bytes: u64,
    /// The session's part size (only the raw client sees the session).
    part_size: Option<u64>,
    /// Session to finalize answer.
    secs: f64,
    /// Session to the last part stored.
    parts_secs: f64,
    rss_before_mib: f64,
    rss_sampled_peak_mib: f64,
    hwm_mib: f64,
}

impl Outcome {
    /// Peak resident memory above what the process held just before the upload.
    fn extra_mib(&self) -> f64 {
        self.hwm_mib.max(self.rss_sampled_peak_mib) - self.rss_before_mib
    }
}

fn main() -> ExitCode {
    let result = match std::env::var(JOB_ENV) {
        Ok(job) => child(&job),
        Err(_) => parent(),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("upload bench: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The parent: source file, server process, rounds, report.

/// The `hotdata-local` binary in its own process, killed when dropped.
struct ServerProcess {
    child: Child,
    /// Kept open so the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    url: String,
    key: String,
    workspace: String,
}

impl ServerProcess {
    fn start(data_dir: &Path) -> Result<ServerProcess, BoxError> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hotdata-local"))
            .arg("--port")
            .arg("0")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--validation")
            .arg("record")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout of the server")?);
        let (mut url, mut key, mut workspace) = (None, None, None);
        let mut line = String::new();
        while url.is_none() || key.is_none() || workspace.is_none() {
            line.clear();
            if stdout.read_line(&mut line)? == 0 {
                let _ = child.kill();
                let _ = child.wait();
                return Err("hotdata-local exited before printing its address".into());
            }
            let line = line.trim();
            if let Some(v) = line.strip_prefix("HOTDATA_API_URL=") {
                url = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("HOTDATA_API_KEY=") {
                key = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("HOTDATA_WORKSPACE_ID=") {
                workspace = Some(v.to_string());
            }
        }
        Ok(ServerProcess {
            child,
            _stdout: stdout,
            url: url.unwrap_or_default(),
            key: key.unwrap_or_default(),
            workspace: workspace.unwrap_or_default(),
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `size` pseudo-random bytes (xorshift64*, so nothing compresses) to `path`; returns their hex SHA-256.
fn write_source(path: &Path, size: u64) -> Result<String, BoxError> {
    let mut out = std::io::BufWriter::with_capacity(MIB as usize, std::fs::File::create(path)?);
    let mut hasher = sha2::Sha256::new();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut chunk = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            word.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let n = left.min(MIB) as usize;
        hasher.update(&chunk[..n]);
        out.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_file(path: &Path) -> Result<String, BoxError> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// Runs one upload in a fresh child process of this bench and returns what it measured.
fn run_child(job: &Job) -> Result<Outcome, BoxError> {
    let out = Command::new(std::env::current_exe()?)
        .env(JOB_ENV, serde_json::to_string(job)?)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("the {} upload failed ({}): {stdout}", job.role.name(), out.status).into());
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(OUTCOME_PREFIX))
        .ok_or_else(|| format!("the {} upload printed no outcome: {stdout}", job.role.name()))?;
    Ok(serde_json::from_str(line)?)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn parent() -> Result<bool, BoxError> {
    let mib = env_u64("HOTDATA_BENCH_UPLOAD_MIB", 1024).max(1);
    let concurrency = env_u64("HOTDATA_BENCH_UPLOAD_CONCURRENCY", 4).max(1) as usize;
    let rounds = env_u64("HOTDATA_BENCH_UPLOAD_ROUNDS", 3).max(1);
    let part_hint = std::env::var("HOTDATA_BENCH_UPLOAD_PART_MIB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|m| m * MIB);
    let size = mib * MIB;

    // Declared first, dropped last: the server is stopped before its data directory goes.
    let dir = tempfile::Builder::new().prefix("hotdata-upload-bench").tempdir()?;
    let source = dir.path().join(SOURCE_NAME);
    let started = Instant::now();
    let source_sha = write_source(&source, size)?;
    println!(
        "source: {mib} MiB written in {:.2?} (not timed), sha256 {}…",
        started.elapsed(),
        &source_sha[..16]
    );
    let data_dir = dir.path().join("server");
    let server = ServerProcess::start(&data_dir)?;
    println!(
        "server: hotdata-local pid {} at {} (own process, data directory in {})",
        server.child.id(),
        server.url,
        dir.path().display()
    );
    println!(
        "{rounds} rounds of one SDK and one raw upload, concurrency {concurrency}, part size {}",
        part_hint.map_or("chosen by the server".to_string(), |p| format!("hint {} MiB", p / MIB))
    );

    let mut sdk = Vec::new();
    let mut raw = Vec::new();
    let mut part_size = None;
    let mut intact = true;
    // Round 0 is one raw upload that is checked but not counted: the first upload to a fresh server (directories
    // made, code paged in) would otherwise count against whichever client goes first.
    for round in 0..=rounds {
        let order: &[Role] = match round {
            0 => &[Role::Raw],
            r if r % 2 == 1 => &[Role::Sdk, Role::Raw],
            _ => &[Role::Raw, Role::Sdk],
        };
        for &role in order {
            let job = Job {
                role,
                url: server.url.clone(),
                key: server.key.clone(),
                workspace: server.workspace.clone(),
                path: source.clone(),
                size,
                concurrency,
                part_hint,
            };
            let o = run_child(&job)?;
            let stored = data_dir.join("uploads").join(&server.workspace).join(&o.upload_id);
            let stored_len = std::fs::metadata(&stored).map(|m| m.len()).ok();
            let stored_sha = sha256_file(&stored).ok();
            let ok = o.size_bytes == size && stored_len == Some(size) && stored_sha.as_deref() == Some(&source_sha);
            // The upload is checked; its bytes are not needed any more.
            let _ = std::fs::remove_file(&stored);
            intact &= ok;
            println!(
                "{} {}: {:.1} MiB/s whole ({:.2} s), {:.1} MiB/s part PUTs ({:.2} s), extra RSS {:.1} MiB \
                 (sampled {:.1}), {} {}",
                if round == 0 {
                    "warm-up (not counted)".to_string()
                } else {
                    format!("round {round}")
                },
                role.name(),
                mib as f64 / o.secs,
                o.secs,
                mib as f64 / o.parts_secs,
                o.parts_secs,
                o.extra_mib(),
                o.rss_sampled_peak_mib - o.rss_before_mib,
                o.upload_id,
                if ok {
                    "stored intact".to_string()
                } else {
                    format!(
                        "NOT INTACT: finalize size {}, stored size {stored_len:?}, sha256 {stored_sha:?}",
                        o.size_bytes
                    )
                }
            );
            if role == Role::Raw {
                if part_size.is_some() && part_size != o.part_size {
                    return Err(format!("the server gave part sizes {part_size:?} and {:?}", o.part_size).into());
                }
                part_size = o.part_size;
            }
            match role {
                _ if round == 0 => {}
                Role::Sdk => sdk.push(o),
                Role::Raw => raw.push(o),
            }
        }
    }

    let violations = violations(&server.url)?;
    let server_hwm = pid_status_mib(server.child.id(), "VmHWM:");
    drop(server);

    // Both sessions are declared alike, so the server cut both at the part size the raw client saw; a session of
    // one `PUT` holds the whole file in that one part.
    let part_mib = part_size.unwrap_or(size) as f64 / MIB as f64;
    let bound = concurrency as f64 * part_mib + RSS_SLACK_MIB;
    let throughput = |runs: &[Outcome], parts: bool| {
        median(
            runs.iter()
                .map(|o| mib as f64 / if parts { o.parts_secs } else { o.secs })
                .collect(),
        )
    };
    let peak = |runs: &[Outcome]| runs.iter().map(Outcome::extra_mib).fold(f64::NAN, f64::max);
    let (sdk_whole, raw_whole) = (throughput(&sdk, false), throughput(&raw, false));
    let (sdk_parts, raw_parts) = (throughput(&sdk, true), throughput(&raw, true));
    let (sdk_rss, raw_rss) = (peak(&sdk), peak(&raw));
    let whole_ok = sdk_whole >= MIN_RATIO * raw_whole;
    let parts_ok = sdk_parts >= MIN_RATIO * raw_parts;
    let rss_ok = sdk_rss <= bound;

    println!();
    println!(
        "{mib} MiB, {} parts of {part_mib} MiB, concurrency {concurrency}, {rounds} rounds (medians; RSS: worst round)",
        size.div_ceil(part_size.unwrap_or(size))
    );
    println!(
        "{:<30} {:>13} {:>13} {:>6}  {:<24} ok",
        "what", "sdk", "raw baseline", "ratio", "target"
    );
    let verdict = |ok: bool| if ok { "yes" } else { "NO" };
    println!(
        "{:<30} {:>8.1} MiB/s {:>7.1} MiB/s {:>6.2}  {:<24} {}",
        "throughput, whole upload",
        sdk_whole,
        raw_whole,
        sdk_whole / raw_whole,
        format!("ratio >= {MIN_RATIO}"),
        verdict(whole_ok)
    );
    println!(
        "{:<30} {:>8.1} MiB/s {:>7.1} MiB/s {:>6.2}  {:<24} {}",
        "throughput, part PUTs only",
        sdk_parts,
        raw_parts,
        sdk_parts / raw_parts,
        format!("ratio >= {MIN_RATIO}"),
        verdict(parts_ok)
    );
    println!(
        "{:<30} {:>9.1} MiB {:>9.1} MiB {:>6.2}  {:<24} {}",
        "extra RSS of the client, peak",
        sdk_rss,
        raw_rss,
        sdk_rss / raw_rss,
        format!("sdk <= {bound:.0} MiB ({concurrency}x{part_mib}+32)"),
        verdict(rss_ok)
    );
    println!(
        "uploads stored intact (size and SHA-256): {}",
        if intact { "all" } else { "NOT ALL" }
    );
    println!("spec violations recorded by the server: {}", violations.len());
    for v in violations.iter().take(5) {
        println!("  {v}");
    }
    println!("server process peak RSS (VmHWM, not part of the figures above): {server_hwm:.1} MiB");
    Ok(whole_ok && parts_ok && rss_ok && intact && violations.is_empty())
}

/// The spec violations the server recorded (`GET /_local/violations`).
fn violations(url: &str) -> Result<Vec<Value>, BoxError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let body: Value = reqwest::get(format!("{url}/_local/violations")).await?.json().await?;
        Ok(body["violations"].as_array().cloned().unwrap_or_default())
    })
}

// ---------------------------------------------------------------------------------------------------------------
// A child: one upload, timed, with its resident memory sampled.

fn child(job: &str) -> Result<bool, BoxError> {
    let job: Job = serde_json::from_str(job)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async {
        match job.role {
            Role::Sdk => {
                let client = hotdata::Client::builder()
                    .base_url(&job.url)
                    .api_key(job.key.as_str())
                    .workspace_id(&job.workspace)
                    .build()?;
                measured(|| sdk_upload(&client, &job)).await
            }
            Role::Raw => {
                let http = reqwest::Client::new();
                measured(|| raw_upload(&http, &job)).await
            }
        }
    })?;
    println!("{OUTCOME_PREFIX}{}", serde_json::to_string(&outcome)?);
    Ok(true)
}

/// What an upload function reports: upload id, finalized size, part size if known, whole and parts-only time.
type Timed = (String, u64, Option<u64>, Duration, Duration);

/// Runs `upload` with a thread sampling `VmRSS` every 10 ms.
async fn measured<F, Fut>(upload: F) -> Result<Outcome, BoxError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Timed, BoxError>>,
{
    let stop = Arc::new(AtomicBool::new(false));
    // The peak in KiB, so an integer atomic can hold it.
    let peak = Arc::new(AtomicU64::new(0));
    let before = proc_status_mib("VmRSS:");
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let kib = (proc_status_mib("VmRSS:") * 1024.0) as u64;
                peak.fetch_max(kib, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let result = upload().await;
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let (upload_id, size_bytes, part_size, whole, parts) = result?;
    Ok(Outcome {
        upload_id,
        size_bytes,
        part_size,
        secs: whole.as_secs_f64(),
        parts_secs: parts.as_secs_f64(),
        rss_before_mib: before,
        rss_sampled_peak_mib: peak.load(Ordering::Relaxed) as f64 / 1024.0,
        hwm_mib: proc_status_mib("VmHWM:"),
    })
}

async fn sdk_upload(client: &hotdata::Client, job: &Job) -> Result<Timed, BoxError> {
    let started = Instant::now();
    // When the progress callback saw every byte stored.
    let parts_done: Arc<Mutex<Option<Duration>>> = Arc::default();
    let seen = parts_done.clone();
    let mut options = hotdata::UploadOptions::new()
        .concurrency(job.concurrency)
        .progress(move |done, total| {
            if Some(done) == total {
                *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(started.elapsed());
            }
        });
    if let Some(hint) = job.part_hint {
        options = options.part_size(hint);
    }
    let done = client.upload_file_with(&job.path, options).await?;
    let whole = started.elapsed();
    let parts = parts_done
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .ok_or("the progress callback never reported the whole file")?;
    Ok((done.upload_id, done.size_bytes, None, whole, parts))
}

async fn raw_upload(http: &reqwest::Client, job: &Job) -> Result<Timed, BoxError> {
    let api = |path: &str| {
        http.post(format!("{}{path}", job.url))
            .bearer_auth(&job.key)
            .header("X-Workspace-Id", &job.workspace)
    };
    let started = Instant::now();
    // The body the SDK sends for a file: size, content type from the extension, name, and the hint if any.
    let mut open = json!({
        "declared_size_bytes": job.size,
        "content_type": CONTENT_TYPE,
        "filename": SOURCE_NAME,
    });
    if let Some(hint) = job.part_hint {
        open["part_size"] = json!(hint);
    }
    let resp = api("/v1/uploads").json(&open).send().await?;
    if resp.status() != 201 {
        return Err(format!("POST /v1/uploads: {} {}", resp.status(), resp.text().await?).into());
    }
    let session: Value = resp.json().await?;
    let id = session["upload_id"].as_str().ok_or("no upload_id")?.to_string();
    let token = session["finalize_token"]
        .as_str()
        .ok_or("no finalize_token")?
        .to_string();
    let single = session["mode"] == "single";
    let (part_size, urls): (u64, Vec<String>) = if single {
        (job.size, vec![session["url"].as_str().ok_or("no url")?.to_string()])
    } else {
        let urls = session["part_urls"].as_array().ok_or("no part_urls")?;
        let urls = urls
            .iter()
            .map(|u| u.as_str().map(str::to_string).ok_or("a part URL is not a string"))
            .collect::<Result<_, _>>()?;
        (session["part_size"].as_u64().ok_or("no part_size")?, urls)
    };
    if urls.len() as u64 != job.size.div_ceil(part_size) {
        return Err(format!(
            "{} part URLs for {} bytes in parts of {part_size}",
            urls.len(),
            job.size
        )
        .into());
    }

    let file = Arc::new(std::fs::File::open(&job.path)?);
    let size = job.size;
    let mut etags: Vec<(u64, String)> = futures::stream::iter(urls.into_iter().enumerate())
        .map(|(i, url)| {
            let file = file.clone();
            async move {
                let offset = i as u64 * part_size;
                let len = part_size.min(size - offset) as usize;
                let body = tokio::task::spawn_blocking(move || {
                    use std::os::unix::fs::FileExt as _;
                    let mut buf = vec![0u8; len];
                    file.read_exact_at(&mut buf, offset).map(|()| buf)
                })
                .await??;
                let resp = http.put(url).body(body).send().await?;
                if resp.status() != 200 {
                    return Err::<_, BoxError>(
                        format!("PUT part {}: {} {}", i + 1, resp.status(), resp.text().await?).into(),
                    );
                }
                let etag = resp
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                Ok((i as u64 + 1, etag))
            }
        })
        .buffer_unordered(job.concurrency)
        .try_collect()
        .await?;
    let parts = started.elapsed();

    etags.sort_unstable_by_key(|(n, _)| *n);
    let body = if single {
        json!({})
    } else {
        let list: Vec<Value> = etags
            .iter()
            .map(|(n, e)| json!({"part_number": n, "e_tag": e}))
            .collect();
        json!({ "parts": list })
    };
    let resp = api(&format!("/v1/uploads/{id}/finalize"))
        .header("X-Upload-Finalize-Token", &token)
        .json(&body)
        .send()
        .await?;
    if resp.status() != 200 {
        return Err(format!("finalize: {} {}", resp.status(), resp.text().await?).into());
    }
    let done: Value = resp.json().await?;
    let whole = started.elapsed();
    let size_bytes = done["size_bytes"].as_u64().ok_or("no size_bytes")?;
    Ok((id, size_bytes, Some(part_size), whole, parts))
}
