// `rapport seed --demo`: a deterministic demo workspace (same people, customers, conversations
// and messages on every run, from a seeded PRNG), written through the services so every
// invariant (numbers, interactions, search index, first-response times) holds.
import { CATEGORIES, CHANNELS, PRIORITIES, type Role } from '@rapport/contracts';
import type { AuthContext } from './platform/access.js';
import { buildApp, type Rapport } from './app.js';
import { createFakeClock, type FakeClock } from './platform/clock.js';
import type { DbHandle } from './platform/db/database.js';
import { seededRandom } from './platform/random.js';
import { sanitizeEmailHtml } from './modules/channels/email/email.sanitize.js';
import { createWorkspacesStore } from './modules/workspaces/workspaces.store.js';

export const DEMO_LOGIN = { email: 'demo@rapport.test', password: 'rapport-demo' };

const FIRST = [
  'Sam',
  'Alex',
  'Maria',
  'Yuki',
  'Omar',
  'Priya',
  'Lena',
  'Diego',
  'Chen',
  'Fatima',
  'Noah',
  'Ava',
  'Kofi',
  'Ingrid',
  'Mateo',
  'Zara',
  'Luca',
  'Amara',
  'Jonas',
  'Sofia',
];
const LAST = ['Patel', 'Garcia', 'Kim', 'Nguyen', 'Okafor', 'Schmidt', 'Rossi', 'Silva', 'Haddad', 'Novak', 'Jensen', 'Tanaka', 'Moreau', 'Kowalski'];
const TOPICS: Record<string, Array<[string, string]>> = {
  inquiry: [
    ['Where is my order?', 'My parcel has not arrived yet and the tracking page has not moved for three days.'],
    ['Do you ship to Norway?', 'I would like to order the blue kettle but I live in Oslo.'],
  ],
  complaint: [
    ['Damaged on arrival', 'The box was crushed and the lid of the kettle is cracked. Very disappointed.'],
    ['Rude delivery driver', 'The courier threw the parcel over my fence in the rain.'],
  ],
  dispute: [
    ['Charged twice', 'My card statement shows two charges for order 4471. Please refund one.'],
    ['Price changed after checkout', 'I was charged more than the price shown at checkout.'],
  ],
  return_refund: [
    ['Return request', 'The jacket is too small, how do I return it for a refund?'],
    ['Refund not received', 'I sent the shoes back two weeks ago and still have no refund.'],
  ],
  technical_support: [
    ['App keeps crashing', 'The app crashes whenever I open my order history on Android.'],
    ['Cannot reset password', 'The password reset email never arrives.'],
  ],
  product_locate: [
    ['Looking for a replacement filter', 'Which filter fits the AquaPure 300? I cannot find it in the shop.'],
    ['Is the green sofa back in stock?', 'I have been waiting for the green sofa for a month.'],
  ],
  other: [
    ['Partnership idea', 'We run a cafe and would love to stock your mugs.'],
    ['Feedback on the new website', 'The new website is lovely but the search is slow.'],
  ],
};
const REPLIES: Record<string, string[]> = {
  inquiry: [
    'Thanks for reaching out! Your parcel is with the courier and arrives within two days.',
    'Yes, we ship to Norway: delivery takes 4-6 working days.',
  ],
  complaint: [
    'I am so sorry about this. A replacement ships tomorrow, no need to return the damaged one.',
    'That is not the service we promise. I have reported the courier and added a voucher to your account.',
  ],
  dispute: ['I have refunded the duplicate charge; it shows within 3-5 days.', 'You were right: I have refunded the difference to your card.'],
  return_refund: ['Here is the link to our returns portal: it takes two minutes.', 'Your return arrived yesterday; the refund was issued this morning.'],
  technical_support: ['Thanks! Could you tell me your app version? Settings > About shows it.', 'We found the bug; version 4.2.1 fixes it and is out today.'],
  product_locate: [
    'The AquaPure 300 takes the F-30 filter: here is the link.',
    'The green sofa is back in stock next week; I have added you to the waiting list.',
  ],
  other: ['Thank you! I have passed this on to the right team.', 'Thanks for the feedback, our web team is on it.'],
};

