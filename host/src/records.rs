//! The coaching records service: validation, server-set fields and
//! idempotent writes for agents, teams, forms, interactions, evaluations and
//! feedback. Speaks model types; writes through the store and returns only
//! after the write is durable.

use crate::clock::now_ms;
use crate::model::{
    Agent, AnswerValue, AuditEntry, DeadLetter, DeadLetterState, Evaluation, Feedback, Form,
    Interaction, StoredForm, Team, TimestampMs,
};
use crate::store::{Collection, Query, Record, Store, StoreError, WriteError};
/// The listing and write types callers of the services see.
pub use crate::store::{Page, Term, Upserted};

mod coaching;
mod mentoring;
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
    #[error("{kind} {id} not found")]
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
}

type Result<T> = std::result::Result<T, RecordError>;

fn invalid(field: impl Into<String>, message: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

impl From<WriteError> for RecordError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Conflict { term, value, owner } => {
                RecordError::Conflict(format!("{term} {value:?} already belongs to {owner}"))
            }
            WriteError::NotFound(id) => RecordError::NotFound { kind: "record", id },
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

/// The records service.
#[derive(Clone)]
pub struct Records {
    store: Store,
    /// Serialises read-modify-write state changes (alerts, recognitions,
    /// sessions) so two supervisors acting at once cannot lose one change.
    /// A std mutex: held only around the synchronous read and upsert.
    transitions: std::sync::Arc<std::sync::Mutex<()>>,
}

fn check_ulid_free(id: &str) -> Result<()> {
    if id.is_empty() {
        Ok(())
    } else {
        Err(invalid("id", "is assigned by the server; leave it out"))
    }
}

fn finite(field: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(field, "must be a finite number"))
    }
}

impl Records {
    /// Records kept in `store`.
    pub fn new(store: Store) -> Records {
        Records {
            store,
            transitions: Default::default(),
        }
    }

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

    fn list<R: Record>(&self, c: &Collection, f: Filter) -> Result<Page<R>> {
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
        c.list(&q).map_err(|e| match e {
            StoreError::BadCursor => invalid(
                "cursor",
                "is not a cursor this server issued for this listing",
            ),
            e => e.into(),
        })
    }

