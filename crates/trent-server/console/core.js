// Shared helpers for every console page: the API client, DOM building, routing, tables, dialogs, encodings, key loading.

/** The GET /console/api/session body while signed in, else null. */
export const session = { current: null };

/** An error answer from the server: `.type` is AWS's `__type` (e.g. "NotFoundException"), `.status` the HTTP status. */
export class ApiError extends Error {
  constructor(type, message, status) {
    super(message || '');
    this.name = 'ApiError';
    this.type = type || 'Error';
    this.message = message || '';
    this.status = status || 0;
  }
}

let reauthFn = null;
let reauthPending = null;

/** fn(): Promise<void> that resolves once the user has signed in again (app.js opens #signin-dialog). */
export function setReauth(fn) {
  reauthFn = fn;
}

/** Runs the re-sign-in once even when several calls fail together. */
function reauthenticate() {
  if (!reauthFn) return Promise.reject(new Error('Not signed in'));
  if (!reauthPending) {
    reauthPending = Promise.resolve()
      .then(() => reauthFn())
      .finally(() => {
        reauthPending = null;
      });
  }
  return reauthPending;
}

/** Turns a fetch Response into parsed JSON or an ApiError. */
async function parseResponse(res) {
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data === null ? {} : data;
  let type = 'HttpError';
  let message = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
  if (data && typeof data === 'object') {
    if (data.__type) type = String(data.__type).split('#').pop();
    const m = data.message ?? data.Message;
    if (m != null) message = String(m);
    else if (data.__type) message = '';
  } else if (text && text.length < 300) {
    message = text;
  }
  throw new ApiError(type, message, res.status);
}

/** GET /console/api/session; updates session.current (null when signed out). Returns the body or null. */
export async function fetchSession() {
  const res = await fetch('/console/api/session', { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) {
    session.current = null;
    return null;
  }
  session.current = await parseResponse(res);
  return session.current;
}

/** POST /console/api/signin. Throws ApiError on a bad credential; on success sets session.current. */
export async function signIn({ accessKeyId, secretAccessKey, sessionToken, region }) {
  const body = { accessKeyId, secretAccessKey };
  if (sessionToken) body.sessionToken = sessionToken;
  if (region) body.region = region;
  const res = await fetch('/console/api/signin', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  session.current = await parseResponse(res);
  return session.current;
}

/** POST /console/api/signout with the CSRF header; clears session.current. */
export async function signOut() {
  const token = session.current?.csrfToken || '';
  try {
    const res = await fetch('/console/api/signout', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-Trent-Csrf': token, 'Content-Type': 'application/json' },
      body: '{}',
    });
    await parseResponse(res);
  } finally {
    session.current = null;
  }
}

function isSessionGone(err) {
  return err instanceof ApiError && err.status === 401 && (err.type === 'NotSignedIn' || err.type === 'SessionExpired');
}
function isCsrf(err) {
  return err instanceof ApiError && err.status === 403 && err.type === 'InvalidCsrfToken';
}

async function rawCall(target, body) {
  const res = await fetch('/console/api/call', {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'X-Amz-Target': target,
      'X-Trent-Csrf': session.current?.csrfToken || '',
      'Content-Type': 'application/x-amz-json-1.1',
    },
    body: JSON.stringify(body ?? {}),
  });
  return parseResponse(res);
}

/** POST /console/api/call. Returns the parsed JSON; throws ApiError. On an expired session it waits for the
 *  sign-in dialog and retries once; on a stale CSRF token it re-fetches the session and retries once. */
export async function call(target, body = {}) {
  try {
    return await rawCall(target, body);
  } catch (err) {
    if (isCsrf(err)) {
      let fresh = null;
      try {
        fresh = await fetchSession();
      } catch {
        fresh = null;
      }
      if (!fresh) {
        try {
          await reauthenticate();
        } catch {
          throw err;
        }
      }
      return rawCall(target, body);
    }
    if (isSessionGone(err)) {
      try {
        await reauthenticate();
      } catch {
        throw err;
      }
      return rawCall(target, body);
    }
    throw err;
  }
}

export const kms = (op, body) => call('TrentService.' + op, body);
export const admin = (action, body) => call('TrentAdmin.' + action, body);
export const trentConsole = (action, body) => call('TrentConsole.' + action, body);

