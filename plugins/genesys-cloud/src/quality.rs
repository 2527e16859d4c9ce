//! Quality evaluations: the `v2.quality.evaluations` notification's
//! `eventBody` (model `EvaluationQualityV2TopicEvaluationV2`), also accepting
//! the REST `Evaluation` shape's `evaluationForm`, `conversation` and
//! `answers` with per-question scores.
//!
//! | Genesys | evaluation field |
//! |---|---|
//! | id | external-id |
//! | evaluationFormId (REST: evaluationForm.id) | form-id |
//! | — (Genesys versions a form by publishing a new form id) | form-version: none |
//! | conversationId (REST: conversation.id) | interaction-external-id |
//! | agent.id | agent-vendor-id (and an agent event with agent.displayName / agent.name) |
//! | evaluator.id | evaluator-vendor-id |
//! | the first of submittedDate, releaseDate, changedDate, eventTime | evaluated-at |
//! | scoringSet / answers .questionGroupScores[].questionScores[] | answers |
//! | … questionId | criterion-id |
//! | … markedNA = true | not-applicable |
//! | … score | score |
//! | … comments | comment |
//! | scoringSet / answers .totalScore | vendor-score percentage |
//! | scoringSet / answers .totalCriticalScore | vendor-score critical-percentage |
//! | answers.anyFailedKillQuestions, or any question's failedKillQuestion | vendor-score auto-failed |
//!
//! `assignedDate` is when the evaluator got the work, not when it was done, so
//! it is never used for evaluated-at. Only finished evaluations are coaching
//! data: a `status` other than `FINISHED`, or `eventType` `DELETE`, produces no
//! events and a note for the log.

use crate::bindings::sidecoach::plugin::types::{
    Agent, Answer, AnswerValue, Evaluation, Event, VendorScore,
};
use crate::input::{Rec, Result};

/// The timestamps tried for evaluated-at, best first.
const EVALUATED_AT_KEYS: &[&str] = &["submittedDate", "releaseDate", "changedDate", "eventTime"];

