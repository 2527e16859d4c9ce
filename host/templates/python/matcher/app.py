"""{{name}}: a Sidecoach matcher plugin (world `matcher`, API {{api}}) in Python.

One rule, to start from. For each protégé and each mentor with capacity:

* coverage = the protégé's weakness on the topics the mentor is strong in,
  as a share of the protégé's total weakness (0..1);
* score = 0.8 * coverage + 0.2 when the two work within
  `match.max_hours_apart` hours of each other (3 by default; no bonus when
  either time zone is unknown);
* a pair whose coverage is 0 is left out (the mentor cannot help).

Pairs come out per protégé, best first, each with its reasons. Change
`score_pair` to your program's rule. The rule is plain functions; only
`WitWorld` at the bottom talks to the host (`config-get`, `log`).
"""

import math
from typing import List, Optional

import wit_world
from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports.types import (
    ErrorCode,
    LogLevel,
    Mentor,
    PairScore,
    PluginError,
    PluginInfo,
    Protege,
)

NAME = "{{name}}"
VERSION = "0.1.0"  # keep equal to `version` in plugin.toml: the host checks
DESCRIPTION = "Ranks mentors by how much of a protégé's weakness their strengths cover, preferring nearby time zones."

HOURS_KEY = "match.max_hours_apart"
DEFAULT_HOURS = "3"
COVERAGE_WEIGHT = 0.8
TIME_ZONE_BONUS = 0.2


def fail(code: ErrorCode, message: str, field: Optional[str] = None) -> Err:
    """The `err` of the export's result: raise what this returns."""
    return Err(PluginError(code=code, message=message, field=field))


def parse_hours(value: Optional[str]) -> float:
    """`match.max_hours_apart`: a number of hours, at least 0."""
    raw = DEFAULT_HOURS if value is None else value
    try:
        hours = float(raw)
    except ValueError:
        hours = math.nan
    if not (math.isfinite(hours) and hours >= 0):
        raise fail(ErrorCode.CONFIG_INVALID, f"{HOURS_KEY} must be a number of hours >= 0, got {raw!r}", HOURS_KEY)
    return hours


def check_needs(proteges: List[Protege]) -> None:
    """Weaknesses must be within 0..1."""
    for i, p in enumerate(proteges):
        for j, need in enumerate(p.needs):
            if not (math.isfinite(need.weakness) and 0.0 <= need.weakness <= 1.0):
                raise fail(
                    ErrorCode.INVALID_INPUT,
                    f"weakness {need.weakness} of {p.profile.agent_id!r} on {need.topic!r} is not within 0..1",
                    f"proteges[{i}].needs[{j}].weakness",
                )


def score_pair(p: Protege, m: Mentor, max_hours_apart: float) -> Optional[tuple]:
    """(score, reasons) for one pair, or None to leave the pair out."""
    total = sum(n.weakness for n in p.needs)
    strengths = set(m.strengths)
    covered = [n for n in p.needs if n.topic in strengths and n.weakness > 0]
    if total <= 0 or not covered:
        return None
    coverage = sum(n.weakness for n in covered) / total
    reasons = [f"strong in {n.topic}, where the protégé's weakness is {n.weakness:g}" for n in covered]
    score = COVERAGE_WEIGHT * coverage
    a, b = p.profile.utc_offset_minutes, m.profile.utc_offset_minutes
    if a is not None and b is not None:
        apart = abs(a - b) / 60
        if apart <= max_hours_apart:
            score += TIME_ZONE_BONUS
            reasons.append("same time zone" if apart == 0 else f"time zones {apart:g} h apart")
    return score, reasons


def rank(proteges: List[Protege], mentors: List[Mentor], max_hours_apart: float) -> List[PairScore]:
    """Every pair worth considering, per protégé, best first."""
    pairs = []
    for pi, p in enumerate(proteges):
        mine = []
        for mi, m in enumerate(mentors):
            if m.capacity == 0 or m.profile.agent_id == p.profile.agent_id:
                continue
            scored = score_pair(p, m, max_hours_apart)
            if scored is not None:
                mine.append(PairScore(protege_index=pi, mentor_index=mi, score=scored[0], reasons=scored[1]))
        mine.sort(key=lambda s: (-s.score, s.mentor_index))
        pairs.extend(mine)
    return pairs


class WitWorld(wit_world.WitWorld):
    """The exports of world `matcher`."""

    def describe(self) -> PluginInfo:
        return PluginInfo(name=NAME, version=VERSION, description=DESCRIPTION)

    def rank(self, proteges: List[Protege], mentors: List[Mentor]) -> List[PairScore]:
        # Returning is `ok`; raising `Err(PluginError(...))` is `err`.
        max_hours_apart = parse_hours(host.config_get(HOURS_KEY))
        check_needs(proteges)
        pairs = rank(proteges, mentors, max_hours_apart)
        host.log(LogLevel.INFO, f"scored {len(pairs)} pairs from {len(proteges)} protégés and {len(mentors)} mentors")
        return pairs
