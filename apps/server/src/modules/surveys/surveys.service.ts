// Surveys (issue 12): definitions (NPS, CSAT, CES, custom), triggers as a consumer of the
// domain-events log that schedule sends as jobs, the send job that re-checks throttling and open
// cases before it mails a signed link, the public page's answers (one response per send, on the
// timeline, its comment scored), and the closed loop's follow-up cases and recovery surveys.
// docs/surveys.md is the contract.
import { randomBytes } from 'node:crypto';
import {
  MAX_SURVEYS,
  SURVEY_SCALES,
  durationSeconds,
  type CreateSurvey,
  type Page,
  type Survey,
  type SurveyQuestion,
  type SurveyResponse,
  type SurveyDelivery,
  type SurveyResults,
  type SurveyTrigger,
  type UpdateSurvey,
  type WidgetSurvey,
} from '@rapport/contracts';
import { z } from 'zod';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { Tx } from '../../platform/db/database.js';
import type { SurveyResponseRow, SurveyRow, SurveySendRow } from '../../platform/db/schema.js';
import type { Transactions } from '../../platform/db/transactions.js';
import { conflict, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs.js';
import { parseJsonObject } from '../../platform/json.js';
import type { LogEntry, Logs } from '../../platform/logs.js';
import { FIREHOSE } from '../../platform/logs.js';
import type { Mailer } from '../../platform/mailer.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { CustomersService } from '../customers/customers.service.js';
import { analyse } from '../feelings/analyser/analyser.js';
import type { InteractionsService } from '../interactions/interactions.service.js';
import type { WorkspacesService } from '../workspaces/workspaces.service.js';
import { readLink, signLink, verifyLink } from './links.js';
import { DEFAULT_COMMENT_PROMPT, DEFAULT_THANKS, defaultQuestion, pickLanguage, surveyEmail, textsOf } from './page.js';
import { csvRow, figuresOf, groupedFigures, isUnhappy, type Dimension } from './results.js';
import type { SurveysStore } from './surveys.store.js';

export const SURVEYS_CONSUMER = 'surveys.triggers';
export const SURVEY_SEND_JOB = 'surveys.send';
export const SURVEY_FOLLOW_UP_JOB = 'surveys.follow_up';
export const DEFAULT_THROTTLE_DAYS = 90;
export const DEFAULT_LINK_DAYS = 30;
/** After an unhappy rating, the follow-up case waits this long for the "why" (a one-click rating comes first). */
export const FOLLOW_UP_GRACE_MS = 10 * 60_000;
/** While the customer has an open case a send waits a day at a time, up to this long, then is skipped. */
export const OPEN_CASE_RETRY_MS = 86_400_000;
export const OPEN_CASE_MAX_WAIT_MS = 14 * 86_400_000;
const DAY = 86_400_000;
/** Responses the results and the CSV export read at most (a larger survey is read by period). */
export const RESULTS_LIMIT = 100_000;

const ZSendPayload = z.object({ sendId: z.string() });
const ZFollowUpPayload = z.object({ responseId: z.string() });

type Content = Pick<Survey, 'title' | 'question' | 'commentPrompt' | 'thanks' | 'questions' | 'translations'>;

export type SurveysDeps = {
  store: SurveysStore;
  transactions: Transactions;
  clock: Clock;
  audit: Audit;
  jobs: Jobs;
  logs: Logs;
  mailer: Mailer;
  customers: Pick<CustomersService, 'resolve'>;
  conversations: Pick<ConversationsService, 'hasOpenConversation' | 'contextOf' | 'openFollowUp'>;
  interactions: Pick<InteractionsService, 'append' | 'setAnswer'>;
  workspaces: Pick<WorkspacesService, 'requireTeam' | 'adminContacts'>;
  /** The chat widget: whether a customer has a widget visitor, and a push of a survey to their open widgets. */
  chat: {
    hasVisitor(workspaceId: string, customerId: string): Promise<boolean>;
    push(workspaceId: string, customerId: string, survey: WidgetSurvey): Promise<void>;
  };
  publicUrl: string;
};

/** Surveys a visitor sees waiting in the chat at once, at most. */
export const CHAT_PENDING_LIMIT = 5;

function toSurvey(r: SurveyRow): Survey {
  const content = parseJsonObject(r.content) as Partial<Content>;
  const type = r.type as Survey['type'];
  return {
    id: r.id,
    name: r.name,
    type,
    title: content.title ?? r.name,
    question: content.question ?? defaultQuestion(type),
    commentPrompt: content.commentPrompt ?? DEFAULT_COMMENT_PROMPT,
    thanks: content.thanks ?? DEFAULT_THANKS,
    questions: content.questions ?? null,
    translations: content.translations ?? {},
    trigger: JSON.parse(r.trigger) as SurveyTrigger,
    throttleDays: Number(r.throttle_days),
    linkDays: Number(r.link_days),
    delivery: (r.delivery || 'auto') as SurveyDelivery,
    followUp: Number(r.follow_up) === 1,
    followUpTeamId: r.follow_up_team_id,
    recoverySurveyId: r.recovery_survey_id,
    enabled: Number(r.enabled) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toResponse(r: SurveyResponseRow, type: Survey['type']): SurveyResponse {
  return {
    id: r.id,
    surveyId: r.survey_id,
    sendId: r.send_id,
    customerId: r.customer_id,
    type,
    score: r.score === null ? null : Number(r.score),
    comment: r.comment,
    answers: parseJsonObject(r.answers) as SurveyResponse['answers'],
    sentiment: r.sentiment_score === null ? null : { score: Number(r.sentiment_score), label: r.sentiment_label ?? 'neutral' },
    language: r.language,
    conversationId: r.conversation_id,
    teamId: r.team_id,
    agentId: r.agent_id,
    channel: r.channel,
    touchpointId: r.touchpoint_id,
    recoveryOf: r.recovery_of,
    delivery: r.delivery === 'chat' || r.delivery === 'email' ? r.delivery : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** What a page visitor submits: a rating, a comment, or a custom survey's answers (raw form fields). */
export type AnswerInput = { score?: string | undefined; comment?: string | undefined; fields?: Record<string, string | string[]> };

export type LinkResolution =
  | { ok: true; survey: Survey; send: SurveySendRow; response: SurveyResponseRow | null; traits: Record<string, unknown> }
  | { ok: false; reason: 'invalid' | 'expired' };

/** A custom survey's answers from form fields; throws INVALID naming the field. */
function parseCustomAnswers(questions: SurveyQuestion[], fields: Record<string, string | string[]>): Record<string, number | string | string[]> {
  const out: Record<string, number | string | string[]> = {};
  for (const q of questions) {
    const raw = fields[`q_${q.id}`];
    const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    const first = values[0]?.trim() ?? '';
    if (q.type === 'rating') {
      if (first === '') continue;
      const n = Number(first);
      if (!Number.isInteger(n) || n < (q.min ?? 1) || n > (q.max ?? 5))
        throw invalid(`The answer to "${q.text}" is out of range`, [{ path: q.id, message: 'out of range' }]);
      out[q.id] = n;
    } else if (q.type === 'text') {
      if (first === '') continue;
      out[q.id] = first.slice(0, 5000);
    } else {
      const n = q.options?.length ?? 0;
      const chosen = [...new Set(values.filter((v) => /^\d{1,2}$/.test(v) && Number(v) < n))];
      if (chosen.length !== values.length) throw invalid(`An option of "${q.text}" is unknown`, [{ path: q.id, message: 'unknown option' }]);
      if (chosen.length === 0) continue;
      if (q.type === 'single' && chosen.length > 1) throw invalid(`"${q.text}" takes one answer`, [{ path: q.id, message: 'one answer' }]);
      out[q.id] = q.type === 'single' ? (chosen[0] as string) : chosen;
    }
  }
  return out;
}

/** A fixed-type survey as the chat widget shows it, in the customer's language. */
function chatCard(survey: Survey, sendId: string, lang: string | null, expiresAt: string): WidgetSurvey {
  const type = survey.type === 'custom' ? 'nps' : survey.type;
  const t = textsOf(survey, lang);
  return {
    sendId,
    type,
    title: t.title,
    question: t.question,
    commentPrompt: t.commentPrompt,
    thanks: t.thanks,
    ...SURVEY_SCALES[type],
    low: t.chrome.low[type],
    high: t.chrome.high[type],
    send: t.chrome.send,
    lang: t.lang,
    expiresAt,
  };
}

export function createSurveysService(deps: SurveysDeps) {
  const { store, transactions, clock, audit, jobs } = deps;
  const { autocommit } = transactions;
  const base = deps.publicUrl.replace(/\/$/, '');

  async function requireSurvey(ex: Tx | typeof autocommit, workspaceId: string, id: string) {
    const row = await store.get(ex, workspaceId, id);
    if (!row) throw notFound('Survey');
    return row;
  }

  /** References a survey names must be the workspace's own: its recovery survey and follow-up team. */
  async function checkReferences(
    workspaceId: string,
    selfId: string | null,
    input: { recoverySurveyId?: string | null | undefined; followUpTeamId?: string | null | undefined },
  ) {
    if (input.recoverySurveyId) {
      if (input.recoverySurveyId === selfId) throw invalid('A survey cannot be its own recovery survey', [{ path: 'recoverySurveyId', message: 'itself' }]);
      if (!(await store.get(autocommit, workspaceId, input.recoverySurveyId))) throw notFound('Recovery survey');
    }
    if (input.followUpTeamId) await deps.workspaces.requireTeam(workspaceId, input.followUpTeamId);
  }

  function contentOf(input: Partial<Content> & { type: Survey['type'] }): string {
    const { title, question, commentPrompt, thanks, questions, translations } = input;
    return JSON.stringify({
      title,
      question,
      commentPrompt,
      thanks,
      questions: input.type === 'custom' ? questions : undefined,
      translations: translations ?? {},
    });
  }

  async function secretOf(workspaceId: string): Promise<string> {
    const found = await store.secret(autocommit, workspaceId);
    if (found) return found.secret;
    await store.insertSecret(autocommit, workspaceId, randomBytes(32).toString('base64url'), clock.nowIso());
    const made = await store.secret(autocommit, workspaceId);
    if (!made) throw new Error('the survey secret was not stored');
    return made.secret;
  }

  type Context = Pick<SurveySendRow, 'conversation_id' | 'team_id' | 'agent_id' | 'channel' | 'touchpoint_id' | 'stage' | 'recovery_of'>;
  const noContext: Context = { conversation_id: null, team_id: null, agent_id: null, channel: null, touchpoint_id: null, stage: null, recovery_of: null };

  /** Schedules one send (none when this survey already went to this customer for this trigger). */
  async function schedule(tx: Tx, workspaceId: string, surveyId: string, customerId: string, triggerKey: string, delayMs: number, ctx: Context) {
    const now = clock.nowIso();
    const row: SurveySendRow = {
      workspace_id: workspaceId,
      id: newId('surveySend'),
      survey_id: surveyId,
      customer_id: customerId,
      trigger_key: triggerKey.slice(0, 200),
      status: 'scheduled',
      skip_reason: null,
      run_at: new Date(clock.nowMs() + delayMs).toISOString(),
      sent_at: null,
      expires_at: null,
      delivery: null,
      ...ctx,
      created_at: now,
    };
    if (!(await store.insertSend(tx, row))) return null;
    await sendJob.enqueue(tx, { workspaceId, payload: { sendId: row.id }, idempotencyKey: `survey-send:${row.id}`, runAt: row.run_at, maxAttempts: 5 });
    return row.id;
  }

  const delayOf = (t: SurveyTrigger) => ('delay' in t && t.delay ? (durationSeconds(t.delay) ?? 0) * 1000 : 0);

  const skip = (workspaceId: string, id: string, reason: string) => store.updateSend(autocommit, workspaceId, id, { status: 'skipped', skip_reason: reason });

  /** Was the answer that opened this follow-up case given in the chat? */
  async function answeredInChat(workspaceId: string, followUpId: string): Promise<boolean> {
    const followUp = await store.getFollowUp(autocommit, workspaceId, followUpId);
    const response = followUp ? await store.getResponse(autocommit, workspaceId, followUp.response_id) : undefined;
    return response?.delivery === 'chat';
  }

  const sendJob = jobs.define(SURVEY_SEND_JOB, ZSendPayload, async (job) => {
    const { workspaceId } = job;
    const send = await store.getSend(autocommit, workspaceId, job.payload.sendId);
    if (!send || send.status !== 'scheduled' || send.run_at > clock.nowIso()) return;
    const row = await store.get(autocommit, workspaceId, send.survey_id);
    if (!row || Number(row.enabled) !== 1) return void (await skip(workspaceId, send.id, 'survey_disabled'));
    const survey = toSurvey(row);
    const customer = await deps.customers.resolve(autocommit, workspaceId, send.customer_id);
    if (!customer) return void (await skip(workspaceId, send.id, 'customer_gone'));
    const ctx: Partial<SurveySendRow> = {};
    if (send.conversation_id) {
      const c = await deps.conversations.contextOf(workspaceId, send.conversation_id);
      if (c)
        Object.assign(ctx, {
          team_id: send.team_id ?? c.teamId,
          agent_id: send.agent_id ?? c.assigneeId,
          channel: send.channel ?? c.channel,
          touchpoint_id: send.touchpoint_id ?? c.touchpointId,
        });
    }
    // 'auto' asks on the channel the conversation came on (a recovery survey: the way the unhappy
    // answer came); the chat needs a widget visitor of the customer's.
    const channel = ctx.channel ?? send.channel;
    const isAutoChat =
      survey.delivery === 'auto' && (channel === 'chat' || (send.recovery_of !== null && (await answeredInChat(workspaceId, send.recovery_of))));
    const wantsChat = survey.type !== 'custom' && (survey.delivery === 'chat' || isAutoChat);
    const delivery = wantsChat && (await deps.chat.hasVisitor(workspaceId, customer.id)) ? 'chat' : 'email';
    if (delivery === 'email' && survey.delivery === 'chat') return void (await skip(workspaceId, send.id, 'no_chat_visitor'));
    if (delivery === 'email' && !customer.email) return void (await skip(workspaceId, send.id, 'no_email'));
    // Never while the customer has a case open: wait a day at a time, then give up.
    if (await deps.conversations.hasOpenConversation(workspaceId, customer.id)) {
      if (clock.nowMs() - Date.parse(send.created_at) >= OPEN_CASE_MAX_WAIT_MS) return void (await skip(workspaceId, send.id, 'open_conversation'));
      const runAt = new Date(clock.nowMs() + OPEN_CASE_RETRY_MS).toISOString();
      await transactions.run(async (tx) => {
        await store.updateSend(tx, workspaceId, send.id, { run_at: runAt });
        await sendJob.enqueue(tx, { workspaceId, payload: { sendId: send.id }, idempotencyKey: `survey-send:${send.id}:${runAt}`, runAt, maxAttempts: 5 });
      });
      return;
    }
    // At most once per window across surveys; a recovery survey after a follow-up case is the loop's own question.
    if (!send.recovery_of && survey.throttleDays > 0) {
      const since = new Date(clock.nowMs() - survey.throttleDays * DAY).toISOString();
      if (await store.lastSentSince(autocommit, workspaceId, customer.id, since)) return void (await skip(workspaceId, send.id, 'throttled'));
    }
    const expiresAt = clock.nowMs() + survey.linkDays * DAY;
    const sent = {
      ...ctx,
      customer_id: customer.id,
      status: 'sent',
      delivery,
      sent_at: clock.nowIso(),
      expires_at: new Date(expiresAt).toISOString(),
    };
    const lang = pickLanguage(survey, parseJsonObject(customer.traits), undefined);
    if (delivery === 'chat') {
      // Waiting in the widget from now on (fetched on every boot and reconnect); pushed to widgets open now.
      await store.updateSend(autocommit, workspaceId, send.id, sent);
      await deps.chat.push(workspaceId, customer.id, chatCard(survey, send.id, lang, sent.expires_at));
      return;
    }
    if (!customer.email) return;
    const token = signLink(await secretOf(workspaceId), { workspaceId, surveyId: survey.id, customerId: customer.id, sendId: send.id, expiresAt });
    const { workspaceName } = await deps.workspaces.adminContacts(workspaceId);
    const mail = surveyEmail(survey, textsOf(survey, lang), `${base}/s/${token}`, workspaceName);
    await deps.mailer.send({ to: customer.email, ...mail });
    await store.updateSend(autocommit, workspaceId, send.id, sent);
  });

  const followUpJob = jobs.define(SURVEY_FOLLOW_UP_JOB, ZFollowUpPayload, async (job) => {
    const { workspaceId } = job;
    const response = await store.getResponse(autocommit, workspaceId, job.payload.responseId);
    if (!response || response.recovery_of) return;
    const row = await store.get(autocommit, workspaceId, response.survey_id);
    if (!row || Number(row.follow_up) !== 1) return;
    const survey = toSurvey(row);
    const score = response.score === null ? null : Number(response.score);
    if ((survey.type !== 'nps' && survey.type !== 'csat') || !isUnhappy(survey.type, score)) return;
    if (await store.followUpOfResponse(autocommit, workspaceId, response.id)) return;
    const wanted = response.team_id ?? survey.followUpTeamId;
    const teamId = wanted
      ? await deps.workspaces.requireTeam(workspaceId, wanted).then(
          () => wanted,
          () => null,
        )
      : null;
    const label = survey.type === 'nps' ? `NPS ${score} (detractor)` : `CSAT ${score}/5`;
    const note =
      `Survey "${survey.name}" was answered ${label} on ${response.created_at.slice(0, 10)}.\n` +
      (response.comment ? `Comment: "${response.comment}"` : 'No comment was left.') +
      (response.conversation_id ? `\nAbout conversation ${response.conversation_id}.` : '') +
      `\nClose the loop with the customer, then resolve this case${survey.recoverySurveyId ? ': a recovery survey follows.' : '.'}`;
    await transactions.run(async (tx) => {
      const conv = await deps.conversations.openFollowUp(tx, workspaceId, {
        customerId: response.customer_id,
        teamId,
        channel: 'email',
        subject: `Follow-up: ${label} on "${survey.name}"`,
        note,
        touchpointId: response.touchpoint_id,
      });
      await store.insertFollowUp(tx, {
        workspace_id: workspaceId,
        id: newId('surveyFollowUp'),
        response_id: response.id,
        survey_id: survey.id,
        customer_id: response.customer_id,
        conversation_id: conv.id,
        status: 'open',
        recovery_send_id: null,
        recovered: null,
        created_at: clock.nowIso(),
        resolved_at: null,
      });
    });
    jobs.poke();
  });

  async function onResolved(
    tx: Tx,
    e: LogEntry,
    conv: { id: string; customerId: string; channel: string; teamId: string | null; assigneeId: string | null; category: string | null },
  ) {
    const ws = e.workspace_id;
    const [followUp] = await store.followUpsOfConversations(tx, ws, [conv.id]);
    if (followUp) {
      if (followUp.status !== 'open') return;
      const original = await store.get(tx, ws, followUp.survey_id);
      const recovery = original?.recovery_survey_id ? await store.get(tx, ws, original.recovery_survey_id) : undefined;
      const sendId =
        recovery && Number(recovery.enabled) === 1
          ? await schedule(tx, ws, recovery.id, followUp.customer_id, `recovery:${followUp.id}`, delayOf(JSON.parse(recovery.trigger) as SurveyTrigger), {
              ...noContext,
              conversation_id: conv.id,
              team_id: conv.teamId,
              agent_id: conv.assigneeId,
              channel: conv.channel,
              recovery_of: followUp.id,
            })
          : null;
      await store.updateFollowUp(tx, ws, followUp.id, { status: 'resolved', resolved_at: e.created_at, recovery_send_id: sendId });
      // A follow-up case's resolution asks the recovery survey only, not the desk's usual ones.
      return;
    }
    for (const row of await store.enabledWithTrigger(tx, [ws], 'conversation_resolved')) {
      const t = JSON.parse(row.trigger) as Extract<SurveyTrigger, { type: 'conversation_resolved' }>;
      if (t.channels && !t.channels.includes(conv.channel as never)) continue;
      if (t.teamIds && (!conv.teamId || !t.teamIds.includes(conv.teamId))) continue;
      if (t.categories && (!conv.category || !t.categories.includes(conv.category as never))) continue;
      await schedule(tx, ws, row.id, conv.customerId, `conversation:${conv.id}`, delayOf(t), {
        ...noContext,
        conversation_id: conv.id,
        team_id: conv.teamId,
        agent_id: conv.assigneeId,
        channel: conv.channel,
      });
    }
  }

  // Triggers: a consumer of the domain events, just behind the writes, never on their request path.
  deps.logs.define({
    name: SURVEYS_CONSUMER,
    log: 'domain_events',
    batch: 200,
    // The ingest firehose only while some workspace has a survey it could trigger.
    types: async (ex) => ({
      only: ['conversation.status_changed', 'customer.merged', 'customer.deleted', ...((await store.anyEnabledWithTrigger(ex, 'interaction')) ? [FIREHOSE] : [])],
    }),
    async handle(tx, entries) {
      let scheduled = false;
      // One query per batch for the interaction surveys of its workspaces (interaction.created is the ingest firehose).
      const eventWorkspaces = [...new Set(entries.filter((e) => e.type === 'interaction.created').map((e) => e.workspace_id))];
      const interactionSurveys = await store.enabledWithTrigger(tx, eventWorkspaces, 'interaction');
      for (const e of entries) {
        if (e.type === 'conversation.status_changed') {
          const d = JSON.parse(e.data) as {
            to?: string;
            from?: string;
            conversation?: { id: string; customerId: string; channel: string; teamId: string | null; assigneeId: string | null; category: string | null };
          };
          if (d.to !== 'resolved' || !d.conversation) continue;
          await onResolved(tx, e, d.conversation);
          scheduled = true;
        } else if (e.type === 'interaction.created') {
          const d = JSON.parse(e.data) as {
            interaction?: {
              id: string;
              customerId: string;
              kind: string;
              name: string;
              touchpointId: string | null;
              stage: string | null;
              channel: string | null;
              conversationId: string | null;
            };
          };
          const i = d.interaction;
          if (!i || i.kind === 'survey_response' || i.kind === 'conversation' || i.kind === 'message') continue;
          for (const row of interactionSurveys) {
            if (row.workspace_id !== e.workspace_id) continue;
            const t = JSON.parse(row.trigger) as Extract<SurveyTrigger, { type: 'interaction' }>;
            if (t.event !== undefined && t.event !== i.name) continue;
            if (t.touchpointId !== undefined && t.touchpointId !== i.touchpointId) continue;
            await schedule(tx, e.workspace_id, row.id, i.customerId, `interaction:${i.id}`, delayOf(t), {
              ...noContext,
              conversation_id: i.conversationId,
              channel: i.channel,
              touchpoint_id: i.touchpointId,
              stage: i.stage,
            });
            scheduled = true;
          }
        } else if (e.type === 'customer.merged') {
          const d = JSON.parse(e.data) as { survivorId?: string; mergedId?: string };
          if (d.survivorId && d.mergedId) await store.reassignCustomer(tx, e.workspace_id, d.mergedId, d.survivorId);
        } else if (e.type === 'customer.deleted') {
          const d = JSON.parse(e.data) as { customerId?: string; mergedIds?: string[] };
          if (d.customerId) await store.eraseCustomers(tx, e.workspace_id, [d.customerId, ...(d.mergedIds ?? [])]);
        }
      }
      return scheduled ? () => jobs.poke() : undefined;
    },
    async poison() {},
  });

  /** Scores of a survey's answer: the rating of a fixed type, the first rating question of a custom one. */
  function scoreOf(survey: Survey, score: number | null, answers: Record<string, unknown>): number | null {
    if (survey.type !== 'custom') return score;
    const q = (survey.questions ?? []).find((x) => x.type === 'rating');
    const v = q ? answers[q.id] : undefined;
    return typeof v === 'number' ? v : null;
  }

  const service = {
    /** A rule's `send_survey`: one send of an enabled survey to the customer, once per key, in the caller's transaction. */
    async scheduleFor(tx: Tx, workspaceId: string, surveyId: string, customerId: string, key: string): Promise<string | null> {
      const row = await store.get(tx, workspaceId, surveyId);
      if (!row || Number(row.enabled) !== 1) return null;
      return schedule(tx, workspaceId, surveyId, customerId, key, 0, noContext);
    },
    exists: async (workspaceId: string, surveyId: string) => (await store.get(autocommit, workspaceId, surveyId)) !== undefined,
    async list(auth: AuthContext): Promise<Page<Survey>> {
      requirePermission(auth, 'customers.read');
      return { data: (await store.list(autocommit, auth.workspaceId)).map(toSurvey), nextCursor: null };
    },
    async get(auth: AuthContext, id: string): Promise<Survey> {
      requirePermission(auth, 'customers.read');
      return toSurvey(await requireSurvey(autocommit, auth.workspaceId, id));
    },
    async create(auth: AuthContext, input: CreateSurvey): Promise<Survey> {
      requirePermission(auth, 'settings.manage');
      await checkReferences(auth.workspaceId, null, input);
      const now = clock.nowIso();
      const row: SurveyRow = {
        workspace_id: auth.workspaceId,
        id: newId('survey'),
        name: input.name,
        type: input.type,
        content: contentOf(input),
        trigger: JSON.stringify(input.trigger),
        trigger_type: input.trigger.type,
        throttle_days: input.throttleDays ?? DEFAULT_THROTTLE_DAYS,
        link_days: input.linkDays ?? DEFAULT_LINK_DAYS,
        delivery: input.delivery ?? 'auto',
        follow_up: input.followUp === false ? 0 : 1,
        follow_up_team_id: input.followUpTeamId ?? null,
        recovery_survey_id: input.recoverySurveyId ?? null,
        enabled: input.enabled === false ? 0 : 1,
        created_at: now,
        updated_at: now,
      };
      await transactions.run(async (tx) => {
        if ((await store.count(tx, auth.workspaceId)) >= MAX_SURVEYS) throw conflict(`A workspace has at most ${MAX_SURVEYS} surveys; delete one first`);
        await store.insert(tx, row);
        await audit.record(tx, auth, { action: 'survey.created', objectType: 'survey', objectId: row.id, data: { name: row.name, type: row.type } });
      });
      return toSurvey(row);
    },
    async update(auth: AuthContext, id: string, patch: UpdateSurvey): Promise<Survey> {
      requirePermission(auth, 'settings.manage');
      const current = toSurvey(await requireSurvey(autocommit, auth.workspaceId, id));
      await checkReferences(auth.workspaceId, id, patch);
      const type = patch.type ?? current.type;
      const questions = patch.questions ?? (patch.type && patch.type !== 'custom' ? null : current.questions);
      if ((type === 'custom') !== (questions !== null && questions !== undefined))
        throw invalid('Custom surveys need questions; other types take none', [{ path: 'questions', message: 'custom surveys only' }]);
      if (type === 'custom' && (patch.delivery ?? current.delivery) === 'chat')
        throw invalid("Custom surveys go by email ('email' or 'auto')", [{ path: 'delivery', message: 'not for custom surveys' }]);
      const stored = parseJsonObject(await requireSurvey(autocommit, auth.workspaceId, id).then((r) => r.content)) as Partial<Content>;
      const content = {
        type,
        title: patch.title ?? stored.title,
        question: patch.question ?? stored.question,
        commentPrompt: patch.commentPrompt ?? stored.commentPrompt,
        thanks: patch.thanks ?? stored.thanks,
        questions: questions ?? null,
        translations: patch.translations ?? current.translations,
      };
      const set: Partial<SurveyRow> = { updated_at: clock.nowIso(), type, content: contentOf(content) };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.trigger !== undefined) Object.assign(set, { trigger: JSON.stringify(patch.trigger), trigger_type: patch.trigger.type });
      if (patch.throttleDays !== undefined) set.throttle_days = patch.throttleDays;
      if (patch.linkDays !== undefined) set.link_days = patch.linkDays;
      if (patch.delivery !== undefined) set.delivery = patch.delivery;
      if (patch.followUp !== undefined) set.follow_up = patch.followUp ? 1 : 0;
      if (patch.followUpTeamId !== undefined) set.follow_up_team_id = patch.followUpTeamId;
      if (patch.recoverySurveyId !== undefined) set.recovery_survey_id = patch.recoverySurveyId;
      if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
      await transactions.run(async (tx) => {
        await store.update(tx, auth.workspaceId, id, set);
        await audit.record(tx, auth, { action: 'survey.updated', objectType: 'survey', objectId: id, data: { changed: Object.keys(patch) } });
      });
      return toSurvey(await requireSurvey(autocommit, auth.workspaceId, id));
    },
    async delete(auth: AuthContext, id: string): Promise<{ ok: true }> {
      requirePermission(auth, 'settings.manage');
      await transactions.run(async (tx) => {
        const row = await requireSurvey(tx, auth.workspaceId, id);
        await store.delete(tx, auth.workspaceId, id);
        await audit.record(tx, auth, { action: 'survey.deleted', objectType: 'survey', objectId: id, data: { name: row.name } });
      });
      return { ok: true };
    },

    /** Sends by hand (a bounded list): each customer gets the survey once a day at most, throttling and open cases still apply. */
    async send(auth: AuthContext, id: string, customerIds: string[]) {
      requirePermission(auth, 'settings.manage');
      const row = await requireSurvey(autocommit, auth.workspaceId, id);
      if (Number(row.enabled) !== 1) throw conflict('The survey is disabled: enable it first');
      const day = clock.nowIso().slice(0, 10);
      const results: Array<{ id: string; ok: boolean; sendId?: string; error?: string }> = [];
      const found = new Map<string, string>();
      for (const cid of customerIds) {
        const c = await deps.customers.resolve(autocommit, auth.workspaceId, cid);
        if (c) found.set(cid, c.id);
      }
      await transactions.run(async (tx) => {
        for (const cid of customerIds) {
          const customerId = found.get(cid);
          if (!customerId) {
            results.push({ id: cid, ok: false, error: 'Customer not found' });
            continue;
          }
          const sendId = await schedule(tx, auth.workspaceId, id, customerId, `manual:${day}`, 0, noContext);
          results.push(sendId ? { id: cid, ok: true, sendId } : { id: cid, ok: false, error: 'Already sent to this customer today' });
        }
        await audit.record(tx, auth, { action: 'survey.sent', objectType: 'survey', objectId: id, data: { customers: customerIds.length } });
      });
      jobs.poke();
      return { results };
    },

    async listResponses(auth: AuthContext, id: string, q: { limit: number; cursor?: string | undefined; from?: string | undefined; to?: string | undefined }) {
      requirePermission(auth, 'customers.read');
      const survey = toSurvey(await requireSurvey(autocommit, auth.workspaceId, id));
      const after = decodeCursor(q.cursor, 1);
      const rows = await store.listResponses(autocommit, auth.workspaceId, id, {
        limit: q.limit,
        beforeId: after ? String(after[0]) : undefined,
        from: q.from ? new Date(q.from).toISOString() : undefined,
        to: q.to ? new Date(q.to).toISOString() : undefined,
      });
      return toPage(
        rows,
        q.limit,
        (r) => [r.id],
        (r) => toResponse(r, survey.type),
      );
    },

    /** Everything the results and the CSV export read (bounded). */
    async dataOf(auth: AuthContext, id: string, from: string | null, to: string | null, limit: number) {
      requirePermission(auth, 'customers.read');
      const survey = toSurvey(await requireSurvey(autocommit, auth.workspaceId, id));
      const [responses, sends, followUps] = await Promise.all([
        store.responsesIn(autocommit, auth.workspaceId, id, from, to, limit),
        store.countSent(autocommit, auth.workspaceId, id, from, to),
        store.followUpsOfSurvey(autocommit, auth.workspaceId, id),
      ]);
      return { survey, responses: responses.map((r) => ({ row: r, response: toResponse(r, survey.type) })), sends, followUps };
    },

    async results(
      auth: AuthContext,
      q: {
        surveyId: string;
        from?: string | undefined;
        to?: string | undefined;
        by?: Dimension | undefined;
        period: 'day' | 'week' | 'month';
        comments: number;
      },
    ): Promise<SurveyResults> {
      const from = q.from ? new Date(q.from).toISOString() : null;
      const to = q.to ? new Date(q.to).toISOString() : null;
      if (from && to && from >= to) throw invalid('from must be before to', [{ path: 'from', message: 'after to' }]);
      const { survey, responses, sends, followUps } = await service.dataOf(auth, q.surveyId, from, to, RESULTS_LIMIT);
      const rows = responses.map((r) => ({ ...r.row, score: r.response.score, sentiment_score: r.response.sentiment?.score ?? null }));
      return {
        surveyId: survey.id,
        type: survey.type,
        from,
        to,
        overall: figuresOf(survey.type, rows, sends.length, followUps, q.comments),
        by: q.by ?? null,
        groups: q.by ? groupedFigures(survey.type, rows, sends, followUps, q.by, q.period, q.comments) : [],
      };
    },

    /** The responses as CSV (RFC 4180), newest first, up to RESULTS_LIMIT rows. */
    async csv(auth: AuthContext, id: string, q: { from?: string | undefined; to?: string | undefined }): Promise<string> {
      const from = q.from ? new Date(q.from).toISOString() : null;
      const to = q.to ? new Date(q.to).toISOString() : null;
      const { survey, responses } = await service.dataOf(auth, id, from, to, RESULTS_LIMIT);
      const questions = survey.questions ?? [];
      const head = [
        'id',
        'createdAt',
        'updatedAt',
        'customerId',
        'type',
        'score',
        'comment',
        'sentiment',
        'language',
        'conversationId',
        'teamId',
        'agentId',
        'channel',
        'touchpointId',
        'recoveryOf',
        ...questions.map((x) => `q:${x.id}`),
      ];
      let out = csvRow(head);
      for (const { response: r } of responses) {
        out += csvRow([
          r.id,
          r.createdAt,
          r.updatedAt,
          r.customerId,
          r.type,
          r.score,
          r.comment,
          r.sentiment?.score ?? null,
          r.language,
          r.conversationId,
          r.teamId,
          r.agentId,
          r.channel,
          r.touchpointId,
          r.recoveryOf,
          ...questions.map((x) => {
            const v = r.answers[x.id];
            return Array.isArray(v)
              ? v.map((i) => x.options?.[Number(i)] ?? i).join('; ')
              : typeof v === 'string' && x.options
                ? (x.options[Number(v)] ?? v)
                : v;
          }),
        ]);
      }
      return out;
    },

    /** The public page: the link's survey and send, once its signature, expiry and send agree. */
    async resolveLink(token: string): Promise<LinkResolution> {
      const claims = readLink(token);
      if (!claims) return { ok: false, reason: 'invalid' };
      const secret = await store.secret(autocommit, claims.workspaceId);
      if (!secret || !verifyLink(secret.secret, token)) return { ok: false, reason: 'invalid' };
      const send = await store.getSend(autocommit, claims.workspaceId, claims.sendId);
      if (!send || send.survey_id !== claims.surveyId || send.status !== 'sent') return { ok: false, reason: 'invalid' };
      if (claims.expiresAt <= clock.nowMs()) return { ok: false, reason: 'expired' };
      const row = await store.get(autocommit, claims.workspaceId, claims.surveyId);
      if (!row) return { ok: false, reason: 'invalid' };
      const customer = await deps.customers.resolve(autocommit, claims.workspaceId, send.customer_id);
      if (!customer) return { ok: false, reason: 'invalid' };
      return {
        ok: true,
        survey: toSurvey(row),
        send,
        response: (await store.getResponseBySend(autocommit, claims.workspaceId, send.id)) ?? null,
        traits: parseJsonObject(customer.traits),
      };
    },

    /**
     * Records an answer to a send: the first creates its response and its timeline interaction,
     * a later one updates both (one response per send; the latest rating and comment win, a
     * comment left out keeps the previous one).
     */
    async answer(link: Extract<LinkResolution, { ok: true }>, input: AnswerInput, language: string | null): Promise<SurveyResponseRow> {
      const { survey, send } = link;
      const ws = send.workspace_id;
      let score: number | null = link.response?.score ?? null;
      if (input.score !== undefined && input.score !== '' && survey.type !== 'custom') {
        const n = Number(input.score);
        const { min, max } = SURVEY_SCALES[survey.type];
        if (!/^\d{1,2}$/.test(input.score) || n < min || n > max)
          throw invalid(`The score must be a whole number from ${min} to ${max}`, [{ path: 'score', message: 'out of range' }]);
        score = n;
      }
      let comment = link.response?.comment ?? null;
      if (input.comment !== undefined && input.comment.trim() !== '') comment = input.comment.trim().slice(0, 5000);
      let answers = parseJsonObject(link.response?.answers ?? '{}');
      if (survey.type === 'custom' && input.fields) {
        answers = { ...answers, ...parseCustomAnswers(survey.questions ?? [], input.fields) };
        const text = (survey.questions ?? []).find((q) => q.type === 'text');
        if (text && typeof answers[text.id] === 'string') comment = answers[text.id] as string;
      }
      score = scoreOf(survey, score, answers);
      if (survey.type !== 'custom' && score === null) throw invalid('Choose a score first', [{ path: 'score', message: 'required' }]);
      const reading = comment ? analyse(comment) : null;
      const now = clock.nowIso();
      const sourceId = `survey:${send.id}`;
      const properties = (r: { stage: string | null; department: string | null }) => ({
        surveyId: survey.id,
        sendId: send.id,
        type: survey.type,
        score,
        comment,
        ...(survey.type === 'custom' ? { answers } : {}),
        teamId: send.team_id,
        agentId: send.agent_id,
        stage: r.stage,
        department: r.department,
      });
      const row = await transactions.run(async (tx): Promise<SurveyResponseRow> => {
        const patch = {
          score,
          comment,
          answers: JSON.stringify(answers),
          sentiment_score: reading?.score ?? null,
          sentiment_label: reading?.label ?? null,
          updated_at: now,
        };
        const update = async (existing: SurveyResponseRow) => {
          const next = { ...patch, language: language ?? existing.language };
          await store.updateResponse(tx, ws, existing.id, next);
          await deps.interactions.setAnswer(
            tx,
            ws,
            sourceId,
            properties(existing),
            reading?.score ?? null,
            reading ? (reading.signals[0] ?? reading.label) : null,
          );
          return { ...existing, ...next };
        };
        const existing = await store.getResponseBySend(tx, ws, send.id);
        if (existing) return update(existing);
        const [interaction] = await deps.interactions.append(tx, [
          {
            workspaceId: ws,
            customerId: send.customer_id,
            kind: 'survey_response',
            name: 'Survey Answered',
            channel: send.channel,
            origin: 'customer',
            sourceId,
            conversationId: send.conversation_id,
            touchpointId: send.touchpoint_id,
            stage: send.stage,
            properties: properties({ stage: send.stage, department: null }),
          },
        ]);
        const stage = interaction?.stage ?? send.stage;
        const department = interaction?.department ?? null;
        await deps.interactions.setAnswer(
          tx,
          ws,
          sourceId,
          properties({ stage, department }),
          reading?.score ?? null,
          reading ? (reading.signals[0] ?? reading.label) : null,
        );
        const fresh: SurveyResponseRow = {
          workspace_id: ws,
          id: newId('surveyResponse'),
          survey_id: survey.id,
          send_id: send.id,
          customer_id: send.customer_id,
          ...patch,
          language,
          conversation_id: send.conversation_id,
          team_id: send.team_id,
          agent_id: send.agent_id,
          channel: send.channel,
          touchpoint_id: interaction?.touchpoint_id ?? send.touchpoint_id,
          stage,
          department,
          recovery_of: send.recovery_of,
          delivery: send.delivery,
          created_at: now,
        };
        if (await store.insertResponse(tx, fresh)) return fresh;
        // Answered at the same moment elsewhere: that answer committed first, this one updates it.
        const raced = await store.getResponseBySend(tx, ws, send.id);
        if (!raced) throw conflict('This survey was answered at the same moment; try again');
        return update(raced);
      });
      await transactions.run(async (tx) => {
        if (row.recovery_of) {
          await store.updateFollowUp(tx, ws, row.recovery_of, { recovered: isUnhappy(survey.type, score) ? 0 : 1 });
        } else if (survey.followUp && (survey.type === 'nps' || survey.type === 'csat') && isUnhappy(survey.type, score)) {
          // After the grace the job reads the answer as it stands (score and comment); once per response.
          await followUpJob.enqueue(tx, {
            workspaceId: ws,
            payload: { responseId: row.id },
            idempotencyKey: `survey-follow-up:${row.id}`,
            runAt: new Date(Date.parse(row.created_at) + FOLLOW_UP_GRACE_MS).toISOString(),
            maxAttempts: 5,
          });
        }
      });
      return row;
    },

    /** The surveys waiting for these customers (a visitor's customer and those merged into it) in the chat. */
    async chatSurveys(workspaceId: string, customerIds: string[], acceptLanguage: string | undefined): Promise<WidgetSurvey[]> {
      const sends = await store.pendingInChat(autocommit, workspaceId, customerIds, clock.nowIso(), CHAT_PENDING_LIMIT);
      const out: WidgetSurvey[] = [];
      for (const send of sends) {
        const row = await store.get(autocommit, workspaceId, send.survey_id);
        const customer = await deps.customers.resolve(autocommit, workspaceId, send.customer_id);
        if (!row || !customer || row.type === 'custom' || !send.expires_at) continue;
        const survey = toSurvey(row);
        out.push(chatCard(survey, send.id, pickLanguage(survey, parseJsonObject(customer.traits), acceptLanguage), send.expires_at));
      }
      return out;
    },

    /**
     * An answer from the chat widget to a survey delivered there: the same path as the public page
     * (one response per send; a later answer updates it), once the send is the visitor's own.
     */
    async answerInChat(
      workspaceId: string,
      customerIds: string[],
      sendId: string,
      input: { score: number; comment?: string | undefined },
      acceptLanguage: string | undefined,
    ) {
      const send = await store.getSend(autocommit, workspaceId, sendId);
      // Another customer's send, or one not delivered in the chat, is as unknown as a missing one.
      if (!send || !customerIds.includes(send.customer_id) || send.delivery !== 'chat' || send.status !== 'sent') throw notFound('Survey');
      if (!send.expires_at || send.expires_at <= clock.nowIso()) throw conflict('This survey has expired');
      const row = await store.get(autocommit, workspaceId, send.survey_id);
      const customer = await deps.customers.resolve(autocommit, workspaceId, send.customer_id);
      if (!row || !customer) throw notFound('Survey');
      const survey = toSurvey(row);
      const traits = parseJsonObject(customer.traits);
      const lang = pickLanguage(survey, traits, acceptLanguage);
      const response = (await store.getResponseBySend(autocommit, workspaceId, send.id)) ?? null;
      const saved = await service.answer({ ok: true, survey, send, response, traits }, { score: String(input.score), comment: input.comment }, lang);
      return {
        sendId: send.id,
        responseId: saved.id,
        score: Number(saved.score),
        comment: saved.comment,
        thanks: textsOf(survey, lang).thanks,
      };
    },
  };
  return service;
}
export type SurveysService = ReturnType<typeof createSurveysService>;
