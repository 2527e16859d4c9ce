//! API tokens: hashing, bootstrap and authentication.
//!
//! Tokens are `sc_<id>_<secret>` with a 256-bit random secret, shown
//! once; only a salted sha256 of the secret is stored, under the id. Routes name the roles they admit; the API layer asks
//! [`Auth::authenticate`] for the caller's [`Principal`] and checks it with
//! [`Principal::require`].
//!
//! The console signs a person in with their own token once and then goes
//! by a server-side session ([`Auth::sign_in`], [`Auth::session`]): a
//! random 256-bit id in an HttpOnly cookie, mapped in memory to the token's
//! store key (never the token itself) and a CSRF secret. Every request
//! re-reads the token record, so revoking or expiring the token ends its
//! console sessions too.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::model::{Role, Scope, TokenInfo, TokenRecord};
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
    /// The token's id (as `GET /v1/tokens` lists it).
    pub token_id: String,
    /// What the caller may see; the API resolves it from the role and the
    /// person before a handler runs (everything until then).
    pub scope: Scope,
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

/// sha256 of a whole token: the key earlier builds stored tokens under.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The salted hash of a token's secret.
fn salted(salt: &[u8], secret: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// Equal without an early exit, so timing does not reveal how much of a
/// hash matched.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
}

/// A new secret: 256 random bits, URL-safe base64.
fn generate_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>())
}

/// A token of this build: `sc_<id>_<secret>`, split into id and secret.
fn split_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("sc_")?;
    let (id, secret) = (rest.get(..26)?, rest.get(26..)?.strip_prefix('_')?);
    (id.parse::<ulid::Ulid>().is_ok() && !secret.is_empty()).then_some((id, secret))
}

/// The key a token record is stored under: its id.
fn id_key(id: &str) -> Vec<u8> {
    format!("id:{id}").into_bytes()
}

/// The id a listing shows for a token stored by an earlier build (under
/// its unsalted hash, with no id of its own): stable, from the key.
fn legacy_id(key: &[u8]) -> String {
    format!("legacy-{}", hex::encode(&key[..key.len().min(8)]))
}

/// The name of the token installed from `SIDECOACH_ADMIN_TOKEN`.
const BOOTSTRAP: &str = "bootstrap";

/// The key of the bootstrap token: its text is the operator's choice, so
/// it carries no id; it is checked against this one record.
const BOOTSTRAP_KEY: &[u8] = b"bootstrap";

/// What a new token is.
#[derive(Clone, Debug, Default)]
pub struct NewToken {
    /// A label for operators.
    pub name: String,
    /// Its role.
    pub role: Option<Role>,
    /// The agent it belongs to.
    pub agent_id: Option<String>,
    /// The staff person it belongs to.
    pub staff_id: Option<String>,
    /// When it stops working (ms since epoch).
    pub expires_at: Option<i64>,
    /// Who creates it.
    pub created_by: Option<String>,
}

/// How long a console session lasts after sign-in.
pub const SESSION_MS: i64 = 12 * 3_600_000;

/// Console sessions kept in memory at most; a sign-in past it ends the
/// session closest to its end (about 200 bytes each, so at most ~2 MB).
pub const MAX_SESSIONS: usize = 10_000;

/// A console session: what the cookie's id stands for.
#[derive(Clone, Debug)]
struct ConsoleSession {
    /// The store key of the token signed in with (never the token).
    key: Vec<u8>,
    /// The secret a state-changing request must echo in
    /// `X-Sidecoach-CSRF`.
    csrf: String,
    /// When it ends (ms since epoch).
    expires_at: i64,
}

/// A session just opened by [`Auth::sign_in`].
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The cookie value: 256 random bits, URL-safe base64.
    pub id: String,
    /// The CSRF secret the page sends back on state-changing requests.
    pub csrf: String,
    /// Who signed in.
    pub principal: Principal,
}

/// Token checks over the store.
#[derive(Clone)]
pub struct Auth {
    store: Store,
    /// Console sessions by cookie id. A std mutex: held only to read or
    /// write the map, never across an await. In memory on purpose: a
    /// restart signs everyone out, and no session secret reaches disk.
    sessions: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, ConsoleSession>>>,
}

impl Auth {
    /// Tokens kept in `store`.
    pub fn new(store: Store) -> Auth {
        Auth {
            store,
            sessions: Default::default(),
        }
    }

