// Sidecoach console: a light client of the /v1 API. One ES module, no
// dependencies. Pages are chosen by the signed-in person's role
// (GET /v1/me); every element is built with `h` (text, never HTML), so
// nothing from the API is ever parsed as markup.

const $ = (sel) => document.querySelector(sel);
let me = null;
let csrf = null;
const timers = new Set();

// ---- DOM helpers -------------------------------------------------------------

/** Build an element: h('p', {class: 'x', onclick: f}, 'text', child…). */
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}
const svg = (tag, attrs, ...kids) => {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const kid of kids.flat()) if (kid) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return el;
};
const card = (title, ...kids) => h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...kids);
const empty = (text) => h('p', { class: 'empty' }, text);
function toast(text) {
  $('#toast').textContent = text;
  setTimeout(() => { if ($('#toast').textContent === text) $('#toast').textContent = ''; }, 5000);
}

// ---- times and words ---------------------------------------------------------

const dateTime = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const when = (ms) => (ms === null || ms === undefined ? '—' : dateTime.format(new Date(ms)));
const day = (ms) => (ms === null || ms === undefined ? '—' : dateOnly.format(new Date(ms)));
const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 10) / 10}%`);
const num = (x, d = 1) => (x === null || x === undefined ? '—' : (Math.round(x * 10 ** d) / 10 ** d).toString());
const words = (s) => String(s || '').replace(/[-_]/g, ' ');

/** "in 1 h 05 min" / "12 min late", refreshed every second while shown. */
function clock(deadline) {
  const el = h('span', { class: 'clock', 'data-deadline': deadline });
  const tick = () => {
    const left = deadline - Date.now();
    const m = Math.floor(Math.abs(left) / 60000);
    const text = m >= 60 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min` : `${m} min ${String(Math.floor(Math.abs(left) / 1000) % 60).padStart(2, '0')} s`;
    el.textContent = left >= 0 ? `coach within ${text}` : `${text} past coach-by`;
    el.classList.toggle('late', left < 0);
  };
  tick();
  return el;
}
setInterval(() => {
  for (const el of document.querySelectorAll('.clock[data-deadline]')) {
    const fresh = clock(Number(el.dataset.deadline));
    el.textContent = fresh.textContent;
    el.className = fresh.className;
  }
}, 1000);

// ---- the API -----------------------------------------------------------------

/** Call the API; throws an Error whose message is the API's own words. */
async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') headers['X-Sidecoach-CSRF'] = csrf || '';
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new Error('The Sidecoach host cannot be reached. Check that it is running, then try again.');
  }
  const text = await resp.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (resp.status === 401 && path !== '/console/session') { signedOut('Your session has ended. Sign in again.'); }
  if (!resp.ok) {
    const e = json && json.error;
    throw new Error(e ? `${e.message} (${e.code})` : `The host answered ${resp.status}.`);
  }
  return json;
}
const get = (path) => api('GET', path);
const items = async (path) => (await get(path)).items || [];

/** Run an action from a button: disable it, show the API's error in words. */
function action(button, run, errorEl) {
  return async (ev) => {
    if (ev) ev.preventDefault();
    button.disabled = true;
    if (errorEl) errorEl.textContent = '';
    try { await run(); } catch (e) { if (errorEl) errorEl.textContent = e.message; else toast(e.message); } finally { button.disabled = false; }
  };
}

// ---- sign-in -----------------------------------------------------------------

async function boot() {
  $('#signin-form').addEventListener('submit', signIn);
  $('#signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  if (new URLSearchParams(location.search).get('signin') === 'failed') {
    $('#signin-error').textContent = 'That token was not accepted: check it, or ask your administrator for a new one.';
    history.replaceState(null, '', '/');
  }
  try {
    csrf = (await api('GET', '/console/session')).csrf;
  } catch {
    return showSignIn();
  }
  await start();
}