/** Calls a paged KMS list operation until Truncated is false; returns the concatenation of body[listMember]. */
export async function kmsAll(op, body, listMember) {
  const out = [];
  let marker;
  for (let page = 0; page < 10000; page++) {
    const req = { ...(body || {}) };
    if (marker) req.Marker = marker;
    const res = await kms(op, req);
    const items = res?.[listMember];
    if (Array.isArray(items)) out.push(...items);
    if (!res?.Truncated || !res.NextMarker || res.NextMarker === marker) break;
    marker = res.NextMarker;
  }
  return out;
}

/* ---------- DOM ---------- */

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'indeterminate']);

/** Applies h()-style attributes to an element (used by h and by table rowAttrs). */
export function applyAttrs(el, attrs) {
  let deferred = null;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'on') {
      for (const [ev, fn] of Object.entries(v || {})) if (fn) el.addEventListener(ev, fn);
    } else if (k === 'style') {
      throw new Error('h(): style attributes are not allowed by the CSP; use el.style.prop or a class');
    } else if (v === null || v === undefined || v === false) {
      if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = false;
    } else if (k === 'class' || k === 'className') {
      el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v));
    } else if (k === 'for' || k === 'htmlFor') {
      el.setAttribute('for', String(v));
    } else if (PROPS.has(k)) {
      if (k === 'value') deferred = v;
      else {
        el[k] = !!v;
        if (k === 'checked') el.defaultChecked = !!v;
        if (k === 'selected') el.defaultSelected = !!v;
        if (k === 'disabled') el.setAttribute('disabled', '');
      }
    } else if (/^on/i.test(k)) {
      throw new Error('h(): use on: {event: fn} instead of ' + k);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  return deferred;
}

function appendChildren(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === true) continue;
    if (Array.isArray(c)) appendChildren(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Creates an element. attrs: id, class, for, type, value, name, href, disabled, checked, data-*, aria-*, role,
 *  placeholder, any other attribute, and on: {click: fn, ...}. children: Node | string | number | null/false | arrays.
 *  Strings always become text nodes. `value` is set after the children, so h('select', {value}, options) works. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  const value = applyAttrs(el, attrs);
  appendChildren(el, children);
  if (value !== null && value !== undefined) {
    el.value = String(value);
    if (tag === 'textarea') el.defaultValue = String(value);
  }
  return el;
}

/** Removes every child of el (and optionally appends new ones). */
export function clear(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  appendChildren(el, children);
  return el;
}

/** ApiError → `${type}: ${message}`; other Error → message. */
export function errorText(err) {
  if (err instanceof ApiError) return err.message ? `${err.type}: ${err.message}` : err.type;
  if (err instanceof Error) return err.message || String(err);
  return String(err);
}

/** <div role="alert" class="alert" id=id hidden> */
export function alertBox(id) {
  return h('div', { id, class: 'alert', role: 'alert', hidden: true });
}

export function showError(box, err) {
  if (!box) return;
  box.className = 'alert';
  box.setAttribute('role', 'alert');
  box.textContent = errorText(err);
  box.hidden = false;
  if (typeof box.scrollIntoView === 'function') box.scrollIntoView({ block: 'nearest' });
}

export function clearError(box) {
  if (!box) return;
  box.textContent = '';
  box.hidden = true;
}

export function showInfo(box, text) {
  if (!box) return;
  box.className = 'info';
  box.setAttribute('role', 'status');
  box.textContent = String(text);
  box.hidden = false;
}

/** Shows a short success note in #toast for a few seconds. */
let toastTimer = null;
export function toast(text) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = String(text);
  el.hidden = false;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.classList.remove('show');
    el.hidden = true;
  }, 5000);
}

/** Sets the #page-title h1 and the document title (app.js sets a default title per route before rendering). */
export function setTitle(text) {
  const el = document.getElementById('page-title');
  if (el) el.textContent = String(text);
  document.title = `${text} – Trent`;
}

