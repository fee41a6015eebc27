// Which open drafts wait for whom, by the rule alone (the store and the authority faked): open, not the
// person's own, not approved by them on the current view, and a role the route needs held for that model;
// a draft whose requirement could not be read counts as theirs.
import { describe, expect, it } from 'vitest';

import type { AuthorityState } from '../authority/state.js';
import type { Digest } from '../signing/digest.js';
import type { DraftRow, StoredApproval } from '../store/drafts.js';
import type { Home } from './home.js';
import { draftFor, type WaitingContext } from './inbox.js';

const D = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;

const row: DraftRow = {
  id: 'draft-0000000000000001',
  status: 'open',
  inputs: D('1'),
  view: D('2'),
  requester: 'alice',
  model: 'credit',
  context: 'retail-credit/uk',
  route: 'material',
  tier: 'high',
  requestSignature: D('3'),
  createdAt: '2026-11-29T09:00:00.000Z',
};

/** A home whose drafts store knows `approvals` only (nothing else is read when `needs` is given). */
const homeWith = (approvals: Partial<StoredApproval>[] = []): Home =>
  ({ drafts: { listApprovals: async () => approvals } }) as unknown as Home;

/** An authority in which `identity` holds `role` for `model` (and nothing else). */
const holding = (identity: string, role: string, model: string): WaitingContext => ({
  authority: {
    grantAt: (who: string, r: string, m: string | undefined) =>
      who === identity && r === role && m === model ? { role } : undefined,
  } as unknown as AuthorityState,
  position: { size: 10, time: '2026-11-29T10:00:00.000Z' },
});

const committee = { name: 'credit', roles: ['model-risk-committee'] };

describe('draftFor', () => {
  it('waits for someone holding a role the route needs for that model', async () => {
    const context = holding('dana', 'model-risk-committee', 'credit');
    expect(await draftFor(homeWith(), row, 'dana', context, committee)).toBe('waiting');
  });

  it('needs another role when the person holds none of them, or holds it for another model', async () => {
    expect(await draftFor(homeWith(), row, 'dana', holding('dana', 'approver', 'credit'), committee)).toBe(
      'needs-another-role',
    );
    expect(
      await draftFor(homeWith(), row, 'dana', holding('dana', 'model-risk-committee', 'fraud'), committee),
    ).toBe('needs-another-role');
  });

  it('never waits for its requester, once closed, or once they approved its current view', async () => {
    const context = holding('alice', 'model-risk-committee', 'credit');
    expect(await draftFor(homeWith(), row, 'alice', context, committee)).toBe('not-waiting');
    const dana = holding('dana', 'model-risk-committee', 'credit');
    expect(await draftFor(homeWith(), { ...row, status: 'sealed' }, 'dana', dana, committee)).toBe(
      'not-waiting',
    );
    expect(
      await draftFor(homeWith([{ identity: 'dana', view: row.view }]), row, 'dana', dana, committee),
    ).toBe('not-waiting');
    // An approval of an earlier view does not count: the document changed since.
    expect(await draftFor(homeWith([{ identity: 'dana', view: D('9') }]), row, 'dana', dana, committee)).toBe(
      'waiting',
    );
  });

  it('a draft whose requirement could not be read counts as theirs (its review page shows why)', async () => {
    const nobody = holding('nobody', 'approver', 'credit');
    expect(await draftFor(homeWith(), row, 'dana', nobody, { name: 'credit', roles: undefined })).toBe(
      'waiting',
    );
  });
});
