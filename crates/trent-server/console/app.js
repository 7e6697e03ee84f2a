// The console's entry point: session check, sign-in page and re-sign-in dialog, nav, sign-out and the hash router.
import {
  session,
  setReauth,
  fetchSession,
  signIn,
  signOut,
  h,
  clear,
  alertBox,
  showError,
  clearError,
  field,
  register,
  resolveRoute,
  runLeaveHooks,
  setTitle,
  errorText,
} from './core.js';
import * as keysPage from './keys.js';
import * as overviewPage from './overview.js';
import * as identitiesPage from './identities.js';
import * as keyPage from './key.js';
import * as auditPage from './audit.js';
import * as workbenchPage from './workbench.js';

for (const mod of [overviewPage, keysPage, keyPage, auditPage, identitiesPage, workbenchPage]) {
  if (typeof mod.routes === 'function') mod.routes(register);
}

/** The default #page-title of each route (a page may change it with setTitle). */
const TITLES = {
  '/overview': 'Overview',
  '/keys': 'Keys',
  '/create': 'Create key',
  '/keys/:id': 'Key',
  '/audit': 'Audit trail',
  '/identities': 'Identities',
  '/workbench': 'Workbench',
};

const $ = (id) => document.getElementById(id);
let renderSeq = 0;

/* ---------- signed-in shell ---------- */

function showShell(signedIn) {
  $('site-nav').hidden = !signedIn;
  $('account').hidden = !signedIn;
  const s = session.current;
  $('whoami').textContent = signedIn && s ? s.principal?.arn || s.accessKeyId || '' : '';
  $('region').textContent = signedIn && s?.region ? s.region : '';
}

