// Rapport's sentiment analyser: offline, lexicon and rules, no model to download. It follows VADER's
// method (Hutto & Gilbert 2014: a valence lexicon, boosters, negation, "but", capitals, "!"), in one
// pass over pre-split tokens, and adds what a help desk needs that general lexicons miss:
// - complaints with no emotional word ("my parcel still hasn't arrived", "the agent hung up on me"),
//   scored as phrases in place of their words;
// - politeness inside a request is not sentiment ("please send me my invoice" is neutral);
// - greetings and sign-offs of an email ("Dear…", "Best regards") are not sentiment;
// - a positive opener followed by a complaint is sarcasm ("Great, another update that deletes…");
// - negation stops at the end of a clause ("not sure, but it works great" keeps "great");
// - emoji carry valence;
// - signals: frustration, urgency, churn risk, gratitude; and key phrases for topics.
import {
  B_INCR,
  BOOSTERS,
  COMPLAINTS,
  EMOJI_RE,
  IDIOMS,
  LEXICON,
  NEGATIONS,
  POLITENESS,
  REQUEST_CUES,
  SARCASM_FOLLOWERS,
  SARCASM_LEADS,
  SARCASTIC_OPENERS,
  SIGNAL_CUES,
  STOPWORDS,
  VERBS,
} from './lexicon.js';

export type SentimentLabel = 'positive' | 'neutral' | 'negative';
export type SentimentSignal = keyof typeof SIGNAL_CUES;
export type Sentiment = { score: number; label: SentimentLabel; signals: SentimentSignal[]; phrases: string[] };

const C_INCR = 0.733;
const N_SCALAR = -0.74;
/** A negated negative word ("can't die", "not wrong") is only mildly positive. */
const N_NEGATIVE = -0.4;
const ALPHA = 15;
/** Texts longer than this are cut before scoring: the analyser's work is linear and bounded. */
export const MAX_ANALYSED_CHARS = 20_000;

export const labelOf = (score: number): SentimentLabel => (score > 0.05 ? 'positive' : score < -0.05 ? 'negative' : 'neutral');

type Phrase = { words: string[]; value: number };
function byFirstWord(entries: Iterable<[string, number]>): Map<string, Phrase[]> {
  const m = new Map<string, Phrase[]>();
  for (const [text, value] of entries) {
    const words = text.split(' ');
    const first = words[0] ?? '';
    const list = m.get(first) ?? [];
    list.push({ words, value });
    list.sort((a, b) => b.words.length - a.words.length); // longest match first
    m.set(first, list);
  }
  return m;
}
const COMPLAINT_INDEX = byFirstWord(COMPLAINTS);
const IDIOM_INDEX = byFirstWord(IDIOMS);
const REQUEST_INDEX = byFirstWord(REQUEST_CUES.map((c): [string, number] => [c.join(' '), 1]));
const SIGNAL_NAMES = Object.keys(SIGNAL_CUES) as SentimentSignal[];
/** Every signal's cues in one index (the phrase's value is its signal's position): one pass finds them all. */
const SIGNAL_INDEX = byFirstWord(SIGNAL_NAMES.flatMap((s, n) => SIGNAL_CUES[s].map((c): [string, number] => [c, n])));

/** Which signals' cues the tokens hold, as a bit set by SIGNAL_NAMES position. */
function cuesIn(low: string[]): number {
  let found = 0;
  for (let i = 0; i < low.length; i++) {
    const list = SIGNAL_INDEX.get(low[i] ?? '');
    if (!list) continue;
    outer: for (const p of list) {
      if (i + p.words.length > low.length) continue;
      for (let k = 1; k < p.words.length; k++) if (low[i + k] !== p.words[k]) continue outer;
      found |= 1 << p.value;
    }
  }
  return found;
}

function matchAt(index: Map<string, Phrase[]>, low: string[], i: number): Phrase | null {
  const list = index.get(low[i] ?? '');
  if (!list) return null;
  outer: for (const p of list) {
    if (i + p.words.length > low.length) continue;
    for (let k = 1; k < p.words.length; k++) if (low[i + k] !== p.words[k]) continue outer;
    return p;
  }
  return null;
}
function hasAny(index: Map<string, Phrase[]>, low: string[]): boolean {
  for (let i = 0; i < low.length; i++) if (matchAt(index, low, i)) return true;
  return false;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&apos;': "'", '&nbsp;': ' ' };
const GREETING = /^\s*(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^\n]{0,60}\n/i;
const SIGN_OFF =
  /\n\s*(best( regards| wishes)?|kind regards|warm regards|regards|many thanks|thanks( again| in advance)?|thank you|cheers|sincerely|yours( truly| sincerely)?|sent from my \w+)[,.!]?\s*(\n[^\n]{0,60}){0,3}\s*$/i;
/** ALL CAPS: at least one capital and no small letter (VADER's "isupper"). */
function isUpper(word: string): boolean {
  let upper = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 97 && c <= 122) return false;
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 128) {
      const ch = word[i] ?? '';
      if (ch !== ch.toUpperCase()) return false;
      if (ch !== ch.toLowerCase()) upper = true;
    }
  }
  return upper;
}

