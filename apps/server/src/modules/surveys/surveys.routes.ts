import {
  ZCreateSurvey,
  ZIdParam,
  ZOk,
  ZProblem,
  ZSendSurvey,
  ZSendSurveyResult,
  ZSurvey,
  ZSurveyResponse,
  ZSurveyResponsesQuery,
  ZSurveyResults,
  ZSurveyResultsQuery,
  ZUpdateSurvey,
  page,
} from '@rapport/contracts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import { errorPage, pickLanguage, surveyPage, textsOf, thanksPage } from './page.js';
import type { SurveysService } from './surveys.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem };
// A wildcard: signed tokens are longer than the router's 100-character limit on parameters.
const ZToken = z.object({ '*': z.string().min(1).max(1024) });
/** The public form's fields: bounded in number and size before anything reads them. */
const FORM_LIMIT = 32 * 1024;

export function registerSurveyRoutes(app: FastifyZodInstance, deps: { surveys: SurveysService }) {
  const { surveys } = deps;
  const tags = ['surveys'];
  const read = 'customers.read' as const;
  const write = 'settings.manage' as const;

  app.get(
    '/api/v1/surveys',
    { config: { access: read }, schema: { tags, summary: 'Surveys of the workspace', response: { 200: page(ZSurvey), ...errors } } },
    async (req) => surveys.list(requireAuth(req)),
  );
  app.post(
    '/api/v1/surveys',
    {
      config: { access: write },
      schema: { tags, summary: 'Create an NPS, CSAT, CES or custom survey', body: ZCreateSurvey, response: { 201: ZSurvey, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await surveys.create(requireAuth(req), req.body)),
  );
  app.get(
    '/api/v1/surveys/results',
    {
      config: { access: read },
      schema: {
        tags,
        summary: 'NPS, CSAT % or CES mean with 95 % intervals, response rate, the closed loop and verbatim comments, overall and by a dimension',
        querystring: ZSurveyResultsQuery,
        response: { 200: ZSurveyResults, ...errors },
      },
    },
    async (req) => surveys.results(requireAuth(req), req.query),
  );
  app.get('/api/v1/surveys/:id', { config: { access: read }, schema: { tags, params: ZIdParam, response: { 200: ZSurvey, ...errors } } }, async (req) =>
    surveys.get(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/surveys/:id',
    { config: { access: write }, schema: { tags, params: ZIdParam, body: ZUpdateSurvey, response: { 200: ZSurvey, ...errors } } },
    async (req) => surveys.update(requireAuth(req), req.params.id, req.body),
  );
  app.delete(
    '/api/v1/surveys/:id',
    {
      config: { access: write },
      schema: { tags, summary: 'Delete a survey with its sends and responses', params: ZIdParam, response: { 200: ZOk, ...errors } },
    },
    async (req) => surveys.delete(requireAuth(req), req.params.id),
  );
  app.post(
    '/api/v1/surveys/:id/send',
    {
      config: { access: write },
      schema: {
        tags,
        summary: 'Send the survey to a list of customers (at most 500); throttling and open cases still apply',
        params: ZIdParam,
        body: ZSendSurvey,
        response: { 202: ZSendSurveyResult, ...errors },
      },
    },
    async (req, reply) => reply.code(202).send(await surveys.send(requireAuth(req), req.params.id, req.body.customerIds)),
  );
  app.get(
    '/api/v1/surveys/:id/responses',
    {
      config: { access: read },
      schema: {
        tags,
        summary: 'Responses, newest first',
        params: ZIdParam,
        querystring: ZSurveyResponsesQuery,
        response: { 200: page(ZSurveyResponse), ...errors },
      },
    },
    async (req) => surveys.listResponses(requireAuth(req), req.params.id, req.query),
  );
  app.get(
    '/api/v1/surveys/:id/responses.csv',
    {
      config: { access: read },
      schema: {
        tags,
        summary: 'Responses as CSV (RFC 4180), newest first',
        params: ZIdParam,
        querystring: ZSurveyResponsesQuery.pick({ from: true, to: true }),
        response: { 200: z.string(), ...errors },
      },
    },
    async (req, reply) => {
      const csv = await surveys.csv(requireAuth(req), req.params.id, req.query);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="survey-${req.params.id}-responses.csv"`).send(csv);
    },
  );

  // The public page: the signed token is the credential. Its own scope parses plain HTML forms.
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
      const fields: Record<string, string | string[]> = {};
      const params = new URLSearchParams(String(body));
      let n = 0;
      for (const [k, v] of params) {
        if (++n > 200) break;
        const had = fields[k];
        fields[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
      }
      done(null, fields);
    });
    const html = (reply: { type(t: string): unknown; header(k: string, v: string): unknown }) => {
      reply.type('text/html; charset=utf-8');
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-robots-tag', 'noindex');
      reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
    };
    const show = async (
      token: string,
      acceptLanguage: string | undefined,
      input: { score?: string | undefined; comment?: string | undefined; fields?: Record<string, string | string[]> } | null,
      done: boolean,
    ): Promise<{ status: number; body: string }> => {
      const link = await surveys.resolveLink(token);
      if (!link.ok) return link.reason === 'expired' ? { status: 410, body: errorPage('expired') } : { status: 404, body: errorPage('invalid') };
      const lang = pickLanguage(link.survey, link.traits, acceptLanguage);
      const texts = textsOf(link.survey, lang);
      const action = `/s/${encodeURIComponent(token)}`;
      let response = link.response;
      let error: string | null = null;
      if (input) {
        try {
          response = await surveys.answer(link, input, lang);
        } catch (err) {
          if (!(err instanceof AppError) || err.code !== 'INVALID') throw err;
          error = texts.chrome.required;
          const body = surveyPage(link.survey, texts, action, { score: null, comment: input.comment ?? null, answers: {}, notice: null, error });
          return { status: 400, body };
        }
        if (done) return { status: 200, body: thanksPage(texts) };
      }
      const state = {
        score: response?.score === null || response?.score === undefined ? null : Number(response.score),
        comment: response?.comment ?? null,
        answers: response ? (JSON.parse(response.answers) as Record<string, unknown>) : {},
        notice: input ? texts.chrome.recorded : null,
        error,
      };
      return { status: 200, body: surveyPage(link.survey, texts, action, state) };
    };
    scope.get(
      '/s/*',
      {
        config: { access: 'public' },
        schema: { hide: true, params: ZToken, querystring: z.object({ score: z.string().max(4).optional() }) },
      },
      async (req, reply) => {
        html(reply);
        // A rating link in the email records its score at once (idempotently), then asks why; a
        // HEAD (link checkers) records nothing.
        const records = req.query.score !== undefined && req.method === 'GET';
        const r = await show(req.params['*'], req.headers['accept-language'], records ? { score: req.query.score } : null, false);
        return reply.code(r.status).send(r.body);
      },
    );
    scope.post('/s/*', { config: { access: 'public' }, schema: { hide: true, params: ZToken } }, async (req, reply) => {
      html(reply);
      const fields = (req.body ?? {}) as Record<string, string | string[]>;
      const one = (k: string) => {
        const v = fields[k];
        return Array.isArray(v) ? v[0] : v;
      };
      const r = await show(req.params['*'], req.headers['accept-language'], { score: one('score'), comment: one('comment'), fields }, true);
      return reply.code(r.status).send(r.body);
    });
  });
}