function markNav(hash) {
  const first = '#/' + ((hash || '').replace(/^#\/?/, '').split(/[/?]/)[0] || '');
  for (const a of document.querySelectorAll('#site-nav a')) {
    if (a.getAttribute('href') === first) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route(focus = false) {
  if (!session.current) return;
  runLeaveHooks();
  let hash = location.hash;
  if (!hash || hash === '#' || hash === '#/') {
    history.replaceState(null, '', '#/overview');
    hash = '#/overview';
  }
  markNav(hash);
  const seq = ++renderSeq;
  const app = $('app');
  const title = h('h1', { id: 'page-title', tabindex: '-1' });
  const page = h('div', { class: 'page' });
  clear(app, title, page);
  const found = resolveRoute(hash);
  if (!found) {
    setTitle('Page not found');
    page.append(
      h('p', {}, 'There is no console page at ', h('code', {}, hash), '.'),
      h('p', {}, h('a', { href: '#/keys' }, 'Go to the keys list')),
    );
    if (focus) title.focus({ preventScroll: true });
    return;
  }
  setTitle(TITLES[found.route.pattern] || 'Trent');
  if (focus) title.focus({ preventScroll: true });
  try {
    await found.route.render(found.params, page);
  } catch (err) {
    console.error(err);
    if (seq === renderSeq) {
      const box = alertBox('page-error');
      page.append(box);
      showError(box, err);
    }
  }
  // A page that draws its own #page-title replaces the shell's.
  if (seq === renderSeq && title.isConnected && page.querySelector('#page-title')) title.remove();
}

async function signedIn() {
  showShell(true);
  await route(false);
}

/* ---------- sign-in page ---------- */

function renderSignIn(message) {
  runLeaveHooks();
  renderSeq++;
  showShell(false);
  const app = $('app');
  const err = alertBox('signin-error');
  const accessKey = h('input', { id: 'signin-access-key', name: 'accessKeyId', type: 'text', autocomplete: 'username', spellcheck: 'false', required: true });
  const secret = h('input', { id: 'signin-secret', name: 'secretAccessKey', type: 'password', autocomplete: 'current-password', spellcheck: 'false', required: true });
  const token = h('input', { id: 'signin-session-token', name: 'sessionToken', type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const region = h('input', { id: 'signin-region', name: 'region', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'us-east-1' });
  const submit = h('button', { type: 'submit', id: 'signin-submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin-form card', novalidate: true, 'aria-labelledby': 'page-title' },
    h('p', { class: 'lead' }, 'Sign in with an access key of a Trent user, role session or account root.'),
    field('Access key ID', accessKey),
    field('Secret access key', secret),
    field('Session token (optional)', token, 'Only for temporary credentials.'),
    field('Region (optional)', region, 'Leave empty for the server’s default Region.'),
    err,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    if (!accessKey.value.trim() || !secret.value) {
      showError(err, new Error('Enter an access key ID and its secret access key.'));
      (accessKey.value.trim() ? secret : accessKey).focus();
      return;
    }
    submit.disabled = true;
    try {
      await signIn({
        accessKeyId: accessKey.value.trim(),
        secretAccessKey: secret.value,
        sessionToken: token.value.trim(),
        region: region.value.trim(),
      });
      await signedIn();
    } catch (e) {
      showError(err, e);
      submit.disabled = false;
    }
  });
  clear(app, h('div', { class: 'signin-page' }, h('h1', { id: 'page-title' }, 'Sign in to Trent'), form));
  document.title = 'Sign in – Trent';
  if (message) showError(err, message);
  accessKey.focus();
}

/* ---------- re-sign-in dialog (session expired) ---------- */

let reauthWaiters = null;

function openReauth() {
  const dlg = $('signin-dialog');
  const err = $('reauth-error');
  clearError(err);
  $('reauth-secret').value = '';
  $('reauth-session-token').value = '';
  const ak = $('reauth-access-key');
  if (!ak.value && session.current?.accessKeyId) ak.value = session.current.accessKeyId;
  if (!$('reauth-region').value && session.current?.region) $('reauth-region').value = session.current.region;
  return new Promise((resolve, reject) => {
    reauthWaiters = { resolve, reject };
    if (!dlg.open) dlg.showModal();
    (ak.value ? $('reauth-secret') : ak).focus();
  });
}

function setupReauthDialog() {
  const dlg = $('signin-dialog');
  const form = $('reauth-form');
  const submit = $('reauth-submit');
  const err = $('reauth-error');
  const finish = (ok, error) => {
    const w = reauthWaiters;
    reauthWaiters = null;
    if (dlg.open) dlg.close();
    if (w) ok ? w.resolve() : w.reject(error || new Error('Sign-in cancelled.'));
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError(err);
    const accessKeyId = $('reauth-access-key').value.trim();
    const secretAccessKey = $('reauth-secret').value;
    if (!accessKeyId || !secretAccessKey) {
      showError(err, new Error('Enter an access key ID and its secret access key.'));
      return;
    }
    submit.disabled = true;
    try {
      await signIn({
        accessKeyId,
        secretAccessKey,
        sessionToken: $('reauth-session-token').value.trim(),
        region: $('reauth-region').value.trim(),
      });
      $('reauth-secret').value = '';
      $('reauth-session-token').value = '';
      showShell(true);
      finish(true);
    } catch (e) {
      showError(err, e);
    } finally {
      submit.disabled = false;
    }
  });
  $('reauth-cancel').addEventListener('click', () => finish(false));
  // Escape closes a modal dialog: treat it as Cancel.
  dlg.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    finish(false);
  });
}

/* ---------- start ---------- */

async function start() {
  setupReauthDialog();
  setReauth(openReauth);
  $('signout').addEventListener('click', async () => {
    const btn = $('signout');
    btn.disabled = true;
    try {
      await signOut();
    } catch (e) {
      console.warn('sign-out:', errorText(e));
    } finally {
      btn.disabled = false;
    }
    renderSignIn();
  });
  window.addEventListener('hashchange', () => {
    if (session.current) route(true);
  });
  let s = null;
  try {
    s = await fetchSession();
  } catch (e) {
    showShell(false);
    const box = alertBox('start-error');
    clear(
      $('app'),
      h('h1', { id: 'page-title' }, 'Trent'),
      box,
      h('p', {}, h('button', { type: 'button', class: 'primary', on: { click: () => location.reload() } }, 'Try again')),
    );
    showError(box, e);
    return;
  }
  if (s) await signedIn();
  else renderSignIn();
}

start();