async function signIn(ev) {
  ev.preventDefault();
  const input = $('#token');
  const button = ev.submitter || $('#signin-form button');
  button.disabled = true;
  $('#signin-error').textContent = '';
  try {
    csrf = (await api('POST', '/console/session', { token: input.value })).csrf;
    input.value = '';
    await start();
  } catch (e) {
    $('#signin-error').textContent = e.message.includes('unknown token') ? 'That token was not accepted: check it, or ask your administrator for a new one.' : e.message;
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try { await api('DELETE', '/console/session'); } catch { /* signed out either way */ }
  signedOut('You are signed out.');
}

function signedOut(message) {
  me = null; csrf = null;
  closePage(shown);
  showSignIn();
  $('#signin-error').textContent = message;
}

function showSignIn() {
  $('#signin').classList.remove('hidden');
  $('#view').replaceChildren();
  $('#nav').replaceChildren();
  $('#who').textContent = '';
  $('#signout').classList.add('hidden');
  $('#token').focus();
}

const STAFF = ['supervisor', 'coach'];
const OPERATOR = ['admin', 'integrator', 'read-only'];

/** The pages this role may use, first the landing page. */
function pages() {
  const r = me.role;
  const list = [];
  if (STAFF.includes(r) || r === 'admin') list.push(['today', 'Today']);
  if (r === 'agent') list.push([`agent/${me.person.id}`, 'My coaching']);
  if (STAFF.includes(r) || r === 'admin') list.push(['session/new', 'New session']);
  if (STAFF.includes(r) || r === 'agent' || r === 'admin') list.push(['mentoring', 'Mentoring']);
  if (STAFF.includes(r) || r === 'admin') list.push(['schedule', 'Schedule']);
  if (OPERATOR.includes(r)) list.push(['operator', 'Operator']);
  return list;
}

async function start() {
  me = await get('/v1/me');
  $('#signin').classList.add('hidden');
  $('#signout').classList.remove('hidden');
  const person = me.person ? me.person.name : me.name;
  $('#who').textContent = `${person} · ${words(me.role)}`;
  $('#nav').replaceChildren(...pages().map(([p, label]) => h('a', { href: `#/${p}`, 'data-page': p }, label)));
  if (!location.hash || location.hash === '#/') location.hash = `#/${pages()[0][0]}`;
  else await route();
}

// ---- routing -----------------------------------------------------------------

let routeSeq = 0;
/** What the page on screen holds open (its live streams), closed when it goes. */
let shown = { streams: [] };
const closePage = (page) => { for (const s of page.streams.splice(0)) s.close(); };

async function route() {
  if (!me) return;
  // Only the latest navigation renders (a slower earlier page must not
  // replace it when its data arrives).
  const seq = ++routeSeq;
  const [path, query] = location.hash.slice(2).split('?');
  const params = new URLSearchParams(query || '');
  for (const a of document.querySelectorAll('#nav a')) {
    if (path.startsWith(a.dataset.page)) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  closePage(shown);
  const page = { streams: [] };
  shown = page;
  const view = $('#view');
  view.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  const [name, arg] = path.split('/');
  const render = { today, agent: agentPage, session: sessionPage, mentoring, schedule, operator }[name];
  try {
    if (!render) throw new Error('There is no such page. Use the menu above.');
    const content = await render(arg, params, page);
    // A newer navigation took over while this page loaded: drop it and
    // whatever it opened.
    if (seq !== routeSeq) { closePage(page); return; }
    view.replaceChildren(...[content].flat());
    performance.mark(`sidecoach:rendered:${name}`);
    $('#main').focus({ preventScroll: true });
  } catch (e) {
    closePage(page);
    if (seq !== routeSeq) return;
    view.replaceChildren(h('div', { class: 'card' }, h('p', { class: 'error', role: 'alert' }, e.message)));
  }
}

// ---- supervisor: today ---------------------------------------------------------

const myTeam = () => (me.scope && me.scope.teams && me.scope.teams[0]) || null;

async function today(_arg, _params, page) {
  const team = myTeam();
  const teamQ = team ? `team=${team}` : '';
  const [open, acked, topics, recognitions, overdue, cadence] = await Promise.all([
    items('/v1/alerts?state=open&limit=200'),
    items('/v1/alerts?state=acknowledged&limit=200'),
    get(`/v1/analytics/topics?${teamQ}`),
    items('/v1/recognitions?limit=100'),
    me.person && me.person.kind === 'staff' ? get('/v1/coaching/overdue') : Promise.resolve({ follow_ups: [], action_items: [] }),
    get(`/v1/coaching/cadence?${teamQ}`),
  ]);
  const alerts = [...open, ...acked].sort((a, b) => b.raised_at - a.raised_at);
  const list = h('ul', { class: 'list', id: 'alerts', 'aria-live': 'polite' }, alerts.map(alertItem));
  const none = empty('No open alerts for your teams. New ones appear here as they are raised.');
  none.id = 'alerts-empty';
  if (alerts.length) none.classList.add('hidden');
  listenForAlerts(list, none, page);
  const focus = topics.topics.filter((t) => t.focus.length);
  const waiting = recognitions.filter((r) => r.state === 'open');
  const notCoached = cadence.agents.filter((a) => a.status !== 'coached');
  return [
    h('h1', {}, `Today — ${me.person ? me.person.name : me.name}`),
    h('div', { class: 'grid' },
      h('section', { class: 'card wide', 'aria-labelledby': 'alerts-title' },
        h('div', { class: 'row spread' }, h('h2', { id: 'alerts-title' }, 'Alerts to coach'), h('span', { class: 'small muted', id: 'live' }, 'Connecting to live alerts…')),
        none, list),
      card('Topic focus (last 4 weeks)', focus.length ? h('ul', { class: 'list' }, focus.map((t) => h('li', {},
        h('strong', {}, words(t.topic)), ` — ${t.dings} dings. Listen to: `,
        t.agents.filter((a) => t.focus.includes(a.agent_id)).map((a, i) => [i ? ', ' : '', h('a', { href: `#/agent/${a.agent_id}` }, a.agent_name), ` (${a.dings}: ${a.from_qa} QA, ${a.from_feedback} feedback)`]))))
        : empty('No agent has been dinged repeatedly on one topic. Nothing to focus on.')),
      card('Recognise good work', waiting.length ? h('ul', { class: 'list' }, waiting.map(recognitionItem))
        : empty('No high scores waiting for recognition. They appear when a QA score reaches the team’s recognition mark.')),
      card('Overdue follow-ups and action items', overdueList(overdue)),
      card('Not coached this week', notCoached.length ? h('ul', { class: 'list' }, notCoached.map((a) => h('li', { class: 'row spread' },
        h('a', { href: `#/agent/${a.agent_id}` }, a.agent_name),
        h('span', { class: `pill ${a.status === 'overdue' ? 'bad' : 'warn'}` }, a.status === 'overdue' ? 'no session for two weeks' : 'due this week'),
        h('a', { href: `#/session/new?agent=${a.agent_id}&kind=one-to-one` }, 'Plan a one-to-one'))))
        : empty('Everyone on your teams has been coached this week.')),
    ),
  ];
}

function alertItem(a) {
  const err = h('p', { class: 'error', role: 'alert' });
  const reason = h('input', { 'aria-label': 'Why no coaching is needed', placeholder: 'Why no coaching is needed', required: true });
  const dismissForm = h('form', { class: 'row hidden' }, reason, h('button', { type: 'submit' }, 'Dismiss alert'));
  const li = h('li', { class: 'alert', 'data-alert': a.id });
  const ack = h('button', { type: 'button' }, 'Acknowledge');
  ack.addEventListener('click', action(ack, async () => {
    const updated = await api('POST', `/v1/alerts/${a.id}/acknowledge`);
    li.replaceWith(alertItem(updated));
    toast(`Alert for ${a.agent_name} acknowledged.`);
  }, err));
  const dismiss = h('button', { type: 'button' }, 'Dismiss…');
  dismiss.addEventListener('click', () => { dismissForm.classList.toggle('hidden'); reason.focus(); });
  const send = dismissForm.querySelector('button');
  dismissForm.addEventListener('submit', action(send, async () => {
    await api('POST', `/v1/alerts/${a.id}/dismiss`, { reason: reason.value });
    li.remove();
    toast(`Alert for ${a.agent_name} dismissed.`);
  }, err));
  const source = a.evaluation_id ? 'a QA evaluation' : a.feedback_id ? 'customer feedback' : a.interaction_id ? 'a live interaction' : 'a rule';
  const origin = h('span', { class: 'small muted origin' }, ` — from ${source}, raised ${when(a.raised_at)}`);
  raisedBy(a).then((text) => { if (text) origin.textContent = ` — ${text}; raised ${when(a.raised_at)}`; });
  li.append(
    h('div', { class: 'row spread' },
      h('span', {}, h('a', { href: `#/agent/${a.agent_id}` }, h('strong', {}, a.agent_name || 'Unknown agent')), ' · ', words(a.topic || 'no topic'), ' ',
        h('span', { class: `pill ${a.severity === 'critical' ? 'bad' : 'warn'}` }, a.severity), ' ',
        a.state === 'acknowledged' ? h('span', { class: 'pill' }, 'acknowledged') : null),
      clock(a.coach_by)),
    h('p', {}, a.reason, origin),
    h('div', { class: 'row' },
      a.state === 'open' ? ack : null,
      h('a', { class: 'button', href: `#/session/new?alert=${a.id}` }, 'Coach now (micro-coaching)'),
      dismiss),
    dismissForm, err);
  return li;
}

/**
 * The record that raised an alert, in words: the QA result or the customer's
 * rating with its contact time and the vendor's reference. It tells apart
 * alerts that read alike (three auto-failed evaluations of one agent are
 * three contacts) — kept apart rather than grouped, since each is
 * acknowledged and coached on its own.
 */
async function raisedBy(a) {
  try {
    if (a.evaluation_id) {
      const e = await get(`/v1/evaluations/${a.evaluation_id}`);
      const c = e.scorecard;
      return `QA evaluation ${e.external_id} of ${when(e.evaluated_at)}${c ? `: ${pct(c.score)}, ${c.outcome}` : ''}`;
    }
    if (a.feedback_id) {
      const f = await get(`/v1/feedback/${a.feedback_id}`);
      return `${words(f.kind).toUpperCase()} ${num(f.value)} of ${num(f.scale_max)} (${f.external_id}), received ${when(f.received_at)}${f.verbatim ? `: “${f.verbatim}”` : ''}`;
    }
  } catch { /* the plain description stays */ }
  return null;
}

/** New alerts arrive over the SSE stream (the session cookie authenticates it). */
function listenForAlerts(list, none, page) {
  const stream = new EventSource('/v1/stream?kinds=alert');
  page.streams.push(stream);
  stream.addEventListener('ready', () => { const s = $('#live'); if (s) s.textContent = 'Live: new alerts appear here.'; });
  stream.addEventListener('alert', (ev) => {
    const alert = JSON.parse(ev.data).record;
    if (!alert || alert.state !== 'open') return;
    if (list.querySelector(`[data-alert="${alert.id}"]`)) return;
    const li = alertItem(alert);
    li.classList.add('new');
    list.prepend(li);
    none.classList.add('hidden');
  });
  stream.addEventListener('error', () => { const s = $('#live'); if (s) s.textContent = 'Live alerts paused: reconnecting…'; });
}

function recognitionItem(r) {
  const note = h('input', { 'aria-label': `Words for ${r.agent_name}`, placeholder: 'A word of thanks (optional)' });
  const err = h('p', { class: 'error', role: 'alert' });
  const li = h('li', {});
  const b = h('button', { type: 'button' }, 'Acknowledge');
  b.addEventListener('click', action(b, async () => {
    await api('POST', `/v1/recognitions/${r.id}/acknowledge`, note.value ? { note: note.value } : {});
    li.replaceChildren(h('span', {}, `Recognised ${r.agent_name}.`));
  }, err));
  li.append(h('div', {}, h('a', { href: `#/agent/${r.agent_id}` }, r.agent_name), ` scored ${pct(r.score)} (mark ${pct(r.threshold)}), ${when(r.raised_at)}`),
    h('div', { class: 'row' }, note, b), err);
  return li;
}

function overdueList(o) {
  const rows = [
    ...o.follow_ups.map((s) => h('li', {}, 'Follow up with ', h('a', { href: `#/agent/${s.agent_id}` }, s.agent_name), ` — was due ${when(s.follow_up_at)} `,
      h('a', { href: `#/session/new?agent=${s.agent_id}&kind=one-to-one&follows=${s.id}` }, 'Record the follow-up'))),
    ...o.action_items.map((x) => h('li', {}, h('a', { href: `#/agent/${x.agent_id}` }, x.agent_name), `: “${x.item.description}” was due ${day(x.item.due)} (${words(x.item.status)})`)),
  ];
  return rows.length ? h('ul', { class: 'list' }, rows) : empty('Nothing overdue. Follow-ups appear here when their date passes without a session.');
}

// ---- charts (inline SVG, our own) ----------------------------------------------

/** A weekly line against a dashed target line. */
function lineChart(title, weeks, pick, target, max, unit) {
  const W = 520, H = 180, L = 40, B = 24;
  const pts = weeks.map((w, i) => [L + (i * (W - L - 10)) / Math.max(1, weeks.length - 1), pick(w)]);
  const y = (v) => H - B - (v / max) * (H - B - 10);
  const drawn = pts.filter((p) => p[1] !== null && p[1] !== undefined);
  const s = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: ${drawn.map((p) => num(p[1])).join(', ')}${unit}; target ${target}${unit}` });
  s.append(svg('line', { x1: L, x2: W - 10, y1: H - B, y2: H - B, stroke: '#9ca3af' }));
  if (target !== null && target !== undefined) {
    s.append(svg('line', { class: 'target', x1: L, x2: W - 10, y1: y(target), y2: y(target) }), svg('text', { x: 2, y: y(target) + 4 }, `${target}${unit}`));
  }
  if (drawn.length > 1) s.append(svg('polyline', { class: 'line', points: drawn.map(([x, v]) => `${x},${y(v)}`).join(' ') }));
  for (const [x, v] of drawn) s.append(svg('circle', { class: 'dot', cx: x, cy: y(v), r: 4 }, svg('title', {}, `${num(v)}${unit}`)));
  weeks.forEach((w, i) => s.append(svg('text', { x: pts[i][0] - 16, y: H - 6 }, day(w.week_start).split(' ').slice(0, 2).join(' '))));
  return h('figure', {}, h('figcaption', { class: 'small' }, title), s);
}

// ---- agent page -----------------------------------------------------------------

async function agentPage(id) {
  const agent = await get(`/v1/agents/${id}`);
  const [team, trend, evals, feedback, sessions, mentoringView, forms] = await Promise.all([
    agent.team_id ? get(`/v1/teams/${agent.team_id}`) : Promise.resolve({ targets: {} }),
    get(`/v1/analytics/trends?agent=${id}`),
    items(`/v1/evaluations?agent=${id}&limit=8`),
    items(`/v1/feedback?agent=${id}&limit=8`),
    items(`/v1/sessions?agent=${id}&limit=50`),
    get(`/v1/agents/${id}/mentoring`).catch(() => null),
    items('/v1/forms?limit=200').catch(() => []),
  ]);
  const formName = (fid) => (forms.find((f) => f.id === fid) || {}).name || fid;
  const t = team.targets || {};
  const own = me.role === 'agent' && me.person && me.person.id === id;
  const toAck = sessions.filter((s) => !s.acknowledged_at);
  const withItems = sessions.filter((s) => s.action_items.length);
  return [
    h('h1', {}, own ? `My coaching — ${agent.name}` : agent.name),
    h('p', { class: 'muted' }, team.name ? `Team ${team.name}` : 'No team', own ? '' : ' · ', own ? '' : h('a', { href: `#/session/new?agent=${id}` }, 'Start a session with them')),
    h('div', { class: 'grid' },
      card('QA score by week', lineChart('QA score (%) against the team target', trend.weeks, (w) => w.qa.mean, t.qa_percent, 100, '%'),
        h('p', { class: 'small' }, `Last 12 weeks: ${pct(trend.qa.mean)} over ${trend.qa.count} evaluations; target ${pct(t.qa_percent)}.`)),
      card('Customer satisfaction by week', lineChart('CSAT (1–5) against the team target', trend.weeks, (w) => w.csat.mean, t.csat, 5, ''),
        h('p', { class: 'small' }, `Last 12 weeks: ${num(trend.csat.mean)} over ${trend.csat.count} ratings; target ${num(t.csat)}.`)),
      card(own ? 'Sessions to acknowledge' : 'Sessions waiting for the agent', toAck.length ? h('ul', { class: 'list' }, toAck.map((s) => sessionToAck(s, own)))
        : empty(own ? 'Nothing to acknowledge. Sessions your coach records appear here.' : 'The agent has acknowledged every session.')),
      card('Action plan', withItems.length ? h('ul', { class: 'list' }, withItems.flatMap((s) => s.action_items.map((it, n) => actionItem(s, it, n))))
        : empty('No action items yet: they are agreed in coaching sessions.')),
      card('Scorecards', evals.length ? h('ul', { class: 'list' }, evals.map((e) => scorecard(e, formName))) : empty('No QA evaluations yet.')),
      card('Customer feedback', feedback.length ? h('ul', { class: 'list' }, feedback.map((f) => h('li', {},
        h('strong', {}, `${words(f.kind).toUpperCase()} ${num(f.value)} of ${num(f.scale_max)}`), ` · ${when(f.received_at)} · ${f.topics.map(words).join(', ')}`,
        f.verbatim ? h('p', {}, `“${f.verbatim}”`) : null))) : empty('No customer feedback yet.')),
      card('Mentoring', mentoringStatus(mentoringView, own)),
    ),
  ];
}

function sessionToAck(s, own) {
  const err = h('p', { class: 'error', role: 'alert' });
  const comment = h('textarea', { 'aria-label': 'Your comment', placeholder: 'Your comment for your coach (optional)' });
  const b = h('button', { type: 'submit', class: 'primary' }, 'Acknowledge session');
  const li = h('li', { 'data-session': s.id });
  const form = h('form', {}, comment, h('p', {}, b), err);
  form.addEventListener('submit', action(b, async () => {
    await api('POST', `/v1/sessions/${s.id}/acknowledge`, comment.value ? { comment: comment.value } : {});
    li.replaceChildren(h('p', { class: 'ack-done' }, `Acknowledged the ${words(s.kind)} session of ${day(s.scheduled_at)}.`));
    toast('Session acknowledged.');
  }, err));
  li.append(h('h3', {}, `${words(s.kind)} with ${s.coach_name || 'your coach'}, ${when(s.scheduled_at)}`), sessionSummary(s), own ? form : null);
  return li;
}

function sessionSummary(s) {
  const part = (label, list) => (list.length ? [h('strong', {}, label), h('ul', {}, list.map((x) => h('li', {}, x)))] : null);
  return h('div', { class: 'small' },
    s.figures ? h('p', {}, `Figures then: QA ${pct(s.figures.qa)} (target ${pct(s.figures.qa_target)}), CSAT ${num(s.figures.csat)} (target ${num(s.figures.csat_target)})`) : null,
    part('Targets reviewed', s.targets_reviewed), part('Behaviours', s.behaviours), part('Root causes', s.root_causes),
    s.follow_up_at ? h('p', {}, `Follow-up ${day(s.follow_up_at)}`) : null);
}

function actionItem(s, it, n) {
  const err = h('p', { class: 'error', role: 'alert' });
  const sel = h('select', { 'aria-label': `Status of “${it.description}”` }, ['open', 'in-progress', 'done', 'cancelled'].map((v) => h('option', { value: v, selected: v === it.status }, words(v))));
  sel.addEventListener('change', action(sel, async () => {
    await api('POST', `/v1/sessions/${s.id}/action-items/${n}`, { status: sel.value });
    toast(`“${it.description}” is now ${words(sel.value)}.`);
  }, err));
  return h('li', {}, h('div', { class: 'row spread' }, h('span', {}, it.description, h('span', { class: 'small muted' }, ` — ${it.owner_name || ''}, due ${day(it.due)}`)), sel), err);
}

function scorecard(e, formName) {
  const c = e.scorecard;
  return h('li', {}, h('div', { class: 'row spread' }, h('strong', {}, `${when(e.evaluated_at)} · ${formName(e.form_id)}`),
    c ? h('span', { class: `pill ${c.outcome === 'pass' ? 'good' : 'bad'}` }, `${pct(c.score)} ${c.outcome}`) : h('span', { class: 'pill' }, e.score_error ? 'not scored' : 'scoring')),
    c ? h('div', { class: 'small' }, c.sections.map((x) => `${words(x.section_id)} ${pct(x.percent)}`).join(' · ')) : null,
    h('div', { class: 'small muted' }, e.answers.map((a) => `${words(a.criterion_id)}: ${a.value === null || a.value === undefined ? 'n/a' : num(a.value)}${a.comment ? ` (${a.comment})` : ''}`).join(' · ')));
}

function mentoringStatus(v, own) {
  if (!v) return empty('Not in the mentoring programme.');
  const active = v.pairings.filter((p) => ['accepted', 'active'].includes(p.state));
  const offered = v.pairings.filter((p) => p.state === 'offered');
  return h('div', {},
    active.length ? active.map((p) => h('p', {}, `Mentored by ${p.mentor_name} (${words(p.state)}).`)) : h('p', {}, offered.length ? `${offered.length} mentors offered: ` : 'No mentor yet.', offered.length && own ? h('a', { href: '#/mentoring' }, 'choose one') : null),
    v.needs && v.needs.length ? h('p', { class: 'small' }, `Needs help with: ${v.needs.map((n) => words(n.topic)).join(', ')}`) : null,
    v.reports && v.reports.length ? latestReport(v.reports) : null);
}

function latestReport(reports) {
  const r = reports.reduce((a, b) => (b.filed_at > a.filed_at ? b : a));
  return h('div', { class: 'report' },
    h('p', { class: 'small' }, `${reports.length} progress report${reports.length > 1 ? 's' : ''} from the mentor; the latest, ${when(r.filed_at)}:`),
    h('ul', {}, h('li', {}, 'Going well: ', r.doing_well), h('li', {}, 'To improve: ', r.to_improve), h('li', {}, 'Next focus: ', r.next_focus)));
}

// ---- coaching session form ------------------------------------------------------

const KINDS = [['one-to-one', 'Weekly one-to-one'], ['micro-coaching', 'Micro-coaching'], ['mentoring', 'Mentoring'], ['observed', 'Observed (“packet”)'], ['recognition', 'Recognition']];
const lines = (ta) => ta.value.split('\n').map((x) => x.trim()).filter(Boolean);
const localInput = (ms) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000); return d.toISOString().slice(0, 16); };

