//! The `sidecoach` command line (clap).
//!
//! `serve` runs the host. `plugin …` manages plugins on a running host over
//! its HTTP API (the store is locked by the running host, so the CLI never
//! opens it behind the host's back).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::config::{Config, env};

mod ingest;
pub mod kit;

/// Contact-center coaching sidecar with sandboxed WebAssembly plugins.
#[derive(Parser, Debug)]
#[command(name = "sidecoach", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the host: HTTP API, store and plugins.
    Serve {
        /// TOML config file (also SIDECOACH_CONFIG).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Listen address, e.g. 127.0.0.1:7878 (also SIDECOACH_LISTEN).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Data directory for sled and the compile cache (also SIDECOACH_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// API tokens on a running host (admin token needed): create one (it
    /// is printed once), list them (never their secrets), revoke one.
    Token {
        /// Which token command.
        #[command(subcommand)]
        command: TokenCommand,
        /// The host to talk to.
        #[command(flatten)]
        remote: Remote,
    },
    /// A cluster's log and nodes, as a running node sees them (admin
    /// token): the stream's last entry and, per node, the last entry it
    /// applied and how far behind it is.
    Cluster {
        /// Which cluster command.
        #[command(subcommand)]
        command: ClusterCommand,
        /// The node to ask.
        #[command(flatten)]
        remote: Remote,
    },
    /// Write every record of a stopped host's data directory to JSON lines.
    Export {
        /// Data directory (also SIDECOACH_DATA_DIR).
        #[arg(long, env = "SIDECOACH_DATA_DIR", default_value = crate::config::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Output file; standard output when omitted.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Restore an export into a new, empty data directory.
    Import {
        /// Data directory to create (also SIDECOACH_DATA_DIR).
        #[arg(long, env = "SIDECOACH_DATA_DIR", default_value = crate::config::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// The export file.
        input: PathBuf,
    },
    /// Send vendor files (JSON, JSON lines, CSV, form bodies) through a
    /// running host's adapter for a configured source, with a progress bar
    /// and a summary. Integrator or admin token.
    Ingest {
        /// The configured source (`[sources.NAME]`).
        #[arg(long)]
        source: String,
        /// Read every file as this format instead of by extension.
        #[arg(long, value_enum)]
        format: Option<ingest::Format>,
        /// Records per request for arrays, JSON lines and CSV.
        #[arg(long, default_value_t = 500)]
        chunk: usize,
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The host to talk to.
        #[command(flatten)]
        remote: Remote,
    },
    /// Run the host with the demo sources and, on first start, a demo data
    /// set built from the vendor fixtures (agents, contacts, analyses,
    /// surveys, evaluations) so there is something to look at.
    Demo {
        /// Listen address (also SIDECOACH_LISTEN).
        #[arg(long, env = "SIDECOACH_LISTEN", default_value = "127.0.0.1:7878")]
        listen: std::net::SocketAddr,
        /// Data directory (also SIDECOACH_DATA_DIR).
        #[arg(
            long,
            env = "SIDECOACH_DATA_DIR",
            default_value = "./sidecoach-demo-data"
        )]
        data_dir: PathBuf,
    },
    /// Manage plugins on a running host.
    Plugin {
        /// Which plugin command.
        #[command(subcommand)]
        command: PluginCommand,
        /// The host to talk to.
        #[command(flatten)]
        remote: Remote,
    },
}

/// A running host and the API token to use with it.
#[derive(clap::Args, Debug)]
pub struct Remote {
    /// Host URL.
    #[arg(
        long,
        global = true,
        env = "SIDECOACH_URL",
        default_value = "http://127.0.0.1:7878"
    )]
    url: String,
    /// API token (admin; integrator is enough for plugin commands).
    #[arg(long, global = true, env = "SIDECOACH_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl Remote {
    /// The URL without a trailing slash, and the token (falling back to
    /// `SIDECOACH_ADMIN_TOKEN`).
    fn resolve(self) -> anyhow::Result<(String, String)> {
        let token = self
            .token
            .or_else(|| std::env::var(env::ADMIN_TOKEN).ok())
            .context("no API token: pass --token or set SIDECOACH_TOKEN")?;
        Ok((self.url.trim_end_matches('/').to_string(), token))
    }
}

/// Cluster commands.
#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Nodes, the entry each applied, their lag; the stream and its leader.
    Status,
}

