//! Embeds the plugin project templates (`host/templates/<lang>/<kind>/…`)
//! and the WIT of every API version (`wit/<api>/sidecoach.wit`) for
//! `sidecoach plugin new`, and records the wit-bindgen version the guest
//! workspace is locked to, so new Rust projects pin the same one.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let repo = manifest_dir
        .parent()
        .expect("host/ has a parent")
        .to_path_buf();
    let templates = manifest_dir.join("templates");
    println!("cargo::rerun-if-changed={}", templates.display());

    let mut files = Vec::new();
    collect(&templates, &templates, &mut files);
    files.sort();
    let mut out = String::from("/// Every template file: (path under `templates/`, contents).\n");
    out.push_str("pub const TEMPLATE_FILES: &[(&str, &str)] = &[\n");
    for (rel, path) in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");

    out.push_str("/// The WIT of every API version: (version, contents).\n");
    out.push_str("pub const WIT_FILES: &[(&str, &str)] = &[\n");
    let mut versions: Vec<_> = fs::read_dir(repo.join("wit"))
        .expect("wit/ is readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("sidecoach.wit").is_file())
        .collect();
    versions.sort();
    for dir in versions {
        let wit = dir.join("sidecoach.wit");
        println!("cargo::rerun-if-changed={}", wit.display());
        let version = dir.file_name().unwrap().to_string_lossy().into_owned();
        writeln!(
            out,
            "    ({version:?}, include_str!({:?})),",
            wit.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");

    let lock = repo.join("plugins").join("Cargo.lock");
    println!("cargo::rerun-if-changed={}", lock.display());
    let text = fs::read_to_string(&lock).expect("plugins/Cargo.lock is readable");
    let version =
        locked_version(&text, "wit-bindgen").expect("plugins/Cargo.lock locks wit-bindgen");
    writeln!(
        out,
        "/// The wit-bindgen version the guest workspace is locked to."
    )
    .unwrap();
    writeln!(out, "pub const WIT_BINDGEN_VERSION: &str = {version:?};").unwrap();
    writeln!(
        out,
        "/// Where this binary's guest SDK crate lives (`plugins/guest`)."
    )
    .unwrap();
    writeln!(
        out,
        "pub const SDK_DIR: &str = {:?};",
        repo.join("plugins").join("guest").display().to_string()
    )
    .unwrap();

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    fs::write(out_dir.join("kit.rs"), out).expect("OUT_DIR is writable");
}

/// Every file under `dir`, with its path relative to `root` (`/`-separated).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path.strip_prefix(root).expect("under root");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((rel, path));
        }
    }
}

/// The `version` of package `name` in a Cargo.lock.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let next = lines.next()?;
            return next
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_owned);
        }
    }
    None
}
