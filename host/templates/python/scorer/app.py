"""{{name}}: a Sidecoach scorer plugin (world `scorer`, API {{api}}) in Python.

It scores QA evaluations with one simple, documented rule, to start from:

* every criterion is worth its `weight` in points and earns
  (value - scale_min) / (scale_max - scale_min) of them;
* N/A answers and unanswered criteria leave the calculation;
* score = 100 * earned / possible; a fatal criterion below the top of its
  scale fails the evaluation (`auto_failed`); otherwise the outcome is pass at
  or above the form's pass mark.

Change `score_one` to your center's rule. The arithmetic is in plain
functions over the WIT records; only `WitWorld` at the bottom talks to the
host (`log`, `config-get`).
"""

import math
from typing import Dict, List, Optional, Tuple

import wit_world
from componentize_py_types import Err, Ok
from wit_world.imports import host
from wit_world.imports.types import (
    AnswerValue_NotApplicable,
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

NAME = "{{name}}"
VERSION = "0.1.0"  # keep equal to `version` in plugin.toml: the host checks
DESCRIPTION = "Weighted percent of the answered criteria; a failed fatal criterion fails the evaluation."


class Problem(Exception):
    """Why one evaluation cannot be scored; becomes its `plugin-error`."""

    def __init__(self, code: ErrorCode, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.error = PluginError(code=code, message=message, field=field)


def criteria_by_id(form: Form) -> Dict[str, Tuple[int, Criterion]]:
    """The form's criteria by id, with the index of their section."""
    index: Dict[str, Tuple[int, Criterion]] = {}
    for si, section in enumerate(form.sections):
        for ci, c in enumerate(section.criteria):
            if not c.scale_max > c.scale_min:
                raise Problem(
                    ErrorCode.INVALID_INPUT,
                    f"criterion {c.id!r} has an empty scale {c.scale_min}..{c.scale_max}",
                    f"form.sections[{si}].criteria[{ci}].scale_max",
                )
            index[c.id] = (si, c)
    return index


def percent(earned: float, possible: float) -> Optional[float]:
    """earned / possible in percent; None when nothing was possible."""
    return 100.0 * earned / possible if possible > 0 else None


def score_one(form: Form, index, evaluation: Evaluation) -> Scorecard:
    """Score one evaluation, or raise `Problem`."""
    earned = [0.0] * len(form.sections)
    possible = [0.0] * len(form.sections)
    fatal_failed = False
    for i, answer in enumerate(evaluation.answers):
        if answer.criterion_id not in index:
            raise Problem(
                ErrorCode.INVALID_INPUT,
                f"{answer.criterion_id!r} is not a criterion of form {form.id!r}",
                f"answers[{i}].criterion_id",
            )
        if isinstance(answer.value, AnswerValue_NotApplicable):
            continue
        si, c = index[answer.criterion_id]
        v = answer.value.value
        if not (math.isfinite(v) and c.scale_min <= v <= c.scale_max):
            raise Problem(
                ErrorCode.INVALID_INPUT,
                f"{v} is off the scale {c.scale_min}..{c.scale_max} of {c.id!r}",
                f"answers[{i}].value",
            )
        if c.fatal and v < c.scale_max:
            fatal_failed = True
        earned[si] += c.weight * (v - c.scale_min) / (c.scale_max - c.scale_min)
        possible[si] += c.weight

    total = percent(sum(earned), sum(possible))
    if total is None:
        raise Problem(ErrorCode.NOT_COMPUTABLE, "nothing to score: every answer is N/A", "answers")
    passed = not fatal_failed and total >= form.settings.pass_mark
    return Scorecard(
        evaluation_external_id=evaluation.external_id,
        score=total,
        outcome=Outcome.PASS if passed else Outcome.FAIL,
        critical_score=None,
        auto_failed=fatal_failed,
        sections=[
            SectionScore(section_id=s.id, earned=earned[i], possible=possible[i], percent=percent(earned[i], possible[i]))
            for i, s in enumerate(form.sections)
        ],
    )


class WitWorld(wit_world.WitWorld):
    """The exports of world `scorer`."""

    def describe(self) -> PluginInfo:
        return PluginInfo(name=NAME, version=VERSION, description=DESCRIPTION)

    def score(self, form: Form, evaluations: List[Evaluation]):
        # One entry per evaluation, in order: Ok(scorecard) or Err(plugin-error).
        results = []
        try:
            index = criteria_by_id(form)
        except Problem as p:
            return [Err(p.error) for _ in evaluations]
        for evaluation in evaluations:
            try:
                results.append(Ok(score_one(form, index, evaluation)))
            except Problem as p:
                results.append(Err(p.error))
        failed = sum(isinstance(r, Err) for r in results)
        host.log(LogLevel.INFO, f"scored {len(evaluations)} evaluations of form {form.id!r} ({failed} not scorable)")
        return results
