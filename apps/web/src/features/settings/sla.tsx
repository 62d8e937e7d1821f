// Settings: SLA calendars (time zone, weekly hours, holidays, or 24/7) and policies (conditions,
// targets in business time, calendar, warning), tried in order; docs/sla.md.
import { useState } from 'react';
import { Badge, Button, Group, MultiSelect, NumberInput, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { CATEGORIES, CHANNELS, PRIORITIES } from '@rapport/contracts/values';
import { useQuery } from '@tanstack/react-query';
import { api, must, type BodyOf } from '../../api/client';
import { useTeams, useWrite } from '../../api/queries';
import { label } from '../../api/types';
import { DangerCell, Loaded, MutationError, Section } from './parts';

const slaKeys = { calendars: ['sla', 'calendars'] as const, policies: ['sla', 'policies'] as const };
type CalendarBody = BodyOf<'/api/v1/sla/calendars', 'post'>;
type PolicyBody = BodyOf<'/api/v1/sla/policies', 'post'>;
type Interval = NonNullable<CalendarBody['hours']>[number];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const useCalendars = () => useQuery({ queryKey: slaKeys.calendars, queryFn: async () => (await must(api.GET('/api/v1/sla/calendars'))).data });
const usePolicies = () => useQuery({ queryKey: slaKeys.policies, queryFn: async () => (await must(api.GET('/api/v1/sla/policies'))).data });
const useCreateCalendar = () =>
  useWrite(
    (body: CalendarBody) => must(api.POST('/api/v1/sla/calendars', { body })),
    () => [slaKeys.calendars],
  );
const useDeleteCalendar = () =>
  useWrite(
    (id: string) => must(api.DELETE('/api/v1/sla/calendars/{id}', { params: { path: { id } } })),
    () => [slaKeys.calendars],
  );
const useCreatePolicy = () =>
  useWrite(
    (body: PolicyBody) => must(api.POST('/api/v1/sla/policies', { body })),
    () => [slaKeys.policies],
  );
const useUpdatePolicy = () =>
  useWrite(
    (v: { id: string; body: BodyOf<'/api/v1/sla/policies/{id}', 'patch'> }) =>
      must(api.PATCH('/api/v1/sla/policies/{id}', { params: { path: { id: v.id } }, body: v.body })),
    () => [slaKeys.policies],
  );
const useDeletePolicy = () =>
  useWrite(
    (id: string) => must(api.DELETE('/api/v1/sla/policies/{id}', { params: { path: { id } } })),
    () => [slaKeys.policies],
  );
const useReorderPolicies = () =>
  useWrite(
    (ids: string[]) => must(api.PUT('/api/v1/sla/policies/order', { body: { ids } })),
    () => [slaKeys.policies],
  );

/**
 * Weekly hours as people write them: "mon-fri 09:00-17:00; sat 10:00-14:00", several ranges of a
 * day separated by commas ("mon-fri 09:00-12:00, 13:00-17:00"). Null when it does not read.
 */
export function parseHours(text: string): Interval[] | null {
  const out: Interval[] = [];
  for (const part of text
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(.+)$/i.exec(part);
    if (!m) return null;
    const from = DAYS.indexOf((m[1] ?? '').toLowerCase() as (typeof DAYS)[number]);
    const to = m[2] ? DAYS.indexOf(m[2].toLowerCase() as (typeof DAYS)[number]) : from;
    if (from < 0 || to < from) return null;
    for (const range of (m[3] ?? '').split(',')) {
      const r = /^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$/.exec(range);
      if (!r) return null;
      for (let d = from; d <= to; d++) out.push({ day: DAYS[d] as Interval['day'], from: r[1] as string, to: r[2] as string });
    }
  }
  return out;
}

/** The reverse of parseHours, one weekday at a time. */
function describeHours(hours: Interval[]): string {
  return DAYS.map((d) => {
    const list = hours.filter((h) => h.day === d);
    return list.length ? `${d} ${list.map((h) => `${h.from}-${h.to}`).join(', ')}` : null;
  })
    .filter(Boolean)
    .join('; ');
}

function CalendarsPart() {
  const calendars = useCalendars();
  const teams = useTeams();
  const create = useCreateCalendar();
  const remove = useDeleteCalendar();
  const [name, setName] = useState('');
  const [timeZone, setTimeZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [alwaysOpen, setAlwaysOpen] = useState(false);
  const [hours, setHours] = useState('mon-fri 09:00-17:00');
  const [holidays, setHolidays] = useState('');
  const [teamId, setTeamId] = useState<string | null>(null);
  const [isDefault, setIsDefault] = useState(false);
  const parsed = alwaysOpen ? [] : parseHours(hours);
  const teamName = new Map((teams.data ?? []).map((t) => [t.id, t.name]));
  return (
    <Section
      title="Business-hours calendars"
      form={
        <form
          aria-label="Create a calendar"
          onSubmit={(e) => {
            e.preventDefault();
            if (!parsed) return;
            create.mutate(
              {
                name,
                timeZone,
                alwaysOpen,
                hours: parsed,
                holidays: alwaysOpen
                  ? []
                  : holidays
                      .split(/[\s,]+/)
                      .map((h) => h.trim())
                      .filter(Boolean),
                teamId,
                isDefault,
              },
              { onSuccess: () => setName('') },
            );
          }}
        >
          <Stack gap="xs">
            <Group align="flex-end" gap="xs">
              <TextInput label="Calendar name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
              <TextInput label="Time zone" required value={timeZone} onChange={(e) => setTimeZone(e.currentTarget.value)} w={180} />
              <Switch label="24/7" checked={alwaysOpen} onChange={(e) => setAlwaysOpen(e.currentTarget.checked)} mb={8} />
              <Switch label="Workspace default" checked={isDefault} onChange={(e) => setIsDefault(e.currentTarget.checked)} mb={8} />
              <Select
                label="Team"
                placeholder="No team"
                clearable
                value={teamId}
                onChange={setTeamId}
                data={(teams.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
                w={160}
              />
            </Group>
            {alwaysOpen ? null : (
              <Group align="flex-end" gap="xs">
                <TextInput
                  label="Open hours"
                  description="e.g. mon-fri 09:00-12:00, 13:00-17:00; sat 10:00-14:00"
                  value={hours}
                  onChange={(e) => setHours(e.currentTarget.value)}
                  error={parsed ? null : 'Write days and hours like mon-fri 09:00-17:00'}
                  w={380}
                />
                <TextInput
                  label="Holidays"
                  description="dates, separated by commas"
                  placeholder="2026-12-24, 2026-12-25"
                  value={holidays}
                  onChange={(e) => setHolidays(e.currentTarget.value)}
                  w={280}
                />
              </Group>
            )}
            <Group>
              <Button type="submit" loading={create.isPending} disabled={!parsed}>
                Create calendar
              </Button>
            </Group>
          </Stack>
          <MutationError m={create} />
        </form>
      }
    >
      <MutationError m={remove} />
      <Loaded q={calendars}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">No calendars: every target counts wall-clock time (24/7).</Text>
          ) : (
            <Table aria-label="Calendars">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Calendar</Table.Th>
                  <Table.Th>Time zone</Table.Th>
                  <Table.Th>Hours</Table.Th>
                  <Table.Th>Holidays</Table.Th>
                  <Table.Th>Used for</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>{c.name}</Table.Td>
                    <Table.Td>{c.timeZone}</Table.Td>
                    <Table.Td>{c.alwaysOpen ? '24/7' : describeHours(c.hours)}</Table.Td>
                    <Table.Td>{c.holidays.length ? c.holidays.join(', ') : '—'}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {c.isDefault ? (
                          <Badge size="xs" variant="filled" color="#364fc7">
                            default
                          </Badge>
                        ) : null}
                        {c.teamId ? (
                          <Badge size="xs" variant="light">
                            {teamName.get(c.teamId) ?? 'team'}
                          </Badge>
                        ) : null}
                      </Group>
                    </Table.Td>
                    <DangerCell label={`Delete calendar ${c.name}`} onClick={() => remove.mutate(c.id)}>
                      Delete
                    </DangerCell>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}

const durationOk = (v: string) => v === '' || /^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/.test(v);

function PoliciesPart() {
  const policies = usePolicies();
  const calendars = useCalendars();
  const teams = useTeams();
  const create = useCreatePolicy();
  const update = useUpdatePolicy();
  const remove = useDeletePolicy();
  const reorder = useReorderPolicies();
  const [name, setName] = useState('');
  const [priority, setPriority] = useState<string[]>([]);
  const [channel, setChannel] = useState<string[]>([]);
  const [category, setCategory] = useState<string[]>([]);
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [trait, setTrait] = useState('');
  const [first, setFirst] = useState('PT1H');
  const [next, setNext] = useState('PT4H');
  const [resolution, setResolution] = useState('P2D');
  const [calendarId, setCalendarId] = useState<string | null>(null);
  const [warnPercent, setWarnPercent] = useState<number | string>(80);
  const traitMatch = /^\s*([^=\s]+)\s*=\s*(.+?)\s*$/.exec(trait);
  const valid = durationOk(first) && durationOk(next) && durationOk(resolution) && (first || next || resolution) && (trait === '' || traitMatch);
  const calName = new Map((calendars.data ?? []).map((c) => [c.id, c.name]));
  const teamName = new Map((teams.data ?? []).map((t) => [t.id, t.name]));
  const summary = (p: NonNullable<typeof policies.data>[number]) => {
    const c = p.conditions;
    const parts = [
      c.priority && `priority ${c.priority.join('/')}`,
      c.channel && `channel ${c.channel.map(label).join('/')}`,
      c.category && `category ${c.category.map(label).join('/')}`,
      c.teamId && `team ${c.teamId.map((id) => teamName.get(id) ?? id).join('/')}`,
      c.stage && `stage ${c.stage.join('/')}`,
      ...(c.traits ?? []).map((t) => `${t.key} = ${t.in.join('/')}`),
    ].filter(Boolean);
    return parts.length ? parts.join(' · ') : 'every conversation';
  };
  return (
    <Section
      title="SLA policies"
      form={
        <form
          aria-label="Create an SLA policy"
          onSubmit={(e) => {
            e.preventDefault();
            if (!valid) return;
            const conditions: PolicyBody['conditions'] = {};
            if (priority.length) conditions.priority = priority as NonNullable<typeof conditions.priority>;
            if (channel.length) conditions.channel = channel as NonNullable<typeof conditions.channel>;
            if (category.length) conditions.category = category as NonNullable<typeof conditions.category>;
            if (teamIds.length) conditions.teamId = teamIds;
            if (traitMatch) conditions.traits = [{ key: traitMatch[1] as string, in: [traitMatch[2] as string] }];
            create.mutate(
              {
                name,
                conditions,
                targets: { firstResponse: first || null, nextResponse: next || null, resolution: resolution || null },
                calendarId,
                warning: warnPercent === '' ? null : { percent: Number(warnPercent) },
              },
              { onSuccess: () => setName('') },
            );
          }}
        >
          <Stack gap="xs">
            <Group align="flex-end" gap="xs">
              <TextInput label="Policy name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
              <MultiSelect label="Priority" placeholder="Any" data={[...PRIORITIES]} value={priority} onChange={setPriority} w={180} />
              <MultiSelect
                label="Channel"
                placeholder="Any"
                data={CHANNELS.map((c) => ({ value: c, label: label(c) }))}
                value={channel}
                onChange={setChannel}
                w={180}
              />
              <MultiSelect
                label="Category"
                placeholder="Any"
                data={CATEGORIES.map((c) => ({ value: c, label: label(c) }))}
                value={category}
                onChange={setCategory}
                w={200}
              />
              <MultiSelect
                label="Team"
                placeholder="Any"
                data={(teams.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
                value={teamIds}
                onChange={setTeamIds}
                w={180}
              />
              <TextInput label="Customer trait" placeholder="tier = gold" value={trait} onChange={(e) => setTrait(e.currentTarget.value)} w={150} />
            </Group>
            <Group align="flex-end" gap="xs">
              <TextInput
                label="First response"
                description="ISO 8601, business time"
                value={first}
                onChange={(e) => setFirst(e.currentTarget.value)}
                error={durationOk(first) ? null : 'like PT1H'}
                w={150}
              />
              <TextInput
                label="Next response"
                description="empty: no target"
                value={next}
                onChange={(e) => setNext(e.currentTarget.value)}
                error={durationOk(next) ? null : 'like PT4H'}
                w={150}
              />
              <TextInput
                label="Resolution"
                description="P1D = 24 business hours"
                value={resolution}
                onChange={(e) => setResolution(e.currentTarget.value)}
                error={durationOk(resolution) ? null : 'like P2D'}
                w={170}
              />
              <Select
                label="Calendar"
                placeholder="Team's, else default"
                clearable
                value={calendarId}
                onChange={setCalendarId}
                data={(calendars.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
                w={190}
              />
              <NumberInput label="Warn at %" description="empty: no warning" min={1} max={99} value={warnPercent} onChange={setWarnPercent} w={120} />
              <Button type="submit" loading={create.isPending} disabled={!valid}>
                Create policy
              </Button>
            </Group>
          </Stack>
          <MutationError m={create} />
        </form>
      }
    >
      <MutationError m={update} />
      <MutationError m={remove} />
      <MutationError m={reorder} />
      <Loaded q={policies}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">No SLA policies yet: conversations have no due times.</Text>
          ) : (
            <Table aria-label="SLA policies">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Order</Table.Th>
                  <Table.Th>Policy</Table.Th>
                  <Table.Th>Applies to</Table.Th>
                  <Table.Th>Targets</Table.Th>
                  <Table.Th>Calendar</Table.Th>
                  <Table.Th>Warning</Table.Th>
                  <Table.Th>Enabled</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((p, i) => {
                  const move = (to: number) => {
                    const ids = list.map((x) => x.id);
                    ids.splice(i, 1);
                    ids.splice(to, 0, p.id);
                    reorder.mutate(ids);
                  };
                  return (
                    <Table.Tr key={p.id}>
                      <Table.Td>
                        <Group gap={2} wrap="nowrap">
                          <Text size="sm" w={18}>
                            {i + 1}
                          </Text>
                          <Button size="compact-xs" variant="subtle" disabled={i === 0} onClick={() => move(i - 1)} aria-label={`Move ${p.name} up`}>
                            ↑
                          </Button>
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            disabled={i === list.length - 1}
                            onClick={() => move(i + 1)}
                            aria-label={`Move ${p.name} down`}
                          >
                            ↓
                          </Button>
                        </Group>
                      </Table.Td>
                      <Table.Td>{p.name}</Table.Td>
                      <Table.Td>{summary(p)}</Table.Td>
                      <Table.Td>
                        {[
                          p.targets.firstResponse && `first ${p.targets.firstResponse}`,
                          p.targets.nextResponse && `next ${p.targets.nextResponse}`,
                          p.targets.resolution && `resolve ${p.targets.resolution}`,
                        ]
                          .filter(Boolean)
                          .join(' · ')}
                      </Table.Td>
                      <Table.Td>{p.calendarId ? (calName.get(p.calendarId) ?? '—') : "team's / default"}</Table.Td>
                      <Table.Td>{p.warning ? ('percent' in p.warning ? `at ${p.warning.percent}%` : `${p.warning.before} before`) : '—'}</Table.Td>
                      <Table.Td>
                        <Switch
                          aria-label={`Enable ${p.name}`}
                          checked={p.enabled}
                          onChange={(e) => update.mutate({ id: p.id, body: { enabled: e.currentTarget.checked } })}
                        />
                      </Table.Td>
                      <DangerCell label={`Delete policy ${p.name}`} onClick={() => remove.mutate(p.id)}>
                        Delete
                      </DangerCell>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}

export function SlaSection() {
  return (
    <Stack gap="xl">
      <PoliciesPart />
      <CalendarsPart />
    </Stack>
  );
}
