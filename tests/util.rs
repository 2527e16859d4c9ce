//! Test helpers: a real `sidecoach serve` on port 0 with its own temporary
//! data directory, and a small HTTP client bound to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use sidecoach_plugin_artifacts::Artifact;

/// The admin token every test host is started with.
pub const ADMIN: &str = "test-admin-token";

/// The file whose existence holds the host's compilations (the host's
/// `SIDECOACH_TEST_HOLD_COMPILE` hook).
fn hold_compile_path(data_dir: &Path) -> PathBuf {
    data_dir.with_file_name("hold-compile")
}

/// Holds a host's compilations while alive (see [`Host::hold_compile`]).
pub struct CompileHold {
    path: PathBuf,
}

impl CompileHold {
    /// Wait (up to two minutes) until a compilation is being held.
    pub async fn reached(&self) {
        let held = self.path.with_extension("held");
        let deadline = Instant::now() + Duration::from_secs(120);
        while !held.exists() {
            assert!(Instant::now() < deadline, "no compilation was held");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for CompileHold {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A host killed by [`Host::restart_later`], its data directory kept.
pub struct Killed(Host);

impl Killed {
    /// Start it again on the same data directory and configuration.
    pub fn start(mut self) -> Host {
        let old = &mut self.0;
        let mut next = Host::spawn_command(
            "serve",
            &old.data_dir,
            old.config.clone(),
            old.admin_env,
            old.own_cache,
        );
        next._tmp = old._tmp.take();
        next
    }
}

/// A running host process. Killed on drop.
pub struct Host {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The data directory (kept across restarts by [`Host::restart`]).
    pub data_dir: PathBuf,
    config: Option<String>,
    admin_env: bool,
    /// Compile into the data directory's own cache instead of the test
    /// binary's shared one (for tests that count compilations).
    own_cache: bool,
    _tmp: Option<tempfile::TempDir>,
    /// Lines the host printed on stdout at start-up.
    pub banner: Vec<String>,
}

impl Host {
    /// Start a host with default config in a fresh temporary directory.
    pub fn start() -> Host {
        Host::with_config("")
    }

    /// Start a host with default config whose compile cache is its own
    /// (empty) one, so it compiles every plugin on first start.
    pub fn start_with_own_compile_cache() -> Host {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().join("data");
        let mut host = Host::spawn_command("serve", &data_dir, Some(String::new()), true, true);
        host._tmp = Some(tmp);
        host
    }

    /// Start a host with this TOML config in a fresh temporary directory.
    pub fn with_config(config: &str) -> Host {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().join("data");
        let mut host = Host::spawn(&data_dir, Some(config.to_string()), true);
        host._tmp = Some(tmp);
        host
    }

    /// Start a host with default config on `data_dir` (kept by the caller).
    pub fn in_dir(data_dir: &Path) -> Host {
        Host::spawn(data_dir, Some(String::new()), true)
    }

    /// Start a host without `SIDECOACH_ADMIN_TOKEN`, as a new user would.
    pub fn without_admin_token() -> Host {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().join("data");
        let mut host = Host::spawn(&data_dir, None, false);
        host._tmp = Some(tmp);
        host
    }

    /// Start `sidecoach demo` (demo sources, demo data loaded on start) in a
    /// fresh temporary directory.
    pub fn demo() -> Host {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().join("data");
        let mut host = Host::spawn_command("demo", &data_dir, None, true, false);
        host._tmp = Some(tmp);
        host
    }

    fn spawn(data_dir: &Path, config: Option<String>, admin_env: bool) -> Host {
        Host::spawn_command("serve", data_dir, config, admin_env, false)
    }

    fn spawn_command(
        command: &str,
        data_dir: &Path,
        config: Option<String>,
        admin_env: bool,
        own_cache: bool,
    ) -> Host {
        std::fs::create_dir_all(data_dir).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sidecoach"));
        cmd.arg(command)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .env("SIDECOACH_LOG", "warn")
            // Inert until a test creates the file (see `Host::hold_compile`).
            .env("SIDECOACH_TEST_HOLD_COMPILE", hold_compile_path(data_dir))
            .env_remove("SIDECOACH_CONFIG")
            .env_remove("SIDECOACH_ADMIN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if admin_env {
            cmd.env("SIDECOACH_ADMIN_TOKEN", ADMIN);
        }
        if own_cache {
            cmd.env_remove("SIDECOACH_CACHE_DIR");
        } else {
            cmd.env("SIDECOACH_CACHE_DIR", shared_compile_cache());
        }
        if let Some(text) = &config {
            let path = data_dir.join("../sidecoach.toml");
            std::fs::write(&path, text).unwrap();
            cmd.arg("--config").arg(path);
        }
        let mut child = cmd.spawn().expect("spawn sidecoach");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut banner = vec![];
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    banner.push(line.clone());
                    if let Some(rest) = line.strip_prefix("sidecoach listening on ") {
                        break rest.split_whitespace().next().unwrap().to_string();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("host did not start; it printed: {banner:?}");
                }
            }
        };
        // Keep draining stdout so the host never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Host {
            child,
            url,
            data_dir: data_dir.to_path_buf(),
            config,
            admin_env,
            own_cache,
            _tmp: None,
            banner,
        }
    }

    /// Kill the host with SIGKILL (no graceful shutdown) and start it again
    /// on the same data directory.
    pub fn restart(self) -> Host {
        self.restart_later().start()
    }

    /// Kill the host with SIGKILL now, keeping its data directory, to be
    /// started again with [`Killed::start`].
    pub fn restart_later(mut self) -> Killed {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        Killed(self)
    }

    /// Send SIGTERM and wait for the process to exit; returns its status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "host did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The host process id (to read its memory use from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Hold every compilation of this host until the returned guard is
    /// dropped; [`CompileHold::reached`] waits until one is being held.
    pub fn hold_compile(&self) -> CompileHold {
        let path = hold_compile_path(&self.data_dir);
        std::fs::write(&path, b"").unwrap();
        CompileHold { path }
    }

    /// A client with the admin token.
    pub fn admin(&self) -> Client {
        self.client(Some(ADMIN))
    }

    /// A client with `token` (or none).
    pub fn client(&self, token: Option<&str>) -> Client {
        Client {
            url: self.url.clone(),
            token: token.map(str::to_string),
            http: reqwest::Client::new(),
        }
    }
}

/// The compile cache every test host shares: each reference plugin is
/// compiled once per test run instead of once per host. Entries are keyed
/// by component and engine settings and written by atomic rename, so hosts
/// with other settings, or racing to write one entry, stay correct.
pub fn shared_compile_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-cache")
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status and parsed JSON (or `Value::Null`).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Body as JSON.
    pub json: Value,
    /// Body as text.
    pub text: String,
}

