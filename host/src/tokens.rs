//! API tokens as an admin issues them: validated (an agent token names an
//! existing agent; no other role is bound to one), created through
//! [`Auth`] (stored hashed, shown once) and audited.

use crate::auth::Auth;
use crate::model::Role;
use crate::records::{RecordError, Records};

/// The token service.
#[derive(Clone)]
pub struct Tokens {
    auth: Auth,
    records: Records,
}

impl Tokens {
    /// Tokens in `auth`, checked against and audited into `records`.
    pub fn new(auth: Auth, records: Records) -> Tokens {
        Tokens { auth, records }
    }

    /// Create a token on behalf of `actor`; returns the token text, which
    /// is never shown again.
    pub async fn create(
        &self,
        actor: &str,
        name: &str,
        role: Role,
        agent_id: Option<&str>,
    ) -> Result<String, RecordError> {
        let invalid = |field: &str, message: String| RecordError::Invalid {
            field: field.into(),
            message,
        };
        if name.trim().is_empty() {
            return Err(invalid("name", "must not be empty".into()));
        }
        match (role, agent_id) {
            (Role::Agent, None) => {
                return Err(invalid(
                    "agent_id",
                    "an agent token must name its agent".into(),
                ));
            }
            (Role::Agent, Some(a)) => {
                self.records
                    .people
                    .agent(a)
                    .map_err(|_| invalid("agent_id", format!("unknown agent {a:?}")))?;
            }
            (_, Some(_)) => {
                return Err(invalid(
                    "agent_id",
                    "only agent tokens are bound to an agent".into(),
                ));
            }
            (_, None) => {}
        }
        let token = self
            .auth
            .create(name, role, agent_id.map(str::to_string))
            .await
            .map_err(RecordError::Store)?;
        self.records
            .audit
            .audit(actor, "token.create", name, Some(format!("role {role}")))
            .await?;
        Ok(token)
    }
}
