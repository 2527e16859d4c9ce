//! Contact Lens evaluation form exports (`schemaVersion` 3.x): one submitted
//! evaluation with its metadata, sections and answered questions.

use crate::bindings::sidecoach::plugin::types::{
    Answer, AnswerValue, Evaluation, Event, VendorScore,
};
use crate::fields::{Obj, Result, describe, invalid};
use serde_json::Value;

/// Whether a record is an evaluation export: an `evaluationId`, or
/// `metadata` with `questions` or `sections`.
pub fn matches(top: &Obj<'_>) -> bool {
    top.has("evaluationId")
        || (top.has("metadata") && (top.has("questions") || top.has("sections")))
}

/// An evaluation export as one evaluation.
pub fn parse(top: &Obj<'_>) -> Result<Vec<Event>> {
    let metadata = top
        .child("metadata")?
        .ok_or_else(|| invalid("metadata", "the evaluation export has no `metadata`"))?;
    let external_id = match top.str("evaluationId")? {
        Some(id) => id,
        None => metadata
            .required_str("evaluationId")
            .map_err(|_| invalid("evaluationId", "`evaluationId` is missing or empty"))?,
    }
    .trim()
    .to_string();
    let form_id = metadata
        .required_str("evaluationDefinitionId")?
        .trim()
        .to_string();
    let form_version = match metadata.number("evaluationDefinitionVersion")? {
        None => None,
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Some(n as u32),
        Some(n) => {
            return Err(invalid(
                metadata.path_of("evaluationDefinitionVersion"),
                format!("must be a whole number, got {n}"),
            ));
        }
    };
    let agent_vendor_id = match metadata.str("agentId")? {
        Some(id) => Some(id.trim().to_string()),
        None => metadata.arn_id("agentArn")?,
    };
    let mut answers = Vec::new();
    if let Some((path, questions)) = top.array("questions")? {
        for (i, q) in questions.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let Value::Object(map) = q else {
                return Err(invalid(
                    at,
                    format!("a question must be an object, got {}", describe(q)),
                ));
            };
            if let Some(answer) = answer(&Obj::new(map, at))? {
                answers.push(answer);
            }
        }
    }
    let vendor_score = match metadata.child("score")? {
        None => None,
        Some(score) => {
            let not_applicable = score.bool("notApplicable")?.unwrap_or(false);
            let percentage = score.non_negative("percentage")?;
            Some(VendorScore {
                percentage: if not_applicable { None } else { percentage },
                auto_failed: score.bool("automaticFail")?.unwrap_or(false),
                critical_percentage: None,
            })
        }
    };
    Ok(vec![Event::Evaluation(Evaluation {
        external_id,
        form_id,
        form_version,
        interaction_external_id: metadata.str("contactId")?.map(|s| s.trim().to_string()),
        agent_vendor_id,
        evaluator_vendor_id: metadata.str("evaluator")?.map(|s| s.trim().to_string()),
        evaluated_at: metadata.timestamp("evaluationSubmitTimestamp")?,
        answers,
        vendor_score,
    })])
}

/// One question as an answer, or `None` when it carries nothing a score can
/// use (a TEXT or DATETIME question, an unanswered question, or a selection
/// with neither a question score nor a numeric or yes/no option).
///
/// * `answer.metadata.notApplicable: true` → not applicable;
/// * NUMERIC: `answer.value` (a number, or a numeric string) → score;
/// * SINGLESELECT / MULTISELECT (`answer.values[].selected`): the question's
///   own `score.percentage` (Connect's points for the chosen option, 0..100)
///   → score; if the question is unscored, a single selected option whose
///   `valueText` is a number → that number, "Yes" → 1, "No" → 0;
/// * `answer.notes` → comment.
fn answer(q: &Obj<'_>) -> Result<Option<Answer>> {
    let criterion_id = q.required_str("questionRefId")?.trim().to_string();
    let Some(a) = q.child("answer")? else {
        return Ok(None);
    };
    let comment = a.str("notes")?.map(|s| s.trim().to_string());
    let not_applicable = match a.child("metadata")? {
        Some(m) => m.bool("notApplicable")?.unwrap_or(false),
        None => false,
    };
    let kind = q
        .str("questionType")?
        .map(str::to_ascii_uppercase)
        .unwrap_or_default();
    let value = if not_applicable {
        Some(AnswerValue::NotApplicable)
    } else {
        match kind.as_str() {
            "TEXT" | "DATETIME" => None,
            "NUMERIC" => numeric(&a)?,
            "SINGLESELECT" | "MULTISELECT" => selection(q, &a)?,
            // An unknown type: go by the answer's shape.
            _ if a.has("values") => selection(q, &a)?,
            _ => match a.get("value") {
                Some((_, Value::Number(_))) => numeric(&a)?,
                _ => None,
            },
        }
    };
    Ok(value.map(|value| Answer {
        criterion_id,
        value,
        comment,
    }))
}

