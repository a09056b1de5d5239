// homophone_eval.mjs - cc_name_compare() against an independent pinyin
// library (npm pinyin-pro, name mode) on a corpus of real names. Test-only:
// not part of the build, the tests or .ci/run.
//
//   node bench/homophone_eval.mjs --corpus NAMES.txt --after build/bench/name_pairs \
//        [--before OLD/name_pairs] [--pinyin-pro DIR] [--max-per-group 200] \
//        [--near 300000] [--one-diff 200000] [--seed 1]
//
// NAMES.txt: one registered name a line (traditional or simplified; folded
// here by `name_pairs fold`). Names of 2 to 4 Han characters are kept,
// without duplicates. pinyin-pro is loaded from --pinyin-pro DIR
// (a folder with node_modules/pinyin-pro: `npm install pinyin-pro` in a
// scratch folder outside the repository), else from the usual resolution.
//
// Pairs:
//  - alike: every pair of distinct names that pinyin-pro reads alike
//    (toneless, surname mode for the first character: surname: 'head'),
//    at most --max-per-group pairs (drawn at random) per reading;
//  - near: up to --near pairs of names that differ in exactly one
//    character, the two characters sharing a reading in pinyin-pro's
//    dictionary (李晟 / 李成: 晟 is shèng or chéng): where a wrong reading
//    makes a false homophone;
//  - one-diff: a sample of --one-diff pairs of names of one length that
//    differ in exactly one character.
// Each pair is classed by where it differs (surname = the first character
// only, given = given-name characters only, both) and by what (heteronym:
// a differing character has two or more readings in pinyin-pro's
// polyphonic dictionary; single: none has).
//
// Printed (markdown): per class, pairs the reference reads alike, how many
// of them we call homophones (recall), how many pairs we call homophones
// and how many of those the reference reads apart (the false-homophone
// share), for "after" and, with --before, "before"; then the characters
// behind the most frequent disagreements, and for "after" how many of our
// homophone pairs share a blocking key (cc_name_pinyin_keys).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const args = { maxPerGroup: 200, oneDiff: 200000, near: 300000, seed: 1, top: 25 };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i], v = process.argv[i + 1];
  if (k === '--corpus') args.corpus = v;
  else if (k === '--after') args.after = v;
  else if (k === '--before') args.before = v;
  else if (k === '--pinyin-pro') args.pp = v;
  else if (k === '--max-per-group') args.maxPerGroup = Number(v);
  else if (k === '--one-diff') args.oneDiff = Number(v);
  else if (k === '--near') args.near = Number(v);
  else if (k === '--top') args.top = Number(v);
  else if (k === '--seed') args.seed = Number(v);
  else throw new Error(`unknown argument ${k}`);
}
if (!args.corpus || !args.after) {
  console.error('usage: homophone_eval.mjs --corpus FILE --after BIN [--before BIN] ...');
  process.exit(2);
}
const require = createRequire(args.pp ? path.resolve(args.pp, 'x.js') : import.meta.url);
const { pinyin, polyphonic } = require('pinyin-pro');
const ppVersion = require('pinyin-pro/package.json').version;

