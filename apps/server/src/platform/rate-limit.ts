// A fixed-window failure counter (login attempts), on the injectable clock.
export type RateLimiter = {
  /** Returns seconds to wait when the key is over its limit, else 0. */
  retryAfter(key: string): number;
  fail(key: string): void;
  /** Takes back one counted attempt (a sign-in that turned out right, counted before the slow hash). */
  forgive(key: string): void;
  reset(key: string): void;
};

export function createRateLimiter(opts: { max: number; windowMs: number; now: () => number }): RateLimiter {
  const hits = new Map<string, { count: number; resetAt: number }>();
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
      if (hits.size > 100_000) hits.clear();
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
