import { afterEach, describe, expect, it, vi } from 'vitest';

import { formatAge, renderInboxPage, type InboxDraft } from './inbox.js';

const draft: InboxDraft = {
  id: 'draft/3f2a',
  model: 'credit-scorecard',
  context: 'retail-credit/uk',
  route: 'material',
  tier: 'high',
  requester: 'alice@bank.example',
  createdAt: '2026-11-02T09:00:00.000Z',
};

afterEach(() => {
  vi.useRealTimers();
});

describe('formatAge', () => {
  it.each([
    ['2026-11-02T09:00:30Z', 'just now'],
    ['2026-11-02T09:01:00Z', '1 minute'],
    ['2026-11-02T09:59:59Z', '59 minutes'],
    ['2026-11-02T10:00:00Z', '1 hour'],
    ['2026-11-02T20:30:00Z', '11 hours'],
    ['2026-11-03T09:00:00Z', '1 day'],
    ['2026-11-12T08:00:00Z', '9 days'],
    ['2026-11-02T08:00:00Z', 'just now'],
  ])('at %s: %s', (now, age) => {
    expect(formatAge('2026-11-02T09:00:00Z', now)).toBe(age);
  });

  it('takes epoch milliseconds, and says "—" for a time it cannot read', () => {
    expect(formatAge('2026-11-02T09:00:00Z', Date.parse('2026-11-02T12:00:00Z'))).toBe('3 hours');
    expect(formatAge('yesterday', '2026-11-02T12:00:00Z')).toBe('—');
    expect(formatAge('2026-11-02T09:00:00Z', Number.NaN)).toBe('—');
  });
});

describe('the inbox: drafts for someone else', () => {
  it('counts the open drafts that need a role the signed-in identity does not hold', () => {
    expect(
      renderInboxPage({ identity: 'mallory', drafts: [], othersWaiting: 1, now: draft.createdAt }),
    ).toContain('1 other open draft needs a role you do not hold, and is not listed here.');
    const two = renderInboxPage({
      identity: 'mallory',
      drafts: [draft],
      othersWaiting: 2,
      now: draft.createdAt,
    });
    expect(two).toContain('2 other open drafts need a role you do not hold, and are not listed here.');
    expect(two).toContain('draft/3f2a');
    expect(renderInboxPage({ identity: 'bob', drafts: [draft], now: draft.createdAt })).not.toContain(
      'other open draft',
    );
  });
});

describe('the inbox', () => {
  it('lists each draft: link, model, context, coloured route, tier, requester, age', () => {
    const html = renderInboxPage({
      identity: 'bob@bank.example',
      drafts: [draft],
      now: '2026-11-02T12:05:00Z',
    });
    expect(html).toContain('<a href="/drafts/draft%2F3f2a"><code>draft/3f2a</code></a>');
    expect(html).toContain('<span class="badge route-material">material</span>');
    expect(html).toContain('<td>high</td>');
    expect(html).toContain('<td>alice@bank.example</td>');
    expect(html).toContain('>3 hours</time>');
    expect(html).toContain('<a href="/inbox" aria-current="page">Inbox</a>');
    expect(html).toContain('Signed in as <strong>bob@bank.example</strong>');
  });

  it('uses the age the caller gives, and is pure: the clock is never read', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const data = {
      identity: 'bob',
      drafts: [
        { ...draft, route: 'low' },
        { ...draft, id: 'x', age: 'ages ago' },
      ],
    };
    const first = renderInboxPage(data);
    vi.setSystemTime(new Date('2040-01-01T00:00:00Z'));
    expect(renderInboxPage(data)).toBe(first);
    expect(first).toContain('>ages ago</time>');
    expect(first).toContain('>—</time>');
    expect(first).toContain('<span class="badge route-low">low</span>');
  });

  it('says when nothing is waiting', () => {
    const html = renderInboxPage({ identity: 'bob', drafts: [] });
    expect(html).toContain('Nothing is waiting for you.');
    expect(html).not.toContain('<table');
  });

  it('does not colour an unknown route', () => {
    const html = renderInboxPage({ identity: 'bob', drafts: [{ ...draft, route: 'route-low x' }], now: 0 });
    expect(html).toContain('<span class="badge">route-low x</span>');
  });
});
