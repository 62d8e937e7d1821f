// Surveys (issue 12): NPS, CSAT, CES and custom surveys, their triggers and throttling, the
// responses on the timeline, and the results with their 95 % intervals.
import { z } from 'zod';
import { ZIsoTime, ZPageQuery } from './common.js';
import { ZCategory, ZChannel } from './conversations.js';

export const SURVEY_TYPES = ['nps', 'csat', 'ces', 'custom'] as const;
export const ZSurveyType = z.enum(SURVEY_TYPES);
export type SurveyType = z.infer<typeof ZSurveyType>;

/** The rating scale of each fixed type (custom surveys declare theirs per question). */
export const SURVEY_SCALES: Record<Exclude<SurveyType, 'custom'>, { min: number; max: number }> = {
  nps: { min: 0, max: 10 },
  csat: { min: 1, max: 5 },
  ces: { min: 1, max: 7 },
};

export const MAX_SURVEYS = 100;

export const SURVEY_DELIVERIES = ['auto', 'email', 'chat'] as const;
export const ZSurveyDelivery = z.enum(SURVEY_DELIVERIES).meta({
  description:
    "how a send reaches the customer: 'email' (a signed link), 'chat' (inline in the chat widget, nps/csat/ces only), or 'auto' (the channel the trigger's conversation came on: chat for chat conversations, email otherwise)",
});
export type SurveyDelivery = z.infer<typeof ZSurveyDelivery>;
export const MAX_QUESTIONS = 20;
export const MAX_OPTIONS = 20;
export const MAX_MANUAL_SEND = 500;
export const MAX_COMMENT = 5000;
/** The longest trigger delay: 365 days. */
export const MAX_DELAY_SECONDS = 365 * 86_400;

const DURATION = /^P(?:(\d{1,4})W)?(?:(\d{1,4})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,8})M)?(?:(\d{1,9})S)?)?$/;

/** Seconds of an ISO 8601 duration of weeks, days, hours, minutes and seconds (P7D, PT36H, PT90S); null when it is not one. */
export function durationSeconds(value: string): number | null {
  const m = DURATION.exec(value);
  if (!m || value === 'P' || value.endsWith('T')) return null;
  const [w, d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  return (((w * 7 + d) * 24 + h) * 60 + min) * 60 + s;
}

export const ZDuration = z
  .string()
  .max(40)
  .refine((v) => durationSeconds(v) !== null, 'must be an ISO 8601 duration of weeks, days, hours, minutes or seconds (P7D, PT36H, PT90S)')
  .refine((v) => (durationSeconds(v) ?? 0) <= MAX_DELAY_SECONDS, 'at most 365 days')
  .meta({ description: 'ISO 8601 duration (W, D, H, M, S; no years or months, whose length varies)', example: 'P7D' });

const ZLang = z
  .string()
  .regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$/, 'a language tag such as fr or pt-BR')
  .max(16);
const text = (max: number) => z.string().trim().min(1).max(max);

export const ZSurveyText = z.strictObject({
  title: text(200).optional(),
  question: text(500).optional(),
  commentPrompt: text(300).optional(),
  thanks: text(500).optional(),
  /** Question id → its text and (for choices) its option labels in this language. */
  questions: z.record(z.string().max(40), z.strictObject({ text: text(500).optional(), options: z.array(text(200)).max(MAX_OPTIONS).optional() })).optional(),
});

export const ZSurveyQuestion = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lower-case letters, digits, _ and -'),
    type: z.enum(['rating', 'single', 'multiple', 'text']),
    text: text(500),
    required: z.boolean().default(false),
    /** rating: the scale (default 1–5). */
    min: z.number().int().min(0).max(10).optional(),
    max: z.number().int().min(1).max(10).optional(),
    /** single and multiple choice: the options. */
    options: z.array(text(200)).min(2).max(MAX_OPTIONS).optional(),
  })
  .refine((q) => (q.type === 'single' || q.type === 'multiple' ? q.options !== undefined : q.options === undefined), {
    message: 'choice questions need options; other questions take none',
    path: ['options'],
  })
  .refine((q) => q.type === 'rating' || (q.min === undefined && q.max === undefined), { message: 'only rating questions take min and max', path: ['min'] })
  .refine((q) => (q.min ?? 1) < (q.max ?? 5), { message: 'min must be below max', path: ['max'] });
