//! The Amazon Connect adapter plugin (world `adapter`, API 0.3.0).
//!
//! One request carries one payload object, a JSON array of them, or JSON
//! lines / concatenated objects (Kinesis Firehose). Each record's shape is
//! recognised from its keys:
//!
//! | shape | recognised by | module | events |
//! |---|---|---|---|
//! | EventBridge contact event | `detail-type: "Amazon Connect Contact Event"` | [`contact_event`] | interaction |
//! | Contact Lens real-time record (segment stream) | `EventType`/`StreamingEventType` + `ContactId` + `Segments`/`LanguageCode`/`StreamingSettings` | [`realtime`] | segment (live, not stored); interaction for STARTED/COMPLETED/FAILED |
//! | Contact Lens analysis | `CustomerMetadata`, or `ConversationCharacteristics` + `Participants`/`Transcript` | [`lens`] | interaction |
//! | evaluation form export | `evaluationId`, or `metadata` + `questions`/`sections` | [`evaluation`] | evaluation |
//! | agent event stream | `EventType` + `AgentARN`/`CurrentAgentSnapshot` | [`agent_event`] | agent, agent-state |
//! | bare contact event (`detail`) | `eventType` + `contactId` (any case) | [`contact_event`] | interaction |
//! | contact trace record | `ContactId` + `Agent`/`InitiationTimestamp`/`AWSContactTraceRecordFormatVersion` | [`ctr`] | agent, interaction |
//!
//! Anything else is `unsupported`, naming the EventBridge `detail-type` or
//! the record's keys. Accepted content types: `application/json`,
//! `application/x-ndjson`, `application/jsonl`, or none. A single object's
//! error fails the request; in an array or JSON lines a bad record goes to
//! `rejected` with its index (unless no record at all is recognisable).
//!
//! ## Field map (normalized ← Amazon Connect)
//!
//! | normalized | contact trace record | contact event (`detail`) | Contact Lens | evaluation export | agent event |
//! |---|---|---|---|---|---|
//! | interaction `external-id` | `ContactId` | `contactId` | `CustomerMetadata.ContactId`, else URL `?contact_id=`, else the contact id in the S3 object key `?object_key=` (or `?key=`) | — | — |
//! | `related-external-ids` | `InitialContactId`, `PreviousContactId`, `NextContactId`, `RelatedContactId` (≠ own id, deduplicated) | `initialContactId`, `previousContactId`, `relatedContactId` | — | — | — |
//! | `agent-vendor-id` | last `/` segment of `Agent.ARN` | of `agentInfo.agentArn` (else `agentInfo.id`) | — (participant ids are not user ids) | `metadata.agentId`, else of `metadata.agentArn` | of `AgentARN` |
//! | `channel` | `Channel` VOICE/CHAT/TASK/EMAIL → voice/chat/task/email, else other | `channel` (any case) | `Channel` | — | — |
//! | `direction` | `InitiationMethod` INBOUND → inbound, OUTBOUND → outbound, TRANSFER/QUEUE_TRANSFER → internal, else unknown | `initiationMethod` | unknown | — | — |
//! | `started-at` / `ended-at` | `InitiationTimestamp` / `DisconnectTimestamp` | `initiationTimestamp` / `disconnectTimestamp` | — | — | — |
//! | `handle-ms` | `Agent.AgentInteractionDuration` (s × 1000) | `agentInfo.agentInteractionDuration` | — | — | — |
//! | `hold-ms` | `Agent.CustomerHoldDuration` (s × 1000) | `agentInfo.customerHoldDuration` | — | — | — |
//! | `after-work-ms` | `Agent.AfterContactWorkDuration` (s × 1000) | `agentInfo.afterContactWorkDuration` | — | — | — |
//! | `talk-ms` (both parties' speech) / `non-talk-ms` | — | — | `ConversationCharacteristics.TalkTime` / `NonTalkTime` `.TotalTimeMillis` | — | — |
//! | `agent-talk-ms` / `customer-talk-ms` | — | — | `TalkTime.DetailsByParticipant.AGENT` / `.CUSTOMER` `.TotalTimeMillis` | — | — |
//! | `issues` / `outcomes` / `action-items` | — | — | voice: `Transcript[].IssuesDetected` / `OutcomesDetected` / `ActionItemsDetected` (`Text`, else the turn's `Content` cut to `CharacterOffsets`); chat: `ConversationCharacteristics.ContactSummary.SummaryItemsDetected[]…TranscriptItems[]` (the turn named by `Id`, cut to its offsets, widened to whole words) | — | — |
//! | `alert-ms` / `answer-ms` | — | — | — (Connect does not report them) | — | — |
//! | `agent-interruptions` | — | — | number of `Interruptions.InterruptionsByInterrupter.AGENT` entries (0 if the map has none) | — | — |
//! | `queue` | `Queue.Name` | — (ARN only) | — | — | — |
//! | `sentiment` | — | — | `OverallSentiment` `CUSTOMER`/`AGENT` (voice: direct; chat: under `DetailsByParticipantRole`); final quarter = last `SentimentByPeriod.QUARTER.CUSTOMER[].Score`, else `SentimentShift.DetailsByParticipantRole.CUSTOMER.EndScore` | — | — |
//! | `topics` | — | — | `Categories.MatchedCategories`, slugged | — | — |
//! | `updated-at` | `LastUpdateTimestamp` | EventBridge `time` | — | — | — |
//! | agent `name` / `team` | `Agent.Username` / deepest `Agent.HierarchyGroups.LevelN.GroupName` | — | — | — | `FirstName LastName` (else `Username`) / deepest `AgentHierarchyGroups` level |
//! | evaluation `external-id`, `form-id`, `form-version` | — | — | — | `evaluationId`, `metadata.evaluationDefinitionId`, `metadata.evaluationDefinitionVersion` | — |
//! | `interaction-external-id`, `evaluator-vendor-id`, `evaluated-at` | — | — | — | `metadata.contactId`, `metadata.evaluator`, `metadata.evaluationSubmitTimestamp` | — |
//! | answers | — | — | — | per question: `questionRefId` → criterion; N/A flag → not-applicable; NUMERIC `value` → score; selections → question `score.percentage` (unscored: numeric option text, Yes = 1, No = 0); TEXT/DATETIME skipped; `notes` → comment | — |
//! | `vendor-score` | — | — | — | `metadata.score`: `percentage` (none when `notApplicable`), `automaticFail` → auto-failed | — |
//! | agent-state `state` / `at` | — | — | — | — | `CurrentAgentSnapshot.AgentStatus.Name` / its `StartTimestamp` (else `EventTimestamp`); LOGOUT without status → "Offline" |
//!
//! Real-time segments (see [`realtime`] for the full map): the record's
//! `ContactId` → `interaction-external-id`, `Channel` → `channel`; per
//! `Utterance`/`Transcript`: `Id`, `ParticipantRole`, `Content` (else
//! `PartialContent`), `BeginOffsetMillis`/`EndOffsetMillis`, `Sentiment`,
//! `IssuesDetected`; per `Categories`: `MatchedCategories` (slugged). No
//! real-time record names the agent: the host uses the stored contact's.
//!
//! ## Delivering Contact Lens output files
//!
//! Post-call analysis files land in S3; the usual forwarder is a Lambda
//! subscribed to the bucket's event notifications that reads the object and
//! POSTs it here. It should add the object key it was notified of to the
//! URL (`/v1/ingest/connect?object_key=<urlencoded key>`): the voice file
//! does not name its contact, its key does. The real-time segment stream
//! (Kinesis) is forwarded as is, one record or many (JSON lines).
//!
//! Timestamps are ISO 8601 (or epoch numbers) → epoch ms; durations must be
//! non-negative numbers. Errors name the field by dotted path within the
//! record (`Agent.AgentInteractionDuration`, `questions[1].answer.value`).

