//! Normalized events: what adapters produce from vendor payloads.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC: every time in the model.
///
/// Type every time field with this alias, never a bare `i64`: in the
/// OpenAPI document each field of this type is a reference to one
/// `TimestampMs` schema, and that is how the API finds the time fields,
/// to accept them as RFC 3339 in requests and to add their `_iso` sibling
/// to answers (`api::shape`; its tests refuse an integer that reads as a
/// time but is not typed so).
pub type TimestampMs = i64;

/// The medium of an interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// A phone call.
    Voice,
    /// Web or in-app chat.
    Chat,
    /// Email.
    Email,
    /// SMS or other text messaging.
    Sms,
    /// A video call.
    Video,
    /// Social media messaging.
    Social,
    /// A back-office task.
    Task,
    /// Anything else.
    Other,
}

/// Who started an interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The customer contacted the center.
    Inbound,
    /// The center contacted the customer.
    Outbound,
    /// Agent-to-agent or transfer legs.
    Internal,
    /// The vendor did not say.
    Unknown,
}

/// A person handling interactions, as a vendor knows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentEvent {
    /// The vendor's user id.
    pub vendor_user_id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The vendor's team or group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The vendor user id of the agent's supervisor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor_vendor_id: Option<String>,
}

/// Sentiment on the −5..+5 scale.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sentiment {
    /// The customer's overall sentiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<f64>,
    /// The agent's overall sentiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<f64>,
    /// The customer's sentiment over the last quarter of the interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_final_quarter: Option<f64>,
}

/// One contact: a call, chat, email or task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionEvent {
    /// The vendor's id of this contact.
    pub external_id: String,
    /// The handling agent's vendor user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_vendor_id: Option<String>,
    /// Medium.
    pub channel: Channel,
    /// Who started it.
    pub direction: Direction,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<TimestampMs>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<TimestampMs>,
    /// Handle time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle_ms: Option<u64>,
    /// Talk time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talk_ms: Option<u64>,
    /// Hold time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ms: Option<u64>,
    /// After-contact work in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_work_ms: Option<u64>,
    /// Time when neither party spoke, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_talk_ms: Option<u64>,
    /// How long the agent spoke (or interacted), in milliseconds; see
    /// [`super::Interaction::agent_talk_ms`] for what each vendor fills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_talk_ms: Option<u64>,
    /// How long the customer spoke, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_talk_ms: Option<u64>,
    /// How long the contact rang at the agent, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_ms: Option<u64>,
    /// Time to answer (queue entry to answer), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_ms: Option<u64>,
    /// How many times the agent talked over the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_interruptions: Option<u32>,
    /// Vendor ids of linked contacts (transfers, consults, callbacks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_external_ids: Vec<String>,
    /// Queue name or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Topics detected or assigned.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Issues a conversation analysis detected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<String>,
    /// Outcomes a conversation analysis detected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<String>,
    /// Action items a conversation analysis detected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action_items: Vec<String>,
    /// Sentiment, where analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// Wrap-up / disposition code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up: Option<String>,
    /// The vendor's last-update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<TimestampMs>,
}

/// An answer's value: a point on the criterion's scale, or not applicable.
///
/// In JSON a number is a score and the string `"n/a"` is not applicable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AnswerValue {
    /// The selected value on the criterion's scale.
    Score(f64),
    /// The question did not apply.
    NotApplicable,
}

impl utoipa::PartialSchema for AnswerValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .description(Some("a value on the criterion's scale")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["n/a"]))
                    .description(Some("not applicable")),
            )
            .into()
    }
}

impl utoipa::ToSchema for AnswerValue {}

impl Serialize for AnswerValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AnswerValue::Score(v) => s.serialize_f64(*v),
            AnswerValue::NotApplicable => s.serialize_str("n/a"),
        }
    }
}

impl<'de> Deserialize<'de> for AnswerValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(v) => Ok(AnswerValue::Score(v)),
            Raw::Text(t) if t.eq_ignore_ascii_case("n/a") => Ok(AnswerValue::NotApplicable),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "answer value must be a number or \"n/a\", got {t:?}"
            ))),
        }
    }
}