export type SurveyQuestion = z.output<typeof ZSurveyQuestion>;

const ids = z.array(z.string().min(1).max(64)).max(50);

export const ZSurveyTrigger = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('conversation_resolved'),
    channels: z.array(ZChannel).max(20).optional(),
    teamIds: ids.optional(),
    categories: z.array(ZCategory).max(20).optional(),
    delay: ZDuration.optional(),
  }),
  z
    .strictObject({
      type: z.literal('interaction'),
      event: text(200).optional().meta({ description: 'the interaction name, e.g. Order Delivered' }),
      touchpointId: z.string().min(1).max(64).optional(),
      delay: ZDuration.optional(),
    })
    .refine((t) => t.event !== undefined || t.touchpointId !== undefined, { message: 'name an event or a touchpointId', path: ['event'] }),
  z.strictObject({ type: z.literal('manual') }),
]);
export type SurveyTrigger = z.output<typeof ZSurveyTrigger>;

const surveyFields = {
  name: text(200),
  type: ZSurveyType,
  title: text(200),
  question: text(500).optional().meta({ description: 'the rating question (nps, csat, ces); a default in English when left out' }),
  commentPrompt: text(300).optional(),
  thanks: text(500).optional(),
  questions: z.array(ZSurveyQuestion).min(1).max(MAX_QUESTIONS).optional().meta({ description: 'custom surveys only' }),
  translations: z
    .record(ZLang, ZSurveyText)
    .refine((t) => Object.keys(t).length <= 30, 'at most 30 languages')
    .optional(),
  trigger: ZSurveyTrigger,
  throttleDays: z.number().int().min(0).max(3650).optional().meta({ description: 'a customer is asked at most once per window, across surveys; default 90' }),
  linkDays: z
    .number()
    .int()
    .min(1)
    .max(365)
    .optional()
    .meta({ description: 'how long an emailed link (or a survey waiting in the chat) stays valid; default 30' }),
  delivery: ZSurveyDelivery.optional().meta({ description: "email, chat or auto (the trigger conversation's channel); default auto" }),
  followUp: z.boolean().optional().meta({ description: 'a detractor (NPS ≤ 6) or CSAT ≤ 2 opens a follow-up case; default on' }),
  followUpTeamId: z
    .string()
    .min(1)
    .max(64)
    .nullable()
    .optional()
    .meta({ description: "the team that owns follow-ups when the trigger's conversation had none" }),
  recoverySurveyId: z.string().min(1).max(64).nullable().optional(),
  enabled: z.boolean().optional(),
};

const checkCustom = <T extends { type?: SurveyType | undefined; questions?: unknown[] | undefined }>(s: T) =>
  s.type === undefined || (s.type === 'custom') === (s.questions !== undefined);

export const ZCreateSurvey = z
  .strictObject(surveyFields)
  .refine(checkCustom, { message: 'custom surveys need questions; other types take none', path: ['questions'] })
  .refine((s) => !(s.type === 'custom' && s.delivery === 'chat'), { message: "custom surveys go by email ('email' or 'auto')", path: ['delivery'] });
export type CreateSurvey = z.output<typeof ZCreateSurvey>;

export const ZUpdateSurvey = z
  .strictObject({ ...surveyFields, type: ZSurveyType.optional(), name: text(200).optional(), title: text(200).optional(), trigger: ZSurveyTrigger.optional() })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type UpdateSurvey = z.output<typeof ZUpdateSurvey>;