/// Token commands.
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token with a role.
    Create {
        /// admin, integrator, supervisor, coach, agent or read-only.
        #[arg(long)]
        role: String,
        /// A label for the token.
        #[arg(long)]
        name: String,
        /// The agent it belongs to: required for agent tokens; a
        /// supervisor or coach who is an agent record may name theirs.
        #[arg(long)]
        agent: Option<String>,
        /// The staff person it belongs to (supervisors see the teams they
        /// lead, coaches the agents they coach).
        #[arg(long)]
        staff: Option<String>,
        /// It stops working after this many days.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List every token: id, label, role, person, expiry (never secrets).
    List,
    /// Revoke a token by id (as `token list` shows it): refused from its
    /// next request.
    Revoke {
        /// The token's id.
        id: String,
    },
}

/// Plugin commands.
#[derive(Subcommand, Debug)]
pub enum PluginCommand {
    /// Write a ready plugin project in a new folder: the WIT of the world's
    /// newest API, build files, plugin.toml, a working example, sample
    /// inputs and test cases.
    New {
        /// Plugin id and folder name (lower-case letters, digits, `-`).
        name: String,
        /// The world the plugin implements.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// The language.
        #[arg(long, value_enum, default_value = "rust")]
        lang: kit::Lang,
        /// Where to write it (default ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The guest SDK crate (plugins/guest of a Sidecoach checkout) for
        /// Rust projects; default: the one this binary was built from.
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Build a plugin project: dist/<id>.wasm and dist/plugin.toml (with its sha256).
    Build {
        /// The project folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run test cases on a built component in-process, under the host's
    /// runtime, sandbox, grants and limits; exits non-zero on any failure.
    Test {
        /// A project folder (its dist/<id>.wasm and cases/) or a .wasm file
        /// (with plugin.toml beside it).
        #[arg(default_value = ".")]
        target: PathBuf,
        /// The case files' folder (default: the project's cases/).
        #[arg(long)]
        cases: Option<PathBuf>,
        /// Write what the plugin returned as the expected output of every
        /// failing case.
        #[arg(long)]
        update: bool,
        /// The host's config file, for its limits and plugin settings (also
        /// SIDECOACH_CONFIG).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// List installed plugins.
    List,
    /// Show one plugin with its versions.
    Inspect {
        /// Plugin id.
        id: String,
    },
    /// Install or upgrade a plugin from a .wasm component and its manifest.
    Install {
        /// The component (.wasm).
        component: PathBuf,
        /// The manifest (plugin.toml); defaults to plugin.toml beside the component.
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// Enable a plugin (also clears a breaker trip).
    Enable {
        /// Plugin id.
        id: String,
    },
    /// Disable a plugin.
    Disable {
        /// Plugin id.
        id: String,
    },
    /// Roll a plugin back to its previous version.
    Rollback {
        /// Plugin id.
        id: String,
    },
    /// Run a plugin on a JSON input file and print output, logs and cost.
    Invoke {
        /// Plugin id.
        id: String,
        /// JSON input shaped for the plugin's kind.
        input: PathBuf,
    },
}

/// A plugin world, as `--kind` names it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum KindArg {
    /// Reads a vendor's payloads into events.
    Adapter,
    /// Scores QA evaluations.
    Scorer,
    /// Scores protégé–mentor pairs.
    Matcher,
    /// Raises coaching flags over events.
    Flagger,
}

impl From<KindArg> for crate::model::PluginKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Adapter => crate::model::PluginKind::Adapter,
            KindArg::Scorer => crate::model::PluginKind::Scorer,
            KindArg::Matcher => crate::model::PluginKind::Matcher,
            KindArg::Flagger => crate::model::PluginKind::Flagger,
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    cap_malloc_arenas();
    let cli = Cli::parse();
    // The kit's commands print their own report; the host's info lines
    // (a plugin's log lines among them) would only repeat it.
    let local = matches!(
        cli.command,
        Command::Plugin {
            command: PluginCommand::New { .. }
                | PluginCommand::Build { .. }
                | PluginCommand::Test { .. },
            ..
        }
    );
    init_tracing(if local { "warn" } else { "info" });
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(run(cli));
    // Everything that writes has finished inside `run` (the store is
    // flushed on shutdown); what may still hold a blocking thread is work
    // abandoned at its deadline (see `crate::work`), which must not keep
    // the process from exiting.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How many malloc arenas the process uses unless `MALLOC_ARENA_MAX` says.
pub const MALLOC_ARENAS: i32 = 2;

/// Cap glibc's malloc arenas at [`MALLOC_ARENAS`]. By default glibc gives
/// threads that allocate at the same moment arenas of their own, up to
/// eight per core, and what one arena frees is not reused by another: a
/// burst of concurrent requests leaves the process with many half-empty
/// arenas that stay resident. Call before any thread starts; a
/// `MALLOC_ARENA_MAX` in the environment is left to glibc.
pub fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        #[expect(
            unsafe_code,
            reason = "mallopt is glibc's own tuning call: it takes no pointers and is made \
                      before any other thread exists"
        )]
        // SAFETY: mallopt only sets an allocator parameter.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        }
    }
}

