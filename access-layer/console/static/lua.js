// The script editor: a plain textarea (so typing, selection, undo, the keyboard and screen
// readers all work as they do everywhere) over a highlighted copy of its text, with line numbers
// beside. The tokenizer knows Lua 5.1's lexical grammar: long brackets of any level, both quote
// styles with escapes, numbers (hex too), keywords and the libraries the sandbox offers.
import { h } from './console.js';

const KEYWORDS = new Set(('and break do else elseif end false for function if in local nil not or repeat return then true until while').split(' '));
const LIBS = new Set(['string', 'table', 'math', 'ipairs', 'pairs', 'tostring', 'tonumber', 'type', 'error', 'assert', 'pcall', 'select', 'next', 'unpack', 'rawget', 'rawset', 'rawequal', 'setmetatable', 'getmetatable']);

// tokens splits source into [class, text] pairs whose texts concatenate to source exactly.
export function tokens(src) {
  const out = [];
  let i = 0;
  const push = (cls, end) => { out.push([cls, src.slice(i, end)]); i = end; };
  const longEnd = (from) => { // from is at '['; returns the end of a long bracket, or -1
    const m = /^\[(=*)\[/.exec(src.slice(from, from + 64));
    if (!m) return -1;
    const close = ']' + m[1] + ']';
    const e = src.indexOf(close, from + m[0].length);
    return e < 0 ? src.length : e + close.length;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '-' && src[i + 1] === '-') {
      const e = src[i + 2] === '[' ? longEnd(i + 2) : -1;
      if (e >= 0) { push('com', e); continue; }
      const nl = src.indexOf('\n', i);
      push('com', nl < 0 ? src.length : nl);
      continue;
    }
    if (c === '[') {
      const e = longEnd(i);
      if (e >= 0) { push('str', e); continue; }
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      push('str', Math.min(j + 1, src.length));
      continue;
    }
    let m;
    const rest = src.slice(i, i + 256);
    if ((m = /^(0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(rest))) { push('num', i + m[0].length); continue; }
    if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      const w = m[0];
      push(KEYWORDS.has(w) ? 'kw' : LIBS.has(w) ? 'lib' : '', i + w.length);
      continue;
    }
    if ((m = /^[^A-Za-z_0-9"'\[\-]+/.exec(rest))) { push('', i + m[0].length); continue; }
    push('', i + 1);
  }
  return out;
}

function paint(code, src) {
  const frag = document.createDocumentFragment();
  for (const [cls, text] of tokens(src)) {
    frag.appendChild(cls ? h('span', { class: 'tok-' + cls }, text) : document.createTextNode(text));
  }
  // A trailing newline needs a character after it to take up its line in a <pre>.
  frag.appendChild(document.createTextNode('\n'));
  code.replaceChildren(frag);
}

// editor returns { el, textarea, value() }: a labelled Lua editor holding source.
export function editor(label, source) {
  const ta = h('textarea', { class: 'code', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', wrap: 'off', 'aria-label': label });
  ta.value = source || '';
  const code = h('code', {});
  const hl = h('pre', { class: 'hl', 'aria-hidden': 'true' }, code);
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  const update = () => {
    paint(code, ta.value);
    const n = ta.value.split('\n').length;
    gutter.textContent = Array.from({ length: n }, (_, k) => k + 1).join('\n') + '\n';
    sync();
  };
  const sync = () => { hl.scrollTop = ta.scrollTop; hl.scrollLeft = ta.scrollLeft; gutter.scrollTop = ta.scrollTop; };
  ta.addEventListener('input', update);
  ta.addEventListener('scroll', sync);
  // Tab indents (two spaces) instead of leaving the editor; Escape then Tab leaves it, so the
  // keyboard is never trapped.
  let escaped = false;
  ta.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { escaped = true; return; }
    if (ev.key === 'Tab' && !ev.shiftKey && !escaped) {
      ev.preventDefault();
      const s = ta.selectionStart;
      ta.setRangeText('  ', s, ta.selectionEnd, 'end');
      update();
    }
    escaped = false;
  });
  update();
  const el = h('div', { class: 'editor' }, gutter, h('div', { class: 'code-area' }, hl, ta));
  return { el, textarea: ta, value: () => ta.value, set: (v) => { ta.value = v; update(); } };
}

// diff is a line diff of a and b (longest common subsequence), as [kind, line] with kind
// ' ', '-' or '+'. Scripts are small (a few hundred lines): the quadratic table is fine.
export function diff(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  const n = x.length, m = y.length;
  const L = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push([' ', x[i]]); i++; j++; }
    else if (L[i + 1][j] >= L[i][j + 1]) out.push(['-', x[i++]]);
    else out.push(['+', y[j++]]);
  }
  while (i < n) out.push(['-', x[i++]]);
  while (j < m) out.push(['+', y[j++]]);
  return out;
}
