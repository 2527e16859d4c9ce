//! [`Term`], the typed index terms listings filter on. Only this module
//! knows how a term becomes index-key bytes (its name and value), so no
//! layer above the store builds key strings.

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
