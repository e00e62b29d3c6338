//! State shared by every request of one server, and the per-request context handed to handlers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hyper::HeaderMap;
use hyper::body::Incoming;
use serde_json::Value;

use crate::config::Config;
use crate::conformance::Violations;
use crate::faults::Faults;
use crate::reply::ApiError;
use crate::spec::{Operation, Spec};
use crate::state::{Dirs, Store, Workspace};

/// One running server's shared state.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: Config,
    pub(crate) spec: Arc<Spec>,
    store: Mutex<Store>,
    pub(crate) dirs: Dirs,
    /// Keeps a temporary data directory alive for as long as the server.
    pub(crate) _temp: Option<tempfile::TempDir>,
    pub(crate) faults: Faults,
    pub(crate) violations: Violations,
    pub(crate) hits: Mutex<BTreeMap<String, u64>>,
    pub(crate) base_url: String,
    /// Signs and checks the presigned storage URLs of upload sessions; its key is new for every start.
    pub(crate) signer: crate::presign::Signer,
    request_seq: AtomicU64,
    save_lock: Mutex<()>,
    /// Managed tables a load is writing right now (`workspace/connection/schema.table`).
    pub(crate) table_locks: Mutex<HashSet<String>>,
    /// Whether the store is written to disk (only when the caller chose the data directory).
    persist: bool,
}

impl App {
    pub(crate) fn new(
        config: Config,
        spec: Arc<Spec>,
        store: Store,
        dirs: Dirs,
        temp: Option<tempfile::TempDir>,
        base_url: String,
    ) -> App {
        let persist = config.data_dir.is_some();
        App {
            config,
            spec,
            store: Mutex::new(store),
            dirs,
            _temp: temp,
            faults: Faults::default(),
            violations: Violations::default(),
            hits: Mutex::new(BTreeMap::new()),
            base_url,
            signer: crate::presign::Signer::random(),
            request_seq: AtomicU64::new(0),
            save_lock: Mutex::new(()),
            table_locks: Mutex::new(HashSet::new()),
            persist,
        }
    }

    /// A fresh request ID.
    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed) + 1;
        format!("req_local_{n:010}")
    }

    /// Counts one request for `op`.
    pub(crate) fn hit(&self, op: &str) {
        *self
            .hits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(op.to_string())
            .or_default() += 1;
    }

    /// Runs `f` on the whole store and saves it afterwards.
    pub(crate) fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let (out, snapshot) = {
            let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            let out = f(&mut store);
            let snapshot = if self.persist {
                serde_json::to_vec(&*store).ok()
            } else {
                None
            };
            (out, snapshot)
        };
        if let Some(bytes) = snapshot {
            let _guard = self.save_lock.lock().unwrap_or_else(|e| e.into_inner());
            let path = self.dirs.state_file();
            let tmp = path.with_extension("json.tmp");
            if let Err(e) = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &path)) {
                eprintln!("hotdata-local: cannot save state to {}: {e}", path.display());
            }
        }
        out
    }

    /// Reads the store without saving.
    pub(crate) fn read_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&store)
    }

    /// Runs `f` on a workspace and saves afterwards. The workspace was checked by the auth step, but may have
    /// been deleted since.
    pub(crate) fn with_ws<R>(&self, ws: &str, f: impl FnOnce(&mut Workspace, &mut IdGen) -> R) -> Result<R, ApiError> {
        self.with_store(|store| {
            let mut seq = store.seq;
            let out = match store.workspaces.get_mut(ws) {
                Some(w) => {
                    let mut ids = IdGen { seq: &mut seq };
                    Ok(f(w, &mut ids))
                }
                None => Err(ApiError::new(
                    403,
                    "forbidden",
                    format!("workspace {ws} does not exist"),
                )),
            };
            store.seq = seq;
            out
        })
    }

    /// Reads a workspace without saving.
    pub(crate) fn read_ws<R>(&self, ws: &str, f: impl FnOnce(&Workspace) -> R) -> Result<R, ApiError> {
        self.read_store(|store| match store.workspaces.get(ws) {
            Some(w) => Ok(f(w)),
            None => Err(ApiError::new(
                403,
                "forbidden",
                format!("workspace {ws} does not exist"),
            )),
        })
    }
}

/// Makes IDs while a workspace is borrowed.
#[derive(Debug)]
pub(crate) struct IdGen<'a> {
    seq: &'a mut u64,
}

impl IdGen<'_> {
    /// A new ID with `prefix`; IDs sort by creation.
    pub(crate) fn id(&mut self, prefix: &str) -> String {
        *self.seq += 1;
        let noise = (chrono::Utc::now().timestamp_subsec_nanos() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        format!("{prefix}_{:08x}{:06x}", *self.seq, noise & 0xff_ffff)
    }
}

/// Everything a handler knows about its request.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) op: Arc<Operation>,
    pub(crate) path: HashMap<String, String>,
    pub(crate) query: HashMap<String, String>,
    pub(crate) headers: HeaderMap,
    /// The `X-Workspace-Id` of a workspace-scoped request (empty otherwise).
    pub(crate) ws: String,
    /// The JSON body, `Null` when there is none.
    pub(crate) body: Value,
    /// The raw body, for operations whose body is not JSON (uploads).
    pub(crate) raw: Option<Incoming>,
    /// The bearer token.
    pub(crate) token: String,
}

impl Ctx {
    /// A path parameter (always present: the route matched).
    pub(crate) fn p(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or_default()
    }

    /// A query parameter.
    pub(crate) fn q(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A non-negative integer query parameter; digits beyond `u64` saturate (a page size or offset that large
    /// means "everything").
    pub(crate) fn q_u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.q(name) {
            None | Some("") => Ok(None),
            Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(v.parse().unwrap_or(u64::MAX))),
            Some(v) => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("query parameter `{name}` must be a non-negative integer"))),
        }
    }

    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A string field of the JSON body.
    pub(crate) fn s(&self, field: &str) -> Option<&str> {
        self.body.get(field).and_then(Value::as_str)
    }

    /// A boolean field of the JSON body (false when absent).
    pub(crate) fn flag(&self, field: &str) -> bool {
        self.body.get(field).and_then(Value::as_bool).unwrap_or(false)
    }

    /// A required string field of the JSON body.
    pub(crate) fn required(&self, field: &str) -> Result<&str, ApiError> {
        self.s(field)
            .ok_or_else(|| ApiError::bad_request(format!("field `{field}` is required and must be a string")))
    }

    /// `SHA-256` of the bearer token as `user_` plus 10 hex digits.
    pub(crate) fn user_public_id(&self) -> String {
        format!("user_{}", &crate::state::sha256_hex(&self.token)[..10])
    }
}
