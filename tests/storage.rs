//! Storage faults on a real full volume: a small tmpfs mounted for each
//! test (skipped, saying why, where mounting is not permitted). A full disk
//! answers 507 and stores nothing, `/readyz` says so, writes succeed again
//! once space is freed without a restart and nothing acknowledged is lost;
//! a first start on a full volume exits non-zero naming the path.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::util::{Client, Host};

/// A tmpfs of `mib` MiB mounted on a temporary directory until dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mib: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                println!(
                    "skipped: cannot mount a tmpfs here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                println!("skipped: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fill the volume with a file until the disk is full, leaving about
    /// `leave` bytes; returns the file.
    fn fill(&self, leave: u64) -> PathBuf {
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 << 10];
        loop {
            let free = fs2::available_space(self.path()).unwrap();
            if free <= leave + chunk.len() as u64 {
                let rest = free.saturating_sub(leave) as usize;
                let _ = f.write_all(&chunk[..rest.min(chunk.len())]);
                break;
            }
            if f.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

async fn names(api: &Client) -> Vec<String> {
    let r = api.get("/v1/agents?limit=1000").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

async fn until_ready(host: &Host, status: u16, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let r = host.admin().get("/readyz").await;
        if r.status == status {
            return r.json;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never answered {status}: {} {}",
            r.status,
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_full_disk_answers_507_then_heals_without_a_restart_and_loses_nothing() {
    let Some(volume) = Tmpfs::mount(32) else {
        return;
    };
    let data = volume.path().join("data");
    let mut host = Host::in_dir(&data);
    let api = host.admin();
    let r = api.post("/v1/agents", &json!({"name": "Before"})).await;
    assert_eq!(r.status, 201, "{}", r.text);

    let filler = volume.fill(0);
    // Writes until one is refused: every 2xx is acknowledged, every other
    // answer stores nothing.
    let mut acknowledged = vec!["Before".to_string()];
    let mut refused = None;
    for n in 0..200 {
        let name = format!("During {n} {}", "x".repeat(900));
        let r = api.post("/v1/agents", &json!({ "name": name })).await;
        if r.status == 201 {
            acknowledged.push(name);
        } else {
            refused = Some(r);
            break;
        }
    }
    let refused = refused.expect("a full disk refuses a write");
    assert_eq!(refused.status, 507, "{}", refused.text);
    assert_eq!(
        refused.json["error"]["code"], "storage_full",
        "{}",
        refused.text
    );
    let ready = until_ready(&host, 503, Duration::from_secs(10)).await;
    assert_eq!(ready["error"]["code"], "storage_unavailable", "{ready}");
    assert!(
        ready["error"]["message"].as_str().unwrap().contains("full"),
        "{ready}"
    );
    // Reads still answer while writes cannot.
    assert!(names(&api).await.contains(&"Before".to_string()));

    // Space returns: writes succeed again, no restart.
    std::fs::remove_file(filler).unwrap();
    until_ready(&host, 200, Duration::from_secs(15)).await;
    let r = api.post("/v1/agents", &json!({"name": "After"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    acknowledged.push("After".into());
    let stored = names(&api).await;
    for name in &acknowledged {
        assert!(stored.contains(name), "acknowledged {name:.20} is stored");
    }
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "nothing refused was stored"
    );

    // A clean shutdown, and every acknowledged write after a restart.
    let status = host.terminate();
    assert!(status.success(), "{status:?}");
    let host = Host::in_dir(&data);
    let again = names(&host.admin()).await;
    assert_eq!(again.len(), acknowledged.len(), "{again:?}");
}

#[tokio::test]
async fn a_first_start_on_a_full_volume_exits_non_zero_naming_the_data_directory() {
    let Some(volume) = Tmpfs::mount(16) else {
        return;
    };
    volume.fill(200 << 10);
    let data = volume.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sidecoach"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("SIDECOACH_ADMIN_TOKEN", crate::util::ADMIN)
        .env("SIDECOACH_CACHE_DIR", volume.path().join("cache"))
        .env("SIDECOACH_LOG", "error")
        .env_remove("SIDECOACH_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the host neither started nor exited on a full volume");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains(data.to_str().unwrap()),
        "the message names the data directory: {stderr}"
    );
}
