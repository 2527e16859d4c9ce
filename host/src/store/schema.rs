//! The store's schema: how each record kind is keyed and which
//! [`Term`]s it is indexed under.

use super::collection::Record;
use super::term::Term;
use crate::model::{
    Agent, Alert, AlertState, AuditEntry, CoachingSession, DeadLetter, DeadLetterState, Evaluation,
    Feedback, Interaction, Recognition, RecognitionState, Shift, StaffingInterval, StoredForm,
    Team,
};
use crate::model::{Enrolment, MentorProfile, Pairing, PairingState, ProgressReport};

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
        vec![
            Term::Action(self.action.clone()),
            Term::Target(self.target.clone()),
        ]
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
