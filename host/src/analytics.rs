//! Analytics over stored records: weekly QA and CSAT trends per agent or
//! team, and the topics agents were "dinged" on with the few to focus on.
//!
//! A **ding** is one of: a CSAT rating at or under `[analytics]
//! ding_csat_at_most` (mapped onto 1..5) or an NPS detractor (0..6), counted
//! once on each of the feedback's topics; or a QA criterion with a topic
//! that earned under `ding_fraction` of its points. The **focus** agents of
//! a topic are those with at least `focus_min_dings` dings on it in the
//! window — repeated, not one-off — most first, at most `focus_max_agents`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::config::Config;
use crate::flags::weak_topics;
use crate::model::{
    AgentDings, Evaluation, Feedback, Form, Mean, Outcome, RatingKind, TimestampMs, TopicFocus,
    TopicReport, TrendReport, WeekTrend,
};
use crate::records::{Filter, RecordError, Records, Term, every};

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// Monday 00:00 UTC of the week holding `t` (1970-01-01 was a Thursday).
pub fn week_start(t: TimestampMs) -> TimestampMs {
    let days = t.div_euclid(DAY_MS);
    ((days + 3).div_euclid(7) * 7 - 3) * DAY_MS
}

/// Who a report is about.
#[derive(Clone, Debug)]
pub enum Cohort {
    /// One agent.
    Agent(String),
    /// One team.
    Team(String),
    /// Everyone.
    All,
}

impl Cohort {
    /// Its records in `[from, to)`.
    fn window(&self, from: i64, to: i64) -> Filter {
        match self {
            Cohort::Agent(a) => Filter::term(Term::Agent(a.clone())),
            Cohort::Team(t) => Filter::term(Term::Team(t.clone())),
            Cohort::All => Filter::default(),
        }
        .between(from, to)
    }
}

/// The analytics service.
#[derive(Clone)]
pub struct Analytics {
    records: Records,
    config: Arc<Config>,
}

impl Analytics {
    /// Analytics over `records`.
    pub fn new(records: Records, config: Arc<Config>) -> Analytics {
        Analytics { records, config }
    }

    /// Every evaluation in scope and window.
    fn evaluations(
        &self,
        scope: &Cohort,
        from: i64,
        to: i64,
    ) -> Result<Vec<Evaluation>, RecordError> {
        every(scope.window(from, to), |f| {
            self.records.contacts.evaluations(f)
        })
    }

    /// Every feedback in scope and window.
    fn feedback(&self, scope: &Cohort, from: i64, to: i64) -> Result<Vec<Feedback>, RecordError> {
        every(scope.window(from, to), |f| {
            self.records.contacts.feedback_list(f)
        })
    }

    /// Weekly QA (mean score = IQS, fails) and CSAT (mean on 1..5) for an
    /// agent or a team over `[from, to)`.
    pub fn trends(&self, scope: Cohort, from: i64, to: i64) -> Result<TrendReport, RecordError> {
        let (scope_name, id) = match &scope {
            Cohort::Agent(a) => {
                self.records.people.agent(a)?;
                ("agent", a.clone())
            }
            Cohort::Team(t) => {
                self.records.people.team(t)?;
                ("team", t.clone())
            }
            Cohort::All => ("all", String::new()),
        };
        let mut qa: BTreeMap<i64, (Vec<f64>, usize)> = BTreeMap::new();
        let mut csat: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        let (mut all_qa, mut all_csat) = (Vec::new(), Vec::new());
        for e in self.evaluations(&scope, from, to)? {
            let Some(card) = &e.scorecard else { continue };
            let week = qa.entry(week_start(e.evaluated_at)).or_default();
            week.0.push(card.card.score);
            if card.card.outcome == Outcome::Fail {
                week.1 += 1;
            }
            all_qa.push(card.card.score);
        }
        for f in self.feedback(&scope, from, to)? {
            if f.kind != RatingKind::Csat || f.scale_max <= f.scale_min {
                continue;
            }
            let v = f.on_1_to_5();
            csat.entry(week_start(f.received_at)).or_default().push(v);
            all_csat.push(v);
        }
        let first = qa.keys().chain(csat.keys()).min().copied();
        let last = qa.keys().chain(csat.keys()).max().copied();
        let mut weeks = Vec::new();
        if let (Some(first), Some(last)) = (first, last) {
            let mut w = first;
            while w <= last {
                let (scores, fails) = qa.get(&w).cloned().unwrap_or_default();
                weeks.push(WeekTrend {
                    week_start: w,
                    qa: Mean::of(&scores),
                    qa_fails: fails,
                    csat: Mean::of(csat.get(&w).map(Vec::as_slice).unwrap_or(&[])),
                });
                w += WEEK_MS;
            }
        }
        Ok(TrendReport {
            scope: scope_name.into(),
            id,
            weeks,
            qa: Mean::of(&all_qa),
            csat: Mean::of(&all_csat),
        })
    }

