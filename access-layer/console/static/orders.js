// Orders: the search an operator starts the day with, and a trade's whole story with the actions
// taken on it every day (ship, record delivery and COD collection, cancel, decide after-sales,
// receive returns).
import { api, h, field, table, money, parseMoney, when, statusPill, act, query, enums, pagedTable } from './console.js';

const FILTERS = [
  ['buyer', 'Buyer'], ['seller', 'Seller'], ['sku', 'SKU'], ['q', 'Order, trade, payment or refund id'],
];

export async function ordersPage() {
  const q = query();
  const { status, flow } = await enums();
  const inputs = {};
  const controls = FILTERS.map(([k, label]) => field(label, inputs[k] = h('input', { type: 'search', name: k, value: q.get(k) || '' })));
  const select = (name, label, values) => {
    const s = h('select', { name }, h('option', { value: '' }, 'Any'), values.map(v => h('option', { value: v }, v)));
    s.value = q.get(name) || '';
    inputs[name] = s;
    return field(label, s);
  };
  controls.push(select('status', 'Status', status), select('flow', 'Flow', flow));
  controls.push(field('Created from', inputs.createdFrom = h('input', { type: 'date', name: 'createdFrom', value: q.get('createdFrom') || '' })));
  controls.push(field('Created to', inputs.createdTo = h('input', { type: 'date', name: 'createdTo', value: q.get('createdTo') || '' })));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search orders', onsubmit: (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, el] of Object.entries(inputs)) if (el.value) p.set(k, el.value.trim());
    const next = '#/orders' + (p.toString() ? '?' + p : '');
    if (location.hash === next) window.dispatchEvent(new HashChangeEvent('hashchange')); else location.hash = next;
  } }, controls, h('button', { type: 'submit' }, 'Search'));

  const params = new URLSearchParams();
  for (const k of ['buyer', 'seller', 'sku', 'q', 'status', 'flow', 'createdFrom', 'createdTo']) if (q.get(k)) params.set(k, q.get(k));
  return [
    h('h1', {}, 'Orders'),
    form,
    await pagedTable('Orders, newest first', ['Order', 'Trade', 'Buyer', 'Seller', 'Flow', 'Status', 'Total', 'Created'], '/orders?' + params,
      o => [h('a', { href: '#/trades/' + encodeURIComponent(o.tradeId) }, o.orderId), h('span', { class: 'mono' }, o.tradeId), o.userId, o.sellerId,
        o.flow, statusPill(o.status), money(o.total, o.currency), when(o.createdAt)], [6], 'order'),
  ];
}

const SHIPPABLE = ['paid', 'confirmed'];
const CANCELLABLE = ['pending_payment', 'pending_deposit', 'deposit_paid', 'confirmed', 'paid'];

function shipForm(o) {
  const carrier = h('input', { name: 'carrier', required: true, maxlength: 32, autocomplete: 'off' });
  const tracking = h('input', { name: 'trackingNo', required: true, maxlength: 64, autocomplete: 'off' });
  const btn = h('button', { type: 'submit' }, 'Ship');
  return h('form', { 'aria-label': 'Ship order ' + o.orderId, onsubmit: (ev) => {
    ev.preventDefault();
    act(btn, 'Ship ' + o.orderId, () => api('POST', '/orders/' + encodeURIComponent(o.orderId) + '/shipments',
      { carrier: carrier.value.trim(), trackingNo: tracking.value.trim() }));
  } }, field('Carrier', carrier), field('Tracking no.', tracking), btn);
}