/// One answered criterion of an evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The form criterion this answers.
    pub criterion_id: String,
    /// The value given.
    pub value: AnswerValue,
    /// The evaluator's explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A score the vendor itself computed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorScore {
    /// Total in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<f64>,
    /// Whether the vendor marked it automatically failed.
    #[serde(default)]
    pub auto_failed: bool,
    /// Critical sub-score in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_percentage: Option<f64>,
}

/// A QA evaluation of one interaction against a form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationEvent {
    /// The vendor's evaluation id.
    pub external_id: String,
    /// The form evaluated against.
    pub form_id: String,
    /// The form version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_version: Option<u32>,
    /// The evaluated interaction's external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_external_id: Option<String>,
    /// The evaluated agent's vendor user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_vendor_id: Option<String>,
    /// The evaluator's vendor user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_vendor_id: Option<String>,
    /// When it was submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<TimestampMs>,
    /// The answers.
    #[serde(default)]
    pub answers: Vec<Answer>,
    /// The vendor's own score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_score: Option<VendorScore>,
}

/// The kind of a customer rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RatingKind {
    /// Customer satisfaction.
    Csat,
    /// Net promoter score.
    Nps,
    /// Customer effort score.
    Ces,
    /// Any other survey question.
    Custom,
}

/// Customer feedback on an interaction or an agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackEvent {
    /// The vendor's id of this rating.
    pub external_id: String,
    /// What is rated.
    pub kind: RatingKind,
    /// The rating.
    pub value: f64,
    /// Lowest value on the scale.
    pub scale_min: f64,
    /// Highest value on the scale.
    pub scale_max: f64,
    /// The rated interaction's external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_external_id: Option<String>,
    /// The rated agent's vendor user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_vendor_id: Option<String>,
    /// Topics attached.
    #[serde(default)]
    pub topics: Vec<String>,
    /// The customer's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbatim: Option<String>,
    /// When it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<TimestampMs>,
}

/// An agent's state change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentStateEvent {
    /// The agent's vendor user id.
    pub agent_vendor_id: String,
    /// The vendor's state name.
    pub state: String,
    /// When the state began.
    pub at: TimestampMs,
}

/// A staffing forecast for one queue and interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffingEvent {
    /// The queue.
    pub queue: String,
    /// The interval's start.
    pub starts_at: TimestampMs,
    /// The interval's length in minutes: 15, 30 or 60.
    pub length_minutes: u32,
    /// Contacts offered.
    pub offered: f64,
    /// Average handle time in seconds.
    pub aht_seconds: f64,
    /// Agents scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_agents: Option<f64>,
}

/// Who said something in a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ParticipantRole {
    /// The agent handling the contact.
    Agent,
    /// The customer.
    Customer,
    /// A supervisor listening in.
    Supervisor,
    /// Bots and automated messages.
    System,
    /// Anyone else.
    Other,
}

/// The sentiment label of one utterance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SegmentSentiment {
    /// Positive.
    Positive,
    /// Negative.
    Negative,
    /// Neutral.
    Neutral,
    /// Both positive and negative.
    Mixed,
}

/// One analysed piece of a contact in progress (API 0.3.0 `segment`): a
/// live signal. Never stored; ingest runs it through the `live` flag rules
/// against the stored interaction it names, in the same request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentEvent {
    /// The contact's vendor id.
    pub interaction_external_id: String,
    /// The vendor's id of the segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    /// The agent's vendor user id, when the vendor sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_vendor_id: Option<String>,
    /// Medium.
    pub channel: Channel,
    /// Who spoke (none for a categories-only segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ParticipantRole>,
    /// Start, in ms from the contact's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub begin_offset_ms: Option<u64>,
    /// End, in ms from the contact's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_offset_ms: Option<u64>,
    /// What was said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The utterance's sentiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SegmentSentiment>,
    /// Categories matched (slugged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Issues detected in the segment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<String>,
}

