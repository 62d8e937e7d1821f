// bench/sentiment.ts — Rapport's sentiment analyser on the labelled tweets of ../shared/eval/sentiment
// (VADER's ground truth: the mean of ~20 human ratings, -4..4), in the same run beside the
// `vader-sentiment` and `sentiment` npm packages: Pearson correlation with the human mean / 4,
// 3-class accuracy and macro-F1 (positive > 0.05, negative < -0.05, else neutral, for both the humans
// and the analyser), and sentences scored per second (best of three passes over the whole file).
//   npx tsx bench/sentiment.ts [--file path/to/id<TAB>mean<TAB>text.txt]
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Sentiment from 'sentiment';
import vader from 'vader-sentiment';
import { analyse } from '../apps/server/src/modules/feelings/analyser/analyser.js';
import { fmt } from './lib.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({ options: { file: { type: 'string' } } });
const file =
  values.file ??
  [path.join(here, '../../shared/eval/sentiment/tweets_GroundTruth.txt'), path.join(here, '../shared/eval/sentiment/tweets_GroundTruth.txt')].find((f) =>
    existsSync(f),
  );
if (!file) throw new Error('labelled data not found: pass --file id<TAB>mean<TAB>text');

const rows = readFileSync(file, 'utf8')
  .split(/\r?\n/)
  .map((l) => l.split('\t'))
  .filter((p) => p.length >= 3 && p[1] !== '' && !Number.isNaN(Number(p[1])))
  .map((p) => ({ gold: Number(p[1]) / 4, text: p.slice(2).join('\t') }));

type Scorer = { name: string; score: (text: string) => number };
const afinn = new Sentiment();
const scorers: Scorer[] = [
  { name: 'Rapport', score: (t) => analyse(t).score },
  { name: 'vader-sentiment', score: (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound },
  // `sentiment` (AFINN-165) gives a comparative score per word; clamp it to [-1, 1] like the others.
  { name: 'sentiment (AFINN)', score: (t) => Math.max(-1, Math.min(1, afinn.analyze(t).comparative)) },
];

const label = (x: number) => (x > 0.05 ? 1 : x < -0.05 ? -1 : 0);

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i] ?? 0) - ma;
    const y = (b[i] ?? 0) - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return num / Math.sqrt(da * db);
}

function classes(gold: number[], got: number[]) {
  let correct = 0;
  const f1s: number[] = [];
  for (const c of [-1, 0, 1]) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < gold.length; i++) {
      const g = label(gold[i] ?? 0);
      const p = label(got[i] ?? 0);
      if (p === c && g === c) tp++;
      else if (p === c) fp++;
      else if (g === c) fn++;
    }
    f1s.push(tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));
  }
  for (let i = 0; i < gold.length; i++) if (label(gold[i] ?? 0) === label(got[i] ?? 0)) correct++;
  return { accuracy: correct / gold.length, macroF1: f1s.reduce((s, x) => s + x, 0) / f1s.length };
}

const gold = rows.map((r) => r.gold);
console.log(`\n${rows.length} labelled texts from ${path.relative(process.cwd(), file)}\n`);
console.log('| analyser | Pearson r | accuracy | macro-F1 | sentences/s |');
console.log('|---|---|---|---|---|');
const results: Array<{ name: string; r: number; f1: number; rate: number }> = [];
for (const s of scorers) {
  const got = rows.map((r) => s.score(r.text));
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t0 = process.hrtime.bigint();
    let sink = 0;
    for (const r of rows) sink += s.score(r.text);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (Number.isNaN(sink)) throw new Error('NaN score');
    best = Math.min(best, ms);
  }
  const rate = (rows.length / best) * 1000;
  const r = pearson(gold, got);
  const { accuracy, macroF1 } = classes(gold, got);
  results.push({ name: s.name, r, f1: macroF1, rate });
  console.log(`| ${s.name} | ${r.toFixed(3)} | ${(accuracy * 100).toFixed(1)} % | ${macroF1.toFixed(3)} | ${fmt(rate)} |`);
}
const [mine, vaderResult, afinnResult] = results;
if (mine && vaderResult && afinnResult) {
  const bestR = Math.max(vaderResult.r, afinnResult.r);
  const bestF1 = Math.max(vaderResult.f1, afinnResult.f1);
  console.log(
    `\nRapport vs the best other: Pearson ${mine.r >= bestR ? '≥' : '<'} ${bestR.toFixed(3)}, macro-F1 ${mine.f1 >= bestF1 ? '≥' : '<'} ${bestF1.toFixed(3)}, ` +
      `speed ${(mine.rate / vaderResult.rate).toFixed(1)}× vader-sentiment`,
  );
}
