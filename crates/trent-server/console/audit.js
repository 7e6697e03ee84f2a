// The audit trail page (#/audit): search the trail by key, principal, event, errors and time, read an event's JSON, verify the chain.
import { trentConsole, h, clear, alertBox, showError, clearError, field, fmtTime, prettyJson, toast } from './core.js';

export function routes(register) {
  register('/audit', renderAudit);
}

/** Event names offered in the event-name field (any other name may be typed). */
const EVENT_NAMES = [
  'CancelKeyDeletion', 'ConnectCustomKeyStore', 'CreateAlias', 'CreateCustomKeyStore', 'CreateGrant', 'CreateKey', 'Decrypt',
  'DeleteAlias', 'DeleteCustomKeyStore', 'DeleteImportedKeyMaterial', 'DeriveSharedSecret', 'DescribeCustomKeyStores',
  'DescribeKey', 'DisableKey', 'DisableKeyRotation', 'DisconnectCustomKeyStore', 'EnableKey', 'EnableKeyRotation', 'Encrypt',
  'GenerateDataKey', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'GenerateDataKeyWithoutPlaintext',
  'GenerateMac', 'GenerateRandom', 'GetKeyPolicy', 'GetKeyRotationStatus', 'GetParametersForImport', 'GetPublicKey',
  'ImportKeyMaterial', 'ListAliases', 'ListGrants', 'ListKeyPolicies', 'ListKeyRotations', 'ListKeys', 'ListResourceTags',
  'ListRetirableGrants', 'PutKeyPolicy', 'ReEncrypt', 'ReplicateKey', 'RetireGrant', 'RevokeGrant', 'RotateKeyOnDemand',
  'ScheduleKeyDeletion', 'Sign', 'TagResource', 'UntagResource', 'UpdateAlias', 'UpdateCustomKeyStore', 'UpdateKeyDescription',
  'UpdatePrimaryRegion', 'Verify', 'VerifyMac', 'ConsoleLogin', 'AssumeRole', 'GetCallerIdentity', 'LookupEvents',
];

const COLUMNS = ['Time', 'Event', 'Source', 'Principal', 'Key', 'Error', 'User agent'];

