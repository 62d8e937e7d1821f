// Snooze with presets in the agent's time zone (the server works out when: later today, tomorrow
// 9:00, next Monday 9:00, or 9:00 on a chosen date).
import { useState } from 'react';
import { Button, Group, Menu, TextInput } from '@mantine/core';
import type { SnoozePreset } from '@rapport/contracts';

export const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function SnoozeMenu({ busy, onSnooze }: { busy: boolean; onSnooze: (snooze: SnoozePreset) => void }) {
  const [date, setDate] = useState('');
  const timeZone = browserTimeZone();
  const today = new Date().toLocaleDateString('en-CA');
  return (
    <Menu position="bottom-end" withinPortal closeOnItemClick>
      <Menu.Target>
        <Button size="xs" variant="default" loading={busy} data-testid="snooze-button">
          Snooze
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Snooze until ({timeZone})</Menu.Label>
        <Menu.Item onClick={() => onSnooze({ until: 'later_today', timeZone })}>Later today (in 3 hours)</Menu.Item>
        <Menu.Item onClick={() => onSnooze({ until: 'tomorrow', timeZone })}>Tomorrow, 9:00</Menu.Item>
        <Menu.Item onClick={() => onSnooze({ until: 'next_monday', timeZone })}>Next Monday, 9:00</Menu.Item>
        <Menu.Divider />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (date) onSnooze({ until: 'date', date, timeZone });
          }}
        >
          <Group gap={4} p={6} wrap="nowrap">
            <TextInput size="xs" type="date" aria-label="Snooze until a date (9:00)" min={today} value={date} onChange={(e) => setDate(e.currentTarget.value)} />
            <Button size="xs" type="submit" disabled={!date}>
              Set
            </Button>
          </Group>
        </form>
      </Menu.Dropdown>
    </Menu>
  );
}
