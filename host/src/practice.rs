//! The coaching practice over the stored sessions: the weekly cadence (who
//! has had their one-to-one this week) and coaching effectiveness (QA and
//! CSAT in the days after a session against the days before).
//!
//! **Cadence.** The practice is a weekly 20–30 minute one-to-one. Weeks
//! run from Monday 00:00 UTC to the next Monday, the weeks of the trends
//! (the config has no week start). Judged at a moment `at` (default now):
//!
//! - a session *counts* when its kind is one of the counted kinds —
//!   one-to-one and observed by default (a packet coaches the agent too);
//!   micro-coaching, mentoring and recognition sessions are shown apart and
//!   do not stand in for the one-to-one — whoever ran it;
//! - it is *held* once its scheduled start is at or before `at`; a later
//!   one is the agent's next session, not coaching yet;
//! - **coached**: a counted session held this week;
//! - **due**: none held this week yet, but one in the previous full week,
//!   or the agent was created after the previous week began;
//! - **overdue**: none this week and none in the previous full week, for
//!   an agent that existed through all of it — a week missed.
//!
//! **Effectiveness.** For each session held in `[from, to)`, at time `t`:
//!
//! - the coached agent's QA scores (scored evaluations, percent) and CSAT
//!   (CSAT feedback mapped onto 1..5) dated in `[t − days, t)` are
//!   *before*, those in `[t, t + days)` *after*;
//! - a record is dated by the contact it is about (its linked
//!   interaction's start, else its end) when it links a stored
//!   interaction, else by its own time (`evaluated_at`, `received_at`): an
//!   evaluation written after the session about a call before it is
//!   *before*;
//! - per measure, a session enters the means only when its after window
//!   has closed and each side has at least `min_samples` records; any other
//!   session is still counted, with the reason it is left out;
//! - a group's means are the means of its sessions' means (each session
//!   weighs the same), its delta `mean_after − mean_before`;
//! - windows of sessions close together overlap, so one record may count
//!   for two sessions: each session is judged on its own.
//!
//! Groups: per coach, per session kind, per strategy (`unspecified` for
//! none) and per topic (a session's interactions' topics, its alerts'
//! topics and the topics of its evaluations' weak criteria, as the topic
//! focus counts dings).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::analytics::week_start;
use crate::config::Config;
use crate::flags::weak_topics;
use crate::model::{
    Agent, CadenceCounts, CadenceLine, CadenceReport, CadenceStatus, CoachingSession, EffectGroup,
    EffectivenessReport, Exclusion, Form, Interaction, Mean, MeasureEffect, RatingKind, Scope,
    SessionEffect, SessionKind, SessionMeasure, TimestampMs,
};
use crate::records::{Filter, RecordError, Records, Term, every};

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// The session kinds that count as the weekly coaching session unless the
/// caller names others.
pub const CADENCE_KINDS: [SessionKind; 2] = [SessionKind::OneToOne, SessionKind::Observed];

/// The group of sessions without a strategy.
pub const NO_STRATEGY: &str = "unspecified";

type Result<T> = std::result::Result<T, RecordError>;

/// Whose practice a report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// A team's agents (their team now).
    Team(String),
    /// The agents a person coaches (cadence: `Agent.coach_id`), or the
    /// sessions they ran (effectiveness).
    Coach(String),
    /// One agent.
    Agent(String),
    /// Everyone.
    All,
}

impl Who {
    fn scope(&self) -> &'static str {
        match self {
            Who::Team(_) => "team",
            Who::Coach(_) => "coach",
            Who::Agent(_) => "agent",
            Who::All => "all",
        }
    }

    fn id(&self) -> Option<&str> {
        match self {
            Who::Team(v) | Who::Coach(v) | Who::Agent(v) => Some(v),
            Who::All => None,
        }
    }
}

/// The weeks a cadence is judged in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weeks {
    /// The previous full week's start.
    pub previous: TimestampMs,
    /// This week's start (Monday 00:00 UTC).
    pub start: TimestampMs,
    /// This week's end, exclusive.
    pub end: TimestampMs,
}

