// Surveys through the public API, a real SMTP mailbox and the public page, on both engines with a
// fake clock: each trigger (a resolved conversation, an ingested event with a delay, by hand),
// throttling, no survey while a case is open, signed links (tampered, expired, another
// workspace's), the one-click rating and a second answer, the follow-up case and its recovery
// survey, the results maths against hand-computed figures, CSV, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZSurvey, ZSurveyResponse, ZSurveyResults } from '@rapport/contracts';
import { createFakeClock } from '../../platform/clock.js';
import { openMailbox, type Mailbox } from '../../test/mailbox.js';
import { createTestApp, engines, newConversation, newMember, newWorkspace, unique, type TestApp, type TestWorkspace } from '../../test/harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(engines)('surveys on %s', (engine) => {
  const clock = createFakeClock(new Date('2026-06-01T09:00:00Z'));
  let t: TestApp;
  let mailbox: Mailbox;
  let a: TestWorkspace;
  let b: TestWorkspace;
  beforeAll(async () => {
    mailbox = await openMailbox();
    t = await createTestApp(engine, { clock, smtpRelayUrl: mailbox.relayUrl, publicUrl: 'https://rapport.example' });
    a = await newWorkspace(t, 'Surveys A');
    b = await newWorkspace(t, 'Surveys B');
  });
  afterAll(async () => {
    await t.close();
    await mailbox.close();
  });

  /** Consumers, then due jobs, until both are idle. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await t.rapport.logs.drain();
      if ((await t.rapport.jobs.drain()) === 0) break;
    }
  };
  const createSurvey = async (token: string, body: Record<string, unknown>) => {
    const res = await t.request('POST', '/api/v1/surveys', { token, body: { name: unique('Survey '), title: 'How did we do?', ...body } });
    if (res.status !== 201) throw new Error(`survey: ${res.status} ${res.text}`);
    expect(() => ZSurvey.parse(res.body)).not.toThrow();
    return res.body as { id: string } & Record<string, any>;
  };
  const resolve = (token: string, id: string) => t.request('PATCH', `/api/v1/conversations/${id}`, { token, body: { status: 'resolved' } });
  const emailOf = async (token: string, customerId: string) => (await t.request('GET', `/api/v1/customers/${customerId}`, { token })).body.email as string;
  /** The path of the survey page from the newest survey mail to an address (and its one-click link for a score). */
  const linkTo = (address: string, score?: number) => {
    const mails = mailbox.to(address);
    const text = mails[mails.length - 1]?.text ?? '';
    const m = /https:\/\/rapport\.example(\/s\/[A-Za-z0-9_.-]+)/.exec(text);
    if (!m) throw new Error(`no survey link mailed to ${address}`);
    return score === undefined ? (m[1] as string) : `${m[1]}?score=${score}`;
  };
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    t.request('POST', path, { raw: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const responses = async (token: string, surveyId: string) => {
    const res = await t.request('GET', `/api/v1/surveys/${surveyId}/responses?limit=200`, { token });
    expect(res.status).toBe(200);
    for (const r of res.body.data) expect(() => ZSurveyResponse.parse(r)).not.toThrow();
    return res.body.data as Array<Record<string, any>>;
  };
  /** A customer with an email, through the desk: a conversation, resolved unless asked. */
  const customerWith = async (token: string, body: Record<string, unknown> = {}) => {
    const conv = await newConversation(t, token, body);
    return { conv, customerId: conv.customer.id, email: await emailOf(token, conv.customer.id) };
  };

  it('creates, reads, updates and deletes surveys; refuses bad input with problems, and other roles and workspaces', async () => {
    const s = await createSurvey(a.token, {
      type: 'nps',
      trigger: { type: 'conversation_resolved', channels: ['email'], delay: 'PT90S' },
      translations: { fr: { title: 'Votre avis', question: 'Nous recommanderiez-vous ?' } },
    });
    expect(s).toMatchObject({ type: 'nps', throttleDays: 90, linkDays: 30, followUp: true, enabled: true, recoverySurveyId: null });
    expect(s.question).toContain('recommend');

    const analyst = await newMember(t, a, 'analyst');
    const agent = await newMember(t, a, 'agent');
    const partner = await newMember(t, a, 'partner');
    expect((await t.request('GET', `/api/v1/surveys/${s.id}`, { token: analyst.token })).status).toBe(200);
    expect((await t.request('GET', '/api/v1/surveys', { token: agent.token })).body.data.map((x: { id: string }) => x.id)).toContain(s.id);
    expect((await t.request('GET', '/api/v1/surveys', { token: partner.token })).status).toBe(403);
    const refused = await t.request('PATCH', `/api/v1/surveys/${s.id}`, { token: agent.token, body: { enabled: false } });
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');

    const patched = await t.request('PATCH', `/api/v1/surveys/${s.id}`, { token: a.token, body: { throttleDays: 30, title: 'Tell us' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ throttleDays: 30, title: 'Tell us', translations: { fr: { title: 'Votre avis' } } });

    for (const body of [
      { name: 'x', title: 'x', type: 'custom', trigger: { type: 'manual' } },
      { name: 'x', title: 'x', type: 'nps', trigger: { type: 'manual' }, questions: [{ id: 'a', type: 'text', text: 'Why?' }] },
      { name: 'x', title: 'x', type: 'nps', trigger: { type: 'interaction', event: 'Order Delivered', delay: 'P1Y' } },
      { name: 'x', title: 'x', type: 'nps', trigger: { type: 'interaction', delay: 'P7D' } },
      { name: 'x', title: 'x', type: 'nps', trigger: { type: 'interaction', event: 'X', delay: 'P400D' } },
      { name: 'x', title: 'x', type: 'stars', trigger: { type: 'manual' } },
      { name: 'x', title: 'x', type: 'nps', trigger: { type: 'manual' }, hacked: true },
      { name: 'x', title: 'x', type: 'custom', trigger: { type: 'manual' }, questions: [{ id: 'a', type: 'single', text: 'Pick' }] },
      { name: 'x', title: 'x', type: 'nps', trigger: { type: 'manual' }, translations: { 'not a language': { title: 'x' } } },
    ]) {
      const res = await t.request('POST', '/api/v1/surveys', { token: a.token, body });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.status).toBe(400);
    }
    const selfRecovery = await t.request('PATCH', `/api/v1/surveys/${s.id}`, { token: a.token, body: { recoverySurveyId: s.id } });
    expect(selfRecovery.status).toBe(400);

    // Another workspace's survey is not found, whatever the route; nor can it be named as a recovery survey.
    const theirs = await createSurvey(b.token, { type: 'csat', trigger: { type: 'manual' } });
    for (const [method, url] of [
      ['GET', `/api/v1/surveys/${theirs.id}`],
      ['GET', `/api/v1/surveys/${theirs.id}/responses`],
      ['GET', `/api/v1/surveys/${theirs.id}/responses.csv`],
      ['GET', `/api/v1/surveys/results?surveyId=${theirs.id}`],
      ['DELETE', `/api/v1/surveys/${theirs.id}`],
    ] as const) {
      const res = await t.request(method, url, { token: a.token });
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
    }
    expect((await t.request('PATCH', `/api/v1/surveys/${theirs.id}`, { token: a.token, body: { enabled: false } })).status).toBe(404);
    expect((await t.request('POST', `/api/v1/surveys/${theirs.id}/send`, { token: a.token, body: { customerIds: ['cus_x'] } })).status).toBe(404);
    expect((await t.request('PATCH', `/api/v1/surveys/${s.id}`, { token: a.token, body: { recoverySurveyId: theirs.id } })).status).toBe(404);

    const gone = await t.request('DELETE', `/api/v1/surveys/${s.id}`, { token: a.token });
    expect(gone.status).toBe(200);
    expect((await t.request('GET', `/api/v1/surveys/${s.id}`, { token: a.token })).status).toBe(404);
  });

  it('asks after a resolved conversation that matches, once per conversation, after its delay; a one-click rating then a comment make one response on the timeline', async () => {
    const ws = await newWorkspace(t, 'Resolved');
    const team = await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Billing' } });
    expect(team.status).toBe(201);
    const survey = await createSurvey(ws.token, {
      type: 'nps',
      trigger: { type: 'conversation_resolved', channels: ['email'], delay: 'PT1H' },
      followUp: false,
    });
    // A survey for another channel and one for another team never ask this customer.
    await createSurvey(ws.token, { type: 'csat', trigger: { type: 'conversation_resolved', channels: ['chat'] }, throttleDays: 0 });
    await createSurvey(ws.token, { type: 'ces', trigger: { type: 'conversation_resolved', teamIds: ['team_other'] }, throttleDays: 0 });

    const { conv, email, customerId } = await customerWith(ws.token, { teamId: team.body.id });
    expect((await resolve(ws.token, conv.id)).status).toBe(200);
    await settle();
    // The delay is not over: nothing is mailed (and nothing on the request path).
    expect(mailbox.to(email)).toHaveLength(0);
    clock.advance(HOUR);
    await settle();
    expect(mailbox.to(email)).toHaveLength(1);
    const mail = mailbox.to(email)[0];
    expect(mail?.subject).toBe('How did we do?');
    // Eleven one-click links, 0 to 10, in the text and the HTML.
    for (let n = 0; n <= 10; n++) expect(mail?.text).toContain(`?score=${n}`);
    expect(mail?.html).toContain('?score=10');

    // Reopened and resolved again: the same trigger never asks twice.
    await t.request('PATCH', `/api/v1/conversations/${conv.id}`, { token: ws.token, body: { status: 'open' } });
    await resolve(ws.token, conv.id);
    clock.advance(2 * HOUR);
    await settle();
    expect(mailbox.to(email)).toHaveLength(1);

    // A link checker's HEAD records nothing.
    expect((await t.request('HEAD', linkTo(email, 3))).status).toBe(200);
    expect(await responses(ws.token, survey.id)).toHaveLength(0);
    // One click records the rating and asks why; clicking again keeps one response.
    const click = await t.request('GET', linkTo(email, 3));
    expect(click.status).toBe(200);
    expect(click.headers['content-type']).toContain('text/html');
    expect(click.text).toContain('<fieldset><legend>');
    expect(click.text).toMatch(/<input type="radio" id="score-3" name="score" value="3" checked/);
    expect(click.text).toContain('<label for="comment">');
    expect(click.text).toContain('method="post"');
    await t.request('GET', linkTo(email, 3));
    let list = await responses(ws.token, survey.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ score: 3, comment: null, customerId, conversationId: conv.id, teamId: team.body.id, channel: 'email', type: 'nps' });

    const why = await post(linkTo(email), { score: '3', comment: 'The agent hung up on me and my parcel still has not arrived.' });
    expect(why.status).toBe(200);
    expect(why.text).toContain('Thank you for your feedback.');
    list = await responses(ws.token, survey.id);
    expect(list).toHaveLength(1);
    expect(list[0]?.comment).toContain('hung up');
    expect(list[0]?.sentiment.score).toBeLessThan(0);

    // A second answer to the same send updates the one response: the latest rating wins, the comment stays.
    const again = await post(linkTo(email), { score: '8' });
    expect(again.status).toBe(200);
    list = await responses(ws.token, survey.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ score: 8, comment: expect.stringContaining('hung up') });

    const timeline = await t.request('GET', `/api/v1/customers/${customerId}/timeline`, { token: ws.token });
    const answered = (timeline.body.data as Array<Record<string, any>>).filter((i) => i.name === 'Survey Answered');
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatchObject({ kind: 'survey_response', channel: 'email', origin: 'customer', conversationId: conv.id });
    expect(answered[0]?.properties).toMatchObject({ surveyId: survey.id, type: 'nps', score: 8, teamId: team.body.id });
    expect(answered[0]?.sentiment).toBeLessThan(0);

    // Out of range and malformed ratings change nothing.
    for (const bad of ['11', '-1', '3.5', 'x']) {
      const res = await t.request('GET', `${linkTo(email)}?score=${bad}`);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
    expect((await responses(ws.token, survey.id))[0]?.score).toBe(8);
  });

  it('asks a set time after an ingested event, and never more than once per throttle window across surveys', async () => {
    const ws = await newWorkspace(t, 'Delivered');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key as string;
    const delivered = await createSurvey(ws.token, {
      type: 'csat',
      trigger: { type: 'interaction', event: 'Order Delivered', delay: 'P7D' },
      throttleDays: 30,
    });
    const resolved = await createSurvey(ws.token, { type: 'nps', trigger: { type: 'conversation_resolved' }, throttleDays: 30 });
    const email = `${unique('buyer')}@example.com`;
    const basic = { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
    const track = (event: string, messageId: string) =>
      t.request('POST', '/v1/track', { headers: basic, body: { userId: email, event, messageId, traits: { email }, context: { traits: { email } } } });
    const identify = await t.request('POST', '/v1/identify', {
      headers: basic,
      body: { userId: email, traits: { email, language: 'fr' }, messageId: unique('m') },
    });
    expect(identify.status).toBe(200);
    expect((await track('Order Delivered', unique('m'))).status).toBe(200);
    expect((await track('Page Viewed', unique('m'))).status).toBe(200);
    await settle();
    expect(mailbox.to(email)).toHaveLength(0);
    clock.advance(7 * DAY);
    await settle();
    expect(mailbox.to(email)).toHaveLength(1);
    // Five links, 1 to 5 (CSAT).
    expect(mailbox.to(email)[0]?.text).toContain('?score=5');
    expect(mailbox.to(email)[0]?.text).not.toContain('?score=6');

    // The same customer's resolved conversation, within the 30 days: throttled (another survey, another trigger).
    const customers = await t.request('GET', `/api/v1/customers?q=${encodeURIComponent(email)}`, { token: ws.token });
    const customerId = customers.body.data[0]?.id as string;
    const conv = await newConversation(t, ws.token, { customer: { id: customerId } });
    await resolve(ws.token, conv.id);
    await settle();
    expect(mailbox.to(email)).toHaveLength(1);
    // A second delivery is another trigger, but still inside the window.
    await track('Order Delivered', unique('m'));
    clock.advance(7 * DAY);
    await settle();
    expect(mailbox.to(email)).toHaveLength(1);
    // Past the window the next trigger asks again.
    clock.advance(30 * DAY);
    const conv2 = await newConversation(t, ws.token, { customer: { id: customerId } });
    await resolve(ws.token, conv2.id);
    await settle();
    expect(mailbox.to(email)).toHaveLength(2);
    expect((await responses(ws.token, delivered.id)).length + (await responses(ws.token, resolved.id)).length).toBe(0);
  });

  it('never sends while the customer has a case open: the send waits, then goes once the case is resolved', async () => {
    const ws = await newWorkspace(t, 'Open case');
    await createSurvey(ws.token, { type: 'csat', trigger: { type: 'conversation_resolved', delay: 'P1D' } });
    const { conv, email, customerId } = await customerWith(ws.token);
    await resolve(ws.token, conv.id);
    await settle();
    const other = await newConversation(t, ws.token, { customer: { id: customerId }, message: { body: 'Another problem' } });
    clock.advance(DAY);
    await settle();
    expect(mailbox.to(email)).toHaveLength(0);
    clock.advance(DAY);
    await settle();
    expect(mailbox.to(email)).toHaveLength(0);
    // Resolved: the waiting send goes at its next try; the second conversation's own send is then throttled.
    await resolve(ws.token, other.id);
    clock.advance(DAY);
    await settle();
    clock.advance(DAY);
    await settle();
    expect(mailbox.to(email)).toHaveLength(1);
  });

  it('refuses tampered, expired and foreign links with a clear page, and serves the customer language', async () => {
    const ws = await newWorkspace(t, 'Links');
    const survey = await createSurvey(ws.token, {
      type: 'ces',
      trigger: { type: 'manual' },
      linkDays: 2,
      translations: { fr: { title: 'Votre avis compte', question: 'Était-ce facile ?', thanks: 'Merci beaucoup !' } },
    });
    const made = await t.request('POST', '/api/v1/customers', {
      token: ws.token,
      body: { email: `${unique('fr')}@example.com`, traits: { language: 'fr-CA' } },
    });
    expect(made.status).toBe(201);
    const sent = await t.request('POST', `/api/v1/surveys/${survey.id}/send`, { token: ws.token, body: { customerIds: [made.body.id, 'cus_nope'] } });
    expect(sent.status).toBe(202);
    expect(sent.body.results).toEqual([
      { id: made.body.id, ok: true, sendId: expect.any(String) },
      { id: 'cus_nope', ok: false, error: 'Customer not found' },
    ]);
    // The same day again: never twice for one trigger.
    const twice = await t.request('POST', `/api/v1/surveys/${survey.id}/send`, { token: ws.token, body: { customerIds: [made.body.id] } });
    expect(twice.body.results[0]).toMatchObject({ ok: false });
    await settle();
    const email = made.body.email as string;
    expect(mailbox.to(email)).toHaveLength(1);
    expect(mailbox.to(email)[0]?.subject).toBe('Votre avis compte');
    const path = linkTo(email);

    const page = await t.request('GET', path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html lang="fr">');
    expect(page.text).toContain('Était-ce facile ?');
    // Accept-Language is the fallback when the customer has no language trait (here it has one: French stays).
    expect((await t.request('GET', path, { headers: { 'accept-language': 'de' } })).text).toContain('<html lang="fr">');

    const [payload, sig] = path.slice(3).split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, e: claims.e + 86_400 * 365 })).toString('base64url');
    const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA');
    for (const bad of [`/s/${forged}.${sig}`, `/s/${payload}.${flipped}`, `/s/${payload}`, '/s/nonsense', `/s/${payload}.${sig}.x`]) {
      const res = await t.request('GET', bad);
      expect({ bad, status: res.status }).toEqual({ bad, status: 404 });
      expect(res.text).toContain('This survey link is not valid.');
      expect(res.text).not.toContain('facile');
    }
    // A forged link records nothing either.
    const forgedPost = await post(`/s/${forged}.${sig}`, { score: '7' });
    expect(forgedPost.status).toBe(404);

    // Two answers at the same moment (a double submit): both succeed, one response.
    const [answered, twin] = await Promise.all([post(path, { score: '6' }, { 'accept-language': 'fr' }), post(path, { score: '6' })]);
    expect(answered.status).toBe(200);
    expect(twin.status).toBe(200);
    expect(await responses(ws.token, survey.id)).toHaveLength(1);
    expect(answered.text).toContain('Merci beaucoup !');
    clock.advance(2 * DAY + 1000);
    const expired = await t.request('GET', `${path}?score=1`);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This survey link has expired.');
    expect((await responses(ws.token, survey.id))[0]?.score).toBe(6);

    // Bad manual sends: too many, duplicated, not a list.
    const many = Array.from({ length: 501 }, (_, i) => `cus_${i}`);
    for (const body of [{ customerIds: many }, { customerIds: ['cus_a', 'cus_a'] }, { customerIds: [] }, { customers: ['x'] }]) {
      const res = await t.request('POST', `/api/v1/surveys/${survey.id}/send`, { token: ws.token, body });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('opens a follow-up case for a detractor with the score and comment, then a recovery survey whose answer closes the loop', async () => {
    const ws = await newWorkspace(t, 'Closed loop');
    const team = await t.request('POST', '/api/v1/teams', { token: ws.token, body: { name: 'Care' } });
    const recovery = await createSurvey(ws.token, { type: 'csat', title: 'Did we make it right?', trigger: { type: 'manual' } });
    const survey = await createSurvey(ws.token, { type: 'nps', trigger: { type: 'conversation_resolved' }, recoverySurveyId: recovery.id });
    const { conv, email, customerId } = await customerWith(ws.token, { teamId: team.body.id });
    await resolve(ws.token, conv.id);
    await settle();
    await t.request('GET', linkTo(email, 2));
    await post(linkTo(email), { score: '2', comment: 'Nobody answered for a week.' });
    await settle();
    // The follow-up waits ten minutes for the "why".
    const before = await t.request('GET', `/api/v1/conversations?customerId=${customerId}&status=open`, { token: ws.token });
    expect(before.body.data).toHaveLength(0);
    clock.advance(10 * 60_000);
    await settle();
    const open = await t.request('GET', `/api/v1/conversations?customerId=${customerId}&status=open`, { token: ws.token });
    expect(open.body.data).toHaveLength(1);
    const followUp = open.body.data[0];
    expect(followUp).toMatchObject({ origin: 'proactive', teamId: team.body.id, priority: 'high' });
    const notes = await t.request('GET', `/api/v1/conversations/${followUp.id}/messages`, { token: ws.token });
    const note = (notes.body.data as Array<Record<string, any>>).find((m) => m.kind === 'note');
    expect(note?.body).toContain('NPS 2 (detractor)');
    expect(note?.body).toContain('Nobody answered for a week.');
    // No second case for the same response, whatever runs again.
    await settle();
    expect((await t.request('GET', `/api/v1/conversations?customerId=${customerId}&status=open`, { token: ws.token })).body.data).toHaveLength(1);

    let results = await t.request('GET', `/api/v1/surveys/results?surveyId=${survey.id}`, { token: ws.token });
    expect(results.body.overall.loop).toEqual({ followUps: 1, open: 1, resolved: 0, recovered: 0, notRecovered: 0 });

    // Resolved: the recovery survey follows (throttling does not hold back the loop's own question).
    await resolve(ws.token, followUp.id);
    await settle();
    const mails = mailbox.to(email);
    expect(mails).toHaveLength(2);
    expect(mails[1]?.subject).toBe('Did we make it right?');
    await t.request('GET', linkTo(email, 5));
    await settle();
    const rec = await responses(ws.token, recovery.id);
    expect(rec[0]).toMatchObject({ score: 5, recoveryOf: expect.any(String) });
    results = await t.request('GET', `/api/v1/surveys/results?surveyId=${survey.id}&by=team`, { token: ws.token });
    expect(() => ZSurveyResults.parse(results.body)).not.toThrow();
    expect(results.body.overall.loop).toEqual({ followUps: 1, open: 0, resolved: 1, recovered: 1, notRecovered: 0 });
    expect(results.body.groups[0]).toMatchObject({ key: team.body.id, loop: { recovered: 1 } });
    // The recovery case's resolution asks nothing else (its survey is not triggered by resolutions).
    expect(mailbox.to(email)).toHaveLength(2);
  });

  it('computes NPS, CSAT and CES with their 95 % intervals against hand-computed figures, and exports CSV', async () => {
    const ws = await newWorkspace(t, 'Maths');
    const answerAll = async (surveyId: string, scores: number[], unanswered: number, comment?: (i: number) => string) => {
      const made = [];
      for (let i = 0; i < scores.length + unanswered; i++)
        made.push(
          (await t.request('POST', '/api/v1/customers', { token: ws.token, body: { email: `${unique('m')}@example.com` } })).body as {
            id: string;
            email: string;
          },
        );
      const sent = await t.request('POST', `/api/v1/surveys/${surveyId}/send`, { token: ws.token, body: { customerIds: made.map((c) => c.id) } });
      expect(sent.body.results.every((r: { ok: boolean }) => r.ok)).toBe(true);
      await settle();
      for (const [i, score] of scores.entries()) {
        const email = made[i]?.email as string;
        if (comment) expect((await post(linkTo(email), { score: String(score), comment: comment(i) })).status).toBe(200);
        else expect((await t.request('GET', linkTo(email, score))).status).toBe(200);
        clock.advance(1000);
      }
      return made;
    };
    const nps = await createSurvey(ws.token, {
      type: 'nps',
      trigger: { type: 'manual' },
      throttleDays: 0,
      followUp: false,
      translations: { de: { question: 'Würden Sie uns empfehlen?' } },
    });
    const npsCustomers = await answerAll(nps.id, [10, 10, 9, 9, 9, 8, 7, 6, 3, 0], 2, (i) =>
      i === 0 ? '=HYPERLINK("http://evil")' : `Comment "${i}", with a comma`,
    );
    // Without a language trait, the browser's Accept-Language picks the translation (de-AT → de).
    const german = await t.request('GET', linkTo(npsCustomers[0]?.email as string), {
      headers: { 'accept-language': 'en;q=0, de-AT;q=0.9' },
    });
    expect(german.text).toContain('Würden Sie uns empfehlen?');
    const n = await t.request('GET', `/api/v1/surveys/results?surveyId=${nps.id}&comments=3`, { token: ws.token });
    expect(n.status).toBe(200);
    expect(() => ZSurveyResults.parse(n.body)).not.toThrow();
    // p = 0.5, d = 0.3: NPS 20; half-width 1.96 · sqrt((0.8 − 0.04) / 10) · 100 = 54.03.
    expect(n.body.overall).toMatchObject({ responses: 10, sent: 12, responseRate: 0.8333 });
    expect(n.body.overall.nps).toEqual({ score: 20, promoters: 5, passives: 2, detractors: 3, ci95: { low: -34.03, high: 74.03 } });
    expect(n.body.overall.comments).toHaveLength(3);
    expect(n.body.overall.distribution.map((d: { count: number }) => d.count)).toEqual([1, 0, 0, 1, 0, 0, 1, 1, 1, 3, 2]);
    expect(n.body.overall.comments[0].comment).toBe('Comment "9", with a comma');

    const csat = await createSurvey(ws.token, { type: 'csat', trigger: { type: 'manual' }, throttleDays: 0, followUp: false });
    await answerAll(csat.id, [5, 5, 4, 4, 4, 3, 2, 1], 0);
    const c = await t.request('GET', `/api/v1/surveys/results?surveyId=${csat.id}`, { token: ws.token });
    // 5 of 8 satisfied: 62.5 %, Wilson 95 % interval [30.57, 86.32].
    expect(c.body.overall.csat).toEqual({ percent: 62.5, satisfied: 5, ci95: { low: 30.57, high: 86.32 } });
    expect(c.body.overall.responseRate).toBe(1);
    // Answers per point of the scale, lowest first, zeros included.
    expect(c.body.overall.distribution).toEqual([1, 1, 1, 3, 2].map((count, i) => ({ score: i + 1, count })));

    const ces = await createSurvey(ws.token, { type: 'ces', trigger: { type: 'manual' }, throttleDays: 0, followUp: false });
    await answerAll(ces.id, [7, 6, 6, 5, 3], 0);
    const e = await t.request('GET', `/api/v1/surveys/results?surveyId=${ces.id}&by=period&period=day`, { token: ws.token });
    // Mean 5.4, sd sqrt(2.3) = 1.5166, t(4) = 2.776: 5.4 ± 1.8828.
    expect(e.body.overall.ces).toEqual({ mean: 5.4, sd: 1.5166, ci95: { low: 3.5172, high: 7.2828 } });
    expect(e.body.groups).toHaveLength(1);
    expect(e.body.groups[0]).toMatchObject({ key: clock.nowIso().slice(0, 10), responses: 5, sent: 5 });

    const bad = await t.request('GET', `/api/v1/surveys/results?surveyId=${ces.id}&by=colour`, { token: ws.token });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(
      (await t.request('GET', `/api/v1/surveys/results?surveyId=${ces.id}&from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`, { token: ws.token })).status,
    ).toBe(400);

    const csv = await t.request('GET', `/api/v1/surveys/${nps.id}/responses.csv`, { token: ws.token });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.text.split('\r\n');
    expect(lines[0]).toMatch(/^id,createdAt,updatedAt,customerId,type,score,comment,/);
    expect(lines).toHaveLength(12);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv.text).toContain('"Comment ""9"", with a comma"');

    // Pages of responses, newest first.
    const first = await t.request('GET', `/api/v1/surveys/${nps.id}/responses?limit=4`, { token: ws.token });
    expect(first.body.data).toHaveLength(4);
    const second = await t.request('GET', `/api/v1/surveys/${nps.id}/responses?limit=4&cursor=${first.body.nextCursor}`, { token: ws.token });
    expect(second.body.data).toHaveLength(4);
    expect(second.body.data[0].id < first.body.data[3].id).toBe(true);
    expect((await t.request('GET', `/api/v1/surveys/${nps.id}/responses?cursor=garbage`, { token: ws.token })).status).toBe(400);
  });

  it('moves a merged customer’s survey answers to the survivor', async () => {
    const ws = await newWorkspace(t, 'Merges');
    const key = (await t.request('POST', '/api/v1/write-keys', { token: ws.token, body: { name: 'site' } })).body.key as string;
    const headers = { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
    const older = `${unique('older')}@example.com`;
    const newer = `${unique('newer')}@example.com`;
    await t.request('POST', '/v1/identify', { headers, body: { userId: 'old-user', traits: { email: older }, messageId: unique('m') } });
    await t.request('POST', '/v1/identify', { headers, body: { anonymousId: 'visitor-1', traits: { email: newer }, messageId: unique('m') } });
    const find = async (email: string) =>
      (await t.request('GET', `/api/v1/customers?q=${encodeURIComponent(email)}`, { token: ws.token })).body.data[0].id as string;
    const [olderId, newerId] = [await find(older), await find(newer)];
    expect(olderId).not.toBe(newerId);
    const survey = await createSurvey(ws.token, { type: 'csat', trigger: { type: 'manual' }, followUp: false });
    await t.request('POST', `/api/v1/surveys/${survey.id}/send`, { token: ws.token, body: { customerIds: [newerId] } });
    await settle();
    expect((await t.request('GET', linkTo(newer, 4))).status).toBe(200);
    // One event carries both identities: the newer customer merges into the older.
    await t.request('POST', '/v1/track', { headers, body: { userId: 'old-user', anonymousId: 'visitor-1', event: 'Signed Up', messageId: unique('m') } });
    await settle();
    expect((await t.request('GET', `/api/v1/customers/${newerId}`, { token: ws.token })).body.id).toBe(olderId);
    expect((await responses(ws.token, survey.id))[0]).toMatchObject({ customerId: olderId, score: 4 });
    // The link still opens the survey (the send follows the survivor).
    expect((await t.request('GET', linkTo(newer))).status).toBe(200);
  });

  it('asks custom surveys with choices and text, on a page that works without JavaScript', async () => {
    const ws = await newWorkspace(t, 'Custom');
    const survey = await createSurvey(ws.token, {
      type: 'custom',
      trigger: { type: 'manual' },
      questions: [
        { id: 'rating', type: 'rating', text: 'Rate the unboxing', min: 1, max: 5, required: true },
        { id: 'colour', type: 'single', text: 'Favourite colour <b>', options: ['Red', 'Blue'] },
        { id: 'extras', type: 'multiple', text: 'What did you use?', options: ['App', 'Site', 'Shop'] },
        { id: 'why', type: 'text', text: 'Anything else?' },
      ],
    });
    const made = await t.request('POST', '/api/v1/customers', { token: ws.token, body: { email: `${unique('c')}@example.com` } });
    await t.request('POST', `/api/v1/surveys/${survey.id}/send`, { token: ws.token, body: { customerIds: [made.body.id] } });
    await settle();
    const path = linkTo(made.body.email);
    const page = await t.request('GET', path);
    expect(page.text).toContain('Favourite colour &#60;b&#62;');
    expect(page.text).toContain('type="checkbox"');
    expect(page.text).not.toContain('<script');
    const raw = 'q_rating=4&q_colour=1&q_extras=0&q_extras=2&q_why=Lovely+box';
    const res = await t.request('POST', path, { raw, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    const [r] = await responses(ws.token, survey.id);
    expect(r).toMatchObject({ score: 4, comment: 'Lovely box', answers: { rating: 4, colour: '1', extras: ['0', '2'], why: 'Lovely box' } });
    const wrong = await t.request('POST', path, { raw: 'q_colour=7', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(wrong.status).toBe(400);
    const csv = await t.request('GET', `/api/v1/surveys/${survey.id}/responses.csv`, { token: ws.token });
    expect(csv.text).toContain('Blue');
    expect(csv.text).toContain('App; Shop');

    // Erasing the customer (GDPR) erases what surveys kept of them, just behind, and their link stops working.
    const erased = await t.request('DELETE', `/api/v1/customers/${made.body.id}`, { token: ws.token });
    expect(erased.status).toBeLessThan(300);
    await settle();
    expect(await responses(ws.token, survey.id)).toHaveLength(0);
    expect((await t.request('GET', path)).status).toBe(404);
  });
});