/// One normalized event produced by an adapter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[expect(
    clippy::large_enum_variant,
    reason = "events are moved once from the adapter's output to the store; boxing interactions would add an allocation per record for nothing"
)]
pub enum Event {
    /// An agent seen in a payload.
    Agent(AgentEvent),
    /// An interaction.
    Interaction(InteractionEvent),
    /// A QA evaluation.
    Evaluation(EvaluationEvent),
    /// Customer feedback.
    Feedback(FeedbackEvent),
    /// An agent state change.
    AgentState(AgentStateEvent),
    /// A staffing forecast interval.
    Staffing(StaffingEvent),
}

/// A raw inbound vendor request, passed whole to an adapter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InboundRequest {
    /// The configured source name.
    pub source: String,
    /// HTTP method.
    pub method: String,
    /// The full URL as the vendor called it.
    pub url: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The source's configuration (secrets and options).
    pub source_config: Vec<(String, String)>,
}

/// A stable error code a plugin returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PluginErrorCode {
    /// The input could not be parsed or failed validation.
    InvalidInput,
    /// The plugin does not handle this input.
    Unsupported,
    /// Signature verification failed.
    SignatureInvalid,
    /// A configuration key is missing or malformed.
    ConfigInvalid,
    /// The item cannot be computed as given.
    NotComputable,
    /// A bug inside the plugin.
    Internal,
}

/// An error a plugin returned for a request or an item (not a trap).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginError {
    /// What kind of failure.
    pub code: PluginErrorCode,
    /// Explanation.
    pub message: String,
    /// The input field at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// What a plugin says about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginInfo {
    /// Display name.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// What it does.
    pub description: String,
}

/// One record of a payload an adapter could not use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RejectedRecord {
    /// Its 0-based position in the payload (array element, line, CSV row).
    pub index: u32,
    /// Why.
    pub error: PluginError,
}

/// What an adapter made of one request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IngestOutput {
    /// Normalized events in payload order.
    pub events: Vec<Event>,
    /// Records the adapter rejected.
    #[serde(default)]
    pub rejected: Vec<RejectedRecord>,
    /// Live segments (API 0.3.0 `segment` events), kept apart from
    /// `events` because they are never stored: ingest flags them and lets
    /// them go.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentEvent>,
}

/// How urgent a flag is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth a look.
    Info,
    /// Coach soon.
    Warning,
    /// Coach now.
    Critical,
}