async function sessionPage(id, params) {
  if (id && id !== 'new') {
    const s = await get(`/v1/sessions/${id}`);
    return [h('h1', {}, `${words(s.kind)} session with ${s.agent_name}`), h('div', { class: 'card' }, h('p', {}, `${when(s.scheduled_at)}, ${s.duration_minutes} min, coach ${s.coach_name}`), sessionSummary(s))];
  }
  const alertId = params.get('alert');
  const alert = alertId ? await get(`/v1/alerts/${alertId}`) : null;
  const agents = await items('/v1/agents?limit=1000');
  const agentId = alert ? alert.agent_id : params.get('agent') || '';
  const kind = h('select', { id: 'f-kind' }, KINDS.map(([v, l]) => h('option', { value: v, selected: v === (alert ? 'micro-coaching' : params.get('kind') || 'one-to-one') }, l)));
  const agent = h('select', { id: 'f-agent', required: true }, h('option', { value: '' }, 'Choose an agent'), agents.map((a) => h('option', { value: a.id, selected: a.id === agentId }, a.name)));
  const at = h('input', { id: 'f-at', type: 'datetime-local', value: localInput(Date.now()), required: true });
  const minutes = h('input', { id: 'f-min', type: 'number', min: 1, max: 240, value: alert ? 10 : 25 });
  const figures = h('div', { class: 'small', id: 'f-figures' });
  const targets = h('textarea', { id: 'f-targets' }, alert ? `${alert.reason}` : '');
  const behaviours = h('textarea', { id: 'f-behaviours' });
  const causes = h('textarea', { id: 'f-causes' });
  const observers = h('select', { id: 'f-observers', multiple: true, size: 4 }, agents.map((a) => h('option', { value: a.id }, a.name)));
  const obsNotes = h('textarea', { id: 'f-obsnotes', placeholder: 'One line per note: the observer’s areas of improvement' });
  const followUp = h('input', { id: 'f-follow', type: 'date' });
  const itemsBox = h('div', {});
  const addItem = () => {
    const row = h('div', { class: 'row action-row' },
      h('input', { 'aria-label': 'Action', placeholder: 'What will be done', class: 'ai-desc' }),
      h('select', { 'aria-label': 'Owner', class: 'ai-owner' }, agents.map((a) => h('option', { value: a.id, selected: a.id === agent.value }, a.name))),
      h('input', { 'aria-label': 'Due', type: 'date', class: 'ai-due', value: localInput(Date.now() + 7 * 86400000).slice(0, 10) }));
    itemsBox.append(row);
  };
  addItem();
  const showFigures = async () => {
    figures.textContent = '';
    if (!agent.value) return;
    try {
      const a = agents.find((x) => x.id === agent.value);
      const [tr, team] = await Promise.all([get(`/v1/analytics/trends?agent=${agent.value}`), a && a.team_id ? get(`/v1/teams/${a.team_id}`) : { targets: {} }]);
      figures.textContent = `Now: QA ${pct(tr.qa.mean)} (target ${pct(team.targets.qa_percent)}), CSAT ${num(tr.csat.mean)} (target ${num(team.targets.csat)}) over the last 12 weeks.`;
    } catch (e) { figures.textContent = e.message; }
  };
  agent.addEventListener('change', showFigures);
  showFigures();
  const err = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary' }, alert ? 'Record micro-coaching and close the alert' : 'Record session');
  const addBtn = h('button', { type: 'button' }, 'Add an action item');
  addBtn.addEventListener('click', addItem);
  const form = h('form', { class: 'card', id: 'session-form' },
    alert ? h('p', {}, h('strong', {}, 'From the alert: '), `${alert.agent_name} — ${alert.reason}`) : null,
    h('div', { class: 'grid' },
      h('div', {}, h('label', { for: 'f-kind' }, 'Kind'), kind),
      h('div', {}, h('label', { for: 'f-agent' }, 'Agent'), agent),
      h('div', {}, h('label', { for: 'f-at' }, 'When'), at),
      h('div', {}, h('label', { for: 'f-min' }, 'Minutes'), minutes)),
    h('fieldset', {}, h('legend', {}, '1. Targets and current figures'), figures, h('label', { for: 'f-targets' }, 'Targets reviewed (one per line)'), targets),
    h('fieldset', {}, h('legend', {}, '2. Behaviours'), h('label', { for: 'f-behaviours' }, 'Behaviours driving the figures (one per line)'), behaviours),
    h('fieldset', {}, h('legend', {}, '3. Root causes'), h('label', { for: 'f-causes' }, 'Why the behaviours happen (one per line)'), causes),
    h('fieldset', {}, h('legend', {}, '4. Action plan'), itemsBox, addBtn),
    h('fieldset', {}, h('legend', {}, '5. Follow-up'), h('label', { for: 'f-follow' }, 'Follow up on'), followUp),
    h('fieldset', {}, h('legend', {}, 'Observers (observed sessions)'), h('label', { for: 'f-observers' }, 'Observing agents'), observers, h('label', { for: 'f-obsnotes' }, 'Observers’ notes'), obsNotes),
    h('p', {}, save), err);
  form.addEventListener('submit', action(save, async () => {
    if (!agent.value) throw new Error('Choose the agent you coached.');
    const obs = [...observers.selectedOptions].map((o) => o.value);
    const body = {
      kind: kind.value, coach_id: me.person && me.person.id, agent_id: agent.value, observers: obs,
      scheduled_at: new Date(at.value).getTime(), duration_minutes: Number(minutes.value),
      targets_reviewed: lines(targets), behaviours: lines(behaviours), root_causes: lines(causes),
      action_items: [...itemsBox.querySelectorAll('.action-row')].filter((r) => r.querySelector('.ai-desc').value.trim()).map((r) => ({
        description: r.querySelector('.ai-desc').value.trim(), owner_id: r.querySelector('.ai-owner').value,
        due: new Date(`${r.querySelector('.ai-due').value}T17:00`).getTime(), status: 'open' })),
      observer_notes: obs.length ? lines(obsNotes).map((note, i) => ({ observer_id: obs[i % obs.length], note })) : [],
    };
    if (followUp.value) body.follow_up_at = new Date(`${followUp.value}T09:00`).getTime();
    if (params.get('follows')) body.follows_up = params.get('follows');
    if (alert) { body.alert_ids = [alert.id]; if (alert.interaction_id) body.interaction_ids = [alert.interaction_id]; if (alert.evaluation_id) body.evaluation_ids = [alert.evaluation_id]; }
    const saved = await api('POST', '/v1/sessions', body);
    if (alert) await api('POST', `/v1/alerts/${alert.id}/coach`, { session_id: saved.id });
    toast(`Session with ${saved.agent_name} recorded.`);
    location.hash = alert ? '#/today' : `#/agent/${saved.agent_id}`;
  }, err));
  return [h('h1', {}, alert ? `Micro-coaching for ${alert.agent_name}` : 'New coaching session'), form];
}

