import { describe, expect, it } from 'vitest';

import {
  isVerified,
  renderEventPage,
  type EventApproval,
  type ModelPromotionEvent,
  type PipelinePromotionEvent,
} from './event.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

function omit<T extends object, K extends keyof T>(value: T, ...keys: readonly K[]): Omit<T, K> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k as K))) as Omit<T, K>;
}
const VIEW = D('b');
const identity = { issuer: 'signet:bank.example/log', subject: 'bob@bank.example', name: 'Bob' };

const approval: EventApproval = {
  identity,
  roles: ['model-risk'],
  grant: D('3'),
  key: D('4'),
  statement: D('5'),
  signature: { scheme: 'webauthn', keyId: D('6') },
  verification: {
    signature: { ok: true },
    authority: { ok: true, detail: 'model-risk at 41 and at the seal' },
  },
};

const event: ModelPromotionEvent = {
  kind: 'model-promotion',
  entry: { index: 42, id: D('1'), time: '2026-11-02T09:15:00.000Z' },
  route: { materiality: 'material', tier: 'high', reasons: ['first promotion'], policy: D('7') },
  context: 'retail-credit/uk',
  previous: D('8'),
  request: { document: D('9'), author: { issuer: 'signet:bank.example/log', subject: 'alice@bank.example' } },
  approvals: [approval],
  view: { digest: VIEW, renderer: 'signet-review/1' },
  verification: {
    logSignature: { ok: true },
    inclusion: { ok: true, checkpointSize: 57, rootHash: 'q83vEjRWeJA=' },
    request: { ok: true },
    objects: { ok: true },
    reasons: [],
  },
  replay: { rendered: true, identical: true },
  model: {
    name: 'credit-scorecard',
    digest: D('a'),
    class: 'logistic-regression',
    hyperparameterFamily: 'glm-l2',
    inputContract: D('c'),
    featurePipeline: D('d'),
  },
  challenger: {
    against: { kind: 'incumbent', digest: D('e'), entry: D('f') },
    evaluationSet: D('0'),
    metrics: {
      candidate: { auc: 0.8123, ks: 0.41, constructor: 1 },
      challenger: { auc: 0.7812, brier: 0.1 },
    },
    report: D('2'),
  },
  explanations: [{ kind: 'shap-json', digest: D('3'), name: 'shap.json', mediaType: 'application/json' }],
  dataset: { label: 'holdout-2026q3', digest: D('0'), rows: 20000, format: 'csv' },
};

