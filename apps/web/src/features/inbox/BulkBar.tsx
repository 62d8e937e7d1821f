// Actions on the selected conversations: resolve, assign, tag.
import { useState } from 'react';
import { Button, Group, Select, Text, TextInput } from '@mantine/core';
import type { Member } from '../../api/types';

export function BulkBar(props: {
  count: number;
  busy: boolean;
  members: Member[] | null;
  onRun: (update: Record<string, unknown>, what: string) => void;
  onAssignToMe: () => void;
  onClear: () => void;
}) {
  const { count, busy, members, onRun, onAssignToMe, onClear } = props;
  const [bulkTag, setBulkTag] = useState('');
  return (
    <Group gap="xs" p="xs" bg="indigo.0" style={{ borderRadius: 8 }} role="region" aria-label="Bulk actions" data-testid="bulk-bar">
      <Text size="sm" fw={600}>
        {count} selected
      </Text>
      <Button size="xs" onClick={() => onRun({ status: 'resolved' }, 'Resolved')} loading={busy}>
        Resolve
      </Button>
      <Button size="xs" variant="default" onClick={onAssignToMe}>
        Assign to me
      </Button>
      {members ? (
        <Select
          size="xs"
          aria-label="Assign selected to"
          placeholder="Assign to…"
          w={170}
          value={null}
          data={members.filter((m) => m.status === 'active' && m.role !== 'analyst').map((m) => ({ value: m.userId, label: m.name }))}
          onChange={(v) => v && onRun({ assigneeId: v }, 'Assigned')}
        />
      ) : null}
      <TextInput size="xs" aria-label="Tag to add" placeholder="Tag" w={120} value={bulkTag} onChange={(e) => setBulkTag(e.currentTarget.value)} />
      <Button
        size="xs"
        variant="default"
        disabled={!bulkTag.trim()}
        onClick={() => {
          onRun({ addTags: [bulkTag.trim()] }, `Tagged “${bulkTag.trim()}”`);
          setBulkTag('');
        }}
      >
        Add tag
      </Button>
      <Button size="xs" variant="subtle" onClick={onClear}>
        Clear
      </Button>
    </Group>
  );
}
