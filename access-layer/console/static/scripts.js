// Scripts: which version runs where (per point and scope, with its gray share), the editor with
// validate and save, version history with diffs, and for a version: test-run on an input or on a
// past order's logged input, shadow replay over the point's logged calls, then publish to a
// share of users, and rollback.
import { api, h, field, table, money, when, act, query, flash, errorText, signedInTenant } from './console.js';
import { editor, diff } from './lua.js';

const enc = encodeURIComponent;

function pubText(p) {
  const parts = [];
  if (p.stableScript) parts.push(p.stableScript + ' v' + p.stableVersion);
  if (p.grayScript) parts.push(p.grayScript + ' v' + p.grayVersion + ' to ' + (p.grayBasisPoints / 100) + '% of users');
  return parts.join('; ') || 'the platform default';
}

export async function scriptsPage() {
  const [points, pubs, versions] = await Promise.all([api('GET', '/extensions/points'), api('GET', '/extensions/publications'), api('GET', '/extensions/scripts')]);
  const latest = new Map();
  for (const v of versions) if (!latest.has(v.scriptId) || latest.get(v.scriptId).version < v.version) latest.set(v.scriptId, v);
  const id = h('input', { name: 'scriptId', required: true, pattern: '[a-z0-9_-]{1,64}', autocomplete: 'off' });
  return [
    h('h1', {}, 'Scripts'),
    h('h2', {}, 'Extension points'),
    table('Extension points, what runs at each scope', ['Point', 'Mode', 'On failure', 'Budget', 'Runs where', 'What it does'],
      points.map(p => [h('span', { class: 'mono' }, p.name), p.mode, p.policy,
        (p.budget.instructions || 0).toLocaleString() + ' instr. / ' + Math.round((p.budget.wallMicros || 0) / 1000) + ' ms',
        pubs.filter(x => x.point === p.name).map(x => h('div', {}, h('span', { class: 'mono' }, x.scope), ': ', pubText(x))),
        p.doc])),
    h('h2', {}, 'Scripts'),
    table('Scripts of this tenant', ['Script', 'Point', 'Latest version', 'Author', 'Created', 'Notes'],
      [...latest.values()].map(v => [h('a', { href: '#/scripts/' + enc(v.scriptId) }, v.scriptId), v.point, v.version, v.author, when(v.createdAt), v.notes || ''])),
    h('form', { class: 'row card', 'aria-label': 'New script', onsubmit: (ev) => {
      ev.preventDefault();
      location.hash = '#/scripts/' + enc(id.value.trim());
    } }, field('New script id', id, 'lowercase letters, digits, - and _'), h('button', { type: 'submit' }, 'Open editor')),
  ];
}

const TEMPLATE = `-- point: pricing.unit_price
-- What this script changes, for whom, and why.
-- test: {"input": {"currency": "CNY", "buyer": {"userId": "u1"}, "at": 0, "lines": [{"skuId": "tea", "title": "Tea", "sellerId": "s1", "tags": [], "quantity": 1, "listPrice": 12800, "price": 12800}]}, "output": {"lines": [{"skuId": "tea", "unitPrice": 12800}]}}

function run(input)
  local out = {}
  for i, line in ipairs(input.lines) do
    out[i] = {skuId = line.skuId, unitPrice = line.price}
  end
  return {lines = out}
end
`;

// firstFixture is the input of a script's first "-- test:" line, to start a test-run from.
function firstFixture(src) {
  const m = /^--\s*test:\s*(\{.*\})\s*$/m.exec(src || '');
  if (!m) return '{}';
  try { return JSON.stringify(JSON.parse(m[1]).input ?? {}, null, 2); } catch (e) { return '{}'; }
}

function diffView(older, newer) {
  return h('pre', { class: 'diff', 'aria-label': 'Changes' }, diff(older, newer).map(([k, line]) =>
    h('span', { class: k === '+' ? 'add' : k === '-' ? 'del' : 'same' }, k + ' ' + line)));
}

function out(box, ...nodes) { box.replaceChildren(...nodes.flat(Infinity).filter(n => n !== null && n !== undefined && n !== false)); }

