// The inbox: views, filters and search over a virtualised, cursor-paged list, with bulk actions
// and keyboard shortcuts. Rows stay fast at tens of thousands of conversations.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Button, Checkbox, Group, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { describeError } from '../../api/client';
import { useBulk, useConversations, useMembers, useTeams, type ConversationFilters } from '../../api/queries';
import type { Conversation, Me } from '../../api/types';
import { CATEGORIES, CHANNELS, PRIORITIES, STATUSES, label, oneOf } from '../../api/types';
import { isTyping } from '../../app/Shell';
import { can } from '../../app/permissions';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';
import { InboxRows } from './InboxRows';

function filtersFor(view: string, me: Me, params: URLSearchParams, q: string): ConversationFilters {
  const f: ConversationFilters = { status: 'open,pending' };
  if (view === 'mine') f.assignee = 'me';
  else if (view === 'unassigned') f.assignee = 'none';
  else if (view.startsWith('team:')) f.teamId = view.slice(5);
  else if (view.startsWith('status:')) f.status = view.slice(7);
  const status = params.get('status');
  if (status && !view.startsWith('status:')) f.status = status;
  const channel = oneOf(CHANNELS, params.get('channel'));
  if (channel) f.channel = channel;
  const category = oneOf(CATEGORIES, params.get('category'));
  if (category) f.category = category;
  const priority = oneOf(PRIORITIES, params.get('priority'));
  if (priority) f.priority = priority;
  if (q) f.q = q;
  if (me.role === 'analyst' && view === 'mine') delete f.assignee;
  return f;
}

function viewTitle(view: string, teams: { id: string; name: string }[]): string {
  if (view === 'mine') return 'Mine';
  if (view === 'unassigned') return 'Unassigned';
  if (view === 'all') return 'All conversations';
  if (view.startsWith('team:')) return teams.find((t) => t.id === view.slice(5))?.name ?? 'Team';
  if (view.startsWith('status:')) return label(view.slice(7));
  return 'Inbox';
}

const FILTERS = [
  { key: 'channel', label: 'Channel', width: 150, values: CHANNELS },
  { key: 'category', label: 'Category', width: 170, values: CATEGORIES },
  { key: 'priority', label: 'Priority', width: 140, values: PRIORITIES },
] as const;

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
  const [active, setActive] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkMessage, setBulkMessage] = useState<string | null>(null);
  const [bulkTag, setBulkTag] = useState('');
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setSelected(new Set());
    setActive(0);
  }, [filters]);

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

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const move = (to: number) => {
        const i = Math.max(0, Math.min(rows.length - 1, to));
        setActive(i);
      };
      const current = rows[active];
      switch (e.key) {
        case 'j':
          move(active + 1);
          break;
        case 'k':
          move(active - 1);
          break;
        case 'Enter':
          if (e.target instanceof HTMLElement && e.target.closest('button, a, [role="checkbox"]')) return;
          open(current);
          break;
        case 'x':
          if (current) setSelected((s) => toggle(s, current.id));
          break;
        case 'r':
          if (canWrite) open(current, 'reply');
          break;
        case 'n':
          if (canWrite) open(current, 'note');
          break;
        case 'e':
          if (canWrite) void runBulk(selected.size > 0 ? [...selected] : current ? [current.id] : [], { status: 'resolved' }, 'Resolved');
          break;
        case '/':
          searchRef.current?.focus();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, active, open, canWrite, runBulk, selected]);

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
      <Group gap="xs" wrap="wrap" role="search">
        <TextInput
          ref={searchRef}
          aria-label="Search conversations"
          placeholder="Search (press /)"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setParam('q', e.currentTarget.value || null);
          }}
          w={240}
        />
        {!view.startsWith('status:') ? (
          <Select
            aria-label="Status"
            placeholder="Open and pending"
            clearable
            w={190}
            value={params.get('status')}
            onChange={(v) => setParam('status', v)}
            data={STATUSES.map((s) => ({ value: s, label: label(s) }))}
          />
        ) : null}
        {FILTERS.map((f) => (
          <Select
            key={f.key}
            aria-label={f.label}
            placeholder={`Any ${f.label.toLowerCase()}`}
            clearable
            w={f.width}
            value={params.get(f.key)}
            onChange={(v) => setParam(f.key, v)}
            data={f.values.map((s) => ({ value: s, label: label(s) }))}
          />
        ))}
      </Group>

      {canWrite && selected.size > 0 ? (
        <Group gap="xs" p="xs" bg="indigo.0" style={{ borderRadius: 8 }} role="region" aria-label="Bulk actions" data-testid="bulk-bar">
          <Text size="sm" fw={600}>
            {selected.size} selected
          </Text>
          <Button size="xs" onClick={() => void runBulk([...selected], { status: 'resolved' }, 'Resolved')} loading={bulk.isPending}>
            Resolve
          </Button>
          <Button size="xs" variant="default" onClick={() => void runBulk([...selected], { assigneeId: me.user.id }, 'Assigned to you')}>
            Assign to me
          </Button>
          {members.data ? (
            <Select
              size="xs"
              aria-label="Assign selected to"
              placeholder="Assign to…"
              w={170}
              value={null}
              data={members.data.filter((m) => m.status === 'active' && m.role !== 'analyst').map((m) => ({ value: m.userId, label: m.name }))}
              onChange={(v) => v && void runBulk([...selected], { assigneeId: v }, 'Assigned')}
            />
          ) : null}
          <TextInput size="xs" aria-label="Tag to add" placeholder="Tag" w={120} value={bulkTag} onChange={(e) => setBulkTag(e.currentTarget.value)} />
          <Button
            size="xs"
            variant="default"
            disabled={!bulkTag.trim()}
            onClick={() => {
              void runBulk([...selected], { addTags: [bulkTag.trim()] }, `Tagged “${bulkTag.trim()}”`);
              setBulkTag('');
            }}
          >
            Add tag
          </Button>
          <Button size="xs" variant="subtle" onClick={() => setSelected(new Set())}>
            Clear
          </Button>
        </Group>
      ) : null}
      {bulkMessage ? (
        <Text size="sm" role="status" data-testid="bulk-message">
          {bulkMessage}
        </Text>
      ) : null}

      {list.isError ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}

      <div
        role="table"
        aria-label={`${title} conversations`}
        aria-rowcount={rows.length + 1}
        style={{ display: 'flex', flexDirection: 'column', flex: 1, minHeight: 0, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8 }}
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
            <div role="columnheader" className="cell">
              Customer
            </div>
            <div role="columnheader" className="cell">
              Subject
            </div>
            <div role="columnheader" className="cell">
              Channel
            </div>
            <div role="columnheader" className="cell">
              Category
            </div>
            <div role="columnheader" className="cell">
              Priority
            </div>
            <div role="columnheader" className="cell">
              Assignee
            </div>
            <div role="columnheader" className="cell">
              Age
            </div>
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
            active={active}
            selected={selected}
            canWrite={canWrite}
            assigneeName={assigneeName}
            onOpen={open}
            onToggle={onToggle}
            onActivate={setActive}
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
