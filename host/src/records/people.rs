//! People: agents (with their vendor identities, each owned by one
//! agent), teams and their targets, identity resolution and merges.

use std::collections::BTreeSet;

use super::*;
use crate::model::{Person, PersonKind, Role, Scope};

impl People {
    fn check_agent(&self, a: &Agent) -> Result<()> {
        a.validate()?;
        if let Some(t) = &a.team_id
            && self.store.teams.get::<Team>(t)?.is_none()
        {
            return Err(invalid("team_id", format!("unknown team {t:?}")));
        }
        if let Some(s) = &a.supervisor_id {
            self.person_exists("supervisor_id", s)?;
        }
        if let Some(c) = &a.coach_id {
            self.person_exists("coach_id", c)?;
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

    fn check_team(&self, t: &Team) -> Result<()> {
        if t.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        if let Some(s) = &t.supervisor_id {
            self.person_exists("supervisor_id", s)?;
        }
        Ok(t.targets_in_range()?)
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

    /// Create a staff person.
    pub async fn create_staff(&self, mut p: Staff) -> Result<Staff> {
        check_ulid_free(&p.id)?;
        p.validate()?;
        p.id = crate::model::new_id();
        p.created_at = now_ms();
        Ok(self.write(&self.store.staff, p).await?.1)
    }

    /// Replace a staff person's fields (id and creation time are kept).
    pub async fn update_staff(&self, id: &str, mut p: Staff) -> Result<Staff> {
        let old: Staff = self.get(&self.store.staff, id)?;
        p.validate()?;
        p.id = old.id;
        p.created_at = old.created_at;
        Ok(self.write(&self.store.staff, p).await?.1)
    }

    /// A person by id: an agent or a staff person, with their name.
    pub fn person(&self, id: &str) -> Result<Person> {
        if let Some(a) = self.store.agents.get::<Agent>(id)? {
            return Ok(Person {
                id: a.id,
                name: a.name,
                kind: PersonKind::Agent,
            });
        }
        if let Some(p) = self.store.staff.get::<Staff>(id)? {
            return Ok(Person {
                id: p.id,
                name: p.name,
                kind: PersonKind::Staff,
            });
        }
        Err(RecordError::NotFound {
            kind: "person",
            id: id.to_string(),
        })
    }

    /// One staff person.
    pub fn staff_person(&self, id: &str) -> Result<Staff> {
        self.get(&self.store.staff, id)
    }

    /// A page of staff people.
    pub fn staff(&self, f: Filter) -> Result<Page<Staff>> {
        self.list(&self.store.staff, f)
    }

    /// What a token of `role` belonging to `person` (an agent or a staff
    /// person; none for a center-wide token) may see. Admins, read-only
    /// and integrator tokens, and staff tokens belonging to nobody, see
    /// everything; an agent sees themselves and their team; a supervisor
    /// or coach sees the teams they lead, those teams' agents, and the
    /// agents they supervise or coach directly (with those agents' teams).
    pub fn scope(&self, role: Role, person: Option<&str>) -> Result<Scope> {
        let Some(person) = person else {
            return Ok(Scope::All);
        };
        let mut teams = BTreeSet::new();
        let mut agents = BTreeSet::new();
        match role {
            Role::Admin | Role::ReadOnly | Role::Integrator => return Ok(Scope::All),
            Role::Agent => {}
            Role::Supervisor | Role::Coach => {
                let led: Vec<Team> = every(Filter::term(Term::Supervisor(person.into())), |f| {
                    self.list(&self.store.teams, f)
                })?;
                for t in led {
                    let members: Vec<Agent> = every(Filter::term(Term::Team(t.id.clone())), |f| {
                        self.list(&self.store.agents, f)
                    })?;
                    agents.extend(members.into_iter().map(|a| a.id));
                    teams.insert(t.id);
                }
                for term in [Term::Supervisor(person.into()), Term::Coach(person.into())] {
                    let direct: Vec<Agent> =
                        every(Filter::term(term), |f| self.list(&self.store.agents, f))?;
                    for a in direct {
                        teams.extend(a.team_id);
                        agents.insert(a.id);
                    }
                }
            }
        }
        if let Some(me) = self.store.agents.get::<Agent>(person)? {
            teams.extend(me.team_id);
            agents.insert(me.id);
        }
        Ok(Scope::Within {
            person: person.into(),
            teams,
            agents,
        })
    }

    /// A page of teams.
    pub fn teams(&self, f: Filter) -> Result<Page<Team>> {
        self.list(&self.store.teams, f)
    }

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
            coach_id: None,
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
                    .filter(|a| f.scope.sees(a))
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
        self.audit()
            .audit(actor, "agent.merge", into, Some(detail))
            .await?;
        Ok(MergeReport {
            agent: target,
            merged: from.to_string(),
            identities_moved,
            records_moved,
        })
    }
}
