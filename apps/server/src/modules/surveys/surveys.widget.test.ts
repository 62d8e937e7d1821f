// Surveys delivered in the chat widget, through the widget's public API and its socket, on both
// engines with a fake clock: 'auto' asks a chat conversation's customer in the chat (no mail), the
// answer is recorded as the public page records one (one response per send, a later answer
// updates it, on the timeline, the closed loop), throttling still applies, sends expire, and a
// visitor can only see and answer their own customer's surveys.
import type { WidgetServerMessage } from '@rapport/contracts';
import { ZSurveyResponse, ZWidgetSurvey, ZWidgetSurveyAnswered } from '@rapport/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createFakeClock } from '../../platform/clock.js';
import type { Mail, Mailer } from '../../platform/mailer.js';
import { createTestApp, engines, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../test/harness.js';

const SHOP = 'https://shop.acme.test';
const DAY = 86_400_000;

describe.each(engines)('surveys in the chat widget (%s)', (engine) => {
  let t: TestApp;
  let base: string;
  const clock = createFakeClock('2026-12-01T10:00:00.000Z');
  const mails: Mail[] = [];
  const mailer: Mailer = { send: async (m) => (mails.push(m), { delivery: 'file', ref: 'test' }) };
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    t = await createTestApp(engine, { clock, mailer, publicUrl: 'http://rapport.test' });
    base = await t.listen();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await t.rapport.logs.drain();
      if ((await t.rapport.jobs.drain()) === 0) break;
    }
  };
  /** A workspace with a chat inbox and a CSAT survey asked when a conversation is resolved. */
  const setup = async (survey: Record<string, unknown> = {}) => {
    const ws = await newWorkspace(t, unique('Chat surveys '));
    const inbox = await t.request('POST', '/api/v1/inboxes', {
      token: ws.token,
      body: { channel: 'chat', name: 'Help', settings: { allowedOrigins: [SHOP] } },
    });
    expect(inbox.status).toBe(201);
    const created = await t.request('POST', '/api/v1/surveys', {
      token: ws.token,
      body: { name: unique('CSAT '), type: 'csat', title: 'Your chat with us', trigger: { type: 'conversation_resolved' }, ...survey },
    });
    expect(created.status).toBe(201);
    return { ws, inboxId: inbox.body.id as string, surveyId: created.body.id as string, survey: created.body };
  };
  const as = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, origin: SHOP, ...extra });
  /** A visitor who writes in the chat, and the agent resolving their conversation. */
  const chatAndResolve = async (ws: TestWorkspace, inboxId: string, token?: string) => {
    const visitorToken =
      token ?? ((await t.request('POST', `/widget/v1/boot?inbox=${inboxId}`, { body: {}, headers: { origin: SHOP } })).body.visitor.token as string);
    const sent = await t.request('POST', `/widget/v1/messages?inbox=${inboxId}`, {
      body: { body: 'My parcel still has not arrived' },
      headers: as(visitorToken),
    });
    expect(sent.status).toBe(201);
    const conversationId = sent.body.conversationId as string;
    expect((await t.request('PATCH', `/api/v1/conversations/${conversationId}`, { token: ws.token, body: { status: 'resolved' } })).status).toBe(200);
    return { token: visitorToken, conversationId };
  };
  const pending = async (inboxId: string, token: string, lang?: string) => {
    const res = await t.request('GET', `/widget/v1/surveys?inbox=${inboxId}`, { headers: as(token, lang ? { 'accept-language': lang } : {}) });
    expect(res.status).toBe(200);
    for (const s of res.body.data) expect(() => ZWidgetSurvey.parse(s)).not.toThrow();
    return res.body.data as Array<{ sendId: string } & Record<string, unknown>>;
  };
  const answer = (inboxId: string, token: string, sendId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.request('POST', `/widget/v1/surveys/${sendId}?inbox=${inboxId}`, { body, headers: as(token, headers) });
  const responses = async (ws: TestWorkspace, surveyId: string) => {
    const res = await t.request('GET', `/api/v1/surveys/${surveyId}/responses?limit=100`, { token: ws.token });
    expect(res.status).toBe(200);
    for (const r of res.body.data) expect(() => ZSurveyResponse.parse(r)).not.toThrow();
    return res.body.data as Array<Record<string, any>>;
  };
  const openSocket = async (inboxId: string, token: string) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/widget/v1/ws?inbox=${inboxId}&token=${encodeURIComponent(token)}`, { headers: { origin: SHOP } });
    sockets.push(ws);
    const got: WidgetServerMessage[] = [];
    ws.on('message', (raw) => got.push(JSON.parse(String(raw)) as WidgetServerMessage));
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    await vi.waitFor(() => expect(got.some((m) => m.type === 'hello')).toBe(true));
    return got;
  };

  it("asks a chat conversation's customer in the chat (pushed live, listed on boot), records the answer like the page does, and a second answer updates it", async () => {
    const { ws, inboxId, surveyId, survey } = await setup();
    expect(survey.delivery).toBe('auto');
    const { token, conversationId } = await chatAndResolve(ws, inboxId);
    const got = await openSocket(inboxId, token);
    const mailsBefore = mails.length;
    await settle();
    // Pushed to the open widget, no mail (the visitor left no address anyway).
    await vi.waitFor(() => expect(got.some((m) => m.type === 'survey')).toBe(true));
    const pushed = got.find((m) => m.type === 'survey');
    expect(pushed).toMatchObject({ survey: { type: 'csat', min: 1, max: 5, title: 'Your chat with us', low: 'Very dissatisfied', high: 'Very satisfied' } });
    expect(mails.length).toBe(mailsBefore);
    const [card] = await pending(inboxId, token);
    expect(card).toMatchObject({ type: 'csat', question: 'How satisfied were you with the help you received?', lang: 'en' });
    const sendId = card?.sendId as string;
    // A boot with the same token lists it too.
    const booted = await t.request('POST', `/widget/v1/boot?inbox=${inboxId}`, { body: { visitorToken: token }, headers: { origin: SHOP } });
    expect(booted.body.surveys.map((s: { sendId: string }) => s.sendId)).toEqual([sendId]);

    const first = await answer(inboxId, token, sendId, { score: 2 });
    expect(first.status).toBe(200);
    expect(() => ZWidgetSurveyAnswered.parse(first.body)).not.toThrow();
    expect(first.body).toMatchObject({ sendId, score: 2, comment: null, thanks: 'Thank you for your feedback.' });
    expect(await pending(inboxId, token)).toEqual([]);
    // The second answer updates the same response (the latest rating wins, a comment is added).
    const second = await answer(inboxId, token, sendId, { score: 4, comment: 'The agent was quick, thanks!' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ responseId: first.body.responseId, score: 4, comment: 'The agent was quick, thanks!' });
    const rs = await responses(ws, surveyId);
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({
      id: first.body.responseId,
      score: 4,
      delivery: 'chat',
      channel: 'chat',
      conversationId,
      comment: 'The agent was quick, thanks!',
    });
    expect(rs[0]?.sentiment.score).toBeGreaterThan(0);
    // On the customer's timeline as one Survey Answered interaction.
    const customerId = rs[0]?.customerId as string;
    const timeline = await t.request('GET', `/api/v1/customers/${customerId}/timeline?limit=100`, { token: ws.token });
    const answered = timeline.body.data.filter((i: { name: string }) => i.name === 'Survey Answered');
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatchObject({ channel: 'chat', properties: { score: 4, surveyId } });
    // The results count it.
    const results = await t.request('GET', `/api/v1/surveys/results?surveyId=${surveyId}`, { token: ws.token });
    expect(results.body.overall).toMatchObject({ responses: 1, sent: 1 });
  });

  it('refuses bad answers, other visitors, other workspaces, and answers once a send expired', async () => {
    const { ws, inboxId, surveyId } = await setup({ linkDays: 3 });
    const { token } = await chatAndResolve(ws, inboxId);
    await settle();
    const [card] = await pending(inboxId, token);
    const sendId = card?.sendId as string;
    // Out of the CSAT scale, not a whole number, an unknown field, no token, a malformed id.
    for (const body of [{ score: 6 }, { score: 0 }, { score: 2.5 }, { score: 3, extra: 1 }, {}, { score: 3, comment: 'x'.repeat(5001) }]) {
      const res = await answer(inboxId, token, sendId, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await t.request('POST', `/widget/v1/surveys/${sendId}?inbox=${inboxId}`, { body: { score: 3 }, headers: { origin: SHOP } })).status).toBe(401);
    expect((await answer(inboxId, token, 'srs_nope', { score: 3 })).status).toBe(400);
    expect((await answer(inboxId, token, `srs_${'0'.repeat(32)}`, { score: 3 })).status).toBe(404);
    // Another visitor of the same inbox neither sees nor answers it.
    const other = (await t.request('POST', `/widget/v1/boot?inbox=${inboxId}`, { body: {}, headers: { origin: SHOP } })).body.visitor.token as string;
    await t.request('POST', `/widget/v1/messages?inbox=${inboxId}`, { body: { body: 'hello' }, headers: as(other) });
    expect(await pending(inboxId, other)).toEqual([]);
    expect((await answer(inboxId, other, sendId, { score: 5 })).status).toBe(404);
    // A visitor of another workspace's inbox: 404, as for a missing send.
    const b = await setup();
    const { token: foreign } = await chatAndResolve(b.ws, b.inboxId);
    expect((await answer(b.inboxId, foreign, sendId, { score: 5 })).status).toBe(404);
    // Nothing was recorded by the refused calls.
    expect(await responses(ws, surveyId)).toEqual([]);
    // Past its validity the survey leaves the chat and an answer is refused.
    clock.advance(3 * DAY + 1000);
    expect(await pending(inboxId, token)).toEqual([]);
    const late = await answer(inboxId, token, sendId, { score: 5 });
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/expired/);
  });

  it('throttles sends in the chat as emailed ones (once per window across surveys), follows the language, opens the follow-up for an unhappy chat answer, and keeps email for email conversations', async () => {
    const { ws, inboxId, surveyId } = await setup({ translations: { fr: { title: 'Votre avis', question: 'Êtes-vous satisfait ?' } } });
    const { token } = await chatAndResolve(ws, inboxId);
    await settle();
    const [fr] = await pending(inboxId, token, 'fr-FR,fr;q=0.9');
    expect(fr).toMatchObject({ lang: 'fr', title: 'Votre avis', question: 'Êtes-vous satisfait ?', low: 'Très insatisfait', send: 'Envoyer' });
    const res = await answer(inboxId, token, fr?.sendId as string, { score: 1, comment: 'Nobody solved anything' }, { 'accept-language': 'fr' });
    expect(res.status).toBe(200);
    expect((await responses(ws, surveyId))[0]).toMatchObject({ language: 'fr', score: 1 });
    // An unhappy CSAT opens the follow-up case after the grace, as it does from the page.
    clock.advance(11 * 60_000);
    await settle();
    const convs = await t.request('GET', '/api/v1/conversations?limit=50', { token: ws.token });
    expect(convs.body.data.some((c: { subject: string | null }) => (c.subject ?? '').startsWith('Follow-up: CSAT 1/5'))).toBe(true);
    // The same customer's next chat conversation, resolved inside the throttle window (90 days
    // across surveys and deliveries): not asked; past the window: asked again, in the chat.
    const customerId = (await responses(ws, surveyId))[0]?.customerId as string;
    const follow = convs.body.data.find((c: { subject: string | null }) => (c.subject ?? '').startsWith('Follow-up'));
    await t.request('PATCH', `/api/v1/conversations/${follow.id}`, { token: ws.token, body: { status: 'resolved' } });
    const chatAgain = async () => {
      const c = await t.request('POST', '/api/v1/conversations', {
        token: ws.token,
        body: { customer: { id: customerId }, channel: 'chat', subject: 'Again', message: { body: 'One more question', author: 'customer' } },
      });
      expect(c.status).toBe(201);
      expect((await t.request('PATCH', `/api/v1/conversations/${c.body.id}`, { token: ws.token, body: { status: 'resolved' } })).status).toBe(200);
      await settle();
    };
    await chatAgain();
    expect(await pending(inboxId, token)).toEqual([]);
    clock.advance(91 * DAY);
    await chatAgain();
    expect(await pending(inboxId, token)).toHaveLength(1);
    // An email conversation's customer is asked by email under 'auto'.
    const before = mails.length;
    const conv = await t.request('POST', '/api/v1/conversations', {
      token: ws.token,
      body: { customer: { email: `${unique('mia')}@example.com` }, channel: 'email', subject: 'Invoice', message: { body: 'Please send my invoice' } },
    });
    expect(conv.status).toBe(201);
    await t.request('PATCH', `/api/v1/conversations/${conv.body.id}`, { token: ws.token, body: { status: 'resolved' } });
    await settle();
    expect(mails.length).toBe(before + 1);
    expect(mails[mails.length - 1]?.text).toMatch(/http:\/\/rapport\.test\/s\//);
  });

  it('closes the loop in the chat: an unhappy chat answer opens a follow-up case, whose resolution asks the recovery survey in the chat', async () => {
    const ws = await newWorkspace(t, unique('Chat loop '));
    const inbox = await t.request('POST', '/api/v1/inboxes', {
      token: ws.token,
      body: { channel: 'chat', name: 'Help', settings: { allowedOrigins: [SHOP] } },
    });
    const inboxId = inbox.body.id as string;
    const recovery = await t.request('POST', '/api/v1/surveys', {
      token: ws.token,
      body: { name: 'Recovery', type: 'csat', title: 'Did we make it right?', trigger: { type: 'manual' } },
    });
    const nps = await t.request('POST', '/api/v1/surveys', {
      token: ws.token,
      body: { name: 'NPS', type: 'nps', title: 'NPS', trigger: { type: 'conversation_resolved' }, recoverySurveyId: recovery.body.id },
    });
    expect(nps.status).toBe(201);
    const { token } = await chatAndResolve(ws, inboxId);
    await settle();
    const [card] = await pending(inboxId, token);
    expect(card).toMatchObject({ type: 'nps', min: 0, max: 10 });
    expect((await answer(inboxId, token, card?.sendId as string, { score: 3, comment: 'The agent hung up on me' })).status).toBe(200);
    clock.advance(11 * 60_000);
    await settle();
    const convs = await t.request('GET', '/api/v1/conversations?limit=50', { token: ws.token });
    const follow = convs.body.data.find((c: { subject: string | null }) => (c.subject ?? '').startsWith('Follow-up: NPS 3'));
    expect(follow).toBeDefined();
    await t.request('PATCH', `/api/v1/conversations/${follow.id}`, { token: ws.token, body: { status: 'resolved' } });
    await settle();
    // The follow-up case went by email, but the customer answered in the chat: asked there again.
    const [again] = await pending(inboxId, token);
    expect(again).toMatchObject({ type: 'csat', title: 'Did we make it right?' });
    expect((await answer(inboxId, token, again?.sendId as string, { score: 5 })).status).toBe(200);
    const results = await t.request('GET', `/api/v1/surveys/results?surveyId=${nps.body.id}`, { token: ws.token });
    expect(results.body.overall.loop).toMatchObject({ followUps: 1, resolved: 1, recovered: 1 });
  });

  it("delivers 'chat' surveys only in the chat, 'email' ones only by email, and refuses chat for custom surveys", async () => {
    // 'chat' for a customer without a widget visitor: no mail, nothing anywhere.
    const { ws, surveyId } = await setup({ delivery: 'chat', trigger: { type: 'manual' } });
    const before = mails.length;
    const customer = await t.request('POST', '/api/v1/conversations', {
      token: ws.token,
      body: { customer: { email: `${unique('noa')}@example.com` }, channel: 'email', subject: 'Hi', message: { body: 'Hello' } },
    });
    await t.request('PATCH', `/api/v1/conversations/${customer.body.id}`, { token: ws.token, body: { status: 'resolved' } });
    const sent = await t.request('POST', `/api/v1/surveys/${surveyId}/send`, { token: ws.token, body: { customerIds: [customer.body.customer.id] } });
    expect(sent.status).toBe(202);
    await settle();
    expect(mails.length).toBe(before);
    // 'email' for a chat customer with an address: mailed, not in the chat.
    const e = await setup({ delivery: 'email' });
    const boot = await t.request('POST', `/widget/v1/boot?inbox=${e.inboxId}`, { body: {}, headers: { origin: SHOP } });
    const token = boot.body.visitor.token as string;
    expect(
      (await t.request('POST', `/widget/v1/email?inbox=${e.inboxId}`, { body: { email: `${unique('eli')}@example.com` }, headers: as(token) })).status,
    ).toBe(200);
    await settle();
    await chatAndResolve(e.ws, e.inboxId, token);
    const mailed = mails.length;
    await settle();
    expect(await pending(e.inboxId, token)).toEqual([]);
    expect(mails.length).toBe(mailed + 1);
    // Custom surveys go by email: 'chat' is refused on create and on update.
    const custom = {
      name: 'Custom',
      type: 'custom',
      title: 'Tell us',
      trigger: { type: 'manual' },
      questions: [{ id: 'q1', type: 'text', text: 'Anything?' }],
    };
    const refused = await t.request('POST', '/api/v1/surveys', { token: ws.token, body: { ...custom, delivery: 'chat' } });
    expect(refused.status).toBe(400);
    const made = await t.request('POST', '/api/v1/surveys', { token: ws.token, body: custom });
    expect(made.status).toBe(201);
    expect((await t.request('PATCH', `/api/v1/surveys/${made.body.id}`, { token: ws.token, body: { delivery: 'chat' } })).status).toBe(400);
    expect((await t.request('PATCH', `/api/v1/surveys/${surveyId}`, { token: ws.token, body: { delivery: 'sms' } })).status).toBe(400);
    expect((await t.request('PATCH', `/api/v1/surveys/${surveyId}`, { token: ws.token, body: { delivery: 'auto' } })).body.delivery).toBe('auto');
  });
});
