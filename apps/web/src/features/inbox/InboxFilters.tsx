// The inbox's search box and filters; every choice lives in the URL.
import type { RefObject } from 'react';
import { Group, Select, TextInput } from '@mantine/core';
import { STATUSES, label } from '../../api/types';
import { FILTERS } from './filters';

export function InboxFilters(props: {
  search: string;
  searchRef: RefObject<HTMLInputElement | null>;
  showStatus: boolean;
  params: URLSearchParams;
  onSearch: (value: string) => void;
  onFilter: (key: string, value: string | null) => void;
}) {
  const { search, searchRef, showStatus, params, onSearch, onFilter } = props;
  return (
    <Group gap="xs" wrap="wrap" role="search">
      <TextInput
        ref={searchRef}
        aria-label="Search conversations"
        placeholder="Search (press /)"
        value={search}
        onChange={(e) => onSearch(e.currentTarget.value)}
        w={240}
      />
      {showStatus ? (
        <Select
          aria-label="Status"
          placeholder="Open and pending"
          clearable
          w={190}
          value={params.get('status')}
          onChange={(v) => onFilter('status', v)}
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
          onChange={(v) => onFilter(f.key, v)}
          data={f.values.map((s) => ({ value: s, label: label(s) }))}
        />
      ))}
      <Select
        aria-label="Sort"
        w={180}
        value={(params.get('sort') === 'feeling' || params.get('sort') === 'due') && !search ? params.get('sort') : 'activity'}
        onChange={(v) => onFilter('sort', v === 'feeling' || v === 'due' ? v : null)}
        disabled={search !== ''}
        allowDeselect={false}
        data={[
          { value: 'activity', label: 'Latest activity' },
          { value: 'feeling', label: 'Unhappiest first' },
          { value: 'due', label: 'Due soonest' },
        ]}
      />
    </Group>
  );
}
