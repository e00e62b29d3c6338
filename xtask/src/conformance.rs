//! The conformance step of `cargo xtask ci`: schemathesis, a tool nobody here
//! wrote, generates requests from `spec/openapi.yaml` and checks what the
//! standalone `hotdata-local` answers against the same document.
//!
//! The step builds the server, starts it on a free port with a fresh data
//! directory, waits for `/_local/health`, runs `st` twice within one time
//! budget, asks the server for the responses it found off-spec itself, and
//! stops it again (also when a pass fails).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The schemathesis release CI installs (`.ci/run` pins the same one).
pub(crate) const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Per-operation settings of the run, each with its reason.
const CONFIG: &str = "tests/schemathesis.toml";
/// A fixed seed, so that a failure seen in CI is replayed by the same command.
const SEED: &str = "20261130";
/// Seconds for both passes together.
const BUDGET_SECS: u64 = 120;
/// Seconds of the budget the second pass (the workspace operations) gets.
const WORKSPACE_PASS_SECS: u64 = 15;
/// The credentials a default `hotdata-local` accepts.
const API_KEY: &str = "hotdata-local-key";
const WORKSPACE: &str = "ws_local";

/// Kills the server when the step ends, however it ends.
struct Server {
    child: Child,
    base_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the whole step.
pub(crate) fn schemathesis(root: &Path, cargo: &str) -> Result<(), String> {
    let st = which_st()?;
    crate::run(
        "build hotdata-local",
        cargo,
        &["build", "--quiet", "-p", "hotdata-local", "--bin", "hotdata-local"],
        &[],
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let binary = target
        .join("debug")
        .join(format!("hotdata-local{}", std::env::consts::EXE_SUFFIX));
    let work = target.join("schemathesis");
    let _ = std::fs::remove_dir_all(&work);
    let data = work.join("data");
    let reports = work.join("reports");
    for dir in [&data, &reports] {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }

    let server = start(&binary, &root.join(crate::SPEC), &data, &work.join("server.log"))?;
    wait_healthy(&server.base_url, Duration::from_secs(30))?;
    println!(
        "hotdata-local at {} (log: {})",
        server.base_url,
        work.join("server.log").display()
    );

    let started = Instant::now();
    // `DELETE /v1/workspaces/{public_id}` may delete the one workspace every other request names in
    // `X-Workspace-Id` (the listing hands its ID to stateful tests), after which each of them can only get
    // `403`. So the workspace operations run last, on their own.
    let main = st_pass(
        &st,
        root,
        &work,
        &server.base_url,
        &reports.join("main"),
        BUDGET_SECS - WORKSPACE_PASS_SECS,
        &["--exclude-operation-id", "delete_workspace"],
    );
    let workspaces = st_pass(
        &st,
        root,
        &work,
        &server.base_url,
        &reports.join("workspaces"),
        WORKSPACE_PASS_SECS,
        &["--include-tag", "workspaces"],
    );
    println!("schemathesis took {:.0?}", started.elapsed());
    let off_spec = response_violations(&server.base_url);
    drop(server);
    main.map_err(|e| format!("{e} (the first pass)"))?;
    workspaces.map_err(|e| format!("{e} (the workspace pass)"))?;
    off_spec
}

/// The `st` entry point of the installed schemathesis, checked for the pinned version.
fn which_st() -> Result<String, String> {
    let hint = format!("install it with `python3 -m pip install schemathesis=={SCHEMATHESIS_VERSION}`");
    let out = Command::new("st")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run schemathesis (`st`): {e}; {hint}"))?;
    let version = String::from_utf8_lossy(&out.stdout);
    if !version.contains(SCHEMATHESIS_VERSION) {
        return Err(format!("`st --version` says `{}`; {hint}", version.trim()));
    }
    Ok("st".into())
}

/// Starts the server on a free port, serving `spec`, and reads the address it printed.
fn start(binary: &Path, spec: &Path, data: &Path, log: &Path) -> Result<Server, String> {
    let log_file = std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let mut child = Command::new(binary)
        .args(["--port", "0", "--validation", "record", "--spec"])
        .arg(spec)
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take();
    let mut server = Server {
        child,
        base_url: String::new(),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Some(stdout) = stdout else { return };
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("HOTDATA_API_URL=") {
                let _ = tx.send(url.to_string());
            }
        }
    });
    server.base_url = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| format!("hotdata-local printed no address within 30 s; see {}", log.display()))?;
    Ok(server)
}

/// One plain HTTP/1.1 `GET` on loopback: the status code and the body.
fn get(base_url: &str, path: &str) -> Result<(u16, String), String> {
    let host = base_url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut text = String::new();
    stream.read_to_string(&mut text).map_err(|e| e.to_string())?;
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {text:.80}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

fn wait_healthy(base_url: &str, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        match get(base_url, "/_local/health") {
            Ok((200, _)) => return Ok(()),
            other if Instant::now() >= deadline => {
                return Err(format!(
                    "{base_url}/_local/health did not answer 200 within {within:?}: {other:?}"
                ));
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// One `st run` against the server; fails on any failure schemathesis reports.
fn st_pass(
    st: &str,
    root: &Path,
    work: &Path,
    base_url: &str,
    reports: &Path,
    secs: u64,
    select: &[&str],
) -> Result<(), String> {
    let auth = format!("Authorization: Bearer {API_KEY}");
    let workspace = format!("X-Workspace-Id: {WORKSPACE}");
    let secs = secs.to_string();
    let reports = reports.display().to_string();
    let config = root.join(CONFIG).display().to_string();
    let spec = root.join(crate::SPEC).display().to_string();
    let mut args = vec![
        "--config-file",
        &config,
        "run",
        &spec,
        "--url",
        base_url,
        "-H",
        &auth,
        "-H",
        &workspace,
        "--checks",
        "all",
        "--seed",
        SEED,
        "--max-time",
        &secs,
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        &reports,
    ];
    args.extend_from_slice(select);
    println!("$ st {}", args.join(" ").replace(API_KEY, "***"));
    // schemathesis keeps replayable crash files in `.schemathesis/` of its working directory; that is the
    // step's directory under `target/`, not the repository.
    let status = Command::new(st)
        .current_dir(work)
        .args(&args)
        .status()
        .map_err(|e| format!("cannot run `{st}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "schemathesis reported failures ({status}); replay one with `st replay <id>`"
        ))
    }
}

/// The server validates its own answers against the spec too: any response it recorded as off-spec fails the
/// step. (Request violations are expected: schemathesis sends invalid requests on purpose.)
fn response_violations(base_url: &str) -> Result<(), String> {
    let (status, body) = get(base_url, "/_local/violations")?;
    if status != 200 {
        return Err(format!("GET /_local/violations answered {status}"));
    }
    let off: Vec<&str> = body
        .split("},{")
        .filter(|v| v.contains("\"direction\":\"response\""))
        .collect();
    if off.is_empty() {
        return Ok(());
    }
    for v in &off {
        eprintln!("  {v}");
    }
    Err(format!(
        "hotdata-local sent {} responses the spec does not describe",
        off.len()
    ))
}