describe('the event page of a model promotion', () => {
  const html = renderEventPage(event);

  it('shows the six fields', () => {
    // model
    expect(html).toContain('<h1>credit-scorecard</h1>');
    expect(html).toContain(`<dt>Digest</dt><dd><code>${D('a')}</code></dd>`);
    expect(html).toContain('<dd>logistic-regression</dd>');
    expect(html).toContain(`<dt>Input contract</dt><dd><code>${D('c')}</code></dd>`);
    expect(html).toContain(`<dt>Feature pipeline</dt><dd><a href="/ledger/sha256%3A${'d'.repeat(64)}">`);
    // challenger comparison: candidate, challenger, delta; a missing side is "—"
    expect(html).toContain(
      '<tr><th scope="row">auc</th><td class="num">0.8123</td><td class="num">0.7812</td><td class="num">+0.0311</td></tr>',
    );
    expect(html).toContain(
      '<tr><th scope="row">brier</th><td class="num">—</td><td class="num">0.1000</td><td class="num">—</td></tr>',
    );
    expect(html).toContain(
      '<tr><th scope="row">constructor</th><td class="num">1.0000</td><td class="num">—</td>',
    );
    // request
    expect(html).toContain(`<dt>Document digest</dt><dd><code>${D('9')}</code></dd>`);
    expect(html).toContain('alice@bank.example <span class="muted">(issuer signet:bank.example/log)</span>');
    // approvals
    expect(html).toContain('Bob &lt;bob@bank.example&gt;');
    expect(html).toContain('<dd>model-risk</dd>');
    expect(html).toContain(`<dt>Grant entry</dt><dd><a href="/ledger/sha256%3A${'3'.repeat(64)}">`);
    expect(html).toContain(`<dt>Key entry</dt><dd><a href="/ledger/sha256%3A${'4'.repeat(64)}">`);
    expect(html).toContain('<dt>Signature scheme</dt><dd>webauthn</dd>');
    expect(html).toContain(`<dt>Statement digest</dt><dd><code>${D('5')}</code></dd>`);
    // explanations, dataset
    expect(html).toContain(`<td>shap-json</td><td>application/json</td><td><code>${D('3')}</code></td>`);
    expect(html).toContain('holdout-2026q3 <span class="muted">(a hint; the digest is the identity)</span>');
    expect(html).toContain('<dt>Rows</dt><dd>20000</dd>');
  });

  it('shows the route, the context and the previous promotion', () => {
    expect(html).toContain('<span class="badge route-material">material</span>');
    expect(html).toContain('<li>first promotion</li>');
    expect(html).toContain(`<dt>Policy</dt><dd><code>${D('7')}</code></dd>`);
    expect(html).toContain('<dd>retail-credit/uk</dd>');
    expect(html).toContain(`<dt>Previous promotion</dt><dd><a href="/ledger/sha256%3A${'8'.repeat(64)}">`);
  });

  it('shows the verification: log signature, inclusion against the checkpoint, each approver', () => {
    expect(html).toContain('<strong>Verified.</strong>');
    expect(html).toContain('against the checkpoint of size 57, root hash <code>q83vEjRWeJA=</code>');
    expect(html).toContain(
      '<tr><th scope="row">bob@bank.example</th><td><span class="badge verdict-ok">✓ verified</span></td><td><span class="badge verdict-ok">✓ held</span> <span class="muted">model-risk at 41 and at the seal</span></td></tr>',
    );
  });

  it('replays: the stored screen in a sandboxed iframe, and the comparison', () => {
    expect(html).toContain(`<iframe sandbox src="/views/sha256%3A${'b'.repeat(64)}"`);
    expect(html).toContain('Replayed: <span class="badge verdict-ok">✓ identical</span>');
    expect(html).toContain(`<code id="event-view-digest">${VIEW}</code>`);
    const differs = renderEventPage({
      ...event,
      replay: { rendered: true, identical: false, firstDifference: 1234 },
    });
    expect(differs).toContain('✗ differs at byte 1234');
    expect(renderEventPage({ ...event, replay: { rendered: false, identical: false } })).toContain(
      'could not be rendered again',
    );
    expect(renderEventPage(omit(event, 'replay'))).toContain('Replay was not run for this page.');
  });

  it('lists the reasons when it does not verify', () => {
    const failing = renderEventPage({
      ...event,
      verification: {
        ...event.verification,
        reasons: [{ code: 'NOT_AUTHORISED', message: 'bob held no role' }],
      },
    });
    expect(failing).toContain('<strong>Not verified.</strong>');
    expect(failing).toContain('<li><code>NOT_AUTHORISED</code> bob held no role</li>');
    expect(failing).not.toContain('<strong>Verified.</strong>');
  });

  it('fails closed: a failed check with no reason still reads "not verified", with its detail', () => {
    const bad = {
      ...approval,
      verification: { ...approval.verification, authority: { ok: false, detail: 'grant revoked at 40' } },
    };
    expect(isVerified(event.verification, [bad])).toBe(false);
    const failing = renderEventPage({ ...event, approvals: [bad] });
    expect(failing).toContain('<strong>Not verified.</strong>');
    expect(failing).toContain('<li>authority of bob@bank.example: grant revoked at 40</li>');
    const inclusion = { ...event.verification, inclusion: { ...event.verification.inclusion, ok: false } };
    expect(isVerified(inclusion, [approval])).toBe(false);
    expect(renderEventPage({ ...event, verification: inclusion })).toContain(
      '<li>inclusion proof: failed</li>',
    );
  });

  it('shows a revocation', () => {
    const revoked = renderEventPage({
      ...event,
      revokedBy: { index: 50, id: D('9'), time: '2026-12-01T00:00:00Z' },
    });
    expect(revoked).toContain('Revoked by entry <a href="/ledger/50"');
  });
});

describe('the event page of a feature-pipeline promotion', () => {
  const pipeline: PipelinePromotionEvent = {
    ...omit(event, 'model', 'challenger', 'explanations', 'dataset'),
    kind: 'feature-pipeline-promotion',
    pipeline: { name: 'credit-features', digest: D('a'), outputContract: D('c') },
  };

  it('shows the pipeline, its code digest and output contract, and no model fields', () => {
    const html = renderEventPage(pipeline);
    expect(html).toContain('<p class="kicker">Feature-pipeline promotion</p>');
    expect(html).toContain('<h1>credit-features</h1>');
    expect(html).toContain(`<dt>Code digest</dt><dd><code>${D('a')}</code></dd>`);
    expect(html).toContain(`<dt>Output contract</dt><dd><code>${D('c')}</code></dd>`);
    expect(html).not.toContain('Challenger comparison');
    expect(html).not.toContain('Evaluation dataset');
    expect(html).toContain('<strong>Verified.</strong>');
  });
});