fn init_tracing(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("SIDECOACH_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("SIDECOACH_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            config,
            listen,
            data_dir,
        } => {
            let mut config = Config::load(config.as_deref())?;
            if let Some(l) = listen {
                config.listen = l;
            }
            if let Some(d) = data_dir {
                config.data_dir = d;
            }
            serve(config).await
        }
        Command::Ingest {
            source,
            format,
            chunk,
            files,
            remote,
        } => {
            let (url, token) = remote.resolve()?;
            ingest::run(&url, &token, &source, &files, format, chunk).await
        }
        Command::Demo { listen, data_dir } => {
            let mut config = crate::demo::config()?;
            config.listen = listen;
            config.data_dir = data_dir;
            // `--listen` and `--data-dir` (with their own env) win; the
            // admin token and the compile cache come from the environment.
            config.apply_env(|k| {
                [env::ADMIN_TOKEN, env::CACHE_DIR]
                    .contains(&k)
                    .then(|| std::env::var(k).ok())
                    .flatten()
            })?;
            serve_demo(config).await
        }
        Command::Plugin { command, remote } => match command {
            PluginCommand::New {
                name,
                kind,
                lang,
                dir,
                sdk,
            } => kit::new(&name, kind.into(), lang, dir, sdk).map(drop),
            PluginCommand::Build { dir } => kit::build(&dir).map(drop),
            PluginCommand::Test {
                target,
                cases,
                update,
                config,
            } => {
                let target = kit::TestTarget::resolve(&target, cases)?;
                if kit::test(target, config, update).await? {
                    Ok(())
                } else {
                    bail!("some cases failed")
                }
            }
            command => {
                let (url, token) = remote.resolve()?;
                plugin(command, &url, &token).await
            }
        },
        Command::Token { command, remote } => {
            let (url, token) = remote.resolve()?;
            let client = reqwest::Client::new();
            let req = match command {
                TokenCommand::Create {
                    role,
                    name,
                    agent,
                    staff,
                    expires_in_days,
                } => {
                    let role: crate::model::Role =
                        role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
                    let body = serde_json::json!({
                        "name": name, "role": role, "agent_id": agent,
                        "staff_id": staff, "expires_in_days": expires_in_days,
                    });
                    client.post(format!("{url}/v1/tokens")).json(&body)
                }
                TokenCommand::List => client.get(format!("{url}/v1/tokens")),
                TokenCommand::Revoke { id } => client.delete(format!("{url}/v1/tokens/{id}")),
            };
            send(req, &token, &url).await
        }
        Command::Cluster {
            command: ClusterCommand::Status,
            remote,
        } => {
            let (url, token) = remote.resolve()?;
            let resp = reqwest::Client::new()
                .get(format!("{url}/v1/cluster"))
                .bearer_auth(&token)
                .send()
                .await
                .with_context(|| format!("cannot reach {url}"))?;
            let status = resp.status();
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            if !status.is_success() {
                bail!(
                    "the host answered {status}: {}",
                    body["message"].as_str().unwrap_or("")
                );
            }
            print!("{}", cluster_table(&body));
            Ok(())
        }
        Command::Export { data_dir, output } => {
            let store = open_offline(&data_dir)?;
            let n = match output {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    store.export(&mut std::io::BufWriter::new(file))?
                }
                None => store.export(&mut std::io::BufWriter::new(std::io::stdout().lock()))?,
            };
            eprintln!("exported {n} records from {}", data_dir.display());
            Ok(())
        }
        Command::Import { data_dir, input } => {
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("creating {}", data_dir.display()))?;
            let store = open_offline(&data_dir)?;
            let file = std::fs::File::open(&input)
                .with_context(|| format!("opening {}", input.display()))?;
            let n = store.import(std::io::BufReader::new(file)).await?;
            eprintln!("imported {n} records into {}", data_dir.display());
            // Kept byte for byte (a backup loses nothing), but said out loud:
            // records an older build stored that this one cannot read.
            let unreadable = store.unreadable()?;
            if !unreadable.is_empty() {
                eprintln!(
                    "{} imported records do not read (listings skip them; repair or remove \
                     each with PUT/DELETE /v1/admin/unreadable/{{kind}}/{{id}}):",
                    unreadable.len()
                );
                for u in &unreadable {
                    eprintln!("  {}/{}: {}", u.kind, u.id, u.error);
                }
            }
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    serve_with(config, false).await
}

