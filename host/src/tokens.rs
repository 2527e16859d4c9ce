//! API tokens as an admin issues, lists and revokes them: validated (an
//! agent token belongs to an existing agent; a staff token may belong to
//! a staff person, or to an agent record for a lead who is one),
//! created through [`Auth`] (stored salted, shown once), and audited.

use crate::auth::{Auth, NewToken};
use crate::clock::now_ms;
use crate::model::{Role, TokenInfo, TokenRecord};
use crate::records::{RecordError, Records};

/// The token service.
#[derive(Clone)]
pub struct Tokens {
    auth: Auth,
    records: Records,
}

fn invalid(field: &str, message: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

impl Tokens {
    /// Tokens in `auth`, checked against and audited into `records`.
    pub fn new(auth: Auth, records: Records) -> Tokens {
        Tokens { auth, records }
    }

    /// Create a token on behalf of `actor`; returns the token text, which
    /// is never shown again, and its record.
    pub async fn create(
        &self,
        actor: &str,
        mut t: NewToken,
    ) -> Result<(String, TokenRecord), RecordError> {
        if t.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        let role = t.role.ok_or_else(|| invalid("role", "is required"))?;
        match (role, &t.agent_id, &t.staff_id) {
            (_, Some(_), Some(_)) => {
                return Err(invalid(
                    "staff_id",
                    "a token belongs to one person: an agent or a staff person",
                ));
            }
            (Role::Agent, None, _) => {
                return Err(invalid("agent_id", "an agent token must name its agent"));
            }
            (Role::Admin | Role::Integrator | Role::ReadOnly, Some(_), _) => {
                return Err(invalid(
                    "agent_id",
                    format!(
                        "a {role} token does not belong to an agent (agent, supervisor and coach tokens may)"
                    ),
                ));
            }
            _ => {}
        }
        if let Some(a) = &t.agent_id {
            self.records
                .people
                .agent(a)
                .map_err(|_| invalid("agent_id", format!("unknown agent {a:?}")))?;
        }
        if let Some(p) = &t.staff_id {
            self.records
                .people
                .staff_person(p)
                .map_err(|_| invalid("staff_id", format!("unknown staff person {p:?}")))?;
        }
        if let Some(e) = t.expires_at
            && e <= now_ms()
        {
            return Err(invalid("expires_at", "must be in the future"));
        }
        t.created_by = Some(actor.to_string());
        let name = t.name.clone();
        let (token, record) = self.auth.create(t).await.map_err(RecordError::Store)?;
        let person = record
            .agent_id
            .as_deref()
            .or(record.staff_id.as_deref())
            .map(|p| format!(", for {p}"))
            .unwrap_or_default();
        self.records
            .audit
            .audit(
                actor,
                "token.create",
                &record.id,
                Some(format!("{name}: role {role}{person}")),
            )
            .await?;
        Ok((token, record))
    }

    /// Every token, never its secret.
    pub fn list(&self) -> Result<Vec<TokenInfo>, RecordError> {
        Ok(self.auth.list()?)
    }

    /// Revoke a token on behalf of `actor` (audited): it is refused from
    /// its next request. The last working admin token cannot be revoked,
    /// so the host is never left without one.
    pub async fn revoke(&self, actor: &str, id: &str) -> Result<TokenInfo, RecordError> {
        let tokens = self.auth.list()?;
        let Some(t) = tokens.iter().find(|t| t.id == id) else {
            return Err(RecordError::NotFound {
                kind: "token",
                id: id.to_string(),
            });
        };
        let admins = tokens
            .iter()
            .filter(|t| t.role == Role::Admin && !t.expired)
            .count();
        if t.role == Role::Admin && !t.expired && admins == 1 {
            return Err(RecordError::Conflict(
                "this is the last working admin token: create another admin token first".into(),
            ));
        }
        let removed = self.auth.revoke(id).await?.ok_or(RecordError::NotFound {
            kind: "token",
            id: id.to_string(),
        })?;
        self.records
            .audit
            .audit(
                actor,
                "token.revoke",
                id,
                Some(format!("{}: role {}", removed.name, removed.role)),
            )
            .await?;
        Ok(removed)
    }
}
