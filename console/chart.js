// The served split over time: one line per version of the release's route, per minute
// (GET /v1/admin/releases/{id}/served), drawn with uPlot, and the last minute's shares.

import uPlot from './uplot.esm.js';
import { el } from './dom.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

function seriesOf(served) {
  return served.versions.map((v, i) => ({
    label: `${v.version}${v.release_id === served.release_id ? ' (this release)' : ''}${v.status ? ` ${v.status}` : ''}`,
    stroke: COLORS[i % COLORS.length],
    width: 2,
  }));
}

function shares(served) {
  const last = served.versions.map((v) => v.counts[v.counts.length - 1] || 0);
  const total = last.reduce((a, b) => a + b, 0);
  if (!total) return 'No answers in the current minute.';
  return `Current minute: ${served.versions.map((v, i) => `${v.version} ${(100 * last[i] / total).toFixed(1)} %`).join(', ')}`;
}

/** A chart in `box` (the split-chart element); update() draws a served answer. */
export function splitChart(box) {
  const canvas = el('div', { class: 'plot' });
  const caption = el('p', { class: 'muted' });
  box.replaceChildren(canvas, caption);
  let plot = null;
  let key = '';
  return {
    update(served) {
      const n = served.versions.length ? served.versions[0].counts.length : 1;
      const start = Date.parse(served.start) / 1000;
      const x = Array.from({ length: n }, (_, i) => start + i * served.step_seconds);
      const data = [x, ...served.versions.map((v) => v.counts)];
      const versions = served.versions.map((v) => v.version).join(',');
      // A new version or a status change relabels the series: draw anew.
      const labels = served.versions.map((v) => `${v.version}:${v.status}`).join(',');
      if (!plot || labels !== key) {
        if (plot) plot.destroy();
        const width = Math.max(320, box.clientWidth || 800);
        const options = {
          width, height: 240, series: [{ label: 'minute' }, ...seriesOf(served)],
          axes: [{}, { label: 'answers / minute' }], scales: { x: { time: true } },
        };
        plot = new uPlot(options, data, canvas);
        key = labels;
      } else {
        plot.setData(data);
      }
      const total = served.versions.reduce((a, v) => a + v.counts.reduce((s, c) => s + c, 0), 0);
      box.dataset.versions = versions;
      box.dataset.total = String(total);
      box.dataset.minutes = String(n);
      caption.textContent = shares(served);
    },
    destroy() {
      if (plot) plot.destroy();
    },
  };
}
