// The release's action buttons and the in-page dialog each one opens. Which buttons
// show: the release's `allowed_actions` that the logged-in role may perform (whoami's
// `actions`, from the gateway's one permission table).

import { api } from './api.js';
import { el, json } from './dom.js';

/** Actions that take a reason (SPEC §2 reject, §11 take_offline and rollback). */
const NEEDS_REASON = new Set(['reject', 'take_offline', 'rollback']);

/** Actions with a route of their own; the others are POST /releases/{id}/{action}. */
const OWN_ROUTE = {
  edit_config: { method: 'PUT', path: '/config', initial: (r) => r.config },
  set_test_group: { method: 'PUT', path: '/test-group', initial: () => ({ test_group: [] }) },
  set_plan: { method: 'PUT', path: '/plan', initial: (r) => planBody(r.plan) },
  remove_plan: { method: 'DELETE', path: '/plan' },
  set_guard: { method: 'PUT', path: '/guard', initial: (r) => r.guard ?? EXAMPLE_GUARD },
  remove_guard: { method: 'DELETE', path: '/guard' },
  set_targeting: { method: 'PUT', path: '/targeting', initial: (r) => r.targeting ?? { rules: [] } },
};

const EXAMPLE_PLAN = {
  steps: [{ percentage: 1, hold: '30m' }, { percentage: 5, hold: '2h' },
    { percentage: 25, hold: '1d' }, { full: true }],
};
const EXAMPLE_GUARD = {
  max_error_rate_increase: 0.01, min_samples: 1000, confidence: 0.95, on_regression: 'halt',
};

function planBody(plan) {
  if (!plan) return EXAMPLE_PLAN;
  return plan.window ? { steps: plan.steps, window: plan.window } : { steps: plan.steps };
}

function label(action) {
  const text = action.replaceAll('_', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The fields of `action`'s dialog and how to read its request body from them. */
function fields(release, action) {
  if (action === 'go_live') {
    const type = el('select', { testid: 'golive-type', id: 'golive-type' },
      el('option', { value: 'grayscale', text: 'grayscale' }),
      el('option', { value: 'full', text: 'full' }),
      release.plan && release.plan.state === 'pending' && el('option', { value: 'plan', text: 'plan' }));
    const percentage = el('input', {
      type: 'number', testid: 'percentage-input', id: 'percentage', min: '0.0001',
      max: '99.9999', step: 'any', value: String(release.percentage || ''),
    });
    const row = el('label', { class: 'field' }, 'Percentage ', percentage);
    type.addEventListener('change', () => { row.hidden = type.value !== 'grayscale'; });
    const nodes = [el('label', { class: 'field' }, 'Go live as ', type), row];
    const body = () => (type.value === 'grayscale'
      ? { type: 'grayscale', percentage: Number(percentage.value) } : { type: type.value });
    return { nodes, body };
  }
  if (NEEDS_REASON.has(action)) {
    const reason = el('textarea', { testid: 'reason-input', rows: '3', maxlength: '1000' });
    return { nodes: [el('label', { class: 'field' }, 'Reason ', reason)], body: () => ({ reason: reason.value }) };
  }
  const own = OWN_ROUTE[action];
  if (own && own.initial) {
    const text = el('textarea', { class: 'json', rows: '12', testid: 'json-input', spellcheck: 'false' });
    text.value = json(own.initial(release));
    return { nodes: [el('label', { class: 'field' }, 'JSON body ', text)], body: () => JSON.parse(text.value) };
  }
  return { nodes: [], body: () => undefined };
}

/** Opens the dialog of `action`; `run(body)` sends it once confirmed. */
function openDialog(release, action, run) {
  const { nodes, body } = fields(release, action);
  const problem = el('p', { class: 'dialog-problem' });
  const dialog = el('dialog', { class: 'confirm-dialog' });
  const close = () => { dialog.close(); dialog.remove(); };
  const confirm = () => {
    let payload;
    try {
      payload = body();
    } catch (e) {
      problem.textContent = `Not valid JSON: ${e.message}`;
      return;
    }
    close();
    run(payload);
  };
  dialog.append(
    el('h3', { text: `${label(action)} release #${release.id}?` }),
    el('p', { class: 'muted', text: `${release.mini_program} ${release.version}, now ${release.status}` }),
    ...nodes, problem,
    el('div', { class: 'buttons' },
      el('button', { type: 'button', class: 'secondary', onclick: close, text: 'Cancel' }),
      el('button', { type: 'button', testid: 'confirm', onclick: confirm, text: label(action) })));
  dialog.addEventListener('cancel', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

/** Sends `action` on `release` with `body`, guarded by the revision it was shown at. */
function send(release, action, body) {
  const own = OWN_ROUTE[action];
  const method = own ? own.method : 'POST';
  const path = `/v1/admin/releases/${release.id}${own ? own.path : `/${action}`}`;
  return api(method, path, body, { 'If-Match': `"${release.revision}"` });
}

/**
 * The buttons for `release` as `me` sees them; `done(promise)` is given each request
 * so the page can show its answer.
 */
export function actionButtons(release, me, done) {
  const mine = new Set(me.actions || []);
  const buttons = release.allowed_actions.filter((a) => mine.has(a)).map((action) =>
    el('button', {
      type: 'button', testid: `action-${action}`, class: `action ${action}`,
      onclick: () => openDialog(release, action, (body) => done(send(release, action, body))),
      text: label(action),
    }));
  return buttons.length ? buttons : [el('span', { class: 'muted', text: 'No actions for you here now.' })];
}
