//! The plugin kit: `sidecoach plugin new | build | test`.
//!
//! * `new` writes a project from the templates embedded at build time
//!   (`host/templates/<lang>/<kind>/`), with the WIT of the newest API
//!   version of the world;
//! * `build` runs the language's toolchain (cargo for Rust, componentize-py
//!   for Python) and writes `dist/<id>.wasm` and `dist/plugin.toml` carrying
//!   the component's sha256;
//! * `test` installs the component in an in-process [`Runtime`] (the host's
//!   own, with the host's config, limits and grants) and runs case files on
//!   it through the same call path as the host's calls.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::model::{Limits, Manifest, PluginKind};
use crate::runtime::{CallReport, FailedCall, InvokeInput, Runtime};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/kit.rs"));
}

/// The componentize-py release Python projects are pinned to.
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";

/// A plugin project's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust with wit-bindgen and the guest SDK, built for wasm32-wasip2.
    Rust,
    /// Python, built with componentize-py.
    Python,
    /// JavaScript, built with jco (componentize-js) from the project's
    /// package.json (`plugin build` only; no template yet).
    #[value(skip)]
    JavaScript,
}

impl Lang {
    fn dir(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
        }
    }
}

/// The API version new projects of a world are written against: the newest
/// the host accepts for it (matchers: see [`TEMPLATE_MATCHER_API`]).
fn newest_api(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Matcher => TEMPLATE_MATCHER_API,
        kind => kind.newest_api(),
    }
}

/// The matcher templates still target API 0.1.0 (`rank`, every pair with
/// its reasons): the simplest matcher to write, and fast enough for a
/// center's few hundred protégés. docs/plugins.md shows the 0.4.0 world
/// (`score` + `explain`) for matching thousands.
const TEMPLATE_MATCHER_API: &str = "0.1.0";

/// `plugin new`: a ready project in `dir` (default `./NAME`).
pub fn new(
    name: &str,
    kind: PluginKind,
    lang: Lang,
    dir: Option<PathBuf>,
    sdk: Option<PathBuf>,
) -> anyhow::Result<PathBuf> {
    let started = Instant::now();
    check_id(name)?;
    let dest = dir.unwrap_or_else(|| PathBuf::from(name));
    if dest.exists()
        && std::fs::read_dir(&dest)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; choose another NAME or --dir",
            dest.display()
        );
    }
    let api = newest_api(kind);
    let wit = embedded::WIT_FILES
        .iter()
        .find(|(v, _)| *v == api)
        .map(|(_, text)| *text)
        .context("this binary carries no WIT for the API version")?;
    let sdk = match lang {
        Lang::Rust => {
            let sdk = sdk.unwrap_or_else(|| PathBuf::from(embedded::SDK_DIR));
            if !sdk.join("Cargo.toml").is_file() {
                bail!(
                    "the guest SDK (sidecoach-guest) is not at {}: pass --sdk with the path of \
                     plugins/guest in a Sidecoach checkout",
                    sdk.display()
                );
            }
            std::fs::canonicalize(&sdk)?
                .to_string_lossy()
                .replace('\\', "/")
        }
        Lang::Python | Lang::JavaScript => String::new(),
    };
    let title = title(name);
    let module = name.replace('-', "_");
    let prefix = format!("{}/{}/", lang.dir(), kind);
    let substitute = |text: &str| {
        text.replace("{{id}}", name)
            .replace("{{name}}", &title)
            .replace("{{module}}", &module)
            .replace("{{api}}", api)
            .replace("{{world}}", &kind.to_string())
            .replace("{{wit_bindgen}}", embedded::WIT_BINDGEN_VERSION)
            .replace("{{componentize_py}}", COMPONENTIZE_PY_VERSION)
            .replace("{{sdk}}", &sdk)
    };
    let mut written = Vec::new();
    for (path, text) in embedded::TEMPLATE_FILES {
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        let target = dest.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, substitute(text))
            .with_context(|| format!("writing {}", target.display()))?;
        written.push(rel.to_string());
    }
    if written.is_empty() {
        bail!("this binary carries no {lang:?} template for a {kind}");
    }
    let wit_dir = dest.join("wit");
    std::fs::create_dir_all(&wit_dir)?;
    std::fs::write(wit_dir.join("sidecoach.wit"), wit)?;
    written.push("wit/sidecoach.wit".into());
    written.sort();
    println!(
        "created {} ({kind}, API {api}, {}) in {} ms:",
        dest.display(),
        lang.dir(),
        started.elapsed().as_millis()
    );
    for file in &written {
        println!("  {file}");
    }
    println!("next:");
    println!("  cd {}", dest.display());
    println!("  sidecoach plugin build");
    println!("  sidecoach plugin test");
    println!("  sidecoach plugin install dist/{name}.wasm --url URL --token TOKEN");
    Ok(dest)
}