// ---- mentoring ------------------------------------------------------------------

async function mentoring() {
  if (me.role === 'agent') return agentMentoring();
  const pairings = await items('/v1/pairings?limit=500');
  const report = h('div', { id: 'match-report' });
  const err = h('p', { class: 'error', role: 'alert' });
  const run = h('button', { type: 'button', class: 'primary' }, 'Match protégés with mentors');
  run.addEventListener('click', action(run, async () => {
    const r = await api('POST', '/v1/mentoring/match', { commit: true });
    report.replaceChildren(h('p', {}, `${r.matched} protégés matched by ${r.matcher}. Each protégé now has a shortlist to choose from.`),
      r.mentors_unacknowledged.length ? h('p', { class: 'small' }, `${r.mentors_unacknowledged.length} mentor(s) left out: they have not acknowledged the monitoring notice.`) : null,
      h('ul', { class: 'list' }, r.proteges.map((p) => h('li', {}, h('strong', {}, p.protege_name), ': ', p.shortlist.map((o) => `${o.mentor_name} (${o.assigned ? 'recommended' : `costs ${num(o.cost, 3)}`})`).join(', ')))));
  }, err));
  const live = pairings.filter((p) => p.state !== 'ended');
  // Drop-in consent: both sides must have acknowledged the monitoring notice.
  const running = live.filter((p) => ['accepted', 'active'].includes(p.state));
  const people = [...new Set(running.flatMap((p) => [p.mentor_id, p.protege_id]))];
  const consent = new Map(await Promise.all(people.map(async (id) => [id, await get(`/v1/agents/${id}/mentoring`).then((v) => v.monitoring_acknowledged, () => null)])));
  for (const p of running) p.consent = [consent.get(p.mentor_id), consent.get(p.protege_id)];
  return [h('h1', {}, 'Mentoring'), h('div', { class: 'grid' },
    card('Match', h('p', { class: 'muted' }, 'Offers every enrolled protégé a shortlist of mentors who opted in, chosen for the whole team at once.'), run, err, report),
    card('Pairings', live.length ? h('ul', { class: 'list' }, live.map(pairingRow)) : empty('No pairings yet. Run the match to offer shortlists.')))];
}