    /// Every record a listing (`list`, e.g. [`Records::evaluations`])
    /// yields for `base` (term and time bounds), a page of 1,000 at a time.
    pub fn every<T>(
        &self,
        base: Filter,
        list: impl Fn(Filter) -> Result<Page<T>>,
    ) -> Result<Vec<T>> {
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

    fn agent_exists(&self, field: &str, id: &str) -> Result<Agent> {
        self.store
            .agents
            .get::<Agent>(id)?
            .ok_or_else(|| invalid(field, format!("unknown agent {id:?}")))
    }

    // ---- agents ------------------------------------------------------------

    fn check_agent(&self, a: &Agent) -> Result<()> {
        if a.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        for (i, ident) in a.identities.iter().enumerate() {
            match ident.split_once(':') {
                Some((s, u)) if !s.is_empty() && !u.is_empty() => {}
                _ => {
                    return Err(invalid(
                        format!("identities[{i}]"),
                        format!("{ident:?} is not `source:user-id`"),
                    ));
                }
            }
        }
        if let Some(t) = &a.team_id
            && self.store.teams.get::<Team>(t)?.is_none()
        {
            return Err(invalid("team_id", format!("unknown team {t:?}")));
        }
        if let Some(s) = &a.supervisor_id {
            self.agent_exists("supervisor_id", s)?;
        }
        Ok(())
    }

    /// Create an agent.
    pub async fn create_agent(&self, mut a: Agent) -> Result<Agent> {
        check_ulid_free(&a.id)?;
        self.check_agent(&a)?;
        a.id = crate::model::new_id();
        a.created_at = now_ms();
        Ok(self.write(&self.store.agents, a).await?.1)
    }

    /// Replace an agent's fields (id and creation time are kept).
    pub async fn update_agent(&self, id: &str, mut a: Agent) -> Result<Agent> {
        let old: Agent = self.get(&self.store.agents, id)?;
        self.check_agent(&a)?;
        a.id = old.id;
        a.created_at = old.created_at;
        Ok(self.write(&self.store.agents, a).await?.1)
    }

    /// One agent.
    pub fn agent(&self, id: &str) -> Result<Agent> {
        self.get(&self.store.agents, id)
    }

    /// The agent holding a vendor identity (`source:user-id`).
    pub fn agent_by_identity(&self, identity: &str) -> Result<Option<Agent>> {
        match self
            .store
            .agents
            .owner_of(&Term::Identity(identity.to_string()))?
        {
            Some(id) => Ok(self.store.agents.get(&id)?),
            None => Ok(None),
        }
    }

    /// A page of agents.
    pub fn agents(&self, f: Filter) -> Result<Page<Agent>> {
        self.list(&self.store.agents, f)
    }

    // ---- teams -------------------------------------------------------------

    fn check_team(&self, t: &Team) -> Result<()> {
        if t.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        if let Some(s) = &t.supervisor_id {
            self.agent_exists("supervisor_id", s)?;
        }
        let tg = &t.targets;
        for (field, v, lo, hi) in [
            ("targets.qa_percent", tg.qa_percent, 0.0, 100.0),
            ("targets.csat", tg.csat, 1.0, 5.0),
            ("targets.nps", tg.nps, -100.0, 100.0),
            ("targets.aht_seconds", tg.aht_seconds, 0.0, 86_400.0),
        ] {
            if let Some(v) = v
                && !(lo..=hi).contains(&v)
            {
                return Err(invalid(field, format!("{v} is outside {lo}..{hi}")));
            }
        }
        Ok(())
    }

    /// Create a team.
    pub async fn create_team(&self, mut t: Team) -> Result<Team> {
        check_ulid_free(&t.id)?;
        self.check_team(&t)?;
        t.id = crate::model::new_id();
        t.created_at = now_ms();
        Ok(self.write(&self.store.teams, t).await?.1)
    }

    /// Replace a team's fields.
    pub async fn update_team(&self, id: &str, mut t: Team) -> Result<Team> {
        let old: Team = self.get(&self.store.teams, id)?;
        self.check_team(&t)?;
        t.id = old.id;
        t.created_at = old.created_at;
        Ok(self.write(&self.store.teams, t).await?.1)
    }

    /// One team.
    pub fn team(&self, id: &str) -> Result<Team> {
        self.get(&self.store.teams, id)
    }

    /// A page of teams.
    pub fn teams(&self, f: Filter) -> Result<Page<Team>> {
        self.list(&self.store.teams, f)
    }

    // ---- forms -------------------------------------------------------------

    fn check_form(form: &Form) -> Result<()> {
        if form.id.is_empty()
            || !form
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid("id", "must be letters, digits, - and _"));
        }
        if form.sections.is_empty() {
            return Err(invalid("sections", "a form needs at least one section"));
        }
        let mut seen = std::collections::HashSet::new();
        for (si, s) in form.sections.iter().enumerate() {
            finite(&format!("sections[{si}].weight"), s.weight)?;
            if s.weight < 0.0 {
                return Err(invalid(
                    format!("sections[{si}].weight"),
                    "must not be negative",
                ));
            }
            for (ci, c) in s.criteria.iter().enumerate() {
                let at = |f: &str| format!("sections[{si}].criteria[{ci}].{f}");
                if !seen.insert(c.id.as_str()) {
                    return Err(invalid(
                        at("id"),
                        format!("criterion id {:?} is used twice", c.id),
                    ));
                }
                for (f, v) in [
                    ("weight", c.weight),
                    ("scale_min", c.scale_min),
                    ("scale_max", c.scale_max),
                ] {
                    finite(&at(f), v)?;
                }
                if c.scale_max <= c.scale_min {
                    return Err(invalid(at("scale_max"), "must be greater than scale_min"));
                }
                if c.weight < 0.0 {
                    return Err(invalid(at("weight"), "must not be negative"));
                }
            }
        }
        let st = &form.settings;
        if !(0.0..=100.0).contains(&st.pass_mark) {
            return Err(invalid("settings.pass_mark", "must be within 0..100"));
        }
        if let Some(t) = st.critical_threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(invalid(
                "settings.critical_threshold",
                "must be within 0..1",
            ));
        }
        Ok(())
    }

    /// Store a new version of a form; the version must be higher than any
    /// stored one.
    pub async fn create_form(&self, form: Form) -> Result<StoredForm> {
        Self::check_form(&form)?;
        if let Some(latest) = self.latest_form(&form.id)?
            && form.version <= latest.form.version
        {
            return Err(RecordError::Conflict(format!(
                "form {} already has version {}; a new version must be higher",
                form.id, latest.form.version
            )));
        }
        Ok(self
            .write(&self.store.forms, StoredForm::new(form, now_ms()))
            .await?
            .1)
    }

    fn latest_form(&self, id: &str) -> Result<Option<StoredForm>> {
        Ok(self.store.forms.last(&Term::Form(id.to_string()))?)
    }

    /// A form version, or the latest.
    pub fn form(&self, id: &str, version: Option<u32>) -> Result<StoredForm> {
        let found = match version {
            Some(v) => self.store.forms.get(&StoredForm::key_of(id, v))?,
            None => self.latest_form(id)?,
        };
        found.ok_or_else(|| RecordError::NotFound {
            kind: "form",
            id: version.map_or(id.to_string(), |v| format!("{id} version {v}")),
        })
    }

    /// A page of form versions.
    pub fn forms(&self, f: Filter) -> Result<Page<StoredForm>> {
        self.list(&self.store.forms, f)
    }

    // ---- interactions --------------------------------------------------------

    fn check_source(source: &str, external_id: &str) -> Result<()> {
        if source.trim().is_empty() {
            return Err(invalid("source", "must not be empty"));
        }
        if external_id.trim().is_empty() {
            return Err(invalid("external_id", "must not be empty"));
        }
        Ok(())
    }

    /// Validate and write an interaction without flushing: for a batch that
    /// flushes once ([`Records::flush`]) before it is acknowledged.
    pub fn stage_interaction(
        &self,
        mut i: Interaction,
        id: Option<&str>,
    ) -> Result<(Upserted, Interaction)> {
        Self::check_source(&i.source, &i.external_id)?;
        if let (Some(s), Some(e)) = (i.started_at, i.ended_at)
            && e < s
        {
            return Err(invalid("ended_at", "is before started_at"));
        }
        if let Some(s) = &i.sentiment {
            for (f, v) in [
                ("customer", s.customer),
                ("agent", s.agent),
                ("customer_final_quarter", s.customer_final_quarter),
            ] {
                if let Some(v) = v
                    && !(-5.0..=5.0).contains(&v)
                {
                    return Err(invalid(
                        format!("sentiment.{f}"),
                        format!("{v} is outside -5..5"),
                    ));
                }
            }
        }
        i.team_id = match &i.agent_id {
            Some(a) => self.agent_exists("agent_id", a)?.team_id,
            None => None,
        };
        let existing = self.resolve::<Interaction>(
            &self.store.interactions,
            &i.source,
            &i.external_id,
            &mut i.id,
            id,
        )?;
        i.received_at = existing.map_or_else(now_ms, |e| e.received_at);
        Ok(self.store.interactions.upsert(i)?)
    }

    /// Settle the id of a vendor record: the stored one for its external
    /// key, the path id for an update, or a new one.
    fn resolve<R: Record>(
        &self,
        c: &Collection,
        source: &str,
        external_id: &str,
        id: &mut String,
        path_id: Option<&str>,
    ) -> Result<Option<R>> {
        let by_ext = c.id_for_external(source, external_id)?;
        match path_id {
            Some(p) => {
                let existing: R = self.get(c, p)?;
                if let Some(other) = by_ext.filter(|o| o != p) {
                    return Err(RecordError::Conflict(format!(
                        "({source}, {external_id}) already belongs to {other}"
                    )));
                }
                if !id.is_empty() && id != p {
                    return Err(invalid("id", "does not match the path"));
                }
                *id = p.to_string();
                Ok(Some(existing))
            }
            None => {
                check_ulid_free(id)?;
                match by_ext {
                    Some(existing) => {
                        *id = existing.clone();
                        Ok(c.get(&existing)?)
                    }
                    None => {
                        *id = crate::model::new_id();
                        Ok(None)
                    }
                }
            }
        }
    }

    /// One interaction.
    pub fn interaction(&self, id: &str) -> Result<Interaction> {
        self.get(&self.store.interactions, id)
    }

    /// A page of interactions.
    pub fn interactions(&self, f: Filter) -> Result<Page<Interaction>> {
        self.list(&self.store.interactions, f)
    }

    // ---- evaluations ---------------------------------------------------------

    /// Validate and write an evaluation without flushing: for a batch that
    /// flushes once ([`Records::flush`]) before it is acknowledged.
    pub fn stage_evaluation(
        &self,
        mut e: Evaluation,
        id: Option<&str>,
    ) -> Result<(Upserted, Evaluation)> {
        Self::check_source(&e.source, &e.external_id)?;
        e.team_id = self.agent_exists("agent_id", &e.agent_id)?.team_id;
        if let Some(i) = &e.interaction_id
            && self.store.interactions.get::<Interaction>(i)?.is_none()
        {
            return Err(invalid(
                "interaction_id",
                format!("unknown interaction {i:?}"),
            ));
        }
        if e.scorecard.is_some() || e.score_error.is_some() {
            return Err(invalid(
                if e.scorecard.is_some() {
                    "scorecard"
                } else {
                    "score_error"
                },
                "is computed by the scorer; leave it out",
            ));
        }
        let form = self
            .form(&e.form_id, (e.form_version != 0).then_some(e.form_version))
            .map_err(|_| {
                invalid(
                    "form_id",
                    format!("unknown form {:?} (version {})", e.form_id, e.form_version),
                )
            })?;
        e.form_version = form.form.version;
        let mut seen = std::collections::HashSet::new();
        for (k, a) in e.answers.iter().enumerate() {
            let Some(c) = form
                .form
                .sections
                .iter()
                .flat_map(|s| &s.criteria)
                .find(|c| c.id == a.criterion_id)
            else {
                return Err(invalid(
                    format!("answers[{k}].criterion_id"),
                    format!("form {} has no criterion {:?}", e.form_id, a.criterion_id),
                ));
            };
            if !seen.insert(a.criterion_id.as_str()) {
                return Err(invalid(
                    format!("answers[{k}].criterion_id"),
                    format!("criterion {:?} is answered twice", a.criterion_id),
                ));
            }
            if let AnswerValue::Score(v) = a.value
                && !(v.is_finite() && (c.scale_min..=c.scale_max).contains(&v))
            {
                return Err(invalid(
                    format!("answers[{k}].value"),
                    format!("{v} is outside the scale {}..{}", c.scale_min, c.scale_max),
                ));
            }
        }
        if e.evaluated_at == 0 {
            e.evaluated_at = now_ms();
        }
        let existing = self.resolve::<Evaluation>(
            &self.store.evaluations,
            &e.source,
            &e.external_id,
            &mut e.id,
            id,
        )?;
        if let Some(old) = existing {
            // A redelivery keeps the score computed for the same answers.
            if old.answers == e.answers && old.form_version == e.form_version {
                e.scorecard = old.scorecard;
                e.score_error = old.score_error;
            }
        }
        Ok(self.store.evaluations.upsert(e)?)
    }

    /// One evaluation.
    pub fn evaluation(&self, id: &str) -> Result<Evaluation> {
        self.get(&self.store.evaluations, id)
    }

    /// A page of evaluations.
    pub fn evaluations(&self, f: Filter) -> Result<Page<Evaluation>> {
        self.list(&self.store.evaluations, f)
    }

    // ---- feedback ------------------------------------------------------------

    /// Validate and write feedback without flushing: for a batch that
    /// flushes once ([`Records::flush`]) before it is acknowledged.
    pub fn stage_feedback(
        &self,
        mut f: Feedback,
        id: Option<&str>,
    ) -> Result<(Upserted, Feedback)> {
        Self::check_source(&f.source, &f.external_id)?;
        for (field, v) in [
            ("value", f.value),
            ("scale_min", f.scale_min),
            ("scale_max", f.scale_max),
        ] {
            finite(field, v)?;
        }
        if f.scale_max <= f.scale_min {
            return Err(invalid("scale_max", "must be greater than scale_min"));
        }
        if !(f.scale_min..=f.scale_max).contains(&f.value) {
            return Err(invalid(
                "value",
                format!(
                    "{} is outside the scale {}..{}",
                    f.value, f.scale_min, f.scale_max
                ),
            ));
        }
        f.team_id = match &f.agent_id {
            Some(a) => self.agent_exists("agent_id", a)?.team_id,
            None => None,
        };
        if let Some(i) = &f.interaction_id
            && self.store.interactions.get::<Interaction>(i)?.is_none()
        {
            return Err(invalid(
                "interaction_id",
                format!("unknown interaction {i:?}"),
            ));
        }
        let existing = self.resolve::<Feedback>(
            &self.store.feedback,
            &f.source,
            &f.external_id,
            &mut f.id,
            id,
        )?;
        if f.received_at == 0 {
            f.received_at = existing.map_or_else(now_ms, |e| e.received_at);
        }
        Ok(self.store.feedback.upsert(f)?)
    }

    /// One feedback record.
    pub fn feedback(&self, id: &str) -> Result<Feedback> {
        self.get(&self.store.feedback, id)
    }

    /// A page of feedback.
    pub fn feedback_list(&self, f: Filter) -> Result<Page<Feedback>> {
        self.list(&self.store.feedback, f)
    }

    // ---- audit ---------------------------------------------------------------

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

