// The keys list (#/keys: filters, sorting, bulk actions) and the create-key wizard (#/create).
import {
  session,
  kms,
  kmsAll,
  admin,
  h,
  clear,
  alertBox,
  showError,
  clearError,
  showInfo,
  navigate,
  table,
  fmtTime,
  field,
  confirmDialog,
  loadAllKeys,
  keyLabel,
  mapLimit,
  errorText,
  toast,
  ApiError,
} from './core.js';

export function routes(register) {
  register('/keys', renderKeys);
  register('/create', renderWizard);
}

/* ====================================================================== */
/* Key specs and usages Trent supports (crates/trent-core/src/model/spec.rs). SM2 is left out: Trent answers
   "KeySpec SM2 is not supported in this Region" as AWS does outside its China Regions. */

const USAGE_LABELS = {
  ENCRYPT_DECRYPT: 'Encrypt and decrypt',
  SIGN_VERIFY: 'Sign and verify',
  KEY_AGREEMENT: 'Key agreement',
  ENCAPSULATE_DECAPSULATE: 'Key encapsulation (ML-KEM)',
  GENERATE_VERIFY_MAC: 'Generate and verify MAC',
};

const RSA = ['RSA_2048', 'RSA_3072', 'RSA_4096'];
const SPECS_BY_TYPE = {
  symmetric: { ENCRYPT_DECRYPT: ['SYMMETRIC_DEFAULT'] },
  asymmetric: {
    ENCRYPT_DECRYPT: RSA,
    SIGN_VERIFY: [
      ...RSA,
      'ECC_NIST_P256',
      'ECC_NIST_P384',
      'ECC_NIST_P521',
      'ECC_SECG_P256K1',
      'ECC_NIST_EDWARDS25519',
      'ML_DSA_44',
      'ML_DSA_65',
      'ML_DSA_87',
    ],
    KEY_AGREEMENT: ['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521'],
    ENCAPSULATE_DECAPSULATE: ['ML_KEM_512', 'ML_KEM_768', 'ML_KEM_1024'],
  },
  hmac: { GENERATE_VERIFY_MAC: ['HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512'] },
};

const SPEC_LABELS = {
  SYMMETRIC_DEFAULT: 'SYMMETRIC_DEFAULT (AES-256-GCM)',
  RSA_2048: 'RSA_2048',
  RSA_3072: 'RSA_3072',
  RSA_4096: 'RSA_4096',
  ECC_NIST_P256: 'ECC_NIST_P256 (secp256r1)',
  ECC_NIST_P384: 'ECC_NIST_P384 (secp384r1)',
  ECC_NIST_P521: 'ECC_NIST_P521 (secp521r1)',
  ECC_SECG_P256K1: 'ECC_SECG_P256K1 (secp256k1)',
  ECC_NIST_EDWARDS25519: 'ECC_NIST_EDWARDS25519 (Ed25519)',
  ML_DSA_44: 'ML_DSA_44',
  ML_DSA_65: 'ML_DSA_65',
  ML_DSA_87: 'ML_DSA_87',
  ML_KEM_512: 'ML_KEM_512',
  ML_KEM_768: 'ML_KEM_768',
  ML_KEM_1024: 'ML_KEM_1024',
  HMAC_224: 'HMAC_224',
  HMAC_256: 'HMAC_256',
  HMAC_384: 'HMAC_384',
  HMAC_512: 'HMAC_512',
};

const ALL_SPECS = [...Object.keys(SPEC_LABELS), 'SM2'];
const ALL_USAGES = Object.keys(USAGE_LABELS);
const ALL_STATES = ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport', 'PendingReplicaDeletion', 'Unavailable', 'Creating', 'Updating'];
const ALL_ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'];

/** Whether Trent accepts imported key material (Origin EXTERNAL) for a spec (ops/import.rs `importable`). */
function importable(spec) {
  return spec === 'SYMMETRIC_DEFAULT' || spec.startsWith('HMAC_') || spec.startsWith('RSA_') || spec.startsWith('ECC_NIST_P') || spec === 'ECC_SECG_P256K1';
}

/* ====================================================================== */
/* Keys list */

const listState = {
  kind: 'customer',
  text: '',
  state: '',
  spec: '',
  usage: '',
  origin: '',
  store: '',
  tag: '',
  selected: new Set(),
};

function select(id, label, options, value, onChange) {
  const el = h(
    'select',
    { id, on: { change: () => onChange(el.value) } },
    options.map(([v, text]) => h('option', { value: v }, text)),
  );
  el.value = value;
  if (el.value !== value) el.value = options[0][0];
  return field(label, el);
}

function matchesTag(entry, filter) {
  const f = filter.trim();
  if (!f) return true;
  const eq = f.indexOf('=');
  const key = (eq >= 0 ? f.slice(0, eq) : f).trim().toLowerCase();
  const value = eq >= 0 ? f.slice(eq + 1).trim().toLowerCase() : null;
  return (entry.tags || []).some(
    (t) => String(t.TagKey).toLowerCase() === key && (value === null || String(t.TagValue ?? '').toLowerCase() === value),
  );
}

function matchesText(entry, text) {
  const t = text.trim().toLowerCase();
  if (!t) return true;
  const m = entry.meta;
  const hay = [m.KeyId, m.KeyArn, m.Description, ...(entry.aliases || [])].filter(Boolean).map((s) => String(s).toLowerCase());
  const bare = t.startsWith('alias/') ? t : null;
  return hay.some((s) => s.includes(t) || (bare && s.includes(bare)));
}

function filtered(entries) {
  const s = listState;
  return entries.filter((e) => {
    const m = e.meta;
    if (s.kind === 'customer' && m.KeyManager && m.KeyManager !== 'CUSTOMER') return false;
    if (s.kind === 'aws' && m.KeyManager !== 'AWS') return false;
    if (s.state && m.KeyState !== s.state) return false;
    if (s.spec && m.KeySpec !== s.spec) return false;
    if (s.usage && m.KeyUsage !== s.usage) return false;
    if (s.origin && m.Origin !== s.origin) return false;
    if (s.store === '-' && m.CustomKeyStoreId) return false;
    if (s.store && s.store !== '-' && m.CustomKeyStoreId !== s.store) return false;
    if (!matchesText(e, s.text)) return false;
    if (!matchesTag(e, s.tag)) return false;
    return true;
  });
}