/// A reason to coach, raised by a flagger over one event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Flag {
    /// Index of the flagged event in the batch.
    pub event_index: u32,
    /// The rule's stable id.
    pub rule_id: String,
    /// How urgent.
    pub severity: Severity,
    /// Why, in words a supervisor understands.
    pub reason: String,
    /// The coaching topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_tagged_json_shape() {
        let json = r#"[
            {"type":"interaction","external_id":"c-1","channel":"voice","direction":"inbound","topics":["billing"],"sentiment":{"customer":-2.5}},
            {"type":"evaluation","external_id":"e-1","form_id":"f","answers":[{"criterion_id":"q1","value":3},{"criterion_id":"q2","value":"n/a"}]},
            {"type":"agent-state","agent_vendor_id":"a","state":"AVAILABLE","at":5}
        ]"#;
        let events: Vec<Event> = serde_json::from_str(json).unwrap();
        assert_eq!(events.len(), 3);
        let Event::Evaluation(e) = &events[1] else {
            panic!("not an evaluation")
        };
        assert_eq!(e.answers[1].value, AnswerValue::NotApplicable);
        let again: Vec<Event> =
            serde_json::from_str(&serde_json::to_string(&events).unwrap()).unwrap();
        assert_eq!(again, events);
    }

    #[test]
    fn unknown_fields_and_bad_answer_values_are_rejected_by_name() {
        let err =
            serde_json::from_str::<Event>(r#"{"type":"agent","vendor_user_id":"a","nmae":"x"}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("nmae"), "{err}");
        let err = serde_json::from_str::<Answer>(r#"{"criterion_id":"q","value":"maybe"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("maybe"), "{err}");
    }
}

/// The event a stored interaction came from, as flaggers see it: the
/// vendor fields; the agent is the stored one's, so no vendor user id.
impl From<&super::Interaction> for InteractionEvent {
    fn from(i: &super::Interaction) -> InteractionEvent {
        InteractionEvent {
            external_id: i.external_id.clone(),
            agent_vendor_id: None,
            channel: i.channel,
            direction: i.direction,
            started_at: i.started_at,
            ended_at: i.ended_at,
            handle_ms: i.handle_ms,
            talk_ms: i.talk_ms,
            hold_ms: i.hold_ms,
            after_work_ms: i.after_work_ms,
            non_talk_ms: i.non_talk_ms,
            agent_talk_ms: i.agent_talk_ms,
            customer_talk_ms: i.customer_talk_ms,
            alert_ms: i.alert_ms,
            answer_ms: i.answer_ms,
            agent_interruptions: i.agent_interruptions,
            related_external_ids: i.related_external_ids.clone(),
            issues: i.issues.clone(),
            outcomes: i.outcomes.clone(),
            action_items: i.action_items.clone(),
            queue: i.queue.clone(),
            topics: i.topics.clone(),
            sentiment: i.sentiment.clone(),
            wrap_up: i.wrap_up.clone(),
            updated_at: i.updated_at,
        }
    }
}

/// An interaction record from a vendor's event: the vendor fields; the
/// host fills in what the event cannot know (source, agent, team, ids,
/// receipt time), e.g. `Interaction { source, agent_id, ..event.into() }`.
impl From<InteractionEvent> for super::Interaction {
    fn from(i: InteractionEvent) -> super::Interaction {
        super::Interaction {
            id: String::new(),
            source: String::new(),
            external_id: i.external_id,
            agent_id: None,
            team_id: None,
            channel: i.channel,
            direction: i.direction,
            started_at: i.started_at,
            ended_at: i.ended_at,
            handle_ms: i.handle_ms,
            talk_ms: i.talk_ms,
            hold_ms: i.hold_ms,
            after_work_ms: i.after_work_ms,
            non_talk_ms: i.non_talk_ms,
            agent_talk_ms: i.agent_talk_ms,
            customer_talk_ms: i.customer_talk_ms,
            alert_ms: i.alert_ms,
            answer_ms: i.answer_ms,
            agent_interruptions: i.agent_interruptions,
            related_external_ids: i.related_external_ids,
            issues: i.issues,
            outcomes: i.outcomes,
            action_items: i.action_items,
            queue: i.queue,
            topics: i.topics,
            sentiment: i.sentiment,
            wrap_up: i.wrap_up,
            updated_at: i.updated_at,
            received_at: 0,
        }
    }
}

/// What a scorer or flagger sees of a stored evaluation: the vendor fields
/// and the form version it was stored against; no vendor user ids (the
/// stored agent is the resolved one).
impl From<&super::Evaluation> for EvaluationEvent {
    fn from(e: &super::Evaluation) -> EvaluationEvent {
        EvaluationEvent {
            external_id: e.external_id.clone(),
            form_id: e.form_id.clone(),
            form_version: Some(e.form_version),
            interaction_external_id: None,
            agent_vendor_id: None,
            evaluator_vendor_id: None,
            evaluated_at: Some(e.evaluated_at),
            answers: e.answers.clone(),
            vendor_score: e.vendor_score.clone(),
        }
    }
}

/// The event a stored rating came from, as flaggers see it: the vendor
/// fields; no vendor user id and no contact id (the stored links are the
/// resolved ones).
impl From<&super::Feedback> for FeedbackEvent {
    fn from(f: &super::Feedback) -> FeedbackEvent {
        FeedbackEvent {
            external_id: f.external_id.clone(),
            kind: f.kind,
            value: f.value,
            scale_min: f.scale_min,
            scale_max: f.scale_max,
            interaction_external_id: None,
            agent_vendor_id: None,
            topics: f.topics.clone(),
            verbatim: f.verbatim.clone(),
            received_at: Some(f.received_at),
        }
    }
}

/// An evaluation record from a vendor's event: the vendor fields, the
/// contact it names kept as `interaction_ref` (the records service links
/// it); the host fills in source, agent and evaluator, e.g.
/// `Evaluation { source, agent_id, evaluator, ..event.into() }`. A missing
/// form version (0) means the form's current one.
impl From<EvaluationEvent> for super::Evaluation {
    fn from(e: EvaluationEvent) -> super::Evaluation {
        super::Evaluation {
            id: String::new(),
            source: String::new(),
            external_id: e.external_id,
            form_id: e.form_id,
            form_version: e.form_version.unwrap_or(0),
            interaction_id: None,
            interaction_ref: e.interaction_external_id,
            agent_id: String::new(),
            team_id: None,
            evaluator: None,
            evaluated_at: e.evaluated_at.unwrap_or(0),
            answers: e.answers,
            vendor_score: e.vendor_score,
            scorecard: None,
            score_error: None,
        }
    }
}

/// A feedback record from a vendor's event: the vendor fields, the contact
/// it names kept as `interaction_ref`; the host fills in source and agent
/// (when the vendor names none, the records service takes the contact's).
impl From<FeedbackEvent> for super::Feedback {
    fn from(f: FeedbackEvent) -> super::Feedback {
        super::Feedback {
            id: String::new(),
            source: String::new(),
            external_id: f.external_id,
            kind: f.kind,
            value: f.value,
            scale_min: f.scale_min,
            scale_max: f.scale_max,
            interaction_id: None,
            interaction_ref: f.interaction_external_id,
            agent_id: None,
            team_id: None,
            topics: f.topics,
            verbatim: f.verbatim,
            received_at: f.received_at.unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod conversion_tests {
    use super::*;

    #[test]
    fn an_interaction_event_round_trips_through_its_record() {
        let event: InteractionEvent = serde_json::from_value(serde_json::json!({
            "external_id": "c-1", "channel": "voice", "direction": "inbound",
            "started_at": 1, "ended_at": 2, "handle_ms": 3, "talk_ms": 4, "hold_ms": 5,
            "after_work_ms": 6, "non_talk_ms": 7, "agent_interruptions": 8,
            "agent_talk_ms": 10, "customer_talk_ms": 11, "alert_ms": 12, "answer_ms": 13,
            "issues": ["i"], "outcomes": ["o"], "action_items": ["a"],
            "related_external_ids": ["c-0"], "queue": "q", "topics": ["billing"],
            "wrap_up": "w", "updated_at": 9
        }))
        .unwrap();
        let record = super::super::Interaction::from(event.clone());
        assert_eq!(InteractionEvent::from(&record), event);
    }
    #[test]
    fn an_evaluation_event_round_trips_through_its_record() {
        let event: EvaluationEvent = serde_json::from_value(serde_json::json!({
            "external_id": "e-1", "form_id": "f", "form_version": 3,
            "evaluated_at": 7, "answers": [{"criterion_id": "greet", "value": 1.0}],
            "vendor_score": {"percentage": 80.0}
        }))
        .unwrap();
        let record = super::super::Evaluation::from(event.clone());
        assert_eq!(record.interaction_ref, None);
        assert_eq!(EvaluationEvent::from(&record), event);
    }

    #[test]
    fn a_feedback_event_keeps_every_vendor_field_on_its_record() {
        let event: FeedbackEvent = serde_json::from_value(serde_json::json!({
            "external_id": "r-1", "kind": "csat", "value": 4.0, "scale_min": 1.0,
            "scale_max": 5.0, "interaction_external_id": "c-1", "topics": ["billing"],
            "verbatim": "quick", "received_at": 9
        }))
        .unwrap();
        let record = super::super::Feedback::from(event);
        assert_eq!(
            (record.external_id.as_str(), record.value, record.scale_max),
            ("r-1", 4.0, 5.0)
        );
        assert_eq!(record.interaction_ref.as_deref(), Some("c-1"));
        assert_eq!(record.topics, ["billing"]);
        assert_eq!(
            (record.verbatim.as_deref(), record.received_at),
            (Some("quick"), 9)
        );
    }
}
