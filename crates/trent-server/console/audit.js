// The audit trail page (#/audit): search the caller's trail by key, principal, event, error and time, read each event's JSON, verify the chain.
import { trentConsole, h, clear, alertBox, showError, clearError, field, prettyJson } from './core.js';

const EVENTS = ['ConsoleLogin', 'CreateKey', 'DescribeKey', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion',
  'PutKeyPolicy', 'CreateAlias', 'DeleteAlias', 'TagResource', 'UntagResource', 'CreateGrant', 'RetireGrant', 'RevokeGrant',
  'EnableKeyRotation', 'DisableKeyRotation', 'RotateKeyOnDemand', 'Encrypt', 'Decrypt', 'GenerateDataKey', 'Sign', 'Verify',
  'GenerateMac', 'VerifyMac', 'ImportKeyMaterial', 'ReplicateKey'];

export function routes(register) {
  register('/audit', render);
}

const seconds = (input) => (input.value ? Math.floor(new Date(input.value).getTime() / 1000) : undefined);

async function render(params, container) {
  const error = alertBox('audit-error');
  const key = h('input', { id: 'audit-key', type: 'text', placeholder: 'key id or ARN' });
  const principal = h('input', { id: 'audit-principal', type: 'text', placeholder: 'arn:aws:iam::…:user/…' });
  const eventName = h('input', { id: 'audit-event-name', type: 'text', list: 'audit-event-names' });
  const names = h('datalist', { id: 'audit-event-names' }, ...EVENTS.map((e) => h('option', { value: e })));
  const errorsOnly = h('input', { id: 'audit-errors-only', type: 'checkbox' });
  const start = h('input', { id: 'audit-start', type: 'datetime-local' });
  const end = h('input', { id: 'audit-end', type: 'datetime-local' });
  const body = h('tbody', {});
  const results = h('table', { id: 'audit-results', class: 'data' },
    h('thead', {}, h('tr', {}, ...['Time', 'Event', 'Source', 'Principal', 'Key', 'Error', 'User agent'].map((t) => h('th', { scope: 'col' }, t)))),
    body);
  const empty = h('p', { class: 'empty', hidden: true }, 'No events match. Widen the time range or clear a filter.');
  const json = h('pre', { id: 'audit-event-json', class: 'code', tabindex: '0' }, 'Select an event to read its JSON.');
  const more = h('button', { type: 'button', id: 'audit-more', hidden: true }, 'Load more');
  const verifyStatus = h('p', { id: 'audit-verify-status', role: 'status' });
  let next = null;
  let filter = {};

  const row = (e) => {
    const show = () => {
      for (const r of body.querySelectorAll('tr.selected')) r.classList.remove('selected');
      tr.classList.add('selected');
      json.textContent = prettyJson(e);
    };
    const tr = h('tr', {
      class: 'audit-event', tabindex: '0',
      on: { click: show, keydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); show(); } } },
    },
    h('td', {}, e.eventTime || ''), h('td', { class: 'event-name' }, e.eventName || ''), h('td', {}, e.eventSource || ''),
    h('td', {}, e.userIdentity?.arn || e.userIdentity?.accessKeyId || ''),
    h('td', {}, (e.resources && e.resources[0]?.ARN) || ''), h('td', { class: e.errorCode ? 'error-cell' : '' }, e.errorCode || ''),
    h('td', { class: 'agent' }, e.userAgent || ''));
    return tr;
  };

  const fetchPage = async (append) => {
    clearError(error);
    const request = { ...filter, maxResults: 50 };
    if (append && next) request.nextToken = next;
    try {
      const r = await trentConsole('SearchAudit', request);
      if (!append) clear(body);
      for (const e of r.events || []) body.append(row(e));
      next = r.nextToken || null;
      more.hidden = !next;
      empty.hidden = body.children.length > 0;
    } catch (e) {
      showError(error, e);
    }
  };

  const search = h('button', {
    type: 'submit', id: 'audit-search', class: 'primary',
  }, 'Search');
  const form = h('form', {
    class: 'form-grid audit-form',
    on: {
      submit: (ev) => {
        ev.preventDefault();
        filter = {};
        if (key.value.trim()) filter.keyId = key.value.trim();
        if (principal.value.trim()) filter.principalArn = principal.value.trim();
        if (eventName.value.trim()) filter.eventName = eventName.value.trim();
        if (errorsOnly.checked) filter.errorsOnly = true;
        if (seconds(start) !== undefined) filter.startTime = seconds(start);
        if (seconds(end) !== undefined) filter.endTime = seconds(end);
        fetchPage(false);
      },
    },
  },
  field('Key', key), field('Principal', principal), field('Event name', eventName), names,
  field('From', start), field('To', end), h('label', { class: 'check' }, errorsOnly, ' Errors only'),
  h('div', { class: 'form-actions' }, search));
  more.addEventListener('click', () => fetchPage(true));
  const verify = h('button', {
    type: 'button', id: 'audit-verify',
    on: {
      click: async () => {
        verifyStatus.className = '';
        verifyStatus.textContent = 'Verifying the whole chain…';
        try {
          const r = await trentConsole('VerifyAudit', {});
          if (r.intact) {
            verifyStatus.className = 'ok';
            verifyStatus.textContent = `Intact: ${r.events} events, ${r.digests} signed digests.`;
          } else {
            verifyStatus.className = 'bad';
            verifyStatus.textContent = `BROKEN at ${r.brokenAt}: ${r.problem}`;
          }
        } catch (e) {
          verifyStatus.textContent = '';
          showError(error, e);
        }
      },
    },
  }, 'Verify the chain');
  container.append(form, error,
    h('div', { class: 'toolbar' }, verify, verifyStatus),
    h('div', { class: 'audit-layout' },
      h('div', { class: 'table-wrap' }, results, empty, more),
      h('section', { class: 'event-json' }, h('h2', {}, 'Event'), json)));
  await fetchPage(false);
}
