// What operators run and watch besides orders: the after-sale queue, and promotions, coupons,
// pre-sale campaigns, group buys and auctions with their state now and the verb that ends each.
import { api, h, field, money, when, statusPill, act, query, pagedTable } from './console.js';
import { afterSaleCard } from './orders.js';

const enc = encodeURIComponent;

// filterForm is a one-select filter that moves to the same page with ?name=value.
function filterForm(label, name, values, current, page) {
  const sel = h('select', { name }, h('option', { value: '' }, 'Any'), values.map(v => h('option', { value: v }, v)));
  sel.value = current || '';
  return h('form', { class: 'filters', 'aria-label': 'Filter ' + label.toLowerCase(), onsubmit: (ev) => {
    ev.preventDefault();
    const q = query();
    if (sel.value) q.set(name, sel.value); else q.delete(name);
    location.hash = page + (q.toString() ? '?' + q : '');
  } }, field(label, sel), h('button', { type: 'submit', class: 'secondary' }, 'Show'));
}

const AFTERSALE_STATUSES = ['requested', 'approved', 'returning', 'received', 'refunding', 'refunded', 'rejected', 'cancelled', 'closed'];

export async function afterSalesPage() {
  const status = query().get('status') || 'requested';
  const q = new URLSearchParams({ status, limit: '20' });
  const page = await api('GET', '/aftersales?' + q);
  const list = page.afterSales || [];
  return [
    h('h1', {}, 'After-sales'),
    filterForm('Status', 'status', AFTERSALE_STATUSES, status, '#/aftersales'),
    h('p', { class: 'muted' }, list.length + ' shown' + (page.nextCursor ? ' (more: narrow by status)' : '') + '.'),
    list.map(a => [afterSaleCard(a, ''), h('p', {}, h('a', { href: '#/trades/' + enc(a.tradeId) }, 'Open trade ' + a.tradeId))]),
  ];
}

function endButton(label, what, path, danger = true) {
  const b = h('button', { type: 'button', class: danger ? 'danger' : 'secondary', 'aria-label': label + ' ' + what }, label);
  b.addEventListener('click', () => {
    if (!confirm(label + ' ' + what + '?')) return;
    act(b, label + ' ' + what, () => api('POST', path));
  });
  return b;
}

const PROMOTION_STATES = ['active', 'scheduled', 'ended', 'disabled'];
const COUPON_STATES = ['active', 'scheduled', 'ended', 'disabled', 'used_up'];
const CAMPAIGN_STATUSES = ['active', 'cancelled'];
const AUCTION_STATUSES = ['scheduled', 'running', 'ended', 'sold', 'unsold', 'cancelled'];

export async function campaignsPage() {
  const q = query();
  const pick = (k) => q.get(k) || '';
  const withParam = (path, k, v) => v ? path + (path.includes('?') ? '&' : '?') + k + '=' + enc(v) : path;
  const promotions = await api('GET', withParam('/promotions', 'state', pick('promotionState')));
  const [coupons, presales, groupbuys, auctions] = await Promise.all([
    pagedTable('Coupons, newest first', ['Code', 'Promotion', 'State', 'Used', 'Cap', 'Per buyer', 'Valid', ''],
      withParam('/coupons', 'state', pick('couponState')),
      c => [h('span', { class: 'mono' }, c.code), c.promotionId, statusPill(c.state), c.used, c.totalUses || '∞', c.perUser || '∞',
        (c.validFrom ? when(c.validFrom) : '…') + ' – ' + (c.validTo ? when(c.validTo) : '…'),
        c.state === 'disabled' ? '' : endButton('Disable', 'coupon ' + c.code, '/coupons/' + enc(c.code) + '/disable')], [3]),
    pagedTable('Pre-sale campaigns, newest first', ['Campaign', 'Name', 'Status', 'SKUs', 'Deposits', 'Balances', ''],
      withParam('/presales', 'status', pick('presaleStatus')),
      p => [h('span', { class: 'mono' }, p.id), p.name, statusPill(p.status), (p.skus || []).map(s => s.skuId).join(', '),
        when(p.depositStartsAt) + ' – ' + when(p.depositEndsAt), when(p.balanceStartsAt) + ' – ' + when(p.balanceEndsAt),
        p.status === 'active' ? endButton('Cancel', 'pre-sale ' + p.id, '/presales/' + enc(p.id) + '/cancel') : '']),
    pagedTable('Group buys, newest first', ['Campaign', 'Name', 'Status', 'Group size', 'Time to fill', 'Open', ''],
      withParam('/groupbuys', 'status', pick('groupbuyStatus')),
      g => [h('span', { class: 'mono' }, g.id), g.name, statusPill(g.status), g.groupSize, Math.round(g.formationSeconds / 60) + ' min',
        when(g.startsAt) + ' – ' + when(g.endsAt),
        g.status === 'active' ? endButton('Cancel', 'group buy ' + g.id, '/groupbuys/' + enc(g.id) + '/cancel') : ''], [3]),
    pagedTable('Auctions, the latest to open first', ['Auction', 'SKU', 'Status', 'Current', 'Reserve', 'Bids', 'Leader', 'Opens', 'Closes', ''],
      withParam('/auctions', 'status', pick('auctionStatus')),
      a => [h('span', { class: 'mono' }, a.auctionId), a.skuId, statusPill(a.status), a.bidCount ? money(a.currentPrice, a.currency) : 'from ' + money(a.startPrice, a.currency),
        money(a.reservePrice, a.currency) + (a.reserveMet ? ' (met)' : ''), a.bidCount, a.leader || '', when(a.startsAt), when(a.endsAt),
        ['scheduled', 'running'].includes(a.status) ? endButton('Cancel', 'auction ' + a.auctionId, '/auctions/' + enc(a.auctionId) + '/cancel') : ''],
      [3, 4, 5]),
  ]);
  return [
    h('h1', {}, 'Campaigns'),
    h('h2', {}, 'Promotions'),
    filterForm('Promotion state', 'promotionState', PROMOTION_STATES, pick('promotionState'), '#/campaigns'),
    h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, 'Promotions'),
      h('thead', {}, h('tr', {}, ['Promotion', 'Name', 'Kind', 'State', 'Starts', 'Ends', ''].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, promotions.length ? promotions.map(p => h('tr', {}, [h('span', { class: 'mono' }, p.id), p.name, p.kind, statusPill(p.state),
        p.startsAt ? when(p.startsAt) : '', p.endsAt ? when(p.endsAt) : '',
        p.state === 'disabled' ? '' : endButton('Disable', 'promotion ' + p.id, '/promotions/' + enc(p.id) + '/disable')].map(c => h('td', {}, c))))
        : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'None'))))),
    h('h2', {}, 'Coupons'),
    filterForm('Coupon state', 'couponState', COUPON_STATES, pick('couponState'), '#/campaigns'),
    coupons,
    h('h2', {}, 'Pre-sales'),
    filterForm('Pre-sale status', 'presaleStatus', CAMPAIGN_STATUSES, pick('presaleStatus'), '#/campaigns'),
    presales,
    h('h2', {}, 'Group buys'),
    filterForm('Group buy status', 'groupbuyStatus', CAMPAIGN_STATUSES, pick('groupbuyStatus'), '#/campaigns'),
    groupbuys,
    h('h2', {}, 'Auctions'),
    filterForm('Auction status', 'auctionStatus', AUCTION_STATUSES, pick('auctionStatus'), '#/campaigns'),
    auctions,
  ];
}
