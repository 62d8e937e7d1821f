// The analyser's contract: a score in [-1, 1] with its label, the signals a support team acts on,
// key phrases, and the cases general lexicons get wrong on a help desk.
import { describe, expect, it } from 'vitest';
import { analyse, labelOf, MAX_ANALYSED_CHARS } from './analyser.js';

const label = (t: string) => analyse(t).label;

describe('sentiment analyser', () => {
  it('reads complaints that carry no emotional word as negative', () => {
    for (const t of [
      "My parcel still hasn't arrived",
      'The app crashes at checkout',
      'The agent hung up on me',
      'I was charged twice for my order',
      "I've been waiting for two weeks for a refund",
      'The login page is not working',
      'I love how the app logs me out every five minutes',
    ])
      expect(label(t), t).toBe('negative');
  });

  it('reads polite requests as neutral, and thanks for something done as positive', () => {
    for (const t of ['Please send me my invoice', 'Could you please update my address?', 'Can you help me reset my password?'])
      expect(label(t), t).toBe('neutral');
    expect(label('Thank you so much, that fixed it!')).toBe('positive');
    expect(label('Thanks for fixing the bug so quickly!')).toBe('positive');
    expect(label('Thanks for your help!')).toBe('positive');
  });

  it('reads sarcasm as negative', () => {
    for (const t of [
      'Great, another update that deletes my settings',
      'Oh perfect. The app crashed again.',
      'Thanks for nothing',
      'Thanks Hermine for ruining my week.',
    ])
      expect(label(t), t).toBe('negative');
    // a plain positive opener stays positive
    expect(label('Great, it works now')).toBe('positive');
  });

  it('applies negation within its clause, "but", boosters, capitals and "!"', () => {
    expect(label('This is not good')).toBe('negative');
    expect(label('not bad at all')).toBe('positive');
    expect(label('It works, but the setup was painful')).toBe('negative');
    expect(label("I don't know, but this is great")).toBe('positive');
    const plain = analyse('The support was good').score;
    expect(analyse('The support was very good').score).toBeGreaterThan(plain);
    expect(analyse('The support was GOOD, thanks').score).toBeGreaterThan(analyse('The support was good, thanks').score);
    expect(analyse('The support was good!!!').score).toBeGreaterThan(plain);
    expect(analyse('sooo goood').score).toBeGreaterThan(0);
  });

  it('ignores the greeting and the sign-off of an email', () => {
    const body = 'Hi team,\nMy order arrived damaged.\nBest regards,\nAnna';
    expect(label(body)).toBe('negative');
    expect(label('Dear support,\nplease send me the invoice for order 1234.\nKind regards,\nAnna')).toBe('neutral');
  });

  it('scores emoji', () => {
    expect(label('Delivery came today 😀')).toBe('positive');
    expect(label('Delivery came today 😡')).toBe('negative');
  });

  it('raises the signals support teams act on', () => {
    expect(analyse('This is ridiculous, I am so frustrated').signals).toContain('frustration');
    expect(analyse('URGENT: our site is down and we are losing money!!').signals).toEqual(expect.arrayContaining(['urgency', 'frustration']));
    expect(analyse("I'm switching to another provider, cancel my subscription").signals).toContain('churn_risk');
    expect(analyse('Thank you, you saved my day').signals).toContain('gratitude');
    expect(analyse('Thanks in advance, please send the invoice').signals).not.toContain('gratitude');
    expect(analyse('Please send me my invoice').signals).toEqual([]);
  });

  it('extracts key phrases without stopwords or sentiment words', () => {
    const { phrases } = analyse('The app crashes at checkout every time I pay with PayPal');
    expect(phrases).toContain('app');
    expect(phrases).toContain('checkout');
    expect(phrases.join(' ')).not.toMatch(/\b(the|at|crashes)\b/);
    expect(phrases.length).toBeLessThanOrEqual(5);
  });

  it('is bounded: empty, huge and hostile input answer at once', () => {
    expect(analyse('')).toEqual({ score: 0, label: 'neutral', signals: [], phrases: [] });
    expect(analyse('   \n\t ')).toMatchObject({ score: 0, label: 'neutral' });
    const huge = 'not '.repeat(200_000) + 'good';
    const r = analyse(huge);
    expect(r.score).toBeGreaterThanOrEqual(-1);
    expect(r.score).toBeLessThanOrEqual(1);
    expect(MAX_ANALYSED_CHARS).toBeLessThan(huge.length);
    expect(analyse('a'.repeat(50_000)).label).toBe('neutral');
  });

  it('labels with the documented thresholds', () => {
    expect(labelOf(0.06)).toBe('positive');
    expect(labelOf(0.05)).toBe('neutral');
    expect(labelOf(-0.05)).toBe('neutral');
    expect(labelOf(-0.06)).toBe('negative');
  });
});

describe('sentiment analyser on hostile input', () => {
  it('reads texts built to make its patterns backtrack as ordinary text', () => {
    const signOffs = ('\nthanks' + ' '.repeat(300) + 'x').repeat(60);
    const greetings = 'hi ' + 'a'.repeat(19_000) + '\n';
    const stretched = 'g' + 'o'.repeat(19_000) + 'd';
    for (const t of [signOffs, greetings, stretched, '😀'.repeat(10_000), '!?'.repeat(10_000)]) {
      const r = analyse(t);
      expect(r.score).toBeGreaterThanOrEqual(-1);
      expect(r.score).toBeLessThanOrEqual(1);
    }
  });
});
