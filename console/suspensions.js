// Suspensions by the super app (SPEC §11): a suspended mini program serves nobody in
// any environment of that app, whatever its releases' statuses say, so the console
// shows them next to the app on the landing view and as a banner on the release page.

import { api } from './api.js';
import { el, time } from './dom.js';

/** The suspensions in force in target app `app`. */
export async function suspensionsOf(app) {
  const answer = await api('GET', `/v1/admin/apps/${encodeURIComponent(app)}/suspensions`);
  return (answer && answer.suspensions) || [];
}

/** The suspensions in force per app id, for every app of `apps`. */
export async function suspensionsByApp(apps) {
  const lists = await Promise.all(apps.map((app) => suspensionsOf(app.id)));
  return new Map(apps.map((app, i) => [app.id, lists[i]]));
}

/** The list under one app on the landing view, or nothing when none is in force. */
export function suspensionList(list) {
  if (!list.length) return null;
  return el('ul', { class: 'suspensions' }, list.map((s) =>
    el('li', { testid: 'suspension', class: 'suspension', dataset: { miniProgram: s.mini_program } },
      el('strong', { text: 'suspended ' }), el('code', { text: s.mini_program }),
      `: ${s.reason} (by ${s.by}, ${time(s.at)})`)));
}

/** The release page's banner when its (app, mini program) is suspended, else nothing. */
export function suspendedBanner(release, list) {
  const s = list.find((x) => x.mini_program === release.mini_program);
  if (!s) return [];
  return [el('div', {
    class: 'suspended-banner', testid: 'suspended-banner',
    text: `Suspended by the super app: ${s.reason} (by ${s.by}, ${time(s.at)})`,
  })];
}