/// Plugin ids: lower-case letters, digits and `-`, starting with a letter.
fn check_id(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.ends_with('-');
    if !ok {
        bail!(
            "`{name}` cannot be a plugin id: use lower-case letters, digits and `-`, \
             starting with a letter (up to 64), e.g. `acme-scorer`"
        );
    }
    Ok(())
}

/// `acme-csat-adapter` → `Acme csat adapter`.
fn title(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A project on disk: its manifest and language.
struct Project {
    dir: PathBuf,
    manifest_text: String,
    manifest: Manifest,
    lang: Lang,
}

impl Project {
    fn open(dir: &Path) -> anyhow::Result<Project> {
        let path = dir.join("plugin.toml");
        let manifest_text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{} has no plugin.toml: is it a plugin project (`sidecoach plugin new`)?",
                dir.display()
            )
        })?;
        let manifest = Manifest::from_toml(&manifest_text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let lang = if dir.join("Cargo.toml").is_file() {
            Lang::Rust
        } else if dir.join("app.py").is_file() {
            Lang::Python
        } else if dir.join("package.json").is_file() {
            Lang::JavaScript
        } else {
            bail!(
                "{} has no Cargo.toml (Rust), app.py (Python) or package.json (JavaScript): \
                 nothing to build",
                dir.display()
            );
        };
        Ok(Project {
            dir: dir.to_path_buf(),
            manifest_text,
            manifest,
            lang,
        })
    }

    fn component(&self) -> PathBuf {
        self.dir
            .join("dist")
            .join(format!("{}.wasm", self.manifest.id))
    }
}

/// `plugin build`: the component and its manifest in `DIR/dist/`.
pub fn build(dir: &Path) -> anyhow::Result<PathBuf> {
    let project = Project::open(dir)?;
    let started = Instant::now();
    let out = project.component();
    std::fs::create_dir_all(out.parent().expect("dist/"))?;
    match project.lang {
        Lang::Rust => build_rust(&project, &out)?,
        Lang::Python => build_python(&project, &out)?,
        Lang::JavaScript => build_javascript(&project, &out)?,
    }
    let wasm = std::fs::read(&out).with_context(|| format!("reading {}", out.display()))?;
    let sha = crate::clock::sha256_hex(&wasm);
    let manifest = with_sha256(&project.manifest_text, &sha);
    std::fs::write(out.with_file_name("plugin.toml"), manifest)?;
    println!(
        "built {} ({}, {:.1} s): {} bytes, sha256 {sha}",
        out.display(),
        project.lang.dir(),
        started.elapsed().as_secs_f64(),
        wasm.len()
    );
    println!("       and {}", out.with_file_name("plugin.toml").display());
    Ok(out)
}

