//! Compiles every guest crate under `plugins/` to a wasm32-wasip2 component and
//! writes `$OUT_DIR/gen.rs`, which `src/lib.rs` includes.
//!
//! Modelled on wasmtime's `crates/test-programs/artifacts/build.rs`:
//!
//! 1. discover the guests: every `plugins/*/plugin.toml`, sorted; an id starting
//!    with `hostile-` is a hostile test plugin; a directory named `<id>-v<N>` is
//!    one version of a test plugin (the lifecycle tests upgrade and roll back
//!    between them); anything else is a reference plugin;
//! 2. run one nested `cargo build --release --target wasm32-wasip2 --workspace`
//!    on `plugins/Cargo.toml`, with its own target dir (`<target>/wasm-guests`,
//!    shared by debug, release and clippy builds of the host so the guests are
//!    built once) and without the outer build's flags, wrappers and profile
//!    overrides, which are meant for the host, not for wasm;
//! 3. generate one `Artifact` constant per guest (bytes embedded with
//!    `include_bytes!`), an `ALL` list per kind, and `foreach_reference_plugin!` /
//!    `foreach_hostile_plugin!` so the tests can require one test per plugin.
//!
//! The manifest reader here is deliberately minimal (top-level `key = "string"`
//! lines): the host parses manifests for real, with `deny_unknown_fields`.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The only target guests are built for; its cdylibs are components already.
const TARGET: &str = "wasm32-wasip2";

/// The id prefix that marks a hostile test plugin.
const HOSTILE_PREFIX: &str = "hostile-";

/// One guest crate, as found on disk.
struct Guest {
    /// The plugin id, e.g. `json-adapter`.
    id: String,
    /// The crate's directory name: the id, or `<id>-v<N>` for a versioned
    /// test plugin. Constant and macro names derive from it.
    name: String,
    /// The manifest's `kind`.
    kind: String,
    /// The manifest's `description`.
    description: String,
    /// The crate's directory.
    dir: PathBuf,
    /// It lives under `examples/plugins/` (an example, not shipped).
    example: bool,
    /// `<dir>/plugin.toml`.
    manifest: PathBuf,
    /// `<guest target>/wasm32-wasip2/release/<crate_name>.wasm`.
    wasm: PathBuf,
}

impl Guest {
    /// Which generated module the guest belongs to.
    fn module(&self) -> &'static str {
        if self.example {
            "examples"
        } else if self.id.starts_with(HOSTILE_PREFIX) {
            "hostile"
        } else if self.name != self.id {
            "testing"
        } else {
            "reference"
        }
    }

    /// The constant's name, e.g. `PROBE_V1`.
    fn const_name(&self) -> String {
        self.name.replace('-', "_").to_uppercase()
    }
}

/// Whether `dir_name` is `<id>-v<digits>`.
fn is_versioned_dir(dir_name: &str, id: &str) -> bool {
    dir_name
        .strip_prefix(id)
        .and_then(|rest| rest.strip_prefix("-v"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            for line in failure.summary.lines() {
                println!("cargo::error={line}");
            }
            if !failure.details.is_empty() {
                eprintln!("{}", failure.details);
            }
            ExitCode::FAILURE
        }
    }
}

/// Why the build script failed: a short summary for `cargo::error` and the
/// nested build's output.
struct Failure {
    summary: String,
    details: String,
}

impl Failure {
    fn new(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            details: String::new(),
        }
    }
}

