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
        self.audit_about(actor, action, target, detail, &[]).await
    }

    /// Record an action about `agents` (with their current teams), so
    /// their supervisors can read it; durable when this returns.
    pub async fn audit_about(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: Option<String>,
        agents: &[&str],
    ) -> Result<AuditEntry> {
        let mut teams = Vec::new();
        for a in agents {
            if let Some(t) = self.store.agents.get::<Agent>(a)?.and_then(|a| a.team_id)
                && !teams.contains(&t)
            {
                teams.push(t);
            }
        }
        let entry = AuditEntry {
            id: crate::model::new_id(),
            at: now_ms(),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            detail,
            agents: agents.iter().map(|a| a.to_string()).collect(),
            teams,
        };
        Ok(self.write(&self.store.audit, entry).await?.1)
    }

    /// A page of the audit trail.
    pub fn audit_log(&self, f: Filter) -> Result<Page<AuditEntry>> {
        self.list(&self.store.audit, f)
    }
}