export const ZSurvey = z
  .object({
    id: z.string(),
    name: z.string(),
    type: ZSurveyType,
    title: z.string(),
    question: z.string(),
    commentPrompt: z.string(),
    thanks: z.string(),
    questions: z.array(ZSurveyQuestion).nullable(),
    translations: z.record(z.string(), ZSurveyText),
    trigger: ZSurveyTrigger,
    throttleDays: z.number().int(),
    linkDays: z.number().int(),
    delivery: ZSurveyDelivery,
    followUp: z.boolean(),
    followUpTeamId: z.string().nullable(),
    recoverySurveyId: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'Survey' });
export type Survey = z.infer<typeof ZSurvey>;

export const ZSendSurvey = z.strictObject({
  customerIds: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(MAX_MANUAL_SEND)
    .refine((a) => new Set(a).size === a.length, 'customer ids must be unique'),
});
export const ZSendSurveyResult = z.object({
  results: z.array(z.object({ id: z.string(), ok: z.boolean(), sendId: z.string().optional(), error: z.string().optional() })),
});

export const ZSurveyResponse = z
  .object({
    id: z.string(),
    surveyId: z.string(),
    sendId: z.string(),
    customerId: z.string(),
    type: ZSurveyType,
    score: z.number().nullable(),
    comment: z.string().nullable(),
    answers: z.record(z.string(), z.union([z.number(), z.string(), z.array(z.string())])),
    sentiment: z.object({ score: z.number(), label: z.string() }).nullable(),
    language: z.string().nullable(),
    conversationId: z.string().nullable(),
    teamId: z.string().nullable(),
    agentId: z.string().nullable(),
    channel: z.string().nullable(),
    touchpointId: z.string().nullable(),
    recoveryOf: z.string().nullable().meta({ description: 'the follow-up case this recovery survey came after' }),
    delivery: z.enum(['email', 'chat']).nullable().meta({ description: 'how the survey reached the customer' }),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: 'SurveyResponse' });
export type SurveyResponse = z.infer<typeof ZSurveyResponse>;

export const ZSurveyResponsesQuery = ZPageQuery.extend({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const RESULT_DIMENSIONS = ['team', 'agent', 'channel', 'touchpoint', 'stage', 'department', 'period'] as const;
export const ZSurveyResultsQuery = z.strictObject({
  surveyId: z.string().min(1).max(64),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  by: z.enum(RESULT_DIMENSIONS).optional(),
  period: z.enum(['day', 'week', 'month']).default('week').meta({ description: 'the bucket when by=period' }),
  comments: z.coerce.number().int().min(0).max(100).default(10).meta({ description: 'latest verbatim comments per group' }),
});

const ZInterval = z.object({ low: z.number(), high: z.number() });
export const ZSurveyFigures = z.object({
  responses: z.number().int(),
  sent: z.number().int(),
  responseRate: z.number().nullable(),
  nps: z.object({ score: z.number(), promoters: z.number().int(), passives: z.number().int(), detractors: z.number().int(), ci95: ZInterval }).nullable(),
  csat: z.object({ percent: z.number(), satisfied: z.number().int(), ci95: ZInterval }).nullable(),
  ces: z.object({ mean: z.number(), sd: z.number(), ci95: ZInterval }).nullable(),
  distribution: z
    .array(z.object({ score: z.number(), count: z.number().int() }))
    .meta({ description: 'answers per score, lowest first (every point of a fixed scale, zeros included)' }),
  loop: z.object({
    followUps: z.number().int(),
    open: z.number().int(),
    resolved: z.number().int(),
    recovered: z.number().int(),
    notRecovered: z.number().int(),
  }),
  comments: z.array(z.object({ responseId: z.string(), score: z.number().nullable(), comment: z.string(), sentiment: z.number().nullable(), at: ZIsoTime })),
});
export type SurveyFigures = z.infer<typeof ZSurveyFigures>;
export const ZSurveyResults = z.object({
  surveyId: z.string(),
  type: ZSurveyType,
  from: ZIsoTime.nullable(),
  to: ZIsoTime.nullable(),
  overall: ZSurveyFigures,
  by: z.enum(RESULT_DIMENSIONS).nullable(),
  groups: z.array(ZSurveyFigures.extend({ key: z.string().nullable() })),
});
export type SurveyResults = z.infer<typeof ZSurveyResults>;
