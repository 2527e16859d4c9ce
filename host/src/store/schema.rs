//! The store's schema: what a stored record kind declares ([`Record`]),
//! [`Term`] — the typed index terms listings filter on, and the only place
//! a term becomes index-key bytes, so no layer above builds key strings —
//! and, for each kind, its tree, id, time and terms.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::{
    Agent, Alert, AlertState, AuditEntry, CoachingSession, DeadLetter, DeadLetterState, Evaluation,
    Feedback, Interaction, Recognition, RecognitionState, Shift, Staff, StaffingInterval,
    StoredForm, Team,
};
use crate::model::{Enrolment, MentorProfile, Pairing, PairingState, ProgressReport};

/// A stored record kind.
pub trait Record: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static {
    /// Tree name, e.g. `interactions`.
    const KIND: &'static str;
    /// The record's id (a ULID, or a natural key for forms).
    fn id(&self) -> &str;
    /// Set the id (used when an upsert resolves to an existing record).
    fn set_id(&mut self, id: String);
    /// The time it is ordered by in listings (ms since epoch).
    fn time(&self) -> i64;
    /// `(source, external id)` for vendor records.
    fn external(&self) -> Option<(&str, &str)> {
        None
    }
    /// Index terms, e.g. `Term::Agent(id)`.
    fn terms(&self) -> Vec<Term>;
    /// Terms whose value may belong to one record only (e.g. a vendor
    /// identity), checked on every write.
    fn unique_terms(&self) -> Vec<Term> {
        vec![]
    }
}

/// One index term: a way records of a kind can be listed (by agent, by
/// team, by state…). Each record declares the terms it is found under;
/// a listing scans one term between two times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// Records of an agent.
    Agent(String),
    /// Records of a team.
    Team(String),
    /// Records tagged with a topic.
    Topic(String),
    /// Evaluations of (or versions of) a form.
    Form(String),
    /// Records about an interaction.
    Interaction(String),
    /// The agent holding a vendor identity (`source:user-id`); unique.
    Identity(String),
    /// Agents, teams or alerts under a supervisor.
    Supervisor(String),
    /// An interaction's vendor id, across sources.
    External(String),
    /// Audit entries of an action (e.g. `plugin.install`).
    Action(String),
    /// Audit entries about a target (e.g. a plugin id).
    Target(String),
    /// Dead letters of a source.
    Source(String),
    /// Records in a state (alerts, dead letters, recognitions…).
    State(String),
    /// Sessions run by a coach.
    Coach(String),
    /// Sessions a person observes.
    Observer(String),
    /// Sessions of a coaching strategy (`role-play`…).
    Strategy(String),
    /// Pairings and reports of a protégé.
    Protege(String),
    /// Pairings of a mentor.
    Mentor(String),
    /// Staffing intervals and shifts of a queue.
    Queue(String),
    /// Records about an alert.
    Alert(String),
    /// Records about an evaluation.
    Evaluation(String),
    /// Records about a pairing.
    Pairing(String),
    /// Dead letters of one request digest; unique.
    Digest(String),
    /// Alerts or recognitions raised for a record by a rule; unique.
    Raised(String),
    /// Dead letters of a source in a state.
    SourceState(String, String),
    /// Alerts or recognitions of a team in a state.
    TeamState(String, String),
    /// Alerts of a supervisor's teams in a state.
    SupervisorState(String, String),
    /// Pairings of a mentor in a state.
    MentorState(String, String),
    /// Pairings of a protégé in a state.
    ProtegeState(String, String),
    /// Every open or acknowledged alert, by deadline.
    PendingAll,
    /// Open or acknowledged alerts of an agent, by deadline.
    PendingAgent(String),
    /// Open or acknowledged alerts of a team, by deadline.
    PendingTeam(String),
    /// Open or acknowledged alerts of a supervisor's teams, by deadline.
    PendingSupervisor(String),
    /// Every record of the kind (time order).
    All,
}

