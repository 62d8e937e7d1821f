import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from './clock.js';
import { runHousekeeping } from './housekeeping.js';
import { createTestApp, engines, newWorkspace, type TestApp } from '../test/harness.js';

describe.each(engines)('housekeeping on %s', (engine) => {
  let t: TestApp;
  const clock = createFakeClock('2026-02-01T00:00:00.000Z');
  beforeAll(async () => {
    t = await createTestApp(engine, { clock, sessionDays: 1 });
  });
  afterAll(async () => t.close());

  it('forgets idempotency keys after a day, expired sessions and old finished jobs, and nothing newer', async () => {
    const ws = await newWorkspace(t);
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: ws.email, password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    await t.request('POST', '/api/v1/customers', { token: ws.token, body: { name: 'Old' }, headers: { 'idempotency-key': 'old' } });
    await t.rapport.jobs.enqueue(t.rapport.db, { workspaceId: ws.workspaceId, type: 'noop', payload: {}, idempotencyKey: 'old-job' });
    t.rapport.jobs.register('noop', async () => undefined);
    await t.rapport.jobs.drain();
    clock.advance(8 * 86_400_000);
    await t.request('POST', '/api/v1/customers', { token: ws.token, body: { name: 'New' }, headers: { 'idempotency-key': 'new' } });
    const removed = await runHousekeeping(t.rapport.db, clock);
    expect(removed).toMatchObject({ idempotencyKeys: 1, sessions: 1, jobs: 1 });
    const keys = await t.rapport.db.selectFrom('idempotency_keys').select('key').where('workspace_id', '=', ws.workspaceId).execute();
    expect(keys.map((k) => k.key)).toEqual(['new']);
  });
});
