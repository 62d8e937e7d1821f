// Finding 2 of the security review (issue 8): a touchpoint's path glob compiled to a backtracking
// regular expression froze the server for every tenant. Matching is now linear and bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engines, newConversation, newWorkspace, type TestApp } from '../../test/harness.js';
import { compileGlob, GLOB_LIMITS } from './touchpoint-match.js';
import { MAX_TOUCHPOINTS } from './touchpoints.service.js';

/** The former regular-expression semantics, as an oracle on inputs too small to backtrack for long. */
function reference(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else out += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out.replace(/\/$/, '')}/?$`);
}

/** Sixteen wildcards (the most a glob may have) around a literal that never matches the path's end. */
const WORST = `/${'*a'.repeat(GLOB_LIMITS.wildcards - 1)}*!`;

function elapsedMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

describe('finding 2: path globs match in linear time (pure)', () => {
  it('agrees with the former regular expressions on every small case', () => {
    // A seeded walk over patterns and paths from a small alphabet that exercises segments.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = (alphabet: string[], max: number) => Array.from({ length: rnd(max) + 1 }, () => alphabet[rnd(alphabet.length)]).join('');
    let compared = 0;
    for (let i = 0; i < 4000; i++) {
      const glob = pick(['/', 'a', 'b', '*', '**', '.'], 7);
      const path = pick(['/', 'a', 'b', '.'], 9);
      expect(compileGlob(glob).test(path), `${glob} vs ${path}`).toBe(reference(glob).test(path));
      compared++;
    }
    expect(compared).toBe(4000);
  });

  it('keeps the documented meaning: * within a segment, ** across, trailing slash ignored', () => {
    expect(compileGlob('/').test('/')).toBe(true);
    expect(compileGlob('/products/*/reviews').test('/products/shoes/reviews')).toBe(true);
    expect(compileGlob('/products/*/reviews').test('/products/a/b/reviews')).toBe(false);
    expect(compileGlob('/docs/**').test('/docs/a/b/c')).toBe(true);
    expect(compileGlob('/pricing/').test('/pricing')).toBe(true);
  });

  it('matches the most complex allowed glob against 40- and 10,000-character paths in under 50 ms', () => {
    const glob = compileGlob(WORST);
    for (const path of [`/${'a'.repeat(39)}`, `/${'a'.repeat(9_999)}`, `/${'a/'.repeat(4_999)}`]) {
      let result = true;
      const ms = elapsedMs(() => {
        result = glob.test(path);
      });
      expect(result).toBe(false);
      expect(ms).toBeLessThan(50);
    }
  });

  it('spends at most its step budget on one event, then stops matching', () => {
    const path = `/${'b'.repeat(1_500)}a`;
    const budget = { left: 1000 };
    expect(compileGlob('/**a').test(path, budget)).toBe(false);
    expect(budget.left).toBeLessThan(0);
    expect(compileGlob('/**a').test(path)).toBe(true);
  });

  it(`looks at the first ${GLOB_LIMITS.pathLength} characters of a path`, () => {
    expect(compileGlob('/**').test(`/${'b'.repeat(10_000)}`)).toBe(true);
    expect(compileGlob('/**a').test(`/${'b'.repeat(10_000)}a`)).toBe(false);
  });
});

describe.each(engines)('finding 2: touchpoint limits and a responsive server on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  it('refuses globs and rule lists past the limits with a problem naming the field', async () => {
    const ws = await newWorkspace(t);
    const tooWild = await t.request('POST', '/api/v1/touchpoints', {
      token: ws.token,
      body: { key: 'wild', name: 'Wild', rules: [{ path: `/${'*a'.repeat(17)}` }] },
    });
    expect(tooWild.status).toBe(400);
    expect(tooWild.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(tooWild.body.errors)).toContain('rules');
    const tooLong = await t.request('POST', '/api/v1/touchpoints', {
      token: ws.token,
      body: { key: 'long', name: 'Long', rules: [{ path: `/${'a'.repeat(256)}` }] },
    });
    expect(tooLong.status).toBe(400);
    const tooMany = await t.request('POST', '/api/v1/touchpoints', {
      token: ws.token,
      body: { key: 'many', name: 'Many', rules: Array.from({ length: 21 }, (_, i) => ({ event: `E${i}` })) },
    });
    expect(tooMany.status).toBe(400);
    const allowed = await t.request('POST', '/api/v1/touchpoints', { token: ws.token, body: { key: 'worst', name: 'Worst', rules: [{ path: WORST }] } });
    expect(allowed.status).toBe(201);
  });

  it(`refuses touchpoint number ${MAX_TOUCHPOINTS + 1} of a workspace`, async () => {
    const ws = await newWorkspace(t);
    const existing = (await t.request('GET', '/api/v1/touchpoints', { token: ws.token })).body.data.length as number;
    for (let i = existing; i < MAX_TOUCHPOINTS; i++) {
      const res = await t.request('POST', '/api/v1/touchpoints', { token: ws.token, body: { key: `tp_${i}`, name: `Touchpoint ${i}` } });
      expect(res.status).toBe(201);
    }
    const over = await t.request('POST', '/api/v1/touchpoints', { token: ws.token, body: { key: 'one_more', name: 'One more' } });
    expect(over.status).toBe(400);
    expect(over.body.detail).toContain(String(MAX_TOUCHPOINTS));
  });

  it('treats search syntax as plain words: operators, quotes and long queries never reach the engine', async () => {
    const ws = await newWorkspace(t);
    const conv = await newConversation(t, ws.token, { subject: 'Parcel late', message: { body: 'My parcel NEAR the depot' } });
    for (const q of ['"', 'NEAR(', '*', 'a OR b', 'parcel" OR "x', "'); drop table messages; --", '\\', '%_%', 'a:* & !b', 'x'.repeat(200), 'w '.repeat(100)]) {
      const res = await t.request('GET', `/api/v1/conversations?q=${encodeURIComponent(q)}`, { token: ws.token });
      expect([200, 400], q).toContain(res.status);
    }
    const found = await t.request('GET', `/api/v1/conversations?q=${encodeURIComponent('parcel" NEAR( depot')}`, { token: ws.token });
    expect(found.body.data.map((c: { id: string }) => c.id)).toEqual([conv.id]);
    const customers = await t.request('GET', `/api/v1/customers?q=${encodeURIComponent('%_\\')}`, { token: ws.token });
    expect(customers.status).toBe(200);
    expect(customers.body.data).toEqual([]);
  });

  it("keeps another client's /health answering while pathological paths are ingested", async () => {
    const ws = await newWorkspace(t);
    for (let i = 0; i < 5; i++) {
      const res = await t.request('POST', '/api/v1/touchpoints', {
        token: ws.token,
        body: { key: `trap_${i}`, name: `Trap ${i}`, position: i, rules: Array.from({ length: 20 }, () => ({ path: WORST })) },
      });
      expect(res.status).toBe(201);
    }
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'attacker' } })).body.key as string;
    const base = await t.listen();
    const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const batch = Array.from({ length: 100 }, (_, i) => ({
      type: 'page',
      anonymousId: `anon-${i}`,
      name: 'Trap',
      properties: { path: `/${'a'.repeat(1_500)}` },
    }));
    let ingesting = true;
    const ingest = (async () => {
      try {
        for (let round = 0; round < 3; round++) {
          const res = await fetch(`${base}/v1/batch`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json' },
            body: JSON.stringify({ batch }),
          });
          expect(res.status).toBe(200);
        }
      } finally {
        ingesting = false;
      }
    })();
    const latencies: number[] = [];
    while (ingesting) {
      const start = performance.now();
      const res = await fetch(`${base}/health`);
      expect(res.status).toBe(200);
      latencies.push(performance.now() - start);
    }
    await ingest;
    expect(latencies.length).toBeGreaterThan(0);
    // A backtracking matcher holds the event loop for many seconds per event.
    expect(Math.max(...latencies)).toBeLessThan(2_000);
  });
});
