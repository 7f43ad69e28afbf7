// The read-only parts of a release page: its head, config, plan, guard health,
// targeting and history. Each returns nodes built from API values as text.

import { el, facts, json, section, time } from './dom.js';

export function head(r) {
  const status = el('span', {
    testid: 'release-status', dataset: { status: r.status }, class: `status status-${r.status}`, text: r.status,
  });
  const percentage = el('span', {
    testid: 'release-percentage', dataset: { percentage: String(r.percentage) }, text: `${r.percentage} %`,
  });
  return [
    el('h2', {}, `#${r.id} ${r.mini_program} ${r.version}`, el('span', { class: 'muted', text: ` → ${r.app} / ${r.env}` })),
    facts([
      ['status', status], ['grayscale', percentage], ['revision', r.revision],
      ['salt', r.salt], ['pilot test group', `${r.test_group_size} users`],
      ['created', time(r.created_at)], ['updated', time(r.updated_at)],
    ]),
  ];
}

export function config(r) {
  return section('Config', el('pre', { class: 'json', text: json(r.config) }));
}

function step(s, i, plan) {
  const text = s.full ? 'full release' : `${s.percentage} %, hold ${s.hold}`;
  const done = plan.step !== null && i <= plan.step;
  const current = plan.step === i;
  return el('li', { class: done ? (current ? 'current' : 'done') : 'todo', text });
}

export function plan(r) {
  const p = r.plan;
  if (!p) return section('Rollout plan', el('p', { class: 'muted', text: 'No plan. An admin can set one with “Set plan”.' }));
  const w = p.window;
  const window = w ? `${w.days.join(', ')} ${w.from}–${w.to} (${w.timezone})` : 'any time';
  return section('Rollout plan',
    facts([
      ['state', el('strong', { class: 'plan-state', dataset: { state: p.state }, text: p.state })], ['step', p.step === null ? 'not started' : `${p.step + 1} of ${p.steps.length}`],
      ['next step', time(p.next_step_at)], ['window', window], ['reason', p.reason ?? '—'],
    ]),
    el('ol', { class: 'steps' }, p.steps.map((s, i) => step(s, i, p))));
}

function arm(name, a) {
  if (!a) return [name, '—'];
  const rate = a.error_rate === undefined ? '' : `, error rate ${(a.error_rate * 100).toFixed(3)} %`;
  return [name, `${a.ok} ok, ${a.error} error${rate}`];
}

export function guard(r, h) {
  if (!r.guard && !h) return section('Guard health', el('p', { class: 'muted', text: 'No guard.' }));
  const g = r.guard;
  const d = h && h.difference;
  const bound = g ? `error rate may rise by at most ${g.max_error_rate_increase} (confidence ${g.confidence}, min ${g.min_samples} samples, on regression: ${g.on_regression})` : 'no guard';
  return section('Guard health', facts([
    ['decision', el('strong', { class: `decision ${h ? h.decision : ''}`, dataset: { decision: (h && h.decision) || '' }, text: (h && h.decision) || (g ? 'not evaluated' : 'no guard') })],
    arm('candidate (grayscale)', h && h.candidate), arm('control (full)', h && h.control),
    arm('pilot', h && h.pilot),
    ['difference', d ? `${d.estimate.toFixed(4)} in [${d.lower.toFixed(4)}, ${d.upper.toFixed(4)}]` : '—'],
    ['bound', bound], ['as of', time(h && h.as_of)],
  ]));
}

function rule(x) {
  const value = x.values ? x.values.join(', ') : String(x.value);
  const flags = x.case_insensitive ? ' (case-insensitive)' : '';
  return el('li', {}, el('code', { text: x.attribute }), ` ${x.op} `, el('code', { text: value }), flags);
}

export function targeting(r) {
  const rules = r.targeting ? r.targeting.rules : [];
  return section('Targeting', rules.length
    ? el('ul', { class: 'rules' }, rules.map(rule))
    : el('p', { class: 'muted', text: 'Everybody is eligible for the grayscale.' }));
}

function entry(h) {
  const details = h.details && Object.keys(h.details).length ? json(h.details) : '';
  return el('li', { testid: 'history-entry', class: 'entry' },
    el('div', { class: 'entry-head' },
      el('time', { datetime: h.at, text: time(h.at) }), ' ',
      el('strong', { text: h.actor }), ' ', el('span', { class: 'action-name', text: h.action }), ' ',
      el('span', { class: 'transition', text: `${h.from ?? '—'} → ${h.to}` }),
      el('span', { class: 'muted', text: ` r${h.revision}` })),
    details && el('pre', { class: 'json details', text: details }));
}

export function history(entries) {
  return section('History', el('ol', { class: 'timeline' }, [...entries].reverse().map(entry)));
}
