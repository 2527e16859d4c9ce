//! Roles and API token records.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a token may do. Routes name the roles they admit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, including plugin lifecycle and tokens.
    Admin,
    /// Writes vendor adapters: installs and tests plugins, ingests.
    Integrator,
    /// Sees and acts on their teams' data.
    Supervisor,
    /// Runs coaching sessions.
    Coach,
    /// Sees only their own data.
    Agent,
    /// Reads everything, changes nothing.
    ReadOnly,
}

impl Role {
    /// Every role, for route-walking tests and help texts.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Integrator,
        Role::Supervisor,
        Role::Coach,
        Role::Agent,
        Role::ReadOnly,
    ];

    /// The role's name as written in config and on the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Integrator => "integrator",
            Role::Supervisor => "supervisor",
            Role::Coach => "coach",
            Role::Agent => "agent",
            Role::ReadOnly => "read-only",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?} (one of: {})", names.join(", "))
            })
    }
}

/// A stored API token; the token itself is never stored, only its sha256.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenRecord {
    /// A label for operators ("bootstrap", "five9-adapter"…).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The agent the token belongs to (agent tokens: whose data it sees).
    pub agent_id: Option<String>,
    /// The staff person the token belongs to (staff roles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// When it was created (ms since epoch).
    pub created_at_ms: i64,
}
