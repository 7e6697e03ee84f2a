// The key detail page (#/keys/:id): the key's header and state actions, and one tab per aspect of the key.
import {
  session,
  kms,
  kmsAll,
  h,
  clear,
  alertBox,
  showError,
  clearError,
  showInfo,
  errorText,
  toast,
  setTitle,
  prettyJson,
  table,
  download,
  b64encode,
  b64decode,
  fmtTime,
  field,
  confirmDialog,
  parseContext,
} from './core.js';

export function routes(register) {
  register('/keys/:id', renderKey);
}

/* ---------- facts about keys ---------- */

const ROOT_SID = 'Enable IAM User Permissions';
const ADMIN_SID = 'Allow access for Key Administrators';
const USER_SID = 'Allow use of the key';
const GRANT_SID = 'Allow attachment of persistent resources';

const GRANT_OPS = {
  SYMMETRIC: [
    'Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair',
    'GenerateDataKeyPairWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'DescribeKey', 'CreateGrant', 'RetireGrant',
  ],
  ASYMMETRIC_ENCRYPT: ['Encrypt', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  SIGN_VERIFY: ['Sign', 'Verify', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  GENERATE_VERIFY_MAC: ['GenerateMac', 'VerifyMac', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  KEY_AGREEMENT: ['DeriveSharedSecret', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  KEY_ENCAPSULATION: ['Decapsulate', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
};

const WRAPPING_ALGORITHMS = ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSAES_PKCS1_V1_5', 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'SM2PKE'];
const WRAPPING_SPECS = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2'];

const isSymmetric = (meta) => meta.KeySpec === 'SYMMETRIC_DEFAULT';
const isAsymmetric = (meta) => !!meta.KeySpec && meta.KeySpec !== 'SYMMETRIC_DEFAULT' && !meta.KeySpec.startsWith('HMAC_');

function grantOps(meta) {
  if (meta.KeyUsage === 'ENCRYPT_DECRYPT') return isSymmetric(meta) ? GRANT_OPS.SYMMETRIC : GRANT_OPS.ASYMMETRIC_ENCRYPT;
  return GRANT_OPS[meta.KeyUsage] || ['DescribeKey', 'CreateGrant', 'RetireGrant'];
}

/** A PEM text for a base64 DER SubjectPublicKeyInfo. */
function toPem(b64) {
  const body = String(b64 || '').replace(/\s+/g, '').match(/.{1,64}/g) || [];
  return `-----BEGIN PUBLIC KEY-----\n${body.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

const joinList = (v) => (Array.isArray(v) ? v.join(', ') : v);
const dash = (v) => (v === undefined || v === null || v === '' ? '—' : String(v));

/** Disables a button while fn runs. */
async function busy(button, fn) {
  const was = button.disabled;
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = was;
  }
}

/** Returns run(fetch, draw): only the newest run's answer is drawn (an older, slower answer is dropped). */
function latestOnly() {
  let n = 0;
  return async (fetch, draw) => {
    const mine = ++n;
    const data = await fetch();
    if (mine === n) draw(data);
    return data;
  };
}

/** Shows both errors when re-reading the key after a failed action fails too. */
function showErrors(box, first, second) {
  showError(box, first);
  if (second) box.textContent = `${errorText(first)}\n(Reading the key again failed too: ${errorText(second)})`;
}

/* ---------- the page ---------- */

const TAB_LABELS = {
  general: 'General configuration',
  policy: 'Key policy',
  aliases: 'Aliases',
  tags: 'Tags',
  rotation: 'Key rotation',
  grants: 'Grants',
  material: 'Key material',
  'public-key': 'Public key',
  replicas: 'Regionality',
};

function tabsFor(meta) {
  const list = ['general', 'policy', 'aliases', 'tags', 'rotation', 'grants'];
  if (meta.Origin === 'EXTERNAL') list.push('material');
  if (isAsymmetric(meta)) list.push('public-key');
  if (meta.MultiRegion) list.push('replicas');
  return list;
}

async function renderKey(params, container) {
  const ref = String(params.id || '');
  const keyError = alertBox('key-error');
  const keyInfo = h('div', { id: 'key-info', class: 'info', role: 'status', hidden: true });
  container.append(keyError);

  // Everything the tabs share: the key's metadata, its aliases and the tabs' hooks for new metadata.
  const page = { meta: null, aliases: null, aliasError: null, hooks: {} };

  let first;
  try {
    first = await kms('DescribeKey', { KeyId: ref });
  } catch (e) {
    showError(keyError, e);
    container.append(
      h('p', {}, 'The key could not be read. ', h('a', { href: '#/keys' }, 'Back to the keys list'), ' or ',
        h('button', { type: 'button', class: 'link', on: { click: () => location.reload() } }, 'try again'), '.'),
    );
    return;
  }
  page.meta = first.KeyMetadata || {};
  try {
    page.aliases = await kmsAll('ListAliases', { KeyId: page.meta.KeyId }, 'Aliases');
  } catch (e) {
    page.aliases = null;
    page.aliasError = e;
  }

  /* header */
  const idEl = h('code', { id: 'key-id' });
  const arnEl = h('code', { id: 'key-arn' });
  const stateEl = h('span', { id: 'key-state', class: 'badge' });
  const stateNote = h('span', { class: 'state-note' });
  const summaryEl = h('span', { class: 'key-summary muted' });
  const descEl = h('span', { id: 'key-description' });
  const descEmpty = h('span', { class: 'muted' }, 'No description');
  const descInput = h('input', { id: 'description-input', type: 'text', maxlength: '8192', autocomplete: 'off' });
  const editDesc = h('button', {
    type: 'button', id: 'key-edit-description', class: 'link', 'aria-expanded': 'false', 'aria-controls': 'description-editor',
  }, 'Edit');
  const descSave = h('button', { type: 'submit', id: 'description-save', class: 'primary' }, 'Save description');
  const descCancel = h('button', { type: 'button', id: 'description-cancel' }, 'Cancel');
  const descForm = h('form', { id: 'description-editor', class: 'inline-form', hidden: true, novalidate: true },
    field('Description', descInput, 'Up to 8192 characters. Do not put secrets here: it is shown to anyone who can describe the key.'),
    descSave, descCancel);
  const openEditor = (open) => {
    descForm.hidden = !open;
    editDesc.setAttribute('aria-expanded', String(open));
    if (open) {
      descInput.value = page.meta.Description || '';
      descInput.focus();
      descInput.select();
    } else {
      editDesc.focus();
    }
  };
  editDesc.addEventListener('click', () => openEditor(descForm.hidden));
  descCancel.addEventListener('click', () => openEditor(false));
  descInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      openEditor(false);
    }
  });

  /* state actions: always present, hidden when they do not fit the key's state */
  const btnEnable = h('button', { type: 'button', id: 'key-enable', class: 'primary' }, 'Enable');
  const btnDisable = h('button', { type: 'button', id: 'key-disable' }, 'Disable');
  const btnSchedule = h('button', { type: 'button', id: 'key-schedule-deletion', class: 'danger' }, 'Schedule key deletion');
  const btnCancelDeletion = h('button', { type: 'button', id: 'key-cancel-deletion' }, 'Cancel key deletion');
  const actionButtons = [btnEnable, btnDisable, btnSchedule, btnCancelDeletion];
  const managedNote = h('p', { class: 'note', hidden: true },
    'This key is managed by AWS: its state, description and policy cannot be changed here.');

  const header = h('section', { class: 'key-header', 'aria-label': 'Key summary' },
    h('div', { class: 'key-title-row' }, h('a', { href: '#/keys', class: 'back-link' }, '← Keys'), stateEl, stateNote),
    summaryEl,
    h('dl', { class: 'key-facts' },
      h('dt', {}, 'Key ID'), h('dd', {}, idEl),
      h('dt', {}, 'ARN'), h('dd', {}, arnEl),
      h('dt', {}, 'Description'), h('dd', { class: 'key-description-cell' }, descEl, descEmpty, ' ', editDesc)),
    descForm,
    h('div', { class: 'key-actions', role: 'group', 'aria-label': 'Key actions' }, ...actionButtons),
    managedNote);

  const label = () => (page.aliases && page.aliases[0]?.AliasName) || page.meta.KeyId;

  const drawHeader = () => {
    const m = page.meta;
    const managed = m.KeyManager === 'AWS';
    setTitle(label());
    summaryEl.textContent = [m.KeySpec, m.KeyUsage, m.Origin && `Origin ${m.Origin}`, m.MultiRegion ? 'Multi-Region' : null,
      m.KeyManager === 'AWS' ? 'AWS managed' : 'Customer managed'].filter(Boolean).join(' · ');
    idEl.textContent = m.KeyId || '';
    arnEl.textContent = m.Arn || '';
    stateEl.textContent = m.KeyState || '';
    stateEl.className = `badge state-${m.KeyState || 'unknown'}`;
    stateNote.textContent = m.DeletionDate
      ? `Deletion on ${fmtTime(m.DeletionDate)}${m.PendingDeletionWindowInDays ? ` (waiting period ${m.PendingDeletionWindowInDays} days)` : ''}`
      : m.KeyState === 'PendingImport' ? 'Import key material to use the key' : '';
    descEl.textContent = m.Description || '';
    descEmpty.hidden = !!m.Description;
    editDesc.hidden = managed;
    if (managed) descForm.hidden = true;
    const s = m.KeyState;
    const pendingDeletion = s === 'PendingDeletion' || s === 'PendingReplicaDeletion';
    const hadFocus = actionButtons.includes(document.activeElement) ? document.activeElement : null;
    btnEnable.hidden = managed || s !== 'Disabled';
    btnDisable.hidden = managed || s !== 'Enabled';
    btnSchedule.hidden = managed || pendingDeletion || s === 'Creating';
    btnCancelDeletion.hidden = managed || !pendingDeletion;
    managedNote.hidden = !managed;
    if (hadFocus && hadFocus.hidden) (actionButtons.find((b) => !b.hidden) || editDesc).focus();
  };

  /** Re-reads DescribeKey and tells the header and every open tab. */
  const reload = async () => {
    const d = await kms('DescribeKey', { KeyId: page.meta.KeyId });
    page.meta = d.KeyMetadata || page.meta;
    drawHeader();
    for (const hook of Object.values(page.hooks)) {
      try {
        hook(page.meta);
      } catch (e) {
        console.error(e);
      }
    }
    return page.meta;
  };

  /** Runs a state action; whatever happens, the state shown afterwards is the server's. */
  const act = async (fn) => {
    clearError(keyError);
    keyInfo.hidden = true;
    for (const b of actionButtons) b.disabled = true;
    let failure = null;
    let note = null;
    try {
      note = await fn();
    } catch (e) {
      failure = e;
    }
    let reloadFailure = null;
    try {
      await reload();
    } catch (e) {
      reloadFailure = e;
    }
    for (const b of actionButtons) b.disabled = false;
    if (failure) showErrors(keyError, failure, reloadFailure);
    else if (reloadFailure) showError(keyError, reloadFailure);
    else if (note) showInfo(keyInfo, note);
    return !failure;
  };

  descForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ok = await busy(descSave, () => act(async () => {
      await kms('UpdateKeyDescription', { KeyId: page.meta.KeyId, Description: descInput.value });
      return 'Description saved.';
    }));
    if (ok) openEditor(false);
  });
  btnEnable.addEventListener('click', () => act(async () => {
    await kms('EnableKey', { KeyId: page.meta.KeyId });
    return 'The key is enabled.';
  }));
  btnDisable.addEventListener('click', () => act(async () => {
    await kms('DisableKey', { KeyId: page.meta.KeyId });
    return 'The key is disabled: it cannot be used in cryptographic operations until you enable it.';
  }));
  btnCancelDeletion.addEventListener('click', () => act(async () => {
    await kms('CancelKeyDeletion', { KeyId: page.meta.KeyId });
    return 'Deletion cancelled. As in AWS KMS, the key is now Disabled: enable it to use it again.';
  }));
  btnSchedule.addEventListener('click', async () => {
    const days = h('input', { id: 'deletion-days', type: 'number', min: '7', max: '30', step: '1', value: '30', inputmode: 'numeric' });
    days.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        document.getElementById('deletion-confirm')?.click();
      }
    });
    const replicas = page.meta.MultiRegionConfiguration?.ReplicaKeys?.length || 0;
    let chosen = 30;
    const ok = await confirmDialog({
      title: 'Schedule key deletion',
      body: h('div', {},
        h('p', { class: 'warning-text' },
          'Deleting a KMS key is destructive and cannot be undone. When the waiting period ends, the key and all its key material are deleted, and data encrypted under it can never be decrypted again.'),
        h('p', {}, 'During the waiting period the key is PendingDeletion and cannot be used; you can cancel the deletion until then. Consider disabling the key instead.'),
        replicas ? h('p', {}, `This primary key has ${replicas} replica key(s): it is deleted only after they are.`) : null,
        field('Waiting period (days)', days, 'From 7 to 30 days.')),
      confirmLabel: 'Schedule deletion',
      confirmId: 'deletion-confirm',
      danger: true,
      validate: () => {
        const n = Number(days.value);
        if (!Number.isInteger(n) || n < 7 || n > 30) return 'The waiting period is a whole number of days from 7 to 30.';
        chosen = n;
        return null;
      },
    });
    if (!ok) {
      btnSchedule.focus();
      return;
    }
    await act(async () => {
      const r = await kms('ScheduleKeyDeletion', { KeyId: page.meta.KeyId, PendingWindowInDays: chosen });
      const when = fmtTime(r.DeletionDate);
      toast(`Key deletion scheduled for ${when}.`);
      return `Key deletion scheduled: the key will be deleted on ${when} unless you cancel the deletion before then.`;
    });
  });

  /* tabs */
  const tabs = tabsFor(page.meta);
  let selected = 'general';
  const tabButtons = {};
  const panels = {};
  const tablist = h('div', { role: 'tablist', class: 'tabs key-tabs', 'aria-label': 'Key details' });
  const panelHolder = h('div', { class: 'key-panels' });
  for (const t of tabs) {
    const b = h('button', {
      type: 'button', role: 'tab', id: `key-tab-${t}`, 'data-tab': t, 'aria-controls': `key-panel-${t}`,
      'aria-selected': 'false', tabindex: '-1',
    }, TAB_LABELS[t]);
    b.addEventListener('click', () => select(t, false));
    b.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(t);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      select(tabs[(to + tabs.length) % tabs.length], true);
    });
    tabButtons[t] = b;
    tablist.append(b);
    const p = h('div', { role: 'tabpanel', id: `key-panel-${t}`, class: 'tab-panel', 'aria-labelledby': `key-tab-${t}`, hidden: true });
    panels[t] = p;
    panelHolder.append(p);
  }

  const ctx = {
    get meta() {
      return page.meta;
    },
    page,
    reload,
    setAliases(list) {
      page.aliases = list;
      page.aliasError = null;
      drawHeader();
    },
  };

  function select(t, focus) {
    selected = t;
    for (const [name, b] of Object.entries(tabButtons)) {
      const on = name === t;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      panels[name].hidden = !on;
    }
    if (focus) tabButtons[t].focus();
    const panel = panels[t];
    if (panel.dataset.rendered) return;
    panel.dataset.rendered = 'yes';
    Promise.resolve()
      .then(() => TABS[t](ctx, panel))
      .then((hook) => {
        if (typeof hook === 'function') page.hooks[t] = hook;
      })
      .catch((e) => {
        console.error(e);
        const box = alertBox(`${t}-tab-error`);
        panel.append(box);
        showError(box, e);
      });
  }

  drawHeader();
  container.append(header, keyInfo, tablist, panelHolder);
  select(selected, false);
}

/* ---------- general configuration ---------- */

const GENERAL_FIELDS = [
  ['KeyId', 'Key ID'],
  ['Arn', 'ARN'],
  ['AWSAccountId', 'AWS account'],
  ['Description', 'Description'],
  ['KeyState', 'Key state'],
  ['Enabled', 'Enabled'],
  ['CreationDate', 'Created', 'time'],
  ['KeyUsage', 'Key usage'],
  ['KeySpec', 'Key spec'],
  ['CustomerMasterKeySpec', 'Customer master key spec (deprecated name)'],
  ['Origin', 'Origin'],
  ['KeyManager', 'Key manager'],
  ['EncryptionAlgorithms', 'Encryption algorithms', 'list'],
  ['SigningAlgorithms', 'Signing algorithms', 'list'],
  ['MacAlgorithms', 'MAC algorithms', 'list'],
  ['KeyAgreementAlgorithms', 'Key agreement algorithms', 'list'],
  ['EncapsulationAlgorithms', 'Key encapsulation algorithms', 'list'],
  ['KeyEncapsulationAlgorithms', 'Key encapsulation algorithms', 'list'],
  ['MultiRegion', 'Multi-Region'],
  ['MultiRegionConfiguration', 'Multi-Region key type', 'mrk'],
  ['CustomKeyStoreId', 'Custom key store ID'],
  ['CloudHsmClusterId', 'CloudHSM cluster ID'],
  ['XksKeyConfiguration', 'External key ID', 'xks'],
  ['ExpirationModel', 'Expiration model'],
  ['ValidTo', 'Key material valid to', 'time'],
  ['DeletionDate', 'Deletion date', 'time'],
  ['PendingDeletionWindowInDays', 'Pending deletion window (days)'],
  ['CurrentKeyMaterialId', 'Current key material ID'],
];

function generalValue(kind, v) {
  if (kind === 'time') return fmtTime(v) || '—';
  if (kind === 'list') return dash(joinList(v));
  if (kind === 'mrk') return dash(v?.MultiRegionKeyType);
  if (kind === 'xks') return dash(v?.Id);
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (v && typeof v === 'object') return JSON.stringify(v);
  return dash(v);
}

function generalTab(ctx, panel) {
  const draw = (meta) => {
    const known = new Set(GENERAL_FIELDS.map(([k]) => k));
    const items = [];
    for (const [k, label, kind] of GENERAL_FIELDS) {
      if (!(k in meta) || meta[k] === null || meta[k] === undefined) continue;
      const value = generalValue(kind, meta[k]);
      const mono = ['KeyId', 'Arn', 'AWSAccountId', 'CustomKeyStoreId', 'CloudHsmClusterId', 'CurrentKeyMaterialId'].includes(k);
      items.push(h('dt', {}, label), h('dd', { 'data-field': k }, mono ? h('code', {}, value) : value));
    }
    for (const [k, v] of Object.entries(meta)) {
      if (known.has(k) || v === null || v === undefined) continue;
      items.push(h('dt', {}, k), h('dd', { 'data-field': k }, generalValue(null, v)));
    }
    clear(panel, h('dl', { class: 'details' }, ...items));
  };
  draw(ctx.meta);
  return draw;
}

/* ---------- key policy ---------- */

function statementsOf(doc) {
  if (!doc || typeof doc !== 'object') return [];
  if (Array.isArray(doc.Statement)) return doc.Statement.filter((s) => s && typeof s === 'object');
  return doc.Statement && typeof doc.Statement === 'object' ? [doc.Statement] : [];
}

function principalsOf(statement) {
  const p = statement.Principal;
  if (p === '*') return ['*'];
  if (!p || typeof p !== 'object') return [];
  return Object.values(p).flatMap((v) => [].concat(v)).map(String);
}

/** The default view of a key policy: the root statement, the administrators, the users. */
function policyDefaultView(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return [h('p', { class: 'note' }, `The policy text is not valid JSON (${e.message}), so there is no default view of it. Switch back to the JSON view to fix it.`)];
  }
  const stmts = statementsOf(doc);
  const bySid = (sid) => stmts.filter((s) => s.Sid === sid);
  const rootStmts = stmts.filter((s) => s.Sid === ROOT_SID || principalsOf(s).some((p) => /^arn:[^:]+:iam::\d{12}:root$/.test(p) || /^\d{12}$/.test(p)));
  const admins = [...new Set(bySid(ADMIN_SID).flatMap(principalsOf))];
  const users = [...new Set(bySid(USER_SID).flatMap(principalsOf))];
  const others = stmts.filter((s) => ![ROOT_SID, ADMIN_SID, USER_SID, GRANT_SID].includes(s.Sid) && !rootStmts.includes(s));
  const isDefault = rootStmts.length > 0 && others.length === 0;
  const list = (names, empty) => (names.length
    ? h('ul', { class: 'principal-list-plain' }, ...names.map((n) => h('li', {}, h('code', {}, n))))
    : h('p', { class: 'note' }, empty));
  return [
    isDefault
      ? h('p', {}, 'This policy has the shape of AWS\'s default key policy.')
      : h('p', { class: 'info' },
        'This policy is not in the default shape',
        others.length ? ` (it has ${others.length} other statement${others.length === 1 ? '' : 's'}${others.some((s) => s.Sid) ? ': ' + others.map((s) => s.Sid).filter(Boolean).join(', ') : ''})` : ' (it has no statement for the account root)',
        '. The lists below show only what the default statements say; read the JSON view for the whole policy.'),
    h('section', { class: 'policy-section' }, h('h3', {}, 'Account'),
      rootStmts.length
        ? [h('p', {}, 'These principals may allow access to the key through IAM policies (statement "', ROOT_SID, '"):'),
          list([...new Set(rootStmts.flatMap(principalsOf))], 'None.')]
        : h('p', { class: 'note' }, 'No statement gives the account root access: IAM policies cannot allow use of this key.')),
    h('section', { class: 'policy-section' }, h('h3', {}, 'Key administrators'),
      list(admins, `None. Add principals to a statement with Sid "${ADMIN_SID}" in the JSON view.`)),
    h('section', { class: 'policy-section' }, h('h3', {}, 'Key users'),
      list(users, `None. Add principals to a statement with Sid "${USER_SID}" in the JSON view.`),
      bySid(GRANT_SID).length ? h('p', { class: 'note' }, 'Key users may also attach grants for AWS services (persistent resources).') : null),
  ];
}

async function policyTab(ctx, panel) {
  const error = alertBox('policy-error');
  const editor = h('textarea', { id: 'policy-editor', class: 'code', rows: '22', spellcheck: 'false', autocomplete: 'off', wrap: 'off' });
  const save = h('button', { type: 'button', id: 'policy-save', class: 'primary', disabled: true }, 'Save policy');
  const reloadBtn = h('button', { type: 'button', id: 'policy-reload' }, 'Discard changes');
  const toggle = h('button', { type: 'button', id: 'policy-view-toggle', 'aria-pressed': 'false', 'aria-controls': 'policy-default-view' },
    'Show the default view');
  const jsonView = h('div', { id: 'policy-json-view' },
    field('Key policy (JSON)', editor, 'Sent exactly as typed: the server checks it and says what is wrong.'),
    h('div', { class: 'form-actions' }, save, reloadBtn));
  const defaultView = h('div', { id: 'policy-default-view', class: 'policy-default-view', hidden: true });
  let saved = null;

  const load = async () => {
    clearError(error);
    try {
      const r = await kms('GetKeyPolicy', { KeyId: ctx.meta.KeyId, PolicyName: 'default' });
      editor.value = prettyJson(r.Policy || '');
      saved = editor.value;
      save.disabled = false;
      reloadBtn.textContent = 'Discard changes';
    } catch (e) {
      showError(error, e);
      if (saved === null) reloadBtn.textContent = 'Try again';
    }
    if (!defaultView.hidden) clear(defaultView, ...policyDefaultView(editor.value));
  };

  save.addEventListener('click', () => busy(save, async () => {
    clearError(error);
    try {
      await kms('PutKeyPolicy', { KeyId: ctx.meta.KeyId, PolicyName: 'default', Policy: editor.value });
      saved = editor.value;
      showInfo(error, 'Key policy saved.');
      toast('Key policy saved.');
    } catch (e) {
      showError(error, e);
    }
  }));
  reloadBtn.addEventListener('click', async () => {
    if (saved !== null && editor.value !== saved) {
      const ok = await confirmDialog({ title: 'Discard your changes?', body: 'The editor shows the saved policy again; what you typed is lost.', confirmLabel: 'Discard', danger: true });
      if (!ok) return;
    }
    await busy(reloadBtn, load);
  });
  toggle.addEventListener('click', () => {
    const showDefault = defaultView.hidden;
    if (showDefault) clear(defaultView, ...policyDefaultView(editor.value));
    defaultView.hidden = !showDefault;
    jsonView.hidden = showDefault;
    toggle.setAttribute('aria-pressed', String(showDefault));
    toggle.textContent = showDefault ? 'Show the JSON' : 'Show the default view';
  });

  // The editor joins the page once it holds the policy, so nothing can read or type into an empty one.
  const loading = h('p', { class: 'loading' }, 'Reading the key policy…');
  panel.append(h('div', { class: 'toolbar' }, toggle), error,
    ctx.meta.KeyManager === 'AWS' ? h('p', { class: 'note' }, 'The policy of an AWS managed key cannot be changed.') : null, loading);
  await load();
  loading.replaceWith(jsonView, defaultView);
}

/* ---------- aliases ---------- */

async function aliasesTab(ctx, panel) {
  const error = alertBox('alias-error');
  const list = h('ul', { id: 'alias-list', class: 'plain-list' });
  const name = h('input', { id: 'alias-name', type: 'text', placeholder: 'my-key', autocomplete: 'off', spellcheck: 'false' });
  const add = h('button', { type: 'submit', id: 'alias-add', class: 'primary' }, 'Add alias');

  const draw = (aliases) => {
    if (!aliases.length) {
      clear(list, h('li', { class: 'empty-item' }, 'This key has no aliases. Add one below to refer to the key by a friendly name, e.g. in the workbench.'));
      return;
    }
    clear(list, ...aliases.map((a) => h('li', {},
      h('code', { class: 'alias-name' }, a.AliasName),
      a.AliasName.startsWith('alias/aws/') ? h('span', { class: 'note' }, '(AWS managed alias)') : h('button', {
        type: 'button', class: 'alias-delete danger small', 'aria-label': `Delete ${a.AliasName}`,
        on: { click: (ev) => remove(a, ev.currentTarget) },
      }, 'Delete'))));
  };
  const run = latestOnly();
  const load = () => run(() => kmsAll('ListAliases', { KeyId: ctx.meta.KeyId }, 'Aliases'), (all) => {
    ctx.setAliases(all);
    draw(all);
  });
  const remove = async (a, button) => {
    const ok = await confirmDialog({
      title: 'Delete alias',
      body: `Delete the alias ${a.AliasName}? Applications that use it to refer to this key will stop working; the key itself is not changed.`,
      confirmLabel: 'Delete alias',
      danger: true,
    });
    if (!ok) {
      button.focus();
      return;
    }
    clearError(error);
    try {
      await kms('DeleteAlias', { AliasName: a.AliasName });
      toast(`Alias ${a.AliasName} deleted.`);
      await load();
      name.focus();
    } catch (e) {
      showError(error, e);
    }
  };
  const form = h('form', { class: 'inline-form', novalidate: true },
    field('New alias', name, 'With or without the alias/ prefix; names starting with alias/aws/ are reserved.'), add);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = name.value.trim();
    clearError(error);
    if (!v) {
      showError(error, new Error('Enter a name for the alias.'));
      name.focus();
      return;
    }
    const aliasName = v.startsWith('alias/') ? v : `alias/${v}`;
    busy(add, async () => {
      try {
        await kms('CreateAlias', { AliasName: aliasName, TargetKeyId: ctx.meta.KeyId });
        name.value = '';
        toast(`Alias ${aliasName} created.`);
      } catch (e) {
        showError(error, e);
        return;
      }
      try {
        await load();
      } catch (e) {
        showError(error, e);
      }
    });
  });

  panel.append(error, list, form);
  if (ctx.page.aliases) draw(ctx.page.aliases);
  else {
    draw([]);
    try {
      await load();
    } catch (e) {
      clear(list, h('li', { class: 'empty-item' }, 'The aliases could not be listed.'));
      showError(error, e);
    }
  }
}

/* ---------- tags ---------- */

async function tagsTab(ctx, panel) {
  const error = alertBox('tag-error');
  const holder = h('div', { id: 'tag-list' });
  const key = h('input', { id: 'tag-key', type: 'text', maxlength: '128', autocomplete: 'off', spellcheck: 'false' });
  const value = h('input', { id: 'tag-value', type: 'text', maxlength: '256', autocomplete: 'off', spellcheck: 'false' });
  const add = h('button', { type: 'submit', id: 'tag-add', class: 'primary' }, 'Add tag');

  const run = latestOnly();
  const load = () => run(() => kmsAll('ListResourceTags', { KeyId: ctx.meta.KeyId }, 'Tags'), (all) => {
    clear(holder, table({
      id: 'tag-table',
      columns: [
        { label: 'Tag key', value: (t) => t.TagKey, sort: (t) => t.TagKey },
        { label: 'Tag value', value: (t) => t.TagValue, sort: (t) => t.TagValue },
        {
          label: 'Actions',
          value: (t) => h('button', {
            type: 'button', class: 'tag-remove danger small', 'aria-label': `Remove tag ${t.TagKey}`,
            on: { click: (ev) => remove(t, ev.currentTarget) },
          }, 'Remove'),
        },
      ],
      rows: all,
      rowAttrs: (t) => ({ 'data-tag-key': t.TagKey }),
      empty: 'This key has no tags. Add one below to label the key for filtering, cost reports and tag-based (ABAC) policies.',
    }));
  });
  const remove = async (t, button) => {
    clearError(error);
    button.disabled = true;
    try {
      await kms('UntagResource', { KeyId: ctx.meta.KeyId, TagKeys: [t.TagKey] });
      toast(`Tag ${t.TagKey} removed.`);
      await load();
      key.focus();
    } catch (e) {
      button.disabled = false;
      showError(error, e);
    }
  };
  const form = h('form', { class: 'inline-form', novalidate: true }, field('Tag key', key), field('Tag value', value, 'May be empty.'), add);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearError(error);
    busy(add, async () => {
      try {
        await kms('TagResource', { KeyId: ctx.meta.KeyId, Tags: [{ TagKey: key.value.trim(), TagValue: value.value }] });
        toast(`Tag ${key.value.trim()} saved.`);
        key.value = '';
        value.value = '';
      } catch (e) {
        showError(error, e);
        return;
      }
      try {
        await load();
      } catch (e) {
        showError(error, e);
      }
      key.focus();
    });
  });

  panel.append(error, holder, h('h3', {}, 'Add or change a tag'),
    h('p', { class: 'note' }, 'A tag with a key the key already has replaces its value.'), form);
  try {
    await load();
  } catch (e) {
    showError(error, e);
  }
}

/* ---------- rotation ---------- */

async function rotationTab(ctx, panel) {
  const meta = ctx.meta;
  if (!isSymmetric(meta)) {
    panel.append(h('p', { class: 'empty' },
      `Rotation is not supported for this key spec (${meta.KeySpec}): automatic and on-demand rotation are for symmetric encryption keys only. To replace this key, create a new one and move its alias.`));
    return;
  }
  const error = alertBox('rotation-error');
  const enabled = h('input', { id: 'rotation-enabled', type: 'checkbox' });
  const period = h('input', { id: 'rotation-period', type: 'number', min: '90', max: '2560', step: '1', value: '365', inputmode: 'numeric' });
  const save = h('button', { type: 'button', id: 'rotation-save', class: 'primary', disabled: true }, 'Save rotation settings');
  const now = h('button', { type: 'button', id: 'rotate-now' }, 'Rotate now');
  const statusEl = h('dl', { class: 'details rotation-status' });
  const history = h('div', { id: 'rotation-history', 'aria-live': 'polite' });
  let loaded = false;

  const syncPeriod = () => {
    period.disabled = !enabled.checked;
  };
  enabled.addEventListener('change', syncPeriod);

  const drawStatus = (s) => {
    clear(statusEl,
      h('dt', {}, 'Automatic rotation'), h('dd', {}, s.KeyRotationEnabled ? 'Enabled' : 'Disabled'),
      h('dt', {}, 'Rotation period'), h('dd', {}, s.RotationPeriodInDays ? `${s.RotationPeriodInDays} days` : '—'),
      h('dt', {}, 'Next rotation'), h('dd', {}, fmtTime(s.NextRotationDate) || '—'),
      h('dt', {}, 'On-demand rotation started'), h('dd', {}, fmtTime(s.OnDemandRotationStartDate) || 'No on-demand rotation in progress'));
  };
  const runStatus = latestOnly();
  const runHistory = latestOnly();
  const loadStatus = () => runStatus(() => kms('GetKeyRotationStatus', { KeyId: ctx.meta.KeyId }), (s) => {
    if (!loaded) {
      enabled.checked = !!s.KeyRotationEnabled;
      period.value = String(s.RotationPeriodInDays || 365);
      syncPeriod();
    }
    loaded = true;
    save.disabled = false;
    drawStatus(s);
  });
  const loadHistory = () => runHistory(() => kmsAll('ListKeyRotations', { KeyId: ctx.meta.KeyId }, 'Rotations'), (all) => {
    all.sort((a, b) => Number(b.RotationDate || 0) - Number(a.RotationDate || 0));
    clear(history, table({
      id: 'rotation-history-table',
      columns: [
        { label: 'Key material ID', value: (r) => h('code', {}, r.KeyMaterialId || '—') },
        { label: 'Rotation date', value: (r) => fmtTime(r.RotationDate), sort: (r) => Number(r.RotationDate || 0) },
        { label: 'Rotation type', value: (r) => r.RotationType || '', sort: (r) => r.RotationType || '' },
      ],
      rows: all,
      empty: 'The key has not been rotated yet. Turn on automatic rotation above, or rotate it now.',
    }));
  });

  save.addEventListener('click', () => busy(save, async () => {
    clearError(error);
    try {
      if (enabled.checked) {
        await kms('EnableKeyRotation', { KeyId: ctx.meta.KeyId, RotationPeriodInDays: Number(period.value) });
        showInfo(error, `Automatic rotation is on, every ${period.value} days.`);
      } else {
        await kms('DisableKeyRotation', { KeyId: ctx.meta.KeyId });
        showInfo(error, 'Automatic rotation is off.');
      }
    } catch (e) {
      showError(error, e);
      return;
    }
    try {
      await loadStatus();
    } catch (e) {
      showError(error, e);
    }
  }));
  now.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Rotate the key material now',
      body: 'New key material becomes current for encryption at once. Earlier key material stays in the key and still decrypts what it encrypted. A key can be rotated on demand a limited number of times.',
      confirmLabel: 'Rotate now',
    });
    if (!ok) {
      now.focus();
      return;
    }
    clearError(error);
    await busy(now, async () => {
      try {
        await kms('RotateKeyOnDemand', { KeyId: ctx.meta.KeyId });
        toast('Key material rotated.');
      } catch (e) {
        showError(error, e);
        return;
      }
      try {
        await loadHistory();
        await loadStatus();
      } catch (e) {
        showError(error, e);
      }
    });
  });

  const form = h('fieldset', { class: 'rotation-form' }, h('legend', {}, 'Automatic rotation'),
    field('Rotate the key material automatically', enabled),
    field('Rotation period (days)', period, 'From 90 to 2560 days; 365 by default.'),
    h('div', { class: 'form-actions' }, save));
  panel.append(error, statusEl, form,
    h('div', { class: 'toolbar' }, now, h('span', { class: 'note' }, 'Rotates once, now, whether or not automatic rotation is on.')),
    h('h3', {}, 'Rotation history'), history);
  const results = await Promise.allSettled([loadStatus(), loadHistory()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) showError(error, failed.reason);
}

/* ---------- grants ---------- */

function constraintText(c) {
  if (!c) return '';
  const parts = [];
  for (const [kind, label] of [['EncryptionContextEquals', 'Context equals'], ['EncryptionContextSubset', 'Context includes']]) {
    if (c[kind]) parts.push(`${label}: ${Object.entries(c[kind]).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  return parts.join('; ');
}

async function grantsTab(ctx, panel) {
  const meta = ctx.meta;
  const error = alertBox('grant-error');
  const created = h('div', { id: 'grant-created', class: 'info', role: 'status', hidden: true });
  const holder = h('div', { id: 'grant-list' });
  const grantee = h('input', { id: 'grant-grantee', type: 'text', placeholder: 'arn:aws:iam::111122223333:role/app', autocomplete: 'off', spellcheck: 'false' });
  const name = h('input', { id: 'grant-name', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const retiree = h('input', { id: 'grant-retiree', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const context = h('textarea', { id: 'grant-context', rows: '3', placeholder: 'purpose=backup', spellcheck: 'false' });
  const kindSubset = h('input', { id: 'grant-context-subset', type: 'radio', name: 'grant-context-kind', value: 'EncryptionContextSubset', checked: true });
  const kindEquals = h('input', { id: 'grant-context-equals', type: 'radio', name: 'grant-context-kind', value: 'EncryptionContextEquals' });
  const create = h('button', { type: 'button', id: 'grant-create', class: 'primary' }, 'Create grant');
  const ops = grantOps(meta).map((op) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', class: 'grant-op', value: op, name: 'grant-op' }), ` ${op}`));

  const run = latestOnly();
  const load = () => run(() => kmsAll('ListGrants', { KeyId: meta.KeyId }, 'Grants'), (all) => {
    const action = (g, label, cls, op) => h('button', {
      type: 'button', class: `${cls} small`, 'aria-label': `${label} grant ${g.Name || g.GrantId}`,
      on: {
        click: async (ev) => {
          const button = ev.currentTarget;
          const ok = await confirmDialog({
            title: `${label} grant`,
            body: `${label} the grant ${g.Name ? `"${g.Name}" ` : ''}(${g.GrantId})? Its grantee loses the permissions it gives, and it cannot be restored.`,
            confirmLabel: `${label} grant`,
            danger: true,
          });
          if (!ok) {
            button.focus();
            return;
          }
          clearError(error);
          try {
            await kms(op, { KeyId: op === 'RetireGrant' ? meta.Arn : meta.KeyId, GrantId: g.GrantId });
            toast(`Grant ${g.Name || g.GrantId} ${label === 'Retire' ? 'retired' : 'revoked'}.`);
          } catch (e) {
            showError(error, e);
            return;
          }
          try {
            await load();
          } catch (e) {
            showError(error, e);
          }
        },
      },
    }, label);
    clear(holder, table({
      id: 'grant-table',
      columns: [
        { label: 'Name', value: (g) => g.Name || '—', sort: (g) => g.Name || '' },
        { label: 'Grant ID', value: (g) => h('code', { class: 'grant-id' }, g.GrantId) },
        { label: 'Grantee principal', value: (g) => h('code', {}, g.GranteePrincipal || '—'), sort: (g) => g.GranteePrincipal || '' },
        { label: 'Retiring principal', value: (g) => (g.RetiringPrincipal ? h('code', {}, g.RetiringPrincipal) : '—') },
        { label: 'Operations', value: (g) => (g.Operations || []).join(', ') },
        { label: 'Constraints', value: (g) => constraintText(g.Constraints) || '—' },
        { label: 'Created', value: (g) => fmtTime(g.CreationDate), sort: (g) => Number(g.CreationDate || 0) },
        {
          label: 'Actions',
          value: (g) => h('span', { class: 'row-actions' },
            action(g, 'Retire', 'grant-retire', 'RetireGrant'), action(g, 'Revoke', 'grant-revoke danger', 'RevokeGrant')),
        },
      ],
      rows: all,
      rowAttrs: (g) => ({ 'data-grant-id': g.GrantId }),
      empty: 'This key has no grants. Create one below to let a principal use the key for some operations without changing the key policy.',
    }));
  });

  create.addEventListener('click', () => busy(create, async () => {
    clearError(error);
    const body = {
      KeyId: meta.KeyId,
      GranteePrincipal: grantee.value.trim(),
      Operations: [...panel.querySelectorAll('input.grant-op:checked')].map((c) => c.value),
    };
    if (name.value.trim()) body.Name = name.value.trim();
    if (retiree.value.trim()) body.RetiringPrincipal = retiree.value.trim();
    try {
      const ctxValue = parseContext(context.value);
      if (Object.keys(ctxValue).length) body.Constraints = { [kindEquals.checked ? 'EncryptionContextEquals' : 'EncryptionContextSubset']: ctxValue };
    } catch (e) {
      showError(error, e);
      context.focus();
      return;
    }
    let r;
    try {
      r = await kms('CreateGrant', body);
    } catch (e) {
      showError(error, e);
      return;
    }
    clear(created,
      h('p', {}, h('strong', {}, 'Grant created. '), 'The grant token is shown only now: copy it if a client needs to use the grant before it is eventually consistent.'),
      h('dl', { class: 'details' },
        h('dt', {}, 'Grant ID'), h('dd', {}, h('code', { id: 'grant-created-id' }, r.GrantId || '')),
        h('dt', {}, 'Grant token'), h('dd', {}, h('code', { id: 'grant-created-token', class: 'token' }, r.GrantToken || ''))),
      h('button', { type: 'button', class: 'small', on: { click: () => { created.hidden = true; } } }, 'Dismiss'));
    created.hidden = false;
    for (const c of panel.querySelectorAll('input.grant-op')) c.checked = false;
    grantee.value = '';
    name.value = '';
    retiree.value = '';
    context.value = '';
    try {
      await load();
    } catch (e) {
      showError(error, e);
    }
  }));

  panel.append(error, created, holder,
    h('h3', {}, 'Create a grant'),
    h('div', { class: 'form-grid grant-form' },
      field('Grantee principal (ARN)', grantee, 'The principal that may use the key.'),
      field('Name (optional)', name, 'Creating a grant with the same name and settings again does not make a new one.'),
      field('Retiring principal (optional ARN)', retiree, 'A principal that may retire the grant.'),
      h('fieldset', {}, h('legend', {}, 'Operations'), h('div', { class: 'checks' }, ...ops)),
      h('fieldset', {}, h('legend', {}, 'Encryption context constraint (optional)'),
        field('Encryption context (key=value lines)', context),
        h('div', { class: 'checks', role: 'radiogroup', 'aria-label': 'How the context must match' },
          h('label', { class: 'check', for: 'grant-context-subset' }, kindSubset, ' The request\'s context includes these pairs (subset)'),
          h('label', { class: 'check', for: 'grant-context-equals' }, kindEquals, ' The request\'s context is exactly these pairs (equals)')))),
    h('div', { class: 'form-actions' }, create));
  try {
    await load();
  } catch (e) {
    clear(holder, h('p', { class: 'empty' }, 'The grants could not be listed.'));
    showError(error, e);
  }
}

/* ---------- imported key material ---------- */

function materialTab(ctx, panel) {
  const error = alertBox('material-error');
  const info = h('div', { id: 'material-info', class: 'info', role: 'status', hidden: true });
  const state = h('dl', { id: 'material-state', class: 'details' });
  const algorithm = h('select', { id: 'material-wrapping-algorithm' }, ...WRAPPING_ALGORITHMS.map((v) => h('option', { value: v }, v)));
  const spec = h('select', { id: 'material-wrapping-spec' }, ...WRAPPING_SPECS.map((v) => h('option', { value: v }, v)));
  const getParams = h('button', { type: 'button', id: 'material-get-parameters' }, 'Download wrapping key and import token');
  const file = h('input', { id: 'material-file', type: 'file' });
  const token = h('input', { id: 'material-token-file', type: 'file' });
  const expires = h('input', { id: 'material-expires', type: 'checkbox' });
  const validTo = h('input', { id: 'material-valid-to', type: 'datetime-local', disabled: true });
  const importBtn = h('button', { type: 'button', id: 'material-import', class: 'primary' }, 'Import key material');
  const del = h('button', { type: 'button', id: 'material-delete', class: 'danger' }, 'Delete key material');

  const drawState = (meta) => {
    const none = meta.KeyState === 'PendingImport';
    clear(state,
      h('dt', {}, 'Key state'), h('dd', {}, h('span', { class: `badge state-${meta.KeyState}` }, meta.KeyState || '')),
      h('dt', {}, 'Key material'), h('dd', {}, none ? 'No key material: the key is unusable until you import it.' : 'Imported'),
      h('dt', {}, 'Expiration model'), h('dd', {}, dash(meta.ExpirationModel)),
      h('dt', {}, 'Valid to'), h('dd', {}, meta.ValidTo ? fmtTime(meta.ValidTo) : none ? '—' : 'Does not expire'),
      meta.CurrentKeyMaterialId ? [h('dt', {}, 'Current key material ID'), h('dd', {}, h('code', {}, meta.CurrentKeyMaterialId))] : null);
    del.disabled = none;
  };
  expires.addEventListener('change', () => {
    validTo.disabled = !expires.checked;
    if (expires.checked) validTo.focus();
  });

  getParams.addEventListener('click', () => busy(getParams, async () => {
    clearError(error);
    info.hidden = true;
    try {
      const id = ctx.meta.KeyId;
      const r = await kms('GetParametersForImport', { KeyId: id, WrappingAlgorithm: algorithm.value, WrappingKeySpec: spec.value });
      download(`wrapping-key-${id}.der`, b64decode(r.PublicKey), 'application/octet-stream');
      download(`import-token-${id}.bin`, b64decode(r.ImportToken), 'application/octet-stream');
      showInfo(info, `Downloaded wrapping-key-${id}.der (the public wrapping key, DER) and import-token-${id}.bin. Wrap your key material with ${algorithm.value} and import it with this token before ${fmtTime(r.ParametersValidTo)}.`);
    } catch (e) {
      showError(error, e);
    }
  }));

  importBtn.addEventListener('click', () => busy(importBtn, async () => {
    clearError(error);
    info.hidden = true;
    if (!file.files?.length || !token.files?.length) {
      showError(error, new Error('Choose the file with the encrypted key material and the import token file.'));
      (file.files?.length ? token : file).focus();
      return;
    }
    const body = { KeyId: ctx.meta.KeyId };
    try {
      body.EncryptedKeyMaterial = b64encode(new Uint8Array(await file.files[0].arrayBuffer()));
      body.ImportToken = b64encode(new Uint8Array(await token.files[0].arrayBuffer()));
    } catch (e) {
      showError(error, e);
      return;
    }
    if (expires.checked) {
      const t = validTo.value ? new Date(validTo.value).getTime() : NaN;
      if (Number.isNaN(t)) {
        showError(error, new Error('Choose the date and time the key material expires, or clear "Key material expires".'));
        validTo.focus();
        return;
      }
      body.ExpirationModel = 'KEY_MATERIAL_EXPIRES';
      body.ValidTo = Math.floor(t / 1000);
    } else {
      body.ExpirationModel = 'KEY_MATERIAL_DOES_NOT_EXPIRE';
    }
    try {
      await kms('ImportKeyMaterial', body);
      showInfo(info, 'Key material imported.');
      toast('Key material imported.');
    } catch (e) {
      showError(error, e);
      return;
    }
    try {
      await ctx.reload();
    } catch (e) {
      showError(error, e);
    }
  }));

  del.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Delete imported key material',
      body: 'The key becomes PendingImport and unusable at once. Data encrypted under it can be decrypted again only if you import the very same key material.',
      confirmLabel: 'Delete key material',
      danger: true,
    });
    if (!ok) {
      del.focus();
      return;
    }
    clearError(error);
    info.hidden = true;
    await busy(del, async () => {
      try {
        await kms('DeleteImportedKeyMaterial', { KeyId: ctx.meta.KeyId });
        toast('Key material deleted.');
      } catch (e) {
        showError(error, e);
      }
    });
    try {
      await ctx.reload();
    } catch (e) {
      showError(error, e);
    }
  });

  panel.append(
    error, info, state,
    h('section', { class: 'material-step' },
      h('h3', {}, '1. Download the wrapping public key and an import token'),
      h('div', { class: 'inline-form' }, field('Wrapping algorithm', algorithm), field('Wrapping key spec', spec), getParams)),
    h('section', { class: 'material-step' },
      h('h3', {}, '2. Import the wrapped key material'),
      h('div', { class: 'form-grid' },
        field('Encrypted key material', file, 'Your key material, wrapped with the downloaded public key.'),
        field('Import token', token, 'The import token file downloaded with that public key.'),
        field('Key material expires', expires),
        field('Expires at (your local time)', validTo)),
      h('div', { class: 'form-actions' }, importBtn)),
    h('section', { class: 'material-step' },
      h('h3', {}, 'Delete the key material'),
      h('p', { class: 'note' }, 'Deleting the key material makes the key unusable until you import the same material again.'),
      del));
  drawState(ctx.meta);
  return drawState;
}

/* ---------- public key ---------- */

async function publicKeyTab(ctx, panel) {
  const error = alertBox('public-key-error');
  const pemEl = h('pre', { id: 'public-key-pem', class: 'wrap' });
  const facts = h('dl', { class: 'details' });
  const downloadBtn = h('button', { type: 'button', id: 'public-key-download', disabled: true }, 'Download public key (PEM)');
  const copyBtn = h('button', { type: 'button', id: 'public-key-copy', disabled: true }, 'Copy');
  let pem = '';
  downloadBtn.addEventListener('click', () => download(`${ctx.meta.KeyId}-public.pem`, pem, 'application/x-pem-file'));
  copyBtn.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(pem);
      toast('Public key copied.');
    } catch (e) {
      showError(error, new Error('The browser did not allow copying; select the text instead.'));
    }
  });
  panel.append(error, facts, pemEl, h('div', { class: 'toolbar' }, downloadBtn, copyBtn));
  try {
    const r = await kms('GetPublicKey', { KeyId: ctx.meta.KeyId });
    pem = toPem(r.PublicKey);
    pemEl.textContent = pem;
    downloadBtn.disabled = false;
    copyBtn.disabled = false;
    const rows = [
      ['Key spec', r.KeySpec || r.CustomerMasterKeySpec], ['Key usage', r.KeyUsage],
      ['Encryption algorithms', joinList(r.EncryptionAlgorithms)], ['Signing algorithms', joinList(r.SigningAlgorithms)],
      ['Key agreement algorithms', joinList(r.KeyAgreementAlgorithms)],
      ['Key encapsulation algorithms', joinList(r.KeyEncapsulationAlgorithms || r.EncapsulationAlgorithms)],
    ].filter(([, v]) => v);
    clear(facts, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  } catch (e) {
    pemEl.textContent = 'The public key could not be read.';
    showError(error, e);
  }
}

/* ---------- multi-Region ---------- */

function replicasTab(ctx, panel) {
  const error = alertBox('replica-error');
  const body = h('div', { class: 'replicas-body' });
  const region = h('select', { id: 'replica-region' });
  const create = h('button', { type: 'button', id: 'replica-create', class: 'primary' }, 'Create replica key');
  const form = h('div', { class: 'inline-form' }, field('Replica Region', region), create);

  const draw = (meta) => {
    const cfg = meta.MultiRegionConfiguration || {};
    const rows = [
      ...(cfg.PrimaryKey ? [{ ...cfg.PrimaryKey, role: 'Primary' }] : []),
      ...(cfg.ReplicaKeys || []).map((r) => ({ ...r, role: 'Replica' })),
    ];
    const used = new Set(rows.map((r) => r.Region));
    const free = (session.current?.regions || []).filter((r) => !used.has(r));
    const chosen = region.value;
    clear(region, ...free.map((r) => h('option', { value: r }, r)));
    if (free.includes(chosen)) region.value = chosen;
    const primary = cfg.MultiRegionKeyType === 'PRIMARY';
    form.hidden = !primary;
    region.disabled = create.disabled = !free.length;
    clear(body,
      h('p', {}, primary
        ? 'This is the primary key of a set of multi-Region keys: replicas share its key material and key ID in other Regions.'
        : `This is a replica key; its primary key is in ${cfg.PrimaryKey?.Region || 'another Region'}. Replicas are created from the primary key.`),
      table({
        id: 'replica-table',
        columns: [
          { label: 'Role', value: (r) => r.role },
          { label: 'Region', value: (r) => r.Region, sort: (r) => r.Region },
          { label: 'ARN', value: (r) => h('code', {}, r.Arn) },
          { label: '', value: (r) => (r.Arn === meta.Arn ? h('span', { class: 'badge' }, 'This key') : '') },
        ],
        rows,
        rowAttrs: (r) => ({ 'data-region': r.Region }),
        empty: 'No related multi-Region keys are known.',
      }),
      primary && !free.length ? h('p', { class: 'note' }, 'Every Region this server serves has a key of this set already.') : null,
      primary && free.length && !(cfg.ReplicaKeys || []).length ? h('p', { class: 'note' }, 'No replicas yet: choose a Region below and create one.') : null);
  };

  create.addEventListener('click', async () => {
    clearError(error);
    const target = region.value;
    create.disabled = true;
    try {
      await kms('ReplicateKey', { KeyId: ctx.meta.KeyId, ReplicaRegion: target });
      toast(`Replica key created in ${target}.`);
      showInfo(error, `Replica key created in ${target}.`);
      await ctx.reload();
    } catch (e) {
      showError(error, e);
    } finally {
      draw(ctx.meta);
    }
  });

  panel.append(error, body, form);
  draw(ctx.meta);
  return draw;
}

const TABS = {
  general: generalTab,
  policy: policyTab,
  aliases: aliasesTab,
  tags: tagsTab,
  rotation: rotationTab,
  grants: grantsTab,
  material: materialTab,
  'public-key': publicKeyTab,
  replicas: replicasTab,
};
