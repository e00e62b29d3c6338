//! State shared by every request of one server, and the per-request context handed to handlers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hyper::HeaderMap;
use hyper::body::Incoming;
use serde_json::Value;

use crate::config::Config;
use crate::conformance::Violations;
use crate::engine::{self, Scope};
use crate::faults::Faults;
use crate::persist::Persisted;
use crate::reply::ApiError;
use crate::spec::{Operation, Spec};
use crate::state::{Database, Dirs, Store, Workspace};

/// One running server's shared state.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: Config,
    pub(crate) spec: Arc<Spec>,
    /// The records, and the thread that saves them when the data directory is the caller's.
    store: Persisted,
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
    /// Managed tables a load is writing right now (`workspace/connection/schema.table`).
    pub(crate) table_locks: Mutex<HashSet<String>>,
    /// Estimated bytes of the JSON result reads in flight, against `Config::json_total_budget_bytes`.
    pub(crate) json_reads: crate::results::ReadBudget,
    /// Table files and directories that running queries read; see [`App::pin_reads`].
    readers: Arc<Mutex<Readers>>,
}

impl App {
    /// The shared state; the store is saved to the data directory only when the caller chose that directory.
    pub(crate) fn new(
        config: Config,
        spec: Arc<Spec>,
        store: Store,
        dirs: Dirs,
        temp: Option<tempfile::TempDir>,
        base_url: String,
    ) -> std::io::Result<App> {
        let store = if config.data_dir.is_some() {
            Persisted::saved_to(store, dirs.state_file())?
        } else {
            Persisted::in_memory(store)
        };
        Ok(App {
            config,
            spec,
            store,
            dirs,
            _temp: temp,
            faults: Faults::default(),
            violations: Violations::default(),
            hits: Mutex::new(BTreeMap::new()),
            base_url,
            signer: crate::presign::Signer::random(),
            request_seq: AtomicU64::new(0),
            table_locks: Mutex::new(HashSet::new()),
            json_reads: crate::results::ReadBudget::default(),
            readers: Arc::default(),
        })
    }

    /// A fresh request ID.
    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed) + 1;
        format!("req_local_{n:010}")
    }

    /// Counts one request for `op`.
    pub(crate) fn hit(&self, op: &str) {
        count_hit(&mut self.hits.lock().unwrap_or_else(|e| e.into_inner()), op);
    }

    /// Keeps `paths` (table generation directories, dataset files) from being removed while a query reads them,
    /// until the returned guard is dropped. Call it in the same store critical section that read the paths from
    /// the store (inside `read_ws`), so that no load can retire a path between the read and the pin.
    pub(crate) fn pin_reads(&self, paths: Vec<PathBuf>) -> ReadPins {
        let paths: Vec<PathBuf> = paths.iter().map(|p| normal(p)).collect();
        self.readers.lock().unwrap_or_else(|e| e.into_inner()).pin(&paths);
        ReadPins {
            readers: self.readers.clone(),
            paths,
        }
    }

    /// Removes a table generation directory that a load has replaced in the store: at once when no query reads
    /// it, otherwise when the last query pinning it finishes. Queries that started before the load keep reading
    /// the generation they planned with instead of failing on vanished files.
    ///
    /// An immediate removal is awaited (on a blocking thread, through `tokio::fs`), so the load that retired the
    /// directory answers only once it is gone.
    pub(crate) async fn retire_dir(&self, dir: PathBuf) {
        let dir = normal(&dir);
        let remove_now = self
            .readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retire(dir.clone());
        if remove_now {
            let _ = tokio::fs::remove_dir_all(dir).await;
        }
    }

    /// Removes `rel` (a deleted table's, connection's, database's or workspace's directory) whole. Retired
    /// directories under it are forgotten first: a table deleted and created again starts its generations over,
    /// so a query still holding an old `g1` must not remove the new one when it ends.
    pub(crate) async fn remove_data_dir(&self, rel: &str) {
        let dir = normal(&self.dirs.abs(rel));
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .forget_under(&dir);
        let _ = tokio::fs::remove_dir_all(dir).await;
    }

    /// What a query in `ws` sees (see [`engine::scope`]), with its files pinned until the scope is dropped. Call
    /// it inside `read_ws`/`with_ws`, where the store is locked.
    pub(crate) fn scope(&self, ws: &Workspace, database: Option<&Database>) -> Scope {
        let mut scope = engine::scope(ws, &self.dirs.root, database);
        let paths = scope.tables.iter().map(|t| t.location.clone()).collect();
        scope.pins = Some(Arc::new(self.pin_reads(paths)));
        scope
    }

    /// Runs `f` on the whole store; the change is saved by the state writer (see [`App::flushed`]).
    pub(crate) fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        self.store.change(f)
    }

    /// Reads the store without saving.
    pub(crate) fn read_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        self.store.read(f)
    }

    /// Waits until every change made so far is on disk; a request calls it before it is answered, so what was
    /// acknowledged survives a restart. Returns at once when nothing is saved.
    pub(crate) async fn flushed(&self) {
        self.store.flushed().await;
    }

    /// Saves what is pending and stops saving; for the server's shutdown.
    pub(crate) fn stop_saving(&self) {
        self.store.stop();
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

/// Adds one request for `op` to `hits`; a counter at `u64::MAX` stays there.
fn count_hit(hits: &mut BTreeMap<String, u64>, op: &str) {
    let n = hits.entry(op.to_string()).or_default();
    *n = n.saturating_add(1);
}

/// `p` as components, so that `dir/` and `dir` are the same key.
fn normal(p: &std::path::Path) -> PathBuf {
    p.components().collect()
}

/// Paths read by running queries, with how many queries read each, and the retired ones waiting for their last
/// reader.
#[derive(Debug, Default)]
struct Readers {
    counts: HashMap<PathBuf, usize>,
    retired: HashSet<PathBuf>,
}

/// The paths one query reads, pinned against removal until dropped; see [`App::pin_reads`].
#[derive(Debug)]
pub(crate) struct ReadPins {
    readers: Arc<Mutex<Readers>>,
    paths: Vec<PathBuf>,
}

impl Readers {
    /// Counts one more reader of each of `paths`.
    fn pin(&mut self, paths: &[PathBuf]) {
        for p in paths {
            *self.counts.entry(p.clone()).or_default() += 1;
        }
    }

    /// Counts one reader fewer of each of `paths`; returns the retired ones that lost their last reader, to be
    /// removed.
    fn release(&mut self, paths: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
        let mut gone = Vec::new();
        for p in paths {
            let last = match self.counts.get_mut(&p) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => true,
                None => false,
            };
            if last {
                self.counts.remove(&p);
                if self.retired.remove(&p) {
                    gone.push(p);
                }
            }
        }
        gone
    }

    /// Retires `dir`: true when nothing reads it, so it can go at once; otherwise it goes with its last reader.
    fn retire(&mut self, dir: PathBuf) -> bool {
        if self.counts.contains_key(&dir) {
            self.retired.insert(dir);
            false
        } else {
            true
        }
    }

    /// Forgets the retired directories under `dir`, which is being removed whole.
    fn forget_under(&mut self, dir: &std::path::Path) {
        self.retired.retain(|p| !p.starts_with(dir));
    }
}