function deliveryForm(o) {
  const cod = o.flow === 'cod';
  const outcome = h('select', { name: 'outcome' }, h('option', { value: 'delivered' }, cod ? 'Delivered and collected' : 'Delivered'),
    cod ? h('option', { value: 'refused' }, 'Refused at the door') : null);
  const collected = cod ? h('input', { name: 'collected', inputmode: 'decimal', value: money(o.total) }) : null;
  const btn = h('button', { type: 'submit' }, 'Record delivery');
  return h('form', { 'aria-label': 'Record delivery of order ' + o.orderId, onsubmit: (ev) => {
    ev.preventDefault();
    act(btn, 'Delivery of ' + o.orderId, async () => {
      const body = { outcome: outcome.value };
      if (cod && outcome.value === 'delivered') body.collected = parseMoney(collected.value, o.currency);
      return api('POST', '/orders/' + encodeURIComponent(o.orderId) + '/delivery', body);
    });
  } }, field('Outcome', outcome), cod ? field('Collected (' + o.currency + ')', collected) : null, btn);
}

function cancelForm(o) {
  const deposit = o.flow === 'presale' ? h('input', { type: 'checkbox', name: 'refundDeposit' }) : null;
  const btn = h('button', { type: 'submit', class: 'danger' }, 'Cancel order');
  return h('form', { 'aria-label': 'Cancel order ' + o.orderId, onsubmit: (ev) => {
    ev.preventDefault();
    if (!confirm('Cancel order ' + o.orderId + '? Stock and discounts go back; money paid is refunded.')) return;
    act(btn, 'Cancel ' + o.orderId, () => api('POST', '/orders/' + encodeURIComponent(o.orderId) + '/cancel',
      { refundDeposit: deposit ? deposit.checked : false }));
  } }, deposit ? h('div', { class: 'field' }, h('label', {}, deposit, ' Refund the deposit')) : null, btn);
}

