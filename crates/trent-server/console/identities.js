// The identities page (#/identities): the account's users and roles, their inline policies and access keys (never secrets).
import { admin, h, clear, alertBox, showError, clearError, table, fmtTime, prettyJson } from './core.js';

export function routes(register) {
  register('/identities', render);
}

const policyBlocks = (docs) => Object.entries(docs || {}).map(([name, text]) => {
  let pretty = text;
  try {
    pretty = prettyJson(JSON.parse(text));
  } catch {
    /* as stored */
  }
  return h('details', {}, h('summary', {}, `Policy ${name}`), h('pre', { class: 'code' }, pretty));
});

async function details(kind, item) {
  const out = h('div', { class: 'identity-details' });
  try {
    const full = kind === 'user' ? (await admin('GetUser', { UserName: item.UserName })).User : (await admin('GetRole', { RoleName: item.RoleName })).Role;
    out.append(...policyBlocks(full.PolicyDocuments || item.PolicyDocuments));
    if ((full.Policies || []).length === 0) out.append(h('p', {}, 'No inline policies.'));
    if (kind === 'role' && full.AssumeRolePolicyDocument) {
      out.append(...policyBlocks({ 'trust policy': full.AssumeRolePolicyDocument }));
    }
    if (kind === 'user') {
      const keys = await admin('ListAccessKeys', { UserName: item.UserName });
      out.append(h('h4', {}, 'Access keys'), h('ul', {}, ...(keys.AccessKeyMetadata || []).map((k) =>
        h('li', {}, h('code', {}, k.AccessKeyId), ` ${k.Status}${k.CreateDate ? ', created ' + fmtTime(k.CreateDate) : ''}`))));
    }
  } catch (e) {
    const box = alertBox(null);
    out.append(box);
    showError(box, e);
  }
  return out;
}

async function render(params, container) {
  const error = alertBox('identities-error');
  const users = h('div', { id: 'identities-users' });
  const roles = h('div', { id: 'identities-roles' });
  container.append(error, h('h2', {}, 'Users'), users, h('h2', {}, 'Roles'), roles);
  const expandable = (kind) => (item) => {
    const cell = h('div', {});
    const button = h('button', {
      type: 'button', class: 'small', 'aria-expanded': 'false',
      on: {
        click: async () => {
          const open = button.getAttribute('aria-expanded') === 'true';
          button.setAttribute('aria-expanded', String(!open));
          button.textContent = open ? 'Show policies' : 'Hide policies';
          clear(cell);
          if (!open) cell.append(await details(kind, item));
        },
      },
    }, 'Show policies');
    return h('div', {}, button, cell);
  };
  clearError(error);
  try {
    const u = await admin('ListUsers', {});
    clear(users, table({
      id: 'users-table',
      columns: [
        { label: 'User', value: (x) => x.UserName, sort: (x) => x.UserName },
        { label: 'ARN', value: (x) => h('code', {}, x.Arn) },
        { label: 'Created', value: (x) => fmtTime(x.CreateDate), sort: (x) => x.CreateDate },
        { label: 'Tags', value: (x) => (x.Tags || []).map((t) => `${t.Key}=${t.Value}`).join(', ') },
        { label: 'Policies and keys', value: expandable('user') },
      ],
      rows: u.Users || [],
      empty: 'No IAM users. Add them in the config file or with `trent admin create-user`.',
    }));
    const r = await admin('ListRoles', {});
    clear(roles, table({
      id: 'roles-table',
      columns: [
        { label: 'Role', value: (x) => x.RoleName, sort: (x) => x.RoleName },
        { label: 'ARN', value: (x) => h('code', {}, x.Arn) },
        { label: 'Max session (s)', value: (x) => String(x.MaxSessionDuration || '') },
        { label: 'Policies', value: expandable('role') },
      ],
      rows: r.Roles || [],
      empty: 'No roles.',
    }));
  } catch (e) {
    showError(error, e);
  }
}