/** A datetime-local value → integer epoch seconds, or undefined when empty or incomplete. */
function epochSeconds(input) {
  if (!input.value) return undefined;
  const t = new Date(input.value).getTime();
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

async function renderAudit(params, container) {
  const error = alertBox('audit-error');
  const key = h('input', { id: 'audit-key', type: 'text', placeholder: 'key ID or key ARN', autocomplete: 'off', spellcheck: 'false', value: params.keyId || '' });
  const principal = h('input', { id: 'audit-principal', type: 'text', placeholder: 'arn:aws:iam::111122223333:user/alice', autocomplete: 'off', spellcheck: 'false', value: params.principalArn || '' });
  const eventName = h('input', { id: 'audit-event-name', type: 'text', list: 'audit-event-names', autocomplete: 'off', spellcheck: 'false', value: params.eventName || '' });
  const names = h('datalist', { id: 'audit-event-names' }, ...EVENT_NAMES.map((n) => h('option', { value: n })));
  const errorsOnly = h('input', { id: 'audit-errors-only', type: 'checkbox' });
  const start = h('input', { id: 'audit-start', type: 'datetime-local' });
  const end = h('input', { id: 'audit-end', type: 'datetime-local' });
  const search = h('button', { type: 'submit', id: 'audit-search', class: 'primary' }, 'Search');
  const reset = h('button', { type: 'button', id: 'audit-clear' }, 'Clear filters');

  const tbody = h('tbody');
  const results = h('table', { id: 'audit-results', class: 'audit-table' },
    h('caption', { class: 'visually-hidden' }, 'Audit events, newest first. Press Enter on a row to read its JSON.'),
    h('thead', {}, h('tr', {}, ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)))),
    tbody);
  const tableWrap = h('div', { class: 'table-wrap' }, results);
  const empty = h('div', { class: 'empty', id: 'audit-empty', hidden: true },
    h('p', {}, 'No events match these filters. Widen the time range, clear a filter, or load older events if there are more.'));
  const count = h('p', { class: 'count', id: 'audit-count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', id: 'audit-more', hidden: true }, 'Load older events');
  const json = h('pre', { id: 'audit-event-json', class: 'event-json', tabindex: '0', 'aria-label': 'The selected event as JSON' },
    'Select an event (click it, or focus it and press Enter) to read its JSON here.');
  const copyJson = h('button', { type: 'button', id: 'audit-copy-json', class: 'small', disabled: true }, 'Copy JSON');
  const verify = h('button', { type: 'button', id: 'audit-verify' }, 'Verify the audit chain');
  const verifyStatus = h('p', { id: 'audit-verify-status', class: 'verify-status', role: 'status' });

  let filter = {};
  let nextToken = null;
  let shown = 0;
  let seq = 0;

  const select = (tr, e) => {
    for (const r of tbody.querySelectorAll('tr.selected')) r.classList.remove('selected');
    tr.classList.add('selected');
    json.textContent = prettyJson(e);
    copyJson.disabled = false;
  };

  const row = (e) => {
    const who = e.userIdentity?.arn || e.userIdentity?.principalId || e.userIdentity?.accessKeyId || '';
    const keyArn = (Array.isArray(e.resources) && e.resources[0]?.ARN) || '';
    const when = h('td', { class: 'time' }, fmtTime(e.eventTime));
    if (e.eventTime) when.title = String(e.eventTime);
    const tr = h('tr', { class: 'audit-event', tabindex: '0', 'data-event-id': e.eventID || null },
      when,
      h('td', { class: 'event-name' }, e.eventName || ''),
      h('td', { class: 'source' }, e.eventSource || ''),
      h('td', { class: 'principal' }, who),
      h('td', { class: 'key' }, keyArn),
      h('td', { class: e.errorCode ? 'error-code' : 'error-code none' }, e.errorCode || ''),
      h('td', { class: 'agent' }, e.userAgent || ''));
    tr.addEventListener('click', () => select(tr, e));
    tr.addEventListener('keydown', (ev) => {
      if (ev.target !== tr) return;
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        select(tr, e);
      } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        const to = ev.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
        if (to) to.focus();
      }
    });
    return tr;
  };

  const fetchPage = async (append) => {
    const mine = ++seq;
    clearError(error);
    const request = { ...filter, maxResults: 50 };
    if (append && nextToken) request.nextToken = nextToken;
    more.disabled = true;
    count.textContent = append ? 'Loading older events…' : 'Searching…';
    try {
      const r = await trentConsole('SearchAudit', request);
      if (mine !== seq) return;
      const events = Array.isArray(r.events) ? r.events : [];
      if (!append) {
        clear(tbody);
        shown = 0;
        json.textContent = 'Select an event (click it, or focus it and press Enter) to read its JSON here.';
        copyJson.disabled = true;
      }
      const firstNew = events.length ? row(events[0]) : null;
      if (firstNew) tbody.append(firstNew, ...events.slice(1).map(row));
      shown += events.length;
      nextToken = r.nextToken || null;
      more.hidden = !nextToken;
      tableWrap.hidden = shown === 0;
      empty.hidden = shown > 0;
      count.textContent = shown
        ? `${shown} event${shown === 1 ? '' : 's'}, newest first${nextToken ? '; older events may match too' : ''}.`
        : nextToken ? 'No matching events in this part of the trail yet.' : '';
      if (append && firstNew) firstNew.focus();
    } catch (e) {
      if (mine !== seq) return;
      count.textContent = '';
      showError(error, e);
    } finally {
      if (mine === seq) more.disabled = false;
    }
  };

  const form = h('form', { class: 'audit-form filters', novalidate: true, 'aria-label': 'Search the audit trail' },
    field('Key', key, 'Key ID or ARN.'),
    field('Principal', principal, 'The caller\'s ARN.'),
    field('Event name', eventName), names,
    field('From', start),
    field('To', end),
    field('Errors only', errorsOnly),
    h('div', { class: 'form-actions' }, search, reset));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filter = {};
    if (key.value.trim()) filter.keyId = key.value.trim();
    if (principal.value.trim()) filter.principalArn = principal.value.trim();
    if (eventName.value.trim()) filter.eventName = eventName.value.trim();
    if (errorsOnly.checked) filter.errorsOnly = true;
    const s = epochSeconds(start);
    const e = epochSeconds(end);
    if (s !== undefined) filter.startTime = s;
    if (e !== undefined) filter.endTime = e;
    nextToken = null;
    fetchPage(false);
  });
  reset.addEventListener('click', () => {
    for (const input of [key, principal, eventName, start, end]) input.value = '';
    errorsOnly.checked = false;
    filter = {};
    nextToken = null;
    key.focus();
    fetchPage(false);
  });
  more.addEventListener('click', () => fetchPage(true));
  copyJson.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(json.textContent);
      toast('Event JSON copied.');
    } catch {
      showError(error, new Error('The browser did not allow copying; select the text instead.'));
    }
  });
  verify.addEventListener('click', async () => {
    clearError(error);
    verify.disabled = true;
    verifyStatus.className = 'verify-status';
    verifyStatus.textContent = 'Verifying the whole chain…';
    try {
      const r = await trentConsole('VerifyAudit', {});
      if (r.intact) {
        verifyStatus.className = 'verify-status verify-ok';
        verifyStatus.textContent = `Intact: ${r.events} events, ${r.digests} signed digests`;
      } else {
        verifyStatus.className = 'verify-status verify-bad';
        verifyStatus.textContent = `BROKEN at ${r.brokenAt}: ${r.problem}`;
      }
    } catch (e) {
      verifyStatus.textContent = '';
      showError(error, e);
    } finally {
      verify.disabled = false;
    }
  });

  container.append(
    form,
    error,
    h('div', { class: 'toolbar audit-verify' }, verify, verifyStatus,
      h('span', { class: 'note' }, 'Checks every event\'s hash chain and the signed digests.')),
    h('div', { class: 'audit-layout' },
      h('section', { class: 'audit-list', 'aria-label': 'Events' }, count, tableWrap, empty, more),
      h('section', { class: 'audit-detail', 'aria-labelledby': 'audit-event-heading' },
        h('div', { class: 'toolbar' }, h('h2', { id: 'audit-event-heading' }, 'Event'), copyJson), json)),
  );
  tableWrap.hidden = true;

  // Search on open, with the filters from the link (#/audit?keyId=…) if any.
  if (key.value.trim()) filter.keyId = key.value.trim();
  if (principal.value.trim()) filter.principalArn = principal.value.trim();
  if (eventName.value.trim()) filter.eventName = eventName.value.trim();
  await fetchPage(false);
}
