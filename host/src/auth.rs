//! API tokens: hashing, bootstrap and authentication.
//!
//! Tokens are random 32-byte strings shown once; only their sha256 is
//! stored. Routes name the roles they admit; the API layer asks
//! [`Auth::authenticate`] for the caller's [`Principal`] and checks it with
//! [`Principal::require`].

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::model::{Role, TokenRecord};
use crate::store::{Store, StoreError};

/// Who is calling.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    /// The token's label.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The agent the token belongs to (always set for agent tokens; a
    /// supervisor or coach may be an agent record too).
    pub agent_id: Option<String>,
    /// The staff person the token belongs to, for staff roles.
    pub staff_id: Option<String>,
}

impl Principal {
    /// The person the token belongs to: its agent or its staff person.
    pub fn person(&self) -> Option<&str> {
        self.agent_id.as_deref().or(self.staff_id.as_deref())
    }
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No bearer token, or one that is not known.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// A known token whose role the route does not admit.
    #[error("role '{role}' may not do this (allowed: {allowed})")]
    Forbidden {
        /// The caller's role.
        role: Role,
        /// The roles the route admits.
        allowed: String,
    },
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Principal {
    /// Refuse unless the caller's role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AuthError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        Err(AuthError::Forbidden {
            role: self.role,
            allowed: roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// sha256 of a token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new random token (256 bits, URL-safe base64, prefixed `sc_`).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!(
        "sc_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The name of the token installed from `SIDECOACH_ADMIN_TOKEN`.
const BOOTSTRAP: &str = "bootstrap";

/// Token checks over the store.
#[derive(Clone)]
pub struct Auth {
    store: Store,
}

impl Auth {
    /// Tokens kept in `store`.
    pub fn new(store: Store) -> Auth {
        Auth { store }
    }

    /// Store a new token; returns the token text (shown once).
    pub async fn create(
        &self,
        name: &str,
        role: Role,
        agent_id: Option<String>,
    ) -> Result<String, StoreError> {
        let token = generate_token();
        self.put(&token, name, role, agent_id).await?;
        Ok(token)
    }

    async fn put(
        &self,
        token: &str,
        name: &str,
        role: Role,
        agent_id: Option<String>,
    ) -> Result<(), StoreError> {
        let record = TokenRecord {
            name: name.into(),
            role,
            agent_id,
            staff_id: None,
            created_at_ms: crate::clock::now_ms(),
        };
        self.store.put_token(&hash_token(token), &record).await
    }

    /// Install the configured admin token, if any. With none configured and
    /// no admin token stored yet, create one and return it so the operator
    /// can be shown it once.
    pub async fn bootstrap(&self, admin_token: Option<&str>) -> Result<Option<String>, StoreError> {
        if let Some(token) = admin_token {
            // A changed bootstrap token replaces the old one: rotating
            // SIDECOACH_ADMIN_TOKEN after a leak must revoke the leaked token.
            let hash = hash_token(token);
            self.store
                .remove_tokens_named(BOOTSTRAP, Some(&hash))
                .await?;
            if self.store.token(&hash)?.is_none() {
                self.put(token, BOOTSTRAP, Role::Admin, None).await?;
            }
            return Ok(None);
        }
        if self.store.count_tokens(Role::Admin)? == 0 {
            return Ok(Some(self.create("first-start", Role::Admin, None).await?));
        }
        Ok(None)
    }

    /// The principal behind an `Authorization` header value.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let header = authorization.ok_or(AuthError::Unauthenticated("missing bearer token"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::Unauthenticated(
                "the Authorization header must be `Bearer <token>`",
            ))?
            .trim();
        let record = self
            .store
            .token(&hash_token(token))?
            .ok_or(AuthError::Unauthenticated("unknown token"))?;
        Ok(Principal {
            name: record.name,
            role: record.role,
            agent_id: record.agent_id,
            staff_id: record.staff_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tokens_are_stored_hashed_and_checked_by_role() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let auth = Auth::new(store.clone());
        let first = auth
            .bootstrap(None)
            .await
            .unwrap()
            .expect("a first admin token is created");
        assert!(auth.bootstrap(None).await.unwrap().is_none(), "only once");
        let p = auth.authenticate(Some(&format!("Bearer {first}"))).unwrap();
        assert_eq!(p.role, Role::Admin);
        assert!(store.token(&hash_token(&first)).unwrap().is_some());

        let coach = auth.create("c", Role::Coach, None).await.unwrap();
        let p = auth.authenticate(Some(&format!("Bearer {coach}"))).unwrap();
        assert!(matches!(
            p.require(&[Role::Admin]),
            Err(AuthError::Forbidden { .. })
        ));
        assert!(matches!(
            auth.authenticate(None),
            Err(AuthError::Unauthenticated(_))
        ));
        assert!(matches!(
            auth.authenticate(Some("Bearer nope")),
            Err(AuthError::Unauthenticated(_))
        ));
        assert!(matches!(
            auth.authenticate(Some(&coach)),
            Err(AuthError::Unauthenticated(_))
        ));
    }
}
