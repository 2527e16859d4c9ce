//! Sidecoach: a sidecar that stores contact-center coaching data in sled,
//! serves it over an axum HTTP API, and runs sandboxed WebAssembly plugins
//! (wasmtime component model) that adapt vendor payloads and customise
//! scoring, flagging and mentor matching.
//!
//! # Layout
//!
//! Data flows api → runtime → model → store; each layer knows only the ones
//! below it.
//!
//! - [`config`]: one typed configuration (defaults, TOML file, environment).
//! - [`model`]: the normalized domain types (serde), no I/O.
//! - [`store`]: the only code that touches sled; durable on return.
//! - [`runtime`]: the only code that touches wasmtime; plugin lifecycle,
//!   sandbox and limits.
//! - [`records`]: the coaching records service (validation, idempotent
//!   upserts) over the store.
//! - [`ingest`]: vendor deliveries through adapter plugins, identities,
//!   dead letters and replay.
//! - [`pipeline`]: what follows a write — [`scoring`] (scorer plugins),
//!   [`flags`] (config rules and flagger plugins → alerts), recognitions —
//!   then the [`live`] feed once durable.
//! - [`analytics`]: QA/CSAT trends, dinged topics and focus agents.
//! - [`practice`]: the coaching practice — the weekly cadence (coached,
//!   due, overdue) and coaching effectiveness (QA and CSAT after a session
//!   against before, per coach, kind, strategy and topic).
//! - [`mentoring`]: needs, matcher plugin + optimal assignment with
//!   shortlists, pairings, monitoring consent, progress reports.
//! - [`scheduling`]: Erlang C/A staffing, the slot planner that places
//!   sessions without sacrificing service level, and the staffing / shift
//!   records it plans over.
//! - [`auth`]: API tokens and roles.
//! - [`metrics`]: Prometheus metrics.
//! - [`api`]: the only code that touches axum.
//! - [`cli`]: the `sidecoach` command line.
//!
//! [`App::open`] builds everything from a [`config::Config`];
//! [`serve`] runs the API on an already-bound listener until `shutdown`
//! resolves, so tests can bind `127.0.0.1:0`.

pub mod analytics;
pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod flags;
pub mod ingest;
pub mod live;
pub mod mentoring;
pub mod metrics;
pub mod model;
pub mod operations;
pub mod pipeline;
pub mod plugins;
pub mod practice;
pub mod records;
pub mod runtime;
pub mod scheduling;
pub mod scoring;
pub mod store;
pub mod tokens;
pub mod work;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;

use crate::auth::Auth;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::runtime::Runtime;
use crate::store::Store;

/// The services the HTTP API (or a program embedding the host) works
/// through, one per capability. Cheap to clone: each holds shared handles.
#[derive(Clone)]
pub struct Services {
    /// Bearer tokens to principals (the API's access layer).
    pub auth: Auth,
    /// Issuing tokens.
    pub tokens: tokens::Tokens,
    /// Installing, operating and invoking plugins.
    pub plugins: plugins::Plugins,
    /// The coaching records: agents, teams, forms, vendor records,
    /// identities, dead letters, sessions, audit.
    pub records: records::Records,
    /// Vendor deliveries through adapter plugins, dead-letter replay.
    pub ingest: ingest::Ingest,
    /// What follows a write (scoring, flags, alerts, recognitions, live
    /// feed), and the alert lifecycle.
    pub pipeline: pipeline::Pipeline,
    /// Trends and topic focus.
    pub analytics: analytics::Analytics,
    /// The coaching practice: weekly cadence and coaching effectiveness.
    pub practice: practice::Practice,
    /// Staffing figures and the session planner.
    pub scheduling: scheduling::service::Scheduling,
    /// The mentoring program.
    pub mentoring: mentoring::Mentoring,
    /// Readiness, metrics, sources.
    pub ops: operations::Operations,
    /// This node's place in a cluster (`[cluster]`); `None` standing alone.
    pub cluster: Option<cluster::Cluster>,
}

/// A node's name when `[cluster] node` is unset: the host's name and the
/// port it listens on.
fn default_node_name(config: &Config) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "sidecoach".into());
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    match config.listen.port() {
        // Port 0 is chosen at bind time: tell nodes on one machine apart.
        0 => format!("{host}-{}", std::process::id()),
        port => format!("{host}-{port}"),
    }
}

/// A started host: store open, plugins loaded, ready to serve.
pub struct App {
    /// The services, for the router or an embedding program.
    pub services: Services,
    /// An admin token created on first start (no token configured and none
    /// stored yet), to be shown to the operator once.
    pub first_admin_token: Option<String>,
}

