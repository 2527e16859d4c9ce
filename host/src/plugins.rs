//! The plugin service operators use: install, upgrade, enable, disable and
//! roll back plugins (each change audited with who made it), read the
//! registry, and invoke a plugin on a sample input. Over the [`Runtime`]
//! (which knows wasmtime) and the audit trail (which knows the store).

use std::sync::Arc;

use crate::model::{
    EvaluationEvent, Event, Flag, Form, InboundRequest, IngestOutput, Mentor, PairScores, Protege,
    Scorecard,
};
use crate::model::{PluginError, PluginKind};
use crate::records::{RecordError, Records};
use crate::runtime::Runtime;
/// The runtime's reports and errors, as callers of this service see them.
pub use crate::runtime::{
    CallReport, FailedCall, Installed, InvokeInput, LogLine, PluginDetail, PluginState,
    PluginStatus, RuntimeError,
};

/// A plugin operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum PluginOpError {
    /// The runtime refused or failed the operation.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The change was made but could not be audited.
    #[error(transparent)]
    Audit(#[from] RecordError),
}

/// The plugin service.
#[derive(Clone)]
pub struct Plugins {
    runtime: Arc<Runtime>,
    records: Records,
}

/// A call's report, or the failure with the plugin's logs.
pub type CallResult<T> = Result<CallReport<T>, Box<FailedCall>>;

impl Plugins {
    /// The service over `runtime`, auditing into `records`.
    pub fn new(runtime: Arc<Runtime>, records: Records) -> Plugins {
        Plugins { runtime, records }
    }

    /// Every installed plugin.
    pub fn list(&self) -> Vec<PluginStatus> {
        self.runtime.list()
    }

    /// One plugin's status.
    pub fn status(&self, id: &str) -> Result<PluginStatus, RuntimeError> {
        self.runtime.status(id)
    }

    /// One plugin with every installed version.
    pub fn inspect(&self, id: &str) -> Result<PluginDetail, RuntimeError> {
        self.runtime.inspect(id)
    }

    /// Install a new plugin or upgrade an installed one (audited unless
    /// the exact component was already installed).
    pub async fn install(
        &self,
        actor: &str,
        manifest: &str,
        component: Vec<u8>,
    ) -> Result<Installed, PluginOpError> {
        let installed = self
            .runtime
            .install(manifest, component, false, Some(actor))
            .await?;
        if installed.action != "unchanged" {
            let detail = format!("{} version {}", installed.action, installed.status.version);
            self.records
                .audit
                .audit(actor, "plugin.install", &installed.status.id, Some(detail))
                .await?;
        }
        Ok(installed)
    }

    /// Enable a plugin (clearing a breaker trip), audited.
    pub async fn enable(&self, actor: &str, id: &str) -> Result<PluginStatus, PluginOpError> {
        let status = self.runtime.enable(id).await?;
        self.audited(actor, "plugin.enable", status).await
    }

    /// Disable a plugin, audited.
    pub async fn disable(&self, actor: &str, id: &str) -> Result<PluginStatus, PluginOpError> {
        let status = self.runtime.disable(id).await?;
        self.audited(actor, "plugin.disable", status).await
    }

    /// Swap a plugin's active and previous versions, audited.
    pub async fn rollback(&self, actor: &str, id: &str) -> Result<PluginStatus, PluginOpError> {
        let status = self.runtime.rollback(id).await?;
        self.audited(actor, "plugin.rollback", status).await
    }

    async fn audited(
        &self,
        actor: &str,
        action: &str,
        status: PluginStatus,
    ) -> Result<PluginStatus, PluginOpError> {
        let detail = format!("version {}", status.version);
        self.records
            .audit
            .audit(actor, action, &status.id, Some(detail))
            .await?;
        Ok(status)
    }

    /// Run an adapter on one vendor request.
    pub async fn ingest(
        &self,
        id: &str,
        request: InboundRequest,
    ) -> CallResult<Result<IngestOutput, PluginError>> {
        self.runtime.ingest(id, request).await
    }

    /// Run a scorer on evaluations of one form.
    pub async fn score(
        &self,
        id: &str,
        form: Form,
        evaluations: Vec<EvaluationEvent>,
    ) -> CallResult<Vec<Result<Scorecard, PluginError>>> {
        self.runtime.score(id, form, evaluations).await
    }

    /// Run a matcher on protégés and mentors.
    pub async fn rank(
        &self,
        id: &str,
        proteges: Vec<Protege>,
        mentors: Vec<Mentor>,
    ) -> CallResult<Result<PairScores, PluginError>> {
        self.runtime.rank(id, proteges, mentors).await
    }

    /// Run a flagger on events.
    pub async fn flag(
        &self,
        id: &str,
        events: Vec<Event>,
    ) -> CallResult<Result<Vec<Flag>, PluginError>> {
        self.runtime.flag(id, events).await
    }

    /// Run a plugin on an input of its world; the output as JSON.
    pub async fn invoke(&self, id: &str, input: InvokeInput) -> CallResult<serde_json::Value> {
        self.runtime.invoke(id, input).await
    }

    /// The kind of an installed plugin.
    pub fn kind(&self, id: &str) -> Result<PluginKind, RuntimeError> {
        Ok(self.runtime.status(id)?.kind)
    }
}
