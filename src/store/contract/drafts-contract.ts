// The Drafts port's contract, run over every adapter.
import { afterEach, describe, expect, it } from 'vitest';

import { digestOfBytes, type Digest } from '../../signing/digest.js';
import type { DraftRow, Drafts } from '../drafts.js';

export interface DraftsContractSubject {
  /** New, empty drafts. */
  open(): Promise<Drafts>;
  /** After each test. */
  cleanup?(): Promise<void>;
}

const digest = (text: string): Digest => digestOfBytes(new TextEncoder().encode(text));

function draftRow(id: string, createdAt: string, overrides: Partial<DraftRow> = {}): DraftRow {
  return {
    id,
    status: 'open',
    inputs: digest(`inputs ${id}`),
    view: digest(`view ${id}`),
    requester: 'alice@example.com',
    model: 'fraud',
    context: 'eu-prod',
    route: 'material',
    tier: 'high',
    requestSignature: digest(`signature ${id}`),
    createdAt,
    ...overrides,
  };
}

export function describeDraftsContract(name: string, subject: DraftsContractSubject): void {
  describe(`Drafts contract: ${name}`, () => {
    afterEach(async () => {
      await subject.cleanup?.();
    });

    it('stores a registration per kind and digest, and a second put replaces it', async () => {
      const drafts = await subject.open();
      const model = digest('model');
      expect(await drafts.findRegistration('model', model)).toBeUndefined();
      await drafts.putRegistration({
        kind: 'model',
        digest: model,
        name: 'fraud',
        registration: digest('r1'),
      });
      await drafts.putRegistration({
        kind: 'dataset',
        digest: model,
        name: 'eval',
        registration: digest('r2'),
      });
      expect(await drafts.findRegistration('model', model)).toEqual({
        kind: 'model',
        digest: model,
        name: 'fraud',
        registration: digest('r1'),
      });
      await drafts.putRegistration({
        kind: 'model',
        digest: model,
        name: 'fraud-v2',
        registration: digest('r3'),
      });
      expect(await drafts.findRegistration('model', model)).toMatchObject({
        name: 'fraud-v2',
        registration: digest('r3'),
      });
      expect(await drafts.findRegistration('dataset', model)).toMatchObject({ name: 'eval' });
    });

    it('creates, reads, lists and closes drafts; a draft closes once', async () => {
      const drafts = await subject.open();
      const b = draftRow('draft-b', '2026-03-01T10:00:02.000Z');
      const a = draftRow('draft-a', '2026-03-01T10:00:01.000Z', { route: 'low', tier: 'low' });
      const c = draftRow('draft-c', '2026-03-01T10:00:03.000Z');
      for (const row of [b, a, c]) await drafts.createDraft(row);
      expect(await drafts.getDraft('draft-a')).toEqual(a);
      expect(await drafts.getDraft('nope')).toBeUndefined();
      expect((await drafts.listDrafts()).map((d) => d.id)).toEqual(['draft-a', 'draft-b', 'draft-c']);

      const sealedBy = digest('entry');
      expect(await drafts.closeDraft('draft-b', 'sealed', sealedBy)).toBe(true);
      expect(await drafts.closeDraft('draft-b', 'rejected', digest('other'))).toBe(false);
      expect(await drafts.closeDraft('nope', 'sealed', sealedBy)).toBe(false);
      expect(await drafts.getDraft('draft-b')).toEqual({ ...b, status: 'sealed', closedBy: sealedBy });
      expect((await drafts.listDrafts({ status: 'open' })).map((d) => d.id)).toEqual(['draft-a', 'draft-c']);
      expect((await drafts.listDrafts({ status: 'sealed' })).map((d) => d.id)).toEqual(['draft-b']);
      expect(await drafts.listDrafts({ status: 'rejected' })).toEqual([]);
    });

    it('refuses a second draft with the same id and keeps the first', async () => {
      const drafts = await subject.open();
      const first = draftRow('draft-x', '2026-03-01T10:00:00.000Z');
      await drafts.createDraft(first);
      await expect(drafts.createDraft({ ...first, requester: 'mallory@example.com' })).rejects.toThrow();
      expect(await drafts.getDraft('draft-x')).toEqual(first);
    });

    it('records one approval per identity, replaced by a second, listed by identity', async () => {
      const drafts = await subject.open();
      await drafts.createDraft(draftRow('draft-1', '2026-03-01T10:00:00.000Z'));
      const approval = { decision: 'approve', roles: ['risk'], n: 1.5, nested: { z: 1, a: [true, null] } };
      await drafts.putApproval({ draft: 'draft-1', identity: 'zoe', view: digest('v1'), approval });
      await drafts.putApproval({ draft: 'draft-1', identity: 'bob', view: digest('v1'), approval: { a: 1 } });
      await drafts.putApproval({ draft: 'draft-1', identity: 'bob', view: digest('v2'), approval: { a: 2 } });
      expect(await drafts.listApprovals('draft-1')).toEqual([
        { draft: 'draft-1', identity: 'bob', view: digest('v2'), approval: { a: 2 } },
        { draft: 'draft-1', identity: 'zoe', view: digest('v1'), approval },
      ]);
      expect(await drafts.listApprovals('draft-2')).toEqual([]);
    });
  });
}
