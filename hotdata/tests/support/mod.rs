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

/// A canned response.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Canned {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).expect("json"),
        }
    }

    pub fn empty(status: u16) -> Self {
        Canned {
            status,
            headers: vec![],
            body: vec![],
        }
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
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
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
        hotdata::Client::builder()
            .api_key("test-key")
            .workspace_id("ws_test")
            .base_url(&self.base_url)
            .build()
            .expect("client")
    }

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
            bytes.extend_from_slice(&canned.body);
            if write.write_all(&bytes).await.is_err() {
                return;
            }
        }
    }
}