async fn serve_demo(config: Config) -> anyhow::Result<()> {
    serve_with(config, true).await
}

/// The demo's personas and three things to try with them.
fn print_demo_guide(url: &str, personas: &[crate::demo::Persona]) {
    println!(
        "web console: {url}/ (sign in with a persona's token below; the admin token signs in as the operator)"
    );
    println!("demo personas (new tokens at every demo start; the last start's are revoked):");
    for p in personas {
        println!("  {:<10} {:<14} {}", p.persona, p.name, p.token);
    }
    let token = |which: &str| {
        personas
            .iter()
            .find(|p| p.persona == which)
            .map_or("", |p| p.token.as_str())
    };
    let (sup, protege) = (token("supervisor"), token("protégé"));
    println!("things to try:");
    println!("  1. the supervisor's overdue alerts, their team's only:");
    println!("     curl -H 'Authorization: Bearer {sup}' '{url}/v1/alerts?overdue=true'");
    println!(
        "  2. match protégés with mentors (Hugo Silva opted in as a mentor but never acknowledged monitoring: see mentors_unacknowledged):"
    );
    println!(
        "     curl -X POST -H 'Authorization: Bearer {sup}' -H 'Content-Type: application/json' -d '{{\"commit\": true}}' {url}/v1/mentoring/match"
    );
    println!("  3. as the protégé, see your offers, then accept one (only you can):");
    println!("     curl -H 'Authorization: Bearer {protege}' {url}/v1/pairings");
    println!(
        "     curl -X POST -H 'Authorization: Bearer {protege}' {url}/v1/pairings/PAIRING_ID/accept"
    );
    println!("  who a token is and what it sees: curl -H 'Authorization: Bearer …' {url}/v1/me");
}

async fn serve_with(config: Config, demo: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let data_dir = config.data_dir.clone();
    let app = crate::App::open(config).await?;
    if demo {
        match crate::demo::load(&app.services.ingest, &app.services.records).await? {
            Some(summary) => {
                let matched = crate::demo::first_match(&app.services.mentoring).await?;
                println!(
                    "demo data loaded: {summary}; {matched} protégés offered a mentor shortlist"
                );
            }
            None => println!("demo data already present in {}", data_dir.display()),
        }
    }
    if let Some(token) = &app.first_admin_token {
        println!("first start: created an admin API token (shown once, stored hashed):\n  {token}");
    }
    let addr = listener.local_addr()?;
    if demo {
        let personas = crate::demo::personas(&app.services.tokens, &app.services.records).await?;
        print_demo_guide(&format!("http://{addr}"), &personas);
    }
    let plugins: Vec<_> = app
        .services
        .plugins
        .list()
        .into_iter()
        .map(|p| format!("{}@{}", p.id, p.version))
        .collect();
    println!("plugins: {}", plugins.join(", "));
    // Printed last: scripts and tests wait for this line.
    println!(
        "sidecoach listening on http://{addr} (data in {})",
        data_dir.display()
    );
    crate::serve(listener, app, crate::shutdown_signal()).await
}

/// Open a data directory directly: only when no host is running on it
/// (sled holds a lock while one is).
fn open_offline(data_dir: &std::path::Path) -> anyhow::Result<crate::store::Store> {
    if !data_dir.join("db").exists() && !data_dir.exists() {
        bail!("{} does not exist", data_dir.display());
    }
    crate::store::Store::open(data_dir).with_context(|| {
        format!(
            "opening {} (stop the host that uses it first)",
            data_dir.display()
        )
    })
}

