// The chat widget's public API (/widget/v1/*): what a visitor's browser sends and gets. Every call
// names its inbox in the query (so CORS preflights can be answered per inbox); every call after
// boot carries the visitor token (Authorization: Bearer) the boot handed out.
import { z } from 'zod';
import { ZIsoTime } from './common.js';

export const WIDGET_MESSAGE_MAX = 5000;

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-f]{32}$`), `an id such as ${prefix}_…`);

export const ZWidgetQuery = z.object({
  workspace: id('wsp').optional(),
  inbox: id('inb').optional(),
});

export const ZWidgetUser = z.strictObject({
  id: z.string().trim().min(1).max(200),
  hash: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'the hex HMAC-SHA256 of the user id with the inbox identity secret')
    .meta({ description: 'hex HMAC-SHA256 of `id` with the inbox identity secret (computed by your back end)' }),
  email: z.email().max(254).optional(),
  name: z.string().trim().min(1).max(200).optional(),
});

const webUrl = z.url({ protocol: /^https?$/, message: 'an http(s) URL' }).max(2000);
export const ZWidgetPage = z.strictObject({
  url: webUrl,
  title: z.string().max(500).optional(),
  referrer: z.union([webUrl, z.literal('')]).optional(),
});
export type WidgetPage = z.infer<typeof ZWidgetPage>;

export const ZWidgetBoot = z.strictObject({
  visitorToken: z.string().max(200).optional().meta({ description: 'the token a previous boot handed out (kept in localStorage)' }),
  user: ZWidgetUser.optional(),
});
export type WidgetBoot = z.infer<typeof ZWidgetBoot>;

export const ZWidgetMessage = z
  .object({
    id: z.string(),
    body: z.string(),
    createdAt: ZIsoTime,
    author: z.object({ type: z.enum(['customer', 'agent', 'bot', 'system']), name: z.string().nullable() }),
  })
  .meta({ id: 'WidgetMessage' });
export type WidgetMessage = z.infer<typeof ZWidgetMessage>;

export const ZWidgetInbox = z.object({
  id: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  color: z.string(),
  greeting: z.string(),
  requireIdentity: z.boolean(),
});

export const ZWidgetHistory = z.object({
  conversationId: z.string().nullable(),
  data: z.array(ZWidgetMessage),
});
export type WidgetHistory = z.infer<typeof ZWidgetHistory>;

/** A survey waiting for the visitor's answer in the chat (NPS, CSAT or CES), in the customer's language. */
export const ZWidgetSurvey = z
  .object({
    sendId: z.string(),
    type: z.enum(['nps', 'csat', 'ces']),
    title: z.string(),
    question: z.string(),
    commentPrompt: z.string(),
    thanks: z.string(),
    min: z.number().int(),
    max: z.number().int(),
    low: z.string().meta({ description: 'the label of the lowest rating' }),
    high: z.string(),
    send: z.string().meta({ description: "the submit button's text" }),
    lang: z.string(),
    expiresAt: ZIsoTime,
  })
  .meta({ id: 'WidgetSurvey' });
export type WidgetSurvey = z.infer<typeof ZWidgetSurvey>;

export const ZWidgetSurveys = z.object({ data: z.array(ZWidgetSurvey) });
export type WidgetSurveys = z.infer<typeof ZWidgetSurveys>;

export const ZWidgetSurveyParam = z.object({ sendId: id('srs') });
export const ZWidgetSurveyAnswer = z.strictObject({
  score: z.number().int().min(0).max(10),
  comment: z.string().max(WIDGET_MESSAGE_MAX).optional(),
});
export type WidgetSurveyAnswer = z.infer<typeof ZWidgetSurveyAnswer>;
export const ZWidgetSurveyAnswered = z.object({
  sendId: z.string(),
  responseId: z.string(),
  score: z.number().int(),
  comment: z.string().nullable(),
  thanks: z.string(),
});
export type WidgetSurveyAnswered = z.infer<typeof ZWidgetSurveyAnswered>;

export const ZWidgetBooted = z
  .object({
    visitor: z.object({ id: z.string(), token: z.string(), userId: z.string().nullable(), hasEmail: z.boolean() }),
    inbox: ZWidgetInbox,
    agentsOnline: z.boolean(),
    history: ZWidgetHistory,
    surveys: z.array(ZWidgetSurvey).meta({ description: 'surveys waiting for an answer in the chat' }),
  })
  .meta({ id: 'WidgetBooted' });
export type WidgetBooted = z.infer<typeof ZWidgetBooted>;

export const ZWidgetSend = z.strictObject({
  body: z.string().trim().min(1, 'a message cannot be empty').max(WIDGET_MESSAGE_MAX),
});

export const ZWidgetSent = z.object({
  conversationId: z.string(),
  message: ZWidgetMessage,
  agentsOnline: z.boolean(),
  hasEmail: z.boolean(),
});
export type WidgetSent = z.infer<typeof ZWidgetSent>;

export const ZWidgetEmail = z.strictObject({ email: z.email().max(254) });
export const ZWidgetEmailSaved = z.object({ hasEmail: z.literal(true) });

export const ZWidgetHistoryQuery = ZWidgetQuery.extend({
  after: id('msg').optional(),
});

export const ZWidgetSocketQuery = ZWidgetQuery.extend({ token: z.string().max(200) });

/** What the visitor's socket sends: acknowledgements of pushed messages, keep-alives. */
export const ZWidgetClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('seen'), messageIds: z.array(id('msg')).min(1).max(20) }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type WidgetClientMessage = z.infer<typeof ZWidgetClientMessage>;

export type WidgetServerMessage =
  | { type: 'hello'; agentsOnline: boolean }
  | { type: 'message'; conversationId: string; message: WidgetMessage }
  | { type: 'survey'; survey: WidgetSurvey }
  | { type: 'error'; detail: string };