const FOLLOW_UPS: Record<string, string[]> = {
  inquiry: ['Great, thanks for checking!', 'Perfect, I will keep an eye on the tracking page.', 'Thanks, that is quicker than I expected.'],
  complaint: ['Thank you, that is a fair fix.', 'Appreciated. I hope the next order goes better.', 'OK, thanks for taking it seriously.'],
  dispute: ['Thanks, I can see the refund pending now.', 'Good, please make sure it does not happen again.', 'Thank you for sorting it out so fast.'],
  return_refund: ['Done, I printed the label.', 'Thanks, the refund arrived this morning.', 'Brilliant, returning it today.'],
  technical_support: ['It is version 4.1.9 on a Pixel 7.', 'Updated and it works now, thanks!', 'Still crashing after the update, sadly.'],
  product_locate: ['Ordered the F-30, thank you!', 'Please let me know when it is back.', 'Thanks, that is exactly the one.'],
  other: ['Thanks for passing it on.', 'Looking forward to hearing from them.', 'Cheers!'],
};

/** One customer's journey as product and web events, sent through the real ingest path. */
function journeyEvents(i: number, email: string, at: number, pick: <T>(xs: readonly T[]) => T, rand: () => number): Array<Record<string, unknown>> {
  const anonymousId = `demo-anon-${i}`;
  const userId = `demo-user-${i}`;
  const out: Array<Record<string, unknown>> = [];
  let t = at;
  const next = (minutes: number) => {
    t += Math.floor(minutes * 60_000 * (0.5 + rand()));
    return new Date(t).toISOString();
  };
  const ev = (body: Record<string, unknown>) => out.push({ messageId: `demo-${i}-${out.length}`, ...body });
  ev({
    type: 'track',
    anonymousId,
    event: 'Email Opened',
    properties: { campaign: pick(['spring-sale', 'new-kettles', 'newsletter-12']) },
    timestamp: next(0),
  });
  ev({ type: 'page', anonymousId, name: 'Pricing', properties: { path: '/pricing', url: 'https://acme.test/pricing' }, timestamp: next(30) });
  ev({ type: 'page', anonymousId, name: 'Product', properties: { path: `/products/${pick(['kettle', 'jacket', 'sofa', 'filter'])}` }, timestamp: next(5) });
  if (rand() < 0.25) return out;
  ev({ type: 'identify', anonymousId, userId, traits: { email }, timestamp: next(10) });
  ev({ type: 'track', userId, event: 'Signed Up', properties: { source: pick(['google', 'newsletter', 'friend']) }, timestamp: next(1) });
  ev({ type: 'track', userId, event: 'Checkout Started', properties: { items: 1 + Math.floor(rand() * 3) }, timestamp: next(20) });
  if (rand() < 0.15) return out;
  ev({ type: 'track', userId, event: 'Order Completed', properties: { order_id: `A-${5000 + i}`, total: 20 + Math.floor(rand() * 300) }, timestamp: next(4) });
  ev({ type: 'track', userId, event: 'Order Shipped', properties: { carrier: pick(['DHL', 'UPS', 'PostNord']) }, timestamp: next(60 * 24) });
  ev({ type: 'track', userId, event: 'Order Delivered', properties: { carrier: pick(['DHL', 'UPS', 'PostNord']) }, timestamp: next(60 * 48) });
  for (let k = 0; k < Math.floor(rand() * 3); k++)
    ev({ type: 'track', userId, event: 'Feature Used', properties: { feature: pick(['order history', 'wishlist', 'reorder']) }, timestamp: next(60 * 30) });
  ev({ type: 'track', userId, event: 'Invoice Sent', properties: { amount: 20 + Math.floor(rand() * 300) }, timestamp: next(60) });
  if (rand() < 0.4) ev({ type: 'track', userId, event: 'Review Submitted', properties: { stars: 3 + Math.floor(rand() * 3) }, timestamp: next(60 * 72) });
  return out;
}