impl Records {
    /// The agent owning `identity`, creating one on first sight (named
    /// `name`, or the vendor id until a vendor event names it). Staged, not
    /// flushed. Two deliveries racing on a new identity end with one agent.
    pub fn stage_agent_for_identity(
        &self,
        identity: &str,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<(Agent, bool)> {
        if let Some(a) = self.agent_by_identity(identity)? {
            return Ok((a, false));
        }
        let vendor_id = identity.split_once(':').map_or(identity, |(_, v)| v);
        let agent = Agent {
            id: crate::model::new_id(),
            name: name.unwrap_or(vendor_id).to_string(),
            email: email.map(str::to_string),
            team_id: None,
            supervisor_id: None,
            identities: vec![identity.to_string()],
            created_at: now_ms(),
            merged_into: None,
        };
        match self.store.agents.upsert(agent) {
            Ok((_, a)) => Ok((a, true)),
            // Another delivery created it first.
            Err(WriteError::Conflict { owner, .. }) => {
                Ok((self.get(&self.store.agents, &owner)?, false))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Fill an agent's name and email from a vendor event where they are
    /// still unknown (the name is the vendor id it was created with).
    /// Staged, not flushed. Returns whether anything changed.
    pub fn stage_agent_details(
        &self,
        agent: &Agent,
        identity: &str,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<bool> {
        let vendor_id = identity.split_once(':').map_or(identity, |(_, v)| v);
        let mut next = agent.clone();
        if let Some(n) = name.filter(|n| !n.trim().is_empty())
            && agent.name == vendor_id
        {
            next.name = n.to_string();
        }
        if agent.email.is_none() {
            next.email = email.map(str::to_string);
        }
        if next == *agent {
            return Ok(false);
        }
        self.store.agents.update(next)?;
        Ok(true)
    }

    /// The stored interaction a vendor id names: this source's first, then
    /// any source's (a survey names the contact the telephony source sent).
    pub fn interaction_for_external(
        &self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<Interaction>> {
        match self.interaction_by_key(source, external_id)? {
            Some(i) => Ok(Some(i)),
            None => Ok(self
                .store
                .interactions
                .last(&Term::External(external_id.to_string()))?),
        }
    }

    /// The interaction stored under `(source, external_id)`, if any.
    pub fn interaction_by_key(
        &self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<Interaction>> {
        match self
            .store
            .interactions
            .id_for_external(source, external_id)?
        {
            Some(id) => Ok(self.store.interactions.get(&id)?),
            None => Ok(None),
        }
    }

    /// Vendor identities with their agents, a page of agents at a time;
    /// `identity` narrows to one.
    pub fn identities(
        &self,
        identity: Option<&str>,
        f: Filter,
    ) -> Result<(Vec<IdentityMapping>, Option<String>)> {
        let map = |a: &Agent, only: Option<&str>| -> Vec<IdentityMapping> {
            a.identities
                .iter()
                .filter(|i| only.is_none_or(|o| o == i.as_str()))
                .map(|i| IdentityMapping {
                    identity: i.clone(),
                    agent_id: a.id.clone(),
                    agent_name: a.name.clone(),
                })
                .collect()
        };
        if let Some(identity) = identity {
            return Ok((
                self.agent_by_identity(identity)?
                    .map(|a| map(&a, Some(identity)))
                    .unwrap_or_default(),
                None,
            ));
        }
        let page = self.agents(f)?;
        Ok((
            page.items.iter().flat_map(|a| map(a, None)).collect(),
            page.next_cursor,
        ))
    }

    /// Merge agent `from` into agent `into`: `from`'s identities move to
    /// `into` (in one transaction), then its interactions, evaluations and
    /// feedback are re-pointed; `from` stays, marked `merged_into`. Running
    /// it again finishes a merge a crash interrupted. Durable on return.
    pub async fn merge_agents(&self, into: &str, from: &str, actor: &str) -> Result<MergeReport> {
        if into == from {
            return Err(invalid("from", "cannot merge an agent into itself"));
        }
        let mut target = self.agent(into)?;
        if target.merged_into.is_some() {
            return Err(invalid(
                "id",
                format!("agent {into} was itself merged; merge into the agent it was merged into"),
            ));
        }
        let mut source = self.agent(from)?;
        if let Some(other) = source.merged_into.as_deref().filter(|o| *o != into) {
            return Err(RecordError::Conflict(format!(
                "agent {from} was already merged into {other}"
            )));
        }
        let moved = std::mem::take(&mut source.identities);
        let identities_moved = moved.len();
        for i in moved {
            if !target.identities.contains(&i) {
                target.identities.push(i);
            }
        }
        source.merged_into = Some(into.to_string());
        if target.email.is_none() {
            target.email = source.email.clone();
        }
        self.store
            .agents
            .upsert_all(vec![source.clone(), target.clone()])?;
        self.store.flush().await?;

        let team = target.team_id.clone();
        let records_moved = repoint::<Interaction>(&self.store.interactions, from, |r| {
            r.agent_id = Some(into.to_string());
            r.team_id = team.clone();
        })? + repoint::<Evaluation>(&self.store.evaluations, from, |r| {
            r.agent_id = into.to_string();
            r.team_id = team.clone();
        })? + repoint::<Feedback>(&self.store.feedback, from, |r| {
            r.agent_id = Some(into.to_string());
            r.team_id = team.clone();
        })?;
        self.store.flush().await?;
        let detail =
            format!("merged {from} ({identities_moved} identities, {records_moved} records)");
        self.audit(actor, "agent.merge", into, Some(detail)).await?;
        Ok(MergeReport {
            agent: target,
            merged: from.to_string(),
            identities_moved,
            records_moved,
        })
    }

    /// Keep a dead letter, or count another delivery of an open one with the
    /// same source and body. Durable on return.
    pub async fn put_dead_letter(&self, d: DeadLetter) -> Result<DeadLetter> {
        Ok(self.write(&self.store.dead_letters, d).await?.1)
    }

    /// Update a dead letter after a replay. Staged, not flushed.
    pub fn stage_dead_letter(&self, d: DeadLetter) -> Result<DeadLetter> {
        Ok(self.store.dead_letters.update(d)?.1)
    }

    /// The open dead letter of `source` holding exactly `digest`'s body.
    pub fn open_dead_letter_with(&self, digest: &str) -> Result<Option<DeadLetter>> {
        Ok(self
            .store
            .dead_letters
            .last::<DeadLetter>(&Term::Digest(digest.to_string()))?
            .filter(|d| d.state == DeadLetterState::Open))
    }

    /// One dead letter.
    pub fn dead_letter(&self, id: &str) -> Result<DeadLetter> {
        self.get(&self.store.dead_letters, id)
    }

    /// A page of dead letters.
    pub fn dead_letters(&self, f: Filter) -> Result<Page<DeadLetter>> {
        self.list(&self.store.dead_letters, f)
    }
}