mod agent_event;
mod contact_event;
mod ctr;
mod evaluation;
mod fields;
mod lens;
mod payload;
mod realtime;

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, LogLevel, PluginError};

sidecoach_guest::export_adapter! {
    /// The exported component.
    AmazonConnect {
        id: "amazon-connect",
        api: "0.3.0",
        name: "Amazon Connect adapter",
        description: "Reads Amazon Connect contact trace records, contact events (bare or \
                      EventBridge), Contact Lens analyses (post-call files and the real-time \
                      segment stream), evaluation form exports and agent event stream records.",
        ingest: ingest,
    }
}

/// Parses the request (see [`payload`]) and logs what came of it.
fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
    let output = native::ingest(&request)?;
    let level = if output.rejected.is_empty() {
        LogLevel::Info
    } else {
        LogLevel::Warn
    };
    log(
        level,
        &format!(
            "parsed {} events from source `{}`, {} records rejected",
            output.events.len(),
            request.source,
            output.rejected.len()
        ),
    );
    Ok(output)
}

/// The request path without the host's `log` and the WIT types it speaks, for
/// the native fuzz harness in `plugins/fuzz`.
#[doc(hidden)]
pub mod native {
    pub use crate::bindings::sidecoach::plugin::types;
    use types::{InboundRequest, IngestOutput, PluginError};

    /// What [`ingest`](super::ingest) returns, without logging.
    pub fn ingest(request: &InboundRequest) -> Result<IngestOutput, PluginError> {
        let media_type = sidecoach_guest::media_type(&request.headers);
        crate::payload::parse_request(media_type.as_deref(), &request.url, &request.body)
    }
}