impl App {
    /// Open the store, bootstrap tokens, start the runtime (installing the
    /// reference plugins on first start) and build the services over them.
    pub async fn open(config: Config) -> anyhow::Result<App> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
        let store = Store::open_with(&config.data_dir, config.store.cache_mib << 20).with_context(
            || {
                format!(
                    "opening the store in {} (is another sidecoach using it?)",
                    config.data_dir.display()
                )
            },
        )?;
        let data_dir = config.data_dir.clone();
        match App::build(config, store.clone()).await {
            Ok(app) => Ok(app),
            Err(e) => {
                // A store whose writes failed may never close (see
                // `Store::abandon`); the caller is exiting with this error.
                store.abandon();
                Err(e.context(format!(
                    "starting over the data directory {}",
                    data_dir.display()
                )))
            }
        }
    }

    async fn build(config: Config, store: Store) -> anyhow::Result<App> {
        let metrics = Arc::new(Metrics::new());
        metrics.count_store_flushes(store.flush_counter());
        let cluster = match &config.cluster {
            Some(c) => {
                let node = c.node.clone().unwrap_or_else(|| default_node_name(&config));
                metrics.register_cluster();
                let cluster =
                    cluster::Cluster::start(c, node, store.clone(), metrics.clone()).await?;
                tracing::info!(
                    node = cluster.node(),
                    applied = cluster.applied(),
                    "joined the cluster"
                );
                Some(cluster)
            }
            None => None,
        };
        let auth = Auth::new(store.clone());
        let admin_token = config.admin_token.clone();
        let first_admin_token = match &cluster {
            Some(c) => {
                c.write(None, || auth.bootstrap(admin_token.as_deref()))
                    .await??
            }
            None => auth.bootstrap(admin_token.as_deref()).await?,
        };
        let config = Arc::new(config);
        let runtime =
            Arc::new(Runtime::open(config.clone(), store.clone(), metrics.clone()).await?);
        match &cluster {
            Some(c) => {
                // Entries applied from now on reload the plugins they
                // change; those applied since the runtime read the store
                // (the node catches up while it starts) are caught by
                // reloading every plugin once.
                let rt = runtime.clone();
                c.set_reload(Arc::new(move |ids| {
                    let rt = rt.clone();
                    Box::pin(async move { rt.reload(ids).await })
                }));
                let ids = store.plugins()?.into_iter().map(|p| p.id).collect();
                runtime.reload(ids).await;
                c.write(None, || runtime.install_reference_plugins())
                    .await??;
            }
            None => runtime.install_reference_plugins().await?,
        }
        let records = records::Records::new(store.clone());
        let hub = live::Hub::new(config.live.buffer, metrics.clone());
        if let Some(c) = &cluster {
            c.set_hub(hub.clone());
        }
        let pipeline = pipeline::Pipeline::new(
            runtime.clone(),
            records.clone(),
            config.clone(),
            metrics.clone(),
            hub,
        );
        let ingest = ingest::Ingest::new(
            runtime.clone(),
            records.clone(),
            pipeline.clone(),
            config.clone(),
            metrics.clone(),
        );
        let analytics = analytics::Analytics::new(records.clone(), config.clone());
        let practice = practice::Practice::new(records.clone(), config.clone());
        let work = work::Work::new(&config.work);
        let scheduling =
            scheduling::service::Scheduling::new(records.clone(), config.clone(), work.clone());
        let mentoring = mentoring::Mentoring::new(
            runtime.clone(),
            records.clone(),
            analytics.clone(),
            config.clone(),
            work,
        );
        let services = Services {
            tokens: tokens::Tokens::new(auth.clone(), records.clone()),
            auth,
            plugins: plugins::Plugins::new(runtime.clone(), records.clone()),
            records,
            ingest,
            pipeline,
            analytics,
            practice,
            scheduling,
            mentoring,
            ops: operations::Operations::new(store, runtime, metrics, config, cluster.clone()),
            cluster,
        };
        Ok(App {
            services,
            first_admin_token,
        })
    }
}

/// Serve the API on `listener` until `shutdown` resolves, then finish
/// in-flight requests and flush the store.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let services = app.services.clone();
    let ops = services.ops.clone();
    let hub = services.pipeline.hub.clone();
    let router = api::router(services);
    let watch = tokio::spawn(ops.clone().watch_storage());
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            ops.stopping();
            hub.close();
            tracing::info!("shutting down: finishing in-flight requests");
        })
        .await?;
    watch.abort();
    if let Err(e) = app.services.ops.flush().await {
        // Every acknowledged write was flushed before its answer; what
        // failed here is the last flush, and closing a store in that state
        // can block forever (see `Store::abandon`).
        app.services.ops.abandon_store();
        return Err(anyhow::Error::from(e).context("flushing the store on shutdown"));
    }
    tracing::info!("store flushed; bye");
    Ok(())
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
