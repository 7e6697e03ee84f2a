// The identities page (#/identities): users and roles with their inline policies and access keys, read from the admin API.
import { admin, h, clear, alertBox, showError, table, fmtTime, prettyJson, errorText } from './core.js';

export function routes(register) {
  register('/identities', renderIdentities);
}

function policyText(doc) {
  let text = doc ?? '';
  if (typeof text === 'string' && /^%7B/i.test(text.trim())) {
    try {
      text = decodeURIComponent(text);
    } catch {
      /* keep as is */
    }
  }
  return prettyJson(text);
}

function tagsText(tags) {
  return (tags || []).map((t) => `${t.Key}=${t.Value ?? ''}`).join(', ');
}

function emptyTable(id, headers, text) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id },
      h('thead', {}, h('tr', {}, headers.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, h('tr', { class: 'empty-row' }, h('td', { colspan: String(headers.length) }, text))),
    ),
  );
}

function policyBlock(name, doc) {
  return h('div', { class: 'policy-block' }, h('h4', {}, name), h('pre', { class: 'json', tabindex: '0' }, policyText(doc)));
}

/** The expanded content of a user or a role. */
async function loadDetail(kind, item, host) {
  const parts = [];
  clear(host, h('p', { class: 'loading' }, 'Loading…'));
  let full = item;
  if (!item.PolicyDocuments && (item.Policies || []).length) {
    try {
      const res = kind === 'user' ? await admin('GetUser', { UserName: item.UserName }) : await admin('GetRole', { RoleName: item.RoleName });
      full = (kind === 'user' ? res.User : res.Role) || item;
    } catch (e) {
      parts.push(h('div', { class: 'alert', role: 'alert' }, 'Inline policies could not be read: ' + errorText(e)));
    }
  }
  const names = full.Policies || Object.keys(full.PolicyDocuments || {});
  const docs = full.PolicyDocuments || {};
  parts.push(h('h3', {}, 'Inline policies'));
  if (!names.length) parts.push(h('p', { class: 'muted' }, 'No inline policies.'));
  for (const name of names) {
    if (name in docs) parts.push(policyBlock(name, docs[name]));
    else parts.push(h('div', { class: 'policy-block' }, h('h4', {}, name), h('p', { class: 'muted' }, 'Document not available.')));
  }
  if (kind === 'role') {
    parts.push(h('h3', {}, 'Trust policy'));
    parts.push(
      full.AssumeRolePolicyDocument
        ? h('pre', { class: 'json', tabindex: '0' }, policyText(full.AssumeRolePolicyDocument))
        : h('p', { class: 'muted' }, 'No trust policy.'),
    );
    if (full.MaxSessionDuration) parts.push(h('p', {}, `Maximum session duration: ${full.MaxSessionDuration} seconds.`));
  }
  if (kind === 'user') {
    parts.push(h('h3', {}, 'Access keys'));
    try {
      const res = await admin('ListAccessKeys', { UserName: item.UserName });
      const keys = res.AccessKeyMetadata || [];
      parts.push(
        keys.length
          ? h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'access-keys' },
                h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Access key ID'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Created'))),
                h(
                  'tbody',
                  {},
                  keys.map((k) =>
                    h(
                      'tr',
                      {},
                      h('td', { class: 'mono' }, k.AccessKeyId),
                      h('td', {}, h('span', { class: ['badge', k.Status === 'Active' ? 'badge-ok' : 'badge-off'] }, k.Status || '')),
                      h('td', {}, fmtTime(k.CreateDate)),
                    ),
                  ),
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'No access keys.'),
      );
    } catch (e) {
      parts.push(h('div', { class: 'alert', role: 'alert' }, 'Access keys could not be listed: ' + errorText(e)));
    }
  }
  if ((full.Tags || []).length) {
    parts.push(h('h3', {}, 'Tags'), h('p', {}, tagsText(full.Tags)));
  }
  clear(host, parts);
}

