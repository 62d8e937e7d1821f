// The virtualised rows of the inbox. Kept apart from the page (filters, bulk bar) so that a
// scroll re-renders only this, and rows are plain elements memoised by their data: scrolling
// mounts the few rows that come into view and leaves the rest alone.
import { memo, useEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Link } from 'react-router-dom';
import type { Conversation } from '../../api/types';
import { label } from '../../api/types';
import { age, priorityColor } from '../../components/format';
import { FeelingBadge } from '../../components/feeling';
import { DueCell } from '../../components/sla';

export const ROW_HEIGHT = 56;

type RowProps = {
  c: Conversation;
  index: number;
  start: number;
  isActive: boolean;
  isSelected: boolean;
  canWrite: boolean;
  assignee: string | null;
  onOpen: (c: Conversation) => void;
  onToggle: (id: string) => void;
  onActivate: (index: number) => void;
};

const Row = memo(function Row({ c, index, start, isActive, isSelected, canWrite, assignee, onOpen, onToggle, onActivate }: RowProps) {
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
        onActivate(index);
        onOpen(c);
      }}
    >
      <div role="cell">
        {canWrite ? (
          <input type="checkbox" className="row-check" aria-label={`Select conversation ${c.number}`} checked={isSelected} onChange={() => onToggle(c.id)} />
        ) : null}
      </div>
      <div role="cell" className="cell">
        <div className="line strong">{c.customer.name ?? c.customer.email ?? 'Unknown'}</div>
        <div className="line sub">
          {c.customer.feeling && c.customer.feeling.label !== 'neutral' ? <FeelingBadge feeling={c.customer.feeling} compact /> : null} {c.customer.email ?? ''}
        </div>
      </div>
      <div role="cell" className="cell">
        <Link to={`/conversations/${c.id}`} className={c.status === 'open' ? 'line subject strong' : 'line subject'} onFocus={() => onActivate(index)}>
          #{c.number} {c.subject ?? '(no subject)'}
        </Link>
        <div className="line sub">{c.lastMessagePreview ?? ''}</div>
      </div>
      <div role="cell" className="cell">
        {label(c.channel)}
      </div>
      <div role="cell" className="cell">
        {label(c.category)}
      </div>
      <div role="cell" className="cell">
        <span className="pill" style={{ background: priorityColor[c.priority] }}>
          {c.priority}
        </span>
      </div>
      <div role="cell" className={assignee ? 'cell' : 'cell sub'}>
        {assignee ?? 'Unassigned'}
      </div>
      <div role="cell" className="cell" title={c.lastActivityAt}>
        {age(c.lastActivityAt)}
      </div>
      <div role="cell" className="cell">
        <DueCell sla={c.sla} />
      </div>
    </div>
  );
});

export function InboxRows(props: {
  rows: Conversation[];
  active: number;
  selected: ReadonlySet<string>;
  canWrite: boolean;
  assigneeName: (id: string | null) => string | null;
  onOpen: (c: Conversation) => void;
  onToggle: (id: string) => void;
  onActivate: (index: number) => void;
  onNearEnd: () => void;
}) {
  const { rows, active, selected, canWrite, assigneeName, onOpen, onToggle, onActivate, onNearEnd } = props;
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => parentRef.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (rows.length > 0 && lastIndex >= rows.length - 20) onNearEnd();
  }, [lastIndex, rows.length, onNearEnd]);

  // The keyboard moves `active`; keep it in view.
  useEffect(() => {
    if (active < rows.length) virtualizer.scrollToIndex(active, { align: 'auto' });
  }, [active, rows.length, virtualizer]);

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
              isActive={item.index === active}
              isSelected={selected.has(c.id)}
              canWrite={canWrite}
              assignee={assigneeName(c.assigneeId)}
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
