"""{{name}}: a Sidecoach adapter plugin (world `adapter`, API {{api}}) in Python.

It turns a vendor's "call ended" webhook into normalized events. The body is
one JSON record or a JSON array of them (vendors batch redeliveries):

    {"event": "call.ended", "call_id": "CA-1001",
     "agent": {"id": "ag-117", "name": "Ana Lima", "email": "…", "team": "Billing"},
     "queue": "billing", "direction": "inbound",
     "started_at": "2024-11-24T09:00:00Z", "ended_at": "2024-11-24T09:05:12Z",
     "hold_seconds": 45, "wrap_up": "plan-change",
     "survey": {"id": "srv-5531", "question": "csat", "score": 2,
                "scale": {"min": 1, "max": 5}, "comment": "…"}}

Each record gives an `agent`, an `interaction` and, when the customer
answered the survey, a `feedback` event. A record that cannot be used (not a
`call.ended`, no `call_id`, a time without a UTC offset…) goes to `rejected`
with its index, and the rest of the body still counts; a body that is not
JSON fails the whole request with `invalid-input`.

Change `parse_record` to your vendor's payload. The parsing is plain
functions; only `WitWorld` at the bottom talks to the host.
"""

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import wit_world
from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports.types import (
    Agent,
    Channel,
    Direction,
    ErrorCode,
    Event_Agent,
    Event_Feedback,
    Event_Interaction,
    Feedback,
    InboundRequest,
    IngestOutput,
    Interaction,
    LogLevel,
    PluginError,
    PluginInfo,
    RatingKind,
    RejectedRecord,
)

NAME = "{{name}}"
VERSION = "0.1.0"  # keep equal to `version` in plugin.toml: the host checks
DESCRIPTION = "Turns a vendor's call-ended webhook (with its CSAT survey answer) into agent, interaction and feedback events."

DIRECTIONS = {"inbound": Direction.INBOUND, "outbound": Direction.OUTBOUND, "internal": Direction.INTERNAL}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
RATING_KINDS = {"csat": RatingKind.CSAT, "nps": RatingKind.NPS, "ces": RatingKind.CES}


