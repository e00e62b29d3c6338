//! `cargo xtask seed-flows`: Hotdata's own Python client of May 2026 (`hotdata==0.2.6`, from PyPI) runs
//! every seed-era flow (`tests/python/seed_flows.py`) against a freshly started
//! `hotdata-local --contract 2026-05`, and the server must have recorded no spec violation.
//!
//! The client goes into `target/seed-flows/python-<version>` with `pip install --target` (no venv: Debian
//! ships `venv` separately, and `--target` also works where the system Python refuses plain installs), and
//! runs with that directory first on `PYTHONPATH`. A finished install is reused on the next run.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use xtask::workspace_root;

/// The client release whose flows must keep working (pinned; the extra brings pyarrow for Arrow results).
pub const CLIENT: &str = "hotdata[arrow]==0.2.6";
/// Where the install goes, under the target directory.
const INSTALL_DIR: &str = "python-hotdata-0.2.6";
/// How long the server may take to answer `GET /_local/health`.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the flows may run.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
const PYTHON: &str = "python3";

/// Builds and starts the server, installs the client, runs the flows, checks `/_local/violations`.
pub fn run() -> Result<(), String> {
    let started = Instant::now();
    let root = workspace_root();
    let server_bin = build_server(&root)?;
    let work = target_dir(&root).join("seed-flows");
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let site = install_client(&work)?;

    let run_dir = work.join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&run_dir);
    std::fs::create_dir_all(&run_dir).map_err(|e| format!("cannot create {}: {e}", run_dir.display()))?;
    let log = run_dir.join("server.log");
    let mut server = Server::start(&server_bin, &run_dir.join("data"), &log)?;
    let outcome = server
        .wait_ready(START_TIMEOUT)
        .and_then(|base| run_flows(&root, &site, &base).map(|()| base))
        .and_then(|base| no_violations(&base));
    server.stop();
    if outcome.is_err() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        eprintln!("--- last lines of {} ---", log.display());
        for line in tail.iter().rev() {
            eprintln!("{line}");
        }
    } else {
        let _ = std::fs::remove_dir_all(&run_dir);
    }
    outcome?;
    println!("seed-era flows passed in {:.1?}", started.elapsed());
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The target directory cargo uses (`CARGO_TARGET_DIR` or `<root>/target`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo build -p hotdata-local --bin hotdata-local`; returns the executable cargo reports.
fn build_server(root: &Path) -> Result<PathBuf, String> {
    let out = Command::new(cargo())
        .current_dir(root)
        .args([
            "build",
            "-p",
            "hotdata-local",
            "--bin",
            "hotdata-local",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("building hotdata-local failed ({})", out.status));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "hotdata-local")
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo reported no hotdata-local executable".to_string())
}

/// Installs the pinned client into the target directory unless a finished install is there.
fn install_client(work: &Path) -> Result<PathBuf, String> {
    let site = work.join(INSTALL_DIR);
    let done = site.join(".installed");
    if std::fs::read_to_string(&done).is_ok_and(|s| s.trim() == CLIENT) {
        println!("using {CLIENT} from {}", site.display());
        return Ok(site);
    }
    let _ = std::fs::remove_dir_all(&site);
    let started = Instant::now();
    let status = Command::new(PYTHON)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-warn-conflicts",
            "--target",
        ])
        .arg(&site)
        .arg(CLIENT)
        // Root in CI containers is expected; an older pip ignores the variable.
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .status()
        .map_err(|e| format!("cannot run `{PYTHON} -m pip`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`pip install --target {} {CLIENT}` failed ({status})",
            site.display()
        ));
    }
    std::fs::write(&done, CLIENT).map_err(|e| format!("cannot write {}: {e}", done.display()))?;
    println!(
        "installed {CLIENT} into {} in {:.1?}",
        site.display(),
        started.elapsed()
    );
    Ok(site)
}

/// A running `hotdata-local`, killed on drop.
struct Server {
    child: Option<Child>,
    log: PathBuf,
}

impl Server {
    fn start(bin: &Path, data_dir: &Path, log: &Path) -> Result<Server, String> {
        let file = std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        // Port 0: the system picks a free port, and the server prints the URL it bound.
        let child = Command::new(bin)
            .args(["--contract", "2026-05", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Ok(Server {
            child: Some(child),
            log: log.to_path_buf(),
        })
    }

    /// Waits for the printed base URL and a `200` from `GET /_local/health`; returns the base URL.
    fn wait_ready(&mut self, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("hotdata-local exited before it was ready ({status})"));
            }
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(base) = text.lines().find_map(|l| l.strip_prefix("HOTDATA_API_URL="))
                && http_get(base, "/_local/health").is_ok_and(|(status, _)| status == 200)
            {
                println!("hotdata-local --contract 2026-05 ready at {base}");
                return Ok(base.trim().to_string());
            }
            if Instant::now() > deadline {
                return Err(format!("hotdata-local was not healthy within {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the script with the installed client first on the module path; fails on a non-zero exit.
fn run_flows(root: &Path, site: &Path, base: &str) -> Result<(), String> {
    let mut path = std::ffi::OsString::from(site.as_os_str());
    if let Some(old) = std::env::var_os("PYTHONPATH") {
        path.push(":");
        path.push(old);
    }
    let mut child = Command::new(PYTHON)
        // -s: no user site-packages, so nothing shadows the pinned install.
        .args(["-s", "tests/python/seed_flows.py", "--url", base])
        .current_dir(root)
        .env("PYTHONPATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .spawn()
        .map_err(|e| format!("cannot run {PYTHON}: {e}"))?;
    let deadline = Instant::now() + RUN_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("seed-era flows failed ({status})")),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("seed-era flows did not finish within {RUN_TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for the flows: {e}")),
        }
    }
}

/// `GET /_local/violations` must list nothing.
fn no_violations(base: &str) -> Result<(), String> {
    let (status, body) = http_get(base, "/_local/violations")?;
    violations_outcome(status, &body)?;
    println!("GET /_local/violations: none");
    Ok(())
}

/// Accepts only a `200` whose `violations` array is empty.
fn violations_outcome(status: u16, body: &str) -> Result<(), String> {
    let parsed: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("/_local/violations is not JSON ({e}): {body}"))?;
    match parsed["violations"].as_array() {
        Some(v) if status == 200 && v.is_empty() => Ok(()),
        _ => Err(format!("hotdata-local recorded spec violations ({status}): {body}")),
    }
}

/// A plain GET on loopback; returns the status and the body. HTTP/1.0, so the answer is never chunked.
fn http_get(base: &str, path: &str) -> Result<(u16, String), String> {
    let authority = base.trim().trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).map_err(|e| format!("cannot connect to {authority}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").map_err(|e| format!("GET {path}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .take(1 << 24)
        .read_to_end(&mut raw)
        .map_err(|e| format!("GET {path}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET {path}: no HTTP status in the answer"))?;
    Ok((status, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::violations_outcome;

    #[test]
    fn only_an_empty_list_passes() {
        assert!(violations_outcome(200, r#"{"violations":[]}"#).is_ok());
        let one = r#"{"violations":[{"operation":"query","problem":"response body"}]}"#;
        assert!(violations_outcome(200, one).unwrap_err().contains("response body"));
        assert!(violations_outcome(500, r#"{"violations":[]}"#).is_err());
        assert!(violations_outcome(200, "not json").is_err());
        assert!(violations_outcome(200, "{}").is_err());
    }
}