fn run() -> Result<(), Failure> {
    let var = |name: &str| {
        env::var_os(name).ok_or_else(|| Failure::new(format!("cargo did not set {name}")))
    };
    let artifacts_dir = PathBuf::from(var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(var("OUT_DIR")?);
    let plugins_dir = artifacts_dir
        .parent()
        .ok_or_else(|| Failure::new("plugins/artifacts has no parent directory"))?
        .to_path_buf();
    let repo_dir = plugins_dir
        .parent()
        .ok_or_else(|| Failure::new("plugins/ has no parent directory"))?
        .to_path_buf();
    let workspace_manifest = plugins_dir.join("Cargo.toml");
    let target_dir = guest_target_dir(&out_dir);

    let mut guests = discover(&plugins_dir, &target_dir, false)?;
    // Example plugins (a center's own rules) live beside the other examples
    // but build in the guest workspace (their Cargo.toml says so).
    let examples_dir = repo_dir.join("examples").join("plugins");
    if examples_dir.is_dir() {
        guests.extend(discover(&examples_dir, &target_dir, true)?);
    }
    rerun_if_changed(&examples_dir);

    // Rebuild when the API, the guest workspace or any guest changes. A new
    // guest crate must be added to plugins/Cargo.toml, which is watched.
    rerun_if_changed(&repo_dir.join("wit"));
    rerun_if_changed(&workspace_manifest);
    rerun_if_changed(&plugins_dir.join("Cargo.lock"));
    for guest in &guests {
        let dir = &guest.dir;
        rerun_if_changed(&dir.join("src"));
        rerun_if_changed(&dir.join("Cargo.toml"));
        rerun_if_changed(&guest.manifest);
    }

    // Library crates the guests share (no plugin.toml, e.g. guest (sidecoach-guest)).
    for lib in shared_libraries(&plugins_dir)? {
        rerun_if_changed(&lib.join("src"));
        rerun_if_changed(&lib.join("Cargo.toml"));
    }

    build_guests(&workspace_manifest, &target_dir)?;

    for guest in &guests {
        if !guest.wasm.is_file() {
            return Err(Failure::new(format!(
                "{dir} has a plugin.toml but the guest build produced no {wasm}; \
                 is it listed in the members of plugins/Cargo.toml, with \
                 crate-type = [\"cdylib\"]?",
                dir = guest.dir.display(),
                wasm = guest.wasm.display(),
            )));
        }
    }

    let code = generate(&guests)?;
    fs::write(out_dir.join("gen.rs"), code)
        .map_err(|e| Failure::new(format!("cannot write {}/gen.rs: {e}", out_dir.display())))
}

fn rerun_if_changed(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}

/// `<root target dir>/wasm-guests`, the same for every profile and tool.
///
/// `OUT_DIR` is `<target>/[<triple>/]<profile>/build/<package>-<hash>/out`, so the
/// target dir is found above the `build` directory (skipping `<triple>` when the
/// outer build was given `--target`). When `OUT_DIR` does not have that shape,
/// an absolute `CARGO_TARGET_DIR` is used, and failing that `OUT_DIR` itself
/// (correct, but rebuilt per profile).
fn guest_target_dir(out_dir: &Path) -> PathBuf {
    let from_out_dir = out_dir
        .ancestors()
        .skip(2)
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .and_then(Path::parent) // <profile>
        .and_then(Path::parent) // <target> or <target>/<triple>
        .map(|dir| {
            let triple = env::var_os("TARGET");
            match (dir.file_name(), dir.parent()) {
                (Some(name), Some(parent)) if Some(name) == triple.as_deref() => parent,
                _ => dir,
            }
        });
    if let Some(dir) = from_out_dir {
        return dir.join("wasm-guests");
    }
    match env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir.join("wasm-guests"),
        _ => out_dir.join("wasm-guests"),
    }
}

/// Guest-workspace crates without a plugin.toml: libraries the guests share.
fn shared_libraries(plugins_dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries = fs::read_dir(plugins_dir)
        .map_err(|e| Failure::new(format!("cannot list {}: {e}", plugins_dir.display())))?;
    Ok(entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.join("Cargo.toml").is_file()
                && !path.join("plugin.toml").is_file()
                && path.file_name().is_some_and(|n| n != "artifacts")
        })
        .collect())
}