/// One evaluation notification body.
pub fn evaluation(body: &Rec<'_>, notes: &mut Vec<String>) -> Result<Vec<Event>> {
    let external_id = body.req_id("id")?;
    if let Some(status) = body.str("status")?
        && !status.eq_ignore_ascii_case("FINISHED")
    {
        notes.push(format!(
            "evaluation {external_id} skipped: status {status} (only FINISHED evaluations are read)"
        ));
        return Ok(Vec::new());
    }
    if let Some(kind) = body.str("eventType")?
        && kind.eq_ignore_ascii_case("DELETE")
    {
        notes.push(format!(
            "evaluation {external_id} skipped: eventType {kind}"
        ));
        return Ok(Vec::new());
    }

    let form_id = match body.id("evaluationFormId")? {
        Some(id) => id,
        None => match body.child("evaluationForm")? {
            Some(form) => form.req_id("id")?,
            None => body.req_id("evaluationFormId")?,
        },
    };
    let interaction = match body.id("conversationId")? {
        Some(id) => Some(id),
        None => match body.child("conversation")? {
            Some(c) => c.id("id")?,
            None => None,
        },
    };
    let agent = body.child("agent")?;
    let agent_id = match &agent {
        Some(a) => a.id("id")?,
        None => None,
    };
    let evaluator_id = match body.child("evaluator")? {
        Some(e) => e.id("id")?,
        None => None,
    };
    let mut evaluated_at = None;
    for key in EVALUATED_AT_KEYS {
        evaluated_at = body.timestamp(key)?;
        if evaluated_at.is_some() {
            break;
        }
    }

    let mut answers = Vec::new();
    let mut vendor_score = None;
    let scoring = match body.child("answers")? {
        Some(answers) => Some(answers),
        None => body.child("scoringSet")?,
    };
    if let Some(scoring) = scoring {
        let mut killed = scoring.bool("anyFailedKillQuestions")?;
        for group in scoring.children("questionGroupScores")? {
            for question in group.children("questionScores")? {
                let value = if question.bool("markedNA")?.unwrap_or(false) {
                    AnswerValue::NotApplicable
                } else {
                    AnswerValue::Score(question.number("score")?.ok_or_else(|| {
                        let field = question.at("score");
                        crate::input::invalid(
                            field.clone(),
                            format!("`{field}` is required unless `markedNA` is true"),
                        )
                    })?)
                };
                if question.bool("failedKillQuestion")? == Some(true) {
                    killed = Some(true);
                }
                answers.push(Answer {
                    criterion_id: question.req_id("questionId")?,
                    value,
                    comment: question.str("comments")?.map(str::to_string),
                });
            }
        }
        let percentage = scoring.non_negative("totalScore")?;
        let critical_percentage = scoring.non_negative("totalCriticalScore")?;
        if percentage.is_some() || critical_percentage.is_some() || killed.is_some() {
            vendor_score = Some(VendorScore {
                percentage,
                auto_failed: killed.unwrap_or(false),
                critical_percentage,
            });
        }
    }

    let mut events = Vec::new();
    if let (Some(agent), Some(id)) = (&agent, &agent_id) {
        let name = match agent.str("displayName")? {
            Some(name) => Some(name),
            None => agent.str("name")?,
        };
        if let Some(name) = name {
            events.push(Event::Agent(Agent {
                vendor_user_id: id.clone(),
                name: Some(name.to_string()),
                email: None,
                team: None,
                supervisor_vendor_id: None,
            }));
        }
    }
    events.push(Event::Evaluation(Evaluation {
        external_id,
        form_id,
        form_version: None,
        interaction_external_id: interaction,
        agent_vendor_id: agent_id,
        evaluator_vendor_id: evaluator_id,
        evaluated_at,
        answers,
        vendor_score,
    }));
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Parses one evaluation body at `eventBody`.
    fn run(v: serde_json::Value) -> Result<(Vec<Event>, Vec<String>)> {
        let mut notes = Vec::new();
        let events = evaluation(&Rec::new(&v, "eventBody")?, &mut notes)?;
        Ok((events, notes))
    }

    /// The REST shape's nested ids; evaluated-at falls back to changedDate.
    #[test]
    fn rest_shape_and_fallback_dates() {
        let (events, notes) = run(json!({
            "id": "e1", "evaluationForm": {"id": "f1", "name": "Form"},
            "conversation": {"id": "c1"}, "agent": {"id": "a1"},
            "changedDate": "2024-05-02T00:00:00Z", "assignedDate": "2024-05-01T00:00:00Z"
        }))
        .unwrap();
        assert!(notes.is_empty());
        // No agent name: no agent event.
        let [Event::Evaluation(e)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(e.form_id, "f1");
        assert_eq!(e.interaction_external_id.as_deref(), Some("c1"));
        assert_eq!(e.evaluated_at, Some(1_714_608_000_000));
        assert_eq!(e.vendor_score, None);
        assert_eq!(e.evaluator_vendor_id, None);
    }

    /// Errors name the question, or the missing form id.
    #[test]
    fn errors_name_the_question() {
        let e = run(json!({
            "id": "e1", "evaluationFormId": "f1",
            "answers": {"questionGroupScores": [{"questionScores": [
                {"questionId": "q1", "score": 1},
                {"questionId": "q2", "score": "high"}
            ]}]}
        }))
        .unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("eventBody.answers.questionGroupScores[0].questionScores[1].score")
        );
        let e = run(json!({"id": "e1"})).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("eventBody.evaluationFormId"));
        let e = run(json!({"id": "e1", "evaluationFormId": "f1",
            "scoringSet": {"questionGroupScores": [{"questionScores": [{"questionId": "q"}]}]}}))
        .unwrap_err();
        assert!(e.message.contains("markedNA"), "{}", e.message);
    }

    /// A DELETE notification yields no event, only a note.
    #[test]
    fn deleted_evaluations_are_skipped() {
        let (events, notes) =
            run(json!({"id": "e9", "status": "FINISHED", "eventType": "DELETE"})).unwrap();
        assert!(events.is_empty());
        assert!(notes[0].contains("e9"), "{notes:?}");
    }
}
