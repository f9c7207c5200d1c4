// Writes data/cn-latin.tsv.gz: the Hanyu Pinyin of every province, city and district in
// data/cn-regions.tsv.gz, one syllable per character ("330106<TAB>xi hu qu"), so that an address
// written in Latin letters ("Zhejiang", "Hangzhou City") resolves to the same regions. Pinyin
// comes from pinyin-pro (its phrase dictionary reads 重庆 as chong qing, 六安 as lu an).
// Run from components/address:  npm install pinyin-pro@3.29.4 && node gen/latin/latin.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(process.cwd() + '/');
const { pinyin } = require('pinyin-pro');

const rows = gunzipSync(readFileSync('data/cn-regions.tsv.gz')).toString('utf8').split('\n').filter(Boolean);
const out = [];
for (const row of rows) {
  const [code, name] = row.split('\t');
  if (code.length > 6) continue; // streets are found under their district by name
  const syllables = pinyin(name, { toneType: 'none', type: 'array', v: true });
  if (syllables.length !== [...name].length || syllables.some((s) => !/^[a-z]+$/.test(s))) {
    throw new Error(`${code} ${name}: ${syllables.join(' ')}`);
  }
  out.push(`${code}\t${syllables.join(' ')}`);
}
writeFileSync('data/cn-latin.tsv.gz', gzipSync(out.join('\n') + '\n', { level: 9 }));
console.log(`${out.length} regions romanised into data/cn-latin.tsv.gz`);