export async function scriptPage(scriptId) {
  const versions = (await api('GET', '/extensions/scripts/' + enc(scriptId) + '/versions')).sort((a, b) => b.version - a.version);
  const pubs = await api('GET', '/extensions/publications');
  const q = query();
  const chosen = versions.find(v => String(v.version) === q.get('v')) || versions[0];
  const tenant = signedInTenant();

  // The editor: validate, then save as the next version.
  const ed = editor('Source of ' + scriptId, versions.length ? versions[0].source : TEMPLATE);
  const notes = h('input', { name: 'notes', maxlength: 500, autocomplete: 'off' });
  const edOut = h('div', { 'aria-live': 'polite' });
  const validateBtn = h('button', { type: 'button', class: 'secondary' }, 'Validate');
  validateBtn.addEventListener('click', async () => {
    validateBtn.disabled = true;
    try {
      const r = await api('POST', '/extensions/scripts/validate', { source: ed.value() });
      out(edOut, h('p', {}, 'Valid: point ', h('span', { class: 'mono' }, r.point), ', ' + r.fixtures + ' test fixture' + (r.fixtures === 1 ? '' : 's') + ' passed.'));
    } catch (e) {
      out(edOut, h('p', { class: 'error-text' }, errorText(e)));
    }
    validateBtn.disabled = false;
  });
  const saveBtn = h('button', { type: 'submit' }, 'Save as new version');
  const editForm = h('form', { 'aria-label': 'Edit ' + scriptId, onsubmit: async (ev) => {
    ev.preventDefault();
    saveBtn.disabled = true;
    try {
      const v = await api('POST', '/extensions/scripts/' + enc(scriptId) + '/versions', { source: ed.value(), notes: notes.value.trim() });
      flash('Saved ' + scriptId + ' v' + v.version);
      location.hash = '#/scripts/' + enc(scriptId) + '?v=' + v.version;
    } catch (e) {
      out(edOut, h('p', { class: 'error-text' }, errorText(e)));
    }
    saveBtn.disabled = false;
  } }, ed.el, h('div', { class: 'row' }, field('Notes for this version', notes), validateBtn, saveBtn), edOut);

  const history = versions.map((v, i) => {
    const prev = versions[i + 1];
    const box = h('div', {});
    const show = prev ? h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false' }, 'Diff with v' + prev.version) : null;
    if (show) show.addEventListener('click', () => {
      const open = show.getAttribute('aria-expanded') === 'true';
      show.setAttribute('aria-expanded', String(!open));
      out(box, ...(open ? [] : [diffView(prev.source, v.source)]));
    });
    const runs = pubs.filter(p => p.point === v.point && ((p.stableScript === scriptId && p.stableVersion === v.version) || (p.grayScript === scriptId && p.grayVersion === v.version)))
      .map(p => p.scope + (p.grayScript === scriptId && p.grayVersion === v.version ? ' (gray ' + p.grayBasisPoints / 100 + '%)' : ''));
    return [v.version === chosen?.version ? h('strong', {}, 'v' + v.version) : h('a', { href: '#/scripts/' + enc(scriptId) + '?v=' + v.version }, 'v' + v.version),
      v.point, runs.join(', ') || '', v.author, when(v.createdAt), v.notes || '', h('span', { class: 'mono' }, (v.hash || '').slice(0, 12)), h('div', {}, show, box)];
  });

  const nodes = [
    h('p', {}, h('a', { href: '#/scripts' }, '← Scripts')),
    h('h1', {}, 'Script ', h('span', { class: 'mono' }, scriptId)),
    h('h2', {}, versions.length ? 'Edit (saves the next version)' : 'New script'),
    editForm,
  ];
  if (!versions.length) return nodes;
  nodes.push(h('h2', {}, 'Versions'),
    table('Versions of ' + scriptId + ', newest first', ['Version', 'Point', 'Runs at', 'Author', 'Created', 'Notes', 'Hash', 'Changes'], history));
  nodes.push(...versionPanels(scriptId, chosen, pubs, tenant));
  return nodes;
}