/// Whether `program --version` runs.
fn present(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Run a toolchain command in `dir`, echoing it as `$ program args…` with
/// paths as given; its own output goes straight to the terminal.
fn run_tool(dir: &Path, program: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
    let shown: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
    println!("$ {program} {}", shown.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .with_context(|| format!("running {program}"))?;
    if !status.success() {
        bail!(
            "{program} {} failed ({status}); its errors are above",
            shown[0]
        );
    }
    Ok(())
}

fn build_rust(project: &Project, out: &Path) -> anyhow::Result<()> {
    if !present("cargo") {
        bail!(
            "cargo is not installed: install Rust from https://rustup.rs, then run `rustup target add wasm32-wasip2`"
        );
    }
    if present("rustup") {
        let installed = Command::new("rustup")
            .args(["target", "list", "--installed"])
            .current_dir(&project.dir)
            .output()?;
        if !String::from_utf8_lossy(&installed.stdout)
            .lines()
            .any(|l| l.trim() == "wasm32-wasip2")
        {
            bail!(
                "the wasm32-wasip2 target is not installed for this toolchain: run \
                 `rustup target add wasm32-wasip2`"
            );
        }
    }
    let manifest = project.dir.join("Cargo.toml");
    run_tool(
        &project.dir,
        "cargo",
        &[
            "build".as_ref(),
            "--release".as_ref(),
            "--target".as_ref(),
            "wasm32-wasip2".as_ref(),
            "--manifest-path".as_ref(),
            manifest.as_os_str(),
        ],
    )?;
    let meta = Command::new("cargo")
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .context("running cargo metadata")?;
    let meta: Value = serde_json::from_slice(&meta.stdout).context("reading cargo metadata")?;
    let target_dir = meta["target_directory"]
        .as_str()
        .context("cargo metadata gave no target_directory")?;
    let name = meta["packages"][0]["name"]
        .as_str()
        .context("cargo metadata gave no package")?
        .replace('-', "_");
    let built = Path::new(target_dir)
        .join("wasm32-wasip2")
        .join("release")
        .join(format!("{name}.wasm"));
    std::fs::copy(&built, out).with_context(|| {
        format!(
            "copying {} (is the crate a cdylib?) to {}",
            built.display(),
            out.display()
        )
    })?;
    Ok(())
}

fn build_python(project: &Project, out: &Path) -> anyhow::Result<()> {
    if !present("componentize-py") {
        bail!(
            "componentize-py is not installed: run `pip install componentize-py=={COMPONENTIZE_PY_VERSION}` \
             (or `pip install -r requirements.txt` in the project)"
        );
    }
    let world = project.manifest.kind.to_string();
    let out = std::path::absolute(out)?;
    let args = ["-d", "wit", "-w", &world, "componentize", "app", "-o"];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    args.push(out.as_os_str());
    run_tool(&project.dir, "componentize-py", &args)
}

fn build_javascript(project: &Project, out: &Path) -> anyhow::Result<()> {
    if !present("npm") {
        bail!("npm is not installed: install Node.js (Debian: `apt-get install nodejs npm`)");
    }
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(project.dir.join("package.json"))?)
            .context("package.json is not JSON")?;
    let entry = package["main"].as_str().unwrap_or("app.js").to_owned();
    if !project.dir.join("node_modules").is_dir() {
        run_tool(&project.dir, "npm", &["ci".as_ref()])?;
    }
    let world = project.manifest.kind.to_string();
    let out = std::path::absolute(out)?;
    // `-d all`: the host links no wasi:http, so the component must not import it.
    let args = [
        "jco",
        "componentize",
        &entry,
        "-w",
        "wit",
        "-n",
        &world,
        "-d",
        "all",
        "-o",
    ];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    args.push(out.as_os_str());
    run_tool(&project.dir, "npx", &args)
}

/// The manifest with a top-level `sha256 = "…"` (replacing any).
fn with_sha256(manifest: &str, sha: &str) -> String {
    let mut out = String::with_capacity(manifest.len() + 80);
    let mut placed = false;
    let mut in_table = false;
    for line in manifest.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            if !placed {
                out.push_str(&format!("sha256 = \"{sha}\"\n\n"));
                placed = true;
            }
            in_table = true;
        }
        if !in_table && trimmed.starts_with("sha256") && trimmed[6..].trim_start().starts_with('=')
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !placed {
        out.push_str(&format!("sha256 = \"{sha}\"\n"));
    }
    out
}

/// What `plugin test` runs: a project directory or a component file.
pub struct TestTarget {
    /// The component.
    pub component: PathBuf,
    /// Its manifest.
    pub manifest: PathBuf,
    /// The case files' folder.
    pub cases: PathBuf,
}

