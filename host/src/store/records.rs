//! How each coaching record is keyed and indexed.

use super::collection::Record;
use crate::model::{
    Agent, AuditEntry, DeadLetter, DeadLetterState, Evaluation, Feedback, Interaction, StoredForm,
    Team,
};

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