function filtersActive() {
  const s = listState;
  return !!(s.text.trim() || s.state || s.spec || s.usage || s.origin || s.store || s.tag.trim());
}

async function renderKeys(params, container) {
  let entries = null;
  const errorBox = alertBox('keys-error');
  const resultBox = h('div', { id: 'bulk-result', class: 'info', role: 'status', hidden: true });
  const tableHost = h('div', { class: 'keys-table-host' }, h('p', { class: 'loading' }, 'Loading keys…'));
  const countText = h('span', { id: 'bulk-count', class: 'muted' }, 'No keys selected');
  const btnEnable = h('button', { type: 'button', id: 'bulk-enable', disabled: true, on: { click: () => bulk('enable') } }, 'Enable');
  const btnDisable = h('button', { type: 'button', id: 'bulk-disable', disabled: true, on: { click: () => bulk('disable') } }, 'Disable');
  const btnDelete = h('button', { type: 'button', id: 'bulk-delete', class: 'danger', disabled: true, on: { click: () => bulk('delete') } }, 'Schedule key deletion');
  const refreshBtn = h('button', { type: 'button', id: 'keys-refresh', on: { click: () => load() } }, 'Refresh');
  const storeSelectHost = h('div', { class: 'store-filter-host' });

  const textInput = h('input', {
    id: 'keys-filter',
    type: 'search',
    value: listState.text,
    placeholder: 'Alias, key ID or description',
    on: { input: () => { listState.text = textInput.value; redraw(); } },
  });
  const tagInput = h('input', {
    id: 'keys-filter-tag',
    type: 'search',
    value: listState.tag,
    placeholder: 'key or key=value',
    on: { input: () => { listState.tag = tagInput.value; redraw(); } },
  });

  const set = (k) => (v) => {
    listState[k] = v;
    redraw();
  };
  const filters = h(
    'div',
    { class: 'filters', role: 'search', 'aria-label': 'Filter keys' },
    select('keys-kind', 'Keys', [['customer', 'Customer managed keys'], ['aws', 'AWS managed keys'], ['all', 'All keys']], listState.kind, set('kind')),
    field('Search', textInput),
    select('keys-filter-state', 'Status', [['', 'Any status'], ...ALL_STATES.map((s) => [s, s])], listState.state, set('state')),
    select('keys-filter-spec', 'Key spec', [['', 'Any key spec'], ...ALL_SPECS.map((s) => [s, s])], listState.spec, set('spec')),
    select('keys-filter-usage', 'Key usage', [['', 'Any key usage'], ...ALL_USAGES.map((s) => [s, s])], listState.usage, set('usage')),
    select('keys-filter-origin', 'Origin', [['', 'Any origin'], ...ALL_ORIGINS.map((s) => [s, s])], listState.origin, set('origin')),
    storeSelectHost,
    field('Tag', tagInput),
  );

  clear(
    container,
    h(
      'div',
      { class: 'toolbar' },
      h('a', { href: '#/create', class: 'button primary' }, 'Create key'),
      refreshBtn,
    ),
    filters,
    errorBox,
    resultBox,
    h('div', { class: 'bulk-bar', role: 'group', 'aria-label': 'Actions on the selected keys' }, countText, btnEnable, btnDisable, btnDelete),
    tableHost,
  );

  function drawStoreFilter() {
    const stores = [...new Set((entries || []).map((e) => e.meta.CustomKeyStoreId).filter(Boolean))].sort();
    if (listState.store && listState.store !== '-' && !stores.includes(listState.store)) stores.push(listState.store);
    clear(
      storeSelectHost,
      select('keys-filter-store', 'Key store', [['', 'Any key store'], ['-', 'AWS KMS (no custom key store)'], ...stores.map((s) => [s, s])], listState.store, set('store')),
    );
  }

  function updateBulk(visible) {
    const visibleIds = new Set(visible.map((e) => e.meta.KeyId));
    for (const id of [...listState.selected]) if (!visibleIds.has(id)) listState.selected.delete(id);
    const n = listState.selected.size;
    countText.textContent = n === 0 ? 'No keys selected' : n === 1 ? '1 key selected' : `${n} keys selected`;
    btnEnable.disabled = btnDisable.disabled = btnDelete.disabled = n === 0;
  }

  function redraw() {
    if (!entries) return;
    const rows = filtered(entries);
    updateBulk(rows);
    const selectable = rows.filter((e) => e.meta.KeyManager !== 'AWS');
    const allBox = h('input', {
      type: 'checkbox',
      id: 'keys-select-all',
      class: 'select-all',
      'aria-label': 'Select all keys that match the filters',
      checked: selectable.length > 0 && selectable.every((e) => listState.selected.has(e.meta.KeyId)),
      disabled: selectable.length === 0,
      on: {
        change: () => {
          for (const e of selectable) {
            if (allBox.checked) listState.selected.add(e.meta.KeyId);
            else listState.selected.delete(e.meta.KeyId);
          }
          redraw();
          document.getElementById('keys-select-all')?.focus();
        },
      },
    });
    const columns = [
      {
        label: allBox,
        class: 'col-select',
        value: (e) => {
          const box = h('input', {
            type: 'checkbox',
            class: 'select-key',
            value: e.meta.KeyId,
            'aria-label': 'Select ' + keyLabel(e),
            checked: listState.selected.has(e.meta.KeyId),
            disabled: e.meta.KeyManager === 'AWS',
            title: e.meta.KeyManager === 'AWS' ? 'AWS managed keys cannot be changed' : null,
            on: {
              change: () => {
                if (box.checked) listState.selected.add(e.meta.KeyId);
                else listState.selected.delete(e.meta.KeyId);
                updateBulk(rows);
                allBox.checked = selectable.length > 0 && selectable.every((x) => listState.selected.has(x.meta.KeyId));
              },
            },
          });
          return box;
        },
      },
      {
        label: 'Aliases',
        sort: (e) => e.aliases[0] || '',
        value: (e) =>
          h(
            'div',
            { class: 'alias-cell' },
            e.aliases.length ? h('span', {}, e.aliases[0]) : h('span', { class: 'muted' }, '—'),
            e.aliases.length > 1 ? h('span', { class: 'muted' }, ` +${e.aliases.length - 1} more`) : null,
            e.meta.Description ? h('div', { class: 'key-desc' }, e.meta.Description) : null,
            e.error ? h('div', { class: 'cell-error' }, 'Details unavailable: ' + errorText(e.error)) : null,
          ),
      },
      {
        label: 'Key ID',
        sort: (e) => e.meta.KeyId,
        value: (e) => h('a', { class: 'key-link mono', href: '#/keys/' + encodeURIComponent(e.meta.KeyId) }, e.meta.KeyId),
      },
      { label: 'Status', sort: (e) => e.meta.KeyState || '', value: (e) => stateBadge(e.meta.KeyState) },
      { label: 'Key spec', sort: (e) => e.meta.KeySpec || '', value: (e) => e.meta.KeySpec || '' },
      { label: 'Key usage', sort: (e) => e.meta.KeyUsage || '', value: (e) => e.meta.KeyUsage || '' },
      { label: 'Origin', sort: (e) => e.meta.Origin || '', value: (e) => e.meta.Origin || '' },
      {
        label: 'Key store',
        sort: (e) => e.meta.CustomKeyStoreId || '',
        value: (e) => (e.meta.CustomKeyStoreId ? h('span', { class: 'mono' }, e.meta.CustomKeyStoreId) : h('span', { class: 'muted' }, 'AWS KMS')),
      },
    ];
    if (listState.kind === 'all') {
      columns.push({ label: 'Managed by', sort: (e) => e.meta.KeyManager || '', value: (e) => (e.meta.KeyManager === 'AWS' ? 'AWS' : 'Customer') });
    }
    columns.push({ label: 'Created', sort: (e) => Number(e.meta.CreationDate) || 0, value: (e) => fmtTime(e.meta.CreationDate) });

    let empty;
    if (filtersActive()) {
      empty = h(
        'div',
        {},
        h('p', {}, 'No keys match the filters.'),
        h('button', { type: 'button', id: 'keys-clear-filters', on: { click: clearFilters } }, 'Clear filters'),
      );
    } else if (listState.kind === 'aws') {
      empty = h('p', {}, 'No AWS managed keys. AWS services create them when they first use KMS on your behalf.');
    } else {
      empty = h(
        'p',
        {},
        listState.kind === 'customer' ? 'No customer managed keys yet. ' : 'No keys yet. ',
        h('a', { href: '#/create' }, 'Create key'),
      );
    }
    clear(
      tableHost,
      h('p', { class: 'muted count' }, `${rows.length} of ${entries.filter((e) => kindOk(e)).length} keys shown`),
      table({
        id: 'keys-table',
        columns,
        rows,
        pageSize: 25,
        rowAttrs: (e) => ({ 'data-key-id': e.meta.KeyId, class: listState.selected.has(e.meta.KeyId) ? 'selected' : null }),
        empty,
      }),
    );
  }

  function kindOk(e) {
    if (listState.kind === 'customer') return e.meta.KeyManager !== 'AWS';
    if (listState.kind === 'aws') return e.meta.KeyManager === 'AWS';
    return true;
  }

  function clearFilters() {
    Object.assign(listState, { text: '', state: '', spec: '', usage: '', origin: '', store: '', tag: '' });
    textInput.value = '';
    tagInput.value = '';
    for (const id of ['keys-filter-state', 'keys-filter-spec', 'keys-filter-usage', 'keys-filter-origin', 'keys-filter-store']) {
      const el = document.getElementById(id);
      if (el) el.value = '';
    }
    redraw();
    textInput.focus();
  }

  async function load(keepMessages = false) {
    refreshBtn.disabled = true;
    if (!keepMessages) {
      clearError(errorBox);
      resultBox.hidden = true;
    }
    if (!entries) clear(tableHost, h('p', { class: 'loading' }, 'Loading keys…'));
    try {
      entries = await loadAllKeys();
      drawStoreFilter();
      redraw();
    } catch (err) {
      showError(errorBox, err);
      if (!entries) clear(tableHost);
    } finally {
      refreshBtn.disabled = false;
    }
  }

  async function bulk(action) {
    const ids = [...listState.selected];
    if (!ids.length) return;
    const byId = new Map(entries.map((e) => [e.meta.KeyId, e]));
    let days = 30;
    if (action === 'delete') {
      const input = h('input', { id: 'bulk-deletion-days', type: 'number', min: '7', max: '30', step: '1', value: '30', required: true });
      const body = h(
        'div',
        {},
        h('p', {}, `Schedule deletion of ${ids.length === 1 ? 'this key' : 'these ' + ids.length + ' keys'}? After the waiting period the key material is deleted and data encrypted under it can never be decrypted. You can cancel the deletion while the key is pending deletion.`),
        h('ul', { class: 'dialog-list' }, ids.map((id) => h('li', {}, keyLabel(byId.get(id) || { meta: { KeyId: id } })))),
        field('Waiting period (days)', input, 'Between 7 and 30 days.'),
      );
      const ok = await confirmDialog({
        title: 'Schedule key deletion',
        body,
        confirmLabel: 'Schedule deletion',
        danger: true,
        confirmId: 'bulk-deletion-confirm',
        validate: () => {
          const n = Number(input.value);
          return Number.isInteger(n) && n >= 7 && n <= 30 ? null : 'Enter a whole number of days from 7 to 30.';
        },
      });
      if (!ok) return;
      days = Number(input.value);
    }
    const verb = { enable: 'Enabled', disable: 'Disabled', delete: 'Scheduled deletion of' }[action];
    for (const b of [btnEnable, btnDisable, btnDelete]) b.disabled = true;
    clearError(errorBox);
    resultBox.hidden = true;
    const results = await mapLimit(ids, 4, async (id) => {
      try {
        if (action === 'enable') await kms('EnableKey', { KeyId: id });
        else if (action === 'disable') await kms('DisableKey', { KeyId: id });
        else await kms('ScheduleKeyDeletion', { KeyId: id, PendingWindowInDays: days });
        return { id, ok: true };
      } catch (err) {
        return { id, ok: false, err };
      }
    });
    const good = results.filter((r) => r.ok);
    const bad = results.filter((r) => !r.ok);
    const noun = (n) => (n === 1 ? '1 key' : `${n} keys`);
    if (good.length) {
      showInfo(resultBox, `${verb} ${noun(good.length)}${bad.length ? `; ${noun(bad.length)} failed` : ''}.`);
      toast(`${verb} ${noun(good.length)}.`);
    }
    if (bad.length) {
      clear(
        errorBox,
        h('p', {}, `${noun(bad.length)} of ${ids.length} failed:`),
        h(
          'ul',
          { class: 'error-list' },
          bad.map((r) => h('li', { 'data-key-id': r.id }, h('strong', {}, keyLabel(byId.get(r.id) || { meta: { KeyId: r.id } })), ': ', errorText(r.err))),
        ),
      );
      errorBox.className = 'alert';
      errorBox.hidden = false;
    }
    for (const r of good) listState.selected.delete(r.id);
    await load(true);
  }

  await load();
}