function orderCard(o) {
  const refunded = (o.refunds || []).filter(r => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
  const lines = (o.lines || []).map(l => [l.lineNo, l.skuId, l.title, l.warehouseId, l.quantity,
    money(l.listPrice, o.currency), money(l.unitPrice, o.currency), money(l.discount, o.currency), money(l.payable, o.currency)]);
  const actions = [];
  if (SHIPPABLE.includes(o.status)) actions.push(shipForm(o));
  if (o.status === 'shipped') actions.push(deliveryForm(o));
  if (CANCELLABLE.includes(o.status)) actions.push(cancelForm(o));
  return h('section', { class: 'card', 'aria-label': 'Order ' + o.orderId },
    h('h3', {}, 'Order ', h('span', { class: 'mono' }, o.orderId), ' ', statusPill(o.status)),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Seller'), h('dd', {}, o.sellerId),
      h('dt', {}, 'Subtotal'), h('dd', {}, money(o.subtotal, o.currency)),
      h('dt', {}, 'Discounts'), h('dd', {}, money(o.discount, o.currency),
        (o.discounts || []).length ? ' (' + o.discounts.map(d => (d.name || d.kind) + (d.couponCode ? ' ' + d.couponCode : '') + ' ' + money(d.amount, o.currency)).join('; ') + ')' : ''),
      h('dt', {}, 'Shipping'), h('dd', {}, money(o.shippingFee, o.currency)),
      h('dt', {}, 'Total'), h('dd', {}, money(o.total, o.currency)),
      refunded ? [h('dt', {}, 'Refunded'), h('dd', {}, money(refunded, o.currency))] : null,
      o.carrier ? [h('dt', {}, 'Shipment'), h('dd', {}, o.carrier + ' ' + o.trackingNo)] : null,
      o.cancelReason ? [h('dt', {}, 'Cancelled because'), h('dd', {}, o.cancelReason)] : null),
    table('Lines of ' + o.orderId, ['#', 'SKU', 'Title', 'Warehouse', 'Qty', 'List price', 'Unit price', 'Discount', 'Payable'], lines, [0, 4, 5, 6, 7, 8]),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}

export function afterSaleCard(a, currency) {
  const actions = [];
  if (a.status === 'requested') {
    const amount = h('input', { name: 'amount', inputmode: 'decimal', placeholder: money(a.computed) });
    const reason = h('input', { name: 'reason', maxlength: 200 });
    const ok = h('button', { type: 'submit' }, 'Approve');
    actions.push(h('form', { 'aria-label': 'Approve after-sale ' + a.afterSaleId, onsubmit: (ev) => {
      ev.preventDefault();
      act(ok, 'Approve ' + a.afterSaleId, () => {
        const body = { reason: reason.value.trim() };
        if (amount.value.trim()) body.amount = parseMoney(amount.value, currency);
        return api('POST', '/aftersales/' + encodeURIComponent(a.afterSaleId) + '/approve', body);
      });
    } }, field('Refund amount' + (currency ? ' in ' + currency : '') + ' (empty: as computed)', amount), field('Note', reason), ok));
    const why = h('input', { name: 'reason', required: true, maxlength: 200 });
    const no = h('button', { type: 'submit', class: 'danger' }, 'Reject');
    actions.push(h('form', { 'aria-label': 'Reject after-sale ' + a.afterSaleId, onsubmit: (ev) => {
      ev.preventDefault();
      act(no, 'Reject ' + a.afterSaleId, () => api('POST', '/aftersales/' + encodeURIComponent(a.afterSaleId) + '/reject', { reason: why.value.trim() }));
    } }, field('Reason for rejecting', why), no));
  }
  if (a.status === 'approved' || a.status === 'returning') {
    if (a.kind !== 'refund_only') {
      const cond = h('select', { name: 'condition' }, h('option', { value: 'sellable' }, 'Sellable (back to stock)'), h('option', { value: 'damaged' }, 'Damaged'));
      const btn = h('button', { type: 'submit' }, 'Receive return');
      actions.push(h('form', { 'aria-label': 'Receive the return of ' + a.afterSaleId, onsubmit: (ev) => {
        ev.preventDefault();
        act(btn, 'Receive ' + a.afterSaleId, () => api('POST', '/aftersales/' + encodeURIComponent(a.afterSaleId) + '/receive', { condition: cond.value }));
      } }, field('Condition', cond), btn));
    }
  }
  return h('section', { class: 'card', 'aria-label': 'After-sale ' + a.afterSaleId },
    h('h3', {}, 'After-sale ', h('span', { class: 'mono' }, a.afterSaleId), ' ', statusPill(a.status)),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Order'), h('dd', {}, a.orderId),
      h('dt', {}, 'Kind'), h('dd', {}, a.kind),
      h('dt', {}, 'Reason'), h('dd', {}, a.reason || ''),
      h('dt', {}, 'Refund'), h('dd', {}, money(a.amount || a.computed, currency)),
      a.trackingNo ? [h('dt', {}, 'Sent back'), h('dd', {}, (a.carrier || '') + ' ' + a.trackingNo)] : null,
      a.decidedBy ? [h('dt', {}, 'Decided by'), h('dd', {}, a.decidedBy + (a.note ? ': ' + a.note : ''))] : null),
    table('Lines of ' + a.afterSaleId, ['Line', 'SKU', 'Qty', 'Amount', 'Discount back'],
      (a.lines || []).map(l => [l.lineNo, l.skuId, l.quantity, money(l.amount, currency), money(l.discount, currency)]), [0, 2, 3, 4]),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}

function address(a) {
  if (!a) return '';
  return [a.name, a.phone, [a.province, a.city, a.district, a.street].filter(Boolean).join(' '), a.detail, a.postalCode].filter(Boolean).join(', ');
}

export async function tradePage(tradeId) {
  const s = await api('GET', '/trades/' + encodeURIComponent(tradeId));
  const t = s.trade;
  const cur = t.currency;
  const refunds = (t.orders || []).flatMap(o => o.refunds || []);
  return [
    h('p', {}, h('a', { href: '#/orders' }, '← Orders')),
    h('h1', {}, 'Trade ', h('span', { class: 'mono' }, t.tradeId)),
    h('div', { class: 'grid2' },
      h('section', { class: 'card', 'aria-label': 'Trade summary' },
        h('dl', { class: 'facts' },
          h('dt', {}, 'Buyer'), h('dd', {}, h('a', { href: '#/orders?buyer=' + encodeURIComponent(s.userId) }, s.userId)),
          s.bizCode ? [h('dt', {}, 'Business line'), h('dd', {}, s.bizCode)] : null,
          h('dt', {}, 'Flow'), h('dd', {}, t.flow),
          h('dt', {}, 'State'), h('dd', {}, statusPill(t.state), ' v', String(s.flowVersion || 0), s.flowUpdatedAt ? ' · ' + when(s.flowUpdatedAt) : ''),
          h('dt', {}, 'Placed'), h('dd', {}, when(t.createdAt)),
          t.payDeadline ? [h('dt', {}, 'Pay by'), h('dd', {}, when(t.payDeadline))] : null,
          h('dt', {}, 'Ship to'), h('dd', {}, address(t.address)))),
      h('section', { class: 'card', 'aria-label': 'Money' },
        h('dl', { class: 'facts' },
          h('dt', {}, 'Subtotal'), h('dd', {}, money(t.subtotal, cur)),
          h('dt', {}, 'Discounts'), h('dd', {}, money(t.discount, cur)),
          h('dt', {}, 'Shipping'), h('dd', {}, money(t.shippingFee, cur)),
          h('dt', {}, 'Total'), h('dd', {}, money(t.total, cur)),
          t.credit ? [h('dt', {}, 'Credit'), h('dd', {}, money(t.credit, cur))] : null,
          h('dt', {}, 'Payable'), h('dd', {}, money(t.payable, cur)),
          h('dt', {}, 'Still due'), h('dd', {}, money(t.due, cur))))),
    h('h2', {}, 'Orders'),
    (t.orders || []).map(orderCard),
    h('h2', {}, 'Payments and refunds'),
    table('Payments', ['Payment', 'Purpose', 'Method', 'Status', 'Amount', 'Provider ref.', 'Settled'],
      (t.payments || []).map(p => [p.paymentId, p.purpose, p.method, statusPill(p.status), money(p.amount, p.currency || cur), p.providerRef || '', when(p.settledAt)]), [4]),
    table('Refunds', ['Refund', 'Order', 'Payment', 'Status', 'Amount', 'Reason', 'Provider ref.', 'Settled'],
      refunds.map(r => [r.refundId, r.orderId, r.paymentId, statusPill(r.status), money(r.amount, cur), r.reason || '', r.providerRef || '', when(r.settledAt)]), [4]),
    (s.afterSales || []).length ? [h('h2', {}, 'After-sales'), s.afterSales.map(a => afterSaleCard(a, cur))] : null,
    h('h2', {}, 'Timers'),
    table('Timers of this trade', ['Kind', 'For', 'Due', 'Done', 'Attempts', 'Last error'],
      (s.timers || []).map(x => [x.kind, x.ref, when(x.dueAt), x.doneAt ? when(x.doneAt) : h('span', { class: 'pill warn' }, 'pending'), x.attempts, x.lastError || '']), [4]),
    h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline', 'aria-label': 'Timeline' }, (s.timeline || []).map(e => h('li', {},
      h('strong', {}, e.event), ' ', h('span', { class: 'muted' }, when(e.at) + ' · ' + (e.actor || 'system') + (e.orderId ? ' · ' + e.orderId : '')),
      e.detail ? h('details', {}, h('summary', {}, 'Details'), h('pre', { class: 'json' }, JSON.stringify(e.detail, null, 2))) : null))),
    h('h2', {}, 'Scripts that ran'),
    table('Script versions that ran for this trade', ['Point', 'Scope', 'Script', 'Version', 'Gray', 'Outcome', 'At'],
      (s.scripts || []).map(r => [r.point, r.scope || '', r.scriptId ? h('a', { href: '#/scripts/' + encodeURIComponent(r.scriptId) }, r.scriptId) : 'default (sampled)',
        r.scriptId ? r.version : '', r.gray ? 'yes' : '', r.outcome, when(r.at)]), [3]),
  ];
}
