//! The Genesys Cloud adapter plugin (world `adapter`, API 0.3.0).
//!
//! It reads three kinds of Genesys Cloud payload, sent as `application/json`,
//! JSON lines (`application/x-ndjson`, `application/jsonl`) or with no
//! content type:
//!
//! * conversation detail events `v2.detail.events.conversation.{id}.<leg>`
//!   for the legs customer/user/acd start and end and acw, in an EventBridge
//!   envelope (`detail-type` + `detail`) or bare (`topicName` + `eventBody`)
//!   → a partial interaction (module `detail`);
//! * analytics conversation details, one conversation, `{"conversations":[...]}`
//!   or an array → an interaction and agents (module `analytics`);
//! * `v2.quality.evaluations` notifications → an evaluation and its agent
//!   (module `quality`).
//!
//! | Genesys field | normalized |
//! |---|---|
//! | conversationId | interaction external-id |
//! | participants[purpose=agent].userId; detail userId / answeredUserId | agent-vendor-id |
//! | participantName; evaluation agent.displayName | agent name |
//! | mediaType (+ messageType) | channel |
//! | originatingDirection; detail direction | direction |
//! | conversationStart / conversationEnd; detail eventTime | started-at / ended-at |
//! | metrics tHandle, tHeld, tAcw (ms); detail heldDurationMs, wrapupDurationMs | handle / hold / after-work ms |
//! | metric tTalk (ms); detail interactingDurationMs | agent-talk ms: the agent's own time interacting, not talk-ms (both parties' speech, which Genesys does not report) |
//! | metrics tAlert, tAnswered (ms) | alert / answer ms |
//! | queueId | queue |
//! | wrapUpCode; detail wrapupCode | wrap-up |
//! | evaluation id, evaluationFormId, conversationId, agent.id, evaluator.id | evaluation ids |
//! | answers.questionGroupScores[].questionScores[] questionId, score, markedNA, comments | answers |
//! | totalScore, totalCriticalScore, anyFailedKillQuestions | vendor score |
//!
//! Each module documents its own mapping in full. A single record that cannot
//! be read fails the request; in a batch (array, `conversations`, JSON lines)
//! it becomes a rejected record and the rest still count. The parsing lives in
//! pure modules, tested natively; this file only wires them to the host.

mod analytics;
mod detail;
mod input;
mod parse;
mod quality;

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, LogLevel, PluginError};

sidecoach_guest::export_adapter! {
    /// The exported component.
    GenesysCloud {
        id: "genesys-cloud",
        api: "0.3.0",
        name: "Genesys Cloud adapter",
        description: "Reads Genesys Cloud conversation detail events (EventBridge or bare \
                      notifications), analytics conversation details and quality \
                      evaluation notifications.",
        ingest: ingest,
    }
}

/// Parses the request (see [`parse`]) and logs what came of it.
fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
    let parsed = parse::ingest(&request.headers, &request.body)?;
    for note in &parsed.notes {
        log(LogLevel::Info, note);
    }
    let rejected = parsed.output.rejected.len();
    log(
        if rejected == 0 {
            LogLevel::Info
        } else {
            LogLevel::Warn
        },
        &format!(
            "parsed {} events from source `{}`, rejected {rejected} records",
            parsed.output.events.len(),
            request.source,
        ),
    );
    Ok(parsed.output)
}

/// The request path without the host's `log` and the WIT types it speaks, for
/// the native fuzz harness in `plugins/fuzz`.
#[doc(hidden)]
pub mod native {
    pub use crate::bindings::sidecoach::plugin::types;
    use types::{InboundRequest, IngestOutput, PluginError};

    /// What [`ingest`](super::ingest) returns, without logging.
    pub fn ingest(request: &InboundRequest) -> Result<IngestOutput, PluginError> {
        crate::parse::ingest(&request.headers, &request.body).map(|parsed| parsed.output)
    }
}