type Tokens = { raw: string[]; low: string[]; clauseEnd: boolean[]; sentenceEnd: boolean[]; stretched: Set<number> };

/** A letter or digit: ASCII by char code, anything else by its Unicode category. */
function isWordChar(c: number, text: string, i: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  return LETTER_OR_DIGIT.test(text[i] ?? '');
}
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const isSpace = (c: number) => c <= 32 || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0x3000 || (c >= 0x2000 && c <= 0x200b);

function tokenize(text: string): Tokens {
  const raw: string[] = [];
  const low: string[] = [];
  const clauseEnd: boolean[] = [];
  const sentenceEnd: boolean[] = [];
  const stretched = new Set<number>();
  const len = text.length;
  let i = 0;
  while (i < len) {
    // one whitespace-separated token: [start, stop)
    while (i < len && isSpace(text.charCodeAt(i))) i++;
    const start = i;
    while (i < len && !isSpace(text.charCodeAt(i))) i++;
    const stop = i;
    if (stop === start) break;
    const t = text.slice(start, stop);
    const lower = t.toLowerCase();
    if (LEXICON.has(lower)) {
      // an emoticon or a word exactly as the lexicon has it
      raw.push(t);
      low.push(lower);
      clauseEnd.push(false);
      sentenceEnd.push(false);
      continue;
    }
    let a = start;
    while (a < stop && !isWordChar(text.charCodeAt(a), text, a)) a++;
    let b = stop;
    while (b > a && !isWordChar(text.charCodeAt(b - 1), text, b - 1)) b--;
    let endsClause = false;
    let endsSentence = false;
    for (let k = b; k < stop; k++) {
      const c = text.charCodeAt(k);
      // . ! ? … end a sentence; , ; : ) end a clause
      if (c === 46 || c === 33 || c === 63 || c === 0x2026) endsSentence = endsClause = true;
      else if (c === 44 || c === 59 || c === 58 || c === 41) endsClause = true;
    }
    if (b - a < 2) {
      const w = text.slice(a, b).toLowerCase();
      if (!LEXICON.has(w) || w.length === 0) {
        // VADER drops one-letter tokens; their punctuation still closes the clause before them.
        if (endsClause && clauseEnd.length > 0) {
          clauseEnd[clauseEnd.length - 1] = true;
          if (endsSentence) sentenceEnd[sentenceEnd.length - 1] = true;
        }
        continue;
      }
    }
    const word = a === start && b === stop ? t : text.slice(a, b);
    let lw = a === start && b === stop ? lower : word.toLowerCase();
    // "soooo goooood": an elongated word is the word, said with emphasis
    if (lw.length > 3 && !LEXICON.has(lw) && !BOOSTERS.has(lw) && TRIPLE.test(lw)) {
      const two = lw.replace(TRIPLE_ALL, '$1$1');
      const one = lw.replace(TRIPLE_ALL, '$1');
      const found = LEXICON.has(two) || BOOSTERS.has(two) ? two : LEXICON.has(one) || BOOSTERS.has(one) ? one : null;
      if (found) {
        lw = found;
        stretched.add(raw.length);
      }
    }
    raw.push(word);
    low.push(lw);
    clauseEnd.push(endsClause);
    sentenceEnd.push(endsSentence);
  }
  return { raw, low, clauseEnd, sentenceEnd, stretched };
}
const TRIPLE = /(\p{L})\1\1/u;
const TRIPLE_ALL = /(\p{L})\1{2,}/gu;

function prepare(input: string): string {
  let text = input.length > MAX_ANALYSED_CHARS ? input.slice(0, MAX_ANALYSED_CHARS) : input;
  if (text.includes('&')) text = text.replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (e) => ENTITIES[e] ?? e);
  text = text.replace(/[\u2018\u2019\u02bc]/g, "'");
  if (text.includes('\n')) {
    // an email's greeting line and sign-off say nothing about how the customer feels
    // (the sign-off is looked for in the last 400 characters only: bounded work on any input)
    const tail = Math.max(0, text.length - 400);
    text = (text.slice(0, tail) + text.slice(tail).replace(SIGN_OFF, '')).replace(GREETING, '');
  }
  EMOJI_RE.lastIndex = 0;
  if (/[\u0250-\uffff]/.test(text)) text = text.replace(EMOJI_RE, ' $1 ').replace(/\uFE0F/g, '');
  return text;
}

