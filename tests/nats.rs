//! Test harness: runs a local `nats-server` (Debian package, tested with 2.9.10) as a
//! one-server JetStream or a three-server JetStream cluster on loopback.
//!
//! Only std + tokio. Each server gets a generated config file, its own store dir and log file
//! inside one temp dir that is removed on drop. All children are SIGKILLed on drop.
//!
//! Readiness is the server's own `/healthz` monitoring endpoint (HTTP/1.0 over a raw TCP
//! socket): on 2.9 it answers 200 only once JetStream is up, the server knows a meta leader,
//! is current with it, and all streams/consumers assigned to it are current. For the cluster
//! we additionally require that `/jsz` names the same meta leader on all running servers.
//!
//! Environment knobs:
//! * `NATS_SERVER_BIN`           – path of the binary (default: `nats-server` in PATH, else
//!   `/usr/sbin/nats-server`).
//! * `NATS_HARNESS_TIMEOUT_SECS` – bound for every wait (default 60; loaded CI machines).
//! * `NATS_HARNESS_KEEP`         – if set, keep the temp dir (logs) after drop.

#![allow(
    dead_code,
    reason = "the whole harness: the cluster test uses part of it"
)]

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

const CLUSTER_NAME: &str = "sidecoach-test";

fn wait_bound() -> Duration {
    let secs = std::env::var("NATS_HARNESS_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

fn server_bin() -> PathBuf {
    if let Ok(p) = std::env::var("NATS_SERVER_BIN") {
        return PathBuf::from(p);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join("nats-server");
            if p.is_file() {
                return p;
            }
        }
    }
    let p = PathBuf::from("/usr/sbin/nats-server");
    if p.is_file() {
        return p;
    }
    panic!(
        "nats-server not found (PATH, /usr/sbin). Install it with `apt-get install -y nats-server` \
         or set NATS_SERVER_BIN"
    );
}

/// Reserve `n` distinct free loopback ports. All listeners are held until every port is
/// picked, so the ports are distinct; there is still a small window between dropping the
/// listeners and the server binding (handled by a retry of the whole start).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn unique_temp_dir() -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "nats-harness-{}-{}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// One `nats-server` process of the harness.
pub struct Server {
    pub name: String,
    pub client_port: u16,
    pub cluster_port: Option<u16>,
    pub http_port: u16,
    pub store_dir: PathBuf,
    pub config_path: PathBuf,
    pub log_path: PathBuf,
    child: Option<Child>,
}

impl Server {
    pub fn client_url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.client_port)
    }
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
    /// Last `n` lines of the server log (for panic messages).
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// A running one- or three-server JetStream setup. Drop kills all servers and removes the
/// temp dir.
pub struct NatsCluster {
    dir: PathBuf,
    pub servers: Vec<Server>,
}

impl NatsCluster {
    /// Three-server JetStream cluster, waits for a meta leader on all three.
    pub async fn start3() -> Self {
        Self::start_n(3).await
    }

    /// One JetStream server (no cluster block).
    pub async fn start1() -> Self {
        Self::start_n(1).await
    }

    /// Start `n` servers (n == 1: standalone; n >= 2: cluster). Retries the whole start up
    /// to 3 times if a server dies right away (e.g. a port got taken in the meantime).
    pub async fn start_n(n: usize) -> Self {
        assert!(n >= 1);
        let mut last_err = String::new();
        for attempt in 1..=3 {
            let mut c = Self::configure(n);
            for i in 0..n {
                c.spawn(i);
            }
            match c.wait_ready_all(wait_bound()).await {
                Ok(()) => return c,
                Err(e) => {
                    last_err = format!("attempt {attempt}: {e}");
                    eprintln!("nats harness: start failed, {last_err}");
                    // Drop kills the children and removes the dir.
                }
            }
        }
        panic!("nats harness: could not start {n} server(s): {last_err}");
    }

