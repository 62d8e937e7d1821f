// A conversation's SLA: the nearest due time and what remains of it (or by how much it is late),
// paused while the conversation waits on the customer. Words and colour say the same thing.
import type { CSSProperties } from 'react';
import { Badge, Group, Text, Tooltip } from '@mantine/core';
import type { Conversation } from '../api/types';
import { dateTime } from './format';

type Sla = NonNullable<Conversation['sla']>;
const METRIC = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' } as const;

/** "2h 5m", "3d 4h", "45s": two units at most. */
export function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** The running targets of an SLA, nearest first. */
export function targetsOf(sla: Sla): Array<{ metric: keyof typeof METRIC; dueAt: string }> {
  const out: Array<{ metric: keyof typeof METRIC; dueAt: string }> = [];
  if (sla.firstResponseDueAt) out.push({ metric: 'first_response', dueAt: sla.firstResponseDueAt });
  if (sla.nextResponseDueAt) out.push({ metric: 'next_response', dueAt: sla.nextResponseDueAt });
  if (sla.resolutionDueAt) out.push({ metric: 'resolution', dueAt: sla.resolutionDueAt });
  return out.sort((a, b) => a.dueAt.localeCompare(b.dueAt));
}

function tone(dueAt: string, now: number, paused: boolean) {
  if (paused) return { color: 'gray', text: '#343a40' };
  const left = Date.parse(dueAt) - now;
  if (left < 0) return { color: 'red', text: '#9b1c1c' };
  if (left < 3_600_000) return { color: 'orange', text: '#8a3c00' };
  return { color: 'teal', text: '#0b5341' };
}

function words(dueAt: string, now: number, paused: boolean) {
  if (paused) return 'paused';
  const left = Date.parse(dueAt) - now;
  return left < 0 ? `${span(left)} late` : `${span(left)} left`;
}

/** The inbox cell: the nearest due time as time left. */
export function DueCell({ sla, now = Date.now() }: { sla: Conversation['sla']; now?: number }) {
  if (!sla) return <span className="sub">—</span>;
  const next = targetsOf(sla)[0];
  if (!next) return <span className="sub">{sla.breached.length ? 'breached' : '—'}</span>;
  const paused = sla.pausedSince !== null;
  return (
    <span title={`${METRIC[next.metric]} due ${dateTime(next.dueAt)}`} data-testid="due-cell" style={{ color: tone(next.dueAt, now, paused).text }}>
      {words(next.dueAt, now, paused)}
    </span>
  );
}

/** The conversation screen: each running target with its due time and what remains, and the breaches. */
export function SlaPanel({ sla, now = Date.now() }: { sla: Conversation['sla']; now?: number }) {
  if (!sla) return null;
  const paused = sla.pausedSince !== null;
  const targets = targetsOf(sla);
  return (
    <Group gap={6} aria-label="Service level" data-testid="sla-panel" wrap="wrap">
      <Text size="xs" c="dimmed" fw={600}>
        SLA
      </Text>
      {targets.map((t) => {
        const c = tone(t.dueAt, now, paused);
        return (
          <Tooltip key={t.metric} label={`${METRIC[t.metric]} due ${dateTime(t.dueAt)}${paused ? ' (the clock is paused while pending)' : ''}`} withinPortal>
            <Badge size="sm" variant="light" color={c.color} style={{ '--badge-color': c.text } as CSSProperties}>
              {METRIC[t.metric]}: {words(t.dueAt, now, paused)} · due {dateTime(t.dueAt)}
            </Badge>
          </Tooltip>
        );
      })}
      {sla.breached.map((m) => (
        <Badge key={m} size="sm" variant="filled" color="#b02525">
          {METRIC[m]} breached
        </Badge>
      ))}
      {paused ? (
        <Text size="xs" c="dimmed">
          Paused since {dateTime(sla.pausedSince as string)}
        </Text>
      ) : null}
      {targets.length === 0 && sla.breached.length === 0 ? (
        <Text size="xs" c="dimmed">
          all targets met
        </Text>
      ) : null}
    </Group>
  );
}
