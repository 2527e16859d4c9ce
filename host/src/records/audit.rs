//! The audit trail: who did what, to what, when.

use super::*;

impl Audit {
    /// Record an administrative action; durable when this returns.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: Option<String>,
    ) -> Result<AuditEntry> {
        let entry = AuditEntry {
            id: crate::model::new_id(),
            at: now_ms(),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            detail,
        };
        Ok(self.write(&self.store.audit, entry).await?.1)
    }

    /// A page of the audit trail.
    pub fn audit_log(&self, f: Filter) -> Result<Page<AuditEntry>> {
        self.list(&self.store.audit, f)
    }
}