/// `GET /v1/cluster` as a table: the stream, then one line per node.
fn cluster_table(v: &serde_json::Value) -> String {
    let mut out = format!(
        "stream {} (replicas {}, leader {}): last entry {}, {} entries; asked node {}\n",
        v["stream"].as_str().unwrap_or("?"),
        v["replicas"],
        v["leader"].as_str().unwrap_or("-"),
        v["last_sequence"],
        v["entries"],
        v["node"].as_str().unwrap_or("?"),
    );
    out.push_str(&format!(
        "{:<24} {:>10} {:>8} {:>10}\n",
        "NODE", "APPLIED", "LAG", "SEEN (s)"
    ));
    let now = crate::clock::now_ms();
    for n in v["nodes"].as_array().into_iter().flatten() {
        let seen = n["seen_at"].as_i64().map_or("-".to_string(), |t| {
            format!("{:.1}", (now - t).max(0) as f64 / 1000.0)
        });
        out.push_str(&format!(
            "{:<24} {:>10} {:>8} {:>10}\n",
            n["node"].as_str().unwrap_or("?"),
            n["applied"],
            n["lag"],
            seen
        ));
    }
    out
}

async fn send(req: reqwest::RequestBuilder, token: &str, url: &str) -> anyhow::Result<()> {
    let resp = req
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status();
    let text = resp.text().await?;
    let pretty = serde_json::from_str::<serde_json::Value>(&text)
        .map(|v| serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.clone()))
        .unwrap_or(text);
    println!("{pretty}");
    if !status.is_success() {
        bail!("the host answered {status}");
    }
    Ok(())
}

async fn plugin(command: PluginCommand, url: &str, token: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let req = match command {
        PluginCommand::List => client.get(format!("{url}/v1/plugins")),
        PluginCommand::Inspect { id } => client.get(format!("{url}/v1/plugins/{id}")),
        PluginCommand::Install {
            component,
            manifest,
        } => {
            let manifest = manifest.unwrap_or_else(|| component.with_file_name("plugin.toml"));
            let manifest_text = std::fs::read_to_string(&manifest)
                .with_context(|| format!("reading manifest {}", manifest.display()))?;
            let wasm = std::fs::read(&component)
                .with_context(|| format!("reading component {}", component.display()))?;
            return install(&client, url, token, manifest_text, wasm).await;
        }
        PluginCommand::Enable { id } => client.post(format!("{url}/v1/plugins/{id}/enable")),
        PluginCommand::Disable { id } => client.post(format!("{url}/v1/plugins/{id}/disable")),
        PluginCommand::Rollback { id } => client.post(format!("{url}/v1/plugins/{id}/rollback")),
        PluginCommand::New { .. } | PluginCommand::Build { .. } | PluginCommand::Test { .. } => {
            unreachable!("the kit's commands run locally (see `run`)")
        }
        PluginCommand::Invoke { id, input } => {
            let body =
                std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
            client
                .post(format!("{url}/v1/plugins/{id}/invoke"))
                .header("content-type", "application/json")
                .body(body)
        }
    };
    send(req, token, url).await
}

/// `plugin install`: uploads with a progress bar, then shows the host
/// compiling until it answers, and prints the answer.
async fn install(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    manifest_text: String,
    wasm: Vec<u8>,
) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    let total = wasm.len() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message("uploading");
    let chunks: Vec<Vec<u8>> = wasm.chunks(256 << 10).map(<[u8]>::to_vec).collect();
    let progress = bar.clone();
    let stream = futures_util::stream::iter(chunks.into_iter().map(move |chunk| {
        progress.inc(chunk.len() as u64);
        if progress.position() >= total {
            progress.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("a valid template"),
            );
            progress.set_message(
                "uploaded; the host is compiling the component (a Python component takes about a minute)",
            );
            progress.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        Ok::<_, std::io::Error>(chunk)
    }));
    let part =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), total)
            .file_name("plugin.wasm");
    let form = reqwest::multipart::Form::new()
        .text("manifest", manifest_text)
        .part("component", part);
    let result = send(
        client.post(format!("{url}/v1/plugins")).multipart(form),
        token,
        url,
    )
    .await;
    bar.finish_and_clear();
    result
}
