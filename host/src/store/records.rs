//! How each coaching record is keyed and indexed.

use super::collection::Record;
use crate::model::{
    Agent, Alert, AlertState, AuditEntry, CoachingSession, DeadLetter, DeadLetterState, Evaluation,
    Feedback, Interaction, Recognition, RecognitionState, Shift, StaffingInterval, StoredForm,
    Team,
};
use crate::model::{Enrolment, MentorProfile, Pairing, PairingState, ProgressReport};

fn opt(term: &'static str, v: &Option<String>) -> Option<(&'static str, String)> {
    v.as_ref().map(|v| (term, v.clone()))
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        [
            opt("team", &self.team_id),
            opt("supervisor", &self.supervisor_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
    fn unique_terms(&self) -> Vec<(&'static str, String)> {
        self.identities
            .iter()
            .map(|i| ("identity", i.clone()))
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        opt("supervisor", &self.supervisor_id).into_iter().collect()
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        let mut t: Vec<_> = [opt("agent", &self.agent_id), opt("team", &self.team_id)]
            .into_iter()
            .flatten()
            .collect();
        t.extend(self.topics.iter().map(|x| ("topic", x.clone())));
        // The vendor id across sources: feedback from a survey tool names
        // the contact the telephony source stored.
        t.push(("external", self.external_id.clone()));
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        let mut t = vec![
            ("agent", self.agent_id.clone()),
            ("form", self.form_id.clone()),
        ];
        t.extend(opt("team", &self.team_id));
        t.extend(opt("interaction", &self.interaction_id));
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        let mut t: Vec<_> = [
            opt("agent", &self.agent_id),
            opt("team", &self.team_id),
            opt("interaction", &self.interaction_id),
        ]
        .into_iter()
        .flatten()
        .collect();
        t.extend(self.topics.iter().map(|x| ("topic", x.clone())));
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        vec![("form", self.form.id.clone())]
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        vec![
            ("action", self.action.clone()),
            ("target", self.target.clone()),
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        let state = match self.state {
            DeadLetterState::Open => "open",
            DeadLetterState::Resolved => "resolved",
        };
        vec![
            ("source", self.source.clone()),
            ("state", state.to_string()),
            ("source_state", format!("{}/{state}", self.source)),
            ("digest", self.digest.clone()),
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        let state = alert_state(self.state);
        let mut t = vec![("agent", self.agent_id.clone()), ("state", state.into())];
        t.extend(opt("team", &self.team_id));
        t.extend(opt("supervisor", &self.supervisor_id));
        if let Some(team) = &self.team_id {
            t.push(("team_state", format!("{team}/{state}")));
        }
        if let Some(sup) = &self.supervisor_id {
            t.push(("supervisor_state", format!("{sup}/{state}")));
        }
        if self.pending() {
            t.push(("pending", "all".into()));
            t.push(("pending", format!("agent:{}", self.agent_id)));
            if let Some(team) = &self.team_id {
                t.push(("pending", format!("team:{team}")));
            }
            if let Some(sup) = &self.supervisor_id {
                t.push(("pending", format!("supervisor:{sup}")));
            }
        }
        t.extend(opt("interaction", &self.interaction_id));
        t
    }
    fn unique_terms(&self) -> Vec<(&'static str, String)> {
        vec![("raised", self.dedup_key())]
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        let state = match self.state {
            RecognitionState::Open => "open",
            RecognitionState::Acknowledged => "acknowledged",
        };
        let mut t = vec![("agent", self.agent_id.clone()), ("state", state.into())];
        if let Some(team) = &self.team_id {
            t.push(("team", team.clone()));
            t.push(("team_state", format!("{team}/{state}")));
        }
        t
    }
    fn unique_terms(&self) -> Vec<(&'static str, String)> {
        vec![("evaluation", self.evaluation_id.clone())]
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        let mut t = vec![
            ("agent", self.agent_id.clone()),
            ("coach", self.coach_id.clone()),
        ];
        t.extend(self.observers.iter().map(|o| ("observer", o.clone())));
        t.extend(self.alert_ids.iter().map(|a| ("alert", a.clone())));
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        vec![("queue", self.queue.clone())]
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        vec![
            ("agent", self.agent_id.clone()),
            ("queue", self.queue.clone()),
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
    fn terms(&self) -> Vec<(&'static str, String)> {
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
    fn terms(&self) -> Vec<(&'static str, String)> {
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        let state = pairing_state(self.state);
        vec![
            ("protege", self.protege_id.clone()),
            ("mentor", self.mentor_id.clone()),
            ("state", state.into()),
            ("mentor_state", format!("{}/{state}", self.mentor_id)),
            ("protege_state", format!("{}/{state}", self.protege_id)),
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
    fn terms(&self) -> Vec<(&'static str, String)> {
        vec![
            ("protege", self.protege_id.clone()),
            ("mentor", self.mentor_id.clone()),
            ("pairing", self.pairing_id.clone()),
        ]
    }
}
