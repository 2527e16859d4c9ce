// js-scorer: compliance-gated QA scoring, a Sidecoach scorer plugin in
// JavaScript (world `scorer`, API 0.1.0), built with jco/componentize-js.
//
// The same rule as examples/plugins/python-scorer (and the same cases):
// - score = weighted percent of the answered criteria: a criterion is worth
//   its `weight` and earns (value - min) / (max - min) of it; N/A answers and
//   unanswered criteria leave the calculation;
// - a criterion on a compliance topic (`compliance.topics`) answered below
//   the top of its scale caps the score at `compliance.ceiling` and fails it;
// - a fatal criterion below the top of its scale sets auto_failed, fails the
//   evaluation and zeroes the score under `auto_fail = zero-score`.
//
// jco's mapping: records are objects with camelCase fields, enums are their
// WIT names as strings ('invalid-input', 'pass'), variants are
// {tag, val} ({tag: 'not-applicable'}), options are undefined or the value,
// and each result of `score` is {tag: 'ok', val} or {tag: 'err', val}.

import { log, configGet } from 'sidecoach:plugin/host@0.1.0';

const VERSION = '0.1.0'; // must equal `version` in plugin.toml
const TOPICS_KEY = 'compliance.topics';
const CEILING_KEY = 'compliance.ceiling';
const DEFAULT_TOPICS = 'recording-disclosure,identity-verification';
const DEFAULT_CEILING = '60';

/** Why one evaluation (or the whole call) cannot be scored. */
class Problem extends Error {
  constructor(code, message, field) {
    super(message);
    this.error = { code, message, field };
  }
}

/** The two config values (undefined = absent: the default). */
export function parsePolicy(topics = DEFAULT_TOPICS, ceiling = DEFAULT_CEILING) {
  const names = new Set(topics.split(',').map((t) => t.trim()).filter((t) => t));
  if (names.size === 0) throw new Problem('config-invalid', `${TOPICS_KEY} names no topic`, TOPICS_KEY);
  const cap = ceiling.trim() === '' ? NaN : Number(ceiling);
  if (!(cap >= 0 && cap <= 100)) {
    throw new Problem('config-invalid', `${CEILING_KEY} must be a percent within 0..100, got '${ceiling}'`, CEILING_KEY);
  }
  return { topics: names, ceiling: cap };
}

/** The form's criteria by id, with their section's index. */
function checkForm(form) {
  const index = new Map();
  form.sections.forEach((section, si) => {
    section.criteria.forEach((c, ci) => {
      const at = `form.sections[${si}].criteria[${ci}]`;
      if (!(Number.isFinite(c.weight) && c.weight >= 0)) {
        throw new Problem('invalid-input', `weight ${c.weight} is not a finite number >= 0`, `${at}.weight`);
      }
      if (!(Number.isFinite(c.scaleMin) && Number.isFinite(c.scaleMax) && c.scaleMax > c.scaleMin)) {
        throw new Problem('invalid-input', `scale ${c.scaleMin}..${c.scaleMax} of '${c.id}' is empty`, `${at}.scale_max`);
      }
      if (index.has(c.id)) throw new Problem('invalid-input', `criterion id '${c.id}' appears twice`, `${at}.id`);
      index.set(c.id, { si, c });
    });
  });
  return index;
}

/** The answers by criterion id: a value, or null for N/A. */
function answeredValues(form, index, evaluation) {
  if (evaluation.formId !== form.id) {
    throw new Problem('invalid-input', `evaluation is for form '${evaluation.formId}', not '${form.id}'`, 'form_id');
  }
  const values = new Map();
  evaluation.answers.forEach((answer, i) => {
    const id = answer.criterionId;
    if (!index.has(id)) {
      throw new Problem('invalid-input', `answer for '${id}', which is not a criterion of form '${form.id}'`, `answers[${i}].criterion_id`);
    }
    if (values.has(id)) throw new Problem('invalid-input', `'${id}' is answered twice`, `answers[${i}].criterion_id`);
    if (answer.value.tag === 'not-applicable') {
      values.set(id, null);
      return;
    }
    const v = answer.value.val;
    const { c } = index.get(id);
    if (!(Number.isFinite(v) && v >= c.scaleMin && v <= c.scaleMax)) {
      throw new Problem('invalid-input', `${v} for '${id}' is off its scale ${c.scaleMin}..${c.scaleMax}`, `answers[${i}].value`);
    }
    values.set(id, v);
  });
  return values;
}

const percent = (earned, possible) => (possible > 0 ? (100 * earned) / possible : undefined);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** Score one evaluation: [scorecard, missed compliance criteria]. */
export function scoreOne(form, index, policy, evaluation) {
  const values = answeredValues(form, index, evaluation);
  const earned = form.sections.map(() => 0);
  const possible = form.sections.map(() => 0);
  let critEarned = 0;
  let critPossible = 0;
  let fatalFailed = false;
  const missed = [];
  for (const [id, v] of values) {
    if (v === null) continue; // N/A: out of the calculation, never a miss
    const { si, c } = index.get(id);
    const belowTop = v < c.scaleMax;
    if (c.topic !== undefined && policy.topics.has(c.topic) && belowTop) missed.push(id);
    if (c.fatal && belowTop) fatalFailed = true;
    if (c.bonus) continue; // this policy has no bonus points
    const points = (c.weight * (v - c.scaleMin)) / (c.scaleMax - c.scaleMin);
    earned[si] += points;
    possible[si] += c.weight;
    if (c.critical) {
      critEarned += points;
      critPossible += c.weight;
    }
  }
  let total = percent(sum(earned), sum(possible));
  if (total === undefined) {
    throw new Problem('not-computable', 'no criterion with weight was answered (all N/A, bonus or unanswered)', 'answers');
  }
  if (fatalFailed && form.settings.autoFail === 'zero-score') total = 0;
  if (missed.length > 0) total = Math.min(total, policy.ceiling);
  const passed = !fatalFailed && missed.length === 0 && total >= form.settings.passMark;
  const card = {
    evaluationExternalId: evaluation.externalId,
    score: total,
    outcome: passed ? 'pass' : 'fail',
    criticalScore: percent(critEarned, critPossible),
    autoFailed: fatalFailed,
    sections: form.sections.map((s, i) => ({
      sectionId: s.id,
      earned: earned[i],
      possible: possible[i],
      percent: percent(earned[i], possible[i]),
    })),
  };
  return [card, missed.sort()];
}

export function describe() {
  return {
    name: 'Compliance-gated scorer (JavaScript)',
    version: VERSION,
    description: 'Weighted percent of the answered criteria; a miss on a compliance topic caps the evaluation at a ceiling and fails it.',
  };
}

export function score(form, evaluations) {
  let policy;
  let index;
  try {
    policy = parsePolicy(configGet(TOPICS_KEY), configGet(CEILING_KEY));
    index = checkForm(form);
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    log('error', `cannot score form '${form.id}': ${e.message}`);
    return evaluations.map(() => ({ tag: 'err', val: e.error }));
  }
  let capped = 0;
  const results = evaluations.map((evaluation) => {
    try {
      const [card, missed] = scoreOne(form, index, policy, evaluation);
      if (missed.length > 0) {
        capped += 1; // the scorecard has no notes field: the reason goes to the log
        log('warn', `${evaluation.externalId}: compliance miss on ${missed.join(', ')}; capped at ${policy.ceiling}% and failed`);
      }
      return { tag: 'ok', val: card };
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      return { tag: 'err', val: e.error };
    }
  });
  log('info', `scored ${evaluations.length} evaluations against form '${form.id}' v${form.version} (${capped} capped by compliance)`);
  return results;
}