impl TestTarget {
    /// `DIR` (its `dist/<id>.wasm`, `plugin.toml` and `cases/`) or
    /// `FILE.wasm` (with `plugin.toml` beside it and `cases` given or found
    /// beside it or one folder up).
    pub fn resolve(path: &Path, cases: Option<PathBuf>) -> anyhow::Result<TestTarget> {
        if path.is_dir() {
            let project = Project::open(path)?;
            let component = project.component();
            if !component.is_file() {
                bail!(
                    "{} is not built yet: run `sidecoach plugin build {}`",
                    component.display(),
                    path.display()
                );
            }
            return Ok(TestTarget {
                component,
                manifest: path.join("plugin.toml"),
                cases: cases.unwrap_or_else(|| path.join("cases")),
            });
        }
        if !path.is_file() {
            bail!(
                "{} is neither a project folder nor a .wasm file",
                path.display()
            );
        }
        let beside = path.parent().unwrap_or(Path::new("."));
        let cases = cases
            .or_else(|| {
                [beside.join("cases"), beside.join("../cases")]
                    .into_iter()
                    .find(|c| c.is_dir())
            })
            .context("no cases/ beside the component: pass --cases DIR")?;
        Ok(TestTarget {
            component: path.to_path_buf(),
            manifest: beside.join("plugin.toml"),
            cases,
        })
    }
}

/// One case file.
#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    about: Option<String>,
    /// The input, as `POST /v1/plugins/{id}/invoke` takes it (adapters may
    /// give `body_file`, relative to the case file, for the body).
    input: Value,
    /// The expected output…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output: Option<Value>,
    /// …or the expected error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// What a case observed.
enum Observed {
    Output(CallReport<Value>),
    Failed(Box<FailedCall>),
}

