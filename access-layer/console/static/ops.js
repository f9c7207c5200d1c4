// Operations: the runtime toggles (and Sentinel's rule sets, which are toggles) with where each
// value came from, and the live numbers of the node, refreshed in place.
import { api, h, table, when, onLeave } from './console.js';

export async function togglesPage() {
  const [v, live] = await Promise.all([api('GET', '/toggles'), api('GET', '/live')]);
  const sentinel = v.toggles.filter(t => t.key.startsWith('sentinel.'));
  const rest = v.toggles.filter(t => !t.key.startsWith('sentinel.'));
  const row = t => [h('span', { class: 'mono' }, t.key), h('span', { class: 'mono' }, t.value), h('span', { class: 'mono' }, t.default),
    h('span', { class: 'pill' + (t.source === 'default' ? '' : ' warn') }, t.source), h('span', { class: 'mono' }, (t.release || '').slice(0, 16)), when(t.changedAt), t.doc || ''];
  const head = ['Key', 'Value', 'Default', 'Source', 'Release', 'Changed', 'What it does'];
  return [
    h('h1', {}, 'Toggles'),
    h('p', { class: 'muted' }, 'Values come from configs/toggles.yaml or Apollo and apply without a restart. ' +
      v.rejected + ' value' + (v.rejected === 1 ? '' : 's') + ' rejected since start (the last good value stayed).'),
    table('Runtime toggles', head, rest.map(row)),
    h('h2', {}, 'Sentinel rule sets'),
    table('Sentinel rule sets', head, sentinel.map(row)),
    table('Sentinel blocks on this node in the last ' + live.windowSeconds + ' s', ['Resource', 'Blocked'],
      Object.entries(live.blocked).map(([r, n]) => [h('span', { class: 'mono' }, r), n]), [1]),
    h('p', {}, 'More on the ', h('a', { href: '#/live' }, 'live numbers'), ' page.'),
  ];
}

const REFRESH_MS = 5000;

function liveView(l) {
  const pct = x => (x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1) + '%';
  const ms = s => (s * 1000).toFixed(s < 0.01 ? 2 : 0) + ' ms';
  return [
    h('p', { class: 'muted', id: 'live-window' }, 'This node over the last ' + l.windowSeconds + ' s, as of ' + when(l.at) +
      '; refreshed every ' + REFRESH_MS / 1000 + ' s. Orders are your tenant\'s; the rest is the node\'s.'),
    h('div', { class: 'stats' },
      h('div', {}, h('div', { class: 'muted' }, 'Orders per minute'), h('div', { class: 'big', id: 'live-orders' }, l.ordersPerMinuteTotal.toFixed(1))),
      h('div', {}, h('div', { class: 'muted' }, 'Requests per minute'), h('div', { class: 'big' }, l.requestsPerMinute.toFixed(1))),
      h('div', {}, h('div', { class: 'muted' }, 'Server errors'), h('div', { class: 'big' }, pct(l.errorRate))),
      h('div', {}, h('div', { class: 'muted' }, 'Script budget hits'), h('div', { class: 'big' }, String(l.budgetHitsTotal))),
      h('div', {}, h('div', { class: 'muted' }, 'Outbox waiting'), h('div', { class: 'big' }, String(l.outboxPending))),
      h('div', {}, h('div', { class: 'muted' }, 'Outbox lag'), h('div', { class: 'big' }, l.outboxLagSeconds.toFixed(1) + ' s')),
      h('div', {}, h('div', { class: 'muted' }, 'Timers overdue'), h('div', { class: 'big' }, String(l.timersOverdue)))),
    table('Orders per minute by flow', ['Flow', 'Orders / min'], Object.entries(l.ordersPerMinute).map(([f, n]) => [f, n.toFixed(1)]), [1]),
    table('Routes, busiest first', ['Route', 'Requests / min', '5xx', '4xx', 'p99'],
      l.routes.map(r => [h('span', { class: 'mono' }, r.route), r.perMinute.toFixed(1), pct(r.errorRate), pct(r.clientErrorRate), ms(r.p99Seconds)]), [1, 2, 3, 4]),
    table('Script budget hits by point', ['Point', 'Hits'], Object.entries(l.budgetHits).map(([p, n]) => [h('span', { class: 'mono' }, p), n]), [1]),
    table('Sentinel blocks by resource', ['Resource', 'Blocked'], Object.entries(l.blocked).map(([r, n]) => [h('span', { class: 'mono' }, r), n]), [1]),
  ];
}

export async function livePage() {
  const box = h('div', {}, liveView(await api('GET', '/live')));
  const timer = setInterval(async () => {
    try { box.replaceChildren(...liveView(await api('GET', '/live')).flat(Infinity)); } catch (e) { /* the next tick tries again */ }
  }, REFRESH_MS);
  onLeave(() => clearInterval(timer));
  return [h('h1', {}, 'Live numbers'), box];
}