function pairingRow(p) {
  const err = h('p', { class: 'error', role: 'alert' });
  const note = h('input', { 'aria-label': 'Why you drop in', placeholder: 'Why you drop in' });
  const b = h('button', { type: 'button' }, 'Drop in');
  b.addEventListener('click', action(b, async () => {
    await api('POST', `/v1/pairings/${p.id}/drop-in`, { note: note.value || 'supervisor drop-in' });
    toast(`Drop-in on ${p.mentor_name} and ${p.protege_name} recorded.`);
  }, err));
  const running = p.state === 'active' || p.state === 'accepted';
  const [mentorOk, protegeOk] = p.consent || [];
  const consented = mentorOk === true && protegeOk === true;
  const missing = [mentorOk === true ? null : p.mentor_name, protegeOk === true ? null : p.protege_name].filter(Boolean);
  const status = running ? h('span', { class: `pill consent ${consented ? 'good' : 'bad'}` }, consented ? 'drop-in consented' : 'drop-in not consented') : null;
  return h('li', { 'data-pairing': p.id }, h('div', {}, h('strong', {}, p.protege_name), ` ← ${p.mentor_name} · ${words(p.state)}${p.recommended ? ' · recommended' : ''} `, status),
    running && consented ? h('div', { class: 'row' }, note, b) : null,
    running && !consented ? h('p', { class: 'small' }, `No drop-in: ${missing.join(' and ')} ${missing.length > 1 ? 'have' : 'has'} not acknowledged the monitoring notice (they do so when they enrol).`) : null, err);
}

