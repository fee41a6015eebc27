// A model promotion end to end through the built `signet` executable, in temporary homes: register,
// propose, review, approve (sealed), gate, show, replay, verify; one error listing every problem of a bad
// proposal; rejection; the review document byte-identical across time zones and locales; and the attacks
// (unbound and stolen keys, self-approval, a revoked role, a replayed approval, a forged log signature,
// an object changed in the store, no promotion, another context, a revoked promotion, a changed artefact).
import { chmod, copyFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { approvalStatementDigest } from '../src/promotion/draft.js';
import type { Approval, ApprovalStatement } from '../src/promotion/types.js';
import type { Digest } from '../src/signing/digest.js';
import { ledgerSize, objectCount, overwriteObject, rewriteEntry } from './helpers/at-rest.js';
import { expectNoStackTrace } from './helpers/cli.js';
import type { RunResult } from './helpers/dist.js';
import {
  CONTEXT,
  DATASET_LABEL,
  DATASET_ROWS,
  MODEL_NAME,
  REQUEST_MARKDOWN,
  createPromotionFixture,
  sha256Digest,
  PromotionFixture,
} from './helpers/promotion-fixture.js';

/** Proposed by alice, not yet approved. */
let proposed: PromotionFixture;
/** A copy of `proposed` that bob approved: the promotion is sealed at `sealedIndex`. */
let sealed: PromotionFixture;
let sealedEntry: string;
let sealedIndex: number;
const clones: PromotionFixture[] = [];

beforeAll(async () => {
  proposed = await createPromotionFixture();
  sealed = await cloneFixture(proposed);
  const approved = await sealed.json<{ sealed: { entry: string; index: number } }>([
    'approve',
    sealed.proposal.draft,
    '--as',
    'bob',
  ]);
  sealedEntry = approved.sealed.entry;
  sealedIndex = approved.sealed.index;
});

afterAll(async () => {
  await Promise.all([...clones, proposed, sealed].filter(Boolean).map((fx) => fx.cleanup()));
});

/** A copy of the fixture's home (its database too, on PostgreSQL). */
async function cloneFixture(fixture: PromotionFixture): Promise<PromotionFixture> {
  return new PromotionFixture(await fixture.home.clone(), fixture.registered, fixture.proposal);
}

/** An independent home to mutate. */
async function copyOf(fixture: PromotionFixture): Promise<PromotionFixture> {
  const copy = await cloneFixture(fixture);
  clones.push(copy);
  return copy;
}

/** A command that must answer "no" (exit 1) or fail on bad input (exit 2) with `code`, and no stack. */
function expectRefused(result: RunResult, exit: 1 | 2, code?: string): void {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(exit);
  if (code !== undefined) expect(result.stderr).toContain(`[${code}]`);
  expect(result.stderr).not.toContain('internal error');
  expectNoStackTrace(result);
}

/** A gate (or replay) that answers "no": exit 1, the reasons with their codes on standard output. */
function expectDenied(result: RunResult, code: string): void {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
  expect(result.stdout).toContain(`[${code}]`);
  expectNoStackTrace(result);
}

async function fileDigest(file: string): Promise<string> {
  return sha256Digest(await readFile(file));
}

interface DeploymentEntry {
  index: number;
  kind: string;
  statement: {
    predicate: {
      decision: string;
      model: string;
      context: string;
      promotion?: string;
      reasons: { code: string }[];
    };
  };
}

describe('a promotion, step by step', () => {
  it('register, propose, review, approve (sealed), gate, show, replay, verify', async () => {
    const fx = await copyOf(proposed);
    const { registered, proposal, files } = fx;

    // register: digests and the CSV's row count.
    expect(registered.modelOutput).toContain(`${registered.candidate}  model ${MODEL_NAME}`);
    expect(registered.datasetOutput).toContain(`dataset "${DATASET_LABEL}" (csv, ${DATASET_ROWS} rows)`);
    expect(registered.candidate).not.toBe(registered.incumbent);

    // propose: prints the draft id (and the view); --json gave the fixture's draft and view digest.
    const text = await fx.ok(fx.proposeArgs());
    expect(text).toMatch(/^draft-[0-9a-f]{16}\n {2}view sha256:[0-9a-f]{64}\n/);
    expect(proposal.draft).toMatch(/^draft-[0-9a-f]{16}$/);
    expect(proposal.view).toMatch(/^sha256:[0-9a-f]{64}$/);

    // review -o: the exact bytes of the view, stored before anyone approved.
    const reviewFile = path.join(fx.root, 'review.html');
    await fx.ok(['review', proposal.draft, '-o', reviewFile]);
    expect(await fileDigest(reviewFile)).toBe(proposal.view);
    const html = await readFile(reviewFile, 'utf8');
    expect(html).toContain('Thin-file applicants');
    expect(html).toContain(registered.candidate);

    // approve by bob: one approval is enough on the default route, and it seals.
    const approved = await fx.json<{
      approved: boolean;
      valid: number;
      required: number;
      sealed?: { entry: string; index: number };
    }>(['approve', proposal.draft, '--as', 'bob']);
    expect(approved).toMatchObject({ approved: true, valid: 1, required: 1 });
    expect(approved.sealed?.entry).toMatch(/^sha256:[0-9a-f]{64}$/);
    const entry = approved.sealed!.entry;

    // gate by the candidate folder's path: hashed here, allowed.
    const gate = await fx.run(['gate', '--model', files.candidate, '--context', CONTEXT]);
    expect(gate.code, gate.stderr).toBe(0);
    expect(gate.stdout).toContain(`allow: ${registered.candidate} in ${CONTEXT} (promotion ${entry})`);

    // show: the six sealed fields, and that they verify.
    const shown = await fx.ok(['show', entry]);
    expect(shown).toContain(`1 model       ${MODEL_NAME} ${registered.candidate}`);
    expect(shown).toContain(`2 challenger  baseline ${registered.incumbent}`);
    expect(shown).toContain('auc: 0.81 vs 0.79');
    expect(shown).toMatch(/3 request {5}sha256:[0-9a-f]{64} by alice/);
    expect(shown).toContain('4 approvals   bob (approver, grant sha256:');
    expect(shown).toMatch(
      /5 explanations importance\.svg svg sha256:\S+; shap-values\.json shap-json sha256:/,
    );
    expect(shown).toContain(`6 dataset     "${DATASET_LABEL}" ${registered.dataset} (${DATASET_ROWS} rows)`);
    expect(shown).toContain(`view        ${proposal.view}`);
    expect(shown).toContain('verification: ok');
    const json = await fx.json<{ verified: boolean; promotion: Record<string, unknown> }>(['show', entry]);
    expect(json.verified).toBe(true);
    for (const field of ['model', 'challenger', 'request', 'approvals', 'explanations', 'dataset']) {
      expect(json.promotion, field).toHaveProperty(field);
    }

    // replay -o: identical, and the written review document is the view.
    const out = path.join(fx.root, 'replay');
    const replayed = await fx.ok(['replay', entry, '-o', out]);
    expect(replayed).toContain(`identical: the review document re-renders to ${proposal.view}`);
    expect(await fileDigest(path.join(out, 'review.html'))).toBe(proposal.view);

    await fx.ok(['verify']);
  });

  it('a proposal with several things wrong is refused with one error listing each problem', async () => {
    const fx = proposed;
    const dir = await mkdtemp(path.join(tmpdir(), 'signet-bad-proposal-'));
    try {
      const metrics = path.join(dir, 'metrics.json');
      const otherDataset = `sha256:${'ab'.repeat(32)}`;
      await writeFile(
        metrics,
        JSON.stringify({ dataset: otherDataset, candidate: { auc: 0.8 }, challenger: { auc: 0.7 } }),
      );
      const request = path.join(dir, 'request.md');
      await writeFile(request, REQUEST_MARKDOWN.replace(/(## Scope\n)[^\n]+\n/, '$1\n'));
      const notes = path.join(dir, 'notes.txt');
      await writeFile(notes, 'feature importance: income, then age\n');
      const unregistered = `sha256:${'cd'.repeat(32)}`;
      const args = fx.proposeArgs({
        model: unregistered,
        metrics,
        request,
        explanations: [fx.files.svg, notes],
      });

      const before = await objectCount(fx.home);
      const result = await fx.run([...args, '--json']);
      expectRefused(result, 2, 'INVALID_ARGUMENT');
      const error = (
        JSON.parse(result.stdout) as {
          error: { code: string; details: { problems: { source: string; message: string }[] } };
        }
      ).error;
      expect(error.code).toBe('INVALID_ARGUMENT');
      const problems = error.details.problems;
      expect(problems.length).toBeGreaterThanOrEqual(4);
      const about = (source: string, text: string): boolean =>
        problems.some((p) => p.source === source && p.message.includes(text));
      expect(about('--model', 'is not registered'), JSON.stringify(problems)).toBe(true);
      expect(about('--dataset', otherDataset), JSON.stringify(problems)).toBe(true);
      expect(about('--request', 'is empty'), JSON.stringify(problems)).toBe(true);
      expect(about('--explanation notes.txt', 'is not a PNG'), JSON.stringify(problems)).toBe(true);
      // One error, in human form too, naming each problem.
      expect(result.stderr.match(/signet: error/g)).toHaveLength(1);
      expect(result.stderr).toContain(`the proposal has ${problems.length} problems`);
      expect(result.stderr).toContain('section "Scope"');
      // Every input is checked before anything is stored.
      expect(await objectCount(fx.home)).toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the gate appends a deployment entry before answering, for allow and deny alike', async () => {
    const fx = await copyOf(sealed);
    const { registered } = fx;
    const size = await ledgerSize(fx.home);

    const allow = await fx.run(['gate', '--model', registered.candidate, '--context', CONTEXT, '--json']);
    expect(allow.code, allow.stderr).toBe(0);
    const allowed = JSON.parse(allow.stdout) as {
      allow: boolean;
      deploymentIndex: number;
      promotion: string;
    };
    expect(allowed).toMatchObject({ allow: true, deploymentIndex: size, promotion: sealedEntry });
    expect(await ledgerSize(fx.home)).toBe(size + 1);
    const allowEntry = await fx.json<DeploymentEntry>(['log', 'entry', String(size)]);
    expect(allowEntry.kind).toBe('deployment');
    expect(allowEntry.statement.predicate).toMatchObject({
      decision: 'allow',
      model: registered.candidate,
      context: CONTEXT,
      promotion: sealedEntry,
    });

    const deny = await fx.run(['gate', '--model', registered.incumbent, '--context', CONTEXT]);
    expectDenied(deny, 'NO_PROMOTION');
    expect(deny.stdout).toContain(`deployment entry ${size + 1}`);
    expect(await ledgerSize(fx.home)).toBe(size + 2);
    const denyEntry = await fx.json<DeploymentEntry>(['log', 'entry', String(size + 1)]);
    expect(denyEntry.kind).toBe('deployment');
    expect(denyEntry.statement.predicate.decision).toBe('deny');
    expect(denyEntry.statement.predicate.reasons.map((r) => r.code)).toEqual(['NO_PROMOTION']);

    // A third call, by path this time: one more entry.
    const again = await fx.run(['gate', '--model', fx.files.candidate, '--context', 'retail-credit/de']);
    expectDenied(again, 'WRONG_CONTEXT');
    expect(await ledgerSize(fx.home)).toBe(size + 3);
    await fx.ok(['verify']);
  });

  it('reject appends a rejection entry, and the draft can no longer be approved', async () => {
    const fx = await copyOf(proposed);
    const { draft } = fx.proposal;
    const size = await ledgerSize(fx.home);
    const rejected = await fx.ok(['reject', draft, '--as', 'bob', '--reason', 'the KS gain is within noise']);
    expect(rejected).toContain(`rejected: entry ${size} sha256:`);
    const entry = await fx.json<{
      kind: string;
      statement: { predicate: { draft: string; reason: string; actor: { identity: string } } };
    }>(['log', 'entry', String(size)]);
    expect(entry.kind).toBe('rejection');
    expect(entry.statement.predicate).toMatchObject({
      draft,
      reason: 'the KS gain is within noise',
      actor: { identity: 'bob' },
    });

    const approve = await fx.run(['approve', draft, '--as', 'carol']);
    expectRefused(approve, 2, 'DRAFT_CLOSED');
    const again = await fx.run(['reject', draft, '--as', 'carol', '--reason', 'twice']);
    expectRefused(again, 2, 'DRAFT_CLOSED');
    const gate = await fx.run(['gate', '--model', fx.registered.candidate, '--context', CONTEXT]);
    expectDenied(gate, 'NO_PROMOTION');
  });

  it('the review document is byte-identical across processes with other time zones and locales', async () => {
    const fx = await copyOf(sealed);
    const { draft, view } = fx.proposal;
    const a = path.join(fx.root, 'a.html');
    const b = path.join(fx.root, 'b.html');
    await fx.ok(['review', draft, '-o', a], {
      TZ: 'Pacific/Chatham',
      LANG: 'de_DE.UTF-8',
      LC_ALL: 'de_DE.UTF-8',
    });
    await fx.ok(['review', draft, '-o', b], { TZ: 'UTC', LANG: 'C', LC_ALL: 'C' });
    const bytesA = await readFile(a);
    expect(bytesA.equals(await readFile(b))).toBe(true);
    expect(sha256Digest(bytesA)).toBe(view);

    // Re-rendered from the sealed inputs in a fresh process, under yet another zone and locale.
    for (const env of [
      { TZ: 'Pacific/Chatham', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' },
      { TZ: 'America/St_Johns', LANG: 'ar_EG.UTF-8', LC_ALL: 'ar_EG.UTF-8' },
    ]) {
      const replayed = await fx.ok(['replay', String(sealedIndex)], env);
      expect(replayed).toContain(`identical: the review document re-renders to ${view}`);
    }
  });
});

// Each test below mutates its own copy of a home, so they run side by side.
describe.concurrent('attacks on approvals', () => {
  it('an approval with a key that was never bound to its identity is refused (KEY_NOT_BOUND)', async () => {
    const fx = await copyOf(proposed);
    // dave has a key on disk but no identity-key entry; the admin cannot even grant him a role.
    await fx.ok(['keys', 'create', '--identity', 'dave']);
    const grant = await fx.run([
      'roles',
      'grant',
      'dave',
      'approver',
      '--model',
      MODEL_NAME,
      '--as',
      'admin',
    ]);
    expectRefused(grant, 2);
    const size = await ledgerSize(fx.home);
    const result = await fx.run(['approve', fx.proposal.draft, '--as', 'dave']);
    expectRefused(result, 1, 'KEY_NOT_BOUND');
    expect(await ledgerSize(fx.home)).toBe(size);
  });

  it("an approval signed with another identity's key is refused", async () => {
    const fx = await copyOf(proposed);
    // carol is bound to her own key and holds the approver role; her key file now holds bob's key.
    await chmod(fx.privateKey('carol'), 0o600);
    await copyFile(fx.privateKey('bob'), fx.privateKey('carol'));
    const result = await fx.run(['approve', fx.proposal.draft, '--as', 'carol']);
    expectRefused(result, 1, 'KEY_NOT_BOUND');
    expect(result.stderr).toContain('is not bound to carol');
    // Nothing was recorded: bob can still approve, and his is the only approval sealed.
    const approved = await fx.json<{ valid: number; sealed?: { entry: string } }>([
      'approve',
      fx.proposal.draft,
      '--as',
      'bob',
    ]);
    expect(approved.valid).toBe(1);
    const shown = await fx.json<{ promotion: { approvals: { identity: { subject: string } }[] } }>([
      'show',
      approved.sealed!.entry,
    ]);
    expect(shown.promotion.approvals.map((a) => a.identity.subject)).toEqual(['bob']);
  });

  it('the requester cannot approve their own promotion, even holding the approver role (SELF_APPROVAL)', async () => {
    const fx = await copyOf(proposed);
    await fx.ok(['roles', 'grant', 'alice', 'approver', '--model', MODEL_NAME, '--as', 'admin']);
    const result = await fx.run(['approve', fx.proposal.draft, '--as', 'alice']);
    expectRefused(result, 1, 'SELF_APPROVAL');
  });

  it('an approver whose role was revoked can no longer approve (NOT_AUTHORISED)', async () => {
    const fx = await copyOf(proposed);
    await fx.ok(['roles', 'revoke', 'bob', 'approver', '--model', MODEL_NAME, '--as', 'admin']);
    const result = await fx.run(['approve', fx.proposal.draft, '--as', 'bob']);
    expectRefused(result, 1, 'NOT_AUTHORISED');
  });

  it("bob's sealed approval, replayed onto another draft, is refused", async () => {
    const fx = await copyOf(sealed);
    const shown = await fx.json<{ promotion: { approvals: Approval[] } }>(['show', sealedEntry]);
    const approval = shown.promotion.approvals[0]!;
    expect(approval.identity.subject).toBe('bob');
    const file = path.join(fx.root, 'approval.json');
    await writeFile(file, JSON.stringify(approval));

    const second = await fx.propose();
    expect(second.draft).not.toBe(fx.proposal.draft);
    const size = await ledgerSize(fx.home);
    const result = await fx.run(['approve', second.draft, '--as', 'bob', '--approval', file]);
    expectRefused(result, 1, 'BAD_SIGNATURE');
    expect(result.stderr).toContain('about another decision');
    expect(await ledgerSize(fx.home)).toBe(size);
  });

  it('a relayed approval whose authority claims were rewritten (roles, grant, key, issuer) is refused', async () => {
    const fx = await copyOf(proposed);
    // bob approves the same draft in a copy of the home: his genuine approval, as it would travel as a file.
    const elsewhere = await copyOf(proposed);
    const approved = await elsewhere.json<{ sealed: { entry: string } }>([
      'approve',
      elsewhere.proposal.draft,
      '--as',
      'bob',
    ]);
    const shown = await elsewhere.json<{ promotion: { approvals: Approval[] } }>([
      'show',
      approved.sealed.entry,
    ]);
    const genuine = shown.promotion.approvals[0]!;
    expect(genuine.roles).toEqual(['approver']);
    // None of these fields is covered by bob's signature; each must be checked against the log.
    const tampered: Record<string, Approval> = {
      roles: { ...genuine, roles: ['admin', 'model-risk-committee'] },
      grant: { ...genuine, grant: genuine.key },
      key: { ...genuine, key: genuine.grant },
      issuer: { ...genuine, identity: { ...genuine.identity, issuer: 'https://idp.bank.example' } },
    };
    const size = await ledgerSize(fx.home);
    for (const [field, approval] of Object.entries(tampered)) {
      const file = path.join(fx.root, `tampered-${field}.json`);
      await writeFile(file, JSON.stringify(approval));
      const result = await fx.run(['approve', fx.proposal.draft, '--as', 'bob', '--approval', file]);
      expect(result.code, `a rewritten ${field} was accepted:\n${result.stdout}`).toBe(1);
      expectRefused(result, 1);
      expect(await ledgerSize(fx.home), field).toBe(size);
    }
    // The genuine approval, relayed unchanged, seals.
    const file = path.join(fx.root, 'genuine.json');
    await writeFile(file, JSON.stringify(genuine));
    const sealedHere = await fx.json<{ sealed?: { entry: string } }>([
      'approve',
      fx.proposal.draft,
      '--as',
      'bob',
      '--approval',
      file,
    ]);
    expect(sealedHere.sealed?.entry).toMatch(/^sha256:/);
  });

  it('a submitted approval without a signature is refused with a coded error, not an internal error', async () => {
    const fx = await copyOf(sealed);
    const shown = await fx.json<{ promotion: { approvals: Approval[] } }>(['show', sealedEntry]);
    const second = await fx.propose();
    // bob's statement retargeted to the new draft and view, its digest recomputed, the signature dropped.
    const approval = shown.promotion.approvals[0]!;
    const statementBody: ApprovalStatement = {
      ...approval.statementBody,
      draft: second.draft,
      view: second.view as Digest,
    };
    const forged: Record<string, unknown> = {
      ...approval,
      statementBody,
      statement: approvalStatementDigest(statementBody),
    };
    delete forged['signature'];
    const file = path.join(fx.root, 'unsigned.json');
    await writeFile(file, JSON.stringify(forged));
    const result = await fx.run(['approve', second.draft, '--as', 'bob', '--approval', file]);
    expect(result.stderr).not.toContain('internal error');
    const code = /\[([A-Z_]+)\]/.exec(result.stderr)?.[1] ?? '';
    expect(code, result.stderr).toMatch(/^(BAD_SIGNATURE|INVALID_JSON)$/);
    expectRefused(result, code === 'BAD_SIGNATURE' ? 1 : 2, code);
  });
});

describe.concurrent('the gate refuses', () => {
  it('a promotion entry whose log signature was forged; verify fails too', async () => {
    const fx = await copyOf(sealed);
    // One bit of the log's signature flipped in the stored entry, the append-only guard out of the way.
    await rewriteEntry(fx.home, sealedIndex, (envelope) => {
      const text = envelope.toString('utf8');
      const sig = (JSON.parse(text) as { signatures: { sig: string }[] }).signatures[0]!.sig;
      const flipped = Buffer.from(sig, 'base64');
      flipped.writeUInt8(flipped.readUInt8(10) ^ 0x01, 10);
      const forged = text.replace(sig, flipped.toString('base64'));
      expect(forged).not.toBe(text);
      return Buffer.from(forged, 'utf8');
    });
    const size = await ledgerSize(fx.home);
    const gate = await fx.run(['gate', '--model', fx.files.candidate, '--context', CONTEXT]);
    expectDenied(gate, 'BAD_SIGNATURE');
    expect(gate.stdout).toMatch(/^deny: /);
    expect(await ledgerSize(fx.home)).toBe(size + 1);
    expectRefused(await fx.run(['verify']), 1);
    expectRefused(await fx.run(['show', String(sealedIndex)]), 1, 'BAD_SIGNATURE');
  });

  it('an object changed in the store after sealing: replay names the digest, the gate denies', async () => {
    const fx = await copyOf(sealed);
    const shown = await fx.json<{ promotion: { explanations: { kind: string; digest: string }[] } }>([
      'show',
      sealedEntry,
    ]);
    const shap = shown.promotion.explanations.find((e) => e.kind === 'shap-json')!.digest;
    await overwriteObject(fx.home, shap, () =>
      Buffer.from(JSON.stringify({ feature_names: ['age', 'income', 'utilisation'], values: [[0, 0, 9]] })),
    );

    const out = path.join(fx.root, 'replay');
    const replay = await fx.run(['replay', sealedEntry, '-o', out]);
    expectDenied(replay, 'DIGEST_MISMATCH');
    expect(replay.stdout).toContain(shap);
    const gate = await fx.run(['gate', '--model', fx.registered.candidate, '--context', CONTEXT]);
    expectDenied(gate, 'DIGEST_MISMATCH');
    expect(gate.stdout).toContain(shap);
    const verify = await fx.run(['verify']);
    expectRefused(verify, 1, 'DIGEST_MISMATCH');
  });

  it('a model with no promotion (NO_PROMOTION)', async () => {
    const fx = await copyOf(sealed);
    const result = await fx.run(['gate', '--model', fx.files.incumbent, '--context', CONTEXT]);
    expectDenied(result, 'NO_PROMOTION');
    expect(result.stdout).toContain(`deny: ${fx.registered.incumbent}`);
  });

  it('a model promoted for another deployment context (WRONG_CONTEXT)', async () => {
    const fx = await copyOf(sealed);
    const result = await fx.run([
      'gate',
      '--model',
      fx.registered.candidate,
      '--context',
      'retail-credit/ie',
    ]);
    expectDenied(result, 'WRONG_CONTEXT');
    expect(result.stdout).toContain(`promoted for ${CONTEXT}, not for retail-credit/ie`);
  });

  it('a revoked promotion (REVOKED)', async () => {
    const fx = await copyOf(sealed);
    const revoked = await fx.ok([
      'revoke',
      sealedEntry,
      '--as',
      'bob',
      '--reason',
      'a data leak in training',
    ]);
    expect(revoked).toMatch(/^revoked: entry \d+ sha256:[0-9a-f]{64}\n$/);
    const result = await fx.run(['gate', '--model', fx.registered.candidate, '--context', CONTEXT]);
    expectDenied(result, 'REVOKED');
    const again = await fx.run(['revoke', sealedEntry, '--as', 'bob', '--reason', 'again']);
    expectRefused(again, 2, 'DRAFT_CLOSED');
  });

  it('an artefact with one changed byte', async () => {
    const fx = await copyOf(sealed);
    const changed = path.join(fx.root, 'changed-candidate');
    await cp(fx.files.candidate, changed, { recursive: true });
    const file = path.join(changed, 'model.json');
    const bytes = await readFile(file);
    bytes[bytes.indexOf('5'.charCodeAt(0))] = '6'.charCodeAt(0);
    await writeFile(file, bytes);
    const result = await fx.run(['gate', '--model', changed, '--context', CONTEXT]);
    expectDenied(result, 'NO_PROMOTION');
    expect(result.stdout).toMatch(/^deny: sha256:[0-9a-f]{64} in /);
    expect(result.stdout).not.toContain(fx.registered.candidate);
    // The untouched folder is still allowed.
    const original = await fx.run(['gate', '--model', fx.files.candidate, '--context', CONTEXT]);
    expect(original.code, original.stderr).toBe(0);
  });
});