/// `plugin test`: every case; `Ok(false)` when any failed.
pub async fn test(
    target: TestTarget,
    config: Option<PathBuf>,
    update: bool,
) -> anyhow::Result<bool> {
    let manifest_text = std::fs::read_to_string(&target.manifest)
        .with_context(|| format!("reading {}", target.manifest.display()))?;
    let wasm = std::fs::read(&target.component)
        .with_context(|| format!("reading {}", target.component.display()))?;
    let manifest = Manifest::from_toml(&manifest_text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", target.manifest.display()))?;
    // The manifest `build` wrote pins the sha256 of the component it built;
    // a hand-written one may not.
    let mut config = Config::load(config.as_deref())?;
    let scratch = std::env::temp_dir().join(format!("sidecoach-plugin-test-{}", ulid::Ulid::new()));
    config.data_dir = scratch.clone();
    if config.runtime.cache_dir.is_none() {
        // Compiled components are keyed by hash and engine settings: one
        // cache for every test run on this machine.
        config.runtime.cache_dir = Some(std::env::temp_dir().join("sidecoach-plugin-test-cache"));
    }
    let result = run_cases(&target, &manifest, &manifest_text, wasm, config, update).await;
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

async fn run_cases(
    target: &TestTarget,
    manifest: &Manifest,
    manifest_text: &str,
    wasm: Vec<u8>,
    config: Config,
    update: bool,
) -> anyhow::Result<bool> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store = crate::store::Store::open(&config.data_dir)?;
    let runtime = Runtime::open(Arc::new(config), store, Arc::new(Metrics::new())).await?;
    let size = wasm.len();
    print!(
        "{} ({} v{}, {}, API {}): {}, compiling… ",
        manifest.id,
        manifest.kind,
        manifest.version,
        target.component.display(),
        manifest.api_version,
        bytes(size as u64)
    );
    use std::io::Write as _;
    std::io::stdout().flush()?;
    let installed = runtime
        .install(manifest_text, wasm, false, Some("plugin-test"))
        .await
        .map_err(|e| anyhow::anyhow!("the host refuses this plugin: {e}"))?;
    match installed.compile {
        Some(c) if c.from_cache => println!("loaded from the compile cache in {:.0} ms", c.ms),
        Some(c) => println!("compiled in {:.1} s", c.ms / 1e3),
        None => println!("done"),
    }
    let limits = installed
        .status
        .limits
        .clone()
        .context("the installed plugin has no effective limits")?;
    println!(
        "limits: deadline {} ms, memory {} MiB, fuel {}, input {}, output {}, logs {}; grants: {}",
        limits.deadline_ms,
        limits.memory_mib,
        limits.fuel.map_or("unlimited".into(), |f| format!("{f}")),
        bytes(limits.max_input_bytes),
        bytes(limits.max_output_bytes),
        bytes(limits.max_log_bytes),
        if installed.status.capabilities.is_empty() {
            "none".to_string()
        } else {
            installed
                .status
                .capabilities
                .iter()
                .map(|c| format!("{c:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&target.cases)
        .with_context(|| format!("listing cases in {}", target.cases.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no *.json case files in {}", target.cases.display());
    }
    let (mut passed, mut failed, mut updated) = (0, 0, 0);
    for file in &files {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = run_case(&runtime, manifest, &limits, file, update).await;
        match outcome {
            Ok(CaseOutcome::Pass) => passed += 1,
            Ok(CaseOutcome::Updated) => updated += 1,
            Ok(CaseOutcome::Fail) => failed += 1,
            Err(e) => {
                println!("FAIL {name}: {e:#}");
                failed += 1;
            }
        }
    }
    println!(
        "\n{passed} passed, {failed} failed{} ({} cases in {})",
        if update {
            format!(", {updated} updated")
        } else {
            String::new()
        },
        files.len(),
        target.cases.display()
    );
    Ok(failed == 0)
}

enum CaseOutcome {
    Pass,
    Fail,
    Updated,
}

async fn run_case(
    runtime: &Runtime,
    manifest: &Manifest,
    limits: &Limits,
    file: &Path,
    update: bool,
) -> anyhow::Result<CaseOutcome> {
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = std::fs::read_to_string(file)?;
    let mut case: Case = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a case file", file.display()))?;
    if case.output.is_some() && case.error.is_some() {
        bail!("give `output` or `error`, not both");
    }
    let mut input = case.input.clone();
    if manifest.kind == PluginKind::Adapter {
        inline_body_file(&mut input, file)?;
    }
    let input = InvokeInput::from_json(manifest.kind, input).map_err(|e| anyhow::anyhow!(e))?;
    let observed = match runtime.invoke(&manifest.id, input).await {
        Ok(report) => Observed::Output(report),
        Err(failed) => Observed::Failed(failed),
    };
    let (got_output, got_error) = match &observed {
        Observed::Output(r) => (Some(r.output.clone()), plugin_error_code(&r.output)),
        Observed::Failed(f) => (None, Some(f.error.code().to_string())),
    };
    let verdict: Result<(), Vec<String>> = match (&case.output, &case.error) {
        (Some(expected), None) => match &got_output {
            Some(got) => {
                let mut diffs = Vec::new();
                diff(expected, got, "$", &mut diffs);
                if diffs.is_empty() { Ok(()) } else { Err(diffs) }
            }
            None => Err(vec![format!(
                "expected an output, the call failed: {}",
                failure_text(&observed)
            )]),
        },
        (None, Some(code)) => {
            if got_error.as_deref().is_some_and(|got| same_code(got, code)) {
                Ok(())
            } else {
                Err(vec![match (&got_error, &got_output) {
                    (Some(other), _) => format!("expected error `{code}`, got error `{other}`"),
                    (None, Some(out)) => format!("expected error `{code}`, got output {}", short(out)),
                    (None, None) => format!("expected error `{code}`"),
                }])
            }
        }
        _ => Err(vec!["the case gives no expected `output` or `error` (run with --update to record what the plugin returns)".into()]),
    };
    let about = case
        .about
        .as_deref()
        .map(|a| format!(" — {a}"))
        .unwrap_or_default();
    let result = if update && verdict.is_err() {
        // Record what was observed: an error code when the call failed or
        // the plugin answered a single error; otherwise the output.
        match (&got_output, &got_error) {
            (Some(out), None) => {
                case.output = Some(out.clone());
                case.error = None;
            }
            (_, Some(code)) => {
                case.output = None;
                case.error = Some(code.clone());
            }
            (None, None) => {}
        }
        let mut text = serde_json::to_string_pretty(&case)?;
        text.push('\n');
        std::fs::write(file, text)?;
        println!("UPDATED {name}{about}");
        CaseOutcome::Updated
    } else {
        match &verdict {
            Ok(()) => println!("PASS {name}{about}"),
            Err(diffs) => {
                println!("FAIL {name}{about}");
                for d in diffs.iter().take(20) {
                    println!("     {d}");
                }
                if diffs.len() > 20 {
                    println!("     … and {} more differences", diffs.len() - 20);
                }
            }
        }
        if verdict.is_ok() {
            CaseOutcome::Pass
        } else {
            CaseOutcome::Fail
        }
    };
    print_cost(&observed, limits);
    Ok(result)
}

/// Replaces an adapter input's `body_file` (relative to the case file) with
/// the file's bytes as `body_base64`.
fn inline_body_file(input: &mut Value, case_file: &Path) -> anyhow::Result<()> {
    use base64::Engine as _;
    let Some(map) = input.as_object_mut() else {
        return Ok(());
    };
    let Some(file) = map.remove("body_file") else {
        return Ok(());
    };
    let file = file.as_str().context("`body_file` must be a path")?;
    let path = case_file.parent().unwrap_or(Path::new(".")).join(file);
    let body =
        std::fs::read(&path).with_context(|| format!("reading body_file {}", path.display()))?;
    if map.contains_key("body") || map.contains_key("body_base64") {
        bail!("give one of `body`, `body_base64` and `body_file`");
    }
    map.insert(
        "body_base64".into(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
    );
    Ok(())
}

/// The code of an output that is a plugin's single error: `{"Err": {"code":
/// …}}`, or a list of one such result (a scorer given one evaluation).
fn plugin_error_code(output: &Value) -> Option<String> {
    let single = match output {
        Value::Array(items) if items.len() == 1 => &items[0],
        other => other,
    };
    single
        .get("Err")
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Error codes as equal whichever separator they are written with (the
/// WIT's `invalid-input` is `invalid_input` in the host's JSON).
fn same_code(a: &str, b: &str) -> bool {
    a.replace('-', "_") == b.replace('-', "_")
}

fn failure_text(observed: &Observed) -> String {
    match observed {
        Observed::Failed(f) => format!("{} ({})", f.error, f.error.code()),
        Observed::Output(_) => String::new(),
    }
}

/// A value in one line, cut to 200 characters.
fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}

/// The differences between `expected` and `got`, one line per JSON path.
/// Numbers compare equal within a relative 1e-9 (float formatting).
fn diff(expected: &Value, got: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = format!("{path}.{k}");
                match b.get(k) {
                    Some(vb) => diff(va, vb, &p, out),
                    None => out.push(format!("{p}: expected {}, missing", short(va))),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(format!("{path}.{k}: not expected, got {}", short(vb)));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                diff(va, vb, &format!("{path}[{i}]"), out);
            }
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: expected {} items, got {}",
                    a.len(),
                    b.len()
                ));
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (x, y) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            if (x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1.0) {
                out.push(format!("{path}: expected {a}, got {b}"));
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: expected {}, got {}", short(a), short(b))),
    }
}

/// The case's logs and cost, with every limit hit or within 20% of.
fn print_cost(observed: &Observed, limits: &Limits) {
    let (log, duration, fuel, memory, io) = match observed {
        Observed::Output(r) => (
            &r.log,
            r.duration,
            r.fuel_consumed,
            r.peak_memory_bytes,
            Some((r.input_bytes, r.output_bytes)),
        ),
        Observed::Failed(f) => (
            &f.log,
            f.duration,
            f.fuel_consumed,
            f.peak_memory_bytes,
            None,
        ),
    };
    for line in &log.lines {
        println!("     log {:>5}: {}", line.level, line.message);
    }
    if log.dropped_lines > 0 {
        println!(
            "     log: {} lines dropped over the log limit",
            log.dropped_lines
        );
    }
    let ms = duration.as_secs_f64() * 1e3;
    let mut cost = vec![format!("{ms:.2} ms")];
    if let Some(f) = fuel {
        cost.push(format!("fuel {}", thousands(f)));
    }
    cost.push(format!("memory {} peak", bytes(memory)));
    if let Some((i, o)) = io {
        cost.push(format!("input {}", bytes(i)));
        cost.push(format!("output {}", bytes(o)));
    }
    println!("     {}", cost.join(" · "));
    let mut near = Vec::new();
    let mut check = |what: &str, used: f64, limit: f64, shown: &dyn Fn(f64) -> String| {
        if limit > 0.0 && used >= 0.8 * limit {
            let verb = if used >= limit { "HIT" } else { "near" };
            near.push(format!(
                "{verb} {what}: {} of {} ({:.0}%)",
                shown(used),
                shown(limit),
                100.0 * used / limit
            ));
        }
    };
    check("deadline", ms, limits.deadline_ms as f64, &|v| {
        format!("{v:.0} ms")
    });
    check(
        "memory",
        memory as f64,
        (limits.memory_mib << 20) as f64,
        &|v| bytes(v as u64),
    );
    if let (Some(used), Some(limit)) = (fuel, limits.fuel) {
        check("fuel", used as f64, limit as f64, &|v| thousands(v as u64));
    }
    if let Some((i, o)) = io {
        check("input", i as f64, limits.max_input_bytes as f64, &|v| {
            bytes(v as u64)
        });
        check("output", o as f64, limits.max_output_bytes as f64, &|v| {
            bytes(v as u64)
        });
    }
    check(
        "logs",
        (log.used_bytes() + log.dropped_bytes) as f64,
        limits.max_log_bytes as f64,
        &|v| bytes(v as u64),
    );
    if let Observed::Failed(f) = observed {
        println!("     failed: {} ({})", f.error, f.error.code());
    }
    for n in near {
        println!("     limit {n}");
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: `812 B`, `4.2 KiB`, `18.0 MiB`.
fn bytes(n: u64) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1 << 20 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_checked_and_titled() {
        assert!(check_id("acme-scorer").is_ok());
        for bad in ["", "Acme", "1st", "a_b", "trailing-", "a b"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert_eq!(title("acme-csat-adapter"), "Acme csat adapter");
    }

    #[test]
    fn the_built_manifest_carries_one_sha256_before_its_tables() {
        let text = "id = \"x\"\nsha256 = \"old\"\nkind = \"scorer\"\n\n[limits]\nsha256 = 1\n";
        let out = with_sha256(text, "abc");
        assert_eq!(
            out,
            "id = \"x\"\nkind = \"scorer\"\n\nsha256 = \"abc\"\n\n[limits]\nsha256 = 1\n"
        );
        assert_eq!(
            with_sha256("id = \"x\"\n", "abc"),
            "id = \"x\"\nsha256 = \"abc\"\n"
        );
    }

    #[test]
    fn diffs_name_the_path_and_tolerate_float_formatting() {
        let mut out = Vec::new();
        diff(
            &json!({"Ok": [{"score": 80.0, "outcome": "pass", "gone": 1}]}),
            &json!({"Ok": [{"score": 80.000000000001, "outcome": "fail", "new": 2}]}),
            "$",
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                "$.Ok[0].gone: expected 1, missing",
                "$.Ok[0].outcome: expected \"pass\", got \"fail\"",
                "$.Ok[0].new: not expected, got 2",
            ]
        );
        let mut out = Vec::new();
        diff(&json!([1, 2]), &json!([1]), "$", &mut out);
        assert_eq!(out, vec!["$: expected 2 items, got 1"]);
    }

    #[test]
    fn every_template_has_its_manifest_source_and_cases() {
        for lang in ["rust", "python"] {
            for kind in ["adapter", "scorer", "matcher", "flagger"] {
                let prefix = format!("{lang}/{kind}/");
                let files: Vec<&str> = embedded::TEMPLATE_FILES
                    .iter()
                    .filter_map(|(p, _)| p.strip_prefix(&prefix))
                    .collect();
                let source = if lang == "rust" {
                    "src/lib.rs"
                } else {
                    "app.py"
                };
                for needed in ["plugin.toml", source, "README.md"] {
                    assert!(files.contains(&needed), "{prefix}{needed} missing");
                }
                assert!(
                    files.iter().any(|f| f.starts_with("cases/")),
                    "{prefix}cases/ missing"
                );
            }
        }
    }
}
