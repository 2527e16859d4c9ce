//! The Python example scorer (`examples/plugins/python-scorer`), built with
//! `sidecoach plugin build` (componentize-py) into a copy under the target
//! directory, and rebuilt only when its sources or componentize-py change.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sidecoach::clock::sha256_hex;

use super::measure::fail;

/// The example's id (and folder name).
pub const ID: &str = "python-scorer";

/// The built component.
pub struct Component {
    /// `dist/plugin.toml`: the manifest, carrying the component's sha256.
    pub manifest: String,
    /// The component.
    pub wasm: Vec<u8>,
    /// How long building took; `None` when the last build was still current.
    pub built_in: Option<Duration>,
}

/// The example's sources (what `git` tracks there: no `dist/` and no
/// componentize-py output), as (path below the folder, contents), sorted.
fn sources(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let entries = std::fs::read_dir(dir.join(&rel))
            .unwrap_or_else(|e| fail(format!("reading {}: {e}", dir.join(&rel).display())));
        for entry in entries.map(|e| e.unwrap_or_else(|e| fail(format!("{e}")))) {
            let name = entry.file_name();
            if ["dist", "bindings", "__pycache__"]
                .iter()
                .any(|n| name == *n)
            {
                continue;
            }
            let path = rel.join(&name);
            if entry.path().is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(entry.path())
                    .unwrap_or_else(|e| fail(format!("reading {}: {e}", path.display())));
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}

/// The component, built if need be; `Err` says why it cannot be (no
/// componentize-py), never a number.
pub fn component() -> Result<Component, String> {
    let version = Command::new("componentize-py")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| o.stdout)
        .ok_or("componentize-py not installed (pip install componentize-py==0.25.1)")?;
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/plugins")
        .join(ID);
    let files = sources(&example);
    let mut fingerprint = version;
    for (path, bytes) in &files {
        fingerprint.extend(path.to_string_lossy().as_bytes());
        fingerprint.push(0);
        fingerprint.extend(bytes);
        fingerprint.push(0);
    }
    let stamp = sha256_hex(&fingerprint);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-{ID}"));
    let (wasm, manifest, stamp_file) = (
        dir.join("dist").join(format!("{ID}.wasm")),
        dir.join("dist/plugin.toml"),
        dir.join("dist/bench-sources.sha256"),
    );
    let current = std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp);
    let mut built_in = None;
    if !current {
        let t = Instant::now();
        let _ = std::fs::remove_dir_all(&dir);
        for (path, bytes) in &files {
            let to = dir.join(path);
            std::fs::create_dir_all(to.parent().expect("a file has a folder"))
                .and_then(|()| std::fs::write(&to, bytes))
                .unwrap_or_else(|e| fail(format!("writing {}: {e}", to.display())));
        }
        let out = Command::new(env!("CARGO_BIN_EXE_sidecoach"))
            .args(["plugin", "build"])
            .arg(&dir)
            .env_remove("SIDECOACH_CONFIG")
            .output()
            .unwrap_or_else(|e| fail(format!("running sidecoach plugin build: {e}")));
        if !out.status.success() {
            fail(format!(
                "sidecoach plugin build {} failed:\n{}{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        std::fs::write(&stamp_file, &stamp)
            .unwrap_or_else(|e| fail(format!("writing {}: {e}", stamp_file.display())));
        built_in = Some(t.elapsed());
    }
    let read =
        |p: &Path| std::fs::read(p).unwrap_or_else(|e| fail(format!("{}: {e}", p.display())));
    Ok(Component {
        manifest: String::from_utf8(read(&manifest))
            .unwrap_or_else(|e| fail(format!("dist/plugin.toml: {e}"))),
        wasm: read(&wasm),
        built_in,
    })
}