    /// Sign in to the console with a token's text: checked exactly as a
    /// bearer token is; returns a new session (the cookie id and its CSRF
    /// secret).
    pub fn sign_in(&self, token: &str) -> Result<SignedIn, AuthError> {
        let (key, record) = self
            .find_keyed(token.trim())?
            .ok_or(AuthError::Unauthenticated("unknown token"))?;
        let principal = principal(&key, record)?;
        let now = crate::clock::now_ms();
        let id = generate_secret();
        let csrf = generate_secret();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.expires_at > now);
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.expires_at)
                .map(|(k, _)| k.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(
            id.clone(),
            ConsoleSession {
                key,
                csrf: csrf.clone(),
                expires_at: now + SESSION_MS,
            },
        );
        Ok(SignedIn {
            id,
            csrf,
            principal,
        })
    }

    /// The principal and CSRF secret of a console session, if it is open
    /// and its token still works.
    pub fn session(&self, id: &str) -> Result<(Principal, String), AuthError> {
        let now = crate::clock::now_ms();
        let found = {
            let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            sessions.get(id).filter(|s| s.expires_at > now).cloned()
        };
        let s = found.ok_or(AuthError::Unauthenticated(
            "your console session has ended: sign in again",
        ))?;
        let record = self.store.token(&s.key)?.ok_or(AuthError::Unauthenticated(
            "the token you signed in with was revoked: sign in again",
        ))?;
        Ok((principal(&s.key, record)?, s.csrf))
    }

    /// End a console session (unknown ids are ignored).
    pub fn sign_out(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.remove(id);
    }

    /// Store a new token; returns its text (shown once) and its record.
    pub async fn create(&self, t: NewToken) -> Result<(String, TokenRecord), StoreError> {
        let id = crate::model::new_id();
        let secret = generate_secret();
        let record = self.record(&id, &secret, t);
        self.store.put_token(&id_key(&id), &record).await?;
        Ok((format!("sc_{id}_{secret}"), record))
    }

    fn record(&self, id: &str, secret: &str, t: NewToken) -> TokenRecord {
        let salt = random::<16>();
        TokenRecord {
            id: id.to_string(),
            name: t.name,
            role: t.role.unwrap_or(Role::ReadOnly),
            agent_id: t.agent_id,
            staff_id: t.staff_id,
            created_at_ms: crate::clock::now_ms(),
            created_by: t.created_by,
            expires_at: t.expires_at,
            salt: Some(hex::encode(salt)),
            hash: Some(hex::encode(salted(&salt, secret))),
        }
    }

    /// Install the configured admin token, if any (replacing an earlier
    /// one: rotating `SIDECOACH_ADMIN_TOKEN` after a leak revokes the
    /// leaked token). With none configured and no admin token stored
    /// yet, create one and return it so the operator is shown it once.
    pub async fn bootstrap(&self, admin_token: Option<&str>) -> Result<Option<String>, StoreError> {
        if let Some(token) = admin_token {
            for (key, rec) in self.store.tokens()? {
                // Earlier builds stored it unsalted under its hash.
                if rec.name == BOOTSTRAP && key != BOOTSTRAP_KEY {
                    self.store.remove_token(&key).await?;
                }
            }
            let current = self.store.token(BOOTSTRAP_KEY)?;
            if current.as_ref().is_none_or(|r| !verifies(r, token)) {
                let record = self.record(
                    BOOTSTRAP,
                    token,
                    NewToken {
                        name: BOOTSTRAP.into(),
                        role: Some(Role::Admin),
                        ..NewToken::default()
                    },
                );
                self.store.put_token(BOOTSTRAP_KEY, &record).await?;
            }
            return Ok(None);
        }
        let admins = self
            .store
            .tokens()?
            .into_iter()
            .filter(|(_, r)| r.role == Role::Admin)
            .count();
        if admins == 0 {
            let (token, _) = self
                .create(NewToken {
                    name: "first-start".into(),
                    role: Some(Role::Admin),
                    ..NewToken::default()
                })
                .await?;
            return Ok(Some(token));
        }
        Ok(None)
    }

    /// Every token (never its secret), oldest first.
    pub fn list(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let now = crate::clock::now_ms();
        let mut out: Vec<TokenInfo> = self
            .store
            .tokens()?
            .into_iter()
            .map(|(key, r)| info(&key, r, now))
            .collect();
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    /// Remove the token listed as `id`; the next request with it is
    /// refused. Returns what was removed, or `None` for no such token.
    pub async fn revoke(&self, id: &str) -> Result<Option<TokenInfo>, StoreError> {
        let now = crate::clock::now_ms();
        for (key, r) in self.store.tokens()? {
            let t = info(&key, r, now);
            if t.id == id {
                self.store.remove_token(&key).await?;
                return Ok(Some(t));
            }
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
        let (key, record) = self
            .find_keyed(token)?
            .ok_or(AuthError::Unauthenticated("unknown token"))?;
        principal(&key, record)
    }

    /// The store key and record a token's text verifies against, if any.
    fn find_keyed(&self, token: &str) -> Result<Option<(Vec<u8>, TokenRecord)>, StoreError> {
        if let Some((id, secret)) = split_token(token) {
            let key = id_key(id);
            return Ok(self
                .store
                .token(&key)?
                .filter(|r| verifies(r, secret))
                .map(|r| (key, r)));
        }
        if let Some(r) = self.store.token(BOOTSTRAP_KEY)?
            && verifies(&r, token)
        {
            return Ok(Some((BOOTSTRAP_KEY.to_vec(), r)));
        }
        // A token made by an earlier build, stored under its sha256.
        let key = hash_token(token).to_vec();
        Ok(self
            .store
            .token(&key)?
            .filter(|r| r.hash.is_none())
            .map(|r| (key, r)))
    }
}

/// The principal of a token record found under `key`, unless it expired.
/// A token made by an earlier build goes by the id a listing shows for it.
fn principal(key: &[u8], record: TokenRecord) -> Result<Principal, AuthError> {
    if record
        .expires_at
        .is_some_and(|e| e <= crate::clock::now_ms())
    {
        return Err(AuthError::Unauthenticated(
            "this token has expired: ask an admin for a new one",
        ));
    }
    let token_id = if record.hash.is_none() && key != BOOTSTRAP_KEY {
        legacy_id(key)
    } else {
        record.id
    };
    Ok(Principal {
        name: record.name,
        role: record.role,
        agent_id: record.agent_id,
        staff_id: record.staff_id,
        token_id,
        scope: Scope::All,
    })
}

/// A stored token as listed: its id (or the legacy id of one stored by an
/// earlier build under its hash), never its salt or hash.
fn info(key: &[u8], r: TokenRecord, now: i64) -> TokenInfo {
    TokenInfo {
        id: if r.id.is_empty() {
            legacy_id(key)
        } else {
            r.id
        },
        legacy_hash: r.hash.is_none(),
        expired: r.expires_at.is_some_and(|e| e <= now),
        name: r.name,
        role: r.role,
        agent_id: r.agent_id,
        staff_id: r.staff_id,
        created_at: r.created_at_ms,
        created_by: r.created_by,
        expires_at: r.expires_at,
    }
}

/// Does `secret` match the record's salted hash?
fn verifies(r: &TokenRecord, secret: &str) -> bool {
    let (Some(salt), Some(hash)) = (&r.salt, &r.hash) else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (hex::decode(salt), hex::decode(hash)) else {
        return false;
    };
    same(&salted(&salt, secret), &hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(t: &str) -> String {
        format!("Bearer {t}")
    }

    fn new(name: &str, role: Role) -> NewToken {
        NewToken {
            name: name.into(),
            role: Some(role),
            ..NewToken::default()
        }
    }

    #[tokio::test]
    async fn console_sessions_are_capped_and_the_oldest_goes_first() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Auth::new(Store::open(dir.path()).unwrap());
        let token = auth.bootstrap(None).await.unwrap().unwrap();
        let first = auth.sign_in(&token).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        for _ in 0..MAX_SESSIONS {
            auth.sign_in(&token).unwrap();
        }
        let kept = auth.sessions.lock().unwrap().len();
        assert_eq!(kept, MAX_SESSIONS);
        assert!(auth.session(&first.id).is_err(), "the oldest session ended");
    }

    #[tokio::test]
    async fn tokens_are_stored_salted_under_their_id_and_checked_by_role() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let auth = Auth::new(store.clone());
        let first = auth
            .bootstrap(None)
            .await
            .unwrap()
            .expect("a first admin token is created");
        assert!(auth.bootstrap(None).await.unwrap().is_none(), "only once");
        let p = auth.authenticate(Some(&bearer(&first))).unwrap();
        assert_eq!(p.role, Role::Admin);
        assert!(
            store.token(&hash_token(&first)).unwrap().is_none(),
            "not stored under its unsalted hash"
        );
        let (id, secret) = split_token(&first).unwrap();
        let stored = store.token(&id_key(id)).unwrap().unwrap();
        let raw = serde_json::to_string(&stored).unwrap();
        assert!(!raw.contains(secret), "the secret is never stored");
        assert_ne!(stored.hash, Some(hex::encode(hash_token(secret))));

        let (coach, _) = auth.create(new("c", Role::Coach)).await.unwrap();
        let p = auth.authenticate(Some(&bearer(&coach))).unwrap();
        assert!(matches!(
            p.require(&[Role::Admin]),
            Err(AuthError::Forbidden { .. })
        ));
        for bad in [None, Some("Bearer nope"), Some(coach.as_str())] {
            assert!(matches!(
                auth.authenticate(bad),
                Err(AuthError::Unauthenticated(_))
            ));
        }
        // The right id with a wrong secret is refused.
        let forged = format!(
            "sc_{}_{}",
            split_token(&coach).unwrap().0,
            generate_secret()
        );
        assert!(auth.authenticate(Some(&bearer(&forged))).is_err());
    }

    #[tokio::test]
    async fn a_revoked_or_expired_token_is_refused_on_its_next_request() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Auth::new(Store::open(dir.path()).unwrap());
        let (t, rec) = auth.create(new("ops", Role::ReadOnly)).await.unwrap();
        assert!(auth.authenticate(Some(&bearer(&t))).is_ok());
        let listed = auth.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, rec.id);
        assert!(!listed[0].legacy_hash && !listed[0].expired);
        assert_eq!(auth.revoke(&rec.id).await.unwrap().unwrap().name, "ops");
        assert!(auth.authenticate(Some(&bearer(&t))).is_err());
        assert!(auth.revoke(&rec.id).await.unwrap().is_none());

        let (old, _) = auth
            .create(NewToken {
                expires_at: Some(crate::clock::now_ms() - 1),
                ..new("old", Role::Coach)
            })
            .await
            .unwrap();
        let err = auth.authenticate(Some(&bearer(&old))).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
        assert!(auth.list().unwrap()[0].expired);
    }

    #[tokio::test]
    async fn a_token_an_earlier_build_stored_unsalted_still_works_and_is_listed_as_legacy() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let auth = Auth::new(store.clone());
        let legacy = "sc_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
        let record = TokenRecord {
            id: String::new(),
            name: "old-adapter".into(),
            role: Role::Integrator,
            agent_id: None,
            staff_id: None,
            created_at_ms: 1,
            created_by: None,
            expires_at: None,
            salt: None,
            hash: None,
        };
        store.put_token(&hash_token(legacy), &record).await.unwrap();
        let who = auth.authenticate(Some(&bearer(legacy))).unwrap();
        assert_eq!(who.role, Role::Integrator);
        let listed = auth.list().unwrap();
        assert!(listed[0].legacy_hash && listed[0].id.starts_with("legacy-"));
        assert_eq!(who.token_id, listed[0].id, "it goes by its listed id");
        auth.revoke(&listed[0].id).await.unwrap().unwrap();
        assert!(auth.authenticate(Some(&bearer(legacy))).is_err());
    }

    #[tokio::test]
    async fn rotating_the_bootstrap_token_revokes_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Auth::new(Store::open(dir.path()).unwrap());
        auth.bootstrap(Some("first-secret")).await.unwrap();
        assert!(auth.authenticate(Some("Bearer first-secret")).is_ok());
        auth.bootstrap(Some("first-secret")).await.unwrap();
        assert_eq!(auth.list().unwrap().len(), 1, "restarting keeps one");
        auth.bootstrap(Some("second-secret")).await.unwrap();
        assert!(auth.authenticate(Some("Bearer first-secret")).is_err());
        assert!(auth.authenticate(Some("Bearer second-secret")).is_ok());
        assert_eq!(auth.list().unwrap().len(), 1);
    }
}
