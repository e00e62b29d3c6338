//! Writes the store to `state.json` from one thread of its own, always the newest state, atomically.
//!
//! Every change to the store bumps a version while the store lock is held. The writer thread takes the store
//! lock, serializes it together with the version it has reached, and writes that snapshot to a new file in the
//! data directory (created `0600` on unix), syncs it, renames it over `state.json` and syncs the directory. As
//! there is one writer and it serializes under the same lock the changes are made under, a snapshot never
//! replaces a newer one. Requests wait (asynchronously) until the version their changes produced is on disk
//! before they are answered, so an acknowledged write survives a restart.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::state::Store;

/// What the writer thread is asked to do.
#[derive(Debug, Default)]
struct Wanted {
    /// The newest store version that must reach the disk.
    version: u64,
    /// Write what is pending, then stop.
    stop: bool,
}

/// State shared by the store's users and the writer thread.
#[derive(Debug)]
struct Shared {
    wanted: Mutex<Wanted>,
    wake: Condvar,
    /// The newest version on disk (`u64::MAX` once the writer has stopped, so nobody waits for it).
    written: tokio::sync::watch::Sender<u64>,
}

/// The store plus, when the data directory is the caller's, the thread that saves it.
#[derive(Debug)]
pub(crate) struct Persisted {
    store: Arc<Mutex<Store>>,
    /// Bumped under the store lock by every change.
    version: Arc<AtomicU64>,
    writer: Option<Writer>,
}

#[derive(Debug)]
struct Writer {
    shared: Arc<Shared>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Persisted {
    /// Keeps `store` in memory only.
    pub(crate) fn in_memory(store: Store) -> Persisted {
        Persisted {
            store: Arc::new(Mutex::new(store)),
            version: Arc::new(AtomicU64::new(0)),
            writer: None,
        }
    }

    /// Keeps `store` in memory and saves every change to `path` from a thread of its own.
    pub(crate) fn saved_to(store: Store, path: PathBuf) -> std::io::Result<Persisted> {
        let mut p = Persisted::in_memory(store);
        let (written, _) = tokio::sync::watch::channel(0u64);
        let shared = Arc::new(Shared {
            wanted: Mutex::new(Wanted::default()),
            wake: Condvar::new(),
            written,
        });
        let thread = {
            let shared = shared.clone();
            let store = p.store.clone();
            let version = p.version.clone();
            std::thread::Builder::new()
                .name("hotdata-local-state".into())
                .spawn(move || write_loop(&shared, &store, &version, &path))?
        };
        p.writer = Some(Writer {
            shared,
            thread: Mutex::new(Some(thread)),
        });
        Ok(p)
    }

    /// Runs `f` on the store and marks it changed.
    pub(crate) fn change<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let (out, version) = {
            let mut store = lock(&self.store);
            let out = f(&mut store);
            let version = self.version.fetch_add(1, Ordering::SeqCst).saturating_add(1);
            (out, version)
        };
        if let Some(w) = &self.writer {
            let mut wanted = lock(&w.shared.wanted);
            wanted.version = wanted.version.max(version);
            w.shared.wake.notify_one();
        }
        out
    }

    /// Runs `f` on the store without marking it changed.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(&lock(&self.store))
    }

    /// Waits until every change made so far is on disk (at once when nothing is saved).
    pub(crate) async fn flushed(&self) {
        let Some(w) = &self.writer else { return };
        let target = self.version.load(Ordering::SeqCst);
        let mut rx = w.shared.written.subscribe();
        let _ = rx.wait_for(|v| *v >= target).await;
    }

    /// Writes what is pending and stops the writer thread; later changes stay in memory. Blocks until the
    /// thread has finished.
    pub(crate) fn stop(&self) {
        let Some(w) = &self.writer else { return };
        lock(&w.shared.wanted).stop = true;
        w.shared.wake.notify_one();
        if let Some(t) = lock(&w.thread).take() {
            let _ = t.join();
        }
    }
}

impl Drop for Persisted {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn write_loop(shared: &Shared, store: &Mutex<Store>, version: &AtomicU64, path: &Path) {
    let mut on_disk = None::<u64>;
    loop {
        let stop = {
            let mut wanted = lock(&shared.wanted);
            while !wanted.stop && on_disk.is_some_and(|d| wanted.version <= d) {
                wanted = shared.wake.wait(wanted).unwrap_or_else(|e| e.into_inner());
            }
            wanted.stop
        };
        let (v, bytes) = {
            let store = lock(store);
            (version.load(Ordering::SeqCst), serde_json::to_vec(&*store))
        };
        if on_disk.is_none_or(|d| v > d) {
            match bytes
                .map_err(std::io::Error::other)
                .and_then(|b| write_atomically(path, &b))
            {
                Ok(()) => {}
                // The state stays in memory; the next change tries again. Nobody is kept waiting for a disk
                // that refuses the file, and the error says what was not saved.
                Err(e) => eprintln!("hotdata-local: cannot save state to {}: {e}", path.display()),
            }
            on_disk = Some(v);
            shared.written.send_replace(v);
        }
        if stop {
            shared.written.send_replace(u64::MAX);
            return;
        }
    }
}

/// Replaces `path` with `bytes`: a new file beside it (`0600` on unix), synced, renamed over it, and the directory
/// synced so the rename is durable too.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".state-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
