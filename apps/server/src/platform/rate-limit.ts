// A fixed-window failure counter (login attempts), on the injectable clock.
import { isIPv6 } from 'node:net';
export type RateLimiter = {
  /** Returns seconds to wait when the key is over its limit, else 0. */
  retryAfter(key: string): number;
  fail(key: string): void;
  /** Takes back one counted attempt (a sign-in that turned out right, counted before the slow hash). */
  forgive(key: string): void;
  reset(key: string): void;
};

const MAX_KEYS = 100_000;

export function createRateLimiter(opts: { max: number; windowMs: number; now: () => number; maxKeys?: number }): RateLimiter {
  const maxKeys = opts.maxKeys ?? MAX_KEYS;
  const hits = new Map<string, { count: number; resetAt: number }>();
  let evictAbove = maxKeys;
  // Bounded memory without amnesty: junk keys never wipe a key that is over its limit. Expired
  // entries go first, then single attempts (what junk looks like), then the rest under the limit.
  // A key is (re)inserted when its window starts, so Map order is expiry order.
  function evict() {
    const now = opts.now();
    const target = Math.floor(maxKeys * 0.9);
    for (const [k, h] of hits) {
      if (h.resetAt > now) break;
      hits.delete(k);
    }
    for (const atMost of [Math.min(1, opts.max - 1), opts.max - 1]) {
      for (const [k, h] of hits) {
        if (hits.size <= target) break;
        if (h.count <= atMost) hits.delete(k);
      }
    }
    // When blocked keys alone fill the map, let it grow rather than rescan it on every attempt.
    evictAbove = Math.max(maxKeys, Math.ceil(hits.size * 1.25));
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
      if (hits.size > evictAbove) evict();
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
  let sweepAbove = 10_000;
  return {
    take(key, n) {
      const now = opts.now();
      const b = buckets.get(key) ?? { tokens: opts.burst, at: now };
      b.tokens = Math.min(opts.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * opts.ratePerSecond);
      b.at = now;
      const granted = b.tokens >= n;
      if (granted) b.tokens -= n;
      buckets.set(key, b);
      // Keys whose bucket is full again carry no state worth keeping; the others are never
      // forgotten (no amnesty), and the map is rescanned only once it has grown by a quarter.
      if (buckets.size > sweepAbove) {
        for (const [k, v] of buckets) if (v.tokens + ((now - v.at) / 1000) * opts.ratePerSecond >= opts.burst) buckets.delete(k);
        sweepAbove = Math.max(10_000, Math.ceil(buckets.size * 1.25));
      }
      return granted ? 0 : Math.max(1, Math.ceil((Math.min(n, opts.burst) - b.tokens) / opts.ratePerSecond));
    },
  };
}

/**
 * The key a client address is limited by: an IPv4 address as it is, an IPv6 address by its /64
 * (one subscriber holds a whole /64, so per-address limits would let them spray freely).
 */
export function clientKey(ip: string | null | undefined): string {
  if (!ip) return '?';
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (v4?.[1]) return v4[1];
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
