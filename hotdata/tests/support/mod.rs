//! A recording HTTP/1.1 stub on loopback: it answers each request with the
//! next canned response and keeps what it received, byte for byte.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The raw request target: path and query, still percent-encoded.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map(|(_, q)| q).unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// How a canned response misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Close the connection without answering (a reset to the client).
    Reset,
    /// Send the head and only half of the body, then close.
    Truncate,
}

/// A canned response.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Option<std::time::Duration>,
    pub fault: Option<Fault>,
}

impl Canned {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Canned::raw(status, "application/json", serde_json::to_vec(&body).expect("json"))
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Canned {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: None,
            fault: None,
        }
    }

    pub fn empty(status: u16) -> Self {
        Canned {
            status,
            headers: vec![],
            body: vec![],
            delay: None,
            fault: None,
        }
    }

    pub fn reset() -> Self {
        Canned {
            fault: Some(Fault::Reset),
            ..Canned::empty(500)
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delayed(mut self, delay: std::time::Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    pub fn truncated(mut self) -> Self {
        self.fault = Some(Fault::Truncate);
        self
    }
}

#[derive(Clone)]
pub struct Stub {
    pub base_url: String,
    received: Arc<Mutex<Vec<Recorded>>>,
    queue: Arc<Mutex<VecDeque<Canned>>>,
}

impl Stub {
    pub async fn start() -> Stub {
        Stub::start_at("127.0.0.1:0").await
    }

    /// A stub on this address (a port freed a moment ago, say).
    pub async fn start_at(addr: &str) -> Stub {
        let listener = TcpListener::bind(addr).await.expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let stub = Stub {
            base_url,
            received: Arc::default(),
            queue: Arc::default(),
        };
        let server = stub.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve(socket).await });
            }
        });
        stub
    }

    /// Queues the responses for the next requests, in order.
    pub fn reply(&self, canned: impl IntoIterator<Item = Canned>) {
        self.queue.lock().expect("lock").extend(canned);
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Recorded> {
        self.received.lock().expect("lock").clone()
    }

    /// The one request received, asserting there was exactly one.
    pub fn only(&self) -> Recorded {
        let all = self.received();
        assert_eq!(all.len(), 1, "expected one request, got {all:#?}");
        all.into_iter().next().expect("one")
    }

    pub fn client(&self) -> hotdata::Client {
        self.builder().build().expect("client")
    }

    /// A builder pointed at this stub, with fast retries. Unscoped: the stubs answer whatever database is
    /// named (the scope rules have their own tests).
    pub fn builder(&self) -> hotdata::ClientBuilder {
        hotdata::Client::builder()
            .allow_unscoped(true)
            .api_key("test-key")
            .workspace_id("ws_test")
            .base_url(&self.base_url)
            .retry(fast_retries())
    }

    /// How many requests reached the stub.
    pub fn count(&self) -> usize {
        self.received.lock().expect("lock").len()
    }
}

/// The default policy with millisecond waits, so fault tests run fast.
pub fn fast_retries() -> hotdata::RetryPolicy {
    hotdata::RetryPolicy::default()
        .initial_backoff(std::time::Duration::from_millis(5))
        .max_backoff(std::time::Duration::from_millis(20))
}

impl Stub {
    async fn serve(&self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut reader = BufReader::new(read);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let mut parts = line.trim_end().splitn(3, ' ');
            let method = parts.next().unwrap_or_default().to_owned();
            let target = parts.next().unwrap_or_default().to_owned();
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).await.unwrap_or(0) == 0 {
                    return;
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((n, v)) = h.split_once(':') {
                    headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
            let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
            let mut body = Vec::new();
            if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
                body.resize(len, 0);
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
            } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
                loop {
                    let mut size = String::new();
                    if reader.read_line(&mut size).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                    let mut chunk = vec![0; n + 2];
                    if reader.read_exact(&mut chunk).await.is_err() {
                        return;
                    }
                    if n == 0 {
                        break;
                    }
                    body.extend_from_slice(&chunk[..n]);
                }
            }
            self.received.lock().expect("lock").push(Recorded {
                method,
                target,
                headers,
                body,
            });
            let canned = self
                .queue
                .lock()
                .expect("lock")
                .pop_front()
                .unwrap_or_else(|| Canned::json(200, serde_json::json!({})));
            if let Some(delay) = canned.delay {
                tokio::time::sleep(delay).await;
            }
            if canned.fault == Some(Fault::Reset) {
                // Zero linger makes the close a TCP reset.
                if let Ok(socket) = reader.into_inner().reunite(write) {
                    let _ = socket.set_zero_linger();
                }
                return;
            }
            let mut out = format!(
                "HTTP/1.1 {} Stub\r\ncontent-length: {}\r\n",
                canned.status,
                canned.body.len()
            );
            for (n, v) in &canned.headers {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            if canned.fault == Some(Fault::Truncate) {
                bytes.extend_from_slice(&canned.body[..canned.body.len() / 2]);
                let _ = write.write_all(&bytes).await;
                let _ = write.flush().await;
                return;
            }
            bytes.extend_from_slice(&canned.body);
            if write.write_all(&bytes).await.is_err() {
                return;
            }
        }
    }
}

/// A loopback port nothing listens on (bound, then released): connecting to
/// it is refused.
pub fn refused_addr() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// A server that accepts connections and never answers nor closes them: a
/// stalled connection. Returns its base URL and how many connections it
/// accepted.
pub async fn silent() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(socket);
        }
    });
    (base_url, accepted)
}

/// Counts the attempts the SDK makes (its `hotdata.request` spans, one per
/// attempt, whether or not anything reached a server) on the thread where it
/// is installed: evidence of retries that needs no server and no clock.
#[derive(Clone, Default)]
pub struct Attempts {
    attempts: Arc<std::sync::atomic::AtomicUsize>,
    ids: Arc<std::sync::atomic::AtomicU64>,
}

impl Attempts {
    /// Counts from now until the guard is dropped (a `#[tokio::test]` runs
    /// every task on its one thread).
    pub fn install(&self) -> tracing::dispatcher::DefaultGuard {
        tracing::dispatcher::set_default(&tracing::Dispatch::new(self.clone()))
    }

    pub fn count(&self) -> usize {
        self.attempts.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl tracing::Subscriber for Attempts {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        if span.metadata().name() == "hotdata.request" {
            self.attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        tracing::span::Id::from_u64(self.ids.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, _: &tracing::Event<'_>) {}

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