/** Pretty-prints a JSON text or value (text that is not JSON is returned unchanged). */
export function prettyJson(value) {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

/* ---------- routing ---------- */

const routeTable = [];
let leaveHooks = [];

/** register('/keys/:id', (params, container) => …). Query-string entries of the hash (#/audit?keyId=…) are added
 *  to params too (path parameters win). */
export function register(pattern, render) {
  const parts = pattern.replace(/^#/, '').split('/').filter(Boolean);
  routeTable.push({ pattern, parts, render });
}

/** Finds the route for a hash like '#/keys/abc?x=1' → {route: {pattern, render}, params} or null. */
export function resolveRoute(hash) {
  const raw = (hash || '').replace(/^#/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  for (const route of routeTable) {
    if (route.parts.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const want = route.parts[i];
      let got;
      try {
        got = decodeURIComponent(parts[i]);
      } catch {
        got = parts[i];
      }
      if (want.startsWith(':')) params[want.slice(1)] = got;
      else if (want !== got) {
        ok = false;
        break;
      }
    }
    if (ok) {
      const q = new URLSearchParams(query);
      for (const [k, v] of q) if (!(k in params)) params[k] = v;
      return { route, params };
    }
  }
  return null;
}

/** navigate('#/keys/' + id). Navigating to the current hash re-renders the page. */
export function navigate(hash) {
  if (!hash.startsWith('#')) hash = '#' + hash;
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** Registers fn to run when the user leaves the current page (e.g. to stop a timer). */
export function onLeave(fn) {
  leaveHooks.push(fn);
}

/** Runs and forgets the leave hooks (app.js calls it on every route change). */
export function runLeaveHooks() {
  const hooks = leaveHooks;
  leaveHooks = [];
  for (const fn of hooks) {
    try {
      fn();
    } catch (e) {
      console.error(e);
    }
  }
}

/* ---------- tables ---------- */

const tableState = new Map();

function compareValues(a, b) {
  const an = a === null || a === undefined || a === '';
  const bn = b === null || b === undefined || b === '';
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/** A sortable, paged table. columns: [{label, value: row => Node|string, sort?: row => string|number, class?}].
 *  Sort and page state are kept per id across re-renders. Returns a container element (div.table-block) holding
 *  div.table-wrap > table#id and, when rows.length > pageSize, a pager. With no rows it shows `empty` instead. */
export function table({ id, columns, rows, pageSize = 25, rowAttrs, empty, caption }) {
  const block = h('div', { class: 'table-block', 'data-table-for': id });
  if (!rows || rows.length === 0) {
    const msg = empty instanceof Node ? empty : h('p', {}, empty ?? 'Nothing to show.');
    block.appendChild(h('div', { class: 'empty', id: id ? id + '-empty' : null }, msg));
    return block;
  }
  const keyOf = (col, i) => (typeof col.label === 'string' ? col.label : 'col' + i);
  let state = tableState.get(id);
  if (!state) {
    state = { sortKey: null, dir: 1, page: 0 };
    if (id) tableState.set(id, state);
  }
  if (state.sortKey !== null && !columns.some((c, i) => c.sort && keyOf(c, i) === state.sortKey)) state.sortKey = null;

  const draw = (focusSelector) => {
    let list = rows.slice();
    const sortCol = columns.find((c, i) => c.sort && keyOf(c, i) === state.sortKey);
    if (sortCol) {
      const decorated = list.map((r, i) => ({ r, i, k: sortCol.sort(r) }));
      decorated.sort((x, y) => compareValues(x.k, y.k) * state.dir || x.i - y.i);
      list = decorated.map((d) => d.r);
    }
    const pages = Math.max(1, Math.ceil(list.length / pageSize));
    if (state.page >= pages) state.page = pages - 1;
    if (state.page < 0) state.page = 0;
    const start = state.page * pageSize;
    const shown = list.slice(start, start + pageSize);

    const headRow = h('tr');
    columns.forEach((col, i) => {
      const key = keyOf(col, i);
      const th = h('th', { scope: 'col', class: col.class || null });
      if (col.sort) {
        const active = state.sortKey === key;
        th.setAttribute('aria-sort', active ? (state.dir > 0 ? 'ascending' : 'descending') : 'none');
        th.appendChild(
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              'data-sort-key': key,
              on: {
                click: () => {
                  if (state.sortKey === key) state.dir = -state.dir;
                  else {
                    state.sortKey = key;
                    state.dir = 1;
                  }
                  state.page = 0;
                  draw(`button.sort[data-sort-key="${CSS.escape(key)}"]`);
                },
              },
            },
            col.label,
            h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (state.dir > 0 ? ' ▲' : ' ▼') : ' ↕'),
          ),
        );
      } else {
        appendChildren(th, [col.label]);
      }
      headRow.appendChild(th);
    });
    const tbody = h('tbody');
    for (const row of shown) {
      const tr = h('tr');
      if (rowAttrs) applyAttrs(tr, rowAttrs(row) || {});
      for (const col of columns) {
        const td = h('td', { class: col.class || null });
        appendChildren(td, [col.value(row)]);
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    const tableEl = h('table', { id }, caption ? h('caption', {}, caption) : null, h('thead', {}, headRow), tbody);
    clear(block, h('div', { class: 'table-wrap' }, tableEl));
    if (list.length > pageSize) {
      const end = Math.min(start + pageSize, list.length);
      block.appendChild(
        h(
          'div',
          { class: 'pager', role: 'navigation', 'aria-label': 'Pages' },
          h(
            'button',
            {
              type: 'button',
              class: 'pager-prev',
              disabled: state.page === 0,
              on: { click: () => { state.page--; draw(state.page === 0 ? '.pager-next' : '.pager-prev'); } },
            },
            'Previous',
          ),
          h('span', { class: 'pager-status', 'aria-live': 'polite' }, `${start + 1}–${end} of ${list.length}`),
          h(
            'button',
            {
              type: 'button',
              class: 'pager-next',
              disabled: state.page >= pages - 1,
              on: { click: () => { state.page++; draw(state.page >= pages - 1 ? '.pager-prev' : '.pager-next'); } },
            },
            'Next',
          ),
        ),
      );
    }
    if (focusSelector) block.querySelector(focusSelector)?.focus();
  };
  draw(null);
  return block;
}

/* ---------- files and encodings ---------- */

/** Saves data (string | Uint8Array | Blob) as a file. */
export function download(filename, data, mime = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'visually-hidden' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Uint8Array | ArrayBuffer → base64 text. */
export function b64encode(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return btoa(s);
}

/** base64 (or base64url) text → Uint8Array; throws Error('… is not valid base64') on bad input. */
export function b64decode(text) {
  let t = String(text ?? '').replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (t.length % 4 === 1 || /[^A-Za-z0-9+/=]/.test(t)) throw new Error('The input is not valid base64.');
  while (t.length % 4) t += '=';
  let bin;
  try {
    bin = atob(t);
  } catch {
    throw new Error('The input is not valid base64.');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** text → UTF-8 bytes. */
export function utf8(text) {
  return new TextEncoder().encode(String(text ?? ''));
}

/** UTF-8 bytes → text (invalid sequences become U+FFFD). */
export function fromUtf8(bytes) {
  return new TextDecoder().decode(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
}

/** Epoch seconds (or an ISO date string) → a local readable date-time; '' for null/undefined/''. */
export function fmtTime(epochSeconds) {
  if (epochSeconds === null || epochSeconds === undefined || epochSeconds === '') return '';
  const d =
    typeof epochSeconds === 'number' || /^\d+(\.\d+)?$/.test(String(epochSeconds))
      ? new Date(Number(epochSeconds) * 1000)
      : new Date(epochSeconds);
  if (Number.isNaN(d.getTime())) return String(epochSeconds);
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** <div class="field"><label for=input.id>label</label>input<small>help</small></div>
 *  (for a checkbox or radio the input comes before its label: div.field.check). */
export function field(label, input, help) {
  const isCheck = input instanceof HTMLInputElement && (input.type === 'checkbox' || input.type === 'radio');
  const lab = h('label', { for: input.id || null }, label);
  let small = null;
  if (help) {
    const helpId = input.id ? input.id + '-help' : null;
    small = h('small', { id: helpId, class: 'help' }, help);
    if (helpId && input instanceof Element) {
      const prev = input.getAttribute('aria-describedby');
      input.setAttribute('aria-describedby', prev ? prev + ' ' + helpId : helpId);
    }
  }
  return isCheck
    ? h('div', { class: 'field check' }, input, lab, small)
    : h('div', { class: 'field' }, lab, input, small);
}

/** A modal <dialog> asking to confirm (its buttons: button.cancel, button.confirm). Resolves true (confirmed) or false (cancelled, Escape).
 *  Extra options: confirmId / cancelId (ids for the buttons, e.g. 'deletion-confirm'), cancelLabel,
 *  validate: () => string|null|Promise (a returned text is shown in the dialog and keeps it open). */
export function confirmDialog({ title, body, confirmLabel = 'Confirm', danger = false, confirmId, cancelId, cancelLabel = 'Cancel', validate }) {
  return new Promise((resolve) => {
    const titleId = 'dlg-title-' + Math.random().toString(36).slice(2, 9);
    const err = h('div', { class: 'alert', role: 'alert', hidden: true });
    let result = false;
    const cancelBtn = h('button', { type: 'button', id: cancelId || null, class: 'cancel', on: { click: () => dlg.close() } }, cancelLabel);
    const okBtn = h(
      'button',
      {
        type: 'button',
        id: confirmId || null,
        class: (danger ? 'danger' : 'primary') + ' confirm',
        on: {
          click: async () => {
            if (validate) {
              okBtn.disabled = true;
              let problem;
              try {
                problem = await validate();
              } catch (e) {
                problem = errorText(e);
              }
              okBtn.disabled = false;
              if (problem) {
                err.textContent = String(problem);
                err.hidden = false;
                return;
              }
            }
            result = true;
            dlg.close();
          },
        },
      },
      confirmLabel,
    );
    const dlg = h(
      'dialog',
      { class: 'confirm-dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title || 'Are you sure?'),
      typeof body === 'string' ? h('p', {}, body) : body || null,
      err,
      h('div', { class: 'dialog-actions' }, cancelBtn, okBtn),
    );
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    const firstInput = dlg.querySelector('input, select, textarea');
    (firstInput || (danger ? cancelBtn : okBtn)).focus();
  });
}

/* ---------- keys ---------- */

/** Runs fn over items with at most `limit` in flight; results in input order. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Every key with its metadata, aliases and (for customer managed keys) tags:
 *  [{meta: KeyMetadata, aliases: [AliasName…], tags: [{TagKey, TagValue}], error?: ApiError}].
 *  A key whose DescribeKey fails keeps meta {KeyId, KeyArn} and gets .error. */
export async function loadAllKeys() {
  const keys = await kmsAll('ListKeys', { Limit: 1000 }, 'Keys');
  let aliases = [];
  try {
    aliases = await kmsAll('ListAliases', { Limit: 100 }, 'Aliases');
  } catch {
    aliases = [];
  }
  const byKey = new Map();
  for (const a of aliases) {
    if (!a.TargetKeyId) continue;
    if (!byKey.has(a.TargetKeyId)) byKey.set(a.TargetKeyId, []);
    byKey.get(a.TargetKeyId).push(a.AliasName);
  }
  for (const list of byKey.values()) list.sort();
  return mapLimit(keys, 6, async (k) => {
    const entry = { meta: { KeyId: k.KeyId, KeyArn: k.KeyArn }, aliases: byKey.get(k.KeyId) || [], tags: [] };
    try {
      const d = await kms('DescribeKey', { KeyId: k.KeyId });
      if (d?.KeyMetadata) entry.meta = d.KeyMetadata;
    } catch (e) {
      entry.error = e;
      return entry;
    }
    if (entry.meta.KeyManager === 'CUSTOMER') {
      try {
        entry.tags = await kmsAll('ListResourceTags', { KeyId: k.KeyId, Limit: 50 }, 'Tags');
      } catch (e) {
        entry.tagsError = e;
      }
    }
    return entry;
  });
}

/** The first alias or the key id. */
export function keyLabel(entry) {
  return entry?.aliases?.[0] || entry?.meta?.KeyId || '';
}

/** Lines `key=value` (or a JSON object) → an object; throws an Error naming a line that is neither. */
export function parseContext(text) {
  const t = String(text || '').trim();
  if (!t) return {};
  if (t.startsWith('{')) {
    let v;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new Error(`The encryption context is not valid JSON: ${e.message}`);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('The encryption context must be a JSON object.');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  }
  const out = {};
  t.split('\n').forEach((line, i) => {
    const s = line.trim();
    if (!s) return;
    const eq = s.indexOf('=');
    if (eq <= 0) throw new Error(`Encryption context line ${i + 1} is not key=value: ${s}`);
    out[s.slice(0, eq).trim()] = s.slice(eq + 1).trim();
  });
  return out;
}