async function agentMentoring() {
  const id = me.person.id;
  // An agent's token lists its pairings as protégé by default; those it
  // mentors are asked for by name.
  const [view, mentors] = await Promise.all([get(`/v1/agents/${id}/mentoring`).catch(() => null), items(`/v1/pairings?mentor=${encodeURIComponent(id)}&limit=200`)]);
  const offered = (view ? view.pairings : []).filter((p) => p.state === 'offered').sort((a, b) => (a.cost ?? 0) - (b.cost ?? 0));
  const chosen = (view ? view.pairings : []).filter((p) => ['accepted', 'active'].includes(p.state));
  const mine = mentors.filter((p) => p.mentor_id === id && ['accepted', 'active'].includes(p.state));
  const shortlist = h('div', { id: 'shortlist' });
  if (chosen.length) shortlist.append(...chosen.map((p) => h('p', { class: 'chosen' }, `Your mentor: ${p.mentor_name} (${words(p.state)}).`)));
  else if (offered.length) shortlist.append(...offered.map((p) => offer(p, shortlist)));
  else shortlist.append(empty('No mentors offered yet. Enrol below; your supervisor then runs the match and your shortlist appears here.'));
  return [h('h1', {}, 'Mentoring'), h('div', { class: 'grid' },
    card('Choose your mentor', shortlist),
    card('Mentees', mine.length ? h('ul', { class: 'list' }, mine.map(reportForm)) : empty('You mentor nobody yet. Opt in below to be offered to protégés.')),
    card('Join the programme', enrolForm(), optInForm()))];
}

function offer(p, box) {
  const err = h('p', { class: 'error', role: 'alert' });
  const b = h('button', { type: 'button', class: p.recommended ? 'primary' : '' }, `Choose ${p.mentor_name}`);
  b.addEventListener('click', action(b, async () => {
    const accepted = await api('POST', `/v1/pairings/${p.id}/accept`);
    box.replaceChildren(h('p', { class: 'chosen' }, `Your mentor: ${accepted.mentor_name} (${words(accepted.state)}). They will contact you for a first 15-minute session.`));
    toast(`You chose ${accepted.mentor_name}.`);
  }, err));
  const cost = p.cost === undefined || p.cost === null ? '' : p.cost === 0 ? 'Best for the whole team.' : `Choosing them lowers the team’s match score by ${num(p.cost, 3)} (of ${num(p.score, 3)}).`;
  return h('div', { class: `offer${p.recommended ? ' recommended' : ''}`, 'data-pairing': p.id },
    h('div', { class: 'row spread' }, h('strong', {}, p.mentor_name), p.recommended ? h('span', { class: 'pill good' }, 'recommended') : null),
    h('ul', {}, p.reasons.map((r) => h('li', {}, r))), h('p', { class: 'small' }, `Match score ${num(p.score, 3)}. ${cost}`), b, err);
}

function reportForm(p) {
  const err = h('p', { class: 'error', role: 'alert' });
  const field = (key, label, hint) => h('textarea', { 'data-field': key, 'aria-label': `${label} (${p.protege_name})`, placeholder: hint, required: true });
  const fields = [
    field('doing_well', 'Going well', 'What is going well'),
    field('to_improve', 'To improve', 'What to improve'),
    field('next_focus', 'Next focus', 'What you work on next'),
  ];
  const b = h('button', { type: 'submit' }, 'Send progress report');
  const f = h('form', { 'data-report': p.id }, h('strong', {}, `Progress of ${p.protege_name}`), ...fields, b, err);
  f.addEventListener('submit', action(b, async () => {
    const body = Object.fromEntries(fields.map((t) => [t.dataset.field, t.value.trim()]));
    await api('POST', `/v1/pairings/${p.id}/reports`, body);
    fields.forEach((t) => { t.value = ''; });
    toast('Report sent to the supervisor.');
  }, err));
  return h('li', {}, f);
}

