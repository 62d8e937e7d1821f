// Review findings 1, 4 and 5 on both engines: domain events age out even though no consumer reads
// them yet; the live tail and a reconnect's catch-up skip ingest's interaction.created entries
// through a partial index instead of walking them; an idle tail reads once per idle period, not
// twenty times a second.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFakeClock } from './clock.js';
import type { DbHandle } from './db/database.js';
import { createLogTail } from './log-tail.js';
import { createLogStore } from './log.store.js';
import { createLogs } from './logs.js';
import { engines, openTestDatabase, unique, untilSettled } from '../test/harness.js';

describe.each(engines)('the live tail and retention on %s', (engine) => {
  let handle: DbHandle;
  const clock = createFakeClock('2026-03-01T00:00:00.000Z');
  beforeAll(async () => {
    handle = await openTestDatabase(engine);
  });
  afterAll(async () => handle.close());
  afterEach(() => vi.useRealTimers());

  const append = (logs: ReturnType<typeof createLogs>, workspaceId: string, types: string[]) =>
    handle.db.transaction().execute((tx) =>
      logs.append(
        tx,
        'domain_events',
        types.map((type, i) => ({ workspaceId, type, data: { i } })),
      ),
    );

  it('trims domain events past their retention with no consumer defined, and records how far', async () => {
    const logs = createLogs({ db: handle.db, engine, clock });
    const w = unique('ws');
    await append(logs, w, ['conversation.created', 'message.created']);
    await untilSettled(handle.db, engine);
    expect(await logs.trim()).toBe(0);
    clock.advance(8 * 86_400_000);
    await append(logs, w, ['conversation.updated']);
    await untilSettled(handle.db, engine);
    expect(await logs.trim()).toBeGreaterThanOrEqual(2);
    const left = await logs.store.readWorkspace('domain_events', w, { tx: 0, seq: 0 }, 100, { settledOnly: false });
    expect(left.map((e) => e.type)).toEqual(['conversation.updated']);
  });

  it('catches up past thousands of interaction.created entries reading only what streams show', async () => {
    const logs = createLogs({ db: handle.db, engine, clock });
    const store = createLogStore(handle.db, engine);
    const tail = createLogTail({ store, log: 'domain_events', idleMs: 60_000 });
    await tail.start();
    const from = tail.position;
    const w = unique('ws');
    await append(logs, w, ['conversation.created', ...Array.from({ length: 3000 }, () => 'interaction.created'), 'message.created']);
    const seen: string[] = [];
    tail.subscribe((entries) => seen.push(...entries.map((e) => e.type)));
    await untilSettled(handle.db, engine);
    await tail.poke();
    expect(seen.filter((t) => t !== 'interaction.created')).toEqual(['conversation.created', 'message.created']);
    expect(seen).not.toContain('interaction.created');
    const missed = await tail.since(w, from, 10);
    expect(missed?.map((e) => e.type)).toEqual(['conversation.created', 'message.created']);
    tail.stop();
  });

  it('an idle tail reads once per idle period, and a commit it is told of twice at most', async () => {
    const store = createLogStore(handle.db, engine);
    let reads = 0;
    const counted = { ...store, readLive: (...args: Parameters<typeof store.readLive>) => ((reads += 1), store.readLive(...args)) };
    const tail = createLogTail({ store: counted, log: 'domain_events', idleMs: 1_000 });
    await tail.start();
    vi.useFakeTimers();
    await tail.poke();
    const afterPoke = reads;
    expect(afterPoke).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(reads).toBe(2); // the look 50 ms later, for commits waiting behind an older transaction
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reads).toBeLessThanOrEqual(2 + 6);
    tail.stop();
  });
});