    fn configure(n: usize) -> Self {
        let dir = unique_temp_dir();
        let ports = free_ports(3 * n);
        let mut servers = Vec::with_capacity(n);
        for i in 0..n {
            let name = format!("n{i}");
            let client_port = ports[3 * i];
            let http_port = ports[3 * i + 1];
            let cluster_port = if n > 1 { Some(ports[3 * i + 2]) } else { None };
            let store_dir = dir.join(format!("{name}-store"));
            std::fs::create_dir_all(&store_dir).unwrap();
            let config_path = dir.join(format!("{name}.conf"));
            let log_path = dir.join(format!("{name}.log"));
            servers.push(Server {
                name,
                client_port,
                cluster_port,
                http_port,
                store_dir,
                config_path,
                log_path,
                child: None,
            });
        }
        let routes: Vec<String> = servers
            .iter()
            .filter_map(|s| s.cluster_port)
            .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
            .collect();
        for s in &servers {
            let mut conf = String::new();
            writeln!(conf, "server_name: \"{}\"", s.name).unwrap();
            writeln!(conf, "listen: \"127.0.0.1:{}\"", s.client_port).unwrap();
            writeln!(conf, "http: \"127.0.0.1:{}\"", s.http_port).unwrap();
            writeln!(conf, "log_file: \"{}\"", s.log_path.display()).unwrap();
            writeln!(conf, "logtime: true").unwrap();
            // 1 MiB is the default; stated explicitly because plugin blobs must be chunked.
            writeln!(conf, "max_payload: 1048576").unwrap();
            writeln!(conf, "jetstream {{").unwrap();
            writeln!(conf, "  store_dir: \"{}\"", s.store_dir.display()).unwrap();
            writeln!(conf, "  max_memory_store: 256MB").unwrap();
            writeln!(conf, "  max_file_store: 2GB").unwrap();
            writeln!(conf, "}}").unwrap();
            if let Some(cp) = s.cluster_port {
                writeln!(conf, "cluster {{").unwrap();
                writeln!(conf, "  name: \"{CLUSTER_NAME}\"").unwrap();
                writeln!(conf, "  listen: \"127.0.0.1:{cp}\"").unwrap();
                writeln!(conf, "  routes: [{}]", routes.join(", ")).unwrap();
                writeln!(conf, "}}").unwrap();
            }
            std::fs::write(&s.config_path, conf).unwrap();
        }
        NatsCluster { dir, servers }
    }

    fn spawn(&mut self, i: usize) {
        let s = &mut self.servers[i];
        assert!(s.child.is_none(), "server {} already running", s.name);
        let child = Command::new(server_bin())
            .arg("-c")
            .arg(&s.config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()) // everything goes to log_file
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn nats-server for {}: {e}", s.name));
        s.child = Some(child);
    }

    pub fn len(&self) -> usize {
        self.servers.len()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Client URL of server `i`.
    pub fn url(&self, i: usize) -> String {
        self.servers[i].client_url()
    }

    /// Client URLs of all servers. `async_nats::connect` takes `&[String]`/`Vec<ServerAddr>`;
    /// a comma-separated string is NOT split by async-nats.
    pub fn urls(&self) -> Vec<String> {
        self.servers.iter().map(|s| s.client_url()).collect()
    }

    /// Socket addresses of all servers, for `ConnectOptions::connect(Vec<ServerAddr>)`.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.servers
            .iter()
            .map(|s| SocketAddr::from(([127, 0, 0, 1], s.client_port)))
            .collect()
    }

    /// SIGKILL server `i` and reap it. Store dir is kept.
    pub async fn kill(&mut self, i: usize) {
        let s = &mut self.servers[i];
        let mut child = s
            .child
            .take()
            .unwrap_or_else(|| panic!("server {} is not running", s.name));
        child.start_kill().expect("SIGKILL nats-server");
        match tokio::time::timeout(wait_bound(), child.wait()).await {
            Ok(Ok(_status)) => {}
            Ok(Err(e)) => panic!("wait for killed {}: {e}", s.name),
            Err(_) => panic!("killed {} did not exit within {:?}", s.name, wait_bound()),
        }
    }