/** A users or roles table whose rows expand to their details. */
function identityTable(kind, items) {
  const id = kind === 'user' ? 'identities-users' : 'identities-roles';
  const nameOf = (x) => (kind === 'user' ? x.UserName : x.RoleName);
  const headers = ['Name', 'ARN', 'Created', 'Inline policies', 'Tags'];
  if (!items.length) {
    return emptyTable(id, headers, kind === 'user' ? 'No users in this account yet. Create them with the admin API (trent admin).' : 'No roles in this account yet. Create them with the admin API (trent admin).');
  }
  let seq = 0;
  const toggle = (btn, item) => {
    const tr = btn.closest('tr');
    const open = btn.getAttribute('aria-expanded') === 'true';
    const detailId = btn.getAttribute('aria-controls');
    if (open) {
      document.getElementById(detailId)?.remove();
      btn.setAttribute('aria-expanded', 'false');
      return;
    }
    btn.setAttribute('aria-expanded', 'true');
    const host = h('div', { class: 'identity-detail-body' });
    const detail = h('tr', { id: detailId, class: 'identity-detail' }, h('td', { colspan: String(headers.length) }, host));
    tr.after(detail);
    loadDetail(kind, item, host);
  };
  return table({
    id,
    pageSize: 25,
    rows: items,
    rowAttrs: (x) => ({ 'data-name': nameOf(x), class: 'identity-row' }),
    columns: [
      {
        label: 'Name',
        sort: nameOf,
        value: (x) => {
          const btn = h(
            'button',
            {
              type: 'button',
              class: 'expand link-button',
              'aria-expanded': 'false',
              'aria-controls': `${id}-detail-${++seq}`,
              on: { click: () => toggle(btn, x) },
            },
            h('span', { class: 'expand-mark', 'aria-hidden': 'true' }),
            nameOf(x),
          );
          return btn;
        },
      },
      { label: 'ARN', sort: (x) => x.Arn, value: (x) => h('span', { class: 'mono' }, x.Arn) },
      { label: 'Created', sort: (x) => Number(x.CreateDate) || 0, value: (x) => fmtTime(x.CreateDate) },
      { label: 'Inline policies', sort: (x) => (x.Policies || []).length, value: (x) => ((x.Policies || []).length ? x.Policies.join(', ') : h('span', { class: 'muted' }, 'None')) },
      { label: 'Tags', value: (x) => tagsText(x.Tags) },
    ],
  });
}

async function renderIdentities(params, container) {
  const errorBox = alertBox('identities-error');
  const usersHost = h('div', {}, h('p', { class: 'loading' }, 'Loading users…'));
  const rolesHost = h('div', {}, h('p', { class: 'loading' }, 'Loading roles…'));
  const refreshBtn = h('button', { type: 'button', id: 'identities-refresh', on: { click: () => load() } }, 'Refresh');
  clear(
    container,
    h('div', { class: 'toolbar' }, refreshBtn, h('span', { class: 'muted' }, 'Users and roles of your account, read-only. Secrets are never shown.')),
    errorBox,
    h('section', { class: 'card', 'aria-labelledby': 'identities-users-h' }, h('h2', { id: 'identities-users-h' }, 'Users'), usersHost),
    h('section', { class: 'card', 'aria-labelledby': 'identities-roles-h' }, h('h2', { id: 'identities-roles-h' }, 'Roles'), rolesHost),
  );

  async function load() {
    refreshBtn.disabled = true;
    errorBox.hidden = true;
    const [users, roles] = await Promise.allSettled([admin('ListUsers', {}), admin('ListRoles', {})]);
    const errors = [];
    if (users.status === 'fulfilled') {
      const list = (users.value.Users || []).slice().sort((a, b) => a.UserName.localeCompare(b.UserName));
      clear(usersHost, identityTable('user', list));
    } else {
      errors.push(users.reason);
      clear(usersHost, emptyTable('identities-users', ['Name', 'ARN', 'Created', 'Inline policies', 'Tags'], 'Users could not be listed.'));
    }
    if (roles.status === 'fulfilled') {
      const list = (roles.value.Roles || []).slice().sort((a, b) => a.RoleName.localeCompare(b.RoleName));
      clear(rolesHost, identityTable('role', list));
    } else {
      errors.push(roles.reason);
      clear(rolesHost, emptyTable('identities-roles', ['Name', 'ARN', 'Created', 'Inline policies', 'Tags'], 'Roles could not be listed.'));
    }
    if (errors.length) {
      const texts = [...new Set(errors.map(errorText))];
      showError(errorBox, texts.length === 1 ? errors[0] : new Error(texts.join(' — ')));
    }
    refreshBtn.disabled = false;
  }
  await load();
}
