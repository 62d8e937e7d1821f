// The analyser's word lists: the VADER lexicon (vader-lexicon.ts, MIT) with Rapport's support-desk
// entries over it, the modifiers (negations, boosters), the complaint phrases that carry no emotional
// word, politeness that is not sentiment in a request, sarcastic openers, and the signal cues.
// Valences are on VADER's scale, -4 (most negative) to 4 (most positive).
import { VADER_LEXICON_TSV } from './vader-lexicon.js';

function parseTsv(tsv: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of tsv.split('\n')) {
    const tab = line.indexOf('\t');
    const word = line.slice(0, tab);
    // the file lowercases its emoticons, so "D:" (-2.9) and "d:" (1.2) collide: the first, the common one, wins
    if (tab > 0 && !m.has(word)) m.set(word, Number(line.slice(tab + 1)));
  }
  return m;
}

/** Words a help desk reads as negative though general lexicons miss them (or read them as neutral). */
const SUPPORT_WORDS: Record<string, number> = {
  crashes: -1.7,
  crashed: -1.7,
  crashing: -1.7,
  freezes: -1.4,
  freezing: -1.0,
  froze: -1.3,
  bug: -1.2,
  bugs: -1.2,
  buggy: -1.8,
  glitch: -1.3,
  glitches: -1.3,
  glitchy: -1.6,
  unusable: -2.5,
  unresponsive: -1.6,
  overcharged: -2.0,
  outage: -1.8,
  downtime: -1.4,
  laggy: -1.5,
  deletes: -1.2,
  wiped: -1.2,
  refund: -0.8,
  unreachable: -1.5,
  undelivered: -1.6,
  misleading: -1.9,
  unhelpful: -1.9,
  rude: -2.0,
  // Not sentiment on a help desk: the words of every request, every greeting and every sign-off.
  dear: 0,
};

/** Polite words that carry no feeling inside a request ("please send me my invoice"). */
export const POLITENESS = new Set(['please', 'pls', 'plz', 'kindly', 'thanks', 'thank', 'thx', 'help', 'hope', 'appreciate', 'appreciated', 'welcome']);

/** What makes a text a request (then POLITENESS is neutral in it). */
export const REQUEST_CUES: string[][] = [
  ['please'],
  ['pls'],
  ['plz'],
  ['kindly'],
  ['could', 'you'],
  ['can', 'you'],
  ['would', 'you'],
  ['will', 'you'],
  ['can', 'we'],
  ['could', 'we'],
  ['would', 'like'],
  ["i'd", 'like'],
  ['want', 'to'],
  ['how', 'do'],
  ['how', 'can'],
  ['is', 'it', 'possible'],
  ['in', 'advance'],
  ['let', 'me', 'know'],
];

/** Emoji (VADER's JavaScript port has none); their valence from their usual reading. */
export const EMOJI_RE = /(\p{Extended_Pictographic}\uFE0F?)/gu;
function emoji(): Record<string, number> {
  const list: Array<[string, number]> = [
    ['😀😃😄😁😆😊🙂☺️☺😇🥳🤩', 2.2],
    ['😍🥰😘😻💕💖💗💞❤️❤💙💚💛🧡💜', 2.7],
    ['👍👏🙌🎉🎊✨💯✅🔥⭐🌟😎🤗', 1.8],
    ['😂🤣😹😅😜😋😛😝', 1.5],
    ['🙏', 1.2],
    ['😐😑😶🤔', 0],
    ['😕🙁☹️☹😟😬😳🫤😮‍💨🥱', -1.2],
    ['😞😔😢😥😓😪😿💔🥺😩😫', -2.0],
    ['😭', -2.3],
    ['😒🙄👎😤', -1.8],
    ['😠😡🤬👿💢🤮🤢💩', -2.8],
    ['😱😨😰', -1.6],
  ];
  const out: Record<string, number> = {};
  for (const [chars, v] of list) for (const ch of chars.match(EMOJI_RE) ?? []) out[ch.replace('\uFE0F', '')] = v;
  return out;
}
const EMOJI = emoji();

export const LEXICON: Map<string, number> = (() => {
  const m = parseTsv(VADER_LEXICON_TSV);
  for (const [w, v] of Object.entries(SUPPORT_WORDS)) m.set(w, v);
  for (const [e, v] of Object.entries(EMOJI)) m.set(e, v);
  return m;
})();

export const NEGATIONS = new Set(
  (
    "aint arent cannot cant couldnt darent didnt doesnt ain't aren't can't couldn't daren't didn't doesn't dont hadnt hasnt havent " +
    "isnt mightnt mustnt neither don't hadn't hasn't haven't isn't mightn't mustn't neednt needn't never none nope nor not nothing " +
    "nowhere oughtnt shant shouldnt uhuh wasnt werent oughtn't shan't shouldn't uh-uh wasn't weren't without wont wouldnt won't wouldn't rarely seldom despite"
  ).split(' '),
);