function stateBadge(state) {
  const cls = {
    Enabled: 'ok',
    Disabled: 'off',
    PendingDeletion: 'warn',
    PendingReplicaDeletion: 'warn',
    PendingImport: 'warn',
    Unavailable: 'bad',
  }[state];
  return h('span', { class: ['badge', cls ? 'badge-' + cls : null] }, state || '—');
}

/* ====================================================================== */
/* Create-key wizard */

const ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

function userActions(type, usage) {
  switch (usage) {
    case 'ENCRYPT_DECRYPT':
      return type === 'symmetric'
        ? ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey']
        : ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:DescribeKey', 'kms:GetPublicKey'];
    case 'SIGN_VERIFY':
      return ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign', 'kms:Verify'];
    case 'KEY_AGREEMENT':
      return ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:DeriveSharedSecret'];
    case 'ENCAPSULATE_DECAPSULATE':
      return ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Decapsulate'];
    case 'GENERATE_VERIFY_MAC':
      return ['kms:DescribeKey', 'kms:GenerateMac', 'kms:VerifyMac'];
    default:
      return ['kms:DescribeKey'];
  }
}

const principalValue = (arns) => (arns.length === 1 ? arns[0] : arns);

/** AWS's default key policy for the choices made. */
export function defaultKeyPolicy({ account, type, usage, admins, users, adminsMayDelete = true }) {
  const statements = [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ];
  if (admins.length) {
    statements.push({
      Sid: 'Allow access for Key Administrators',
      Effect: 'Allow',
      Principal: { AWS: principalValue(admins) },
      Action: adminsMayDelete ? ADMIN_ACTIONS : ADMIN_ACTIONS.filter((a) => a !== 'kms:ScheduleKeyDeletion' && a !== 'kms:CancelKeyDeletion'),
      Resource: '*',
    });
  }
  if (users.length) {
    statements.push({
      Sid: 'Allow use of the key',
      Effect: 'Allow',
      Principal: { AWS: principalValue(users) },
      Action: userActions(type, usage),
      Resource: '*',
    });
    if (usage === 'ENCRYPT_DECRYPT') {
      statements.push({
        Sid: 'Allow attachment of persistent resources',
        Effect: 'Allow',
        Principal: { AWS: principalValue(users) },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      });
    }
  }
  return JSON.stringify({ Version: '2012-10-17', Id: 'key-consolepolicy-3', Statement: statements }, null, 4);
}

