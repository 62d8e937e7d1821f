// What each inbox view asks the API for (pure: the view, the caller's role, the URL, the search).
import { describe, expect, it } from 'vitest';
import { filtersFor, viewTitle } from './filters';

const agent = { role: 'agent' as const };
const analyst = { role: 'analyst' as const };
const url = (q = '') => new URLSearchParams(q);

describe('inbox filters', () => {
  it('maps views to filters, open and pending by default', () => {
    expect(filtersFor('mine', agent, url(), '')).toEqual({ status: 'open,pending', assignee: 'me' });
    expect(filtersFor('unassigned', agent, url(), '')).toEqual({ status: 'open,pending', assignee: 'none' });
    expect(filtersFor('all', agent, url(), '')).toEqual({ status: 'open,pending' });
    expect(filtersFor('team:team_1', agent, url(), '')).toEqual({ status: 'open,pending', teamId: 'team_1' });
    expect(filtersFor('status:snoozed', agent, url('status=resolved'), '')).toEqual({ status: 'snoozed' });
  });

  it('takes filters from the URL only when they are known values, and the search', () => {
    expect(filtersFor('all', agent, url('status=resolved&channel=sms&category=dispute&priority=urgent'), 'parcel')).toEqual({
      status: 'resolved',
      channel: 'sms',
      category: 'dispute',
      priority: 'urgent',
      q: 'parcel',
    });
    expect(filtersFor('all', agent, url('channel=carrier-pigeon&priority=whenever'), '')).toEqual({ status: 'open,pending' });
  });

  it('searches every status unless one is chosen', () => {
    expect(filtersFor('mine', agent, url(), 'nguyen')).toEqual({ assignee: 'me', q: 'nguyen' });
    expect(filtersFor('all', agent, url('status=pending'), 'nguyen')).toEqual({ status: 'pending', q: 'nguyen' });
    expect(filtersFor('status:resolved', agent, url(), 'nguyen')).toEqual({ status: 'resolved', q: 'nguyen' });
  });

  it('gives an analyst, who owns no conversations, every conversation under "mine"', () => {
    expect(filtersFor('mine', analyst, url(), '')).toEqual({ status: 'open,pending' });
  });

  it('titles the views', () => {
    expect(viewTitle('mine', [])).toBe('Mine');
    expect(viewTitle('team:t1', [{ id: 't1', name: 'Billing' }])).toBe('Billing');
    expect(viewTitle('status:post_sales', [])).toBe('Post-sales');
  });
});
