// One injectable clock, so timers, SLAs and rate limits are tested without sleeping.
export type Clock = { now(): Date; nowIso(): string; nowMs(): number };

export const systemClock: Clock = {
  now: () => new Date(),
  nowIso: () => new Date().toISOString(),
  nowMs: () => Date.now(),
};

export type FakeClock = Clock & { set(iso: string | Date): void; advance(ms: number): void };

export function createFakeClock(start: string | Date = '2026-01-01T00:00:00.000Z'): FakeClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    nowIso: () => new Date(t).toISOString(),
    nowMs: () => t,
    set: (v) => {
      t = new Date(v).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