const STEP_NAMES = ['Configure key', 'Add labels', 'Define key administrative permissions', 'Define key usage permissions', 'Review'];

async function renderWizard(params, container) {
  const account = session.current?.principal?.account || '111122223333';
  let step = 0;
  let policyEdited = false;
  let created = null; // {KeyId} once CreateKey succeeded
  const tags = [];
  let principals; // [{arn, name, kind}]; undefined while loading, null when not listable
  let principalsError = null;
  let stores = null;
  let storesError = null;

  const errorBox = alertBox('wizard-error');

  /* ---- step 1: type, usage, spec, origin, regionality ---- */
  const typeRadios = ['symmetric', 'asymmetric', 'hmac'].map((v) =>
    h('input', { type: 'radio', name: 'wizard-key-type', id: 'wizard-key-type-' + v, value: v, checked: v === 'symmetric', on: { change: onTypeChange } }),
  );
  const typeHelp = {
    symmetric: 'A single key for encryption and decryption (AES-256-GCM).',
    asymmetric: 'A public and private key pair for encryption, signing, key agreement or key encapsulation.',
    hmac: 'A symmetric key to generate and verify hash-based message authentication codes.',
  };
  const typeLabels = { symmetric: 'Symmetric', asymmetric: 'Asymmetric', hmac: 'HMAC' };
  const typeFieldset = h(
    'fieldset',
    { class: 'choice-group' },
    h('legend', {}, 'Key type'),
    typeRadios.map((r) =>
      h('div', { class: 'choice' }, r, h('label', { for: r.id }, h('strong', {}, typeLabels[r.value]), h('span', { class: 'muted' }, typeHelp[r.value]))),
    ),
  );
  const usageSelect = h('select', { id: 'wizard-key-usage', on: { change: onUsageChange } });
  const specSelect = h('select', { id: 'wizard-key-spec', on: { change: onSpecChange } });
  const originSelect = h(
    'select',
    { id: 'wizard-origin', on: { change: onOriginChange } },
    h('option', { value: 'AWS_KMS' }, 'KMS (AWS_KMS): Trent generates the key material'),
    h('option', { value: 'EXTERNAL' }, 'External (EXTERNAL): you import the key material'),
    h('option', { value: 'AWS_CLOUDHSM' }, 'AWS CloudHSM key store (AWS_CLOUDHSM)'),
  );
  const storeSelect = h('select', { id: 'wizard-custom-key-store' });
  const storeHelp = h('small', { class: 'help', id: 'wizard-custom-key-store-note' }, 'Loading custom key stores…');
  const storeField = h('div', { class: 'field', hidden: true }, h('label', { for: 'wizard-custom-key-store' }, 'Custom key store'), storeSelect, storeHelp);
  const multiRegion = h('input', { type: 'checkbox', id: 'wizard-multi-region' });
  const multiRegionField = field('Multi-Region key', multiRegion, 'A primary key that can be replicated into other Regions. Not available for imported key material or custom key stores.');
  const originNote = h('p', { class: 'info', hidden: true, id: 'wizard-origin-note' });

  function fillSelect(sel, values, labels, keep) {
    const prev = keep ? sel.value : null;
    clear(sel, values.map((v) => h('option', { value: v }, labels[v] || v)));
    if (prev && values.includes(prev)) sel.value = prev;
  }

  function type() {
    return typeRadios.find((r) => r.checked)?.value || 'symmetric';
  }

  function onTypeChange() {
    const t = type();
    fillSelect(usageSelect, Object.keys(SPECS_BY_TYPE[t]), USAGE_LABELS, true);
    usageSelect.disabled = usageSelect.options.length < 2;
    onUsageChange();
  }
  function onUsageChange() {
    const specs = SPECS_BY_TYPE[type()][usageSelect.value] || [];
    const prev = specSelect.value;
    fillSelect(specSelect, specs, SPEC_LABELS, true);
    if (type() === 'hmac' && !specs.includes(prev)) specSelect.value = 'HMAC_256';
    specSelect.disabled = specs.length < 2;
    onSpecChange();
  }
  function onSpecChange() {
    const spec = specSelect.value;
    const ext = originSelect.querySelector('option[value=EXTERNAL]');
    const hsm = originSelect.querySelector('option[value=AWS_CLOUDHSM]');
    ext.disabled = !importable(spec);
    hsm.disabled = spec !== 'SYMMETRIC_DEFAULT';
    if (originSelect.selectedOptions[0]?.disabled) originSelect.value = 'AWS_KMS';
    onOriginChange();
  }
  function onOriginChange() {
    const o = originSelect.value;
    storeField.hidden = o !== 'AWS_CLOUDHSM';
    multiRegion.disabled = o !== 'AWS_KMS';
    if (multiRegion.disabled) multiRegion.checked = false;
    if (o === 'EXTERNAL') {
      showInfo(originNote, 'The key is created without key material (state PendingImport). Import the material from the key’s “Key material” tab.');
    } else if (o === 'AWS_CLOUDHSM') {
      showInfo(originNote, 'The key material is generated in the custom key store’s CloudHSM cluster. Only connected key stores can be chosen.');
      loadStores();
    } else {
      originNote.hidden = true;
    }
  }

  async function loadStores() {
    if (stores || storesError) return;
    try {
      const all = await kmsAll('DescribeCustomKeyStores', {}, 'CustomKeyStores');
      stores = all.filter((s) => s.ConnectionState === 'CONNECTED' && (!s.CustomKeyStoreType || s.CustomKeyStoreType === 'AWS_CLOUDHSM'));
      clear(storeSelect, stores.map((s) => h('option', { value: s.CustomKeyStoreId }, `${s.CustomKeyStoreName} (${s.CustomKeyStoreId})`)));
      if (stores.length) {
        storeHelp.textContent = 'Only key stores whose state is CONNECTED are listed.';
      } else {
        storeSelect.appendChild(h('option', { value: '' }, 'No connected key stores'));
        storeHelp.textContent = 'No custom key store is CONNECTED. Connect one first (ConnectCustomKeyStore), or choose another origin.';
      }
    } catch (err) {
      storesError = err;
      clear(storeSelect, h('option', { value: '' }, 'Key stores could not be listed'));
      storeHelp.textContent = errorText(err);
    }
  }

  const step1 = h(
    'section',
    { class: 'wizard-step', 'data-step': '1' },
    typeFieldset,
    h('div', { class: 'form-grid' }, field('Key usage', usageSelect), field('Key spec', specSelect), field('Key material origin', originSelect), storeField),
    originNote,
    multiRegionField,
  );

  /* ---- step 2: alias, description, tags ---- */
  const aliasInput = h('input', { id: 'wizard-alias', type: 'text', spellcheck: 'false', autocomplete: 'off', placeholder: 'my-key' });
  const descInput = h('textarea', { id: 'wizard-description', rows: '3' });
  const tagKey = h('input', { id: 'wizard-tag-key', type: 'text', autocomplete: 'off' });
  const tagValue = h('input', { id: 'wizard-tag-value', type: 'text', autocomplete: 'off' });
  const tagList = h('ul', { id: 'wizard-tag-list', class: 'tag-list' });
  const addTagBtn = h('button', { type: 'button', id: 'wizard-add-tag', on: { click: () => addTag(true) } }, 'Add tag');
  for (const el of [tagKey, tagValue]) {
    el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        addTag(true);
      }
    });
  }

  function drawTags() {
    clear(
      tagList,
      tags.length
        ? tags.map((t, i) =>
            h(
              'li',
              {},
              h('span', { class: 'tag-text' }, h('strong', {}, t.TagKey), ' = ', t.TagValue),
              h(
                'button',
                {
                  type: 'button',
                  class: 'wizard-tag-remove link-button',
                  'aria-label': `Remove tag ${t.TagKey}`,
                  on: { click: () => { tags.splice(i, 1); drawTags(); tagKey.focus(); } },
                },
                'Remove',
              ),
            ),
          )
        : h('li', { class: 'muted' }, 'No tags.'),
    );
  }

  /** Adds the typed tag; returns false (with an error shown) if it is not valid. */
  function addTag(explicit) {
    const k = tagKey.value.trim();
    const v = tagValue.value;
    if (!k) {
      if (explicit) {
        showError(errorBox, new Error('Enter a tag key.'));
        tagKey.focus();
        return false;
      }
      return true;
    }
    if (k.length > 128 || v.length > 256) {
      showError(errorBox, new Error('A tag key has at most 128 characters and a tag value at most 256.'));
      return false;
    }
    if (k.toLowerCase().startsWith('aws:')) {
      showError(errorBox, new Error('Tag keys beginning with “aws:” are reserved for AWS.'));
      return false;
    }
    if (tags.some((t) => t.TagKey === k)) {
      showError(errorBox, new Error(`There is already a tag with the key “${k}”.`));
      return false;
    }
    if (tags.length >= 50) {
      showError(errorBox, new Error('A key can have at most 50 tags.'));
      return false;
    }
    clearError(errorBox);
    tags.push({ TagKey: k, TagValue: v });
    tagKey.value = '';
    tagValue.value = '';
    drawTags();
    if (explicit) tagKey.focus();
    return true;
  }
  drawTags();

  const step2 = h(
    'section',
    { class: 'wizard-step', 'data-step': '2', hidden: true },
    field('Alias', aliasInput, 'A display name for the key, e.g. my-key (the alias/ prefix is added). Letters, digits, / _ and - only; it cannot start with aws/. Optional.'),
    field('Description (optional)', descInput),
    h(
      'fieldset',
      { class: 'tags-editor' },
      h('legend', {}, 'Tags (optional)'),
      h('div', { class: 'form-grid tag-inputs' }, field('Tag key', tagKey), field('Tag value', tagValue), h('div', { class: 'field field-button' }, addTagBtn)),
      tagList,
    ),
  );

  /* ---- steps 3 and 4: principals ---- */
  function principalPicker(kind) {
    const list = h('div', { id: kind === 'admin' ? 'wizard-admins' : 'wizard-users', class: 'principal-list', role: 'group', 'aria-label': kind === 'admin' ? 'Key administrators' : 'Key users' });
    const arnInput = h('input', { id: `wizard-${kind}-arn`, type: 'text', spellcheck: 'false', autocomplete: 'off', placeholder: `arn:aws:iam::${account}:role/name` });
    const addBtn = h('button', { type: 'button', id: `wizard-${kind}-add`, on: { click: () => addArn() } }, 'Add');
    const note = h('p', { class: 'info', hidden: true });
    const filter = h('input', { type: 'search', id: `wizard-${kind}-filter`, placeholder: 'Filter by name or ARN', on: { input: () => applyFilter() } });
    const filterField = field('Filter', filter);
    filterField.hidden = true;
    const extra = []; // ARNs typed by hand
    arnInput.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        addArn();
      }
    });

    function checkbox(p, checked) {
      const id = `wizard-${kind}-${Math.random().toString(36).slice(2, 10)}`;
      const box = h('input', { type: 'checkbox', id, class: `wizard-${kind}`, value: p.arn, checked });
      return h(
        'div',
        { class: 'choice principal', 'data-arn': p.arn, 'data-name': (p.name || '').toLowerCase() },
        box,
        h('label', { for: id }, h('strong', {}, p.name || p.arn), p.kind ? h('span', { class: 'muted' }, ` (${p.kind})`) : null, p.name ? h('span', { class: 'arn mono' }, p.arn) : null),
      );
    }
    function draw() {
      const checked = new Set(selected());
      clear(list);
      const all = [...(principals || []), ...extra.filter((a) => !(principals || []).some((p) => p.arn === a)).map((a) => ({ arn: a, name: '', kind: '' }))];
      if (!all.length) {
        const text =
          principals === undefined ? 'Loading users and roles…' : principals ? 'No users or roles in this account yet. Enter an ARN below.' : 'Enter principal ARNs below.';
        list.appendChild(h('p', { class: 'muted empty-note' }, text));
      }
      for (const p of all) list.appendChild(checkbox(p, checked.has(p.arn)));
      filterField.hidden = (principals || []).length < 8;
      applyFilter();
    }
    function applyFilter() {
      const t = filter.value.trim().toLowerCase();
      for (const row of list.querySelectorAll('.principal')) row.hidden = !!t && !row.dataset.arn.toLowerCase().includes(t) && !row.dataset.name.includes(t);
    }
    function selected() {
      return [...list.querySelectorAll(`input.wizard-${kind}:checked`)].map((b) => b.value);
    }
    function addArn() {
      const arn = arnInput.value.trim();
      if (!arn) {
        showError(errorBox, new Error('Enter a principal ARN, e.g. arn:aws:iam::' + account + ':user/name.'));
        arnInput.focus();
        return;
      }
      if (!/^arn:[^:]+:(iam|sts)::\d{12}:/.test(arn) && !/^\d{12}$/.test(arn) && arn !== '*') {
        showError(errorBox, new Error(`“${arn}” is not an IAM principal ARN (arn:aws:iam::<account>:user/<name> or :role/<name>).`));
        arnInput.focus();
        return;
      }
      clearError(errorBox);
      const existing = [...list.querySelectorAll(`input.wizard-${kind}`)].find((b) => b.value === arn);
      if (existing) existing.checked = true;
      else {
        extra.push(arn);
        draw();
        const box = [...list.querySelectorAll(`input.wizard-${kind}`)].find((b) => b.value === arn);
        if (box) box.checked = true;
      }
      arnInput.value = '';
      arnInput.focus();
    }
    function setNote() {
      if (principalsError) showInfo(note, `Users and roles could not be listed (${errorText(principalsError)}). Enter the ARN of each principal below.`);
      else note.hidden = true;
    }
    const section = h(
      'div',
      { class: 'principal-picker' },
      note,
      filterField,
      list,
      h('div', { class: 'form-grid arn-entry' }, field('Principal ARN', arnInput, 'Any IAM user or role ARN, also of another account.'), h('div', { class: 'field field-button' }, addBtn)),
    );
    return { section, draw, selected, setNote };
  }

  const adminPicker = principalPicker('admin');
  const userPicker = principalPicker('user');
  const adminDelete = h('input', { type: 'checkbox', id: 'wizard-admin-delete', checked: true });

  const step3 = h(
    'section',
    { class: 'wizard-step', 'data-step': '3', hidden: true },
    h('p', {}, 'Key administrators can manage the key (enable, disable, change its policy, tags and aliases) but not use it for cryptographic operations. Choosing none leaves that to IAM policies of the account.'),
    adminPicker.section,
    field('Allow key administrators to delete this key', adminDelete),
  );
  const step4 = h(
    'section',
    { class: 'wizard-step', 'data-step': '4', hidden: true },
    h('p', {}, 'Key users can use the key in cryptographic operations. Choosing none leaves that to IAM policies of the account.'),
    userPicker.section,
  );

  /* ---- step 5: review ---- */
  const policyArea = h('textarea', {
    id: 'wizard-policy',
    rows: '22',
    spellcheck: 'false',
    class: 'mono code-editor',
    'aria-describedby': 'wizard-policy-note',
    on: {
      input: () => {
        policyEdited = true;
        policyNote.textContent = 'You edited the policy. It is kept as you typed it; press “Regenerate policy” to replace it with the default policy for your choices.';
      },
    },
  });
  const policyNote = h('small', { id: 'wizard-policy-note', class: 'help' }, 'The default key policy for your choices. You can edit it before creating the key.');
  const regenBtn = h(
    'button',
    {
      type: 'button',
      id: 'wizard-policy-regenerate',
      on: {
        click: () => {
          policyArea.value = generatePolicy();
          policyEdited = false;
          policyNote.textContent = 'The default key policy for your choices. You can edit it before creating the key.';
          policyArea.focus();
        },
      },
    },
    'Regenerate policy',
  );
  const summary = h('div', { class: 'review-summary' });
  const step5 = h(
    'section',
    { class: 'wizard-step', 'data-step': '5', hidden: true },
    summary,
    h('div', { class: 'field' }, h('label', { for: 'wizard-policy' }, 'Key policy'), policyArea, policyNote),
    h('div', { class: 'actions' }, regenBtn),
  );

  const steps = [step1, step2, step3, step4, step5];

  /* ---- chrome: indicator, heading, buttons ---- */
  const indicator = h('ol', { class: 'steps', 'aria-label': 'Steps' });
  const stepHeading = h('h2', { id: 'wizard-step-title', tabindex: '-1' });
  const backBtn = h('button', { type: 'button', id: 'wizard-back', on: { click: () => go(step - 1) } }, 'Back');
  const nextBtn = h('button', { type: 'button', id: 'wizard-next', class: 'primary', on: { click: () => next() } }, 'Next');
  const createBtn = h('button', { type: 'button', id: 'wizard-create', class: 'primary', hidden: true, on: { click: () => create() } }, 'Create key');
  const cancelLink = h('a', { href: '#/keys', class: 'button', id: 'wizard-cancel' }, 'Cancel');

  function drawIndicator() {
    clear(
      indicator,
      STEP_NAMES.map((name, i) => {
        const state = i < step ? 'done' : i === step ? 'current' : 'todo';
        const label = [h('span', { class: 'step-num', 'aria-hidden': 'true' }, String(i + 1)), h('span', { class: 'step-name' }, name)];
        return h(
          'li',
          { class: 'step step-' + state, 'aria-current': i === step ? 'step' : null },
          i < step
            ? h('button', { type: 'button', class: 'step-link', 'aria-label': `Step ${i + 1}: ${name} (done, go back)`, on: { click: () => go(i) } }, label)
            : h('span', { class: 'step-link', 'aria-label': `Step ${i + 1}: ${name}${i === step ? ' (current)' : ''}` }, label),
        );
      }),
    );
  }

  function selectedAdmins() {
    return adminPicker.selected();
  }
  function selectedUsers() {
    return userPicker.selected();
  }
  function aliasName() {
    const a = aliasInput.value.trim();
    if (!a) return '';
    return a.startsWith('alias/') ? a : 'alias/' + a;
  }
  function generatePolicy() {
    return defaultKeyPolicy({
      account,
      type: type(),
      usage: usageSelect.value,
      admins: selectedAdmins(),
      users: selectedUsers(),
      adminsMayDelete: adminDelete.checked,
    });
  }

  function drawSummary() {
    const edit = (n, what) =>
      h('button', { type: 'button', class: 'link-button wizard-edit', 'data-step': String(n + 1), 'aria-label': `Edit ${what}`, on: { click: () => go(n) } }, 'Edit');
    const section = (title, n, rows) =>
      h(
        'div',
        { class: 'review-section' },
        h('div', { class: 'review-head' }, h('h3', {}, title), edit(n, title.toLowerCase())),
        h('div', { class: 'table-wrap' }, h('table', { class: 'kv' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))))),
      );
    const list = (arns) => (arns.length ? h('ul', { class: 'plain' }, arns.map((a) => h('li', { class: 'mono' }, a))) : h('span', { class: 'muted' }, 'None'));
    const storeText = originSelect.value === 'AWS_CLOUDHSM' ? storeSelect.selectedOptions[0]?.textContent || '' : null;
    clear(
      summary,
      section('Key configuration', 0, [
        ['Key type', typeLabels[type()]],
        ['Key usage', usageSelect.value],
        ['Key spec', specSelect.value],
        ['Origin', originSelect.value],
        ...(storeText !== null ? [['Custom key store', storeText]] : []),
        ['Regionality', multiRegion.checked ? 'Multi-Region key' : 'Single-Region key'],
      ]),
      section('Labels', 1, [
        ['Alias', aliasName() || h('span', { class: 'muted' }, 'None')],
        ['Description', descInput.value || h('span', { class: 'muted' }, 'None')],
        ['Tags', tags.length ? h('ul', { class: 'plain' }, tags.map((t) => h('li', {}, `${t.TagKey} = ${t.TagValue}`))) : h('span', { class: 'muted' }, 'None')],
      ]),
      section('Key administrators', 2, [
        ['Administrators', list(selectedAdmins())],
        ['May delete the key', adminDelete.checked ? 'Yes' : 'No'],
      ]),
      section('Key users', 3, [['Users', list(selectedUsers())]]),
    );
  }

  function go(n) {
    if (n < 0 || n > 4) return;
    step = n;
    steps.forEach((s, i) => (s.hidden = i !== step));
    stepHeading.textContent = `Step ${step + 1} of 5: ${STEP_NAMES[step]}`;
    backBtn.disabled = step === 0;
    nextBtn.hidden = step === 4;
    createBtn.hidden = step !== 4;
    if (step === 4) {
      if (!policyEdited) policyArea.value = generatePolicy();
      drawSummary();
    }
    if (step === 2) adminPicker.setNote();
    if (step === 3) userPicker.setNote();
    drawIndicator();
    stepHeading.focus({ preventScroll: false });
  }

  async function validateStep() {
    if (step === 0) {
      if (originSelect.value === 'AWS_CLOUDHSM' && !storeSelect.value) {
        return 'Choose a connected custom key store, or another key material origin.';
      }
    }
    if (step === 1) {
      if (!addTag(false)) return errorBox.textContent || 'Check the tag you typed.';
      const raw = aliasInput.value.trim();
      if (raw) {
        const name = raw.startsWith('alias/') ? raw.slice(6) : raw;
        if (!name) return 'Enter an alias name after “alias/”.';
        if (!/^[a-zA-Z0-9/_-]+$/.test(name)) return 'An alias contains only letters, digits, slashes (/), underscores (_) and dashes (-).';
        if (name.length > 250) return 'An alias has at most 250 characters after “alias/”.';
        if (name.toLowerCase().startsWith('aws/')) return 'Aliases beginning with “alias/aws/” are reserved for AWS managed keys.';
        try {
          const aliases = await kmsAll('ListAliases', { Limit: 100 }, 'Aliases');
          if (aliases.some((a) => a.AliasName === 'alias/' + name)) return `An alias named alias/${name} already exists. Choose another name.`;
        } catch {
          /* Not allowed to list aliases: CreateAlias will tell. */
        }
      }
      if (descInput.value.length > 8192) return 'A description has at most 8192 characters.';
    }
    return null;
  }

  async function next() {
    nextBtn.disabled = true;
    try {
      const problem = await validateStep();
      if (problem) {
        showError(errorBox, new Error(problem));
        return;
      }
      clearError(errorBox);
      go(step + 1);
    } finally {
      nextBtn.disabled = false;
    }
  }

  async function create() {
    clearError(errorBox);
    if (created) {
      navigate('#/keys/' + encodeURIComponent(created.KeyId));
      return;
    }
    const body = {
      Policy: policyArea.value,
      Description: descInput.value,
      KeyUsage: usageSelect.value,
      KeySpec: specSelect.value,
      Origin: originSelect.value,
      MultiRegion: multiRegion.checked,
    };
    if (tags.length) body.Tags = tags.map((t) => ({ ...t }));
    if (originSelect.value === 'AWS_CLOUDHSM') body.CustomKeyStoreId = storeSelect.value;
    createBtn.disabled = true;
    backBtn.disabled = true;
    try {
      const res = await kms('CreateKey', body);
      created = res.KeyMetadata;
    } catch (err) {
      showError(errorBox, err);
      createBtn.disabled = false;
      backBtn.disabled = false;
      return;
    }
    const alias = aliasName();
    if (alias) {
      try {
        await kms('CreateAlias', { AliasName: alias, TargetKeyId: created.KeyId });
      } catch (err) {
        clear(
          errorBox,
          h('p', {}, `The key ${created.KeyId} was created, but the alias ${alias} could not be: ${errorText(err)}`),
          h('p', {}, h('a', { href: '#/keys/' + encodeURIComponent(created.KeyId) }, 'Open the new key'), ' to add an alias there.'),
        );
        errorBox.className = 'alert';
        errorBox.hidden = false;
        createBtn.textContent = 'Open the new key';
        createBtn.disabled = false;
        return;
      }
    }
    toast(`Created key ${alias || created.KeyId}.`);
    navigate('#/keys/' + encodeURIComponent(created.KeyId));
  }

  clear(
    container,
    h('div', { class: 'wizard' }, indicator, h('div', { class: 'card wizard-body' }, stepHeading, ...steps), errorBox, h('div', { class: 'wizard-nav actions' }, cancelLink, backBtn, nextBtn, createBtn)),
  );

  onTypeChange();
  go(0);
  // go() focuses the heading; on first display keep focus on the first control instead.
  typeRadios[0].focus({ preventScroll: true });

  // Principals for steps 3 and 4, listed in the background.
  (async () => {
    try {
      const [u, r] = await Promise.all([admin('ListUsers', {}), admin('ListRoles', {})]);
      principals = [
        ...(u.Users || []).map((x) => ({ arn: x.Arn, name: x.UserName, kind: 'user' })),
        ...(r.Roles || []).map((x) => ({ arn: x.Arn, name: x.RoleName, kind: 'role' })),
      ].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    } catch (err) {
      principals = null;
      principalsError = err instanceof Error ? err : new ApiError('Error', String(err), 0);
    }
    adminPicker.draw();
    userPicker.draw();
    adminPicker.setNote();
    userPicker.setNote();
  })();
  adminPicker.draw();
  userPicker.draw();
}
