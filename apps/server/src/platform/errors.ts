// One error type and one mapping to HTTP status (RFC 9457 problem details).
export type AppErrorCode =
  'NOT_FOUND' | 'INVALID' | 'CONFLICT' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'TOO_LARGE' | 'RATE_LIMITED' | 'UNPROCESSABLE' | 'UNSUPPORTED_MEDIA_TYPE';

export const statusOf: Record<AppErrorCode, number> = {
  NOT_FOUND: 404,
  INVALID: 400,
  CONFLICT: 409,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNPROCESSABLE: 422,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

export const titleOf: Record<AppErrorCode, string> = {
  NOT_FOUND: 'Not found',
  INVALID: 'Invalid request',
  CONFLICT: 'Conflict',
  FORBIDDEN: 'Forbidden',
  UNAUTHENTICATED: 'Authentication required',
  TOO_LARGE: 'Request too large',
  RATE_LIMITED: 'Too many requests',
  UNPROCESSABLE: 'Unprocessable request',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
};

export type FieldError = { path: string; message: string };

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
    /** Members the problem's type adds to the body (RFC 9457 §3.2), e.g. the replies a collision names. */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

// One small constructor per code: call sites say what happened, not how an AppError is laid out.
export const notFound = (what: string, detail?: string) => new AppError('NOT_FOUND', detail ?? `${what} not found`);
export const forbidden = (detail = 'Your role does not allow this action') => new AppError('FORBIDDEN', detail);
export const invalid = (detail: string, errors?: FieldError[]) => new AppError('INVALID', detail, errors);
export const conflict = (detail: string, extensions?: Record<string, unknown>) => new AppError('CONFLICT', detail, undefined, undefined, extensions);
/** 401; `challenge` becomes WWW-Authenticate (e.g. `Bearer`). */
export const unauthenticated = (detail: string, challenge?: string) =>
  new AppError('UNAUTHENTICATED', detail, undefined, challenge ? { 'www-authenticate': challenge } : undefined);
export const tooLarge = (detail: string, errors?: FieldError[]) => new AppError('TOO_LARGE', detail, errors);
/** 429 with Retry-After in seconds. */
export const rateLimited = (detail: string, retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', detail, undefined, { 'retry-after': String(retryAfterSeconds) });
export const unprocessable = (detail: string) => new AppError('UNPROCESSABLE', detail);
export const unsupportedMediaType = (detail: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', detail);
