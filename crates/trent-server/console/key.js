// The key detail page (#/keys/:id): state actions and the tabs for configuration, policy, aliases, tags, rotation, grants, material, public key and replicas.
import {
  session, kms, kmsAll, h, clear, alertBox, showError, clearError, showInfo, toast, setTitle,
  prettyJson, table, download, b64encode, b64decode, fmtTime, field, confirmDialog,
} from './core.js';

const ADMIN_SID = 'Allow access for Key Administrators';
const USER_SID = 'Allow use of the key';

const GRANT_OPS = {
  SYMMETRIC: ['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair',
    'GenerateDataKeyPairWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  ASYMMETRIC_ENCRYPT: ['Encrypt', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  SIGN_VERIFY: ['Sign', 'Verify', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  GENERATE_VERIFY_MAC: ['GenerateMac', 'VerifyMac', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  KEY_AGREEMENT: ['DeriveSharedSecret', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
  KEY_ENCAPSULATION: ['Decapsulate', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant'],
};

function grantOps(meta) {
  if (meta.KeyUsage === 'ENCRYPT_DECRYPT') {
    return meta.KeySpec === 'SYMMETRIC_DEFAULT' ? GRANT_OPS.SYMMETRIC : GRANT_OPS.ASYMMETRIC_ENCRYPT;
  }
  return GRANT_OPS[meta.KeyUsage] || ['DescribeKey'];
}

const isAsymmetric = (meta) => meta.KeySpec && meta.KeySpec !== 'SYMMETRIC_DEFAULT' && !meta.KeySpec.startsWith('HMAC_');

/** Lines `key=value` → an object (empty lines skipped). */
export function parseContext(text) {
  const out = {};
  for (const line of String(text || '').split('\n')) {
    const t = line.trim();
    if (!t) continue;
    const i = t.indexOf('=');
    if (i < 0) out[t] = '';
    else out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

export function routes(register) {
  register('/keys/:id', render);
}

async function render(params, container) {
  const keyId = decodeURIComponent(params.id);
  const error = alertBox('key-error');
  const header = h('div', { class: 'key-header' });
  const actions = h('div', { class: 'key-actions' });
  const tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Key details' });
  const panel = h('div', { role: 'tabpanel', class: 'tab-panel', id: 'key-tab-panel' });
  container.append(header, error, actions, tablist, panel);
  let meta = null;
  let selected = 'general';

  const refresh = async () => {
    const d = await kms('DescribeKey', { KeyId: keyId });
    meta = d.KeyMetadata;
    drawHeader();
    drawActions();
    drawTabs();
  };

  const act = async (fn) => {
    clearError(error);
    try {
      await fn();
    } catch (e) {
      showError(error, e);
    }
    try {
      await refresh();
    } catch (e) {
      showError(error, e);
    }
  };

  const drawHeader = () => {
    setTitle(meta.Description ? `Key ${meta.KeyId}` : `Key ${meta.KeyId}`);
    const state = h('span', { id: 'key-state', class: `badge state-${meta.KeyState}` }, meta.KeyState);
    const desc = h('span', { id: 'key-description' }, meta.Description || '');
    const input = h('input', { id: 'description-input', type: 'text', value: meta.Description || '' });
    const editor = h('div', { class: 'inline-edit', hidden: true },
      field('New description', input),
      h('button', {
        type: 'button', id: 'description-save', class: 'primary',
        on: { click: () => act(() => kms('UpdateKeyDescription', { KeyId: meta.KeyId, Description: input.value })) },
      }, 'Save description'));
    clear(header,
      h('dl', { class: 'key-facts' },
        h('dt', {}, 'Key ID'), h('dd', {}, h('code', { id: 'key-id' }, meta.KeyId)),
        h('dt', {}, 'ARN'), h('dd', {}, h('code', { id: 'key-arn' }, meta.Arn)),
        h('dt', {}, 'Status'), h('dd', {}, state,
          meta.DeletionDate ? h('span', { class: 'note' }, ` deleted on ${fmtTime(meta.DeletionDate)}`) : null),
        h('dt', {}, 'Description'), h('dd', {}, desc, ' ',
          h('button', { type: 'button', id: 'key-edit-description', class: 'link',
            on: { click: () => { editor.hidden = !editor.hidden; if (!editor.hidden) input.focus(); } } }, 'Edit'))),
      editor);
  };

  const drawActions = () => {
    const s = meta.KeyState;
    const managed = meta.KeyManager === 'AWS';
    const button = (id, label, fn, show, cls) => {
      const b = h('button', { type: 'button', id, class: cls || '', on: { click: fn } }, label);
      b.hidden = !show || managed;
      return b;
    };
    clear(actions,
      button('key-enable', 'Enable', () => act(() => kms('EnableKey', { KeyId: meta.KeyId })), s === 'Disabled'),
      button('key-disable', 'Disable', () => act(() => kms('DisableKey', { KeyId: meta.KeyId })), s === 'Enabled'),
      button('key-schedule-deletion', 'Schedule key deletion', scheduleDeletion,
        s !== 'PendingDeletion' && s !== 'PendingReplicaDeletion', 'danger'),
      button('key-cancel-deletion', 'Cancel key deletion',
        () => act(async () => {
          await kms('CancelKeyDeletion', { KeyId: meta.KeyId });
          toast('Deletion cancelled. The key is disabled: enable it to use it again.');
        }), s === 'PendingDeletion'));
  };

  const scheduleDeletion = async () => {
    const days = h('input', { id: 'deletion-days', type: 'number', min: '7', max: '30', value: '30' });
    let answer = null;
    const ok = await confirmDialog({
      title: 'Schedule key deletion',
      body: h('div', {},
        h('p', {}, 'After the waiting period the key and its material are deleted, and data encrypted under it can never be decrypted.'),
        field('Waiting period (days, 7–30)', days)),
      confirmLabel: 'Schedule deletion',
      confirmId: 'deletion-confirm',
      danger: true,
      validate: () => {
        const n = Number(days.value);
        if (!Number.isInteger(n) || n < 7 || n > 30) return 'The waiting period is a whole number of days from 7 to 30.';
        answer = n;
        return null;
      },
    });
    if (ok) {
      await act(async () => {
        const r = await kms('ScheduleKeyDeletion', { KeyId: meta.KeyId, PendingWindowInDays: answer });
        toast(`Deletion scheduled for ${fmtTime(r.DeletionDate)}.`);
      });
    }
  };

  const tabs = () => {
    const list = ['general', 'policy', 'aliases', 'tags', 'rotation', 'grants'];
    if (meta.Origin === 'EXTERNAL') list.push('material');
    if (isAsymmetric(meta)) list.push('public-key');
    if (meta.MultiRegion) list.push('replicas');
    return list;
  };
  const LABELS = {
    general: 'General configuration', policy: 'Key policy', aliases: 'Aliases', tags: 'Tags', rotation: 'Rotation',
    grants: 'Grants', material: 'Key material', 'public-key': 'Public key', replicas: 'Regionality',
  };

  const drawTabs = () => {
    const list = tabs();
    if (!list.includes(selected)) selected = 'general';
    const buttons = list.map((t) => h('button', {
      type: 'button', role: 'tab', 'data-tab': t, id: `tab-${t}`, 'aria-controls': 'key-tab-panel',
      'aria-selected': String(t === selected), tabindex: t === selected ? '0' : '-1',
      on: {
        click: () => { selected = t; drawTabs(); },
        keydown: (ev) => {
          const i = list.indexOf(t);
          let next = null;
          if (ev.key === 'ArrowRight') next = list[(i + 1) % list.length];
          if (ev.key === 'ArrowLeft') next = list[(i + list.length - 1) % list.length];
          if (ev.key === 'Home') next = list[0];
          if (ev.key === 'End') next = list[list.length - 1];
          if (next) {
            ev.preventDefault();
            selected = next;
            drawTabs();
            document.getElementById(`tab-${next}`)?.focus();
          }
        },
      },
    }, LABELS[t]));
    clear(tablist, ...buttons);
    panel.setAttribute('aria-labelledby', `tab-${selected}`);
    clear(panel);
    const draw = TABS[selected];
    Promise.resolve(draw(meta, panel, refresh)).catch((e) => {
      const box = alertBox('tab-error');
      panel.append(box);
      showError(box, e);
    });
  };

  try {
    await refresh();
  } catch (e) {
    showError(error, e);
    container.append(h('p', {}, h('a', { href: '#/keys' }, 'Back to the keys list')));
  }
}

/* ---------- tabs ---------- */

function general(meta, panel) {
  const list = (v) => (Array.isArray(v) ? v.join(', ') : v);
  const rows = [
    ['Key spec', meta.KeySpec], ['Key usage', meta.KeyUsage], ['Origin', meta.Origin], ['Key manager', meta.KeyManager],
    ['Created', fmtTime(meta.CreationDate)], ['Enabled', String(meta.Enabled)], ['Multi-Region', String(!!meta.MultiRegion)],
    ['Encryption algorithms', list(meta.EncryptionAlgorithms)], ['Signing algorithms', list(meta.SigningAlgorithms)],
    ['MAC algorithms', list(meta.MacAlgorithms)], ['Key agreement algorithms', list(meta.KeyAgreementAlgorithms)],
    ['Custom key store', meta.CustomKeyStoreId], ['CloudHSM cluster', meta.CloudHsmClusterId],
    ['Expiration model', meta.ExpirationModel], ['Valid to', fmtTime(meta.ValidTo)],
    ['Deletion date', fmtTime(meta.DeletionDate)], ['Pending deletion window (days)', meta.PendingDeletionWindowInDays],
    ['Current key material', meta.CurrentKeyMaterialId], ['AWS account', meta.AWSAccountId],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');
  panel.append(h('dl', { class: 'details' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])));
}

async function policy(meta, panel) {
  const error = alertBox('policy-error');
  const r = await kms('GetKeyPolicy', { KeyId: meta.KeyId, PolicyName: 'default' });
  let text = r.Policy || '';
  try {
    text = prettyJson(JSON.parse(text));
  } catch {
    /* shown as stored */
  }
  const editor = h('textarea', { id: 'policy-editor', rows: '24', spellcheck: 'false', class: 'code' });
  editor.value = text;
  const defaultView = h('div', { id: 'policy-default-view', hidden: true });
  const drawDefault = () => {
    let doc = null;
    try {
      doc = JSON.parse(editor.value);
    } catch {
      clear(defaultView, h('p', {}, 'The policy in the editor is not valid JSON.'));
      return;
    }
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement].filter(Boolean);
    const principals = (sid) => statements.filter((s) => s.Sid === sid)
      .flatMap((s) => [].concat(s.Principal?.AWS || []));
    const admins = principals(ADMIN_SID);
    const users = principals(USER_SID);
    const root = statements.some((s) => s.Sid === 'Enable IAM User Permissions');
    const section = (title, names) => h('section', {}, h('h3', {}, title),
      names.length ? h('ul', {}, ...names.map((n) => h('li', {}, h('code', {}, n)))) : h('p', {}, 'None.'));
    clear(defaultView,
      root ? h('p', {}, 'The account may allow access to this key with IAM policies.') : null,
      !root && !admins.length && !users.length ? h('p', {}, 'This policy is not in the default shape; read it in the JSON view.') : null,
      section('Key administrators', admins), section('Key users', users));
  };
  const toggle = h('button', {
    type: 'button', id: 'policy-view-toggle',
    on: {
      click: () => {
        const showDefault = defaultView.hidden;
        if (showDefault) drawDefault();
        defaultView.hidden = !showDefault;
        jsonView.hidden = showDefault;
        toggle.textContent = showDefault ? 'Edit as JSON' : 'Switch to default view';
      },
    },
  }, 'Switch to default view');
  const save = h('button', {
    type: 'button', id: 'policy-save', class: 'primary',
    on: {
      click: async () => {
        clearError(error);
        save.disabled = true;
        try {
          await kms('PutKeyPolicy', { KeyId: meta.KeyId, PolicyName: 'default', Policy: editor.value });
          toast('Key policy saved.');
          showInfo(error, 'Key policy saved.');
        } catch (e) {
          showError(error, e);
        } finally {
          save.disabled = false;
        }
      },
    },
  }, 'Save changes');
  const jsonView = h('div', {}, field('Key policy (JSON)', editor), h('div', { class: 'form-actions' }, save));
  panel.append(h('div', { class: 'toolbar' }, toggle), error, jsonView, defaultView);
}

async function aliases(meta, panel, refresh) {
  const error = alertBox('alias-error');
  const list = h('ul', { id: 'alias-list', class: 'plain-list' });
  const name = h('input', { id: 'alias-name', type: 'text', placeholder: 'alias/my-key' });
  const load = async () => {
    const all = await kmsAll('ListAliases', { KeyId: meta.KeyId }, 'Aliases');
    clear(list, ...(all.length ? all.map((a) => h('li', {}, h('code', {}, a.AliasName), ' ',
      a.AliasName.startsWith('alias/aws/') ? null : h('button', {
        type: 'button', class: 'alias-delete danger small',
        on: {
          click: async () => {
            if (!await confirmDialog({ title: 'Delete alias', body: `Delete ${a.AliasName}?`, confirmLabel: 'Delete', danger: true })) return;
            clearError(error);
            try {
              await kms('DeleteAlias', { AliasName: a.AliasName });
              await load();
            } catch (e) {
              showError(error, e);
            }
          },
        },
      }, 'Delete'))) : [h('li', { class: 'empty' }, 'No aliases. Add one below to refer to the key by name.')]));
  };
  const add = h('button', {
    type: 'button', id: 'alias-add', class: 'primary',
    on: {
      click: async () => {
        clearError(error);
        const v = name.value.trim();
        try {
          await kms('CreateAlias', { AliasName: v.startsWith('alias/') ? v : `alias/${v}`, TargetKeyId: meta.KeyId });
          name.value = '';
          await load();
        } catch (e) {
          showError(error, e);
        }
      },
    },
  }, 'Add alias');
  panel.append(error, list, h('div', { class: 'inline-form' }, field('Alias name', name), add));
  await load();
}

async function tags(meta, panel) {
  const error = alertBox('tag-error');
  const holder = h('div', { id: 'tag-list' });
  const key = h('input', { id: 'tag-key', type: 'text' });
  const value = h('input', { id: 'tag-value', type: 'text' });
  const load = async () => {
    const all = await kmsAll('ListResourceTags', { KeyId: meta.KeyId }, 'Tags');
    clear(holder, table({
      id: 'tags-table',
      columns: [
        { label: 'Key', value: (t) => t.TagKey, sort: (t) => t.TagKey },
        { label: 'Value', value: (t) => t.TagValue, sort: (t) => t.TagValue },
        {
          label: 'Remove',
          value: (t) => h('button', {
            type: 'button', class: 'tag-remove danger small',
            on: {
              click: async () => {
                clearError(error);
                try {
                  await kms('UntagResource', { KeyId: meta.KeyId, TagKeys: [t.TagKey] });
                  await load();
                } catch (e) {
                  showError(error, e);
                }
              },
            },
          }, `Remove ${t.TagKey}`),
        },
      ],
      rows: all,
      empty: 'No tags. Add one below to label the key for filtering and for tag-based policies.',
    }));
  };
  const add = h('button', {
    type: 'button', id: 'tag-add', class: 'primary',
    on: {
      click: async () => {
        clearError(error);
        try {
          await kms('TagResource', { KeyId: meta.KeyId, Tags: [{ TagKey: key.value.trim(), TagValue: value.value }] });
          key.value = '';
          value.value = '';
          await load();
        } catch (e) {
          showError(error, e);
        }
      },
    },
  }, 'Add tag');
  panel.append(error, holder, h('div', { class: 'inline-form' }, field('Tag key', key), field('Tag value', value), add));
  await load();
}

async function rotation(meta, panel) {
  const error = alertBox('rotation-error');
  if (meta.KeySpec !== 'SYMMETRIC_DEFAULT') {
    panel.append(h('p', {}, 'Automatic and on-demand rotation are supported for symmetric encryption keys only.'));
    return;
  }
  const status = await kms('GetKeyRotationStatus', { KeyId: meta.KeyId });
  const enabled = h('input', { id: 'rotation-enabled', type: 'checkbox' });
  enabled.checked = !!status.KeyRotationEnabled;
  const period = h('input', { id: 'rotation-period', type: 'number', min: '90', max: '2560', value: String(status.RotationPeriodInDays || 365) });
  const history = h('div', { id: 'rotation-history' });
  const loadHistory = async () => {
    const all = await kmsAll('ListKeyRotations', { KeyId: meta.KeyId }, 'Rotations');
    clear(history, table({
      id: 'rotations-table',
      columns: [
        { label: 'Rotation date', value: (r) => fmtTime(r.RotationDate), sort: (r) => r.RotationDate },
        { label: 'Type', value: (r) => r.RotationType, sort: (r) => r.RotationType },
        { label: 'Key material', value: (r) => r.KeyMaterialId || '' },
      ],
      rows: all.slice().reverse(),
      empty: 'The key has not been rotated yet. Rotate it now, or turn on automatic rotation.',
    }));
  };
  const save = h('button', {
    type: 'button', id: 'rotation-save', class: 'primary',
    on: {
      click: async () => {
        clearError(error);
        try {
          if (enabled.checked) await kms('EnableKeyRotation', { KeyId: meta.KeyId, RotationPeriodInDays: Number(period.value) });
          else await kms('DisableKeyRotation', { KeyId: meta.KeyId });
          showInfo(error, 'Rotation settings saved.');
        } catch (e) {
          showError(error, e);
        }
      },
    },
  }, 'Save rotation settings');
  const now = h('button', {
    type: 'button', id: 'rotate-now',
    on: {
      click: async () => {
        if (!await confirmDialog({ title: 'Rotate key material now', body: 'New key material becomes current; earlier material still decrypts.', confirmLabel: 'Rotate now' })) return;
        clearError(error);
        try {
          await kms('RotateKeyOnDemand', { KeyId: meta.KeyId });
          await loadHistory();
          toast('Key material rotated.');
        } catch (e) {
          showError(error, e);
        }
      },
    },
  }, 'Rotate now');
  panel.append(error,
    h('div', { class: 'inline-form' }, h('label', { class: 'check' }, enabled, ' Rotate automatically'),
      field('Rotation period (days)', period), save),
    h('p', {}, status.NextRotationDate ? `Next automatic rotation: ${fmtTime(status.NextRotationDate)}` : 'No automatic rotation is scheduled.'),
    status.OnDemandRotationStartDate ? h('p', {}, `On-demand rotation in progress since ${fmtTime(status.OnDemandRotationStartDate)}`) : null,
    h('div', { class: 'toolbar' }, now),
    h('h3', {}, 'Rotation history'), history);
  await loadHistory();
}

async function grants(meta, panel) {
  const error = alertBox('grant-error');
  const holder = h('div', { id: 'grant-list' });
  const grantee = h('input', { id: 'grant-grantee', type: 'text', placeholder: 'arn:aws:iam::111122223333:role/app' });
  const name = h('input', { id: 'grant-name', type: 'text' });
  const retiree = h('input', { id: 'grant-retiree', type: 'text' });
  const context = h('textarea', { id: 'grant-context', rows: '2', placeholder: 'purpose=backup' });
  const kind = h('select', { id: 'grant-context-kind' },
    h('option', { value: 'EncryptionContextSubset' }, 'Context includes'),
    h('option', { value: 'EncryptionContextEquals' }, 'Context equals'));
  const ops = grantOps(meta).map((op) => h('label', { class: 'check' }, h('input', { type: 'checkbox', class: 'grant-op', value: op }), ' ', op));
  const load = async () => {
    const all = await kmsAll('ListGrants', { KeyId: meta.KeyId }, 'Grants');
    const act = (label, cls, fn) => h('button', {
      type: 'button', class: `${cls} small`,
      on: {
        click: async () => {
          if (!await confirmDialog({ title: `${label} grant`, body: `${label} this grant? Its grantee loses the permissions it gives.`, confirmLabel: label, danger: true })) return;
          clearError(error);
          try {
            await fn();
            await load();
          } catch (e) {
            showError(error, e);
          }
        },
      },
    }, label);
    clear(holder, table({
      id: 'grants-table',
      columns: [
        { label: 'Name', value: (g) => g.Name || '', sort: (g) => g.Name || '' },
        { label: 'Grant ID', value: (g) => h('code', {}, g.GrantId) },
        { label: 'Grantee', value: (g) => g.GranteePrincipal || '', sort: (g) => g.GranteePrincipal || '' },
        { label: 'Retiring principal', value: (g) => g.RetiringPrincipal || '' },
        { label: 'Operations', value: (g) => (g.Operations || []).join(', ') },
        { label: 'Constraints', value: (g) => (g.Constraints ? JSON.stringify(g.Constraints) : '') },
        { label: 'Created', value: (g) => fmtTime(g.CreationDate), sort: (g) => g.CreationDate },
        {
          label: 'Actions',
          value: (g) => h('span', { class: 'row-actions' },
            act('Retire', 'grant-retire', () => kms('RetireGrant', { KeyId: meta.KeyArn || meta.Arn, GrantId: g.GrantId })),
            ' ',
            act('Revoke', 'grant-revoke danger', () => kms('RevokeGrant', { KeyId: meta.KeyId, GrantId: g.GrantId }))),
        },
      ],
      rows: all,
      rowAttrs: (g) => ({ 'data-grant-id': g.GrantId }),
      empty: 'No grants. Create one below to give a principal some operations on this key.',
    }));
  };
  const info = h('div', { id: 'grant-created', hidden: true });
  const create = h('button', {
    type: 'button', id: 'grant-create', class: 'primary',
    on: {
      click: async () => {
        clearError(error);
        const body = {
          KeyId: meta.KeyId,
          GranteePrincipal: grantee.value.trim(),
          Operations: [...panel.querySelectorAll('input.grant-op:checked')].map((c) => c.value),
        };
        if (name.value.trim()) body.Name = name.value.trim();
        if (retiree.value.trim()) body.RetiringPrincipal = retiree.value.trim();
        const ctx = parseContext(context.value);
        if (Object.keys(ctx).length) body.Constraints = { [kind.value]: ctx };
        try {
          const r = await kms('CreateGrant', body);
          showInfo(info, `Grant ${r.GrantId} created. Its grant token (shown once): ${r.GrantToken}`);
          await load();
        } catch (e) {
          showError(error, e);
        }
      },
    },
  }, 'Create grant');
  panel.append(error, info, holder,
    h('h3', {}, 'Create a grant'),
    h('div', { class: 'form-grid' },
      field('Grantee principal (ARN)', grantee), field('Name (optional)', name),
      field('Retiring principal (optional)', retiree),
      h('fieldset', {}, h('legend', {}, 'Operations'), h('div', { class: 'checks' }, ...ops)),
      field('Encryption context constraint (key=value lines, optional)', context), field('Constraint', kind)),
    h('div', { class: 'form-actions' }, create));
  await load();
}

async function material(meta, panel, refresh) {
  const error = alertBox('material-error');
  const state = h('p', { id: 'material-state' },
    meta.KeyState === 'PendingImport' ? 'No key material: import it to use the key.'
      : `Key material imported. ${meta.ExpirationModel || ''} ${meta.ValidTo ? 'valid to ' + fmtTime(meta.ValidTo) : ''}`);
  const algorithm = h('select', { id: 'material-wrapping-algorithm' },
    ...['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSAES_PKCS1_V1_5', 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'SM2PKE']
      .map((v) => h('option', { value: v }, v)));
  const spec = h('select', { id: 'material-wrapping-spec' },
    ...['RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2'].map((v) => h('option', { value: v }, v)));
  const paramsInfo = h('div', { hidden: true });
  const getParams = h('button', {
    type: 'button', id: 'material-get-parameters',
    on: {
      click: async () => {
        clearError(error);
        try {
          const r = await kms('GetParametersForImport', { KeyId: meta.KeyId, WrappingAlgorithm: algorithm.value, WrappingKeySpec: spec.value });
          download(`wrapping-key-${meta.KeyId}.der`, b64decode(r.PublicKey));
          download(`import-token-${meta.KeyId}.bin`, b64decode(r.ImportToken));
          showInfo(paramsInfo, `Wrapping key and import token downloaded; they are valid until ${fmtTime(r.ParametersValidTo)}.`);
        } catch (e) {
          showError(error, e);
        }
      },
    },
  }, 'Download wrapping key and import token');
  const file = h('input', { id: 'material-file', type: 'file' });
  const token = h('input', { id: 'material-token-file', type: 'file' });
  const expires = h('input', { id: 'material-expires', type: 'checkbox' });
  const validTo = h('input', { id: 'material-valid-to', type: 'datetime-local' });
  const bytesOf = async (input) => new Uint8Array(await input.files[0].arrayBuffer());
  const importButton = h('button', {
    type: 'button', id: 'material-import', class: 'primary',
    on: {
      click: async () => {
        clearError(error);
        try {
          if (!file.files.length || !token.files.length) throw new Error('Choose the encrypted key material and the import token files.');
          const body = {
            KeyId: meta.KeyId,
            EncryptedKeyMaterial: b64encode(await bytesOf(file)),
            ImportToken: b64encode(await bytesOf(token)),
            ExpirationModel: expires.checked ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          };
          if (expires.checked) body.ValidTo = Math.floor(new Date(validTo.value).getTime() / 1000);
          await kms('ImportKeyMaterial', body);
          toast('Key material imported.');
          await refresh();
        } catch (e) {
          showError(error, e);
        }
      },
    },
  }, 'Import key material');
  const del = h('button', {
    type: 'button', id: 'material-delete', class: 'danger',
    on: {
      click: async () => {
        if (!await confirmDialog({ title: 'Delete imported key material', body: 'The key becomes unusable until you import the same material again.', confirmLabel: 'Delete material', danger: true })) return;
        clearError(error);
        try {
          await kms('DeleteImportedKeyMaterial', { KeyId: meta.KeyId });
          await refresh();
        } catch (e) {
          showError(error, e);
        }
      },
    },
  }, 'Delete key material');
  panel.append(error, state,
    h('h3', {}, '1. Download the wrapping key and import token'),
    h('div', { class: 'inline-form' }, field('Wrapping algorithm', algorithm), field('Wrapping key spec', spec), getParams), paramsInfo,
    h('h3', {}, '2. Upload the wrapped key material'),
    h('div', { class: 'form-grid' }, field('Encrypted key material', file), field('Import token', token),
      h('label', { class: 'check' }, expires, ' Key material expires'), field('Valid to', validTo)),
    h('div', { class: 'form-actions' }, importButton, ' ', del));
}

async function publicKey(meta, panel) {
  const r = await kms('GetPublicKey', { KeyId: meta.KeyId });
  const body = (r.PublicKey || '').match(/.{1,64}/g) || [];
  const pem = `-----BEGIN PUBLIC KEY-----\n${body.join('\n')}\n-----END PUBLIC KEY-----\n`;
  panel.append(
    h('dl', { class: 'details' },
      h('dt', {}, 'Key spec'), h('dd', {}, r.KeySpec || ''), h('dt', {}, 'Key usage'), h('dd', {}, r.KeyUsage || ''),
      h('dt', {}, 'Algorithms'), h('dd', {}, [].concat(r.EncryptionAlgorithms || [], r.SigningAlgorithms || [], r.KeyAgreementAlgorithms || []).join(', '))),
    h('pre', { id: 'public-key-pem', class: 'code' }, pem),
    h('button', { type: 'button', id: 'public-key-download', on: { click: () => download(`${meta.KeyId}-public.pem`, pem, 'application/x-pem-file') } }, 'Download public key (PEM)'));
}

async function replicas(meta, panel, refresh) {
  const error = alertBox('replica-error');
  const cfg = meta.MultiRegionConfiguration || {};
  const rows = [].concat(cfg.PrimaryKey ? [{ ...cfg.PrimaryKey, role: 'Primary' }] : [], (cfg.ReplicaKeys || []).map((r) => ({ ...r, role: 'Replica' })));
  panel.append(error, h('p', {}, `This is a ${cfg.MultiRegionKeyType || 'multi-Region'} key.`), table({
    id: 'replicas-table',
    columns: [
      { label: 'Role', value: (r) => r.role }, { label: 'Region', value: (r) => r.Region, sort: (r) => r.Region },
      { label: 'ARN', value: (r) => h('code', {}, r.Arn) },
    ],
    rows,
    empty: 'No related keys.',
  }));
  if (cfg.MultiRegionKeyType === 'PRIMARY') {
    const used = new Set(rows.map((r) => r.Region));
    const region = h('select', { id: 'replica-region' },
      ...(session.current?.regions || []).filter((r) => !used.has(r)).map((r) => h('option', { value: r }, r)));
    const create = h('button', {
      type: 'button', id: 'replica-create', class: 'primary',
      on: {
        click: async () => {
          clearError(error);
          try {
            await kms('ReplicateKey', { KeyId: meta.KeyId, ReplicaRegion: region.value });
            toast(`Replica created in ${region.value}.`);
            await refresh();
          } catch (e) {
            showError(error, e);
          }
        },
      },
    }, 'Create replica');
    panel.append(h('div', { class: 'inline-form' }, field('Replica Region', region), create));
  }
}

const TABS = {
  general, policy, aliases, tags, rotation, grants, material, 'public-key': publicKey, replicas,
};