impl Weeks {
    /// The week holding `at` and the one before it.
    pub fn holding(at: TimestampMs) -> Weeks {
        let start = week_start(at);
        Weeks {
            previous: start - WEEK_MS,
            start,
            end: start + WEEK_MS,
        }
    }
}

/// One agent's cadence line judged at `at`, from the agent's sessions (in
/// any order); only sessions of `kinds` count.
pub fn cadence_line(
    agent: &Agent,
    sessions: &[CoachingSession],
    weeks: Weeks,
    at: TimestampMs,
    kinds: &[SessionKind],
) -> CadenceLine {
    let held_this_week = |s: &&&CoachingSession| (weeks.start..=at).contains(&s.scheduled_at);
    let (counted, other): (Vec<&CoachingSession>, Vec<&CoachingSession>) =
        sessions.iter().partition(|s| kinds.contains(&s.kind));
    let this_week = counted.iter().filter(held_this_week).count();
    let previous_week = counted
        .iter()
        .filter(|s| (weeks.previous..weeks.start).contains(&s.scheduled_at))
        .count();
    let last = counted
        .iter()
        .filter(|s| s.scheduled_at <= at)
        .max_by(|a, b| (a.scheduled_at, &a.id).cmp(&(b.scheduled_at, &b.id)));
    let next = counted
        .iter()
        .filter(|s| s.scheduled_at > at)
        .map(|s| s.scheduled_at)
        .min();
    let status = if this_week > 0 {
        CadenceStatus::Coached
    } else if previous_week > 0 || agent.created_at > weeks.previous {
        CadenceStatus::Due
    } else {
        CadenceStatus::Overdue
    };
    CadenceLine {
        agent_id: agent.id.clone(),
        agent_name: agent.name.clone(),
        team_id: agent.team_id.clone(),
        coach_id: agent.coach_id.clone(),
        status,
        sessions_this_week: this_week,
        other_sessions_this_week: other.iter().filter(held_this_week).count(),
        sessions_previous_week: previous_week,
        last_session_at: last.map(|s| s.scheduled_at),
        last_session_id: last.map(|s| s.id.clone()),
        last_session_coach_id: last.map(|s| s.coach_id.clone()),
        next_session_at: next,
    }
}

/// Totals of cadence lines.
pub fn cadence_counts(lines: &[CadenceLine]) -> CadenceCounts {
    let n = |st| lines.iter().filter(|l| l.status == st).count();
    CadenceCounts {
        agents: lines.len(),
        coached_agents: n(CadenceStatus::Coached),
        due_agents: n(CadenceStatus::Due),
        overdue_agents: n(CadenceStatus::Overdue),
    }
}

/// One measure of a session held at `t`: the `points` (time, value) of the
/// agent's records in the `days` before and after, judged at `now`.
pub fn measure(
    points: &[(TimestampMs, f64)],
    t: TimestampMs,
    days: u32,
    now: TimestampMs,
    min_samples: usize,
) -> SessionMeasure {
    let span = i64::from(days) * DAY_MS;
    let side = |lo: i64, hi: i64| {
        let v: Vec<f64> = points
            .iter()
            .filter(|(at, _)| (lo..hi).contains(at))
            .map(|(_, v)| *v)
            .collect();
        Mean::of(&v)
    };
    let before = side(t - span, t);
    let after = side(t, t + span);
    let min = min_samples.max(1);
    let excluded = if t + span > now {
        Some(Exclusion::WindowOpen)
    } else if before.count < min {
        Some(Exclusion::TooFewBefore)
    } else if after.count < min {
        Some(Exclusion::TooFewAfter)
    } else {
        None
    };
    let delta = match (excluded, before.mean, after.mean) {
        (None, Some(b), Some(a)) => Some(a - b),
        _ => None,
    };
    SessionMeasure {
        before,
        after,
        delta,
        excluded,
    }
}

