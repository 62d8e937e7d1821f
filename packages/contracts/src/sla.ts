// SLA policies (issue 13): business-hours calendars, ordered policies whose first match sets a
// conversation's first-response, next-response and resolution targets, the per-conversation
// state the desk shows, and attainment figures. docs/sla.md is the contract.
import { z } from 'zod';
import { ZIsoTime } from './common.js';
import { ZCategory, ZChannel, ZPriority } from './conversations.js';
import { ZSlaMetric } from './sla-state.js';
import { ZDuration } from './surveys.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const MAX_CALENDAR_INTERVALS = 50;
export const MAX_HOLIDAYS = 366;
export const MAX_CALENDARS = 50;
export const MAX_POLICIES = 100;
export const MAX_TRAIT_CONDITIONS = 10;

/** Whether the runtime knows this IANA time zone (Node and browsers alike). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const clockTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time of day HH:MM (24:00 for midnight at the end of a day)');
const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

export const ZSlaInterval = z
  .strictObject({ day: z.enum(WEEKDAYS), from: clockTime, to: clockTime })
  .refine((i) => minutesOf(i.from) < minutesOf(i.to), { message: '`from` must come before `to`', path: ['to'] })
  .meta({ id: 'SlaInterval', description: 'open hours on one weekday, local time of the calendar' });
export type SlaInterval = z.infer<typeof ZSlaInterval>;

const ZTimeZone = z.string().min(1).max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Berlin').meta({ example: 'Europe/Berlin' });
const ZHoliday = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar date');

const calendarFields = {
  name: z.string().trim().min(1).max(200),
  timeZone: ZTimeZone,
  alwaysOpen: z.boolean().meta({ description: '24/7: business time is wall-clock time (hours and holidays must be empty)' }),
  hours: z.array(ZSlaInterval).max(MAX_CALENDAR_INTERVALS),
  holidays: z.array(ZHoliday).max(MAX_HOLIDAYS).meta({ description: 'local dates on which the calendar is closed all day' }),
  teamId: z.string().min(1).max(64).nullable().meta({ description: 'the team whose conversations use this calendar (one calendar per team); null for none' }),
  isDefault: z.boolean().meta({ description: "the workspace's default calendar (at most one)" }),
};

const calendarRules = <T extends z.ZodType<{ alwaysOpen?: boolean | undefined; hours?: SlaInterval[] | undefined; holidays?: string[] | undefined }>>(s: T) =>
  s
    .refine((c) => !c.alwaysOpen || ((c.hours?.length ?? 0) === 0 && (c.holidays?.length ?? 0) === 0), {
      message: 'a 24/7 calendar has no hours or holidays',
      path: ['hours'],
    })
    .refine((c) => c.alwaysOpen !== false || c.hours === undefined || c.hours.length > 0, { message: 'at least one interval of open hours', path: ['hours'] })
    .refine((c) => !c.hours || !overlaps(c.hours), { message: 'intervals of one day overlap', path: ['hours'] });

function overlaps(hours: SlaInterval[]): boolean {
  for (const day of WEEKDAYS) {
    const list = hours
      .filter((h) => h.day === day)
      .map((h) => [minutesOf(h.from), minutesOf(h.to)] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < list.length; i++) if ((list[i] as readonly [number, number])[0] < (list[i - 1] as readonly [number, number])[1]) return true;
  }
  return false;
}

export const ZCreateSlaCalendar = calendarRules(
  z.strictObject({
    ...calendarFields,
    alwaysOpen: calendarFields.alwaysOpen.default(false),
    hours: calendarFields.hours.default([]),
    holidays: calendarFields.holidays.default([]),
    teamId: calendarFields.teamId.default(null),
    isDefault: calendarFields.isDefault.default(false),
  }),
);
export type CreateSlaCalendar = z.input<typeof ZCreateSlaCalendar>;

export const ZUpdateSlaCalendar = calendarRules(z.strictObject(calendarFields).partial());
export type UpdateSlaCalendar = z.input<typeof ZUpdateSlaCalendar>;

export const ZSlaCalendar = z.object({ id: z.string(), ...calendarFields, createdAt: ZIsoTime, updatedAt: ZIsoTime }).meta({ id: 'SlaCalendar' });
export type SlaCalendar = z.infer<typeof ZSlaCalendar>;

const ZTraitValue = z.union([z.string().max(200), z.number(), z.boolean()]);
export const ZSlaConditions = z
  .strictObject({
    priority: z.array(ZPriority).min(1).max(4).optional(),
    category: z.array(ZCategory).min(1).max(7).optional(),
    channel: z.array(ZChannel).min(1).max(9).optional(),
    teamId: z.array(z.string().min(1).max(64)).min(1).max(20).optional().meta({ description: 'team ids; "none" matches a conversation without a team' }),
    stage: z.array(z.string().min(1).max(64)).min(1).max(20).optional().meta({ description: "the customer's journey stage" }),
    traits: z
      .array(z.strictObject({ key: z.string().min(1).max(100), in: z.array(ZTraitValue).min(1).max(20) }))
      .max(MAX_TRAIT_CONDITIONS)
      .optional()
      .meta({ description: "customer traits, e.g. [{key:'tier', in:['gold']}]" }),
  })
  .meta({ id: 'SlaConditions', description: 'every given field must match (AND); a field matches when the value is one of its list (OR)' });
export type SlaConditions = z.infer<typeof ZSlaConditions>;

export const ZSlaTargets = z
  .strictObject({ firstResponse: ZDuration.nullable(), nextResponse: ZDuration.nullable(), resolution: ZDuration.nullable() })
  .partial()
  .refine((t) => t.firstResponse || t.nextResponse || t.resolution, 'at least one target')
  .meta({ id: 'SlaTargets', description: 'ISO 8601 durations of business time (P1D = 24 business hours, PT30M, PT3S); null or absent for no target' });
export type SlaTargets = z.infer<typeof ZSlaTargets>;

export const ZSlaWarning = z
  .union([
    z.strictObject({ percent: z.number().int().min(1).max(99).meta({ description: 'warn once this share of the target has elapsed' }) }),
    z.strictObject({ before: ZDuration.meta({ description: 'warn this long (business time) before the due time' }) }),
  ])
  .meta({ id: 'SlaWarning' });
export type SlaWarning = z.infer<typeof ZSlaWarning>;

const policyFields = {
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean(),
  conditions: ZSlaConditions,
  targets: ZSlaTargets,
  calendarId: z.string().min(1).max(64).nullable().meta({ description: "null: the team's calendar, else the workspace default, else 24/7" }),
  warning: ZSlaWarning.nullable(),
};

export const ZCreateSlaPolicy = z.strictObject({
  ...policyFields,
  enabled: policyFields.enabled.default(true),
  conditions: policyFields.conditions.default({}),
  calendarId: policyFields.calendarId.default(null),
  warning: policyFields.warning.default(null),
});
export type CreateSlaPolicy = z.input<typeof ZCreateSlaPolicy>;
export const ZUpdateSlaPolicy = z.strictObject(policyFields).partial();
export type UpdateSlaPolicy = z.input<typeof ZUpdateSlaPolicy>;

export const ZSlaPolicy = z
  .object({ id: z.string(), position: z.number().int(), ...policyFields, createdAt: ZIsoTime, updatedAt: ZIsoTime })
  .meta({ id: 'SlaPolicy' });
export type SlaPolicy = z.infer<typeof ZSlaPolicy>;

export const ZReorderSlaPolicies = z.strictObject({ ids: z.array(z.string().max(64)).min(1).max(MAX_POLICIES) });

export const ZSlaAttainmentQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  by: z.enum(['team', 'agent', 'channel', 'period']).default('team'),
  metric: ZSlaMetric.optional(),
  period: z.enum(['day', 'week']).default('day').meta({ description: 'with by=period: UTC days, or ISO weeks starting Monday' }),
});

export const ZSlaAttainmentGroup = z.object({
  key: z.string().nullable().meta({ description: 'team id, agent (user) id, channel, or the period start date; null: none' }),
  total: z.number().int(),
  met: z.number().int(),
  breached: z.number().int(),
  attainment: z.number().nullable().meta({ description: 'met / total in %, one decimal; null when total is 0' }),
});
export const ZSlaAttainment = z
  .object({ from: ZIsoTime, to: ZIsoTime, by: z.string(), metric: ZSlaMetric.nullable(), overall: ZSlaAttainmentGroup, data: z.array(ZSlaAttainmentGroup) })
  .meta({ id: 'SlaAttainment' });
export type SlaAttainment = z.infer<typeof ZSlaAttainment>;