/// Every `<dir>/*/plugin.toml`, sorted by directory name.
fn discover(plugins_dir: &Path, target_dir: &Path, example: bool) -> Result<Vec<Guest>, Failure> {
    let entries = fs::read_dir(plugins_dir)
        .map_err(|e| Failure::new(format!("cannot list {}: {e}", plugins_dir.display())))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("plugin.toml").is_file())
        // Examples in other languages (Python, JavaScript) have no
        // Cargo.toml: their own toolchain builds them (`sidecoach plugin
        // build`), not this workspace.
        .filter(|path| !example || path.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();

    let release_dir = target_dir.join(TARGET).join("release");
    let mut guests = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let dir_name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Failure::new(format!("{} is not UTF-8", dir.display())))?
            .to_owned();
        let manifest = dir.join("plugin.toml");
        let text = read(&manifest)?;
        let field = |key: &str| {
            top_level_string(&text, key).ok_or_else(|| {
                Failure::new(format!("{} has no `{key} = \"...\"`", manifest.display()))
            })
        };
        let id = field("id")?;
        if id != dir_name && !is_versioned_dir(&dir_name, &id) {
            return Err(Failure::new(format!(
                "{}: id `{id}` must equal its directory name `{dir_name}` (or the directory be `{id}-vN`)",
                manifest.display()
            )));
        }
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(Failure::new(format!(
                "{}: id `{id}` must be lower-case [a-z0-9-]",
                manifest.display()
            )));
        }
        let cargo_toml = dir.join("Cargo.toml");
        let crate_name = package_name(&read(&cargo_toml)?).ok_or_else(|| {
            Failure::new(format!("{} has no [package] name", cargo_toml.display()))
        })?;
        guests.push(Guest {
            kind: field("kind")?,
            description: field("description")?,
            wasm: release_dir.join(format!("{}.wasm", crate_name.replace('-', "_"))),
            dir: dir.clone(),
            example,
            manifest,
            id,
            name: dir_name,
        });
    }
    if guests.is_empty() && !example {
        return Err(Failure::new(format!(
            "no plugins/*/plugin.toml found under {}",
            plugins_dir.display()
        )));
    }
    Ok(guests)
}

fn read(path: &Path) -> Result<String, Failure> {
    fs::read_to_string(path)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))
}

/// The value of a top-level `key = "basic string"` line (before any table).
fn top_level_string(toml: &str, key: &str) -> Option<String> {
    toml.lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| {
            let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
            basic_string(rest.trim_start())
        })
}

/// The `name` of the `[package]` table.
fn package_name(cargo_toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in cargo_toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(rest) = line.strip_prefix("name")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return basic_string(value.trim_start());
        }
    }
    None
}

/// Decodes a TOML basic string (`"..."` with backslash escapes) at the start of `s`.
fn basic_string(s: &str) -> Option<String> {
    let mut chars = s.strip_prefix('"')?.chars();
    let mut out = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'e' => out.push('\u{1b}'),
                c @ ('u' | 'U') => {
                    let len = if c == 'u' { 4 } else { 8 };
                    let hex: String = chars.by_ref().take(len).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            },
            c => out.push(c),
        }
    }
}

/// Variables the outer cargo sets (or the user set for the host build) that
/// must not reach the nested wasm build: flags and wrappers for the host
/// compiler, the outer target dir and target, the outer jobserver, and what
/// cargo tells build scripts about the *host* package and platform.
fn leaks_into_nested_build(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
        "CLIPPY_ARGS",
        "CLIPPY_CONF_DIR",
    ];
    const PREFIXES: &[&str] = &[
        "CARGO_ENCODED_",
        "CARGO_PROFILE_",
        "__CARGO",
        // Target-dir, target, rustflags and wrapper settings in env form.
        "CARGO_BUILD_",
        // Per-target runner/linker/rustflags, e.g. CARGO_TARGET_X86_64_..._RUSTFLAGS.
        "CARGO_TARGET_",
        // What cargo tells this build script about the host package and platform:
        // a guest's build script must not see `CARGO_CFG_UNIX` and the like.
        "CARGO_CFG_",
        "CARGO_FEATURE_",
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "DEP_",
    ];
    // `CARGO_BUILD_JOBS` is the user's choice of parallelism: keep it.
    name != "CARGO_BUILD_JOBS"
        && (EXACT.contains(&name) || PREFIXES.iter().any(|prefix| name.starts_with(prefix)))
}