export const B_INCR = 0.293;
export const B_DECR = -0.293;
export const BOOSTERS = new Map<string, number>([
  ...'absolutely amazingly awfully completely considerably decidedly deeply effing enormously entirely especially exceptionally extremely fabulously flipping flippin fricking frickin frigging friggin fully fucking greatly hella highly hugely incredibly intensely majorly more most particularly purely quite really remarkably so substantially thoroughly totally tremendously uber unbelievably unusually utterly very'
    .split(' ')
    .map((w): [string, number] => [w, B_INCR]),
  ...'almost barely hardly kinda kindof kind-of less little marginally occasionally partly scarcely slightly somewhat sorta sortof sort-of'
    .split(' ')
    .map((w): [string, number] => [w, B_DECR]),
]);

/** Idioms whose meaning is not the sum of their words (VADER's, and a few of the desk's). */
export const IDIOMS = new Map<string, number>([
  ['the shit', 3],
  ['the bomb', 3],
  ['bad ass', 1.5],
  ['yeah right', -2],
  ['cut the mustard', 2],
  ['kiss of death', -1.5],
  ['hand to mouth', -2],
  ['thanks for nothing', -2.5],
  ['no problem', 1.2],
  ['no worries', 1.2],
  ['not bad', 1.5],
  ['not sure', -0.2],
  ["can't wait", 1.8],
  ['cannot wait', 1.8],
  ["couldn't be happier", 3],
]);

/**
 * Complaints with no emotional word: what went wrong, as a support team reads it. Each phrase is
 * matched on whole tokens (lowercase, apostrophes straightened) and scores once, in place of the
 * words it covers, so the negation inside it ("hasn't arrived") is not applied again.
 */
export const COMPLAINTS: Array<[string, number]> = [
  ...[
    "still hasn't arrived",
    "hasn't arrived",
    'has not arrived',
    "haven't arrived",
    "hasn't come",
    "hasn't been delivered",
    "wasn't delivered",
    'not been delivered',
    'never arrived',
    'never came',
    'never received',
    'never got',
    'never delivered',
    "didn't arrive",
    'did not arrive',
    "didn't receive",
    'did not receive',
    "haven't received",
    'have not received',
    "haven't got",
    'not received',
    'not arrived',
    'still not here',
    'still waiting',
    'been waiting',
    'keeps waiting',
    'no response',
    'no reply',
    'no answer',
    'no update',
    'no updates',
    'never heard back',
    "haven't heard back",
    'not heard back',
    'nobody answers',
    'nobody answered',
    'no one answered',
    'no one answers',
  ].map((p): [string, number] => [p, -1.8]),
  ...[
    "doesn't work",
    'does not work',
    "don't work",
    "didn't work",
    'did not work',
    "isn't working",
    'is not working',
    "aren't working",
    'not working',
    'stopped working',
    'stops working',
    "won't load",
    "doesn't load",
    "won't open",
    "doesn't open",
    "won't start",
    "can't log",
    'cannot log',
    "can't login",
    'cannot login',
    "can't sign",
    'cannot sign',
    "can't access",
    'cannot access',
    'unable to',
    "can't pay",
    "won't let me",
    "doesn't let me",
    'keeps crashing',
    'keeps failing',
    'keeps freezing',
    'still broken',
    'still not fixed',
    'not fixed',
    'is down',
    'was down',
    'went down',
    'goes down',
    'error message',
    'went wrong',
    'charged twice',
    'charged me twice',
    'double charged',
    'wrong item',
    'wrong order',
    'wrong size',
    'wrong address',
    'not what i ordered',
    'taking forever',
    'takes forever',
    'took forever',
    'on hold for',
    'deleted my',
    'lost my',
    'deletes my',
    'logs me out',
    'logged me out',
    'kicks me out',
    'kicked me out',
    'fell apart',
    'came apart',
    'broke after',
  ].map((p): [string, number] => [p, -1.9]),
  ...['hung up on me', 'hung up', 'waste of money', 'waste of time', 'ripped off', 'rip off'].map((p): [string, number] => [p, -2.4]),
];

/** "Great, another update that…": a positive opener followed by a complaint reads as sarcasm. */
export const SARCASTIC_OPENERS = new Set([
  'great',
  'perfect',
  'wonderful',
  'fantastic',
  'brilliant',
  'awesome',
  'lovely',
  'nice',
  'excellent',
  'super',
  'amazing',
  'terrific',
  'splendid',
  'marvelous',
  'marvellous',
  'fabulous',
  'thanks',
  'cool',
]);
export const SARCASM_LEADS = new Set(['oh', 'just', 'yeah', 'wow', 'well', 'so', 'really', 'yay']);
export const SARCASM_FOLLOWERS = new Set(['another', 'again', 'more']);