/// One measure over sessions: the sessions in the means (each weighing the
/// same), the excluded ones counted apart.
pub fn combine<'a>(measures: impl IntoIterator<Item = &'a SessionMeasure>) -> MeasureEffect {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut out = MeasureEffect::default();
    for m in measures {
        match (m.excluded, m.before.mean, m.after.mean) {
            (None, Some(b), Some(a)) => {
                before.push(b);
                after.push(a);
                out.before_count += m.before.count;
                out.after_count += m.after.count;
            }
            _ => out.excluded += 1,
        }
    }
    out.sessions = before.len();
    out.mean_before = Mean::of(&before).mean;
    out.mean_after = Mean::of(&after).mean;
    out.delta = out.mean_before.zip(out.mean_after).map(|(b, a)| a - b);
    out
}

/// A group of judged sessions.
pub fn group(key: &str, name: Option<String>, sessions: &[&SessionEffect]) -> EffectGroup {
    EffectGroup {
        key: key.to_string(),
        name,
        sessions: sessions.len(),
        qa: combine(sessions.iter().map(|s| &s.qa)),
        csat: combine(sessions.iter().map(|s| &s.csat)),
    }
}

/// Groups of `effects` by the keys `keys` gives each (none, one or
/// several), most sessions first, then by key.
fn groups_by<'a>(
    effects: &'a [SessionEffect],
    keys: impl Fn(&'a SessionEffect) -> Vec<String>,
    name: impl Fn(&str) -> Option<String>,
) -> Vec<EffectGroup> {
    let mut by: BTreeMap<String, Vec<&SessionEffect>> = BTreeMap::new();
    for e in effects {
        for k in keys(e) {
            by.entry(k).or_default().push(e);
        }
    }
    let mut out: Vec<EffectGroup> = by.iter().map(|(k, v)| group(k, name(k), v)).collect();
    out.sort_by(|a, b| b.sessions.cmp(&a.sessions).then(a.key.cmp(&b.key)));
    out
}

/// The words every effectiveness answer carries.
fn note(days: u32, min_samples: usize) -> String {
    format!(
        "Each session compares the coached agent's QA scores (percent) and CSAT (1..5) dated in the {days} days before it with the {days} days from it on; \
         records are dated by the contact they are about when they link one. \
         A session enters a measure's means only when its after window has closed and each side has at least {min_samples} record(s); \
         the others are counted in `excluded` (see each session's `excluded` reason) and left out of the means. \
         Means weigh each session the same; delta = mean_after - mean_before. \
         Windows of close sessions overlap, so one record can count for two sessions."
    )
}