    /// Graceful stop of server `i` (SIGTERM via `kill(1)`, no libc dep), bounded wait, then
    /// SIGKILL as fallback. Store dir is kept.
    pub async fn terminate(&mut self, i: usize) {
        let s = &mut self.servers[i];
        let mut child = s
            .child
            .take()
            .unwrap_or_else(|| panic!("server {} is not running", s.name));
        let pid = child.id().expect("pid of running child");
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        if tokio::time::timeout(wait_bound(), child.wait())
            .await
            .is_err()
        {
            eprintln!("nats harness: {} ignored SIGTERM, killing", s.name);
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Restart server `i` with the same config/ports/store dir, without waiting.
    pub fn restart_no_wait(&mut self, i: usize) {
        self.spawn(i);
    }

    /// Restart server `i` and wait until it is healthy (caught up with meta and its streams).
    pub async fn restart(&mut self, i: usize) {
        // A just-killed listener port can be briefly unavailable; the server itself retries
        // binding routes, but the client/http listener fails hard. Retry a few times.
        for attempt in 1..=3 {
            self.spawn(i);
            match self.wait_ready(i, wait_bound()).await {
                Ok(()) => return,
                Err(e) if attempt < 3 && self.servers[i].child.is_none() => {
                    eprintln!("nats harness: restart of {i} failed ({e}), retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!(
                    "nats harness: restart of server {i} not ready: {e}\n--- log tail ---\n{}",
                    self.servers[i].log_tail(40)
                ),
            }
        }
    }

    /// Wait until every running server is healthy and (cluster) all agree on a meta leader.
    pub async fn wait_ready_all(&mut self, bound: Duration) -> Result<(), String> {
        let deadline = Instant::now() + bound;
        for i in 0..self.servers.len() {
            if self.servers[i].is_running() {
                let left = deadline.saturating_duration_since(Instant::now());
                self.wait_ready(i, left).await?;
            }
        }
        if self.servers.len() > 1 {
            loop {
                let mut leaders = Vec::new();
                for i in 0..self.servers.len() {
                    if self.servers[i].is_running() {
                        leaders.push(self.meta_leader(i).await);
                    }
                }
                if let Some(Some(first)) = leaders.first()
                    && leaders.iter().all(|l| l.as_deref() == Some(first.as_str()))
                {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "no agreed meta leader within {bound:?}: {leaders:?}"
                    ));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Wait until server `i` answers `/healthz` with 200. Detects early exit of the process.
    pub async fn wait_ready(&mut self, i: usize, bound: Duration) -> Result<(), String> {
        let deadline = Instant::now() + bound;
        let mut last;
        loop {
            {
                let s = &mut self.servers[i];
                let child = s
                    .child
                    .as_mut()
                    .ok_or_else(|| format!("server {} not running", s.name))?;
                if let Ok(Some(status)) = child.try_wait() {
                    s.child = None;
                    return Err(format!(
                        "server {} exited early with {status}\n--- log tail ---\n{}",
                        s.name,
                        s.log_tail(30)
                    ));
                }
            }
            match http_get(self.servers[i].http_port, "/healthz").await {
                Ok((200, _)) => return Ok(()),
                Ok((code, body)) => last = format!("HTTP {code}: {}", body.trim()),
                Err(e) => last = e,
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "server {} not healthy within {bound:?}; last: {last}\n--- log tail ---\n{}",
                    self.servers[i].name,
                    self.servers[i].log_tail(30)
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Meta leader as seen by server `i` (from `/jsz`), None if unknown/unreachable.
    pub async fn meta_leader(&self, i: usize) -> Option<String> {
        let (code, body) = http_get(self.servers[i].http_port, "/jsz").await.ok()?;
        if code != 200 {
            return None;
        }
        // Tiny ad-hoc extraction to stay dependency free: "meta_cluster":{..."leader":"n1"...}
        let mc = body.find("\"meta_cluster\"")?;
        let rest = &body[mc..];
        let l = rest.find("\"leader\"")?;
        let rest = &rest[l + "\"leader\"".len()..];
        let q1 = rest.find('"')?;
        let rest = &rest[q1 + 1..];
        let q2 = rest.find('"')?;
        let leader = &rest[..q2];
        (!leader.is_empty()).then(|| leader.to_string())
    }

    /// Index of a server by its name ("n0" -> 0).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.servers.iter().position(|s| s.name == name)
    }

    /// Raw GET of a monitoring endpoint of server `i` (e.g. "/jsz?streams=true").
    pub async fn monitor(&self, i: usize, path: &str) -> Result<(u16, String), String> {
        http_get(self.servers[i].http_port, path).await
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for s in &mut self.servers {
            if let Some(mut child) = s.child.take() {
                let _ = child.start_kill(); // SIGKILL
                // Reap synchronously (bounded) so no zombie outlives the test.
                let deadline = Instant::now() + Duration::from_secs(5);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = child.try_wait() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        if std::env::var_os("NATS_HARNESS_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("nats harness: kept {}", self.dir.display());
        }
    }
}

/// Minimal HTTP/1.0 GET against 127.0.0.1:port, bounded to 2 s.
async fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect :{port}: {e}"))?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let code: u16 = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("bad HTTP answer: {:.80}", text))?;
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((code, body))
    };
    tokio::time::timeout(Duration::from_secs(2), fut)
        .await
        .map_err(|_| format!("GET :{port}{path} timed out"))?
}
