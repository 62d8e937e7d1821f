// A fixed-window failure counter (login attempts), on the injectable clock.
export type RateLimiter = {
  /** Returns seconds to wait when the key is over its limit, else 0. */
  retryAfter(key: string): number;
  fail(key: string): void;
  /** Takes back one counted attempt (a sign-in that turned out right, counted before the slow hash). */
  forgive(key: string): void;
  reset(key: string): void;
};

const MAX_KEYS = 100_000;

export function createRateLimiter(opts: { max: number; windowMs: number; now: () => number }): RateLimiter {
  const hits = new Map<string, { count: number; resetAt: number }>();
  // Bounded memory without amnesty: junk keys never wipe a key that is over its limit. Expired
  // entries go first, then the oldest entries still under the limit (Map keeps insertion order).
  function evict() {
    const now = opts.now();
    for (const [k, h] of hits) if (h.resetAt <= now) hits.delete(k);
    for (const [k, h] of hits) {
      if (hits.size <= MAX_KEYS * 0.9) break;
      if (h.count < opts.max) hits.delete(k);
    }
  }
  const current = (key: string) => {
    const h = hits.get(key);
    if (h && h.resetAt <= opts.now()) {
      hits.delete(key);
      return undefined;
    }
    return h;
  };
  return {
    retryAfter(key) {
      const h = current(key);
      return h && h.count >= opts.max ? Math.ceil((h.resetAt - opts.now()) / 1000) : 0;
    },
    fail(key) {
      const h = current(key);
      if (h) h.count += 1;
      else hits.set(key, { count: 1, resetAt: opts.now() + opts.windowMs });
      if (hits.size > MAX_KEYS) evict();
    },
    forgive(key) {
      const h = current(key);
      if (h && h.count > 0) h.count -= 1;
    },
    reset(key) {
      hits.delete(key);
    },
  };
}

/** A token bucket per key (events per second with a burst), on the injectable clock. */
export type TokenBucket = {
  /** Takes n tokens; returns 0 when granted, else the seconds until n tokens are there (nothing taken). */
  take(key: string, n: number): number;
};

export function createTokenBucket(opts: { ratePerSecond: number; burst: number; now: () => number }): TokenBucket {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, n) {
      const now = opts.now();
      const b = buckets.get(key) ?? { tokens: opts.burst, at: now };
      b.tokens = Math.min(opts.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * opts.ratePerSecond);
      b.at = now;
      const granted = b.tokens >= n;
      if (granted) b.tokens -= n;
      buckets.set(key, b);
      // Keys whose bucket is full again carry no state worth keeping.
      if (buckets.size > 10_000) {
        for (const [k, v] of buckets) if (v.tokens + ((now - v.at) / 1000) * opts.ratePerSecond >= opts.burst) buckets.delete(k);
      }
      return granted ? 0 : Math.max(1, Math.ceil((Math.min(n, opts.burst) - b.tokens) / opts.ratePerSecond));
    },
  };
}
