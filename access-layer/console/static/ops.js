// Operations: the runtime toggles (and Sentinel's rule sets, which are toggles) with where each
// value came from.
import { api, h, table, when } from './console.js';

export async function togglesPage() {
  const v = await api('GET', '/toggles');
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
  ];
}
