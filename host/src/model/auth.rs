//! Roles and API token records.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TimestampMs;

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

/// A stored API token. The token itself is never stored: a token made by
/// this build is `sc_<id>_<secret>`, stored under its id with a random
/// salt and the sha256 of salt and secret. Tokens made by earlier builds
/// are stored under their unsalted sha256 (`salt` and `hash` absent) and
/// still work until revoked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Its id (a ULID; empty for a token made before ids existed).
    #[serde(default)]
    pub id: String,
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
    /// Who created it (the creating token's label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When it stops working (ms since epoch); never when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Hex salt (tokens made by this build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// Hex sha256 of salt and secret (tokens made by this build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// A token as listed: everything but its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Its id: `DELETE /v1/tokens/{id}` revokes it.
    pub id: String,
    /// Its label.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The agent it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The staff person it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// When it was created (ms since epoch).
    pub created_at: TimestampMs,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When it stops working (ms since epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<TimestampMs>,
    /// It has expired (it no longer authenticates).
    pub expired: bool,
    /// Stored by an earlier build as an unsalted hash: revoke it and issue
    /// a new one.
    pub legacy_hash: bool,
}
