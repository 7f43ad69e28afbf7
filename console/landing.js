// The landing view: target apps with their environments and the suspensions in force
// there, and releases by status.

import { api } from './api.js';
import { el, section, time } from './dom.js';
import { suspensionList, suspensionsByApp } from './suspensions.js';

/** Statuses in the order a release moves through them; unknown ones come last. */
const ORDER = [
  'grayscale_release', 'pilot_testing', 'release_preparation', 'under_review',
  'offline_review', 'new_version_created', 'full_release', 'archived', 'canceled',
  'rolled_back', 'offline',
];

const REFRESH_MS = 5000;

function policy(p) {
  const parts = [];
  if (p && p.approval) parts.push(`approval ${p.approval}`);
  if (p && p.pilot_testing !== undefined) parts.push(p.pilot_testing ? 'pilot testing' : 'no pilot');
  return parts.join(', ');
}

function appsPanel(apps, suspended) {
  const rows = apps.map((app) => el('li', {},
    el('strong', { text: app.id }), ' ',
    el('span', { class: 'envs' }, Object.entries(app.environments).map(([env, p]) =>
      el('span', { class: 'env', title: policy(p), text: env }))),
    suspensionList(suspended.get(app.id) || [])));
  return section('Target apps', apps.length ? el('ul', { class: 'apps' }, rows)
    : el('p', { class: 'muted', text: 'No target apps.' }));
}

function releaseRow(r) {
  const open = () => { location.hash = `#/releases/${r.id}`; };
  const percentage = r.status === 'grayscale_release' ? `${r.percentage} %` : '';
  return el('tr', { testid: 'release-row', dataset: { releaseId: String(r.id) }, class: 'clickable', onclick: open },
    el('td', {}, el('a', { href: `#/releases/${r.id}`, text: `#${r.id}` })),
    el('td', { text: r.mini_program }), el('td', { text: r.version }),
    el('td', { text: `${r.app} / ${r.env}` }), el('td', { text: percentage }),
    el('td', { text: time(r.updated_at) }));
}

function releasesPanel(releases) {
  const byStatus = new Map();
  for (const r of releases) {
    if (!byStatus.has(r.status)) byStatus.set(r.status, []);
    byStatus.get(r.status).push(r);
  }
  const rank = (s) => (ORDER.includes(s) ? ORDER.indexOf(s) : ORDER.length);
  const groups = [...byStatus.keys()].sort((a, b) => rank(a) - rank(b)).map((status) =>
    el('div', { class: 'group' },
      el('h4', { class: `status status-${status}`, text: `${status} (${byStatus.get(status).length})` }),
      el('table', { class: 'releases' },
        el('thead', {}, el('tr', {}, ['id', 'mini program', 'version', 'target', 'grayscale', 'updated']
          .map((h) => el('th', { text: h })))),
        el('tbody', {}, byStatus.get(status).sort((a, b) => b.id - a.id).map(releaseRow)))));
  return section('Releases', groups.length ? groups : el('p', { class: 'muted', text: 'No releases yet.' }));
}

/** Renders the landing view into `main`; returns what stops its refreshing. */
export async function showLanding(main, context) {
  let timer = null;
  const render = async () => {
    const [apps, releases] = await Promise.all([
      api('GET', '/v1/admin/apps'), api('GET', '/v1/admin/releases'),
    ]);
    // Suspensions are listed per app, so they can only be asked for once the apps are known.
    const suspended = await suspensionsByApp(apps);
    main.replaceChildren(el('h2', { text: 'Overview' }), appsPanel(apps, suspended),
      releasesPanel(releases));
  };
  await render();
  timer = setInterval(() => render().catch(context.fail), REFRESH_MS);
  return () => clearInterval(timer);
}
