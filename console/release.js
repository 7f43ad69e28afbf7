// A release page: a banner while the super app suspends its mini program, head, action
// buttons, the served split chart, plan, guard health, targeting, config and history,
// refreshed while it is open and right after an action.

import { api } from './api.js';
import { el, section } from './dom.js';
import { actionButtons } from './actions.js';
import { splitChart } from './chart.js';
import * as panels from './panels.js';
import { suspendedBanner, suspensionsOf } from './suspensions.js';

const REFRESH_MS = 3000;

async function load(id) {
  const base = `/v1/admin/releases/${id}`;
  const [release, history, served] = await Promise.all([
    api('GET', base), api('GET', `${base}/history`), api('GET', `${base}/served`),
  ]);
  // Health needs the store's report totals; the page still shows without them.
  // Suspensions are per app, known only once the release is.
  const [health, suspensions] = await Promise.all([
    api('GET', `${base}/health`).catch(() => null), suspensionsOf(release.app),
  ]);
  return { release, history, served, health, suspensions };
}

/** Renders release `id` into `main`; returns what stops its refreshing. */
export async function showRelease(main, id, context) {
  const bannerBox = el('div');
  const headBox = el('div', { class: 'head' });
  const actionsBox = el('div', { class: 'actions' });
  const chartBox = el('div', { testid: 'split-chart', class: 'chart' });
  const body = el('div', { class: 'grid' });
  const historyBox = el('div');
  let chart = null;
  let timer = null;
  let shown = 0;

  const render = async () => {
    const seq = ++shown;
    const { release, history, served, health, suspensions } = await load(id);
    // An older answer must not overwrite a newer one.
    if (seq !== shown) return;
    bannerBox.replaceChildren(...suspendedBanner(release, suspensions));
    headBox.replaceChildren(...panels.head(release));
    actionsBox.replaceChildren(...actionButtons(release, context.me, act));
    body.replaceChildren(panels.plan(release), panels.guard(release, health),
      panels.targeting(release), panels.config(release));
    historyBox.replaceChildren(panels.history(history));
    chart.update(served);
  };
  const act = async (request) => {
    try {
      await request;
      context.clearError();
    } catch (e) {
      context.fail(e);
    }
    await render().catch(context.fail);
  };

  main.replaceChildren(
    el('p', {}, el('a', { href: '#/', text: '← all releases' })),
    bannerBox, headBox, actionsBox,
    section('Served split (this node, per minute, last 24 h)', chartBox),
    body, historyBox);
  chart = splitChart(chartBox);
  await render();
  timer = setInterval(() => render().catch(context.fail), REFRESH_MS);
  return () => {
    clearInterval(timer);
    chart.destroy();
  };
}