function enrolForm() {
  const err = h('p', { class: 'error', role: 'alert' });
  const ack = h('input', { type: 'checkbox', id: 'enrol-ack', required: true });
  const b = h('button', { type: 'submit' }, 'Enrol as a protégé');
  const f = h('form', {}, h('h3', {}, 'Get a mentor'),
    h('p', { class: 'small' }, 'Monitoring notice: supervisors may occasionally drop in on mentoring sessions to monitor them. Every drop-in is recorded.'),
    h('label', { for: 'enrol-ack' }, ack, ' I have read the monitoring notice'), b, err);
  f.addEventListener('submit', action(b, async () => {
    await api('POST', '/v1/mentoring/enrol', { monitoring_acknowledged: ack.checked, channels: ['chat'] });
    toast('Enrolled: your supervisor will offer you a shortlist.');
  }, err));
  return f;
}

function optInForm() {
  const err = h('p', { class: 'error', role: 'alert' });
  const strengths = h('input', { id: 'mentor-strengths', placeholder: 'e.g. product-knowledge, empathy' });
  const cap = h('input', { id: 'mentor-cap', type: 'number', min: 1, max: 10, value: 2 });
  const b = h('button', { type: 'submit' }, 'Opt in as a mentor');
  const f = h('form', {}, h('h3', {}, 'Mentor others'), h('label', { for: 'mentor-strengths' }, 'Strengths'), strengths, h('label', { for: 'mentor-cap' }, 'How many protégés at once'), cap, b, err);
  f.addEventListener('submit', action(b, async () => {
    await api('POST', '/v1/mentors', { capacity: Number(cap.value), strengths: strengths.value.split(',').map((x) => x.trim()).filter(Boolean), channels: ['chat'] });
    toast('You are opted in as a mentor.');
  }, err));
  return f;
}

// ---- schedule -------------------------------------------------------------------

async function schedule() {
  const agents = await items('/v1/agents?limit=1000');
  const team = myTeam();
  const mine = agents.filter((a) => !team || a.team_id === team);
  const DAY = 86400000;
  const monday = (() => { const d = new Date(); d.setUTCHours(0, 0, 0, 0); const back = (d.getUTCDay() + 6) % 7; return d.getTime() - back * DAY + 7 * DAY; })();
  const week = h('input', { id: 's-week', type: 'date', value: new Date(monday).toISOString().slice(0, 10) });
  const minutes = h('input', { id: 's-min', type: 'number', min: 5, max: 120, value: 30 });
  const boxes = mine.map((a) => h('label', { class: 'row' }, h('input', { type: 'checkbox', value: a.id, checked: true }), a.name));
  const out = h('div', { id: 'plan' });
  const err = h('p', { class: 'error', role: 'alert' });
  const planB = h('button', { type: 'submit', class: 'primary' }, 'Plan');
  const body = (commit) => {
    const start = new Date(`${week.value}T00:00:00Z`).getTime();
    return { commit, sessions: boxes.filter((b) => b.querySelector('input').checked).map((b, i) => ({
      id: `s${i}`, kind: 'one-to-one', coach_id: me.person ? me.person.id : '', agent_id: b.querySelector('input').value,
      duration_minutes: Number(minutes.value), window: { start, end: start + 5 * DAY } })) };
  };
  const form = h('form', { class: 'card' }, h('h2', {}, 'Plan a week of one-to-ones'),
    h('div', { class: 'grid' }, h('div', {}, h('label', { for: 's-week' }, 'Week starting'), week), h('div', {}, h('label', { for: 's-min' }, 'Minutes each'), minutes)),
    h('fieldset', {}, h('legend', {}, 'Agents'), boxes), planB, err);
  form.addEventListener('submit', action(planB, async () => {
    const plan = await api('POST', '/v1/schedule/plan', body(false));
    const commit = h('button', { type: 'button', class: 'primary' }, `Commit ${plan.placed.length} sessions`);
    const cErr = h('p', { class: 'error', role: 'alert' });
    commit.addEventListener('click', action(commit, async () => { const r = await api('POST', '/v1/schedule/plan', body(true)); toast(`${(r.created || r.placed).length} sessions booked.`); commit.disabled = true; }, cErr));
    const name = (id) => { const s = body(false).sessions.find((x) => x.id === id); const a = s && agents.find((x) => x.id === s.agent_id); return a ? a.name : id; };
    out.replaceChildren(
      card('Service level before and after', slChart(plan), h('p', { class: 'small' }, `Target ${pct(plan.target.level * 100)} answered in ${plan.target.answer_seconds} s.`)),
      card('Placed', plan.placed.length ? h('ul', { class: 'list' }, plan.placed.map((p) => h('li', {}, `${name(p.id)}: ${when(p.start)}–${new Date(p.end).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`))) : empty('Nothing could be placed.'), commit, cErr),
      card('Not placed', plan.unplaced.length ? h('ul', { class: 'list' }, plan.unplaced.map((u) => h('li', {}, `${name(u.id)}: ${u.message}`))) : empty('Every session found a slot.')));
  }, err));
  return [h('h1', {}, 'Schedule'), form, out];
}

