//! Contacts and what was said about them: QA forms (versioned),
//! interactions, evaluations (checked against their form) and customer
//! feedback, upserted idempotently on `(source, external_id)`.

use super::*;

impl Contacts {
    /// Store a new version of a form; the version must be higher than any
    /// stored one.
    pub async fn create_form(&self, form: Form) -> Result<StoredForm> {
        form.validate()?;
        if let Some(latest) = self.latest_form(&form.id)?
            && form.version <= latest.form.version
        {
            return Err(RecordError::Conflict(format!(
                "form {} already has version {}; a new version must be higher",
                form.id, latest.form.version
            )));
        }
        Ok(self
            .write(&self.store.forms, StoredForm::new(form, now_ms()))
            .await?
            .1)
    }

    fn latest_form(&self, id: &str) -> Result<Option<StoredForm>> {
        Ok(self.store.forms.last(&Term::Form(id.to_string()))?)
    }

    /// A form version, or the latest.
    pub fn form(&self, id: &str, version: Option<u32>) -> Result<StoredForm> {
        let found = match version {
            Some(v) => self.store.forms.get(&StoredForm::key_of(id, v))?,
            None => self.latest_form(id)?,
        };
        found.ok_or_else(|| RecordError::NotFound {
            kind: "form",
            id: version.map_or(id.to_string(), |v| format!("{id} version {v}")),
        })
    }

    /// A page of form versions.
    pub fn forms(&self, f: Filter) -> Result<Page<StoredForm>> {
        self.list(&self.store.forms, f)
    }

    fn check_source(source: &str, external_id: &str) -> Result<()> {
        if source.trim().is_empty() {
            return Err(invalid("source", "must not be empty"));
        }
        if external_id.trim().is_empty() {
            return Err(invalid("external_id", "must not be empty"));
        }
        Ok(())
    }

    /// Validate and write an interaction without flushing: for a batch that
    /// flushes once ([`Records::flush`]) before it is acknowledged.
    pub fn stage_interaction(
        &self,
        mut i: Interaction,
        id: Option<&str>,
    ) -> Result<(Upserted, Interaction)> {
        Self::check_source(&i.source, &i.external_id)?;
        for (field, t) in [("started_at", i.started_at), ("ended_at", i.ended_at)] {
            if let Some(t) = t {
                crate::model::Invalid::time(field, t)?;
            }
        }
        if let (Some(s), Some(e)) = (i.started_at, i.ended_at)
            && e < s
        {
            return Err(invalid("ended_at", "is before started_at"));
        }
        if let Some(s) = &i.sentiment {
            for (f, v) in [
                ("customer", s.customer),
                ("agent", s.agent),
                ("customer_final_quarter", s.customer_final_quarter),
            ] {
                if let Some(v) = v
                    && !(-5.0..=5.0).contains(&v)
                {
                    return Err(invalid(
                        format!("sentiment.{f}"),
                        format!("{v} is outside -5..5"),
                    ));
                }
            }
        }
        i.team_id = match &i.agent_id {
            Some(a) => self.agent_exists("agent_id", a)?.team_id,
            None => None,
        };
        let existing = self.resolve::<Interaction>(
            &self.store.interactions,
            &i.source,
            &i.external_id,
            &mut i.id,
            id,
        )?;
        i.received_at = existing.map_or_else(now_ms, |e| e.received_at);
        Ok(self.store.interactions.upsert(i)?)
    }

    /// Settle the id of a vendor record: the stored one for its external
    /// key, the path id for an update, or a new one.
    fn resolve<R: Record>(
        &self,
        c: &Collection,
        source: &str,
        external_id: &str,
        id: &mut String,
        path_id: Option<&str>,
    ) -> Result<Option<R>> {
        let by_ext = c.id_for_external(source, external_id)?;
        match path_id {
            Some(p) => {
                // An unreadable stored record (an older build's) is
                // replaced whole by a write to its id.
                let existing: Option<R> = match c.get::<R>(p) {
                    Ok(Some(r)) => Some(r),
                    Ok(None) => {
                        return Err(RecordError::NotFound {
                            kind: R::KIND,
                            id: p.to_string(),
                        });
                    }
                    Err(StoreError::Corrupt { .. }) => None,
                    Err(e) => return Err(e.into()),
                };
                if let Some(other) = by_ext.filter(|o| o != p) {
                    return Err(RecordError::Conflict(format!(
                        "({source}, {external_id}) already belongs to {other}"
                    )));
                }
                if !id.is_empty() && id != p {
                    return Err(invalid("id", "does not match the path"));
                }
                *id = p.to_string();
                Ok(existing)
            }
            None => {
                check_ulid_free(id)?;
                match by_ext {
                    Some(existing) => {
                        *id = existing.clone();
                        Ok(readable(c.get(&existing))?)
                    }
                    None => {
                        *id = crate::model::new_id();
                        Ok(None)
                    }
                }
            }
        }
    }

