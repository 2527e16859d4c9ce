//! The peer-mentoring program: protégé needs from QA and feedback, the
//! matcher plugin's pair scores, the optimal assignment under mentor
//! capacities with shortlists ([`assign`]), the pairing lifecycle
//! (offered → accepted → active → ended, re-matched when one ends),
//! monitoring drop-ins that need the agents' acknowledgement, and mentors'
//! progress reports for the protégé's supervisor.
//!
//! Consent is explicit: only an agent can opt in as a mentor (the API
//! takes the mentor from the caller's token) and only an enrolled agent —
//! one who acknowledged that supervisors may monitor mentoring — can be
//! matched as a protégé or be monitored.

pub mod assign;
mod matcher;

pub use matcher::{Matched, match_pairs};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::analytics::{Analytics, Cohort};
use crate::clock::now_ms;
use crate::config::Config;
use crate::model::{
    AnswerValue, Enrolment, MatchProfile, MatchReport, MatchRequest, Mentor, MentorProfile,
    MentoringView, Offer, Pairing, PairingState, ProgressReport, Protege, ProtegeOffers,
    RatingKind, Scope, TopicNeed,
};
use crate::records::{Filter, RecordError, Records, Term, every};
use crate::runtime::Runtime;

/// How many weakest topics make a protégé's needs.
const NEEDS: usize = 3;
const DAY_MS: i64 = 86_400_000;

