// The console's core: the admin API client, a DOM builder that only ever sets text (nothing an
// API returns is parsed as HTML), money in the currency's minor units, the hash router and the
// sign-in. Pages live in their own modules and register their routes here.
import { ordersPage, tradePage } from './orders.js';
import { scriptsPage, scriptPage } from './scripts.js';
import { togglesPage, livePage } from './ops.js';
import { afterSalesPage, campaignsPage } from './campaigns.js';

const TOKEN = 'atrium.console.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || ('HTTP ' + status));
    this.status = status;
    this.code = code || '';
  }
}

// api calls the admin API as the signed-in operator; it answers the envelope's data.
export async function api(method, path, body, headers = {}) {
  const token = sessionStorage.getItem(TOKEN);
  const init = { method, headers: { 'Authorization': 'Bearer ' + token, ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/admin/v1' + path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'The server did not answer: ' + e.message);
  }
  let j = {};
  try { j = await res.json(); } catch (e) { /* a body that is not JSON keeps the status */ }
  if (!res.ok) {
    if (res.status === 401) signOut('Your session ended (' + (j.message || 'token not valid') + '). Sign in again.');
    throw new ApiError(res.status, j.code, j.message);
  }
  return j.data;
}

// h builds an element: attributes (on* are listeners, true/false toggle a boolean attribute) and
// children (strings become text, arrays are flattened, null and false are skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

let uid = 0;
// field is a labelled control: the label names it for screen readers and for tests.
export function field(label, control, hint) {
  const id = control.id || ('f' + (++uid));
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('span', { class: 'muted' }, hint) : null);
}

export function table(caption, head, rows, numeric = []) {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, c)))),
      h('tbody', {}, rows.length ? rows.map(r => h('tr', {}, r.map((c, i) => h('td', { class: numeric.includes(i) ? 'num' : null }, c))))
        : h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, 'None')))));
}

const digitsCache = {};
function digitsOf(currency) {
  if (!(currency in digitsCache)) {
    try {
      digitsCache[currency] = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch (e) { digitsCache[currency] = 2; }
  }
  return digitsCache[currency];
}

// money shows minor units in major units without floating point: 12800 CNY is "128.00 CNY".
export function money(minor, currency) {
  if (minor === undefined || minor === null) return '';
  const d = digitsOf(currency || 'CNY');
  const neg = minor < 0;
  let s = String(Math.abs(minor));
  if (d > 0) {
    s = s.padStart(d + 1, '0');
    s = s.slice(0, s.length - d) + '.' + s.slice(s.length - d);
  }
  return (neg ? '-' : '') + s + (currency ? ' ' + currency : '');
}

// parseMoney reads a major-unit amount an operator typed ("12.5") into minor units, refusing
// more fraction digits than the currency has.
export function parseMoney(text, currency) {
  const d = digitsOf(currency || 'CNY');
  const m = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(text);
  if (!m || (m[2] || '').length > d) throw new Error('Enter an amount like 12.50 (at most ' + d + ' decimals)');
  return Number(m[1] + (m[2] || '').padEnd(d, '0'));
}

export function when(ts) {
  if (!ts) return '';
  const t = new Date(ts);
  return isNaN(t) ? ts : t.toLocaleString();
}

export function statusPill(s) {
  const good = ['paid', 'completed', 'delivered', 'succeeded', 'approved', 'refunded', 'done', 'formed'];
  const bad = ['cancelled', 'failed', 'rejected', 'closed', 'returned', 'error'];
  return h('span', { class: 'pill' + (good.includes(s) ? ' good' : bad.includes(s) ? ' bad' : '') }, s || '');
}

export function flash(message, kind = 'ok') {
  const box = document.getElementById('flash');
  box.replaceChildren(h('p', { class: kind }, message));
}

export function errorText(e) {
  return e instanceof ApiError && e.code ? e.message + ' (' + e.code + ')' : e.message;
}

// act runs an action from a button: disables it while the request runs, re-renders the page so
// it shows what the server now holds, and reports the outcome in the live region.
export async function act(button, label, fn) {
  button.disabled = true;
  try {
    await fn();
    // The page first shows what the server now holds, then says so.
    await render();
    flash(label + ': done');
  } catch (e) {
    flash(label + ': ' + errorText(e), 'error');
  } finally {
    button.disabled = false;
  }
}

export function query() {
  const q = location.hash.split('?')[1] || '';
  return new URLSearchParams(q);
}

// enums are the API document's enumerations (order statuses, flows), read once from
// /openapi.json so that the console offers exactly what the server accepts.
let enumsP;
export function enums() {
  enumsP ||= fetch('/openapi.json').then(r => r.json()).then(doc => {
    const props = doc.components.schemas.AdminOrder.properties;
    return { status: props.status.enum || [], flow: props.flow.enum || [] };
  }).catch(() => ({ status: [], flow: [] }));
  return enumsP;
}

function claims(token) {
  try {
    const b = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(b))));
  } catch (e) { return null; }
}

