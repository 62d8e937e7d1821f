// Query keys, and the hooks several features share (conversations, customers, members, teams,
// canned responses, custom fields, touchpoints, stages); the live stream updates these same keys.
// Hooks only one feature uses live with it (features/settings/hooks.ts).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import type { ConversationQuery, CreateMessage, UpdateConversation } from '@rapport/contracts';
import { api, ApiError, must, type BodyOf } from './client';
import type { Message } from './types';

export type ConversationFilters = Omit<ConversationQuery, 'updatedSince'>;

export const keys = {
  me: ['me'] as const,
  setup: ['setup'] as const,
  conversations: ['conversations'] as const,
  conversationList: (f: ConversationFilters) => ['conversations', 'list', f] as const,
  conversation: (id: string) => ['conversations', 'one', id] as const,
  messages: (id: string) => ['messages', id] as const,
  customers: ['customers'] as const,
  customerList: (q: string) => ['customers', 'list', q] as const,
  customer: (id: string) => ['customers', 'one', id] as const,
  timeline: (id: string) => ['timeline', id] as const,
  members: ['members'] as const,
  teams: ['teams'] as const,
  canned: ['canned'] as const,
  customFields: ['custom-fields'] as const,
  tokens: ['tokens'] as const,
  audit: ['audit'] as const,
  writeKeys: ['write-keys'] as const,
  touchpoints: ['touchpoints'] as const,
};

const PAGE = 50;

export const useSetupStatus = () => useQuery({ queryKey: keys.setup, queryFn: () => must(api.GET('/api/v1/setup')), staleTime: Infinity });

export const useMe = () =>
  useQuery({
    queryKey: keys.me,
    queryFn: async () => {
      try {
        return await must(api.GET('/api/v1/me'));
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });

export const useConversations = (filters: ConversationFilters) =>
  useInfiniteQuery({
    queryKey: keys.conversationList(filters),
    queryFn: ({ pageParam }) => must(api.GET('/api/v1/conversations', { params: { query: { ...filters, limit: PAGE, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

export const useConversation = (id: string) =>
  useQuery({
    queryKey: keys.conversation(id),
    queryFn: () => must(api.GET('/api/v1/conversations/{id}', { params: { path: { id } } })),
    retry: retryUnlessClientError,
  });

export const useMessages = (id: string) =>
  useQuery({
    queryKey: keys.messages(id),
    queryFn: async () => {
      const all: Message[] = [];
      let cursor: string | undefined;
      do {
        const page = await must(api.GET('/api/v1/conversations/{id}/messages', { params: { path: { id }, query: { limit: 200, cursor } } }));
        all.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },
    retry: retryUnlessClientError,
  });

export const useCustomers = (q: string) =>
  useInfiniteQuery({
    queryKey: keys.customerList(q),
    queryFn: ({ pageParam }) => must(api.GET('/api/v1/customers', { params: { query: { q, limit: PAGE, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

/** What customers write about in the last `days` days, with how they feel (GET /api/v1/topics). */
export const useTopics = (days: number) =>
  useQuery({
    queryKey: ['topics', days],
    queryFn: () => must(api.GET('/api/v1/topics', { params: { query: { from: new Date(Date.now() - days * 86_400_000).toISOString(), limit: 12 } } })),
    staleTime: 60_000,
  });

export const useCustomer = (id: string) =>
  useQuery({
    queryKey: keys.customer(id),
    queryFn: () => must(api.GET('/api/v1/customers/{id}', { params: { path: { id } } })),
    retry: retryUnlessClientError,
  });

/**
 * The timeline, newest first, in cursor pages. A server without the interactions module answers
 * "No route" 404: the page is then null and the screens say the timeline is not available.
 */
export const useTimeline = (customerId: string, limit = 100) =>
  useInfiniteQuery({
    queryKey: [...keys.timeline(customerId), limit],
    queryFn: async ({ pageParam }) => {
      try {
        return await must(api.GET('/api/v1/customers/{id}/timeline', { params: { path: { id: customerId }, query: { limit, cursor: pageParam } } }));
      } catch (err) {
        if (err instanceof ApiError && err.status === 404 && err.problem?.detail?.startsWith('No route')) return null;
        throw err;
      }
    },
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last?.nextCursor ?? undefined,
    retry: retryUnlessClientError,
  });

/** A list a role may not be allowed to read (or a route a server may not have): null on 403/404. */
export async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return null;
    throw err;
  }
}

export const useMembers = (enabled = true) =>
  useQuery({ queryKey: keys.members, queryFn: async () => (await must(api.GET('/api/v1/members'))).data, enabled, staleTime: 60_000 });
export const useTeams = () => useQuery({ queryKey: keys.teams, queryFn: async () => (await must(api.GET('/api/v1/teams'))).data, staleTime: 60_000 });
export const useCanned = () =>
  useQuery({ queryKey: keys.canned, queryFn: async () => (await must(api.GET('/api/v1/canned-responses'))).data, staleTime: 60_000 });
export const useCustomFields = () =>
  useQuery({ queryKey: keys.customFields, queryFn: async () => (await must(api.GET('/api/v1/custom-fields'))).data, staleTime: 60_000 });
export const useTouchpoints = (enabled = true) =>
  useQuery({
    queryKey: keys.touchpoints,
    queryFn: async () => (await orNull(must(api.GET('/api/v1/touchpoints'))))?.data ?? null,
    retry: false,
    enabled,
    staleTime: 60_000,
  });

function retryUnlessClientError(count: number, err: unknown) {
  if (err instanceof ApiError && err.status < 500) return false;
  return count < 2;
}

/** A mutation that refreshes the given keys when it settles. */
/** A mutation that refreshes the given query keys when it settles. */
export function useWrite<TVars, TResult>(fn: (vars: TVars) => Promise<TResult>, invalidate: (vars: TVars) => QueryKey[]) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: async (_data, _err, vars) => {
      await Promise.all(invalidate(vars).map((queryKey) => qc.invalidateQueries({ queryKey })));
    },
  });
}

export const useUpdateConversation = (id: string) => {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateConversation) => must(api.PATCH('/api/v1/conversations/{id}', { params: { path: { id } }, body })),
    onSuccess: (c) => qc.setQueryData(keys.conversation(id), c),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.conversations }),
  });
};

export const useSendMessage = (conversationId: string) =>
  useWrite(
    (body: CreateMessage) => must(api.POST('/api/v1/conversations/{id}/messages', { params: { path: { id: conversationId } }, body })),
    () => [keys.messages(conversationId), keys.conversations],
  );

export const useBulk = () =>
  useWrite(
    (body: BodyOf<'/api/v1/conversations/bulk', 'post'>) => must(api.POST('/api/v1/conversations/bulk', { body })),
    () => [keys.conversations],
  );

export const useRenderCanned = () =>
  useMutation({
    mutationFn: (v: { id: string; conversationId: string }) =>
      must(api.POST('/api/v1/canned-responses/{id}/render', { params: { path: { id: v.id } }, body: { conversationId: v.conversationId } })),
  });

/** The workspace's journey stages, in order (GET /api/v1/stages). */
export const useStages = () => useQuery({ queryKey: ['stages'], queryFn: () => must(api.GET('/api/v1/stages')), staleTime: 60_000 });
