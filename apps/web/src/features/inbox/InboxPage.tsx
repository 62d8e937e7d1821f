// The inbox: views, filters and search over a virtualised, cursor-paged list, with bulk actions
// and keyboard shortcuts. Rows stay fast at tens of thousands of conversations.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Checkbox, Group, Stack, Text, Title } from '@mantine/core';
import { useDebouncedValue, useHotkeys } from '@mantine/hooks';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { describeError } from '../../api/client';
import { useBulk, useConversations, useMembers, useTeams } from '../../api/queries';
import type { Conversation, Me } from '../../api/types';

import { can } from '../../api/permissions';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';
import { BulkBar } from './BulkBar';
import { filtersFor, viewTitle } from './filters';
import { InboxFilters } from './InboxFilters';
import { InboxRows } from './InboxRows';
import { COLUMNS, GRID_TEMPLATE } from './columns';
import { isTyping } from '../../components/keyboard';
import { useViewersByConversation } from '../../live/presence';

export function InboxPage({ me }: { me: Me }) {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const view = params.get('view') ?? (me.role === 'analyst' ? 'all' : 'mine');
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [q] = useDebouncedValue(search.trim(), 250);
  const filters = useMemo(() => filtersFor(view, me, params, q), [view, me, params, q]);
  const list = useConversations(filters);
  const teams = useTeams();
  const members = useMembers(can(me.role, 'members'));
  const bulk = useBulk();
  const canWrite = can(me.role, 'write');

  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  // The highlight follows a conversation, not a position: rows arriving, leaving or reordering
  // move it with its row. When its row leaves the view, the one now at its place takes it.
  const [activeId, setActiveId] = useState<string | null>(null);
  const lastActiveIndex = useRef(0);
  const found = activeId ? rows.findIndex((r) => r.id === activeId) : -1;
  const active = found >= 0 ? found : Math.min(lastActiveIndex.current, Math.max(rows.length - 1, 0));
  const current = rows[active];
  useEffect(() => {
    lastActiveIndex.current = active;
    if (current && current.id !== activeId) setActiveId(current.id);
  }, [active, current, activeId]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const tableRef = useRef<HTMLDivElement>(null);
  const viewers = useViewersByConversation(me.user.id);
  const [bulkMessage, setBulkMessage] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setSelected(new Set());
    setActiveId(null);
    lastActiveIndex.current = 0;
  }, [filters]);

  // The rows' grid comes from the column list (columns.tsx).
  useLayoutEffect(() => tableRef.current?.style.setProperty('--inbox-columns', GRID_TEMPLATE), []);

  // After choosing a view or a filter the keys act on the list again (Enter opens the highlighted row).
  useEffect(() => {
    if (!(document.activeElement instanceof HTMLInputElement)) tableRef.current?.focus({ preventScroll: true });
  }, [view, params]);

  // Esc leaves any field of the page and gives the keys back to the list.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || !isTyping(e)) return;
      if (e.target instanceof HTMLElement) e.target.blur();
      tableRef.current?.focus({ preventScroll: true });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const names = useMemo(() => new Map((members.data ?? []).map((m) => [m.userId, m.name])), [members.data]);

  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const onNearEnd = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const onToggle = useCallback((id: string) => setSelected((s) => toggle(s, id)), []);
  const assigneeName = useCallback((id: string | null) => (id ? (id === me.user.id ? 'You' : (names.get(id) ?? 'Assigned')) : null), [names, me.user.id]);

  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const runBulk = useCallback(
    async (ids: string[], update: Record<string, unknown>, what: string) => {
      if (ids.length === 0) return;
      try {
        const res = await bulk.mutateAsync({ ids, update });
        const failed = res.results.filter((r) => !r.ok);
        setBulkMessage(
          failed.length === 0
            ? `${what}: ${ids.length} conversation${ids.length === 1 ? '' : 's'}`
            : `${what}: ${ids.length - failed.length} done, ${failed.length} refused (${failed[0]?.error ?? 'not allowed'})`,
        );
        setSelected(new Set());
      } catch (err) {
        setBulkMessage(describeError(err));
      }
    },
    [bulk],
  );

  const open = useCallback(
    (c: Conversation | undefined, compose?: 'reply' | 'note') => {
      if (c) navigate(`/conversations/${c.id}${compose ? `?compose=${compose}` : ''}`);
    },
    [navigate],
  );

  // Shortcuts (the ? sheet lists them): ignored while typing in a field, and with modifiers.
  const move = (to: number) => {
    const next = rows[Math.max(0, Math.min(rows.length - 1, to))];
    if (next) setActiveId(next.id);
  };
  useHotkeys([
    ['j', () => move(active + 1)],
    ['k', () => move(active - 1)],
    [
      'Enter',
      (e) => {
        if (e.target instanceof HTMLElement && e.target.closest('#main button, #main a, [role="checkbox"]')) return;
        // Focus left on a sidebar link after choosing a view: Enter opens the row, not the link again.
        if (e.target instanceof HTMLElement && e.target.closest('a')) e.preventDefault();
        open(current);
      },
      { preventDefault: false },
    ],
    ['x', () => current && setSelected((s) => toggle(s, current.id))],
    ['r', () => canWrite && open(current, 'reply')],
    ['n', () => canWrite && open(current, 'note')],
    ['e', () => canWrite && void runBulk(selected.size > 0 ? [...selected] : current ? [current.id] : [], { status: 'resolved' }, 'Resolved')],
    ['/', () => searchRef.current?.focus()],
  ]);

  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const title = viewTitle(view, teams.data ?? []);

  return (
    <Stack gap="sm" h="calc(100vh - 56px - 2 * var(--mantine-spacing-md))">
      <Group justify="space-between" wrap="nowrap">
        <Title order={1} size="h3">
          {title}
        </Title>
        <Text size="sm" c="dimmed" aria-live="polite" data-testid="inbox-count">
          {list.isPending ? 'Loading…' : `${rows.length}${list.hasNextPage ? '+' : ''} conversation${rows.length === 1 ? '' : 's'}`}
        </Text>
      </Group>
      <InboxFilters
        search={search}
        searchRef={searchRef}
        showStatus={!view.startsWith('status:')}
        params={params}
        onSearch={(value) => {
          setSearch(value);
          setParam('q', value || null);
        }}
        onFilter={setParam}
      />

      {canWrite && selected.size > 0 ? (
        <BulkBar
          count={selected.size}
          busy={bulk.isPending}
          members={members.data ?? null}
          onRun={(update, what) => void runBulk([...selected], update, what)}
          onAssignToMe={() => void runBulk([...selected], { assigneeId: me.user.id }, 'Assigned to you')}
          onClear={() => setSelected(new Set())}
        />
      ) : null}
      {bulkMessage ? (
        <Text size="sm" role="status" data-testid="bulk-message">
          {bulkMessage}
        </Text>
      ) : null}

      {list.isError ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}

      <div
        role="table"
        ref={tableRef}
        tabIndex={-1}
        data-testid="inbox-table"
        aria-label={`${title} conversations`}
        aria-rowcount={rows.length + 1}
        style={{ display: 'flex', flexDirection: 'column', flex: 1, minHeight: 0, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8, outline: 'none' }}
      >
        <div role="rowgroup">
          <div role="row" aria-rowindex={1} className="row row-head">
            <div role="columnheader">
              {canWrite ? (
                <Checkbox
                  size="xs"
                  aria-label="Select all loaded conversations"
                  checked={allSelected}
                  indeterminate={selected.size > 0 && !allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))}
                />
              ) : null}
            </div>
            {COLUMNS.map((col) => (
              <div role="columnheader" className="cell" key={col.key} data-col={col.key}>
                {col.header}
              </div>
            ))}
          </div>
        </div>
        {list.isPending ? (
          <div role="rowgroup" style={{ padding: 12 }}>
            <SkeletonLines count={8} height={40} label="Loading conversations" />
          </div>
        ) : rows.length === 0 ? (
          <div role="rowgroup">
            <div role="row">
              <Text role="cell" p="lg" c="dimmed" ta="center">
                No conversations here. New ones appear live.
              </Text>
            </div>
          </div>
        ) : (
          <InboxRows
            rows={rows}
            activeId={current?.id ?? null}
            selected={selected}
            canWrite={canWrite}
            q={q}
            viewers={viewers}
            assigneeName={assigneeName}
            onOpen={open}
            onToggle={onToggle}
            onActivate={setActiveId}
            onNearEnd={onNearEnd}
          />
        )}
      </div>
      {list.isFetchingNextPage ? (
        <Text size="xs" c="dimmed" role="status">
          Loading more…
        </Text>
      ) : null}
    </Stack>
  );
}

function toggle(set: Set<string>, id: string): Set<string> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}