fn build_guests(workspace_manifest: &Path, target_dir: &Path) -> Result<(), Failure> {
    // The `rustc` cargo uses for this build (the same toolchain builds the guests).
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    if target_missing(&rustc) {
        return Err(Failure::new(format!(
            "the {TARGET} target is not installed for this toolchain; \
             run `rustup target add {TARGET}` (rust-toolchain.toml lists it)"
        )));
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--release")
        .arg("--target")
        .arg(TARGET)
        .arg("--workspace")
        .arg("--manifest-path")
        .arg(workspace_manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .arg("--color")
        .arg("never");
    for (name, _) in env::vars_os() {
        if let Some(name) = name.to_str()
            && leaks_into_nested_build(name)
        {
            cmd.env_remove(name);
        }
    }
    eprintln!("running: {cmd:?}");
    let output = cmd.output().map_err(|e| {
        Failure::new(format!(
            "cannot run the nested `cargo build --target {TARGET}` for plugins/: {e}"
        ))
    })?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        // Shown with `cargo build -vv`.
        eprintln!("{stderr}");
        return Ok(());
    }
    let mut summary = format!(
        "building the wasm plugins failed (cargo build --release --target {TARGET} \
         --manifest-path {} exited with {}); its output follows",
        workspace_manifest.display(),
        output.status
    );
    let target_trouble = [
        "target may not be installed",
        "can't find crate for `core`",
        "can't find crate for `std`",
    ];
    if target_trouble.iter().any(|needle| stderr.contains(needle)) {
        let _ = write!(summary, "\nrun `rustup target add {TARGET}`");
    }
    Err(Failure {
        summary,
        details: stderr,
    })
}

/// Whether `rustc` lacks the standard library for [`TARGET`]. Unknown (rustc
/// cannot be asked) counts as present: the nested build will then say why.
fn target_missing(rustc: &OsString) -> bool {
    let Ok(output) = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
    else {
        return false;
    };
    if !output.status.success() {
        return false;
    }
    let libdir = String::from_utf8_lossy(&output.stdout);
    !Path::new(libdir.trim()).is_dir()
}

/// The contents of `gen.rs`.
fn generate(guests: &[Guest]) -> Result<String, Failure> {
    let mut code =
        String::from("// @generated by plugins/artifacts/build.rs from plugins/*/plugin.toml.\n\n");
    for (module, doc) in [
        (
            "reference",
            "The reference plugins, which the host installs on first start.",
        ),
        (
            "hostile",
            "Hostile test plugins: never installed by default, loaded by the sandbox tests.",
        ),
        (
            "testing",
            "Versions of test plugins (`<id>-vN`): never installed by default, used by the lifecycle tests to upgrade and roll back.",
        ),
        (
            "examples",
            "Example plugins from `examples/plugins/` (a center's own rules): never installed by default.",
        ),
    ] {
        let members: Vec<&Guest> = guests.iter().filter(|g| g.module() == module).collect();
        let _ = writeln!(
            code,
            "#[doc = {doc:?}]\npub mod {module} {{\n    use super::Artifact;\n"
        );
        for guest in &members {
            let wasm = utf8(&guest.wasm)?;
            let manifest = utf8(&guest.manifest)?;
            let doc = format!("`{}` ({}): {}", guest.id, guest.kind, guest.description);
            let _ = writeln!(
                code,
                "    #[doc = {doc:?}]\n    pub const {name}: Artifact = Artifact {{\n        \
                 id: {id:?},\n        wasm: include_bytes!({wasm:?}),\n        \
                 manifest: include_str!({manifest:?}),\n        path: {wasm:?},\n    }};\n",
                name = guest.const_name(),
                id = guest.id,
            );
        }
        let all: Vec<String> = members.iter().map(|g| g.const_name()).collect();
        let _ = writeln!(
            code,
            "    /// Every plugin of this module, sorted by id.\n    \
             pub const ALL: &[Artifact] = &[{}];\n}}\n",
            all.join(", ")
        );

        let idents: String = members
            .iter()
            .map(|g| format!("        $mac!({});\n", g.name.replace('-', "_")))
            .collect();
        let _ = writeln!(
            code,
            "/// Expands to `$mac!(name);` for every {module} plugin, `name` being its id in\n\
             /// snake_case (`{example}`). When `$mac` expands to a call of a function\n\
             /// named after the plugin, adding a plugin without writing that function (its\n\
             /// test) fails to compile.\n\
             ///\n\
             /// Get the artifact back with\n\
             /// `sidecoach_plugin_artifacts::by_id(&stringify!(name).replace('_', \"-\"))`.\n\
             #[macro_export]\n\
             macro_rules! foreach_{module}_plugin {{\n    ($mac:ident) => {{\n{idents}    }};\n}}\n",
            example = members
                .first()
                .map(|g| g.name.replace('-', "_"))
                .unwrap_or_default(),
        );
    }
    Ok(code)
}

fn utf8(path: &Path) -> Result<&str, Failure> {
    path.to_str()
        .ok_or_else(|| Failure::new(format!("{} is not valid UTF-8", path.display())))
}
