"""python-scorer: compliance-gated QA scoring, a Sidecoach scorer plugin in Python.

The rule (README.md has the worked figures):

* The score is the weighted percent of the answered criteria: each criterion
  is worth its `weight` in points and earns (value - min) / (max - min) of
  them. N/A answers and unanswered criteria leave the calculation.
* A criterion on a compliance topic (config `compliance.topics`) that scored
  below the top of its scale caps the evaluation at `compliance.ceiling`
  percent and fails it, whatever the rest earned.
* A fatal criterion below the top of its scale fails the evaluation too, and
  zeroes the score when the form says `auto_fail = zero-score`.

The arithmetic is in plain functions over the WIT records; only `WitWorld`
at the bottom talks to the host (`config-get`, `log`). A problem with one
evaluation is raised as `Problem` and becomes that evaluation's
`plugin-error`; the other evaluations of the batch are still scored.
"""

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import wit_world
from componentize_py_types import Err, Ok
from wit_world.imports import host
from wit_world.imports.types import (
    AnswerValue_NotApplicable,
    AutoFailPolicy,
    Criterion,
    ErrorCode,
    Evaluation,
    Form,
    LogLevel,
    Outcome,
    PluginError,
    PluginInfo,
    Scorecard,
    SectionScore,
)

NAME = "Compliance-gated scorer (Python)"
VERSION = "0.1.0"  # must equal `version` in plugin.toml
DESCRIPTION = (
    "Weighted percent of the answered criteria; a miss on a compliance topic "
    "caps the evaluation at a ceiling and fails it."
)

TOPICS_KEY = "compliance.topics"
CEILING_KEY = "compliance.ceiling"
DEFAULT_TOPICS = "recording-disclosure,identity-verification"
DEFAULT_CEILING = "60"