export function signedInTenant() {
  const c = claims(sessionStorage.getItem(TOKEN) || '');
  return c ? c.tenant : '';
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN);
  location.hash = '#/';
  render().then(() => { if (message) flash(message, 'error'); });
}

function signInPage() {
  const input = h('input', { type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    const tok = input.value.trim();
    const c = claims(tok);
    if (!c || c.role !== 'admin') { flash('That is not an operator token.', 'error'); return; }
    sessionStorage.setItem(TOKEN, tok);
    try {
      await api('GET', '/extensions/points');
    } catch (e) {
      sessionStorage.removeItem(TOKEN);
      flash('Sign-in failed: ' + errorText(e), 'error');
      return;
    }
    location.hash = '#/orders';
  } },
  h('h1', {}, 'Sign in'),
  h('p', { class: 'muted' }, 'Paste an operator token (a bearer token with role admin), or open the sign-in link that `atrium serve --demo` prints.'),
  field('Operator token', input),
  h('p', {}, h('button', { type: 'submit' }, 'Sign in')));
  return [form];
}

const routes = [
  [/^\/orders$/, ordersPage, 'orders'],
  [/^\/trades\/([^/]+)$/, tradePage, 'orders'],
  [/^\/aftersales$/, afterSalesPage, 'aftersales'],
  [/^\/campaigns$/, campaignsPage, 'campaigns'],
  [/^\/scripts$/, scriptsPage, 'scripts'],
  [/^\/scripts\/([^/]+)$/, scriptPage, 'scripts'],
  [/^\/toggles$/, togglesPage, 'toggles'],
  [/^\/live$/, livePage, 'live'],
];

// stopPage ends what a page keeps running (the live numbers' refresh) when another replaces it.
let stopPage = null;
export function onLeave(fn) { stopPage = fn; }

export async function render() {
  if (stopPage) { stopPage(); stopPage = null; }
  const main = document.getElementById('main');
  const token = sessionStorage.getItem(TOKEN);
  const nav = document.getElementById('nav');
  const out = document.getElementById('signout');
  if (!token) {
    nav.hidden = true; out.hidden = true;
    document.getElementById('who').textContent = '';
    document.title = 'Sign in · Atrium console';
    main.replaceChildren(...signInPage());
    return;
  }
  nav.hidden = false; out.hidden = false;
  const c = claims(token) || {};
  document.getElementById('who').textContent = (c.sub || 'operator') + ' @ ' + (c.tenant || '?');
  let path = (location.hash.slice(1).split('?')[0]) || '/orders';
  if (path === '/') path = '/orders';
  for (const [re, page, section] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    for (const a of nav.querySelectorAll('a')) {
      if (a.getAttribute('href') === '#/' + section) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    let nodes;
    try {
      nodes = await page(...m.slice(1).map(decodeURIComponent));
    } catch (e) {
      nodes = [h('h1', {}, 'Something went wrong'), h('p', { class: 'error-text' }, errorText(e))];
    }
    // Pages answer a list of nodes and lists (what a map gave); null stands for nothing.
    main.replaceChildren(...[nodes].flat(Infinity).filter(n => n !== null && n !== undefined && n !== false));
    const h1 = main.querySelector('h1');
    document.title = (h1 ? h1.textContent + ' · ' : '') + 'Atrium console';
    return;
  }
  main.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/orders' }, 'Go to orders')));
}

function start() {
  // The demo's sign-in link: #token=<jwt>. Keep the token in this tab only and take it out of
  // the address bar and history.
  const m = /^#token=([A-Za-z0-9._-]+)$/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN, m[1]);
    history.replaceState(null, '', location.pathname + '#/orders');
  }
  document.getElementById('signout').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', async () => {
    document.getElementById('flash').replaceChildren();
    await render();
    document.getElementById('main').focus();
  });
  render();
}

start();

// pagedTable is a table over an admin list ({items, nextCursor}) with a Load more button that
// appends the next page where the cursor left off (so orders arriving meanwhile never repeat or
// go missing). row makes an item's cells; with a noun ("order") a line above says how many show.
export async function pagedTable(caption, head, path, row, numeric = [], noun = '') {
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more: ' + caption);
  const count = noun ? h('p', { class: 'muted', 'aria-live': 'polite' }) : null;
  let next = null;
  let shown = 0;
  const load = async () => {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', path + sep + 'limit=20' + (next ? '&cursor=' + encodeURIComponent(next) : ''));
    for (const it of page.items) body.appendChild(h('tr', {}, row(it).map((c, i) => h('td', { class: numeric.includes(i) ? 'num' : null }, c))));
    shown += page.items.length;
    if (!shown) body.replaceChildren(h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, 'None')));
    if (count) count.textContent = shown ? shown + ' ' + noun + (shown === 1 ? '' : 's') + ' shown' : 'No ' + noun + 's match.';
    next = page.nextCursor || null;
    more.hidden = !next;
  };
  await load();
  more.addEventListener('click', async () => {
    more.disabled = true;
    try { await load(); } catch (e) { flash('Load more: ' + errorText(e), 'error'); }
    more.disabled = false;
  });
  return [count, h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, c)))), body)), h('p', {}, more)];
}
