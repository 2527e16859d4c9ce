"""{{name}}: a Sidecoach flagger plugin (world `flagger`, API {{api}}) in Python.

One rule, to start from: **low CSAT**. A `feedback` event of kind `csat`
whose value sits in the bottom `csat.threshold` fraction of its scale (0.25
by default: 1 or 2 on a 1..5 scale) raises a flag: `critical` at the very
bottom of the scale, `warning` above it. The flag's topic is the first topic
the customer or vendor attached, if any. Other events are not flagged.

Add your rules to `flag_event`. The rules are plain functions; only
`WitWorld` at the bottom talks to the host (`config-get`, `log`).
"""

import math
from typing import List, Optional

import wit_world
from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports.types import (
    ErrorCode,
    Event,
    Event_Feedback,
    Feedback,
    Flag,
    LogLevel,
    PluginError,
    PluginInfo,
    RatingKind,
    Severity,
)

NAME = "{{name}}"
VERSION = "0.1.0"  # keep equal to `version` in plugin.toml: the host checks
DESCRIPTION = "Flags customers' low satisfaction ratings for coaching."

THRESHOLD_KEY = "csat.threshold"
DEFAULT_THRESHOLD = "0.25"
RULE_ID = "low-csat"


def fail(code: ErrorCode, message: str, field: Optional[str] = None) -> Err:
    """The `err` of the export's result: raise what this returns."""
    return Err(PluginError(code=code, message=message, field=field))


def parse_threshold(value: Optional[str]) -> float:
    """`csat.threshold`: a fraction of the scale within 0..1."""
    raw = DEFAULT_THRESHOLD if value is None else value
    try:
        threshold = float(raw)
    except ValueError:
        threshold = math.nan
    if not 0.0 <= threshold <= 1.0:  # also refuses NaN
        raise fail(ErrorCode.CONFIG_INVALID, f"{THRESHOLD_KEY} must be within 0..1, got {raw!r}", THRESHOLD_KEY)
    return threshold


def low_csat(index: int, fb: Feedback, threshold: float) -> Optional[Flag]:
    """The low-CSAT rule on one feedback event."""
    if fb.kind != RatingKind.CSAT:
        return None
    if not (math.isfinite(fb.scale_min) and math.isfinite(fb.scale_max) and fb.scale_max > fb.scale_min):
        raise fail(ErrorCode.INVALID_INPUT, f"rating scale {fb.scale_min:g}..{fb.scale_max:g} is empty", f"events[{index}].scale_max")
    cutoff = fb.scale_min + threshold * (fb.scale_max - fb.scale_min)
    if fb.value > cutoff:
        return None
    about = f" about {fb.topics[0]}" if fb.topics else ""
    return Flag(
        event_index=index,
        rule_id=RULE_ID,
        severity=Severity.CRITICAL if fb.value <= fb.scale_min else Severity.WARNING,
        reason=(
            f"Customer rated satisfaction {fb.value:g} out of {fb.scale_max:g}{about}; "
            f"ratings of {cutoff:g} or lower are flagged"
        ),
        topic=fb.topics[0] if fb.topics else None,
    )


def flag_event(index: int, event: Event, threshold: float) -> List[Flag]:
    """Every rule on one event."""
    flags = []
    if isinstance(event, Event_Feedback):
        flag = low_csat(index, event.value, threshold)
        if flag is not None:
            flags.append(flag)
    return flags


class WitWorld(wit_world.WitWorld):
    """The exports of world `flagger`."""

    def describe(self) -> PluginInfo:
        return PluginInfo(name=NAME, version=VERSION, description=DESCRIPTION)

    def flag(self, events: List[Event]) -> List[Flag]:
        # Returning is `ok`; raising `Err(PluginError(...))` is `err`.
        threshold = parse_threshold(host.config_get(THRESHOLD_KEY))
        flags = [f for i, event in enumerate(events) for f in flag_event(i, event, threshold)]
        host.log(LogLevel.INFO, f"raised {len(flags)} flags over {len(events)} events")
        return flags