impl Term {
    /// The term's name in the index key (stable: it is on disk).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Term::Agent(_) => "agent",
            Term::Team(_) => "team",
            Term::Topic(_) => "topic",
            Term::Form(_) => "form",
            Term::Interaction(_) => "interaction",
            Term::Identity(_) => "identity",
            Term::Supervisor(_) => "supervisor",
            Term::External(_) => "external",
            Term::Action(_) => "action",
            Term::Target(_) => "target",
            Term::Source(_) => "source",
            Term::State(_) => "state",
            Term::Coach(_) => "coach",
            Term::Observer(_) => "observer",
            Term::Strategy(_) => "strategy",
            Term::Protege(_) => "protege",
            Term::Mentor(_) => "mentor",
            Term::Queue(_) => "queue",
            Term::Alert(_) => "alert",
            Term::Evaluation(_) => "evaluation",
            Term::Pairing(_) => "pairing",
            Term::Digest(_) => "digest",
            Term::Raised(_) => "raised",
            Term::SourceState(..) => "source_state",
            Term::TeamState(..) => "team_state",
            Term::SupervisorState(..) => "supervisor_state",
            Term::MentorState(..) => "mentor_state",
            Term::ProtegeState(..) => "protege_state",
            Term::PendingAll
            | Term::PendingAgent(_)
            | Term::PendingTeam(_)
            | Term::PendingSupervisor(_) => "pending",
            Term::All => "all",
        }
    }

    /// The term's value in the index key (stable: it is on disk).
    pub(crate) fn value(&self) -> String {
        match self {
            Term::Agent(v)
            | Term::Team(v)
            | Term::Topic(v)
            | Term::Form(v)
            | Term::Interaction(v)
            | Term::Identity(v)
            | Term::Supervisor(v)
            | Term::External(v)
            | Term::Action(v)
            | Term::Target(v)
            | Term::Source(v)
            | Term::State(v)
            | Term::Coach(v)
            | Term::Observer(v)
            | Term::Strategy(v)
            | Term::Protege(v)
            | Term::Mentor(v)
            | Term::Queue(v)
            | Term::Alert(v)
            | Term::Evaluation(v)
            | Term::Pairing(v)
            | Term::Digest(v)
            | Term::Raised(v) => v.clone(),
            Term::SourceState(a, b)
            | Term::TeamState(a, b)
            | Term::SupervisorState(a, b)
            | Term::MentorState(a, b)
            | Term::ProtegeState(a, b) => format!("{a}/{b}"),
            Term::PendingAll => "all".into(),
            Term::PendingAgent(v) => format!("agent:{v}"),
            Term::PendingTeam(v) => format!("team:{v}"),
            Term::PendingSupervisor(v) => format!("supervisor:{v}"),
            Term::All => String::new(),
        }
    }
}

fn opt(term: fn(String) -> Term, v: &Option<String>) -> Option<Term> {
    v.as_ref().map(|v| term(v.clone()))
}

impl Record for Agent {
    const KIND: &'static str = "agents";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.created_at
    }
    fn terms(&self) -> Vec<Term> {
        [
            opt(Term::Team, &self.team_id),
            opt(Term::Supervisor, &self.supervisor_id),
            opt(Term::Coach, &self.coach_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
    fn unique_terms(&self) -> Vec<Term> {
        self.identities
            .iter()
            .map(|i| Term::Identity(i.clone()))
            .collect()
    }
}

impl Record for Team {
    const KIND: &'static str = "teams";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.created_at
    }
    fn terms(&self) -> Vec<Term> {
        opt(Term::Supervisor, &self.supervisor_id)
            .into_iter()
            .collect()
    }
}

impl Record for Staff {
    const KIND: &'static str = "staff";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.created_at
    }
    fn terms(&self) -> Vec<Term> {
        Vec::new()
    }
}

impl Record for Interaction {
    const KIND: &'static str = "interactions";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.started_at.unwrap_or(self.received_at)
    }
    fn external(&self) -> Option<(&str, &str)> {
        Some((&self.source, &self.external_id))
    }
    fn terms(&self) -> Vec<Term> {
        let mut t: Vec<_> = [
            opt(Term::Agent, &self.agent_id),
            opt(Term::Team, &self.team_id),
        ]
        .into_iter()
        .flatten()
        .collect();
        t.extend(self.topics.iter().map(|x| Term::Topic(x.clone())));
        // The vendor id across sources: feedback from a survey tool names
        // the contact the telephony source stored.
        t.push(Term::External(self.external_id.clone()));
        t
    }
}

