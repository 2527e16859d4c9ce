//! The coaching records, one service per capability over one store:
//! [`People`] (agents, teams, identities, merges), [`Contacts`] (forms,
//! interactions, evaluations, feedback), [`DeadLetters`], [`Audit`],
//! [`CoachingRecords`] (alerts, recognitions, sessions),
//! [`MentoringRecords`] and [`SchedulingRecords`]. Each validates what it
//! writes (errors name the field), sets server fields, writes idempotently
//! and returns only after the write is durable (or stages it for a caller
//! that flushes once). [`Records`] bundles them for the services above.

use crate::clock::now_ms;
use crate::model::{
    About, Agent, AnswerValue, AuditEntry, DeadLetter, DeadLetterState, Evaluation, Feedback, Form,
    Interaction, Scope, Staff, StoredForm, Team, TimestampMs,
};
use crate::store::{Collection, Query, Record, Store, WriteError};
/// The listing and write types callers of the services see.
pub use crate::store::{Page, StoreError, Term, Unreadable, Upserted};

mod audit;
mod coaching;
mod contacts;
mod dead_letters;
mod mentoring;
mod people;
mod scheduling;

pub use coaching::deadline;
pub use scheduling::WriteCounts;

/// Why a record was refused.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A field is invalid; `field` is its JSON path.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault, e.g. `answers[2].value`.
        field: String,
        /// Why.
        message: String,
    },
    /// The record does not exist.
    #[error("{} {id} not found", one(kind))]
    NotFound {
        /// Record kind.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The write conflicts with another record.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// CPU-heavy work found no free slot or ran past its deadline.
    #[error(transparent)]
    Work(#[from] crate::work::WorkError),
}

type Result<T> = std::result::Result<T, RecordError>;

fn invalid(field: impl Into<String>, message: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// One record of a kind, as people say it: `agents` → `agent`,
/// `dead_letters` → `dead letter` (`feedback`, `staff`, `audit` stay).
fn one(kind: &str) -> String {
    let one = match kind.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') => stem,
        _ => kind,
    };
    one.replace('_', " ")
}

impl From<crate::model::Invalid> for RecordError {
    fn from(e: crate::model::Invalid) -> Self {
        RecordError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

impl From<WriteError> for RecordError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Conflict { term, value, owner } => {
                RecordError::Conflict(format!("{term} {value:?} already belongs to {owner}"))
            }
            WriteError::NotFound(id) => RecordError::NotFound { kind: "record", id },
            WriteError::Unreadable { reason, .. } => RecordError::Invalid {
                field: "record".into(),
                message: format!("would not read back as written: {reason}"),
            },
            WriteError::Store(s) => RecordError::Store(s),
        }
    }
}

/// A listing filter as the API receives it.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// One index term, e.g. `Term::Agent(id)`.
    pub term: Option<Term>,
    /// Inclusive lower time bound (ms).
    pub from: Option<TimestampMs>,
    /// Exclusive upper time bound (ms).
    pub to: Option<TimestampMs>,
    /// Continue after this cursor.
    pub cursor: Option<String>,
    /// Page size (1..=1000, default 100).
    pub limit: Option<usize>,
    /// Who is asking: only records this scope sees are listed.
    pub scope: Scope,
}

impl Filter {
    /// Records holding one index term.
    pub fn term(term: Term) -> Filter {
        Filter {
            term: Some(term),
            ..Filter::default()
        }
    }

    /// The same filter limited to `[from, to)`.
    pub fn between(self, from: TimestampMs, to: TimestampMs) -> Filter {
        Filter {
            from: Some(from),
            to: Some(to),
            ..self
        }
    }
}

/// The storage every records service shares: one pointer, so services
/// (and the request futures that hold them) stay small.
#[derive(Clone)]
pub struct Base(std::sync::Arc<Shared>);

