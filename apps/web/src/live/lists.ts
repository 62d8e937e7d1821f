// Live updates of the inbox lists. Rows are patched in place (and dropped when they leave the
// view's filters); new arrivals come from refetching. A list scrolled far (many cursor pages)
// refetches only its first page and merges it, so one event never costs hundreds of requests.
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import { api, must } from '../api/client';
import { keys, type ConversationFilters } from '../api/queries';
import type { Conversation, Me, Page } from '../api/types';

type ListData = InfiniteData<Page<Conversation>, string | undefined>;

const LIST_KEY = [...keys.conversations, 'list'] as const;
/** Up to this many loaded pages, a plain refetch is cheap enough and exact. */
const FULL_REFETCH_PAGES = 3;

/** List keys are built by `keys.conversationList(filters)`: the filters are the third element. */
function isFilters(v: unknown): v is ConversationFilters {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function filtersOf(queryKey: readonly unknown[]): ConversationFilters | null {
  const f = queryKey[2];
  return isFilters(f) ? f : null;
}

/** Whether a conversation still belongs in a list with these filters (search text is left to the server). */
export function matchesFilters(c: Conversation, f: ConversationFilters, selfId: string | undefined): boolean {
  if (c.mergedIntoId) return false;
  if (f.status && !f.status.split(',').includes(c.status)) return false;
  if (f.assignee === 'none' && c.assigneeId !== null) return false;
  if (f.assignee === 'me' && c.assigneeId !== selfId) return false;
  if (f.assignee && f.assignee !== 'me' && f.assignee !== 'none' && c.assigneeId !== f.assignee) return false;
  if (f.teamId && c.teamId !== f.teamId) return false;
  if (f.channel && c.channel !== f.channel) return false;
  if (f.category && c.category !== f.category) return false;
  if (f.priority && c.priority !== f.priority) return false;
  if (f.customerId && c.customer.id !== f.customerId) return false;
  return true;
}

/**
 * Applies a conversation's new state (a domain event's, which has its own columns only) to the
 * rows that show it, right away: merged in place, or dropped from views it left. Arrivals come
 * with the next refresh.
 */
export function patchLists(qc: QueryClient, id: string, patch: Partial<Conversation>) {
  const selfId = qc.getQueryData<Me | null>(keys.me)?.user.id;
  for (const query of qc.getQueryCache().findAll({ queryKey: LIST_KEY })) {
    const filters = filtersOf(query.queryKey);
    if (!filters) continue;
    qc.setQueryData<ListData>(query.queryKey, (data) =>
      data
        ? {
            ...data,
            pages: data.pages.map((p) => ({
              ...p,
              data: p.data.flatMap((row) => {
                if (row.id !== id) return [row];
                const merged = { ...row, ...patch };
                return matchesFilters(merged, filters, selfId) ? [merged] : [];
              }),
            })),
          }
        : data,
    );
  }
}

export async function refreshLists(qc: QueryClient) {
  for (const query of qc.getQueryCache().findAll({ queryKey: LIST_KEY, type: 'active' })) {
    const data = qc.getQueryData<ListData>(query.queryKey);
    const filters = filtersOf(query.queryKey);
    if (!data || !filters || data.pages.length <= FULL_REFETCH_PAGES) {
      await qc.invalidateQueries({ queryKey: query.queryKey, exact: true });
      continue;
    }
    // Ask for more than the old first page held, so its rows stay covered after arrivals push
    // them down; if even that overflows (a burst), refetch everything rather than leave a gap.
    const oldFirst = data.pages[0]?.data ?? [];
    const limit = Math.min(200, oldFirst.length + 50);
    const first = await must(api.GET('/api/v1/conversations', { params: { query: { ...filters, limit } } }));
    const boundary = oldFirst[oldFirst.length - 1];
    if (first.data.length === limit && boundary && !first.data.some((c) => c.id === boundary.id)) {
      await qc.invalidateQueries({ queryKey: query.queryKey, exact: true });
      continue;
    }
    const fresh = new Set(first.data.map((c) => c.id));
    qc.setQueryData<ListData>(query.queryKey, (current) =>
      current
        ? {
            pages: [first, ...current.pages.slice(1).map((p) => ({ ...p, data: p.data.filter((c) => !fresh.has(c.id)) }))],
            pageParams: current.pageParams,
          }
        : current,
    );
  }
}