class BadRecord(Exception):
    """Why one record cannot be used; becomes a `rejected-record`."""

    def __init__(self, code: ErrorCode, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.error = PluginError(code=code, message=message, field=field)


def text(record: Dict[str, Any], key: str, required: bool = False) -> Optional[str]:
    """A string field; a missing required one is a bad record."""
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise BadRecord(ErrorCode.INVALID_INPUT, f"`{key}` is missing", key)
        return None
    if not isinstance(value, str):
        raise BadRecord(ErrorCode.INVALID_INPUT, f"`{key}` must be a string", key)
    return value


def number(record: Dict[str, Any], key: str, field: str) -> Optional[float]:
    """A numeric field (booleans are not numbers)."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRecord(ErrorCode.INVALID_INPUT, f"`{field}` must be a number", field)
    return float(value)


def epoch_ms(record: Dict[str, Any], key: str) -> Optional[int]:
    """An RFC 3339 time with an offset (`…Z` or `…+02:00`) as ms since the epoch."""
    value = text(record, key)
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(ErrorCode.INVALID_INPUT, f"`{key}` is not a time: {value!r}", key)
    if at.tzinfo is None:
        raise BadRecord(ErrorCode.INVALID_INPUT, f"`{key}` has no UTC offset: {value!r}", key)
    return (at - EPOCH) // timedelta(milliseconds=1)  # exact, no float rounding


def parse_record(record: Any) -> list:
    """One webhook record → its events, or raise `BadRecord`."""
    if not isinstance(record, dict):
        raise BadRecord(ErrorCode.INVALID_INPUT, "a record must be a JSON object")
    kind = record.get("event")
    if kind != "call.ended":
        raise BadRecord(ErrorCode.UNSUPPORTED, f"event {kind!r} is not handled (only call.ended)", "event")
    call_id = text(record, "call_id", required=True)
    agent = record.get("agent") or {}
    if not isinstance(agent, dict):
        raise BadRecord(ErrorCode.INVALID_INPUT, "`agent` must be an object", "agent")
    agent_id = text(agent, "id")
    started, ended = epoch_ms(record, "started_at"), epoch_ms(record, "ended_at")
    if started is not None and ended is not None and ended < started:
        raise BadRecord(ErrorCode.INVALID_INPUT, "`ended_at` is before `started_at`", "ended_at")
    hold = number(record, "hold_seconds", "hold_seconds")

    events = []
    if agent_id is not None:
        events.append(Event_Agent(Agent(
            vendor_user_id=agent_id,
            name=text(agent, "name"),
            email=text(agent, "email"),
            team=text(agent, "team"),
            supervisor_vendor_id=None,
        )))
    events.append(Event_Interaction(Interaction(
        external_id=call_id,
        agent_vendor_id=agent_id,
        channel=Channel.VOICE,
        direction=DIRECTIONS.get(record.get("direction"), Direction.UNKNOWN),
        started_at=started,
        ended_at=ended,
        handle_ms=ended - started if started is not None and ended is not None else None,
        talk_ms=None,
        hold_ms=round(hold * 1000) if hold is not None and hold >= 0 else None,
        after_work_ms=None,
        non_talk_ms=None,
        agent_talk_ms=None,
        customer_talk_ms=None,
        alert_ms=None,
        answer_ms=None,
        agent_interruptions=None,
        related_external_ids=[],
        queue=text(record, "queue"),
        topics=[],
        issues=[],
        outcomes=[],
        action_items=[],
        sentiment=None,
        wrap_up=text(record, "wrap_up"),
        updated_at=ended,
    )))
    survey = record.get("survey")
    if isinstance(survey, dict) and survey.get("score") is not None:
        events.append(Event_Feedback(parse_survey(survey, call_id, agent_id, ended)))
    return events


def parse_survey(survey: Dict[str, Any], call_id: str, agent_id: Optional[str], ended: Optional[int]) -> Feedback:
    """The survey answer attached to a call → a feedback event."""
    scale = survey.get("scale") or {"min": 1, "max": 5}
    lo, hi = number(scale, "min", "survey.scale.min"), number(scale, "max", "survey.scale.max")
    score = number(survey, "score", "survey.score")
    if lo is None or hi is None or not lo < hi:
        raise BadRecord(ErrorCode.INVALID_INPUT, "`survey.scale` needs min < max", "survey.scale")
    if not lo <= score <= hi:
        raise BadRecord(ErrorCode.INVALID_INPUT, f"survey score {score:g} is off its scale {lo:g}..{hi:g}", "survey.score")
    question = survey.get("question", "csat")
    answered = epoch_ms(survey, "answered_at")
    return Feedback(
        external_id=text(survey, "id") or f"{call_id}/survey",
        kind=RATING_KINDS.get(question, RatingKind.CUSTOM),
        value=score,
        scale_min=lo,
        scale_max=hi,
        interaction_external_id=call_id,
        agent_vendor_id=agent_id,
        topics=[],
        verbatim=text(survey, "comment"),
        received_at=answered if answered is not None else ended,
    )


def parse_body(body: bytes) -> IngestOutput:
    """The whole body → events and rejected records; a body that is not JSON
    raises `Err` (the whole request fails)."""
    try:
        payload = json.loads(body)
    except ValueError as e:  # also bad UTF-8
        raise Err(PluginError(code=ErrorCode.INVALID_INPUT, message=f"body is not JSON: {e}", field="body"))
    records = payload if isinstance(payload, list) else [payload]
    events: list = []
    rejected: List[RejectedRecord] = []
    for i, record in enumerate(records):
        try:
            events.extend(parse_record(record))
        except BadRecord as bad:
            rejected.append(RejectedRecord(index=i, error=bad.error))
    return IngestOutput(events=events, rejected=rejected)


class WitWorld(wit_world.WitWorld):
    """The exports of world `adapter`."""

    def describe(self) -> PluginInfo:
        return PluginInfo(name=NAME, version=VERSION, description=DESCRIPTION)

    def ingest(self, request: InboundRequest) -> IngestOutput:
        # Returning is `ok`; raising `Err(PluginError(...))` is `err`.
        out = parse_body(request.body)
        host.log(
            LogLevel.INFO,
            f"parsed {len(out.events)} events from source `{request.source}` ({len(out.rejected)} records rejected)",
        )
        return out