/// `Ok(None)` for a record that is not there.
fn found<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(RecordError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The practice service.
#[derive(Clone)]
pub struct Practice {
    records: Records,
    config: Arc<Config>,
}

/// Records looked up while judging sessions, each once.
#[derive(Default)]
struct Lookups {
    interactions: HashMap<String, Option<Interaction>>,
    forms: HashMap<(String, u32), Option<Form>>,
}

impl Practice {
    /// The practice over `records`.
    pub fn new(records: Records, config: Arc<Config>) -> Practice {
        Practice { records, config }
    }

    /// Refuse unless `id` is a person (an agent or a staff person).
    fn person_name(&self, id: &str) -> Result<String> {
        if let Some(a) = found(self.records.people.agent(id))? {
            return Ok(a.name);
        }
        if let Some(p) = found(self.records.people.staff_person(id))? {
            return Ok(p.name);
        }
        Err(RecordError::NotFound {
            kind: "person",
            id: id.to_string(),
        })
    }

    /// The weekly cadence of `who`'s agents (a team, a coach's agents, or
    /// one agent) that `seen` sees, judged at `at`, counting sessions of
    /// `kinds`.
    pub fn cadence(
        &self,
        who: Who,
        at: TimestampMs,
        kinds: &[SessionKind],
        seen: &Scope,
    ) -> Result<CadenceReport> {
        let people = &self.records.people;
        let agents: Vec<Agent> = match &who {
            Who::Team(t) => {
                people.team(t)?;
                every(Filter::term(Term::Team(t.clone())), |f| people.agents(f))?
            }
            Who::Coach(c) => {
                self.person_name(c)?;
                every(Filter::term(Term::Coach(c.clone())), |f| people.agents(f))?
            }
            Who::Agent(a) => vec![people.agent(a)?],
            Who::All => every(Filter::default(), |f| people.agents(f))?,
        };
        let weeks = Weeks::holding(at);
        let mut lines = Vec::new();
        for agent in agents {
            if (agent.merged_into.is_some() && who != Who::Agent(agent.id.clone()))
                || !seen.sees_agent(&agent.id)
            {
                continue;
            }
            let sessions = every(Filter::term(Term::Agent(agent.id.clone())), |f| {
                self.records.coaching.sessions(f)
            })?;
            lines.push(cadence_line(&agent, &sessions, weeks, at, kinds));
        }
        lines.sort_by(|a, b| {
            (a.status, &a.agent_name, &a.agent_id).cmp(&(b.status, &b.agent_name, &b.agent_id))
        });
        Ok(CadenceReport {
            scope: who.scope().into(),
            id: who.id().unwrap_or_default().to_string(),
            at,
            week_start: weeks.start,
            week_end: weeks.end,
            previous_week_start: weeks.previous,
            kinds: kinds.to_vec(),
            counts: cadence_counts(&lines),
            agents: lines,
        })
    }

    /// The sessions of `who` held in `[from, to)`.
    fn sessions(&self, who: &Who, from: i64, to: i64) -> Result<Vec<CoachingSession>> {
        let coaching = &self.records.coaching;
        let of = |term: Option<Term>| {
            let f = Filter {
                term,
                ..Filter::default()
            };
            every(f.between(from, to), |f| coaching.sessions(f))
        };
        match who {
            Who::Team(t) => {
                self.records.people.team(t)?;
                let agents = every(Filter::term(Term::Team(t.clone())), |f| {
                    self.records.people.agents(f)
                })?;
                let mut out = Vec::new();
                for a in agents {
                    out.extend(of(Some(Term::Agent(a.id)))?);
                }
                Ok(out)
            }
            Who::Coach(c) => {
                self.person_name(c)?;
                of(Some(Term::Coach(c.clone())))
            }
            Who::Agent(a) => {
                self.records.people.agent(a)?;
                of(Some(Term::Agent(a.clone())))
            }
            Who::All => of(None),
        }
    }

    /// A stored interaction, looked up once.
    fn interaction<'a>(&self, id: &str, seen: &'a mut Lookups) -> Result<Option<&'a Interaction>> {
        if !seen.interactions.contains_key(id) {
            let i = found(self.records.contacts.interaction(id))?;
            seen.interactions.insert(id.to_string(), i);
        }
        Ok(seen.interactions[id].as_ref())
    }

    /// When a record happened: its interaction's start (else end) when it
    /// links a stored one, else its own time.
    fn dated(&self, interaction: Option<&str>, own: i64, seen: &mut Lookups) -> Result<i64> {
        let Some(id) = interaction else {
            return Ok(own);
        };
        Ok(self
            .interaction(id, seen)?
            .and_then(|i| i.started_at.or(i.ended_at))
            .unwrap_or(own))
    }

    /// A session's topics: its interactions', its alerts' and its
    /// evaluations' weak criteria's.
    fn topics(&self, s: &CoachingSession, seen: &mut Lookups) -> Result<Vec<String>> {
        let mut out = BTreeSet::new();
        for id in &s.interaction_ids {
            if let Some(i) = self.interaction(id, seen)? {
                out.extend(i.topics.iter().cloned());
            }
        }
        for id in &s.alert_ids {
            if let Some(a) = found(self.records.coaching.alert(id))? {
                out.extend(a.topic);
            }
        }
        let fraction = self.config.analytics.ding_fraction;
        for id in &s.evaluation_ids {
            let Some(e) = found(self.records.contacts.evaluation(id))? else {
                continue;
            };
            let key = (e.form_id.clone(), e.form_version);
            if !seen.forms.contains_key(&key) {
                let form = found(self.records.contacts.form(&e.form_id, Some(e.form_version)))?;
                seen.forms.insert(key.clone(), form.map(|f| f.form));
            }
            if let Some(form) = &seen.forms[&key] {
                out.extend(
                    weak_topics(form, &e, fraction)
                        .into_iter()
                        .map(String::from),
                );
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Coaching effectiveness of `who`'s sessions held in `[from, to)`:
    /// QA and CSAT in the `days` after each against the `days` before,
    /// judged at `now`, aggregated per coach, kind, strategy and topic.
    pub fn effectiveness(
        &self,
        who: Who,
        (from, to): (TimestampMs, TimestampMs),
        days: u32,
        min_samples: usize,
        now: TimestampMs,
        seen: &Scope,
    ) -> Result<EffectivenessReport> {
        let min_samples = min_samples.max(1);
        let span = i64::from(days) * DAY_MS;
        let mut by_agent: BTreeMap<String, Vec<CoachingSession>> = BTreeMap::new();
        for s in self.sessions(&who, from, to)? {
            if !seen.sees(&s) {
                continue;
            }
            by_agent.entry(s.agent_id.clone()).or_default().push(s);
        }
        let contacts = &self.records.contacts;
        let mut seen = Lookups::default();
        let mut effects = Vec::new();
        for (agent, sessions) in by_agent {
            let earliest = sessions
                .iter()
                .map(|s| s.scheduled_at)
                .min()
                .unwrap_or(from);
            // Records about a contact are written at or after it: anything
            // dated in a before window was stored after its start.
            let since = Filter {
                term: Some(Term::Agent(agent)),
                from: Some(earliest - span),
                ..Filter::default()
            };
            let mut qa = Vec::new();
            for e in every(since.clone(), |f| contacts.evaluations(f))? {
                if let Some(card) = &e.scorecard {
                    let at = self.dated(e.interaction_id.as_deref(), e.evaluated_at, &mut seen)?;
                    qa.push((at, card.card.score));
                }
            }
            let mut csat = Vec::new();
            for f in every(since, |f| contacts.feedback_list(f))? {
                if f.kind == RatingKind::Csat && f.scale_max > f.scale_min {
                    let at = self.dated(f.interaction_id.as_deref(), f.received_at, &mut seen)?;
                    csat.push((at, f.on_1_to_5()));
                }
            }
            for s in sessions {
                let t = s.scheduled_at;
                effects.push(SessionEffect {
                    topics: self.topics(&s, &mut seen)?,
                    qa: measure(&qa, t, days, now, min_samples),
                    csat: measure(&csat, t, days, now, min_samples),
                    session_id: s.id,
                    agent_id: s.agent_id,
                    coach_id: s.coach_id,
                    kind: s.kind,
                    strategy: s.strategy,
                    scheduled_at: t,
                });
            }
        }
        effects
            .sort_by(|a, b| (a.scheduled_at, &a.session_id).cmp(&(b.scheduled_at, &b.session_id)));
        let names: HashMap<String, Option<String>> = effects
            .iter()
            .map(|e| e.coach_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|c| {
                let name = self.person_name(&c).ok();
                (c, name)
            })
            .collect();
        let all: Vec<&SessionEffect> = effects.iter().collect();
        Ok(EffectivenessReport {
            scope: who.scope().into(),
            id: who.id().map(str::to_string),
            from,
            to,
            days,
            min_samples,
            at: now,
            overall: group("all", None, &all),
            by_coach: groups_by(
                &effects,
                |e| vec![e.coach_id.clone()],
                |c| names.get(c).cloned().flatten(),
            ),
            by_kind: groups_by(&effects, |e| vec![e.kind.as_str().into()], |_| None),
            by_strategy: groups_by(
                &effects,
                |e| vec![e.strategy.map_or(NO_STRATEGY, |s| s.as_str()).into()],
                |_| None,
            ),
            by_topic: groups_by(&effects, |e| e.topics.clone(), |_| None),
            sessions: effects,
            note: note(days, min_samples),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SessionStrategy;

    /// Monday 2026-11-23 00:00 UTC.
    const MONDAY: i64 = 1_795_392_000_000;
    const HOUR: i64 = 3_600_000;

    fn agent(created_at: i64) -> Agent {
        Agent {
            id: "a1".into(),
            name: "Ada".into(),
            email: None,
            team_id: Some("t1".into()),
            supervisor_id: None,
            coach_id: Some("c1".into()),
            identities: vec![],
            created_at,
            merged_into: None,
        }
    }

    fn session(id: &str, kind: SessionKind, at: i64) -> CoachingSession {
        serde_json::from_value(serde_json::json!({
            "id": id, "kind": kind, "coach_id": "c1", "agent_id": "a1",
            "scheduled_at": at, "duration_minutes": 30
        }))
        .unwrap()
    }

    fn line(sessions: &[CoachingSession], created_at: i64, at: i64) -> CadenceLine {
        cadence_line(
            &agent(created_at),
            sessions,
            Weeks::holding(at),
            at,
            &CADENCE_KINDS,
        )
    }

    #[test]
    fn a_week_runs_from_monday_to_monday_utc_with_the_previous_week_before_it() {
        let w = Weeks::holding(MONDAY + 2 * DAY_MS + 9 * HOUR);
        assert_eq!(w.start, MONDAY);
        assert_eq!(w.end, MONDAY + WEEK_MS);
        assert_eq!(w.previous, MONDAY - WEEK_MS);
        // Sunday 23:59:59.999 belongs to the week before.
        assert_eq!(Weeks::holding(MONDAY - 1).start, MONDAY - WEEK_MS);
    }

    #[test]
    fn a_one_to_one_held_this_week_makes_the_agent_coached() {
        let wednesday = MONDAY + 2 * DAY_MS;
        let s = [session("s1", SessionKind::OneToOne, MONDAY + 10 * HOUR)];
        let l = line(&s, MONDAY - 30 * DAY_MS, wednesday);
        assert_eq!(l.status, CadenceStatus::Coached);
        assert_eq!(l.sessions_this_week, 1);
        assert_eq!(l.last_session_at, Some(MONDAY + 10 * HOUR));
        assert_eq!(l.last_session_id.as_deref(), Some("s1"));
        assert_eq!(l.last_session_coach_id.as_deref(), Some("c1"));
        assert_eq!(l.next_session_at, None);
    }

    #[test]
    fn an_agent_coached_last_week_but_not_yet_this_week_is_due_and_shows_the_planned_session() {
        let wednesday = MONDAY + 2 * DAY_MS;
        let s = [
            session("s0", SessionKind::OneToOne, MONDAY - 3 * DAY_MS),
            // Planned for Friday: not held yet on Wednesday.
            session("s1", SessionKind::OneToOne, MONDAY + 4 * DAY_MS),
        ];
        let l = line(&s, MONDAY - 30 * DAY_MS, wednesday);
        assert_eq!(l.status, CadenceStatus::Due);
        assert_eq!((l.sessions_this_week, l.sessions_previous_week), (0, 1));
        assert_eq!(l.last_session_at, Some(MONDAY - 3 * DAY_MS));
        assert_eq!(l.next_session_at, Some(MONDAY + 4 * DAY_MS));
        // On Friday after it started, the agent is coached.
        let l = line(&s, MONDAY - 30 * DAY_MS, MONDAY + 4 * DAY_MS);
        assert_eq!(l.status, CadenceStatus::Coached);
    }

    #[test]
    fn no_session_this_week_nor_the_previous_full_week_is_overdue_unless_the_agent_is_newer() {
        let wednesday = MONDAY + 2 * DAY_MS;
        // Last coached two weeks ago.
        let s = [session("s0", SessionKind::OneToOne, MONDAY - 10 * DAY_MS)];
        let l = line(&s, MONDAY - 30 * DAY_MS, wednesday);
        assert_eq!(l.status, CadenceStatus::Overdue);
        assert_eq!(l.last_session_at, Some(MONDAY - 10 * DAY_MS));
        // Never coached, existing since before the previous week: overdue.
        assert_eq!(
            line(&[], MONDAY - WEEK_MS, wednesday).status,
            CadenceStatus::Overdue
        );
        // Created during the previous week: only due.
        assert_eq!(
            line(&[], MONDAY - WEEK_MS + 1, wednesday).status,
            CadenceStatus::Due
        );
    }

    #[test]
    fn other_kinds_are_shown_but_do_not_stand_in_for_the_one_to_one() {
        let wednesday = MONDAY + 2 * DAY_MS;
        let s = [
            session("m", SessionKind::MicroCoaching, MONDAY + HOUR),
            session("p", SessionKind::Mentoring, MONDAY + 2 * HOUR),
            session("o", SessionKind::Observed, MONDAY - 2 * DAY_MS),
        ];
        let l = line(&s, MONDAY - 30 * DAY_MS, wednesday);
        // The observed session (a packet) last week counts; this week only
        // micro-coaching and mentoring: due.
        assert_eq!(l.status, CadenceStatus::Due);
        assert_eq!(l.other_sessions_this_week, 2);
        assert_eq!(l.last_session_id.as_deref(), Some("o"));
        // Counting micro-coaching too makes them coached.
        let l = cadence_line(
            &agent(MONDAY - 30 * DAY_MS),
            &s,
            Weeks::holding(wednesday),
            wednesday,
            &[SessionKind::OneToOne, SessionKind::MicroCoaching],
        );
        assert_eq!(l.status, CadenceStatus::Coached);
        assert_eq!(l.sessions_this_week, 1);
    }

    #[test]
    fn cadence_counts_add_up_the_statuses() {
        let wednesday = MONDAY + 2 * DAY_MS;
        let lines = [
            line(&[], MONDAY - 30 * DAY_MS, wednesday),
            line(&[], MONDAY, wednesday),
            line(&[session("s", SessionKind::OneToOne, MONDAY)], 0, wednesday),
        ];
        assert_eq!(
            cadence_counts(&lines),
            CadenceCounts {
                agents: 3,
                coached_agents: 1,
                due_agents: 1,
                overdue_agents: 1
            }
        );
    }

    /// A session at day 20 with 7-day windows: before is days 13..20,
    /// after days 20..27.
    const T: i64 = 20 * DAY_MS;

    #[test]
    fn a_session_measure_compares_the_days_after_with_the_days_before() {
        let points = [
            (12 * DAY_MS, 10.0), // before the before window
            (13 * DAY_MS, 60.0),
            (T - 1, 70.0),
            (T, 80.0), // the session's own moment is after
            (26 * DAY_MS, 90.0),
            (27 * DAY_MS, 5.0), // past the after window
        ];
        let m = measure(&points, T, 7, 30 * DAY_MS, 1);
        assert_eq!(
            m.before,
            Mean {
                mean: Some(65.0),
                count: 2
            }
        );
        assert_eq!(
            m.after,
            Mean {
                mean: Some(85.0),
                count: 2
            }
        );
        assert_eq!(m.delta, Some(20.0));
        assert_eq!(m.excluded, None);
    }

    #[test]
    fn a_session_with_too_little_data_or_an_open_window_is_excluded() {
        let points = [
            (T - DAY_MS, 60.0),
            (T + DAY_MS, 70.0),
            (T + 2 * DAY_MS, 90.0),
        ];
        // Two records are needed on each side; one before.
        let m = measure(&points, T, 7, 30 * DAY_MS, 2);
        assert_eq!(m.excluded, Some(Exclusion::TooFewBefore));
        assert_eq!(m.delta, None);
        assert_eq!(m.after.count, 2, "the counts are still shown");
        // Nothing after.
        let m = measure(&points[..1], T, 7, 30 * DAY_MS, 1);
        assert_eq!(m.excluded, Some(Exclusion::TooFewAfter));
        // The after window ends at day 27: judged on day 26 it is open.
        let m = measure(&points, T, 7, 26 * DAY_MS, 1);
        assert_eq!(m.excluded, Some(Exclusion::WindowOpen));
        assert_eq!(measure(&points, T, 7, 27 * DAY_MS, 1).excluded, None);
    }

    fn effect(coach: &str, qa: (&[f64], &[f64]), csat: (&[f64], &[f64])) -> SessionEffect {
        let points = |(before, after): (&[f64], &[f64])| -> Vec<(i64, f64)> {
            before
                .iter()
                .map(|v| (T - DAY_MS, *v))
                .chain(after.iter().map(|v| (T + DAY_MS, *v)))
                .collect()
        };
        SessionEffect {
            session_id: format!("s-{coach}"),
            agent_id: "a1".into(),
            coach_id: coach.into(),
            kind: SessionKind::OneToOne,
            strategy: Some(SessionStrategy::RolePlay),
            topics: vec![],
            scheduled_at: T,
            qa: measure(&points(qa), T, 7, 30 * DAY_MS, 1),
            csat: measure(&points(csat), T, 7, 30 * DAY_MS, 1),
        }
    }

    #[test]
    fn a_group_weighs_each_session_the_same_and_counts_the_excluded_apart() {
        // Session 1: QA 60, 70 before (mean 65) → 80 after; CSAT 3 → 4, 5 (4.5).
        // Session 2: QA 90 before → 85, 95, 100 after (mean 93⅓); no CSAT after.
        // Session 3: nothing at all.
        let e = [
            effect("c1", (&[60.0, 70.0], &[80.0]), (&[3.0], &[4.0, 5.0])),
            effect("c2", (&[90.0], &[85.0, 95.0, 100.0]), (&[2.0], &[])),
            effect("c3", (&[], &[]), (&[], &[])),
        ];
        let g = group("all", None, &e.iter().collect::<Vec<_>>());
        assert_eq!(g.sessions, 3);
        // QA: session means (65 → 80) and (90 → 93⅓): before 77.5, after 86⅔.
        assert_eq!((g.qa.sessions, g.qa.excluded), (2, 1));
        assert_eq!((g.qa.before_count, g.qa.after_count), (3, 4));
        assert_eq!(g.qa.mean_before, Some(77.5));
        let after = (80.0 + 280.0 / 3.0) / 2.0;
        assert!((g.qa.mean_after.unwrap() - after).abs() < 1e-9);
        assert!((g.qa.delta.unwrap() - (after - 77.5)).abs() < 1e-9);
        // CSAT: only session 1 (3 → 4.5).
        assert_eq!((g.csat.sessions, g.csat.excluded), (1, 2));
        assert_eq!((g.csat.before_count, g.csat.after_count), (1, 2));
        assert_eq!(
            (g.csat.mean_before, g.csat.mean_after, g.csat.delta),
            (Some(3.0), Some(4.5), Some(1.5))
        );
    }

    #[test]
    fn groups_list_most_sessions_first_and_put_a_session_in_each_of_its_topics() {
        let mut a = effect("c1", (&[50.0], &[60.0]), (&[], &[]));
        a.topics = vec!["billing".into(), "empathy".into()];
        let mut b = effect("c2", (&[70.0], &[90.0]), (&[], &[]));
        b.topics = vec!["billing".into()];
        let e = [a, b];
        let topics = groups_by(&e, |e| e.topics.clone(), |_| None);
        let keys: Vec<_> = topics
            .iter()
            .map(|g| (g.key.as_str(), g.sessions))
            .collect();
        assert_eq!(keys, [("billing", 2), ("empathy", 1)]);
        // billing: (50 → 60) and (70 → 90): 60 → 75, +15.
        assert_eq!(
            (
                topics[0].qa.mean_before,
                topics[0].qa.mean_after,
                topics[0].qa.delta
            ),
            (Some(60.0), Some(75.0), Some(15.0))
        );
        assert_eq!(topics[1].qa.delta, Some(10.0));
    }
}