fn invalid(field: impl Into<String>, message: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Most (protégé, mentor) pairs one match scores: 20,000 protégés × 500
/// mentors. More is refused (422) before the matcher runs.
pub const MAX_MATCH_PAIRS: usize = 10_000_000;

/// The mentoring service.
#[derive(Clone)]
pub struct Mentoring {
    runtime: Arc<Runtime>,
    records: Records,
    analytics: Analytics,
    config: Arc<Config>,
    work: crate::work::Work,
}

impl Mentoring {
    /// The service over the runtime, the records and the analytics.
    pub fn new(
        runtime: Arc<Runtime>,
        records: Records,
        analytics: Analytics,
        config: Arc<Config>,
        work: crate::work::Work,
    ) -> Mentoring {
        Mentoring {
            runtime,
            records,
            analytics,
            config,
            work,
        }
    }

    fn matcher(&self) -> String {
        self.config.mentoring.matcher.clone()
    }

    /// An agent's weakest topics since `from`: per topic, the mean shortfall
    /// (1 − fraction earned) over QA criteria on the topic and over ratings
    /// (CSAT, NPS) of feedback tagged with it; the [`NEEDS`] weakest first.
    pub fn needs(&self, agent_id: &str, from: i64, to: i64) -> Result<Vec<TopicNeed>, RecordError> {
        self.records.people.agent(agent_id)?;
        let mut gaps: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let window = Filter::term(Term::Agent(agent_id.to_string())).between(from, to);
        let evals = every(window.clone(), |f| self.records.contacts.evaluations(f))?;
        let mut forms = HashMap::new();
        for e in &evals {
            let form = forms
                .entry((e.form_id.clone(), e.form_version))
                .or_insert_with(|| {
                    self.records
                        .contacts
                        .form(&e.form_id, Some(e.form_version))
                        .ok()
                });
            let Some(form) = form else { continue };
            for c in form.form.sections.iter().flat_map(|s| &s.criteria) {
                let (Some(topic), Some(a)) =
                    (&c.topic, e.answers.iter().find(|a| a.criterion_id == c.id))
                else {
                    continue;
                };
                if let AnswerValue::Score(v) = a.value
                    && let Some(got) = c.fraction(v)
                {
                    gaps.entry(topic.clone()).or_default().push(1.0 - got);
                }
            }
        }
        let feedback = every(window, |f| self.records.contacts.feedback_list(f))?;
        for f in feedback {
            if !matches!(f.kind, RatingKind::Csat | RatingKind::Nps) || f.scale_max <= f.scale_min {
                continue;
            }
            for t in &f.topics {
                gaps.entry(t.clone()).or_default().push(1.0 - f.fraction());
            }
        }
        let mut needs: Vec<TopicNeed> = gaps
            .into_iter()
            .map(|(topic, v)| TopicNeed {
                topic,
                weakness: v.iter().sum::<f64>() / v.len() as f64,
            })
            .filter(|n| n.weakness > 0.0)
            .collect();
        needs.sort_by(|a, b| {
            b.weakness
                .total_cmp(&a.weakness)
                .then(a.topic.cmp(&b.topic))
        });
        needs.truncate(NEEDS);
        Ok(needs)
    }

    /// Places a mentor has left: capacity minus accepted and active pairings.
    fn places_left(&self, m: &MentorProfile) -> Result<u32, RecordError> {
        let taken = [PairingState::Accepted, PairingState::Active]
            .into_iter()
            .map(|s| {
                self.records
                    .mentoring
                    .pairings_in(Term::MentorState, &m.agent_id, s)
                    .map(|v| v.len() as u32)
            })
            .sum::<Result<u32, _>>()?;
        Ok(m.capacity.saturating_sub(taken))
    }

    fn is_paired(&self, protege: &str) -> Result<bool, RecordError> {
        for s in [PairingState::Accepted, PairingState::Active] {
            if !self
                .records
                .mentoring
                .pairings_in(Term::ProtegeState, protege, s)?
                .is_empty()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Score protégés against opted-in mentors with the matcher plugin,
    /// solve the assignment optimally under the mentors' remaining places,
    /// and offer each protégé a shortlist; `commit` stores the offers
    /// (replacing the protégé's earlier open offers). `exclude` lists
    /// (protégé, mentor) pairs that may not be offered (an ended pairing).
    /// Without named protégés, the candidates are the enrolled agents
    /// `within` sees (mentors come from the whole center).
    pub async fn run_match(
        &self,
        req: MatchRequest,
        exclude: &HashSet<(String, String)>,
        within: &Scope,
    ) -> Result<MatchReport, RecordError> {
        let to = now_ms();
        let from = req.from.unwrap_or(to - 28 * DAY_MS);
        let enrolments: Vec<Enrolment> = if req.proteges.is_empty() {
            // Everyone enrolled who is not mentoring and has no mentor yet.
            let mentoring: HashSet<String> = self
                .records
                .mentoring
                .mentor_profiles()?
                .into_iter()
                .filter(|m| m.opted_out_at.is_none())
                .map(|m| m.agent_id)
                .collect();
            let mut v = Vec::new();
            for e in self.records.mentoring.enrolments()? {
                if !mentoring.contains(&e.agent_id)
                    && within.sees_agent(&e.agent_id)
                    && !self.is_paired(&e.agent_id)?
                {
                    v.push(e);
                }
            }
            v
        } else {
            let mut v = Vec::new();
            for (k, p) in req.proteges.iter().enumerate() {
                let e = self.records.mentoring.enrolment(p)?.ok_or_else(|| {
                    invalid(
                        format!("proteges[{k}]"),
                        format!("{p} is not enrolled in the mentoring program (they enrol themselves, acknowledging monitoring)"),
                    )
                })?;
                if self.is_paired(p)? {
                    return Err(invalid(
                        format!("proteges[{k}]"),
                        format!("{p} already has an accepted or active mentor"),
                    ));
                }
                v.push(e);
            }
            v
        };
        // Mentors are matched only once they acknowledged that supervisors
        // may monitor mentoring, as protégés are: otherwise every drop-in
        // on the pairing would be refused.
        let mut mentors: Vec<(MentorProfile, u32)> = Vec::new();
        let mut unacknowledged = Vec::new();
        for m in self.records.mentoring.mentor_profiles()? {
            if m.opted_out_at.is_some() {
                continue;
            }
            if !self.acknowledged_monitoring(&m.agent_id)? {
                unacknowledged.push(m.agent_id);
                continue;
            }
            let left = self.places_left(&m)?;
            mentors.push((m, left));
        }
        let mut proteges = Vec::new();
        for e in &enrolments {
            proteges.push(Protege {
                profile: MatchProfile {
                    agent_id: e.agent_id.clone(),
                    style: e.style.clone(),
                    utc_offset_minutes: e.utc_offset_minutes,
                    channels: e.channels.clone(),
                    home_based: e.home_based,
                },
                needs: self.needs(&e.agent_id, from, to)?,
            });
        }
        let pairs_asked = proteges.len().saturating_mul(mentors.len());
        if pairs_asked > MAX_MATCH_PAIRS {
            return Err(invalid(
                "proteges",
                format!(
                    "{} protégés × {} mentors = {pairs_asked} pairs, above the ceiling of \
                     {MAX_MATCH_PAIRS} per match; name the protégés to match in parts",
                    proteges.len(),
                    mentors.len()
                ),
            ));
        }
        let mentor_models: Vec<Mentor> = mentors
            .iter()
            .map(|(m, left)| Mentor {
                profile: MatchProfile {
                    agent_id: m.agent_id.clone(),
                    style: m.style.clone(),
                    utc_offset_minutes: m.utc_offset_minutes,
                    channels: m.channels.clone(),
                    home_based: m.home_based,
                },
                strengths: m.strengths.clone(),
                capacity: *left,
            })
            .collect();

        let matcher = self.matcher();
        let Matched {
            assignment: solved,
            reasons,
            version,
            matcher_ms,
            solver_ms,
        } = match_pairs(
            &self.runtime,
            &self.work,
            &matcher,
            &proteges,
            &mentor_models,
            exclude,
            None,
        )
        .await?;

        let run_id = crate::model::new_id();
        let now = now_ms();
        let matcher_name = format!("{matcher}@{version}");
        let mut out = Vec::new();
        for (p, result) in solved.proteges.iter().enumerate() {
            let protege_id = proteges[p].profile.agent_id.clone();
            let assigned = result.placement.mentor();
            let mut shortlist = Vec::new();
            for c in &result.shortlist {
                shortlist.push(Offer {
                    mentor_id: mentors[c.mentor].0.agent_id.clone(),
                    score: c.score,
                    reasons: reasons.get(&(p, c.mentor)).cloned().unwrap_or_default(),
                    assigned: assigned == Some(c.mentor),
                    full: c.full,
                    cost: c.cost,
                    pairing_id: None,
                });
            }
            let unmatched = match result.placement {
                assign::Placement::Assigned { .. } => None,
                assign::Placement::Unmatched(assign::Unmatched::NoAllowedMentor) => {
                    Some("no opted-in mentor with a free place suits this protégé".to_string())
                }
                assign::Placement::Unmatched(assign::Unmatched::CapacityExhausted) => {
                    Some("every suitable mentor's places went to other protégés".to_string())
                }
            };
            if req.commit {
                // Earlier open offers are replaced by this run's.
                for old in self.records.mentoring.pairings_in(
                    Term::ProtegeState,
                    &protege_id,
                    PairingState::Offered,
                )? {
                    self.records.mentoring.stage_pairing_change(&old.id, |x| {
                        x.state = PairingState::Ended;
                        x.ended_reason = Some("replaced by a newer match".into());
                        Ok(())
                    })?;
                }
                for offer in &mut shortlist {
                    let stored = self.records.mentoring.stage_pairing(Pairing {
                        id: String::new(),
                        mentor_id: offer.mentor_id.clone(),
                        protege_id: protege_id.clone(),
                        score: offer.score,
                        reasons: offer.reasons.clone(),
                        matcher: matcher_name.clone(),
                        state: PairingState::Offered,
                        updated_at: now,
                        recommended: offer.assigned,
                        run_id: run_id.clone(),
                        cost: Some(offer.cost),
                        ended_reason: None,
                    })?;
                    offer.pairing_id = Some(stored.id);
                }
            }
            out.push(ProtegeOffers {
                protege_id,
                needs: proteges[p].needs.clone(),
                shortlist,
                unmatched,
            });
        }
        if req.commit {
            self.records.flush().await?;
        }
        Ok(MatchReport {
            matcher: matcher_name,
            proteges: out,
            matched: solved.matched,
            total_score: solved.total_score,
            matcher_ms,
            solver_ms,
            committed: req.commit,
            mentors_unacknowledged: unacknowledged,
        })
    }

    /// Has `agent` enrolled, acknowledging that supervisors may monitor
    /// mentoring?
    fn acknowledged_monitoring(&self, agent: &str) -> Result<bool, RecordError> {
        Ok(self
            .records
            .mentoring
            .enrolment(agent)?
            .is_some_and(|e| e.monitoring_acknowledged))
    }

    /// The protégé picks an offered mentor: that pairing is accepted, their
    /// other offers end. Refused when the mentor has no place left.
    pub async fn accept(&self, id: &str) -> Result<Pairing, RecordError> {
        let p = self.records.mentoring.pairing(id)?;
        if p.state != PairingState::Offered {
            return Err(RecordError::Conflict(format!(
                "pairing {id} is {}, not offered",
                crate::store::pairing_state(p.state)
            )));
        }
        let mentor = self.records.mentoring.mentor_profile(&p.mentor_id)?;
        if mentor.opted_out_at.is_some() || self.places_left(&mentor)? == 0 {
            return Err(RecordError::Conflict(format!(
                "mentor {} has no place left; choose another offer or ask for a new match",
                p.mentor_id
            )));
        }
        if self.is_paired(&p.protege_id)? {
            return Err(RecordError::Conflict(format!(
                "{} already has a mentor",
                p.protege_id
            )));
        }
        if !self.acknowledged_monitoring(&p.mentor_id)? {
            return Err(RecordError::Conflict(format!(
                "mentor {} has not acknowledged that supervisors may monitor mentoring (they enrol with monitoring_acknowledged); choose another offer",
                p.mentor_id
            )));
        }
        let accepted = self.records.mentoring.stage_pairing_change(id, |x| {
            x.state = PairingState::Accepted;
            Ok(())
        })?;
        for other in self.records.mentoring.pairings_in(
            Term::ProtegeState,
            &p.protege_id,
            PairingState::Offered,
        )? {
            self.records
                .mentoring
                .stage_pairing_change(&other.id, |x| {
                    x.state = PairingState::Ended;
                    x.ended_reason = Some("the protégé chose another mentor".into());
                    Ok(())
                })?;
        }
        self.records.flush().await?;
        Ok(accepted)
    }

    /// End a pairing and re-match the protégé (without that mentor); the
    /// new offers are stored.
    pub async fn end(&self, id: &str, reason: &str) -> Result<(Pairing, MatchReport), RecordError> {
        if reason.trim().is_empty() {
            return Err(invalid("reason", "say why the pairing ends"));
        }
        let ended = self.records.mentoring.stage_pairing_change(id, |x| {
            if x.state == PairingState::Ended {
                return Err(RecordError::Conflict(format!(
                    "pairing {} has already ended",
                    x.id
                )));
            }
            x.state = PairingState::Ended;
            x.ended_reason = Some(reason.trim().to_string());
            Ok(())
        })?;
        self.records.flush().await?;
        let mut exclude = HashSet::new();
        exclude.insert((ended.protege_id.clone(), ended.mentor_id.clone()));
        let rematch = match self.records.mentoring.enrolment(&ended.protege_id)? {
            Some(_) => {
                self.run_match(
                    MatchRequest {
                        proteges: vec![ended.protege_id.clone()],
                        from: None,
                        commit: true,
                    },
                    &exclude,
                    &Scope::All,
                )
                .await?
            }
            None => MatchReport {
                matcher: self.matcher(),
                proteges: Vec::new(),
                matched: 0,
                total_score: 0.0,
                matcher_ms: 0.0,
                solver_ms: 0.0,
                committed: false,
                mentors_unacknowledged: Vec::new(),
            },
        };
        Ok((ended, rematch))
    }

    /// A supervisor (`actor`) drops in on a pairing: allowed when it runs
    /// and both agents acknowledged the monitoring notice. Audited either
    /// way, with the refusal's reason or the supervisor's note.
    pub async fn drop_in(
        &self,
        id: &str,
        actor: &str,
        note: Option<String>,
    ) -> Result<Pairing, RecordError> {
        let p = match self.check_drop_in(id) {
            Ok(p) => p,
            Err(e) => {
                let pair = self.records.mentoring.pairing(id).ok();
                let agents: Vec<&str> = pair
                    .as_ref()
                    .map(|p| vec![p.mentor_id.as_str(), p.protege_id.as_str()])
                    .unwrap_or_default();
                self.records
                    .audit
                    .audit_about(
                        actor,
                        "mentoring.drop-in.refused",
                        id,
                        Some(e.to_string()),
                        &agents,
                    )
                    .await?;
                return Err(e);
            }
        };
        let detail = format!(
            "mentor {}, protégé {}{}",
            p.mentor_id,
            p.protege_id,
            note.map(|n| format!(": {n}")).unwrap_or_default()
        );
        self.records
            .audit
            .audit_about(
                actor,
                "mentoring.drop-in",
                id,
                Some(detail),
                &[&p.mentor_id, &p.protege_id],
            )
            .await?;
        Ok(p)
    }

    fn check_drop_in(&self, id: &str) -> Result<Pairing, RecordError> {
        let p = self.records.mentoring.pairing(id)?;
        if !matches!(p.state, PairingState::Accepted | PairingState::Active) {
            return Err(RecordError::Conflict(format!(
                "pairing {id} is {}; only running pairings are monitored",
                crate::store::pairing_state(p.state)
            )));
        }
        for (who, agent) in [("mentor", &p.mentor_id), ("protégé", &p.protege_id)] {
            if !self.acknowledged_monitoring(agent)? {
                return Err(RecordError::Conflict(format!(
                    "drop-in refused: the {who} {agent} has not acknowledged that supervisors may monitor mentoring (they enrol with monitoring_acknowledged)"
                )));
            }
        }
        Ok(p)
    }

    /// The mentor files a progress report on a running pairing.
    pub async fn report(
        &self,
        id: &str,
        mut r: ProgressReport,
    ) -> Result<ProgressReport, RecordError> {
        let p = self.records.mentoring.pairing(id)?;
        if !matches!(p.state, PairingState::Accepted | PairingState::Active) {
            return Err(RecordError::Conflict(format!(
                "pairing {id} is {}; reports are filed on running pairings",
                crate::store::pairing_state(p.state)
            )));
        }
        r.pairing_id = p.id;
        r.mentor_id = p.mentor_id;
        r.protege_id = p.protege_id;
        self.records.mentoring.file_report(r).await
    }

    /// A protégé's pairings, reports, score trend and needs.
    pub fn view(&self, agent_id: &str) -> Result<MentoringView, RecordError> {
        let to = now_ms();
        let mut pairings = every(Filter::term(Term::Protege(agent_id.to_string())), |f| {
            self.records.mentoring.pairings(f)
        })?;
        pairings.reverse();
        let mut reports = self.records.mentoring.reports_for(agent_id)?;
        reports.reverse();
        Ok(MentoringView {
            agent_id: agent_id.to_string(),
            pairings,
            reports,
            trend: self.analytics.trends(
                Cohort::Agent(agent_id.to_string()),
                to - 12 * 7 * DAY_MS,
                to + 1,
            )?,
            needs: self.needs(agent_id, to - 28 * DAY_MS, to + 1)?,
            monitoring_acknowledged: self.acknowledged_monitoring(agent_id)?,
        })
    }
}