impl Record for Evaluation {
    const KIND: &'static str = "evaluations";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.evaluated_at
    }
    fn external(&self) -> Option<(&str, &str)> {
        Some((&self.source, &self.external_id))
    }
    fn terms(&self) -> Vec<Term> {
        let mut t = vec![
            Term::Agent(self.agent_id.clone()),
            Term::Form(self.form_id.clone()),
        ];
        t.extend(opt(Term::Team, &self.team_id));
        t.extend(opt(Term::Interaction, &self.interaction_id));
        t
    }
}

impl Record for Feedback {
    const KIND: &'static str = "feedback";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.received_at
    }
    fn external(&self) -> Option<(&str, &str)> {
        Some((&self.source, &self.external_id))
    }
    fn terms(&self) -> Vec<Term> {
        let mut t: Vec<_> = [
            opt(Term::Agent, &self.agent_id),
            opt(Term::Team, &self.team_id),
            opt(Term::Interaction, &self.interaction_id),
        ]
        .into_iter()
        .flatten()
        .collect();
        t.extend(self.topics.iter().map(|x| Term::Topic(x.clone())));
        t
    }
}

impl Record for StoredForm {
    const KIND: &'static str = "forms";
    fn id(&self) -> &str {
        &self.key
    }
    fn set_id(&mut self, _id: String) {}
    fn time(&self) -> i64 {
        i64::from(self.form.version)
    }
    fn terms(&self) -> Vec<Term> {
        vec![Term::Form(self.form.id.clone())]
    }
}

impl Record for AuditEntry {
    const KIND: &'static str = "audit";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.at
    }
    fn terms(&self) -> Vec<Term> {
        let mut terms = vec![
            Term::Action(self.action.clone()),
            Term::Target(self.target.clone()),
        ];
        terms.extend(self.agents.iter().cloned().map(Term::Agent));
        terms.extend(self.teams.iter().cloned().map(Term::Team));
        terms
    }
}

impl Record for DeadLetter {
    const KIND: &'static str = "dead_letters";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.failed_at
    }
    fn terms(&self) -> Vec<Term> {
        let state = match self.state {
            DeadLetterState::Open => "open",
            DeadLetterState::Resolved => "resolved",
        };
        vec![
            Term::Source(self.source.clone()),
            Term::State(state.to_string()),
            Term::SourceState(self.source.clone(), state.into()),
            Term::Digest(self.digest.clone()),
        ]
    }
}

/// An alert's state as an index value.
pub fn alert_state(s: AlertState) -> &'static str {
    match s {
        AlertState::Open => "open",
        AlertState::Acknowledged => "acknowledged",
        AlertState::Coached => "coached",
        AlertState::Dismissed => "dismissed",
    }
}

/// Alerts are listed in deadline order (`coach_by`), so "overdue" is a
/// range scan of the `pending` term up to now. The external key
/// (`flag`, `rule/subject/id`) makes a redelivered event raise nothing new.
impl Record for Alert {
    const KIND: &'static str = "alerts";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.coach_by
    }
    fn terms(&self) -> Vec<Term> {
        let state = alert_state(self.state);
        let mut t = vec![
            Term::Agent(self.agent_id.clone()),
            Term::State(state.into()),
        ];
        t.extend(opt(Term::Team, &self.team_id));
        t.extend(opt(Term::Supervisor, &self.supervisor_id));
        if let Some(team) = &self.team_id {
            t.push(Term::TeamState(team.clone(), state.into()));
        }
        if let Some(sup) = &self.supervisor_id {
            t.push(Term::SupervisorState(sup.clone(), state.into()));
        }
        if self.pending() {
            t.push(Term::PendingAll);
            t.push(Term::PendingAgent(self.agent_id.clone()));
            if let Some(team) = &self.team_id {
                t.push(Term::PendingTeam(team.clone()));
            }
            if let Some(sup) = &self.supervisor_id {
                t.push(Term::PendingSupervisor(sup.clone()));
            }
        }
        t.extend(opt(Term::Interaction, &self.interaction_id));
        t
    }
    fn unique_terms(&self) -> Vec<Term> {
        vec![Term::Raised(self.dedup_key())]
    }
}

