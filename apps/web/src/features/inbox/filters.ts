// What an inbox view shows, as pure functions of the view, the caller and the URL: the list
// filters sent to the API, and the view's title.
import type { ConversationFilters } from '../../api/queries';
import type { Me } from '../../api/types';
import { CATEGORIES, CHANNELS, PRIORITIES, SENTIMENT_LABELS, label, oneOf } from '../../api/types';

export function filtersFor(view: string, me: Pick<Me, 'role'>, params: URLSearchParams, q: string): ConversationFilters {
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
  const feeling = oneOf(SENTIMENT_LABELS, params.get('feeling'));
  if (feeling) f.feeling = feeling;
  if (q) {
    f.q = q;
    // A search looks through every status unless a status is chosen (view or filter).
    if (!status && !view.startsWith('status:')) delete f.status;
  }
  // Search results come in activity order; otherwise the unhappiest customers can come first.
  else if (params.get('sort') === 'feeling') f.sort = 'feeling';
  else if (params.get('sort') === 'due') f.sort = 'due';
  if (me.role === 'analyst' && view === 'mine') delete f.assignee;
  return f;
}

export function viewTitle(view: string, teams: { id: string; name: string }[]): string {
  if (view === 'mine') return 'Mine';
  if (view === 'unassigned') return 'Unassigned';
  if (view === 'all') return 'All conversations';
  if (view.startsWith('team:')) return teams.find((t) => t.id === view.slice(5))?.name ?? 'Team';
  if (view.startsWith('status:')) return label(view.slice(7));
  return 'Inbox';
}

export const FILTERS = [
  { key: 'channel', label: 'Channel', width: 150, values: CHANNELS },
  { key: 'category', label: 'Category', width: 170, values: CATEGORIES },
  { key: 'priority', label: 'Priority', width: 140, values: PRIORITIES },
  { key: 'feeling', label: 'Feeling', width: 140, values: SENTIMENT_LABELS },
] as const;
