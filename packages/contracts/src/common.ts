// Shapes shared by every module: problems (RFC 9457), pages, ids and timestamps.
import { z } from 'zod';

export const ZProblem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof ZProblem>;

export const ZIsoTime = z.string().meta({ description: 'UTC timestamp, ISO 8601' });

export const ZPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

export const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export type Page<T> = { data: T[]; nextCursor: string | null };

export const ZIdParam = z.object({ id: z.string().min(1).max(64) });

export const ZOk = z.object({ ok: z.literal(true) });