    /// One interaction.
    pub fn interaction(&self, id: &str) -> Result<Interaction> {
        self.get(&self.store.interactions, id)
    }

    /// A page of interactions.
    pub fn interactions(&self, f: Filter) -> Result<Page<Interaction>> {
        self.list(&self.store.interactions, f)
    }

    /// Validate and write an evaluation without flushing: for a batch that
    /// flushes once ([`Records::flush`]) before it is acknowledged.
    pub fn stage_evaluation(
        &self,
        mut e: Evaluation,
        id: Option<&str>,
    ) -> Result<(Upserted, Evaluation)> {
        Self::check_source(&e.source, &e.external_id)?;
        e.team_id = self.agent_exists("agent_id", &e.agent_id)?.team_id;
        self.link_contact(&e.source, &mut e.interaction_id, &mut e.interaction_ref)?;
        if e.scorecard.is_some() || e.score_error.is_some() {
            return Err(invalid(
                if e.scorecard.is_some() {
                    "scorecard"
                } else {
                    "score_error"
                },
                "is computed by the scorer; leave it out",
            ));
        }
        let form = self
            .form(&e.form_id, (e.form_version != 0).then_some(e.form_version))
            .map_err(|_| {
                invalid(
                    "form_id",
                    format!("unknown form {:?} (version {})", e.form_id, e.form_version),
                )
            })?;
        e.form_version = form.form.version;
        let mut seen = std::collections::HashSet::new();
        for (k, a) in e.answers.iter().enumerate() {
            let Some(c) = form
                .form
                .sections
                .iter()
                .flat_map(|s| &s.criteria)
                .find(|c| c.id == a.criterion_id)
            else {
                return Err(invalid(
                    format!("answers[{k}].criterion_id"),
                    format!("form {} has no criterion {:?}", e.form_id, a.criterion_id),
                ));
            };
            if !seen.insert(a.criterion_id.as_str()) {
                return Err(invalid(
                    format!("answers[{k}].criterion_id"),
                    format!("criterion {:?} is answered twice", a.criterion_id),
                ));
            }
            if let AnswerValue::Score(v) = a.value
                && !(v.is_finite() && (c.scale_min..=c.scale_max).contains(&v))
            {
                return Err(invalid(
                    format!("answers[{k}].value"),
                    format!("{v} is outside the scale {}..{}", c.scale_min, c.scale_max),
                ));
            }
        }
        if e.evaluated_at == 0 {
            e.evaluated_at = now_ms();
        }
        let existing = self.resolve::<Evaluation>(
            &self.store.evaluations,
            &e.source,
            &e.external_id,
            &mut e.id,
            id,
        )?;
        if let Some(old) = existing {
            // A redelivery keeps the score computed for the same answers.
            if old.answers == e.answers && old.form_version == e.form_version {
                e.scorecard = old.scorecard;
                e.score_error = old.score_error;
            }
        }
        Ok(self.store.evaluations.upsert(e)?)
    }

    /// One evaluation.
    pub fn evaluation(&self, id: &str) -> Result<Evaluation> {
        self.get(&self.store.evaluations, id)
    }

    /// A page of evaluations.
    pub fn evaluations(&self, f: Filter) -> Result<Page<Evaluation>> {
        self.list(&self.store.evaluations, f)
    }

    /// Validate and write feedback without flushing: for a batch that
    /// flushes once ([`Records::flush`]) before it is acknowledged.
    pub fn stage_feedback(
        &self,
        mut f: Feedback,
        id: Option<&str>,
    ) -> Result<(Upserted, Feedback)> {
        Self::check_source(&f.source, &f.external_id)?;
        for (field, v) in [
            ("value", f.value),
            ("scale_min", f.scale_min),
            ("scale_max", f.scale_max),
        ] {
            crate::model::Invalid::within(
                field,
                v,
                -crate::model::MAX_SCALE,
                crate::model::MAX_SCALE,
            )?;
        }
        if f.received_at != 0 {
            crate::model::Invalid::time("received_at", f.received_at)?;
        }
        if f.scale_max <= f.scale_min {
            return Err(invalid("scale_max", "must be greater than scale_min"));
        }
        if !(f.scale_min..=f.scale_max).contains(&f.value) {
            return Err(invalid(
                "value",
                format!(
                    "{} is outside the scale {}..{}",
                    f.value, f.scale_min, f.scale_max
                ),
            ));
        }
        // Feedback on a known contact is feedback on that contact: its
        // agent's when the rating names none, and on its topics as well as
        // the rating's own (so topic rules, topic analytics and `?topic=`
        // see them).
        if let Some(contact) =
            self.link_contact(&f.source, &mut f.interaction_id, &mut f.interaction_ref)?
        {
            if f.agent_id.is_none() {
                f.agent_id = contact.agent_id;
            }
            for topic in contact.topics {
                if !f.topics.contains(&topic) {
                    f.topics.push(topic);
                }
            }
        }
        f.team_id = match &f.agent_id {
            Some(a) => self.agent_exists("agent_id", a)?.team_id,
            None => None,
        };
        let existing = self.resolve::<Feedback>(
            &self.store.feedback,
            &f.source,
            &f.external_id,
            &mut f.id,
            id,
        )?;
        if f.received_at == 0 {
            f.received_at = existing.map_or_else(now_ms, |e| e.received_at);
        }
        Ok(self.store.feedback.upsert(f)?)
    }