// A small deterministic PRNG (mulberry32).
let state = args.seed >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function run(bin, mode, input) {
  const r = spawnSync(bin, [mode], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${bin} ${mode}: ${r.stderr}`);
  return r.stdout.toString('utf8').split('\n');
}

// 1. The corpus, folded, 2-4 Han characters, distinct.
const raw = readFileSync(args.corpus, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
const folded = run(args.after, 'fold', raw.join('\n') + '\n');
const han = /^\p{Script=Han}{2,4}$/u;
const names = [...new Set(folded.filter((s) => han.test(s)))];
console.log(`corpus: ${args.corpus}: ${raw.filter((s) => s.trim()).length} lines, ` +
            `${names.length} distinct folded names of 2-4 Han characters; pinyin-pro ${ppVersion}`);

// 2. The reference reading of each name and the heteronyms.
const ref = new Map();
for (const n of names)
  ref.set(n, pinyin(n, { surname: 'head', toneType: 'none', type: 'array', v: true }).join(' '));
const hetero = new Map();
function isHetero(c) {
  if (!hetero.has(c)) {
    const rs = polyphonic(c, { toneType: 'none', type: 'array', v: true })[0] || [];
    hetero.set(c, new Set(rs).size > 1);
  }
  return hetero.get(c);
}

// 3. Pairs.
const pairs = new Map(); // "a\tb" (a < b) -> source
function addPair(a, b, src) {
  if (a === b) return;
  const k = a < b ? `${a}\t${b}` : `${b}\t${a}`;
  if (!pairs.has(k)) pairs.set(k, src);
}
const byReading = new Map();
for (const n of names) {
  const r = ref.get(n);
  if (!byReading.has(r)) byReading.set(r, []);
  byReading.get(r).push(n);
}
for (const group of byReading.values()) {
  const k = group.length;
  if (k < 2) continue;
  if ((k * (k - 1)) / 2 <= args.maxPerGroup) {
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) addPair(group[i], group[j], 'alike');
  } else {
    for (let t = 0; t < args.maxPerGroup; t++) {
      const i = Math.floor(rand() * k), j = Math.floor(rand() * k);
      addPair(group[i], group[j], 'alike');
    }
  }
}
const nAlikeDrawn = pairs.size;
let nNear = 0;
{
  const buckets = new Map();
  for (const n of names) {
    const cs = [...n];
    for (let i = 0; i < cs.length; i++) {
      const key = cs.slice(0, i).join('') + '\u0000' + i + cs.slice(i + 1).join('');
      if (!buckets.has(key)) buckets.set(key, []);
      buckets.get(key).push(n);
    }
  }
  // near: every pair of a bucket whose two differing characters share a
  // reading in pinyin-pro's dictionary (李晟 / 李成: 晟 shèng, chéng), the
  // pairs where a wrong reading makes a false homophone.
  const readings = new Map();
  const readsOf = (c) => {
    if (!readings.has(c))
      readings.set(c, new Set(polyphonic(c, { toneType: 'none', type: 'array', v: true })[0] || []));
    return readings.get(c);
  };
  const near = [];
  for (const [key, b] of buckets) {
    if (b.length < 2 || b.length > 400) continue;
    const at = Number(key.split('\u0000')[1].match(/^\d+/)[0]);
    for (let i = 0; i < b.length; i++)
      for (let j = i + 1; j < b.length; j++) {
        const x = [...b[i]][at], y = [...b[j]][at], rx = readsOf(x);
        if ([...readsOf(y)].some((r) => rx.has(r))) near.push([b[i], b[j]]);
      }
  }
  for (let i = near.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [near[i], near[j]] = [near[j], near[i]];
  }
  for (const [a, b] of near.slice(0, args.near)) addPair(a, b, 'near');
  nNear = pairs.size - nAlikeDrawn;
  const cand = [];
  for (const b of buckets.values()) {
    if (b.length < 2) continue;
    for (let t = 0; t < Math.min(3, b.length - 1); t++) {
      const i = Math.floor(rand() * b.length), j = Math.floor(rand() * b.length);
      if (i !== j) cand.push([b[i], b[j]]);
    }
  }
  for (let i = cand.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [cand[i], cand[j]] = [cand[j], cand[i]];
  }
  for (const [a, b] of cand.slice(0, args.oneDiff)) addPair(a, b, 'one-diff');
}
const list = [...pairs.keys()];
console.log(`pairs: ${list.length} (${nAlikeDrawn} drawn as read alike, ${nNear} more that differ ` +
            `in one character sharing a dictionary reading, ${list.length - nAlikeDrawn - nNear} ` +
            `more differing in one character)`);

// 4. The library's answers.
function answers(bin) {
  const out = run(bin, 'compare', list.join('\n') + '\n');
  return list.map((_, i) => out[i].split('\t'));
}
const after = answers(args.after);
const before = args.before ? answers(args.before) : null;

// 5. Classes and tallies.
function classify(a, b) {
  const ca = [...a], cb = [...b];
  if (ca.length !== cb.length) return null;
  const diff = [];
  for (let i = 0; i < ca.length; i++) if (ca[i] !== cb[i]) diff.push(i);
  const where = diff.every((i) => i === 0) ? 'surname' : diff.includes(0) ? 'both' : 'given';
  const what = diff.some((i) => isHetero(ca[i]) || isHetero(cb[i])) ? 'heteronym' : 'single';
  return { where, what, diff, ca, cb };
}
const classes = list.map((k) => { const [a, b] = k.split('\t'); return classify(a, b); });

function tally(ans) {
  const t = new Map();
  const get = (k) => { if (!t.has(k)) t.set(k, { alike: 0, hit: 0, ours: 0, falseH: 0, apart: 0 }); return t.get(k); };
  list.forEach((k, i) => {
    const c = classes[i];
    if (!c) return;
    const [a, b] = k.split('\t');
    const alike = ref.get(a) === ref.get(b);
    const ours = ans[i][0] === 'homophone';
    for (const key of ['all', `${c.where}`, `${c.what}`, `${c.where}/${c.what}`]) {
      const s = get(key);
      if (alike) { s.alike++; if (ours) s.hit++; } else s.apart++;
      if (ours) { s.ours++; if (!alike) s.falseH++; }
    }
  });
  return t;
}
const pct = (x, y) => (y ? ((100 * x) / y).toFixed(2) + '%' : '-');
const order = ['all', 'surname', 'given', 'both', 'heteronym', 'single',
  'surname/heteronym', 'surname/single', 'given/heteronym', 'given/single'];
function table(label, t) {
  console.log(`\n### ${label}\n`);
  console.log('| class | pairs read alike | we call homophones | recall | our homophone pairs | reference reads apart | false-homophone share | of all pairs read apart |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const k of order) {
    const s = t.get(k);
    if (!s) continue;
    console.log(`| ${k} | ${s.alike} | ${s.hit} | ${pct(s.hit, s.alike)} | ${s.ours} | ${s.falseH} | ` +
                `${pct(s.falseH, s.ours)} | ${pct(s.falseH, s.apart)} |`);
  }
}
if (before) table('before (main)', tally(before));
table('after (this branch)', tally(after));

// 6. The characters behind the disagreements: for a pair read alike that
// we call different, the positions where swapping in the other name's
// character alone makes us say different; for a false homophone, the
// positions the reference reads apart.
const refArr = (n) => pinyin(n, { surname: 'head', toneType: 'none', type: 'array', v: true });
function topDiffs(bin, ans, miss) {
  const probes = [], owners = [];
  list.forEach((k, i) => {
    const c = classes[i];
    if (!c || alikeOf(k) !== miss || (ans[i][0] === 'homophone') === miss) return;
    const ra = refArr(c.ca.join('')), rb = refArr(c.cb.join(''));
    for (const p of c.diff) {
      if (miss) {
        const y = c.ca.slice();
        y[p] = c.cb[p];
        probes.push(`${c.ca.join('')}\t${y.join('')}`);
        owners.push([i, p]);
      } else if (ra[p] !== rb[p]) {
        owners.push([i, p]);
      }
    }
  });
  const verdict = miss ? run(bin, 'compare', probes.join('\n') + '\n') : null;
  const m = new Map();
  owners.forEach(([i, p], j) => {
    if (miss && verdict[j].split('\t')[0] !== 'different') return;
    const c = classes[i];
    const key = `${c.ca[p]}/${c.cb[p]}${p === 0 ? ' (surname)' : ''}`;
    const e = m.get(key) || { n: 0, ex: list[i].replace('\t', ' / ') };
    e.n++;
    m.set(key, e);
  });
  return [...m.entries()].sort((x, y) => y[1].n - x[1].n).slice(0, args.top)
    .map(([k, e]) => `${k} ${e.n} (${e.ex})`).join('; ');
}
function alikeOf(k) { const [a, b] = k.split('\t'); return ref.get(a) === ref.get(b); }
console.log('\nafter, read alike by the reference, different for us (character pairs, count, an example):');
console.log(topDiffs(args.after, after, true));
console.log('\nafter, homophones for us, read apart by the reference:');
console.log(topDiffs(args.after, after, false));
if (before) {
  console.log('\nbefore, read alike by the reference, different for us:');
  console.log(topDiffs(args.before, before, true));
  console.log('\nbefore, homophones for us, read apart by the reference:');
  console.log(topDiffs(args.before, before, false));
}

// 7. Blocking keys (after): do homophone pairs share a key? How many of
// the corpus's names are capped?
if (after[0].length >= 3) {
  const self = run(args.after, 'compare', names.map((n) => `${n}\t${n}`).join('\n') + '\n');
  const cappedAll = self.filter((l) => l.split('\t')[2] === '2').length;
  console.log(`\nkeys: ${cappedAll} of ${names.length} names capped (${pct(cappedAll, names.length)})`);
  let h = 0, meet = 0, capped = 0, cappedApart = 0;
  after.forEach((a) => {
    if (a[0] !== 'homophone') return;
    h++;
    if (a[1] === 'meet') meet++;
    if (a[2] !== '0') { capped++; if (a[1] !== 'meet') cappedApart++; }
  });
  const cappedNames = new Set();
  let nCapped = 0;
  list.forEach((k, i) => { if (after[i][2] !== '0') k.split('\t').forEach((n) => cappedNames.add(n)); });
  nCapped = cappedNames.size;
  console.log(`keys: ${meet} of ${h} homophone pairs share a key (${pct(meet, h)}); ` +
              `${capped} pairs involve a capped name, ${cappedApart} of them share no key; ` +
              `${nCapped} capped names among those paired`);
}