class Problem(Exception):
    """Why one evaluation (or the whole call) cannot be scored."""

    def __init__(self, code: ErrorCode, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.error = PluginError(code=code, message=message, field=field)


@dataclass(frozen=True)
class Policy:
    """The center's compliance policy, from the plugin's configuration."""

    topics: frozenset
    ceiling: float


def parse_policy(topics: Optional[str], ceiling: Optional[str]) -> Policy:
    """Read the two config values (None = key absent: the default); a bad
    one is `config-invalid` naming its key."""
    topics = DEFAULT_TOPICS if topics is None else topics
    ceiling = DEFAULT_CEILING if ceiling is None else ceiling
    names = frozenset(t.strip() for t in topics.split(",") if t.strip())
    if not names:
        raise Problem(ErrorCode.CONFIG_INVALID, f"{TOPICS_KEY} names no topic", TOPICS_KEY)
    try:
        cap = float(ceiling)
    except ValueError:
        cap = math.nan
    if not (0.0 <= cap <= 100.0):  # also refuses NaN
        raise Problem(
            ErrorCode.CONFIG_INVALID,
            f"{CEILING_KEY} must be a percent within 0..100, got {ceiling!r}",
            CEILING_KEY,
        )
    return Policy(topics=names, ceiling=cap)


def check_form(form: Form) -> Dict[str, Tuple[int, Criterion]]:
    """Index the form's criteria by id (with their section's position),
    refusing what the arithmetic cannot use."""
    index: Dict[str, Tuple[int, Criterion]] = {}
    for si, section in enumerate(form.sections):
        for ci, c in enumerate(section.criteria):
            at = f"form.sections[{si}].criteria[{ci}]"
            if not (math.isfinite(c.weight) and c.weight >= 0):
                raise Problem(ErrorCode.INVALID_INPUT, f"weight {c.weight} is not a finite number >= 0", f"{at}.weight")
            if not (math.isfinite(c.scale_min) and math.isfinite(c.scale_max) and c.scale_max > c.scale_min):
                raise Problem(
                    ErrorCode.INVALID_INPUT,
                    f"scale {c.scale_min}..{c.scale_max} of {c.id!r} is empty",
                    f"{at}.scale_max",
                )
            if c.id in index:
                raise Problem(ErrorCode.INVALID_INPUT, f"criterion id {c.id!r} appears twice", f"{at}.id")
            index[c.id] = (si, c)
    return index


def answered_values(form: Form, index, evaluation: Evaluation) -> Dict[str, Optional[float]]:
    """The evaluation's answers by criterion id: a value on the scale, or
    None for N/A. Unknown criteria, repeated answers and values off the
    scale are `invalid-input` naming the answer."""
    if evaluation.form_id != form.id:
        raise Problem(
            ErrorCode.INVALID_INPUT,
            f"evaluation is for form {evaluation.form_id!r}, not {form.id!r}",
            "form_id",
        )
    values: Dict[str, Optional[float]] = {}
    for i, answer in enumerate(evaluation.answers):
        cid = answer.criterion_id
        if cid not in index:
            raise Problem(
                ErrorCode.INVALID_INPUT,
                f"answer for {cid!r}, which is not a criterion of form {form.id!r}",
                f"answers[{i}].criterion_id",
            )
        if cid in values:
            raise Problem(ErrorCode.INVALID_INPUT, f"{cid!r} is answered twice", f"answers[{i}].criterion_id")
        if isinstance(answer.value, AnswerValue_NotApplicable):
            values[cid] = None
            continue
        v = answer.value.value
        c = index[cid][1]
        if not (math.isfinite(v) and c.scale_min <= v <= c.scale_max):
            raise Problem(
                ErrorCode.INVALID_INPUT,
                f"{v} for {cid!r} is off its scale {c.scale_min}..{c.scale_max}",
                f"answers[{i}].value",
            )
        values[cid] = v
    return values


def percent(earned: float, possible: float) -> Optional[float]:
    """earned / possible in percent; None when nothing was possible."""
    return 100.0 * earned / possible if possible > 0 else None


def score_one(form: Form, index, policy: Policy, evaluation: Evaluation) -> Tuple[Scorecard, List[str]]:
    """Score one evaluation; also return the compliance criteria it missed."""
    values = answered_values(form, index, evaluation)
    earned = [0.0] * len(form.sections)
    possible = [0.0] * len(form.sections)
    crit_earned = crit_possible = 0.0
    missed: List[str] = []
    fatal_failed = False
    for cid, v in values.items():
        if v is None:  # N/A: out of the calculation, never a miss
            continue
        si, c = index[cid]
        below_top = v < c.scale_max
        if c.topic in policy.topics and below_top:
            missed.append(cid)
        if c.fatal and below_top:
            fatal_failed = True
        if c.bonus:  # this policy has no bonus points
            continue
        points = c.weight * (v - c.scale_min) / (c.scale_max - c.scale_min)
        earned[si] += points
        possible[si] += c.weight
        if c.critical:
            crit_earned += points
            crit_possible += c.weight

    total = percent(sum(earned), sum(possible))
    if total is None:
        raise Problem(
            ErrorCode.NOT_COMPUTABLE,
            "no criterion with weight was answered (all N/A, bonus or unanswered)",
            "answers",
        )
    if fatal_failed and form.settings.auto_fail == AutoFailPolicy.ZERO_SCORE:
        total = 0.0
    if missed:
        total = min(total, policy.ceiling)
    passed = not fatal_failed and not missed and total >= form.settings.pass_mark
    card = Scorecard(
        evaluation_external_id=evaluation.external_id,
        score=total,
        outcome=Outcome.PASS if passed else Outcome.FAIL,
        critical_score=percent(crit_earned, crit_possible),
        auto_failed=fatal_failed,
        sections=[
            SectionScore(section_id=s.id, earned=earned[i], possible=possible[i], percent=percent(earned[i], possible[i]))
            for i, s in enumerate(form.sections)
        ],
    )
    return card, sorted(missed)


class WitWorld(wit_world.WitWorld):
    """The exports of world `scorer`."""

    def describe(self) -> PluginInfo:
        return PluginInfo(name=NAME, version=VERSION, description=DESCRIPTION)

    def score(self, form: Form, evaluations: List[Evaluation]):
        try:
            policy = parse_policy(host.config_get(TOPICS_KEY), host.config_get(CEILING_KEY))
            index = check_form(form)
        except Problem as p:  # the whole batch shares the config and the form
            host.log(LogLevel.ERROR, f"cannot score form {form.id!r}: {p.error.message}")
            return [Err(p.error) for _ in evaluations]

        results = []
        capped = 0
        for evaluation in evaluations:
            try:
                card, missed = score_one(form, index, policy, evaluation)
            except Problem as p:
                results.append(Err(p.error))
                continue
            if missed:
                # The scorecard has no notes field: the reason goes to the log.
                capped += 1
                host.log(
                    LogLevel.WARN,
                    f"{evaluation.external_id}: compliance miss on {', '.join(missed)}; "
                    f"capped at {policy.ceiling:g}% and failed",
                )
            results.append(Ok(card))
        host.log(
            LogLevel.INFO,
            f"scored {len(evaluations)} evaluations against form {form.id!r} v{form.version} "
            f"({capped} capped by compliance)",
        )
        return results
