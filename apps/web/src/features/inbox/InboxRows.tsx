// The virtualised rows of the inbox. Kept apart from the page (filters, bulk bar) so that a
// scroll re-renders only this, and rows are plain elements memoised by their data: scrolling
// mounts the few rows that come into view and leaves the rest alone. The highlight is a
// conversation id, never a position: rows arriving above it move it down with its conversation.
import { memo, useEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Conversation } from '../../api/types';
import { COLUMNS } from './columns';

export const ROW_HEIGHT = 56;

type RowProps = {
  c: Conversation;
  index: number;
  start: number;
  isActive: boolean;
  isSelected: boolean;
  canWrite: boolean;
  assignee: string | null;
  viewers: string | null;
  q: string;
  onOpen: (c: Conversation) => void;
  onToggle: (id: string) => void;
  onActivate: (id: string) => void;
};

const Row = memo(function Row({ c, index, start, isActive, isSelected, canWrite, assignee, viewers, q, onOpen, onToggle, onActivate }: RowProps) {
  const ctx = { assignee, viewers, q, onFocusRow: () => onActivate(c.id) };
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={isSelected}
      className="row"
      data-active={isActive}
      data-testid="inbox-row"
      data-id={c.id}
      style={{ transform: `translateY(${start}px)` }}
      onClick={(e) => {
        if (e.target instanceof HTMLElement && e.target.closest('input, a, button')) return;
        onActivate(c.id);
        onOpen(c);
      }}
    >
      <div role="cell" data-col="check">
        {canWrite ? (
          <input type="checkbox" className="row-check" aria-label={`Select conversation ${c.number}`} checked={isSelected} onChange={() => onToggle(c.id)} />
        ) : null}
      </div>
      {COLUMNS.map((col) => (
        <div role="cell" key={col.key} data-col={col.key} className={col.className ? col.className(c, ctx) : 'cell'}>
          {col.cell(c, ctx)}
        </div>
      ))}
    </div>
  );
});

export function InboxRows(props: {
  rows: Conversation[];
  activeId: string | null;
  selected: ReadonlySet<string>;
  canWrite: boolean;
  q: string;
  viewers: ReadonlyMap<string, string>;
  assigneeName: (id: string | null) => string | null;
  onOpen: (c: Conversation) => void;
  onToggle: (id: string) => void;
  onActivate: (id: string) => void;
  onNearEnd: () => void;
}) {
  const { rows, activeId, selected, canWrite, q, viewers, assigneeName, onOpen, onToggle, onActivate, onNearEnd } = props;
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => parentRef.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;
  const active = activeId ? rows.findIndex((r) => r.id === activeId) : -1;

  useEffect(() => {
    if (rows.length > 0 && lastIndex >= rows.length - 20) onNearEnd();
  }, [lastIndex, rows.length, onNearEnd]);

  // Keep the highlighted conversation in view, wherever arrivals moved it.
  useEffect(() => {
    if (active >= 0) virtualizer.scrollToIndex(active, { align: 'auto' });
  }, [active, virtualizer]);

  return (
    <div ref={parentRef} role="rowgroup" className="rows" data-testid="inbox-list">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((item) => {
          const c = rows[item.index];
          if (!c) return null;
          return (
            <Row
              key={c.id}
              c={c}
              index={item.index}
              start={item.start}
              isActive={c.id === activeId}
              isSelected={selected.has(c.id)}
              canWrite={canWrite}
              assignee={assigneeName(c.assigneeId)}
              viewers={viewers.get(c.id) ?? null}
              q={q}
              onOpen={onOpen}
              onToggle={onToggle}
              onActivate={onActivate}
            />
          );
        })}
      </div>
    </div>
  );
}
