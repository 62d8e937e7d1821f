// Assignee, team, status, priority, category, tags, custom fields and touchpoint of one conversation.
import { useEffect, useState } from 'react';
import { Paper, Select, Stack, TagsInput, TextInput, Title } from '@mantine/core';
import type { UpdateConversation } from '@rapport/contracts';
import { useCustomFields, useMembers, useTeams, useTouchpoints, useUpdateConversation } from '../../api/queries';
import type { Conversation, CustomFieldDef, Me } from '../../api/types';
import { CATEGORIES, PRIORITIES, STATUSES, label, oneOf } from '../../api/types';
import { can } from '../../api/permissions';
import { ErrorNotice } from '../../components/feedback';

function CustomField({
  def,
  value,
  disabled,
  onSave,
}: {
  def: CustomFieldDef;
  value: string | number | null | undefined;
  disabled: boolean;
  onSave: (v: string | number | null) => void;
}) {
  const [draft, setDraft] = useState(value === null || value === undefined ? '' : String(value));
  useEffect(() => setDraft(value === null || value === undefined ? '' : String(value)), [value]);
  if (def.type === 'select') {
    return <Select label={def.label} size="xs" clearable disabled={disabled} value={draft || null} data={def.options} onChange={(v) => onSave(v)} />;
  }
  const commit = () => {
    const current = value === null || value === undefined ? '' : String(value);
    if (draft === current) return;
    if (!draft) onSave(null);
    else onSave(def.type === 'number' ? Number(draft) : draft);
  };
  return (
    <TextInput
      label={def.label}
      size="xs"
      type={def.type === 'number' ? 'number' : def.type === 'date' ? 'date' : 'text'}
      disabled={disabled}
      value={draft}
      onChange={(e) => setDraft(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}

export function ConversationControls({ conversation: c, me }: { conversation: Conversation; me: Me }) {
  const update = useUpdateConversation(c.id);
  const members = useMembers(can(me.role, 'members'));
  const teams = useTeams();
  const fields = useCustomFields();
  const touchpoints = useTouchpoints(me.role !== 'partner');
  const readOnly = !can(me.role, 'write');
  const save = (patch: UpdateConversation) => update.mutate(patch);

  const assignees = (members.data ?? [])
    .filter((m) => m.status === 'active' && m.role !== 'analyst')
    .map((m) => ({ value: m.userId, label: m.userId === me.user.id ? `${m.name} (you)` : m.name }));
  if (c.assigneeId && !assignees.some((a) => a.value === c.assigneeId))
    assignees.push({ value: c.assigneeId, label: c.assigneeId === me.user.id ? `${me.user.name} (you)` : 'Someone else' });

  return (
    <Paper withBorder p="sm" component="section" aria-label="Conversation details">
      <Stack gap="xs">
        <Title order={2} size="h5">
          Details
        </Title>
        {update.isError ? <ErrorNotice error={update.error} title="Not saved" /> : null}
        <Select
          label="Assignee"
          size="xs"
          clearable
          placeholder="Unassigned"
          disabled={readOnly}
          value={c.assigneeId}
          data={assignees}
          onChange={(v) => save({ assigneeId: v })}
          searchable
        />
        <Select
          label="Team"
          size="xs"
          clearable={me.role !== 'partner'}
          placeholder="No team"
          disabled={readOnly}
          value={c.teamId}
          data={(teams.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
          onChange={(v) => save({ teamId: v })}
        />
        <Select
          label="Status"
          size="xs"
          allowDeselect={false}
          disabled={readOnly}
          value={c.status}
          // Snoozing needs a time: the Snooze menu above asks for it.
          data={STATUSES.filter((s) => s !== 'snoozed' || c.status === 'snoozed').map((s) => ({ value: s, label: label(s) }))}
          onChange={(v) => {
            const status = oneOf(STATUSES, v);
            if (status) save({ status });
          }}
        />
        <Select
          label="Priority"
          size="xs"
          allowDeselect={false}
          disabled={readOnly}
          value={c.priority}
          data={PRIORITIES.map((s) => ({ value: s, label: label(s) }))}
          onChange={(v) => {
            const priority = oneOf(PRIORITIES, v);
            if (priority) save({ priority });
          }}
        />
        <Select
          label="Category"
          size="xs"
          allowDeselect={false}
          disabled={readOnly}
          value={c.category}
          data={CATEGORIES.map((s) => ({ value: s, label: label(s) }))}
          onChange={(v) => {
            const category = oneOf(CATEGORIES, v);
            if (category) save({ category });
          }}
        />
        <TagsInput label="Tags" size="xs" disabled={readOnly} value={c.tags} onChange={(tags) => save({ tags })} placeholder="Add a tag and press Enter" />
        {touchpoints.data ? (
          <Select
            label="Touchpoint"
            description="Where the experience broke"
            size="xs"
            clearable
            placeholder="None"
            disabled={readOnly}
            value={c.touchpointId}
            data={touchpoints.data.map((t) => ({ value: t.id, label: t.name }))}
            onChange={(v) => save({ touchpointId: v })}
          />
        ) : null}
        {(fields.data ?? []).map((def) => (
          <CustomField
            key={def.id}
            def={def}
            value={c.customFields[def.key]}
            disabled={readOnly}
            onSave={(v) => save({ customFields: { ...c.customFields, [def.key]: v } })}
          />
        ))}
      </Stack>
    </Paper>
  );
}
