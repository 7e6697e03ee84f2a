// The overview page (#/overview): the last hour's requests and errors per operation as SVG charts, key counts by state, health.
import { trentConsole, h, clear, alertBox, showError, clearError, table, loadAllKeys, onLeave } from './core.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...children) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
};
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export function routes(register) {
  register('/overview', render);
}

/** A bar chart of `series` (arrays of 60 numbers, stacked) over the hour. */
function chart(id, title, minutes, series) {
  const width = 720;
  const height = 220;
  const pad = { l: 44, r: 10, t: 24, b: 28 };
  const totals = minutes.map((_, i) => series.reduce((s, x) => s + x.values[i], 0));
  const max = Math.max(1, ...totals);
  const bw = (width - pad.l - pad.r) / minutes.length;
  const y = (v) => pad.t + (height - pad.t - pad.b) * (1 - v / max);
  const root = svg('svg', { id, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, class: 'chart' });
  root.append(svg('title', { id: `${id}-title` }, title),
    svg('desc', { id: `${id}-desc` }, `${totals.reduce((a, b) => a + b, 0)} in the last hour; at most ${max} in one minute.`));
  root.append(svg('text', { x: pad.l, y: 16, class: 'chart-title' }, title));
  for (const frac of [0, 0.5, 1]) {
    const v = Math.round(max * frac);
    root.append(svg('line', { x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: pad.l - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  minutes.forEach((m, i) => {
    let base = 0;
    series.forEach((s, si) => {
      const v = s.values[i];
      if (!v) return;
      root.append(svg('rect', { x: pad.l + i * bw + 1, y: y(base + v), width: Math.max(1, bw - 2), height: y(base) - y(base + v), fill: COLORS[si % COLORS.length] },
        svg('title', {}, `${new Date(m.start * 1000).toLocaleTimeString()}: ${s.name} ${v}`)));
      base += v;
    });
  });
  for (const i of [0, 30, 59]) {
    root.append(svg('text', { x: pad.l + i * bw, y: height - 8, class: 'axis' }, new Date(minutes[i].start * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })));
  }
  return root;
}

async function render(params, container) {
  const error = alertBox('overview-error');
  const charts = h('div', { class: 'charts' });
  const ops = h('div', { id: 'overview-operations' });
  const counts = h('div', { id: 'overview-key-counts' });
  const health = h('ul', { id: 'overview-health', class: 'health' });
  const legend = h('ul', { class: 'legend' });
  const refreshButton = h('button', { type: 'button', id: 'overview-refresh' }, 'Refresh');
  container.append(h('div', { class: 'toolbar' }, refreshButton), error, charts, legend,
    h('div', { class: 'overview-grid' },
      h('section', {}, h('h2', {}, 'Requests this hour by operation'), ops),
      h('section', {}, h('h2', {}, 'Keys by state'), counts),
      h('section', {}, h('h2', {}, 'Health'), health)));

  const refresh = async () => {
    clearError(error);
    try {
      const o = await trentConsole('Overview', {});
      const minutes = o.minutes || [];
      const names = [...new Set(minutes.flatMap((m) => Object.keys(m.operations || {})))].sort();
      const requests = [{ name: 'requests', values: minutes.map((m) => Object.values(m.operations || {}).reduce((s, c) => s + c.requests, 0)) }];
      const erring = names.filter((n) => minutes.some((m) => m.operations?.[n]?.errors));
      const errors = erring.map((n) => ({ name: n, values: minutes.map((m) => m.operations?.[n]?.errors || 0) }));
      clear(charts,
        chart('overview-requests-chart', 'Requests per minute, last hour', minutes, requests),
        chart('overview-errors-chart', 'Errors per minute by operation, last hour', minutes, errors.length ? errors : [{ name: 'errors', values: minutes.map(() => 0) }]));
      clear(legend, ...errors.map((s, i) => h('li', {}, h('span', { class: `swatch swatch-${i % COLORS.length}` }), ' ', s.name)));
      const totals = names.map((n) => ({
        name: n,
        requests: minutes.reduce((s, m) => s + (m.operations?.[n]?.requests || 0), 0),
        errors: minutes.reduce((s, m) => s + (m.operations?.[n]?.errors || 0), 0),
      }));
      clear(ops, table({
        id: 'overview-ops-table',
        columns: [
          { label: 'Operation', value: (r) => r.name, sort: (r) => r.name },
          { label: 'Requests', value: (r) => String(r.requests), sort: (r) => r.requests },
          { label: 'Errors', value: (r) => String(r.errors), sort: (r) => r.errors },
        ],
        rows: totals,
        empty: 'No requests in the last hour.',
      }));
      const hl = o.health || {};
      const item = (label, ok, extra) => h('li', { class: ok ? 'ok' : 'bad' }, `${label}: ${ok ? 'OK' : 'FAILING'}${extra || ''}`);
      clear(health, item('Store', hl.store), item('Root key', hl.rootKey), item('Audit writer', hl.auditWriter, `, ${hl.auditQueue ?? 0} events queued`));
    } catch (e) {
      showError(error, e);
    }
    try {
      const keys = await loadAllKeys();
      const by = {};
      for (const k of keys) by[k.meta.KeyState || 'Unknown'] = (by[k.meta.KeyState || 'Unknown'] || 0) + 1;
      clear(counts, table({
        id: 'overview-counts-table',
        columns: [{ label: 'State', value: (r) => r[0], sort: (r) => r[0] }, { label: 'Keys', value: (r) => String(r[1]), sort: (r) => r[1] }],
        rows: Object.entries(by),
        empty: h('p', {}, 'No keys yet. ', h('a', { href: '#/create' }, 'Create a key')),
      }));
    } catch (e) {
      clear(counts);
      const box = alertBox('overview-keys-error');
      counts.append(box);
      showError(box, e);
    }
  };
  refreshButton.addEventListener('click', refresh);
  const timer = setInterval(refresh, 30000);
  onLeave(() => clearInterval(timer));
  await refresh();
}
