//! Qualtrics event subscriptions: the form POST of
//! `surveyengine.completedResponse.{SurveyID}`.
//!
//! Qualtrics documents this notification as carrying ids only (`Topic`,
//! `Status`, `SurveyID`, `ResponseID`, `RecipientID`, `DistributionID`,
//! `CompletedDate`, `BrandID`): no answers. What the adapter does with it:
//!
//! * when the form does carry an answer to a configured rating question
//!   (a relay that adds the answers as `QID1=4`… parameters), it is read as
//!   one response: `ResponseID` is the response id, `CompletedDate` the
//!   received-at time (UTC), other parameters are its values and embedded
//!   data;
//! * otherwise the request is answered with `unsupported`, naming the
//!   response and survey and saying to fetch the response
//!   (`GET /API/v3/surveys/{SurveyID}/responses/{ResponseID}`) and post that
//!   JSON instead. Nothing is silently accepted: an empty success would tell
//!   an operator the integration works when no rating ever arrives.
//!
//! Topics other than `…completedResponse…` are `unsupported` too.

use crate::bindings::sidecoach::plugin::types::{IngestOutput, PluginError, RejectedRecord};
use crate::errors::{invalid, unsupported};
use crate::options::Options;
use crate::responses::{answers_any, response};
use serde_json::{Map, Value};

/// Maps a form-encoded event subscription body.
pub fn parse(body: &[u8], options: &Options) -> Result<IngestOutput, PluginError> {
    let pairs = sidecoach_guest::form_pairs(body);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    if let Some(topic) = get("Topic")
        && !topic.contains("completedResponse")
    {
        return Err(unsupported(
            "Topic",
            format!(
                "event subscription topic `{topic}` is not handled; subscribe this source to \
                 surveyengine.completedResponse.{{SurveyID}} only"
            ),
        ));
    }
    let response_id = get("ResponseID").ok_or_else(|| {
        invalid(
            "ResponseID",
            "`ResponseID` is required in a completedResponse event",
        )
    })?;

    let mut values = Map::new();
    for (k, v) in &pairs {
        values
            .entry(k.clone())
            .or_insert_with(|| Value::String(v.clone()));
    }
    if !answers_any(&values, options) {
        let survey = get("SurveyID").unwrap_or("{SurveyID}");
        return Err(unsupported(
            "body",
            format!(
                "the completedResponse event for response {response_id} carries no answer to \
                 the configured questions ({}): Qualtrics sends ids only. Fetch the response \
                 with GET /API/v3/surveys/{survey}/responses/{response_id} and post that JSON \
                 to this source",
                options
                    .questions
                    .iter()
                    .map(|q| q.qid.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut top = Map::new();
    top.insert("responseId".into(), Value::String(response_id.to_string()));
    if let Some(completed) = get("CompletedDate") {
        top.insert("endDate".into(), Value::String(completed.to_string()));
    }
    top.insert("values".into(), Value::Object(values));
    Ok(match response(&top, "", options) {
        Ok(events) => IngestOutput {
            events,
            rejected: Vec::new(),
        },
        Err(error) => IngestOutput {
            events: Vec::new(),
            rejected: vec![RejectedRecord { index: 0, error }],
        },
    })
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{ErrorCode, Event, RatingKind};
    use crate::options::tests::options;

    /// The ids-only notification is `unsupported`, explaining the fetch.
    #[test]
    fn an_ids_only_notification_is_unsupported() {
        let o = options(&[("csat_question", "QID1")]).unwrap();
        let e = parse(
            b"Topic=x.surveyengine.completedResponse.SV_1&SurveyID=SV_1&ResponseID=R_1",
            &o,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert!(
            e.message.contains("/API/v3/surveys/SV_1/responses/R_1"),
            "{}",
            e.message
        );
        assert!(e.message.contains("QID1"));
    }

    /// A relayed form with answers is read as one response.
    #[test]
    fn a_form_with_answers_is_a_response() {
        let o = options(&[("nps_question", "QID3"), ("comment_question", "QID4")]).unwrap();
        let out = parse(
            b"Topic=x.surveyengine.completedResponse.SV_1&ResponseID=R_9&CompletedDate=2024-05-01+11%3A05%3A00&QID3=10&QID4_TEXT=Great&agentId=U7&interactionId=C-1",
            &o,
        )
        .unwrap();
        let [Event::Feedback(f)] = &out.events[..] else {
            panic!("{:?}", out.events)
        };
        assert_eq!(f.external_id, "R_9:QID3");
        assert_eq!(f.kind, RatingKind::Nps);
        assert_eq!(f.value, 10.0);
        assert_eq!(f.verbatim.as_deref(), Some("Great"));
        assert_eq!(f.agent_vendor_id.as_deref(), Some("U7"));
        assert_eq!(f.interaction_external_id.as_deref(), Some("C-1"));
        assert_eq!(f.received_at, Some(1_714_561_500_000));

        let out = parse(b"ResponseID=R_9&QID3=ten", &o).unwrap();
        assert!(out.events.is_empty());
        assert_eq!(out.rejected[0].index, 0);
        assert_eq!(out.rejected[0].error.field.as_deref(), Some("values.QID3"));
    }

    /// Other topics, and a missing response id.
    #[test]
    fn other_topics_and_missing_ids() {
        let o = options(&[("csat_question", "QID1")]).unwrap();
        let e = parse(b"Topic=x.controlpanel.activateSurvey&SurveyID=SV_1", &o).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Unsupported, Some("Topic"))
        );
        let e = parse(b"Topic=x.surveyengine.completedResponse.SV_1", &o).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidInput, Some("ResponseID"))
        );
    }
}