function versionPanels(scriptId, v, pubs, tenant) {
  const base = '/extensions/scripts/' + enc(scriptId) + '/versions/' + v.version;
  const scopes = [...new Set([tenant + '/*', ...pubs.map(p => p.scope)])];
  const scopeList = h('datalist', { id: 'scopes' }, scopes.map(s => h('option', { value: s })));
  const scopeInput = (name) => h('input', { name, list: 'scopes', value: tenant + '/*', required: true, autocomplete: 'off' });

  // Test run.
  const input = h('textarea', { name: 'input', rows: 10, class: 'mono', spellcheck: 'false' });
  input.value = firstFixture(v.source);
  let previous = null;
  const orderId = h('input', { name: 'orderId', autocomplete: 'off' });
  const loadBtn = h('button', { type: 'button', class: 'secondary' }, 'Load its input');
  const runOut = h('div', { 'aria-live': 'polite' });
  loadBtn.addEventListener('click', async () => {
    loadBtn.disabled = true;
    try {
      const r = await api('GET', '/orders/' + enc(orderId.value.trim()) + '/extension-runs');
      const run = (r.runs || []).find(x => x.point === v.point && x.input);
      if (!run) throw new Error('order ' + orderId.value.trim() + ' has no logged call of ' + v.point);
      input.value = JSON.stringify(run.input, null, 2);
      previous = run.previous ?? null;
      const ran = run.scriptId ? run.scriptId + ' v' + run.version : 'the default';
      out(runOut, h('p', {}, 'Loaded the input ' + ran + ' ran on for order ' + r.orderId + '; it answered:'),
        h('pre', { class: 'json' }, JSON.stringify(run.output ?? null, null, 2)));
    } catch (e) {
      out(runOut, h('p', { class: 'error-text' }, errorText(e)));
    }
    loadBtn.disabled = false;
  });
  const runBtn = h('button', { type: 'submit' }, 'Test-run v' + v.version);
  const testForm = h('form', { 'aria-label': 'Test-run v' + v.version, onsubmit: async (ev) => {
    ev.preventDefault();
    let parsed;
    try { parsed = JSON.parse(input.value); } catch (e) { out(runOut, h('p', { class: 'error-text' }, 'The input is not JSON: ' + e.message)); return; }
    runBtn.disabled = true;
    try {
      const body = { input: parsed };
      if (previous !== null) body.previous = previous;
      const r = await api('POST', base + '/test-run', body);
      const b = r.budget || {};
      out(runOut, h('p', { id: 'testrun-result' }, 'Output in ' + (r.tookMicros / 1000).toFixed(2) + ' ms (budget ' + ((b.wallMicros || 0) / 1000) + ' ms), ' +
        r.instructions.toLocaleString('en') + ' of ' + (b.instructions || 0).toLocaleString('en') + ' instructions:'),
      h('pre', { class: 'json' }, JSON.stringify(r.output ?? null, null, 2)));
    } catch (e) {
      out(runOut, h('p', { class: 'error-text', id: 'testrun-result' }, errorText(e)));
    }
    runBtn.disabled = false;
  } }, field('Input (JSON)', input), h('div', { class: 'row' }, field('Or a past order', orderId), loadBtn), h('p', {}, runBtn), runOut);

  // Shadow replay, then publish: the publish button comes after what the replay showed.
  const shScope = scopeInput('scope');
  const shLimit = h('input', { name: 'limit', type: 'number', min: 1, max: 10000, value: 1000 });
  const shSince = h('input', { name: 'since', type: 'datetime-local' });
  const shOut = h('div', { 'aria-live': 'polite' });
  const shBtn = h('button', { type: 'submit' }, 'Shadow-replay v' + v.version);
  const shadowForm = h('form', { 'aria-label': 'Shadow replay of v' + v.version, onsubmit: async (ev) => {
    ev.preventDefault();
    shBtn.disabled = true;
    out(shOut, h('p', { class: 'muted' }, 'Replaying…'));
    try {
      const body = { scope: shScope.value.trim(), point: v.point, limit: Number(shLimit.value) || 1000 };
      if (shSince.value) body.since = new Date(shSince.value).toISOString();
      out(shOut, ...shadowReport(await api('POST', base + '/shadow', body)));
    } catch (e) {
      out(shOut, h('p', { class: 'error-text' }, errorText(e)));
    }
    shBtn.disabled = false;
  } }, h('div', { class: 'row' }, field('Scope', shScope), field('Calls (latest)', shLimit), field('Since (default a week ago)', shSince), shBtn), shOut);

  const pubScope = scopeInput('scope');
  const share = h('input', { name: 'share', inputmode: 'decimal', value: '100', required: true });
  const pubBtn = h('button', { type: 'submit' }, 'Publish v' + v.version);
  const publishForm = h('form', { class: 'row', 'aria-label': 'Publish v' + v.version, onsubmit: (ev) => {
    ev.preventDefault();
    const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(share.value.trim());
    const bp = m ? Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0')) : NaN;
    if (!(bp >= 1 && bp <= 10000)) { flash('The share is a percentage from 0.01 to 100', 'error'); return; }
    act(pubBtn, 'Publish ' + scriptId + ' v' + v.version + ' to ' + bp / 100 + '% at ' + pubScope.value.trim(),
      () => api('POST', '/extensions/publications', { scriptId, version: v.version, scope: pubScope.value.trim(), grayBasisPoints: bp }));
  } }, field('Scope', pubScope), field('Share of users (%)', share), pubBtn);

  const rbScope = scopeInput('scope');
  const rbBtn = h('button', { type: 'submit', class: 'danger' }, 'Roll back');
  const rollbackForm = h('form', { class: 'row', 'aria-label': 'Roll back ' + v.point, onsubmit: (ev) => {
    ev.preventDefault();
    act(rbBtn, 'Roll back ' + v.point + ' at ' + rbScope.value.trim(), () => api('POST', '/extensions/publications/rollback', { point: v.point, scope: rbScope.value.trim() }));
  } }, field('Scope', rbScope), rbBtn);

  return [
    scopeList,
    h('h2', {}, 'Version ' + v.version, ' ', h('span', { class: 'muted mono' }, v.point)),
    h('section', { class: 'card', 'aria-label': 'Test run' }, h('h3', {}, 'Test run'), testForm),
    h('section', { class: 'card', 'aria-label': 'Shadow replay' }, h('h3', {}, 'Shadow replay'),
      h('p', { class: 'muted' }, 'Runs this version over the logged inputs of the latest calls of its point at a scope, beside what they returned. Nothing is written.'),
      shadowForm),
    h('section', { class: 'card', 'aria-label': 'Publish' }, h('h3', {}, 'Publish'), publishForm),
    h('section', { class: 'card', 'aria-label': 'Rollback' }, h('h3', {}, 'Roll back'),
      h('p', { class: 'muted' }, 'Puts back what was published at the scope before the latest publish of ' + v.point + '.'), rollbackForm),
  ];
}