impl Drop for ReadPins {
    fn drop(&mut self) {
        let gone = self
            .readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .release(self.paths.drain(..));
        // The store no longer names a retired directory, so no new query can pin it again.
        for p in gone {
            remove_tree(p);
        }
    }
}

/// Removes a retired directory tree when the last query reading it ends. A table generation can hold many files,
/// so inside a runtime the unlinks run on a blocking thread and the query's end does not wait for them; outside
/// one they run at once. A directory left by a failure is garbage that nothing names, not an error.
fn remove_tree(dir: PathBuf) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn_blocking(move || {
                let _ = std::fs::remove_dir_all(dir);
            });
        }
        Err(_) => {
            let _ = std::fs::remove_dir_all(dir);
        }
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
        *self.seq = self.seq.saturating_add(1);
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
    /// Set by the `UnorderedPages` fault: a stored result read serves its rows in a fresh random order.
    pub(crate) unordered_rows: bool,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use std::path::PathBuf;

    use super::{IdGen, Readers, count_hit};

    #[test]
    fn a_retired_directory_goes_with_its_last_reader() {
        let g1 = PathBuf::from("/data/tables/ws/c/public/t/g1");
        let mut r = Readers::default();
        r.pin(std::slice::from_ref(&g1));
        r.pin(std::slice::from_ref(&g1));
        assert!(!r.retire(g1.clone()), "read, so kept");
        assert!(r.release([g1.clone()]).is_empty(), "one reader left");
        assert_eq!(r.release([g1.clone()]), vec![g1.clone()]);
        assert!(r.retire(g1), "nobody reads it now");
    }

    #[test]
    fn removing_a_tree_forgets_what_was_retired_under_it() {
        // A query reads g1; a load replaces it (g1 retired); the table is deleted and created again, and its
        // first load writes a new g1 at the same path. The old query's end must not remove the new g1.
        let table = PathBuf::from("/data/tables/ws/c/public/t");
        let g1 = table.join("g1");
        let other = PathBuf::from("/data/tables/ws/c/public/u/g1");
        let mut r = Readers::default();
        r.pin(&[g1.clone(), other.clone()]);
        assert!(!r.retire(g1.clone()));
        assert!(!r.retire(other.clone()));
        r.forget_under(&table);
        assert_eq!(
            r.release([g1, other.clone()]),
            vec![other],
            "only the other table's retired g1 goes"
        );
    }

    #[test]
    fn hit_counters_saturate_at_u64_max() {
        let mut hits = BTreeMap::new();
        count_hit(&mut hits, "query");
        assert_eq!(hits["query"], 1);
        hits.insert("query".to_string(), u64::MAX);
        count_hit(&mut hits, "query");
        count_hit(&mut hits, "query");
        assert_eq!(hits["query"], u64::MAX);
    }

    #[test]
    fn id_sequence_saturates_at_u64_max() {
        let mut seq = u64::MAX - 1;
        let mut ids = IdGen { seq: &mut seq };
        let a = ids.id("x");
        let b = ids.id("x");
        assert!(
            a.starts_with("x_ffffffffffffffff") && b.starts_with("x_ffffffffffffffff"),
            "{a} {b}"
        );
        assert_eq!(seq, u64::MAX);
    }
}