impl Reply {
    /// The `error.code` of an error reply.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    /// The `error.message` of an error reply.
    pub fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or("")
    }
}

/// A tiny HTTP client bound to a host and a token.
#[derive(Clone)]
pub struct Client {
    url: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req.send().await.expect("request reaches the host");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, json, text }
    }

    /// GET a path; `None` when the host could not be reached.
    pub async fn try_get(&self, path: &str) -> Option<Reply> {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.ok()?;
        let status = resp.status();
        let text = resp.text().await.ok()?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Some(Reply { status, json, text })
    }

    /// POST raw bytes; `None` when the host could not be reached or the
    /// connection broke.
    pub async fn try_post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Option<(StatusCode, String)> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.ok()?;
        let status = resp.status();
        Some((status, resp.text().await.ok()?))
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.url)))
            .await
    }

    /// POST JSON; `None` when the host could not be reached or the
    /// connection broke (it was killed).
    pub async fn try_post(&self, path: &str, body: &Value) -> Option<(StatusCode, String)> {
        let mut req = self.http.post(format!("{}{path}", self.url)).json(body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.ok()?;
        let status = resp.status();
        Some((status, resp.text().await.ok()?))
    }

    /// POST JSON.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.http.post(format!("{}{path}", self.url)).json(body))
            .await
    }

    /// PUT JSON.
    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(self.http.put(format!("{}{path}", self.url)).json(body))
            .await
    }

    /// DELETE a path.
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.http.delete(format!("{}{path}", self.url)))
            .await
    }

    /// POST a raw body with a content type and extra headers (a vendor
    /// delivery).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut req = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body.to_vec());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req).await
    }

    /// Upload a plugin: manifest text and component bytes.
    pub async fn install(&self, manifest: &str, wasm: &[u8]) -> Reply {
        let form = reqwest::multipart::Form::new()
            .text("manifest", manifest.to_string())
            .part(
                "component",
                reqwest::multipart::Part::bytes(wasm.to_vec()).file_name("plugin.wasm"),
            );
        self.send(
            self.http
                .post(format!("{}/v1/plugins", self.url))
                .multipart(form),
        )
        .await
    }

    /// Upload an artifact with its own manifest.
    pub async fn install_artifact(&self, artifact: &Artifact) -> Reply {
        self.install(artifact.manifest, artifact.wasm).await
    }

    /// Invoke a plugin with a JSON input.
    pub async fn invoke(&self, id: &str, input: &Value) -> Reply {
        self.post(&format!("/v1/plugins/{id}/invoke"), input).await
    }
}

/// A manifest edited as a TOML table (set limits, change the version…).
pub fn edit_manifest(manifest: &str, edit: impl FnOnce(&mut toml::Table)) -> String {
    let mut table: toml::Table = manifest.parse().expect("manifest parses");
    edit(&mut table);
    table.to_string()
}

/// A manifest with `[limits]` entries set.
pub fn with_limits(manifest: &str, limits: &[(&str, i64)]) -> String {
    edit_manifest(manifest, |t| {
        let l = t
            .entry("limits")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        for (k, v) in limits {
            l.as_table_mut()
                .unwrap()
                .insert(k.to_string(), toml::Value::Integer(*v));
        }
    })
}

/// A Server-Sent Events stream read a chunk at a time.
pub struct EventStream {
    resp: reqwest::Response,
    buf: String,
}

impl Client {
    /// Open an SSE stream (`GET path`); panics unless it answers 200.
    pub async fn stream(&self, path: &str) -> EventStream {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request reaches the host");
        assert_eq!(resp.status(), 200, "stream {path}");
        EventStream {
            resp,
            buf: String::new(),
        }
    }
}

impl EventStream {
    /// The next event (`event:` name and parsed `data:`), skipping
    /// keep-alive comments; panics after `within` without one.
    pub async fn next(&mut self, within: Duration) -> (String, Value) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() && name == "message" {
                    continue; // a keep-alive comment
                }
                return (name, serde_json::from_str(&data).unwrap_or(Value::Null));
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .expect("an event arrives in time")
                .expect("the stream stays readable")
                .expect("the stream stays open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Read events until one named `name` arrives; returns its data.
    pub async fn until(&mut self, name: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (n, data) = self.next(left).await;
            if n == name {
                return data;
            }
        }
    }
}
