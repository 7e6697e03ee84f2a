// The overview page (#/overview): request and error charts for the last hour, per-operation totals, key counts and health.
import { session, trentConsole, loadAllKeys, h, clear, alertBox, showError, clearError, onLeave, fmtTime } from './core.js';

export function routes(register) {
  register('/overview', renderOverview);
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#b91c1c', '#1d4ed8', '#b45309', '#047857', '#6d28d9', '#be185d', '#0e7490', '#4b5563'];
const REFRESH_MS = 30000;

/** Creates an SVG element; string children become text nodes. */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined && v !== false) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function hhmm(epoch) {
  return new Date(epoch * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** A round upper bound for an axis (at least 4). */
function niceMax(v) {
  if (v <= 4) return 4;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * A bar chart over the minutes. series: [{name, color, values: number[]}] stacked in order.
 * Returns an <svg role="img"> with <title> and <desc>.
 */
function barChart({ id, title, desc, minutes, series, unit }) {
  const W = 720;
  const H = 250;
  const m = { l: 48, r: 12, t: 30, b: 40 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const n = Math.max(minutes.length, 1);
  const totals = minutes.map((_, i) => series.reduce((sum, se) => sum + (se.values[i] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const y = (v) => m.t + ph - (v / max) * ph;
  const slot = pw / n;
  const barW = Math.max(1, slot - Math.min(3, slot * 0.25));

  const svg = s(
    'svg',
    {
      id,
      class: 'chart',
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-labelledby': `${id}-title ${id}-desc`,
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('title', { id: `${id}-title` }, title),
    s('desc', { id: `${id}-desc` }, desc),
  );
  svg.appendChild(s('text', { x: m.l, y: 18, class: 'chart-title' }, title));

  // Y axis: gridlines and labels at 0, 1/4, 1/2, 3/4, max.
  const grid = s('g', { class: 'chart-grid', 'aria-hidden': 'true' });
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    const yy = y(v);
    grid.appendChild(s('line', { x1: m.l, x2: W - m.r, y1: yy, y2: yy, class: k === 0 ? 'axis' : 'gridline' }));
    grid.appendChild(s('text', { x: m.l - 6, y: yy + 4, 'text-anchor': 'end', class: 'tick' }, Number.isInteger(v) ? String(v) : v.toFixed(1)));
  }
  // X axis: a label every 10 minutes, and the axis names.
  for (let i = 0; i < minutes.length; i += 10) {
    const x = m.l + i * slot + slot / 2;
    grid.appendChild(s('line', { x1: x, x2: x, y1: m.t + ph, y2: m.t + ph + 4, class: 'axis' }));
    grid.appendChild(s('text', { x, y: m.t + ph + 17, 'text-anchor': 'middle', class: 'tick' }, hhmm(minutes[i].start)));
  }
  grid.appendChild(s('text', { x: m.l + pw / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' }, 'Time (minute)'));
  grid.appendChild(
    s('text', { x: 12, y: m.t + ph / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${m.t + ph / 2})` }, unit),
  );
  svg.appendChild(grid);

  const bars = s('g', { class: 'chart-bars' });
  minutes.forEach((minute, i) => {
    let base = 0;
    const x = m.l + i * slot + (slot - barW) / 2;
    const parts = [];
    for (const se of series) {
      const v = se.values[i] || 0;
      if (!v) continue;
      const y0 = y(base);
      const y1 = y(base + v);
      base += v;
      parts.push(
        s('rect', { x: x.toFixed(2), y: y1.toFixed(2), width: barW.toFixed(2), height: Math.max(0.5, y0 - y1).toFixed(2), fill: se.color }, s('title', {}, `${hhmm(minute.start)} ${se.name}: ${v}`)),
      );
    }
    if (parts.length) bars.appendChild(s('g', {}, parts));
  });
  svg.appendChild(bars);
  if (totals.every((t) => t === 0)) {
    svg.appendChild(s('text', { x: m.l + pw / 2, y: m.t + ph / 2, 'text-anchor': 'middle', class: 'chart-empty' }, `No ${unit.toLowerCase()} in the last hour`));
  }
  return svg;
}

function summarize(minutes) {
  const ops = new Map();
  for (const minute of minutes) {
    for (const [op, c] of Object.entries(minute.operations || {})) {
      const t = ops.get(op) || { op, requests: 0, errors: 0 };
      t.requests += c.requests || 0;
      t.errors += c.errors || 0;
      ops.set(op, t);
    }
  }
  return [...ops.values()];
}

function simpleTable(id, caption, head, rows, emptyText) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : null }, c)))),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', { class: 'num' }, c)))))
          : h('tr', { class: 'empty-row' }, h('td', { colspan: String(head.length) }, emptyText)),
      ),
    ),
  );
}

async function renderOverview(params, container) {
  const errorBox = alertBox('overview-error');
  const keysError = alertBox('overview-keys-error');
  const updated = h('span', { class: 'muted', id: 'overview-updated', 'aria-live': 'polite' });
  const refreshBtn = h('button', { type: 'button', id: 'overview-refresh', on: { click: () => refresh(true) } }, 'Refresh');
  const requestsHost = h('div', { class: 'chart-host' }, h('p', { class: 'loading' }, 'Loading…'));
  const errorsHost = h('div', { class: 'chart-host' });
  const legendHost = h('div', { class: 'legend-host' });
  const opsHost = h('div');
  const keysHost = h('div', {}, h('p', { class: 'loading' }, 'Counting keys…'));
  const healthHost = h('div');

  clear(
    container,
    h('div', { class: 'toolbar' }, refreshBtn, updated, h('span', { class: 'muted' }, 'Refreshes every 30 seconds while you use the console.')),
    errorBox,
    h(
      'div',
      { class: 'overview-grid' },
      h('section', { class: 'card chart-card', 'aria-labelledby': 'ov-req-h' }, h('h2', { id: 'ov-req-h' }, 'Requests'), requestsHost),
      h('section', { class: 'card chart-card', 'aria-labelledby': 'ov-err-h' }, h('h2', { id: 'ov-err-h' }, 'Errors'), errorsHost, legendHost),
      h('section', { class: 'card', 'aria-labelledby': 'ov-ops-h' }, h('h2', { id: 'ov-ops-h' }, 'Operations in the last hour'), opsHost),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'ov-keys-h' },
        h('h2', { id: 'ov-keys-h' }, 'Keys by state'),
        keysError,
        keysHost,
        h('p', {}, h('a', { href: '#/keys' }, 'View keys'), ' · ', h('a', { href: '#/create' }, 'Create key')),
      ),
      h('section', { class: 'card', 'aria-labelledby': 'ov-health-h' }, h('h2', { id: 'ov-health-h' }, 'Health'), healthHost),
    ),
  );

  let busy = false;
  let alive = true;

  function drawMetrics(data) {
    const minutes = data.minutes || [];
    const requests = minutes.map((mi) => Object.values(mi.operations || {}).reduce((a, c) => a + (c.requests || 0), 0));
    const total = requests.reduce((a, b) => a + b, 0);
    const peak = Math.max(0, ...requests);
    const peakAt = peak ? minutes[requests.indexOf(peak)].start : null;
    clear(
      requestsHost,
      barChart({
        id: 'overview-requests-chart',
        title: 'Requests per minute, last hour',
        desc: total
          ? `${total} requests in the last 60 minutes; the busiest minute, ${hhmm(peakAt)}, had ${peak}.`
          : 'No requests in the last 60 minutes.',
        minutes,
        series: [{ name: 'requests', color: '#1d4ed8', values: requests }],
        unit: 'Requests',
      }),
    );

    const totals = summarize(minutes);
    const withErrors = totals.filter((t) => t.errors > 0).sort((a, b) => b.errors - a.errors || a.op.localeCompare(b.op));
    const shown = withErrors.slice(0, PALETTE.length - 1);
    const rest = withErrors.slice(PALETTE.length - 1).map((t) => t.op);
    const series = shown.map((t, i) => ({
      name: t.op,
      color: PALETTE[i],
      values: minutes.map((mi) => mi.operations?.[t.op]?.errors || 0),
    }));
    if (rest.length) {
      series.push({
        name: 'Other',
        color: PALETTE[PALETTE.length - 1],
        values: minutes.map((mi) => rest.reduce((a, op) => a + (mi.operations?.[op]?.errors || 0), 0)),
      });
    }
    const errorTotal = withErrors.reduce((a, t) => a + t.errors, 0);
    clear(
      errorsHost,
      barChart({
        id: 'overview-errors-chart',
        title: 'Errors per minute by operation, last hour',
        desc: errorTotal
          ? `${errorTotal} failed requests in the last 60 minutes: ` + withErrors.map((t) => `${t.op} ${t.errors}`).join(', ') + '.'
          : 'No failed requests in the last 60 minutes.',
        minutes,
        series,
        unit: 'Errors',
      }),
    );
    clear(
      legendHost,
      series.length
        ? h(
            'ul',
            { class: 'legend', 'aria-label': 'Legend' },
            series.map((se) => {
              const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
              sw.style.backgroundColor = se.color;
              const n = se.values.reduce((a, b) => a + b, 0);
              return h('li', {}, sw, `${se.name} (${n})`);
            }),
          )
        : null,
    );

    const rows = totals
      .sort((a, b) => b.requests - a.requests || a.op.localeCompare(b.op))
      .map((t) => [t.op, String(t.requests), String(t.errors), t.requests ? `${((100 * t.errors) / t.requests).toFixed(1)} %` : '—']);
    if (rows.length > 1) {
      const sumR = totals.reduce((a, t) => a + t.requests, 0);
      const sumE = totals.reduce((a, t) => a + t.errors, 0);
      rows.push(['All operations', String(sumR), String(sumE), sumR ? `${((100 * sumE) / sumR).toFixed(1)} %` : '—']);
    }
    clear(
      opsHost,
      simpleTable(
        'overview-operations',
        'Requests and errors per operation in the last hour',
        ['Operation', 'Requests', 'Errors', 'Error rate'],
        rows,
        'No requests in the last hour. Use the Workbench or an AWS SDK to make some.',
      ),
    );
  }

  function drawHealth(health) {
    const item = (ok, name, goodText, badText, extra) =>
      h(
        'li',
        { class: ok ? 'health-ok' : 'health-bad', 'data-health': name },
        h('span', { class: 'health-mark', 'aria-hidden': 'true' }, ok ? '✔' : '✖'),
        h('strong', {}, name + ': '),
        ok ? goodText : badText,
        extra ? h('span', { class: 'muted' }, ' ' + extra) : null,
      );
    const q = Number(health?.auditQueue ?? 0);
    clear(
      healthHost,
      h(
        'ul',
        { id: 'overview-health', class: 'health' },
        item(!!health?.store, 'Store', 'reachable', 'failing'),
        item(!!health?.rootKey, 'Root key', 'available', 'unavailable'),
        item(!!health?.auditWriter, 'Audit writer', 'running', 'stopped', `(${q} ${q === 1 ? 'event' : 'events'} queued)`),
      ),
    );
  }

  async function drawKeys() {
    clearError(keysError);
    try {
      const entries = await loadAllKeys();
      if (!alive) return;
      const counts = new Map();
      let aws = 0;
      for (const e of entries) {
        const st = e.meta.KeyState || 'Unknown';
        const c = counts.get(st) || { customer: 0, aws: 0 };
        if (e.meta.KeyManager === 'AWS') {
          c.aws++;
          aws++;
        } else c.customer++;
        counts.set(st, c);
      }
      const order = ['Enabled', 'Disabled', 'PendingImport', 'PendingDeletion', 'PendingReplicaDeletion', 'Unavailable', 'Creating', 'Updating'];
      const states = [...counts.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
      const head = aws ? ['Key state', 'Customer managed', 'AWS managed'] : ['Key state', 'Keys'];
      const rows = states.map((st) => {
        const c = counts.get(st);
        return aws ? [st, String(c.customer), String(c.aws)] : [st, String(c.customer)];
      });
      if (rows.length > 1) {
        const cust = entries.length - aws;
        rows.push(aws ? ['Total', String(cust), String(aws)] : ['Total', String(cust)]);
      }
      clear(keysHost, simpleTable('overview-key-counts', 'Keys by key state', head, rows, 'No keys yet. Create one to get started.'));
    } catch (err) {
      if (!alive) return;
      clear(keysHost, simpleTable('overview-key-counts', 'Keys by key state', ['Key state', 'Keys'], [], 'Keys could not be counted.'));
      showError(keysError, err);
    }
  }

  async function refresh(withKeys) {
    if (busy || !alive) return;
    busy = true;
    refreshBtn.disabled = true;
    try {
      const jobs = [
        trentConsole('Overview', {}).then(
          (data) => {
            if (!alive) return;
            clearError(errorBox);
            drawMetrics(data);
            drawHealth(data.health || {});
            updated.textContent = 'Updated ' + fmtTime(data.now || Date.now() / 1000);
          },
          (err) => {
            if (!alive) return;
            showError(errorBox, err);
            if (!requestsHost.querySelector('svg')) clear(requestsHost);
          },
        ),
      ];
      if (withKeys) jobs.push(drawKeys());
      await Promise.all(jobs);
    } finally {
      busy = false;
      refreshBtn.disabled = false;
    }
  }

  // Auto-refresh only while someone uses the console: otherwise the 30-second calls would keep an unattended
  // session from ever reaching its idle timeout.
  let lastActivity = Date.now();
  const idleMs = Math.max(60, Number(session.current?.idleTimeoutSeconds) || 900) * 1000;
  const activity = () => {
    lastActivity = Date.now();
  };
  const activityEvents = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'mousemove'];
  for (const ev of activityEvents) document.addEventListener(ev, activity, { passive: true });
  const timer = setInterval(() => {
    if (!document.hidden && Date.now() - lastActivity < idleMs - REFRESH_MS) refresh(false);
  }, REFRESH_MS);
  onLeave(() => {
    alive = false;
    clearInterval(timer);
    for (const ev of activityEvents) document.removeEventListener(ev, activity);
  });
  await refresh(true);
}