/// A NUMERIC answer's `value`: a number or a numeric string; empty is
/// unanswered.
fn numeric(a: &Obj<'_>) -> Result<Option<AnswerValue>> {
    match a.get("value") {
        None => Ok(None),
        Some((_, Value::Number(n))) => Ok(n.as_f64().map(AnswerValue::Score)),
        Some((_, Value::String(s))) if s.trim().is_empty() => Ok(None),
        Some((path, value)) => match value.as_str().map(|s| s.trim().parse::<f64>()) {
            Some(Ok(n)) if n.is_finite() => Ok(Some(AnswerValue::Score(n))),
            _ => Err(invalid(
                path,
                format!("a NUMERIC answer must be a number, got {}", describe(value)),
            )),
        },
    }
}

/// A SINGLESELECT / MULTISELECT answer (see [`answer`]).
fn selection(q: &Obj<'_>, a: &Obj<'_>) -> Result<Option<AnswerValue>> {
    let mut selected = Vec::new();
    if let Some((path, values)) = a.array("values")? {
        for (i, v) in values.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let Value::Object(map) = v else {
                return Err(invalid(
                    at,
                    format!("an option must be an object, got {}", describe(v)),
                ));
            };
            let option = Obj::new(map, at);
            if option.bool("selected")?.unwrap_or(false) {
                selected.push(option.str("valueText")?.unwrap_or_default().trim());
            }
        }
    }
    if selected.is_empty() {
        return Ok(None);
    }
    if let Some(score) = q.child("score")?
        && !score.bool("notApplicable")?.unwrap_or(false)
        && let Some(percentage) = score.number("percentage")?
    {
        return Ok(Some(AnswerValue::Score(percentage)));
    }
    let [text] = selected.as_slice() else {
        return Ok(None);
    };
    if let Ok(n) = text.parse::<f64>()
        && n.is_finite()
    {
        return Ok(Some(AnswerValue::Score(n)));
    }
    Ok(if text.eq_ignore_ascii_case("yes") {
        Some(AnswerValue::Score(1.0))
    } else if text.eq_ignore_ascii_case("no") {
        Some(AnswerValue::Score(0.0))
    } else {
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::ErrorCode;
    use crate::payload::parse_request;
    use serde_json::json;

    const FIXTURE: &[u8] =
        include_bytes!("../../../tests/data/vendors/amazon-connect_evaluation-output.json");

    fn only_evaluation(body: &[u8]) -> Evaluation {
        let out = parse_request(Some("application/json"), "", body).unwrap();
        assert!(out.rejected.is_empty());
        match <[Event; 1]>::try_from(out.events) {
            Ok([Event::Evaluation(e)]) => e,
            other => panic!("expected one evaluation, got {other:?}"),
        }
    }

    fn fixture() -> Value {
        serde_json::from_slice(FIXTURE).unwrap()
    }

    fn reparse(v: &Value) -> Evaluation {
        only_evaluation(&serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn the_fixture_maps_every_field() {
        let note = Some("Add more information here".to_string());
        assert_eq!(
            only_evaluation(FIXTURE),
            Evaluation {
                external_id: "fb90de35-4507-479a-8b57-970290fd5c2c".into(),
                form_id: "15d8fbf1-b4b2-4ace-869b-82714e2f6e3e".into(),
                form_version: Some(2),
                interaction_external_id: Some("badd4896-75f7-43b3-bee6-c617ed3d04cb".into()),
                agent_vendor_id: Some("286bcec0-e722-4166-865f-84db80252218".into()),
                evaluator_vendor_id: Some("jane".into()),
                // 2022-11-14T17:59:29.052Z
                evaluated_at: Some(1_668_448_769_052),
                answers: vec![
                    Answer {
                        criterion_id: "q570b206a".into(),
                        value: AnswerValue::NotApplicable,
                        comment: note.clone(),
                    },
                    // "Yes" selected; the question scored 100 %.
                    Answer {
                        criterion_id: "q73bc5b9d".into(),
                        value: AnswerValue::Score(100.0),
                        comment: note,
                    },
                    // qc2effc9d is a TEXT question: nothing to score.
                ],
                vendor_score: Some(VendorScore {
                    percentage: Some(100.0),
                    auto_failed: false,
                    critical_percentage: None,
                }),
            }
        );
    }

    #[test]
    fn numeric_answers_and_unscored_selections() {
        let mut v = fixture();
        v["questions"][0]["answer"] = json!({"value": 8, "metadata": {"notApplicable": false}});
        v["questions"][1]["score"] = json!({"notApplicable": true});
        let e = reparse(&v);
        assert_eq!(e.answers[0].value, AnswerValue::Score(8.0));
        assert_eq!(e.answers[0].comment, None);
        // Unscored question: "Yes" → 1.
        assert_eq!(e.answers[1].value, AnswerValue::Score(1.0));

        v["questions"][0]["answer"]["value"] = json!("7.5");
        v["questions"][1]["answer"]["values"][0]["selected"] = json!(false);
        v["questions"][1]["answer"]["values"][1]["selected"] = json!(true);
        let e = reparse(&v);
        assert_eq!(e.answers[0].value, AnswerValue::Score(7.5));
        assert_eq!(e.answers[1].value, AnswerValue::Score(0.0));

        // "Maybe" in an unscored question cannot be placed on a scale.
        v["questions"][1]["answer"]["values"][1]["selected"] = json!(false);
        v["questions"][1]["answer"]["values"][2]["selected"] = json!(true);
        let e = reparse(&v);
        assert_eq!(e.answers.len(), 1);
        assert_eq!(e.answers[0].criterion_id, "q570b206a");
    }

    #[test]
    fn vendor_scores_auto_fail_and_not_applicable() {
        let mut v = fixture();
        v["metadata"]["score"] = json!({"percentage": 0, "automaticFail": true});
        let e = reparse(&v);
        assert_eq!(
            e.vendor_score,
            Some(VendorScore {
                percentage: Some(0.0),
                auto_failed: true,
                critical_percentage: None
            })
        );
        v["metadata"]["score"] = json!({"notApplicable": true});
        let e = reparse(&v);
        assert_eq!(e.vendor_score.and_then(|s| s.percentage), None);
        v["metadata"].as_object_mut().unwrap().remove("score");
        assert_eq!(reparse(&v).vendor_score, None);
    }

    #[test]
    fn agent_from_an_arn_when_there_is_no_agent_id() {
        let mut v = fixture();
        let m = v["metadata"].as_object_mut().unwrap();
        m.remove("agentId");
        m.insert(
            "agentArn".into(),
            json!("arn:aws:connect:us-west-2:1:instance/i/agent/agent-9"),
        );
        assert_eq!(reparse(&v).agent_vendor_id.as_deref(), Some("agent-9"));
    }

    #[test]
    fn bad_values_name_their_field() {
        let mut v = fixture();
        v["questions"][0]["answer"] = json!({"value": "eight"});
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("questions[0].answer.value"));
        let mut v = fixture();
        v["metadata"]["evaluationDefinitionVersion"] = json!(2.5);
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("metadata.evaluationDefinitionVersion")
        );
        let mut v = fixture();
        v["metadata"]["evaluationSubmitTimestamp"] = json!("soon");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("metadata.evaluationSubmitTimestamp")
        );
        let mut v = fixture();
        v["questions"][1]["questionRefId"] = json!(null);
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("questions[1].questionRefId"));
        let mut v = fixture();
        v["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("evaluationDefinitionId");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("metadata.evaluationDefinitionId")
        );
    }
}
