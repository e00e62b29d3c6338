//! The server handle.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::app::App;
use crate::config::{Config, Validation};
use crate::conformance::Violation;
use crate::faults::Faults;
use crate::spec::Spec;
use crate::state::{Dirs, Store, Workspace};

/// Why a server could not start.
#[derive(Debug)]
pub struct StartError(String);

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hotdata-local could not start: {}", self.0)
    }
}

impl std::error::Error for StartError {}

/// A running local Hotdata server. Dropping the handle stops it (and, under [`Validation::Strict`], panics if any
/// traffic broke the spec).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = hotdata_local::Server::start(hotdata_local::Config::default()).await?;
/// assert!(server.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(server.api_key(), "hotdata-local-key");
/// assert_eq!(server.workspace_id(), "ws_local");
/// # Ok(()) }
/// ```
pub struct Server {
    app: Arc<App>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    background: Option<std::thread::JoinHandle<()>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("base_url", &self.app.base_url)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts the server on the current Tokio runtime (which must have the time and IO drivers enabled) and
    /// returns once it accepts connections.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let (app, addr, stop) = start_inner(config).await?;
        Ok(Server {
            app,
            addr,
            shutdown: Some(stop),
            background: None,
        })
    }

    /// Starts the server on its own thread with its own Tokio runtime, for callers without one (blocking code,
    /// `#[test]` functions, examples).
    ///
    /// ```
    /// let server = hotdata_local::Server::start_background(hotdata_local::Config::default()).unwrap();
    /// println!("serving at {}", server.base_url());
    /// ```
    pub fn start_background(config: Config) -> Result<Server, StartError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hotdata-local".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("hotdata-local-worker")
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(StartError(format!("cannot build a runtime: {e}"))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match start_inner(config).await {
                        Ok((app, addr, inner_stop)) => {
                            let _ = ready_tx.send(Ok((app, addr)));
                            let _ = stop_rx.await;
                            let _ = inner_stop.send(());
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
            })
            .map_err(|e| StartError(format!("cannot spawn the server thread: {e}")))?;
        let (app, addr) = ready_rx
            .recv()
            .map_err(|_| StartError("the server thread exited early".into()))??;
        Ok(Server {
            app,
            addr,
            shutdown: Some(stop_tx),
            background: Some(thread),
        })
    }

    /// Base URL without a trailing slash, such as `http://127.0.0.1:4680`; API paths (`/v1/...`) go after it.
    pub fn base_url(&self) -> &str {
        &self.app.base_url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token the server accepts.
    pub fn api_key(&self) -> &str {
        &self.app.config.api_key
    }

    /// The contract the server follows (live, or the May 2026 seed era).
    pub fn contract(&self) -> crate::Contract {
        self.app.config.contract
    }

    /// Public ID of the workspace seeded at start.
    pub fn workspace_id(&self) -> &str {
        &self.app.config.workspace_id
    }

    /// Directory holding the server's state and files.
    pub fn data_dir(&self) -> &Path {
        &self.app.dirs.root
    }

    /// The fault queue; see [`Faults`].
    pub fn faults(&self) -> &Faults {
        &self.app.faults
    }

    /// How many requests for `operation_id` reached the server (faulted ones included).
    pub fn hits(&self, operation_id: &str) -> u64 {
        self.app
            .hits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(operation_id)
            .copied()
            .unwrap_or(0)
    }

    /// Resets every request counter to zero.
    pub fn reset_hits(&self) {
        self.app.hits.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The `operationId` of every operation in the served spec.
    pub fn operation_ids(&self) -> Vec<String> {
        self.app.spec.operations().iter().map(|o| o.id.clone()).collect()
    }

    /// Spec mismatches recorded so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.app.violations.snapshot()
    }

    /// Returns and forgets the recorded mismatches; for tests that provoke them on purpose.
    pub fn take_violations(&self) -> Vec<Violation> {
        self.app.violations.take()
    }

    /// Panics, listing every mismatch, if any traffic so far broke the spec.
    pub fn assert_conformant(&self) {
        let v = self.app.violations.snapshot();
        if !v.is_empty() {
            let list: Vec<String> = v.iter().map(|v| format!("  - {v}")).collect();
            panic!(
                "{} spec violation(s) recorded by hotdata-local:\n{}",
                v.len(),
                list.join("\n")
            );
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.background.take() {
            let _ = t.join();
        }
        // Requests still in flight may change the store after this; a server started again on the same data
        // directory must not see this one overwrite its state, so saving ends here, after a last write.
        self.app.stop_saving();
        if self.app.config.validation == Validation::Strict && !std::thread::panicking() {
            self.assert_conformant();
        }
    }
}

async fn start_inner(config: Config) -> Result<(Arc<App>, SocketAddr, oneshot::Sender<()>), StartError> {
    let port = config.port.unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| StartError(format!("cannot bind 127.0.0.1:{port}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| StartError(e.to_string()))?;
    let app = Arc::new(build_app(config, addr)?);
    let (tx, rx) = oneshot::channel();
    tokio::spawn(crate::http::accept_loop(app.clone(), listener, rx));
    Ok((app, addr, tx))
}

fn build_app(config: Config, addr: SocketAddr) -> Result<App, StartError> {
    let spec_path = config.spec_path.clone().unwrap_or_else(crate::spec::default_spec_path);
    let spec = Spec::load(&spec_path).map_err(StartError)?;
    let (dirs, temp) = match &config.data_dir {
        Some(d) => {
            crate::state::create_private_dirs(d)
                .map_err(|e| StartError(format!("cannot create {}: {e}", d.display())))?;
            (Dirs { root: d.clone() }, None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("hotdata-local-")
                .tempdir()
                .map_err(|e| StartError(format!("cannot create a temporary directory: {e}")))?;
            (
                Dirs {
                    root: t.path().to_path_buf(),
                },
                Some(t),
            )
        }
    };
    let mut store = Store::load(&dirs.state_file()).map_err(StartError)?;
    store.settle_after_restart();
    store
        .workspaces
        .entry(config.workspace_id.clone())
        .or_insert_with(|| Workspace::new(&config.workspace_id, "local"));
    let base_url = format!("http://{addr}");
    let app = App::new(config, spec, store, dirs, temp, base_url)
        .map_err(|e| StartError(format!("cannot start the state writer: {e}")))?;
    app.with_store(|_| ());
    Ok(app)
}