/** Cues of the signals support teams act on (whole tokens or token sequences). */
export const SIGNAL_CUES: Record<'frustration' | 'urgency' | 'churn_risk' | 'gratitude', string[]> = {
  frustration: [
    'angry',
    'furious',
    'frustrated',
    'frustrating',
    'frustration',
    'annoyed',
    'annoying',
    'ridiculous',
    'unacceptable',
    'disgusted',
    'disgusting',
    'outraged',
    'outrageous',
    'fed up',
    'sick of',
    'tired of',
    'had enough',
    'wtf',
    'useless',
    'pathetic',
    'incompetent',
    'worst',
    'terrible',
    'horrible',
    'awful',
    'joke',
    'livid',
    'infuriating',
    'hate',
    'scam',
    'rude',
  ],
  urgency: [
    'urgent',
    'urgently',
    'asap',
    'immediately',
    'emergency',
    'right now',
    'right away',
    'as soon as possible',
    'critical',
    'deadline',
    'today',
    'tonight',
    'is down',
    'losing money',
    'losing customers',
    'in production',
    'time sensitive',
    'time-sensitive',
  ],
  churn_risk: [
    'cancel',
    'cancelling',
    'canceling',
    'cancellation',
    'close my account',
    'delete my account',
    'closing my account',
    'switch to',
    'switching to',
    'moving to',
    'move to',
    'go elsewhere',
    'going elsewhere',
    'take my business',
    'not renewing',
    "won't renew",
    'will not renew',
    'unsubscribe',
    'competitor',
    'last time i',
    'never again',
    'never buy',
    'never order',
    'leaving',
  ],
  gratitude: ['thank you', 'thanks', 'thank', 'thx', 'ty', 'appreciate', 'appreciated', 'grateful', 'cheers', 'kudos', 'lifesaver', 'you rock'],
};

/** Words never taken as a key phrase. */
export const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by can could did do does ' +
    'doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself ' +
    'just me my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the ' +
    'their theirs them themselves then there these they this those through to too under until up very was we were what when where which while ' +
    'who whom why will with would you your yours yourself yourselves still also already yet even ever get got getting gets go going gone went ' +
    'please hi hello hey dear thanks thank regards best one two three make made like want need way day days time week weeks month months ' +
    'really much many lot lots since last next new back know let see say said tell told today yesterday tomorrow ago again can cant dont im ive ' +
    'ill id youre thats theres isnt wasnt doesnt didnt hasnt havent wont wouldnt couldnt shouldnt aint arent werent us ok okay yes yeah oh ' +
    'every everything everyone everybody anything anyone anybody something someone somebody always often sometimes thing things times ' +
    'bit minute minutes hour hours year years morning evening night tonight week'
  ).split(' '),
);

/**
 * Common verbs (and their -s, -ed, -ing forms, and irregular pasts): not what a key phrase is
 * about ("the courier threw my parcel" is about the courier and the parcel).
 */
export const VERBS: Set<string> = (() => {
  const base = (
    'add allow answer appear apply arrive ask attach book break bring buy call cancel change charge check choose clean click close come ' +
    'complain confirm contact continue cost crash create deal decide deliver delete deny drop email end expect explain fail feel fill find fit ' +
    'fix follow forget give happen hear help hold hope install keep kick know last leave let like live load lock log look lose love make mean ' +
    'meet miss move need offer open order pack pay pick place plan play post press promise put reach read receive refund register remove ' +
    'repair replace reply report request reset return ring run say see seem sell send set ship show sign sit speak spend start stay stop ' +
    'submit suggest switch take talk tell test thank think throw track travel try turn update upgrade use wait walk want wash wish work ' +
    'write'
  ).split(' ');
  const irregular = (
    'am is are was were be been being do does did done doing have has had having go goes went gone got gotten made gave given ' +
    'took taken came saw seen sent sold told thought bought brought broke broken chose chosen felt found forgot forgotten held heard ' +
    'kept knew known left lost meant met paid put read said set shown spoke spoken spent stood threw thrown understood wrote written ran'
  ).split(' ');
  const out = new Set(irregular);
  for (const v of base) {
    out.add(v);
    out.add(
      v.endsWith('s') || v.endsWith('sh') || v.endsWith('ch') || v.endsWith('x')
        ? `${v}es`
        : v.endsWith('y') && !/[aeiou]y$/.test(v)
          ? `${v.slice(0, -1)}ies`
          : `${v}s`,
    );
    const stem = v.endsWith('e') ? v.slice(0, -1) : v.endsWith('y') && !/[aeiou]y$/.test(v) ? `${v.slice(0, -1)}i` : v;
    out.add(`${stem}ed`);
    out.add(`${v.endsWith('e') && !v.endsWith('ee') ? v.slice(0, -1) : v}ing`);
    // doubled final consonant: stop → stopped, stopping; ship → shipped
    if (/[^aeiou][aeiou][bdgmnprt]$/.test(v)) {
      out.add(`${v}${v.slice(-1)}ed`);
      out.add(`${v}${v.slice(-1)}ing`);
    }
  }
  // nouns a help desk reads as topics, though they are verbs too
  for (const n of [
    'order',
    'orders',
    'refund',
    'refunds',
    'update',
    'updates',
    'charge',
    'charges',
    'return',
    'returns',
    'email',
    'emails',
    'call',
    'calls',
    'login',
    'payment',
    'delivery',
    'reset',
    'upgrade',
    'test',
    'report',
    'request',
    'requests',
    'ship',
    'plan',
    'plans',
    'lock',
    'post',
  ])
    out.delete(n);
  return out;
})();