/** Scores one text: a score in [-1, 1], its label, the signals it raises and its key phrases. */
export function analyse(input: string): Sentiment {
  const text = prepare(input);
  const { raw, low, clauseEnd, sentenceEnd, stretched } = tokenize(text);
  const n = low.length;
  if (n === 0) return { score: 0, label: 'neutral', signals: [], phrases: [] };

  let caps = 0;
  for (const r of raw) if (isUpper(r)) caps++;
  const capDiff = caps > 0 && caps < n;
  const request = hasAny(REQUEST_INDEX, low);

  const valence = new Float64Array(n);
  const covered = new Uint8Array(n); // 1: part of a phrase scored at its first word
  for (let i = 0; i < n; i++) {
    if (covered[i]) continue;
    const phrase = matchAt(COMPLAINT_INDEX, low, i) ?? matchAt(IDIOM_INDEX, low, i);
    if (phrase) {
      valence[i] = phrase.value;
      for (let k = 1; k < phrase.words.length; k++) covered[i + k] = 1;
      covered[i] = 2;
    }
  }

  for (let i = 0; i < n; i++) {
    if (covered[i]) continue;
    const w = low[i] ?? '';
    if (BOOSTERS.has(w) || (w === 'kind' && low[i + 1] === 'of')) continue;
    let v = LEXICON.get(w);
    if (v === undefined || v === 0) continue;
    if (request && POLITENESS.has(w) && !gratitudeOrPraise(low, clauseEnd, i)) continue;
    // emoticons and emoji say how the writer feels whatever the words around them: never negated
    const isWord = isWordChar(w.charCodeAt(0), w, 0);
    if (capDiff && isUpper(raw[i] ?? '')) v += v > 0 ? C_INCR : -C_INCR;
    if (stretched.has(i)) v += v > 0 ? B_INCR : -B_INCR;
    // the three words before, within the clause: boosters, dampeners and negations
    for (let k = 1; k <= 3; k++) {
      const j = i - k;
      if (j < 0 || clauseEnd[j] || low[j] === 'but') break;
      const p = low[j] ?? '';
      const negation = NEGATIONS.has(p) || p.endsWith("n't");
      if (!negation && LEXICON.has(p)) continue;
      const b = BOOSTERS.get(p);
      if (b !== undefined) {
        let s = v < 0 ? -b : b;
        if (capDiff && isUpper(raw[j] ?? '')) s += v > 0 ? C_INCR : -C_INCR;
        v += k === 1 ? s : k === 2 ? s * 0.95 : s * 0.9;
      }
      if (k === 2 && low[i - 2] === 'never' && (low[i - 1] === 'so' || low[i - 1] === 'this')) v *= 1.5;
      else if (k === 3 && ((low[i - 3] === 'never' && (low[i - 2] === 'so' || low[i - 2] === 'this')) || low[i - 1] === 'so' || low[i - 1] === 'this'))
        v *= 1.25;
      else if (negation && isWord) v *= v > 0 ? N_SCALAR : N_NEGATIVE;
    }
    // "no fun", "no good": "no" negates the word it stands before and scores nothing itself
    if (i > 0 && v > 0 && low[i - 1] === 'no' && !clauseEnd[i - 1]) {
      v *= N_SCALAR;
      valence[i - 1] = 0;
    }
    if (i > 0 && low[i - 1] === 'least' && low[i - 2] !== 'at' && low[i - 2] !== 'very') v *= N_SCALAR;
    valence[i] = v;
  }

  // Sarcasm: a positive opener ("Great,", "Oh perfect.", "I love how…") followed by a complaint.
  for (let s = 0; s < n;) {
    let end = s;
    while (end < n - 1 && !sentenceEnd[end]) end++;
    let o = s;
    while (o < end && o < s + 2 && SARCASM_LEADS.has(low[o] ?? '')) o++;
    const opener = low[o] ?? '';
    const loveHow = opener === 'love' && (low[o + 1] === 'how' || low[o + 1] === 'when');
    if ((SARCASTIC_OPENERS.has(opener) || loveHow) && (valence[o] ?? 0) > 0) {
      // the complaint is the rest of this sentence, or the next one when the opener stands alone
      let to = end;
      if (o === end && end < n - 1) {
        to = end + 1;
        while (to < n - 1 && !sentenceEnd[to]) to++;
      }
      const follower = SARCASM_FOLLOWERS.has(low[o + 1] ?? '');
      let negative = follower;
      for (let k = o + 1; k <= to && !negative; k++) negative = (valence[k] ?? 0) < 0;
      // "Thanks Hermine for ruining my week": thanks for something bad
      // ("thanks for fixing the bug" is not: the bad thing must be what the thanks are for)
      const f = opener === 'thanks' || opener === 'thank' ? low.indexOf('for', o + 1) : -1;
      const thanksFor = f > o && f <= o + 3 && ((valence[f + 1] ?? 0) < 0 || (valence[f + 2] ?? 0) < 0);
      if ((negative || thanksFor) && (clauseEnd[o] || o === end || loveHow || follower || thanksFor)) valence[o] = -(valence[o] ?? 0) * 0.8;
    }
    s = end + 1;
  }

  // "but": what comes after weighs more than what came before
  const but = low.indexOf('but');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = valence[i] ?? 0;
    sum += but < 0 ? v : i < but ? v * 0.5 : i > but ? v * 1.5 : 0;
  }
  if (sum !== 0) {
    let bangs = 0;
    let questions = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 33) bangs++;
      else if (c === 63) questions++;
    }
    const emphasis = Math.min(bangs, 4) * 0.292 + (questions > 1 ? (questions <= 3 ? questions * 0.18 : 0.96) : 0);
    sum += sum > 0 ? emphasis : -emphasis;
  }
  // A question with a mild positive word asks; it does not praise ("can you help me?", "any good hotels?").
  // A negative question still complains ("why is it broken again?").
  if (sum > 0 && sum < 2 && /\?\s*$/.test(text)) sum = 0;
  const score = Math.max(-1, Math.min(1, sum / Math.sqrt(sum * sum + ALPHA)));
  const rounded = Math.round(score * 10_000) / 10_000;
  return { score: rounded, label: labelOf(rounded), signals: signalsOf(low, raw, text, rounded, capDiff, valence), phrases: keyPhrases(low, valence, covered) };
}