/** Bars per touched interval: predicted service level before (grey) and after. */
function slChart(plan) {
  const iv = plan.intervals.slice(0, 40);
  if (!iv.length) return empty('No interval is touched.');
  const W = Math.max(520, iv.length * 26), H = 200, B = 40, bw = 10;
  const y = (v) => H - B - v * (H - B - 10);
  const s = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Predicted service level of each touched interval before and after the sessions' });
  const target = plan.target.level;
  iv.forEach((x, i) => {
    const X = 30 + i * 26;
    s.append(svg('rect', { class: 'before', x: X, y: y(x.service_level_before), width: bw, height: H - B - y(x.service_level_before) }, svg('title', {}, `${x.queue} ${when(x.starts_at)} before ${pct(x.service_level_before * 100)}`)));
    s.append(svg('rect', { class: 'after', x: X + bw, y: y(x.service_level_after), width: bw, height: H - B - y(x.service_level_after) }, svg('title', {}, `${x.queue} ${when(x.starts_at)} after ${pct(x.service_level_after * 100)}`)));
    if (i % 3 === 0) s.append(svg('text', { x: X - 6, y: H - 24 }, new Date(x.starts_at).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' })));
  });
  if (target) s.append(svg('line', { class: 'target', x1: 24, x2: W, y1: y(target), y2: y(target) }));
  return h('div', { class: 'scroll' }, s, h('p', { class: 'small' }, 'Grey: before; blue: after; dashed: target.'));
}

// ---- operator -------------------------------------------------------------------

/** Per-plugin figures from the Prometheus text at /metrics. */
async function pluginMetrics() {
  const out = {};
  try {
    const text = await (await fetch('/metrics')).text();
    for (const line of text.split('\n')) {
      const m = line.match(/^sidecoach_plugin_(calls_total|call_duration_seconds_sum|call_duration_seconds_count)\{([^}]*)\} ([0-9.e+-]+)/);
      if (!m) continue;
      const plugin = (m[2].match(/plugin="([^"]*)"/) || [])[1];
      if (!plugin) continue;
      const o = (out[plugin] ||= { calls: 0, errors: 0, sum: 0, count: 0 });
      const v = Number(m[3]);
      if (m[1] === 'calls_total') { o.calls += v; if (!m[2].includes('outcome="ok"')) o.errors += v; } else if (m[1].endsWith('sum')) o.sum += v; else o.count += v;
    }
  } catch { /* figures are optional */ }
  return out;
}

async function operator() {
  const canWrite = ['admin', 'integrator'].includes(me.role);
  const [plugins, metrics, sources, dead, audit] = await Promise.all([
    get('/v1/plugins'), pluginMetrics(), items('/v1/sources?limit=200'), items('/v1/dead-letters?limit=100'),
    ['admin', 'read-only'].includes(me.role) ? items('/v1/audit?limit=30') : Promise.resolve([]),
  ]);
  const pluginRows = plugins.map((p) => {
    const m = metrics[p.id] || {};
    const err = h('span', { class: 'error', role: 'alert' });
    const btn = (label, verb) => { const b = h('button', { type: 'button' }, label); b.addEventListener('click', action(b, async () => { await api('POST', `/v1/plugins/${p.id}/${verb}`); toast(`${p.id}: ${label.toLowerCase()} done.`); route(); }, err)); return b; };
    return h('tr', {}, h('td', {}, h('strong', {}, p.id), h('div', { class: 'small muted' }, p.info ? p.info.name : '')), h('td', {}, p.version, p.previous_version ? h('div', { class: 'small muted' }, `rollback to ${p.previous_version}`) : null),
      h('td', {}, h('span', { class: `pill ${p.enabled ? 'good' : 'warn'}` }, p.enabled ? 'enabled' : 'disabled'), ' ', p.tripped ? h('span', { class: 'pill bad' }, 'breaker tripped') : h('span', { class: 'pill' }, `breaker ok (${p.consecutive_failures} failures)`)),
      h('td', {}, m.calls !== undefined ? `${m.calls} calls, ${m.errors} errors, ${m.count ? num((m.sum / m.count) * 1000, 2) : '—'} ms mean` : 'no calls yet'),
      h('td', {}, canWrite ? h('div', { class: 'row' }, p.enabled ? btn('Disable', 'disable') : btn('Enable', 'enable'), p.previous_version ? btn('Roll back', 'rollback') : null) : null, err));
  });
  const installErr = h('p', { class: 'error', role: 'alert' });
  const manifest = h('input', { id: 'i-manifest', type: 'file', accept: '.toml', required: true });
  const component = h('input', { id: 'i-wasm', type: 'file', accept: '.wasm', required: true });
  const installB = h('button', { type: 'submit' }, 'Install or upgrade');
  const install = h('form', {}, h('h3', {}, 'Install or upgrade a plugin'), h('label', { for: 'i-manifest' }, 'Manifest (plugin.toml)'), manifest, h('label', { for: 'i-wasm' }, 'Component (.wasm)'), component, h('p', {}, installB), installErr);
  install.addEventListener('submit', action(installB, async () => {
    const fd = new FormData();
    fd.append('manifest', await manifest.files[0].text());
    fd.append('component', component.files[0], 'plugin.wasm');
    const p = await api('POST', '/v1/plugins', fd);
    toast(`${p.id} ${p.version} installed.`);
    route();
  }, installErr));
  const open = dead.filter((d) => d.state === 'open');
  return [h('h1', {}, 'Operator'), h('div', { class: 'grid' },
    h('section', { class: 'card wide', 'aria-label': 'Plugins' }, h('h2', {}, 'Plugins'), h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['Plugin', 'Version', 'State', 'Calls', ''].map((x) => h('th', {}, x)))), h('tbody', {}, pluginRows))), canWrite ? install : null),
    h('section', { class: 'card wide', 'aria-label': 'Dead letters' }, h('h2', {}, `Dead letters (${open.length} open)`),
      dead.length ? h('ul', { class: 'list', id: 'dead-letters' }, dead.map((d) => deadLetter(d, canWrite))) : empty('No dead letters: every delivery was stored.')),
    card('Sources', sources.length ? h('ul', { class: 'list' }, sources.map((s) => h('li', {}, h('strong', {}, s.name), ` → ${s.adapter} `, h('span', { class: `pill ${s.adapter_ready ? 'good' : 'bad'}` }, s.adapter_ready ? 'ready' : 'adapter missing'), s.problem ? h('div', { class: 'error' }, s.problem) : null)))
      : empty('No sources configured: add [sources.NAME] to the config file.')),
    card('Audit trail', audit.length ? h('ul', { class: 'list' }, audit.map((a) => h('li', { class: 'small' }, `${when(a.at)} · ${a.actor} · ${a.action} ${a.detail ? `— ${a.detail}` : ''}`)))
      : empty(me.role === 'integrator' ? 'Integrators do not see the audit trail.' : 'Nothing audited yet.')))];
}

function deadLetter(d, canWrite) {
  const err = h('p', { class: 'error', role: 'alert' });
  const result = h('p', { class: 'replay-result' });
  const b = h('button', { type: 'button' }, 'Replay');
  const fixName = h('input', { class: 'fix-name', 'aria-label': 'Query parameter to set on replay', placeholder: 'parameter, e.g. object_key' });
  const fixValue = h('input', { class: 'fix-value', 'aria-label': 'Its value', placeholder: 'value' });
  b.addEventListener('click', action(b, async () => {
    const name = fixName.value.trim();
    const r = await api('POST', `/v1/dead-letters/${d.id}/replay`, name ? { query: { [name]: fixValue.value.trim() } } : undefined);
    const rep = r.report || {};
    result.textContent = r.state === 'resolved' ? `Replayed: resolved, ${rep.accepted ?? 0} events stored.` : `Replayed: still ${words(r.state)} — ${rep.rejected ?? 0} rejected${rep.errors && rep.errors[0] ? `: ${rep.errors[0].message}` : ''}.`;
    state.textContent = words(r.state);
  }, err));
  const state = h('span', { class: `pill ${d.state === 'open' ? 'warn' : 'good'}` }, words(d.state));
  return h('li', { 'data-dead-letter': d.id },
    h('div', { class: 'row spread' }, h('span', {}, h('strong', {}, d.source), ` via ${d.adapter} ${d.adapter_version} · ${when(d.failed_at)} · ${d.replays} replays`), state),
    h('ul', {}, d.reasons.map((r) => h('li', {}, `${r.message}${r.field ? ` (field ${r.field})` : ''} — ${r.code}`))),
    d.body_base64 ? h('details', {}, h('summary', {}, 'The payload as received'), h('pre', { class: 'payload' }, payloadText(d.body_base64))) : null,
    canWrite && d.state === 'open' ? h('div', { class: 'row' }, h('span', { class: 'small' }, 'Correction (optional): set'), fixName, h('span', {}, '='), fixValue, b) : null, result, err);
}

/** A stored payload as text (its first 20 kB), for the operator to read. */
function payloadText(b64) {
  try {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const text = new TextDecoder().decode(bytes.slice(0, 20000));
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
  } catch { return '(not readable as text)'; }
}

boot();