impl Record for Recognition {
    const KIND: &'static str = "recognitions";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.raised_at
    }
    fn terms(&self) -> Vec<Term> {
        let state = match self.state {
            RecognitionState::Open => "open",
            RecognitionState::Acknowledged => "acknowledged",
        };
        let mut t = vec![
            Term::Agent(self.agent_id.clone()),
            Term::State(state.into()),
        ];
        if let Some(team) = &self.team_id {
            t.push(Term::Team(team.clone()));
            t.push(Term::TeamState(team.clone(), state.into()));
        }
        t
    }
    fn unique_terms(&self) -> Vec<Term> {
        vec![Term::Evaluation(self.evaluation_id.clone())]
    }
}

impl Record for CoachingSession {
    const KIND: &'static str = "sessions";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.scheduled_at
    }
    fn terms(&self) -> Vec<Term> {
        let mut t = vec![
            Term::Agent(self.agent_id.clone()),
            Term::Coach(self.coach_id.clone()),
        ];
        t.extend(self.observers.iter().map(|o| Term::Observer(o.clone())));
        t.extend(self.alert_ids.iter().map(|a| Term::Alert(a.clone())));
        t.extend(self.strategy.map(|s| Term::Strategy(s.as_str().into())));
        t
    }
}

impl Record for StaffingInterval {
    const KIND: &'static str = "staffing";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.starts_at
    }
    fn terms(&self) -> Vec<Term> {
        vec![Term::Queue(self.queue.clone())]
    }
}

/// A shift is keyed by agent and start: re-sending a roster replaces it.
impl Record for Shift {
    const KIND: &'static str = "shifts";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.start
    }
    fn terms(&self) -> Vec<Term> {
        vec![
            Term::Agent(self.agent_id.clone()),
            Term::Queue(self.queue.clone()),
        ]
    }
}

/// A mentor profile is keyed by its agent: one per agent.
impl Record for MentorProfile {
    const KIND: &'static str = "mentors";
    fn id(&self) -> &str {
        &self.agent_id
    }
    fn set_id(&mut self, _id: String) {}
    fn time(&self) -> i64 {
        self.opted_in_at
    }
    fn terms(&self) -> Vec<Term> {
        Vec::new()
    }
}

/// An enrolment is keyed by its agent: one per agent.
impl Record for Enrolment {
    const KIND: &'static str = "enrolments";
    fn id(&self) -> &str {
        &self.agent_id
    }
    fn set_id(&mut self, _id: String) {}
    fn time(&self) -> i64 {
        self.acknowledged_at
    }
    fn terms(&self) -> Vec<Term> {
        Vec::new()
    }
}

/// A pairing's state as an index value.
pub fn pairing_state(s: PairingState) -> &'static str {
    match s {
        PairingState::Proposed => "proposed",
        PairingState::Offered => "offered",
        PairingState::Accepted => "accepted",
        PairingState::Active => "active",
        PairingState::Ended => "ended",
    }
}

impl Record for Pairing {
    const KIND: &'static str = "pairings";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.updated_at
    }
    fn terms(&self) -> Vec<Term> {
        let state = pairing_state(self.state);
        vec![
            Term::Protege(self.protege_id.clone()),
            Term::Mentor(self.mentor_id.clone()),
            Term::State(state.into()),
            Term::MentorState(self.mentor_id.clone(), state.into()),
            Term::ProtegeState(self.protege_id.clone(), state.into()),
        ]
    }
}

impl Record for ProgressReport {
    const KIND: &'static str = "progress_reports";
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn time(&self) -> i64 {
        self.filed_at
    }
    fn terms(&self) -> Vec<Term> {
        vec![
            Term::Protege(self.protege_id.clone()),
            Term::Mentor(self.mentor_id.clone()),
            Term::Pairing(self.pairing_id.clone()),
        ]
    }
}
