// The typed HTTP client: same-origin fetch with the session cookie, problems (RFC 9457) turned
// into ApiError with the server's plain-words detail.
import type { Problem } from '@rapport/contracts';
import createClient from 'openapi-fetch';
import type { paths } from './schema.gen';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `The server answered ${status}`);
    this.name = 'ApiError';
  }
  get isNotFound() {
    return this.status === 404;
  }
}

function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null && 'status' in v && 'title' in v;
}

/** Plain words for any error a screen may show. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.problem?.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
    return fields ? `${err.message} (${fields})` : err.message;
  }
  if (err instanceof TypeError) return 'The server cannot be reached; check your connection and try again.';
  return err instanceof Error ? err.message : 'Something went wrong.';
}

/**
 * The API client, typed from the server's OpenAPI document (schema.gen.ts, generated at build):
 * paths, parameters, bodies and answers are checked by `tsc`, so a changed contract fails the build
 * wherever a screen relies on the old shape. Same-origin, with the session cookie.
 */
export const api = createClient<paths>({ credentials: 'same-origin', headers: { accept: 'application/json' } });

type Answer<D> = { data?: D; error?: unknown; response: Response };

/** The answer's body, or an ApiError carrying the problem (RFC 9457) the server sent. */
export async function must<D>(call: Promise<Answer<D>>): Promise<D> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, isProblem(error) ? error : null);
  return data as D;
}

type JsonBody<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/** The JSON body an operation takes, e.g. `BodyOf<'/api/v1/teams', 'post'>`. */
export type BodyOf<P extends keyof paths, M extends 'post' | 'patch' | 'put'> = JsonBody<paths[P][M]>;