/// What [`Base`] points to.
pub struct Shared {
    store: Store,
    /// Serialises read-modify-write state changes (alerts, recognitions,
    /// sessions) so two supervisors acting at once cannot lose one change.
    /// A std mutex: held only around the synchronous read and upsert.
    transitions: std::sync::Mutex<()>,
}

impl std::ops::Deref for Base {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

macro_rules! records_service {
    ($($(#[$doc:meta])* $name:ident => $view:ident;)+) => {
        $(
            $(#[$doc])*
            #[derive(Clone)]
            pub struct $name(Base);

            impl std::ops::Deref for $name {
                type Target = Base;
                fn deref(&self) -> &Base {
                    &self.0
                }
            }
        )+

        /// Every records service, over one store.
        #[derive(Clone)]
        pub struct Records {
            $(
                $(#[$doc])*
                pub $view: $name,
            )+
            base: Base,
        }

        impl Records {
            /// The records services over `store`.
            pub fn new(store: Store) -> Records {
                let base = Base(std::sync::Arc::new(Shared {
                    store,
                    transitions: Default::default(),
                }));
                Records {
                    $($view: $name(base.clone()),)+
                    base,
                }
            }
        }
    };
}

records_service! {
    /// Agents, teams, vendor identities and merges.
    People => people;
    /// QA forms, interactions, evaluations and customer feedback.
    Contacts => contacts;
    /// Payloads the host could not store, kept for replay.
    DeadLetters => dead_letters;
    /// Who did what.
    Audit => audit;
    /// Alerts, recognitions and coaching sessions.
    CoachingRecords => coaching;
    /// Mentor profiles, enrolments, pairings and progress reports.
    MentoringRecords => mentoring;
    /// Staffing forecasts and shifts.
    SchedulingRecords => scheduling;
}

impl Records {
    /// Make every staged write durable.
    pub async fn flush(&self) -> Result<()> {
        self.base.flush().await
    }

    /// Every stored record that does not read as its kind (written by an
    /// older build: this one refuses such writes). Listings skip them and
    /// name them in `unreadable`.
    pub fn unreadable(&self) -> Result<Vec<Unreadable>> {
        Ok(self.base.store.unreadable()?)
    }

    /// Remove an unreadable record on behalf of `actor` (audited, with
    /// the stored text); durable on return.
    pub async fn remove_unreadable(&self, kind: &str, id: &str, actor: &str) -> Result<()> {
        let removed = self.base.store.remove_unreadable(kind, id).await?;
        self.audit_unreadable("record.remove_unreadable", kind, id, removed, actor)
            .await
    }

    /// Overwrite an unreadable record with `json` (the same id, readable
    /// as its kind) on behalf of `actor` (audited, with the text it
    /// replaced); durable on return.
    pub async fn repair_unreadable(
        &self,
        kind: &str,
        id: &str,
        json: &[u8],
        actor: &str,
    ) -> Result<()> {
        let replaced = self.base.store.repair_unreadable(kind, id, json).await?;
        self.audit_unreadable("record.repair_unreadable", kind, id, replaced, actor)
            .await
    }

    /// Audit what an unreadable-record action did, or say there was no
    /// such record.
    async fn audit_unreadable(
        &self,
        action: &str,
        kind: &str,
        id: &str,
        stored: Option<String>,
        actor: &str,
    ) -> Result<()> {
        let target = format!("{kind}/{id}");
        let Some(stored) = stored else {
            return Err(RecordError::NotFound {
                kind: "unreadable record",
                id: target,
            });
        };
        self.audit
            .audit(actor, action, &target, Some(stored))
            .await?;
        Ok(())
    }
}

/// Every record a listing `list` (e.g. [`Contacts::evaluations`]) yields
/// for `base` (term and time bounds), a page of 1,000 at a time.
pub fn every<T>(base: Filter, list: impl Fn(Filter) -> Result<Page<T>>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = list(Filter {
            cursor: cursor.take(),
            limit: Some(1000),
            ..base.clone()
        })?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// The same storage seen as another service, for the few checks that cross
/// capabilities (an evaluation names an agent, a merge is audited…).
impl Base {
    fn people(&self) -> People {
        People(self.clone())
    }

    fn audit(&self) -> Audit {
        Audit(self.clone())
    }

    fn mentoring(&self) -> MentoringRecords {
        MentoringRecords(self.clone())
    }
}

impl Base {
    /// Make every staged write durable.
    pub async fn flush(&self) -> Result<()> {
        Ok(self.store.flush().await?)
    }

    async fn write<R: Record>(&self, c: &Collection, r: R) -> Result<(Upserted, R)> {
        let out = c.upsert(r)?;
        if out.0 != Upserted::Unchanged {
            self.store.flush().await?;
        }
        Ok(out)
    }

    fn get<R: Record>(&self, c: &Collection, id: &str) -> Result<R> {
        c.get(id)?.ok_or_else(|| RecordError::NotFound {
            kind: R::KIND,
            id: id.to_string(),
        })
    }

    fn list<R: Record + About>(&self, c: &Collection, f: Filter) -> Result<Page<R>> {
        if let (Some(from), Some(to)) = (f.from, f.to)
            && to <= from
        {
            return Err(invalid("to", "must be after `from`"));
        }
        let q = Query {
            term: f.term,
            from: f.from,
            to: f.to,
            cursor: f.cursor,
            limit: f.limit.unwrap_or(100),
        };
        let scope = f.scope;
        let mut page = c
            .list_where(&q, |r: &R| scope.sees(r))
            .map_err(|e| match e {
                StoreError::BadCursor => invalid(
                    "cursor",
                    "is not a cursor this server issued for this listing",
                ),
                e => e.into(),
            })?;
        if !scope.is_all() {
            // An unreadable record's owner is unknown: a scoped caller is
            // not told its id.
            page.unreadable.clear();
        }
        Ok(page)
    }

    fn agent_exists(&self, field: &str, id: &str) -> Result<Agent> {
        self.store
            .agents
            .get::<Agent>(id)?
            .ok_or_else(|| invalid(field, format!("unknown agent {id:?}")))
    }

    /// Refuse unless `id` names a person: an agent or a staff person
    /// (supervisors, coaches and mentors may be either).
    fn person_exists(&self, field: &str, id: &str) -> Result<()> {
        match self.people().person(id) {
            Err(RecordError::NotFound { .. }) => Err(invalid(
                field,
                format!("unknown person {id:?} (neither an agent nor a staff person)"),
            )),
            other => other.map(drop),
        }
    }
}

fn check_ulid_free(id: &str) -> Result<()> {
    if id.is_empty() {
        Ok(())
    } else {
        Err(invalid("id", "is assigned by the server; leave it out"))
    }
}

// ---- identities, merges and dead letters ---------------------------------------

/// Re-point every record of one kind indexed under agent `from` (`set`
/// changes its agent), a page at a time; staged, not flushed. Returns how many.
fn repoint<R: Record>(c: &Collection, from: &str, mut set: impl FnMut(&mut R)) -> Result<usize> {
    let mut moved = 0;
    loop {
        let page: Page<R> = c.list(&Query {
            term: Some(Term::Agent(from.to_string())),
            from: None,
            to: None,
            cursor: None,
            limit: 500,
        })?;
        if page.items.is_empty() {
            return Ok(moved);
        }
        for mut r in page.items {
            set(&mut r);
            c.update(r)?;
            moved += 1;
        }
    }
}

/// One vendor identity and the agent it belongs to.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct IdentityMapping {
    /// `namespace:vendor-user-id`.
    pub identity: String,
    /// The Sidecoach agent.
    pub agent_id: String,
    /// The agent's display name.
    pub agent_name: String,
}

/// What a merge moved.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct MergeReport {
    /// The agent that remains.
    pub agent: Agent,
    /// The agent merged into it (kept, with `merged_into` set).
    pub merged: String,
    /// Identities moved.
    pub identities_moved: usize,
    /// Interactions, evaluations and feedback re-pointed.
    pub records_moved: usize,
}