    /// Dinged topics in `[from, to)` for a team (or everyone), with the
    /// agents to focus on per topic, counting only the agents `seen` sees.
    pub fn topics(
        &self,
        team: Option<String>,
        from: i64,
        to: i64,
        min_dings: Option<usize>,
        seen: &crate::model::Scope,
    ) -> Result<TopicReport, RecordError> {
        let cfg = &self.config.analytics;
        let min_dings = min_dings.unwrap_or(cfg.focus_min_dings).max(1);
        let scope = match &team {
            Some(t) => {
                self.records.people.team(t)?;
                Cohort::Team(t.clone())
            }
            None => Cohort::All,
        };
        // topic → agent → (feedback dings, qa dings)
        let mut dings: BTreeMap<String, HashMap<String, (usize, usize)>> = BTreeMap::new();
        for f in self.feedback(&scope, from, to)? {
            let Some(agent) = &f.agent_id else { continue };
            if f.scale_max <= f.scale_min || !seen.sees_agent(agent) {
                continue;
            }
            let dinged = match f.kind {
                RatingKind::Csat => f.on_1_to_5() <= cfg.ding_csat_at_most,
                RatingKind::Nps => 10.0 * f.fraction() <= 6.0,
                _ => false,
            };
            if !dinged {
                continue;
            }
            for t in &f.topics {
                dings
                    .entry(t.clone())
                    .or_default()
                    .entry(agent.clone())
                    .or_default()
                    .0 += 1;
            }
        }
        let mut forms: HashMap<(String, u32), Option<Form>> = HashMap::new();
        for e in self.evaluations(&scope, from, to)? {
            if !seen.sees_agent(&e.agent_id) {
                continue;
            }
            let form = forms
                .entry((e.form_id.clone(), e.form_version))
                .or_insert_with(|| {
                    self.records
                        .contacts
                        .form(&e.form_id, Some(e.form_version))
                        .ok()
                        .map(|f| f.form)
                });
            let Some(form) = form else { continue };
            for t in weak_topics(form, &e, cfg.ding_fraction) {
                dings
                    .entry(t.to_string())
                    .or_default()
                    .entry(e.agent_id.clone())
                    .or_default()
                    .1 += 1;
            }
        }
        let mut topics: Vec<TopicFocus> = dings
            .into_iter()
            .map(|(topic, agents)| {
                let mut agents: Vec<AgentDings> = agents
                    .into_iter()
                    .map(|(agent_id, (fb, qa))| AgentDings {
                        agent_id,
                        dings: fb + qa,
                        from_feedback: fb,
                        from_qa: qa,
                    })
                    .collect();
                agents.sort_by(|a, b| b.dings.cmp(&a.dings).then(a.agent_id.cmp(&b.agent_id)));
                let focus = agents
                    .iter()
                    .filter(|a| a.dings >= min_dings)
                    .take(cfg.focus_max_agents)
                    .map(|a| a.agent_id.clone())
                    .collect();
                TopicFocus {
                    topic,
                    dings: agents.iter().map(|a| a.dings).sum(),
                    agents,
                    focus,
                }
            })
            .collect();
        topics.sort_by(|a, b| b.dings.cmp(&a.dings).then(a.topic.cmp(&b.topic)));
        Ok(TopicReport {
            team_id: team,
            from,
            to,
            min_dings,
            topics,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_utc() {
        // 2026-11-24 is a Tuesday; its week starts Monday 2026-11-23.
        let tuesday = 1_795_478_400_000 + 13 * 3_600_000;
        assert_eq!(week_start(tuesday), 1_795_392_000_000);
        // A Monday at midnight is its own week start; Sunday 23:59 is not.
        assert_eq!(week_start(1_795_392_000_000), 1_795_392_000_000);
        assert_eq!(
            week_start(1_795_392_000_000 - 1),
            1_795_392_000_000 - WEEK_MS
        );
        // Before 1970 too.
        assert_eq!(week_start(-1), -3 * DAY_MS);
    }

    #[test]
    fn the_zendesk_iqs_is_the_mean_of_review_scores() {
        // reference-figures.md: reviews 100, 9.91, 63.96, 90.99, 0 → IQS 52.97%.
        let iqs = Mean::of(&[100.0, 9.91, 63.96, 90.99, 0.0]);
        assert_eq!(iqs.count, 5);
        assert!((iqs.mean.unwrap() - 52.972).abs() < 1e-9);
    }
}