    /// One feedback record.
    pub fn feedback(&self, id: &str) -> Result<Feedback> {
        self.get(&self.store.feedback, id)
    }

    /// A page of feedback.
    pub fn feedback_list(&self, f: Filter) -> Result<Page<Feedback>> {
        self.list(&self.store.feedback, f)
    }

    /// Link a feedback or evaluation to the contact it is about, the one way
    /// both vendor ingest and the records API do it: `interaction_id` must
    /// name a stored interaction; `interaction_ref`, the vendor's id of the
    /// contact, names the stored interaction with that external id (this
    /// source's first, then any source's) and becomes its `interaction_id`,
    /// or is kept as it is when no stored interaction has it yet (a survey
    /// may arrive before the call record). Given both, they must name the
    /// same contact. Returns the stored contact, when there is one.
    pub fn link_contact(
        &self,
        source: &str,
        interaction_id: &mut Option<String>,
        interaction_ref: &mut Option<String>,
    ) -> Result<Option<Interaction>> {
        let by_id = match interaction_id.as_deref() {
            Some(i) => Some(
                readable(self.store.interactions.get::<Interaction>(i))?.ok_or_else(|| {
                    invalid("interaction_id", format!("unknown interaction {i:?}"))
                })?,
            ),
            None => None,
        };
        let ext = interaction_ref
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        let Some(ext) = ext else {
            *interaction_ref = None;
            return Ok(by_id);
        };
        let by_ref = self.interaction_for_external(source, &ext)?;
        match (by_id, by_ref) {
            (Some(i), Some(r)) if i.id == r.id => {
                *interaction_ref = None;
                Ok(Some(i))
            }
            (Some(i), other) => Err(invalid(
                "interaction_ref",
                match other {
                    Some(r) => format!(
                        "{ext:?} names interaction {}, but interaction_id is {}",
                        r.id, i.id
                    ),
                    None => format!(
                        "{ext:?} names no stored interaction, but interaction_id is {} \
                         (external id {:?}); give one of them",
                        i.id, i.external_id
                    ),
                },
            )),
            (None, Some(r)) => {
                *interaction_id = Some(r.id.clone());
                *interaction_ref = None;
                Ok(Some(r))
            }
            (None, None) => {
                *interaction_ref = Some(ext);
                Ok(None)
            }
        }
    }

    /// The stored interaction a vendor id names: this source's first, then
    /// any source's (a survey names the contact the telephony source sent).
    pub fn interaction_for_external(
        &self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<Interaction>> {
        match self.interaction_by_key(source, external_id)? {
            Some(i) => Ok(Some(i)),
            None => Ok(self
                .store
                .interactions
                .last(&Term::External(external_id.to_string()))?),
        }
    }

    /// The interaction stored under `(source, external_id)`, if any.
    pub fn interaction_by_key(
        &self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<Interaction>> {
        match self
            .store
            .interactions
            .id_for_external(source, external_id)?
        {
            Some(id) => Ok(readable(self.store.interactions.get(&id))?),
            None => Ok(None),
        }
    }

    /// Write an evaluation's scorecard (or scoring error) as the scorer
    /// produced it, without flushing. The evaluation must exist.
    pub fn stage_scored(&self, e: Evaluation) -> Result<Evaluation> {
        Ok(self.store.evaluations.update(e)?.1)
    }
}

/// A stored record as `None` when it cannot be read (an older build's):
/// the write at hand replaces it whole rather than failing on it.
fn readable<R>(
    got: std::result::Result<Option<R>, StoreError>,
) -> std::result::Result<Option<R>, StoreError> {
    match got {
        Err(StoreError::Corrupt { what, source }) => {
            tracing::warn!(record = %what, error = %source, "unreadable record replaced by a write");
            Ok(None)
        }
        other => other,
    }
}
