// The inbox's columns, in order: one entry per column gives its header, width and cell, so a
// column (a due time, say) is added here alone. At phone width only the columns with a `phone`
// place stay (app.css lays them out by data-col).
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { Conversation } from '../../api/types';
import { label } from '../../api/types';
import { FeelingBadge } from '../../components/feeling';
import { age, priorityColor } from '../../components/format';
import { DueCell } from '../../components/sla';
import { Highlight } from './highlight';

/** What a cell may need beyond its conversation. */
export type CellContext = {
  assignee: string | null;
  /** Names of the colleagues viewing it now, or null. */
  viewers: string | null;
  /** The search words, to mark in the row. */
  q: string;
  onFocusRow: () => void;
};

export type InboxColumn = {
  key: string;
  header: string;
  /** A CSS grid track. */
  width: string;
  cell: (c: Conversation, ctx: CellContext) => ReactNode;
  className?: (c: Conversation, ctx: CellContext) => string;
};

export const COLUMNS: InboxColumn[] = [
  {
    key: 'customer',
    header: 'Customer',
    width: 'minmax(9rem, 1.2fr)',
    cell: (c, { q }) => (
      <>
        <div className="line strong">
          <Highlight text={c.customer.name ?? c.customer.email ?? 'Unknown'} q={q} />
        </div>
        <div className="line sub">
          {c.customer.feeling && c.customer.feeling.label !== 'neutral' ? <FeelingBadge feeling={c.customer.feeling} compact /> : null}{' '}
          <Highlight text={c.customer.email ?? c.customer.phone ?? ''} q={q} />
        </div>
      </>
    ),
  },
  {
    key: 'subject',
    header: 'Subject',
    width: 'minmax(12rem, 2.6fr)',
    cell: (c, { q, onFocusRow }) => (
      <>
        <Link to={`/conversations/${c.id}`} className={c.status === 'open' ? 'line subject strong' : 'line subject'} onFocus={onFocusRow}>
          <Highlight text={`#${c.number}`} q={q} /> <Highlight text={c.subject ?? '(no subject)'} q={q} />
        </Link>
        <div className="line sub" data-testid="row-snippet">
          <Highlight text={c.lastMessagePreview ?? ''} q={q} />
        </div>
      </>
    ),
  },
  { key: 'channel', header: 'Channel', width: '5.5rem', cell: (c) => label(c.channel) },
  { key: 'category', header: 'Category', width: '7.5rem', cell: (c) => label(c.category) },
  {
    key: 'priority',
    header: 'Priority',
    width: '5rem',
    cell: (c) => (
      <span className="pill" style={{ background: priorityColor[c.priority] }}>
        {c.priority}
      </span>
    ),
  },
  {
    key: 'assignee',
    header: 'Assignee',
    width: '8rem',
    className: (_c, { assignee }) => (assignee ? 'cell' : 'cell sub'),
    cell: (_c, { assignee, viewers }) => (
      <>
        <div className="line">{assignee ?? 'Unassigned'}</div>
        {viewers ? (
          <div className="line viewing" data-testid="row-viewers" title={`${viewers} viewing now`}>
            👁 {viewers}
          </div>
        ) : null}
      </>
    ),
  },
  {
    key: 'age',
    header: 'Age',
    width: '4.5rem',
    cell: (c) => <span title={c.lastActivityAt}>{age(c.lastActivityAt)}</span>,
  },
  { key: 'due', header: 'Due', width: '6.5rem', cell: (c) => <DueCell sla={c.sla} /> },
];

/** The grid template of a row: the checkbox, then every column. */
export const GRID_TEMPLATE = ['2.25rem', ...COLUMNS.map((c) => c.width)].join(' ');
