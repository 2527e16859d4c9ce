//! Mentor profiles, enrolments, pairings and progress reports.

use super::{Filter, MentoringRecords, RecordError, Result, every, invalid};
use crate::clock::now_ms;
use crate::model::{Enrolment, MentorProfile, Pairing, PairingState, ProgressReport, new_id};
use crate::store::{Page, Term};

/// The most protégés one mentor may take.
pub const MAX_CAPACITY: u32 = 20;

impl MentoringRecords {
    /// Opt in (or update an opt-in) as a mentor. Durable on return.
    pub async fn put_mentor_profile(&self, mut p: MentorProfile) -> Result<MentorProfile> {
        self.agent_exists("agent_id", &p.agent_id)?;
        if !(1..=MAX_CAPACITY).contains(&p.capacity) {
            return Err(invalid(
                "capacity",
                format!("must be within 1..={MAX_CAPACITY} protégés"),
            ));
        }
        if p.channels.is_empty() {
            return Err(invalid(
                "channels",
                "name at least one channel you mentor on",
            ));
        }
        if let Some(o) = p.utc_offset_minutes
            && !(-720..=840).contains(&o)
        {
            return Err(invalid("utc_offset_minutes", "must be within −720..=840"));
        }
        p.strengths.retain(|s| !s.trim().is_empty());
        p.channels.dedup();
        let old: Option<MentorProfile> = self.store.mentors.get(&p.agent_id)?;
        p.opted_in_at = match old {
            Some(o) if o.opted_out_at.is_none() => o.opted_in_at,
            _ => now_ms(),
        };
        p.opted_out_at = None;
        Ok(self.write(&self.store.mentors, p).await?.1)
    }

    /// One mentor profile (opted in or out).
    pub fn mentor_profile(&self, agent_id: &str) -> Result<MentorProfile> {
        self.get(&self.store.mentors, agent_id)
    }

    /// A page of mentor profiles, opted in or out.
    pub fn mentors(&self, f: Filter) -> Result<Page<MentorProfile>> {
        self.list(&self.store.mentors, f)
    }

    /// Every mentor profile, opted in or out.
    pub fn mentor_profiles(&self) -> Result<Vec<MentorProfile>> {
        every(Filter::default(), |f| self.list(&self.store.mentors, f))
    }

    /// Opt out: the profile is kept, marked, and never matched again; the
    /// mentor's open pairings end. Durable on return.
    pub async fn opt_out_mentor(&self, agent_id: &str) -> Result<(MentorProfile, Vec<Pairing>)> {
        let mut p = self.mentor_profile(agent_id)?;
        if p.opted_out_at.is_some() {
            return Err(RecordError::Conflict(format!(
                "{agent_id} has already opted out"
            )));
        }
        p.opted_out_at = Some(now_ms());
        self.store.mentors.upsert(p.clone())?;
        let mut ended = Vec::new();
        for state in [
            PairingState::Offered,
            PairingState::Accepted,
            PairingState::Active,
        ] {
            for mut pairing in self.pairings_in(Term::MentorState, agent_id, state)? {
                pairing.state = PairingState::Ended;
                pairing.ended_reason = Some("the mentor opted out".into());
                pairing.updated_at = now_ms();
                ended.push(self.store.pairings.upsert(pairing)?.1);
            }
        }
        self.flush().await?;
        Ok((p, ended))
    }

    /// Enrol (or update an enrolment) in the mentoring program; the
    /// monitoring notice must be acknowledged. Durable on return.
    pub async fn enrol(&self, mut e: Enrolment) -> Result<Enrolment> {
        self.agent_exists("agent_id", &e.agent_id)?;
        if !e.monitoring_acknowledged {
            return Err(invalid(
                "monitoring_acknowledged",
                "enrolment records that you were told supervisors may occasionally monitor mentoring interactions; set it to true to agree",
            ));
        }
        e.acknowledged_at = now_ms();
        Ok(self.write(&self.store.enrolments, e).await?.1)
    }

    /// An agent's enrolment, if any.
    pub fn enrolment(&self, agent_id: &str) -> Result<Option<Enrolment>> {
        Ok(self.store.enrolments.get(agent_id)?)
    }

    /// Every enrolment.
    pub fn enrolments(&self) -> Result<Vec<Enrolment>> {
        every(Filter::default(), |f| self.list(&self.store.enrolments, f))
    }

    /// Pairings of one mentor or protégé (`Term::MentorState` or
    /// `Term::ProtegeState`) in one state.
    pub fn pairings_in(
        &self,
        term: fn(String, String) -> Term,
        value: &str,
        state: PairingState,
    ) -> Result<Vec<Pairing>> {
        let term = term(value.to_string(), crate::store::pairing_state(state).into());
        every(Filter::term(term), |f| self.list(&self.store.pairings, f))
    }

    /// The accepted or active pairing of `mentor` with `protege`, if any.
    pub fn current_pairing(&self, mentor: &str, protege: &str) -> Result<Option<Pairing>> {
        for state in [PairingState::Active, PairingState::Accepted] {
            if let Some(p) = self
                .pairings_in(Term::ProtegeState, protege, state)?
                .into_iter()
                .find(|p| p.mentor_id == mentor)
            {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// A page of pairings (`term` = protege, mentor or state).
    pub fn pairings(&self, f: Filter) -> Result<Page<Pairing>> {
        self.list(&self.store.pairings, f)
    }

    /// One pairing.
    pub fn pairing(&self, id: &str) -> Result<Pairing> {
        self.get(&self.store.pairings, id)
    }

    /// Stage new pairings (a match run's offers), not flushed.
    pub fn stage_pairing(&self, mut p: Pairing) -> Result<Pairing> {
        p.id = new_id();
        Ok(self.store.pairings.upsert(p)?.1)
    }

    /// Move a pairing; `check` may refuse. The caller flushes.
    pub fn stage_pairing_change(
        &self,
        id: &str,
        change: impl FnOnce(&mut Pairing) -> Result<()>,
    ) -> Result<Pairing> {
        let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
        let mut p = self.pairing(id)?;
        change(&mut p)?;
        p.updated_at = now_ms();
        Ok(self.store.pairings.upsert(p)?.1)
    }

    /// File a progress report. Durable on return.
    pub async fn file_report(&self, mut r: ProgressReport) -> Result<ProgressReport> {
        for (field, v) in [
            ("doing_well", &r.doing_well),
            ("to_improve", &r.to_improve),
            ("next_focus", &r.next_focus),
        ] {
            if v.trim().is_empty() {
                return Err(invalid(field, "must not be empty"));
            }
        }
        r.id = new_id();
        r.filed_at = now_ms();
        Ok(self.write(&self.store.progress_reports, r).await?.1)
    }

    /// A protégé's progress reports, oldest first.
    pub fn reports_for(&self, protege: &str) -> Result<Vec<ProgressReport>> {
        every(Filter::term(Term::Protege(protege.to_string())), |f| {
            self.list(&self.store.progress_reports, f)
        })
    }
}
