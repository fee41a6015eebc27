import { describe, expect, it } from 'vitest';

import { VIEW_DIGEST_ID, renderReviewPage, type ReviewDraft, type ReviewPageData } from './review.js';

const VIEW = `sha256:${'b'.repeat(64)}`;
const ENTRY = `sha256:${'e'.repeat(64)}`;

const draft: ReviewDraft = {
  id: 'draft-3f2a',
  status: 'open',
  view: VIEW,
  requester: 'alice@bank.example',
  model: 'credit-scorecard',
  context: 'retail-credit/uk',
  route: 'material',
  tier: 'high',
  reasons: ['first promotion of credit-scorecard'],
  requirement: '3 approvals by distinct holders of model-risk',
  approvals: [{ identity: 'dan@bank.example', roles: ['model-risk'] }],
};

const data = (over: Partial<ReviewPageData> = {}, d: Partial<ReviewDraft> = {}): ReviewPageData => ({
  identity: 'bob@bank.example',
  rpId: 'signet.example',
  ...over,
  draft: { ...draft, ...d },
});

function iframes(html: string): string[] {
  return [...html.matchAll(/<iframe\b[^>]*>/g)].map((m) => m[0]);
}

describe('the review page', () => {
  it('shows the stored document in a sandboxed iframe served from its digest', () => {
    const html = renderReviewPage(data());
    const [frame, ...rest] = iframes(html);
    expect(rest).toEqual([]);
    expect(frame).toMatch(/ sandbox /);
    expect(frame).not.toMatch(/allow-/);
    expect(frame).toContain(`src="/views/sha256%3A${'b'.repeat(64)}"`);
    expect(frame).toContain('title="Review document"');
  });

  it('shows the view digest beside it, readable by id', () => {
    const html = renderReviewPage(data());
    const match = new RegExp(`<code id="${VIEW_DIGEST_ID}"[^>]*>([^<]*)</code>`).exec(html);
    expect(match?.[1]).toBe(VIEW);
  });

  it('shows the header: model, context, route, tier, requirement and approvals so far', () => {
    const html = renderReviewPage(data());
    expect(html).toContain('<h1>credit-scorecard</h1>');
    expect(html).toContain('<dd>retail-credit/uk</dd>');
    expect(html).toContain('<span class="badge route-material">material</span>');
    expect(html).toContain('<dd>high</dd>');
    expect(html).toContain('<dd>3 approvals by distinct holders of model-risk</dd>');
    expect(html).toContain('<li>dan@bank.example (model-risk)</li>');
    expect(html).toContain('<li>first promotion of credit-scorecard</li>');
  });

  it('offers Approve and a Reject form with a required reason, wired by data attributes', () => {
    const html = renderReviewPage(data());
    const wiring = `data-draft="draft-3f2a" data-view="${VIEW}" data-rp-id="signet.example"`;
    expect(html).toContain(`<button type="button" class="approve" data-signet-action="approve" ${wiring}`);
    expect(html).toContain(`<form class="reject-form" method="post" data-signet-action="reject" ${wiring}>`);
    expect(html).toContain('<label for="reject-reason">Reason for rejecting</label>');
    expect(html).toMatch(/<textarea id="reject-reason" name="reason" required/);
    expect(html).toContain('<script src="/assets/passkey.js" defer></script>');
    expect(html).toContain('<p id="signet-status" class="status" role="status" aria-live="polite"></p>');
    expect(html).toContain('<noscript>');
  });

  it.each([
    ['sealed', 'Sealed: the approvals met the requirement'],
    ['rejected', 'Rejected as entry'],
  ] as const)('shows a %s draft with its entry, and no buttons', (status, text) => {
    const html = renderReviewPage(data({}, { status, closedBy: ENTRY, closedReason: 'KS too low' }));
    expect(html).toContain(text);
    expect(html).toContain(`<a href="/ledger/sha256%3A${'e'.repeat(64)}"><code>${ENTRY}</code></a>`);
    expect(html).not.toContain('data-signet-action');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<textarea');
    expect(html.includes('KS too low')).toBe(status === 'rejected');
  });

  it('tells the requester they cannot approve their own request, with no buttons', () => {
    const html = renderReviewPage(data({ identity: 'alice@bank.example' }));
    expect(html).toContain('you cannot approve your own request');
    expect(html).not.toContain('data-signet-action');
    expect(html).not.toContain('<script');
  });

  it('has no buttons for someone who already approved, or who is not signed in', () => {
    const approved = renderReviewPage(data({ identity: 'dan@bank.example' }));
    expect(approved).toContain('You have approved this draft.');
    expect(approved).not.toContain('data-signet-action');
    const html = renderReviewPage({ rpId: 'signet.example', draft });
    expect(html).toContain('<a href="/signin?next=%2Fdrafts%2Fdraft-3f2a">Sign in</a> to approve or reject');
    expect(html).not.toContain('data-signet-action');
  });

  it('names a feature-pipeline promotion', () => {
    expect(renderReviewPage(data({}, { kind: 'pipeline' }))).toContain(
      'Review of a feature-pipeline promotion',
    );
  });
});