function shadowReport(r) {
  const deltas = Object.entries(r.moneyDelta || {});
  const signed = (n, c) => (n > 0 ? '+' : '') + money(n, c);
  const call = (c) => [c.seq, c.tradeId ? h('a', { href: '#/trades/' + enc(c.tradeId) }, c.tradeId) : '', when(c.at),
    c.ranScriptId ? c.ranScriptId + ' v' + c.ranVersion : 'default', c.currency ? signed(c.moneyDelta, c.currency) : '', (c.tookMicros / 1000).toFixed(2) + ' ms',
    c.error || h('details', {}, h('summary', {}, 'Results'), h('pre', { class: 'json' }, 'before: ' + JSON.stringify(c.baseline) + '\nafter:  ' + JSON.stringify(c.candidate)))];
  const head = ['Call', 'Trade', 'At', 'Ran', 'Money', 'Time', 'Detail'];
  return [
    h('div', { class: 'stats', id: 'shadow-summary' },
      h('div', {}, h('div', { class: 'muted' }, 'Calls replayed'), h('div', { class: 'big', id: 'shadow-calls' }, String(r.calls))),
      h('div', {}, h('div', { class: 'muted' }, 'Results that differ'), h('div', { class: 'big', id: 'shadow-changed' }, String(r.changed))),
      r.money ? h('div', {}, h('div', { class: 'muted' }, 'Buyers would pay'), h('div', { class: 'big', id: 'shadow-money' },
        deltas.length ? deltas.map(([c, n]) => signed(n, c)).join(', ') : 'the same')) : null,
      h('div', {}, h('div', { class: 'muted' }, 'Errors'), h('div', { class: 'big', id: 'shadow-errors' }, String(r.errors))),
      h('div', {}, h('div', { class: 'muted' }, 'Budget hits'), h('div', { class: 'big' }, String(r.budgetHits)))),
    h('p', { class: 'muted' }, 'Since ' + when(r.since) + '; ' + r.skipped + ' logged call' + (r.skipped === 1 ? '' : 's') + ' cut short skipped; took ' + (r.tookMicros / 1000).toFixed(1) + ' ms.'),
    table('Calls whose result differs', head, (r.changedCalls || []).map(call), [0]),
    (r.failedCalls || []).length ? table('Calls that failed', head, r.failedCalls.map(call), [0]) : null,
    table('Slowest calls', head, (r.slowest || []).map(call), [0]),
  ];
}