export async function seedDemo(
  handle: DbHandle,
  opts: { passwordCost: number; onlyIfEmpty?: boolean; attachmentsDir?: string },
): Promise<{ created: boolean }> {
  const users = createWorkspacesStore(handle.db, handle.engine);
  if (await users.getUserByEmail(handle.db, DEMO_LOGIN.email)) return { created: false };
  if (opts.onlyIfEmpty && (await users.countUsers()) > 0) return { created: false };

  const rand = seededRandom(20261123);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const start = new Date(Date.now() - 52 * 86_400_000);
  start.setUTCHours(8, 0, 0, 0);
  const clock = createFakeClock(start);
  const { services, jobs, logs, app } = await buildApp({
    handle,
    clock,
    logger: false,
    passwordCost: opts.passwordCost,
    webDir: null,
    ...(opts.attachmentsDir ? { attachmentsDir: opts.attachmentsDir } : {}),
  });
  const { workspaces, customers, conversations, canned } = services;

  const owner = await workspaces.createOwner({ workspaceName: 'Acme Demo', name: 'Dana Demo', email: DEMO_LOGIN.email, password: DEMO_LOGIN.password }, null);
  const auth: AuthContext = {
    workspaceId: owner.workspace.id,
    userId: owner.user.id,
    userName: 'Dana Demo',
    role: 'owner',
    teamIds: [],
    method: 'session',
    tokenId: null,
    ip: null,
  };
  const support = await workspaces.createTeam(auth, { name: 'Support', autoAssign: true, memberIds: [] });
  const billing = await workspaces.createTeam(auth, { name: 'Billing', autoAssign: true, memberIds: [] });
  const outsourced = await workspaces.createTeam(auth, { name: 'Outsourced (Tier 1)', autoAssign: true, memberIds: [] });
  const people: Array<[string, string, Role, string[]]> = [
    ['Ada Agent', 'ada@rapport.test', 'agent', [support.id]],
    ['Ben Agent', 'ben@rapport.test', 'agent', [support.id, billing.id]],
    ['Cleo Agent', 'cleo@rapport.test', 'agent', [billing.id]],
    ['Lee Lead', 'lee@rapport.test', 'admin', [support.id]],
    ['Ana Analyst', 'ana@rapport.test', 'analyst', []],
    ['Pat Partner', 'pat@partner.test', 'partner', [outsourced.id]],
    ['Pia Partner', 'pia@partner.test', 'partner', [outsourced.id]],
  ];
  const authOf = new Map<string, AuthContext>();
  for (const [name, email, role, teamIds] of people) {
    const id = await workspaces.addActiveMember(auth, { email, name, role, password: DEMO_LOGIN.password, teamIds, capacity: role === 'partner' ? 40 : null });
    authOf.set(id, { ...auth, userId: id, userName: name, role, teamIds });
  }
  await canned.create(auth, {
    shortcut: 'thanks',
    title: 'Thanks for waiting',
    body: 'Hi {{customer.first_name}}, thanks for your patience! — {{agent.name}}',
  });
  await canned.create(auth, {
    shortcut: 'return',
    title: 'Returns portal',
    body: 'Hi {{customer.first_name}}, you can start a return at https://acme.test/returns. Reference: #{{conversation.number}}.',
  });
  await conversations.createCustomField(auth, { key: 'order_id', label: 'Order ID', type: 'text' });
  await conversations.createCustomField(auth, { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro', 'enterprise'] });

  const customerIds: string[] = [];
  const customerEmails: string[] = [];
  for (let i = 0; i < 200; i++) {
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    const email = `${name.toLowerCase().replace(' ', '.')}.${i}@example.com`;
    const c = await customers.create(auth, {
      name,
      email,
      ...(i % 3 === 0 ? { phone: `+1 555 01${String(i).padStart(2, '0')}` } : {}),
      traits: { plan: pick(['free', 'pro', 'enterprise']), city: pick(['Lisbon', 'Oslo', 'Austin', 'Osaka', 'Lagos']) },
    });
    customerIds.push(c.id);
    customerEmails.push(email);
  }
  const teams = [support.id, billing.id, outsourced.id];
  for (let i = 0; i < 500; i++) {
    clock.set(new Date(start.getTime() + i * 2.4 * 3_600_000 + Math.floor(rand() * 60 * 60_000)));
    const category = CATEGORIES[i % CATEGORIES.length] ?? 'inquiry';
    const [subject, body] = pick(TOPICS[category] ?? []);
    const conv = await conversations.create(auth, {
      customer: { id: pick(customerIds) },
      channel: CHANNELS[i % CHANNELS.length] ?? 'email',
      subject,
      category,
      priority: pick(PRIORITIES),
      status: 'open',
      origin: i % 17 === 0 ? 'proactive' : 'reactive',
      teamId: pick(teams),
      tags: rand() < 0.3 ? [pick(['vip', 'shipping', 'refund', 'bug', 'follow-up'])] : [],
      ...(rand() < 0.4 ? { customFields: { order_id: `A-${1000 + i}` } } : {}),
      message: { body, author: 'customer' },
    });
    await jobs.drain();
    // The agent round-robin picked answers (the owner when nobody was free).
    const assigned = await conversations.get(auth, conv.id);
    const agent = (assigned.assigneeId && authOf.get(assigned.assigneeId)) || auth;
    const turns = Math.floor(rand() * 4);
    for (let t = 0; t < turns; t++) {
      clock.advance(Math.floor(rand() * 40 * 60_000));
      const isNote = t === 1 && rand() < 0.3;
      const body = isNote
        ? pick(['Checked the order in the warehouse system: it left on Monday.', 'Loyal customer since 2021, be generous.', 'Escalated to the courier team.'])
        : pick(REPLIES[category] ?? []);
      await conversations.addMessage(agent, conv.id, { body, kind: isNote ? 'note' : 'reply', author: 'agent' });
      if (rand() < 0.5) await conversations.addMessage(auth, conv.id, { body: pick(FOLLOW_UPS[category] ?? ['Thanks!']), kind: 'reply', author: 'customer' });
    }
    const r = rand();
    if (r < 0.45) await conversations.update(agent, conv.id, { status: 'resolved' });
    else if (r < 0.55) await conversations.update(agent, conv.id, { status: 'pending' });
    else if (r < 0.6) await conversations.update(agent, conv.id, { status: 'closed' });
    // The owner works a few conversations too, so "Mine" is not empty on first sign-in.
    else if (i % 25 === 0) await conversations.update(auth, conv.id, { assigneeId: owner.user.id });
  }

  // The rest of the journey: e-mails opened, pages viewed, sign-ups, orders shipped and delivered,
  // feature use, invoices and reviews, through the real ingest path with a server write key.
  const { key } = await services.spine.writeKeys.create(auth, { name: 'Demo back end', kind: 'server', allowedOrigins: [] });
  const principal = await services.spine.writeKeys.authenticate(key);
  const now = Date.now();
  clock.set(new Date(now));
  const events: Array<Record<string, unknown>> = [];
  for (let i = 0; i < customerIds.length; i++) {
    const at = now - (50 - Math.floor(rand() * 10)) * 86_400_000 + Math.floor(rand() * 30) * 86_400_000;
    events.push(...journeyEvents(i, customerEmails[i] ?? '', at, pick, rand).filter((e) => Date.parse(String(e.timestamp)) < now));
  }
  for (let i = 0; i < events.length; i += 500) {
    await services.spine.ingest.ingest(principal, { events: events.slice(i, i + 500), fixedType: null, sentAt: undefined, batchContext: null, ip: null });
  }
  await seedChannels(services, auth, customerIds, owner.user.id, clock);
  await jobs.drain();
  // The demo is complete when its events are processed, not only accepted (and the replies those
  // events queued have been handed to their channel).
  await logs.drain();
  await jobs.drain();
  await app.close();
  return { created: true };
}

/**
 * Channels in the demo: a chat inbox for the website, and conversations that came in through the
 * inboxes (an email with its HTML, a quoted earlier message and an attachment; a chat), written
 * through the channels' inbound path as real traffic would be.
 */
async function seedChannels(services: Rapport['services'], auth: AuthContext, customerIds: string[], ownerId: string, clock: FakeClock) {
  const { inboxes, inbound } = services.channels;
  const chat = await inboxes.create(auth, {
    channel: 'chat',
    name: 'Website chat',
    settings: { allowedOrigins: ['https://acme.test'], color: '#0b7285', greeting: 'Hi! Ask us anything about your order.' },
  });
  const email = (await inboxes.list(auth)).find((i) => i.channel === 'email' && i.isDefault);
  const emailRecord = email ? await inboxes.getRecord(email.id) : null;
  const chatRecord = await inboxes.getRecord(chat.id);
  const [mailCustomer = '', chatCustomer = ''] = customerIds;
  if (emailRecord) {
    clock.advance(-3 * 3_600_000);
    const mail = await inbound.receive({
      inbox: emailRecord,
      contact: { customerId: mailCustomer },
      message: {
        subject: 'Order A-1042 arrived damaged',
        body: [
          'Hello,',
          '',
          'My order A-1042 arrived today, but the box was crushed and the mug inside is broken (photo attached).',
          'Could you send a replacement? I would rather not wait for a refund.',
          '',
          'Thanks,',
          '',
          'On Mon, 1 Dec 2026 at 09:12, Acme Support <support@acme.test> wrote:',
          '> Good news: your order A-1042 has shipped and should arrive on Wednesday.',
          '> Track it at https://acme.test/track/A-1042',
        ].join('\n'),
        // Stored as the SMTP path would store it: through the email channel's sanitiser.
        html: sanitizeEmailHtml(
          '<p>Hello,</p><p>My order <b>A-1042</b> arrived today, but the box was crushed and the mug inside is broken (photo attached).</p>' +
            '<p>Could you send a replacement? I would rather not wait for a refund.</p><p>Thanks,</p>' +
            '<div class="gmail_signature">Sam — sent from my phone</div>' +
            '<div class="gmail_quote"><div class="gmail_attr">On Mon, 1 Dec 2026 at 09:12, Acme Support &lt;support@acme.test&gt; wrote:</div>' +
            '<blockquote><p>Good news: your order A-1042 has shipped and should arrive on Wednesday.</p><p>Track it at <a href="https://acme.test/track/A-1042">acme.test/track/A-1042</a></p></blockquote></div>',
        ),
        externalId: '<demo-a1042@example.com>',
        attachments: [{ filename: 'broken-mug.jpg', contentType: 'image/jpeg', content: Buffer.alloc(48_213, 0xff) }],
      },
    });
    await services.conversations.update(auth, mail.conversationId, { assigneeId: ownerId, category: 'return_refund', priority: 'high' });
    clock.advance(20 * 60_000);
    await services.conversations.addMessage(auth, mail.conversationId, {
      body: 'So sorry about that! A replacement mug ships today; you will have the tracking link by email within the hour. No need to send the broken one back.',
      kind: 'reply',
      author: 'agent',
    });
  }
  if (chatRecord) {
    clock.advance(30 * 60_000);
    for (const body of ['Hi! Do you ship to Norway?', 'And how long does it usually take?']) {
      await inbound.receive({ inbox: chatRecord, contact: { customerId: chatCustomer }, message: { body }, thread: { continueLatest: true } });
      clock.advance(40_000);
    }
  }
}