/** "thanks for…", "thank you so much", "your help": gratitude or praise, even inside a request. */
function gratitudeOrPraise(low: string[], clauseEnd: boolean[], i: number): boolean {
  const w = low[i];
  const next = low[i + 1];
  if (w === 'thanks' || w === 'thank' || w === 'thx') {
    const you = w === 'thank' && next === 'you';
    const after = you ? low[i + 2] : next;
    // "Thank you." standing as a sentence is gratitude too
    return clauseEnd[you ? i + 1 : i] === true || after === 'for' || after === 'so' || after === 'very' || after === 'a' || after === 'again';
  }
  if (w === 'help' || w === 'appreciate' || w === 'appreciated') {
    const before = low[i - 1];
    return before === 'your' || before === 'the' || before === 'great' || before === 'all' || before === 'really' || before === 'much';
  }
  return false;
}

function signalsOf(low: string[], raw: string[], text: string, score: number, capDiff: boolean, valence: Float64Array): SentimentSignal[] {
  const out: SentimentSignal[] = [];
  const cues = cuesIn(low);
  for (let n = 0; n < SIGNAL_NAMES.length; n++) {
    const signal = SIGNAL_NAMES[n] as SentimentSignal;
    let hit = (cues & (1 << n)) !== 0;
    if (signal === 'frustration' && !hit) {
      // shouting a complaint, or a strongly negative text with "!!"
      let shouted = false;
      if (capDiff) for (let i = 0; i < raw.length && !shouted; i++) shouted = (valence[i] ?? 0) < 0 && isUpper(raw[i] ?? '') && (raw[i]?.length ?? 0) > 2;
      hit = shouted || (score < -0.4 && /!{2,}|\?!|!\?/.test(text));
    }
    if (signal === 'gratitude' && hit) hit = score > -0.3 && !/\bin advance\b/i.test(text);
    if (hit) out.push(signal);
  }
  return out;
}

function keyPhrases(low: string[], valence: Float64Array, covered: Uint8Array): string[] {
  const phrases: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length > 0) {
      const p = run.slice(0, 3).join(' ');
      if (!phrases.includes(p)) phrases.push(p);
    }
    run = [];
  };
  for (let i = 0; i < low.length && phrases.length < 8; i++) {
    const w = low[i] ?? '';
    const content =
      !covered[i] &&
      w.length > 2 &&
      !STOPWORDS.has(w.replace(/'/g, '')) &&
      !VERBS.has(w) &&
      !NEGATIONS.has(w) &&
      !BOOSTERS.has(w) &&
      (valence[i] ?? 0) === 0 &&
      !LEXICON.has(w) &&
      /^[\p{L}][\p{L}\p{N}'-]*$/u.test(w);
    if (content) run.push(w.replace(/'s$/, ''));
    else flush();
  }
  flush();
  return phrases.slice(0, 5);
}
