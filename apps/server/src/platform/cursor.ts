// Opaque cursors for keyset pagination: base64url JSON of the sort key of the last row.
import { invalid } from './errors.js';

export function encodeCursor(values: Array<string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): Array<string | number> | null {
  if (!cursor) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === arity && parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
      return parsed as Array<string | number>;
    }
  } catch {
    // fall through to the error below
  }
  throw invalid('The cursor is not valid; start again without it', [{ path: 'cursor', message: 'malformed cursor' }]);
}

/** Takes limit+1 rows and returns one page with the cursor of its last row. */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (r: R) => Array<string | number>, map: (r: R) => T) {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { data: pageRows.map(map), nextCursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
