//! Who a caller may see: a [`Scope`] resolved from their token's role and
//! person, and [`About`], the people and team each record is about.
//!
//! A scope is data, not a check: the records layer filters listings with
//! it and the API answers 404 for a record outside it, so a caller can
//! never tell another team's record from one that does not exist.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{
    Agent, Alert, AuditEntry, CoachingSession, DeadLetter, Enrolment, Evaluation, Feedback,
    Interaction, MentorProfile, Pairing, ProgressReport, Recognition, Shift, Staff,
    StaffingInterval, StoredForm, Team,
};

/// What a caller may see.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Everything: admins, read-only and integrator tokens, and staff
    /// tokens that belong to nobody (a center-wide supervisor).
    #[default]
    All,
    /// The records of these agents and these teams, and the records the
    /// person takes part in (sessions they run or observe, pairings they
    /// are in).
    Within {
        /// The person the token belongs to.
        person: String,
        /// Teams whose records are visible (a supervisor's teams, an
        /// agent's own team, the teams of a coach's agents).
        teams: BTreeSet<String>,
        /// Agents whose records are visible.
        agents: BTreeSet<String>,
    },
}

impl Scope {
    /// Is everything visible?
    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// Are this agent's records visible?
    pub fn sees_agent(&self, agent_id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Within { person, agents, .. } => agent_id == person || agents.contains(agent_id),
        }
    }

    /// Is this team's record visible?
    pub fn sees_team(&self, team_id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Within { teams, .. } => teams.contains(team_id),
        }
    }

    /// Is the person the token belongs to one of `people`?
    pub fn is_one_of(&self, people: &[&str]) -> bool {
        match self {
            Scope::All => false,
            Scope::Within { person, .. } => people.contains(&person.as_str()),
        }
    }

    /// Is `record` visible: about a visible agent or team, or one the
    /// caller takes part in?
    pub fn sees<R: About + ?Sized>(&self, record: &R) -> bool {
        if self.is_all() || record.shared() {
            return true;
        }
        let people = record.people();
        people.iter().any(|p| self.sees_agent(p))
            || self.is_one_of(&record.participants())
            || record.team().is_some_and(|t| self.sees_team(t))
    }
}

/// A person by id: an agent or a staff person.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Person {
    /// Their id.
    pub id: String,
    /// Their name.
    pub name: String,
    /// Which record they are.
    pub kind: PersonKind,
}

/// Which kind of record a person is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// An agent record (`/v1/agents`).
    Agent,
    /// A staff person (`/v1/staff`).
    Staff,
}

/// The people and team a record is about, for scoping.
pub trait About {
    /// The agents whose record this is (its subject).
    fn people(&self) -> Vec<&str>;
    /// People who take part in it without being its subject (a session's
    /// coach and observers): they see it even outside their scope.
    fn participants(&self) -> Vec<&str> {
        Vec::new()
    }
    /// The team whose record this is, for records that belong to a team
    /// rather than an agent (a team itself).
    fn team(&self) -> Option<&str> {
        None
    }
    /// Reference data every caller sees (forms, staff, forecasts).
    fn shared(&self) -> bool {
        false
    }
}

/// Reference data: visible to every scope.
macro_rules! shared {
    ($($ty:ty),+) => {$(
        impl About for $ty {
            fn people(&self) -> Vec<&str> {
                Vec::new()
            }
            fn shared(&self) -> bool {
                true
            }
        }
    )+};
}
shared!(StoredForm, Staff, StaffingInterval);

/// Records only unscoped roles read (the route admits admins, read-only
/// and integrators): a scoped caller sees none.
macro_rules! unscoped {
    ($($ty:ty),+) => {$(
        impl About for $ty {
            fn people(&self) -> Vec<&str> {
                Vec::new()
            }
        }
    )+};
}
unscoped!(DeadLetter);

impl About for Agent {
    fn people(&self) -> Vec<&str> {
        vec![&self.id]
    }
}

impl About for Team {
    fn people(&self) -> Vec<&str> {
        Vec::new()
    }
    fn team(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl About for Interaction {
    fn people(&self) -> Vec<&str> {
        self.agent_id.as_deref().into_iter().collect()
    }
}

impl About for Evaluation {
    fn people(&self) -> Vec<&str> {
        vec![&self.agent_id]
    }
}

impl About for Feedback {
    fn people(&self) -> Vec<&str> {
        self.agent_id.as_deref().into_iter().collect()
    }
}

impl About for Alert {
    fn people(&self) -> Vec<&str> {
        vec![&self.agent_id]
    }
}

impl About for Recognition {
    fn people(&self) -> Vec<&str> {
        vec![&self.agent_id]
    }
}

impl About for CoachingSession {
    fn people(&self) -> Vec<&str> {
        vec![&self.agent_id]
    }
    fn participants(&self) -> Vec<&str> {
        std::iter::once(self.coach_id.as_str())
            .chain(self.observers.iter().map(String::as_str))
            .collect()
    }
}

impl About for Pairing {
    fn people(&self) -> Vec<&str> {
        vec![&self.protege_id, &self.mentor_id]
    }
}

impl About for MentorProfile {
    fn people(&self) -> Vec<&str> {
        vec![&self.agent_id]
    }
}

impl About for Enrolment {
    fn people(&self) -> Vec<&str> {
        vec![&self.agent_id]
    }
}

impl About for ProgressReport {
    fn people(&self) -> Vec<&str> {
        vec![&self.protege_id, &self.mentor_id]
    }
}

impl About for AuditEntry {
    fn people(&self) -> Vec<&str> {
        self.agents.iter().map(String::as_str).collect()
    }
}

impl About for Shift {
    fn people(&self) -> Vec<&str> {
        vec![&self.agent_id]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(person: &str, teams: &[&str], agents: &[&str]) -> Scope {
        Scope::Within {
            person: person.into(),
            teams: teams.iter().map(|s| s.to_string()).collect(),
            agents: agents.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_scope_sees_its_agents_its_teams_and_what_its_person_takes_part_in() {
        let s = within("sup", &["t1"], &["a1"]);
        assert!(s.sees_agent("a1") && !s.sees_agent("a2"));
        assert!(s.sees_agent("sup"), "the person's own records");
        assert!(s.sees_team("t1") && !s.sees_team("t2"));
        assert!(Scope::All.sees_agent("anyone") && Scope::All.sees_team("any"));
        let session = |agent: &str, coach: &str, observers: &[&str]| CoachingSession {
            agent_id: agent.into(),
            coach_id: coach.into(),
            observers: observers.iter().map(|s| s.to_string()).collect(),
            ..serde_json::from_value(serde_json::json!({
                "kind": "one-to-one", "coach_id": "", "agent_id": "",
                "scheduled_at": 1, "duration_minutes": 30
            }))
            .unwrap()
        };
        assert!(s.sees(&session("a1", "c", &[])));
        assert!(!s.sees(&session("a2", "c", &[])));
        assert!(s.sees(&session("a2", "sup", &[])), "the coach of it");
        assert!(s.sees(&session("a2", "c", &["sup"])), "an observer of it");
    }
}
