// Every page, rendered with hostile strings in every field a person or a ledger entry can set, must stay
// inside the Content-Security-Policy the server sends (no inline script, no style attribute, no event
// attribute) and must show the hostile strings as text, never as markup.
import { describe, expect, it } from 'vitest';

import type { Policy } from '../../policy/index.js';
import { renderEnrolPage } from './enrol.js';
import { renderEntryPage } from './entry.js';
import { renderErrorPage } from './error.js';
import { renderEventPage, type EventApproval, type EventPageData } from './event.js';
import { renderInboxPage } from './inbox.js';
import { renderLedgerPage } from './ledger.js';
import { renderModelsPage } from './models.js';
import { renderPolicyPage } from './policy.js';
import { renderReviewPage } from './review.js';
import { renderSignInPage } from './sign-in.js';

/** Each of the hostile strings the issue names, and one with all of them. */
const HOSTILE = [
  '<script>alert(1)</script>',
  '"onmouseover=alert(1) x="',
  '</iframe><b>',
  `'><img src=x onerror=alert(1)>`,
];
const EVIL = HOSTILE.join(' & ');
const EVIL_ESCAPED =
  '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;onmouseover=alert(1) x=&quot; &amp; &lt;/iframe&gt;&lt;b&gt; &amp; &#39;&gt;&lt;img src=x onerror=alert(1)&gt;';

const VIEW = `sha256:${'b'.repeat(64)}`;
const TIME = '2026-11-02T09:15:00.000Z';

interface Tag {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly index: number;
}

// Tags as the pages write them: every attribute value double-quoted (escaped text holds no `"`).
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>"'/]+(?:="[^"]*")?)*)\s*>/g;
const ATTRIBUTE = /\s+([^\s=>"'/]+)(?:="([^"]*)")?/g;

/** Parses the opening tags of a page, and checks that no `<` is left outside a tag (text is escaped). */
function parseTags(html: string): Tag[] {
  const tags: Tag[] = [];
  let rest = html.replace(/^<!doctype html>/i, '');
  for (const m of html.matchAll(TAG)) {
    if (m[1] === '') {
      const attributes = new Map<string, string>();
      for (const a of (m[3] ?? '').matchAll(ATTRIBUTE)) attributes.set(a[1]!.toLowerCase(), a[2] ?? '');
      tags.push({ name: m[2]!.toLowerCase(), attributes, index: m.index });
    }
    rest = rest.replace(m[0], '');
  }
  expect(rest, 'a "<" outside a tag: unescaped text').not.toContain('<');
  return tags;
}

/** What the CSP forbids, and what the sandbox must hold. */
function expectCspSafe(html: string): void {
  const tags = parseTags(html);
  for (const tag of tags) {
    for (const name of tag.attributes.keys()) {
      expect(name, `<${tag.name}> has an event attribute`).not.toMatch(/^on/);
      expect(name, `<${tag.name}> has a style attribute`).not.toBe('style');
    }
    expect(tag.name).not.toBe('style');
    if (tag.name === 'iframe') {
      expect(tag.attributes.get('sandbox')).toBe('');
      expect(tag.attributes.get('src')).toMatch(/^\/views\/sha256%3A[0-9a-f]{64}$/);
    }
    if (tag.name === 'a' && tag.attributes.has('href')) {
      expect(tag.attributes.get('href')).toMatch(/^(?:\/(?![/\\])|#)/);
    }
    if (tag.name === 'form') expect(tag.attributes.get('action') ?? '/').toMatch(/^\/(?![/\\])/);
  }
  // A script element is only ever an empty element loading a same-origin file.
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    expect(m[2], 'an inline script').toBe('');
    expect(m[1]).toMatch(/ src="\/(?![/\\])[^"]*"/);
  }
}

function expectEscaped(html: string): void {
  for (const bad of HOSTILE) expect(html).not.toContain(bad);
  expect(html).toContain(EVIL_ESCAPED);
  expect(html.match(/<\/iframe>/g)?.length ?? 0).toBe(html.match(/<iframe /g)?.length ?? 0);
  expect(html).not.toMatch(/<script>/);
}

const evilIdentity = { issuer: EVIL, subject: EVIL, name: EVIL };

function evilApproval(ok: boolean): EventApproval {
  return {
    identity: evilIdentity,
    roles: [EVIL],
    grant: EVIL,
    key: EVIL,
    statement: EVIL,
    signature: { scheme: EVIL, keyId: EVIL },
    verification: { signature: { ok, detail: EVIL }, authority: { ok, detail: EVIL } },
  };
}

function evilEvent(kind: EventPageData['kind'], ok: boolean): EventPageData {
  const common = {
    identity: EVIL,
    entry: { index: 7, id: EVIL, time: EVIL },
    route: { materiality: 'material', tier: EVIL, reasons: [EVIL], policy: EVIL },
    context: EVIL,
    previous: EVIL,
    request: { document: EVIL, author: evilIdentity },
    approvals: [evilApproval(ok)],
    view: { digest: VIEW, renderer: EVIL },
    verification: {
      logSignature: { ok, detail: EVIL },
      inclusion: { ok, detail: EVIL, checkpointSize: 9, rootHash: EVIL },
      request: { ok, detail: EVIL },
      objects: { ok, detail: EVIL },
      reasons: ok ? [] : [{ code: EVIL, message: EVIL }],
    },
    replay: { rendered: true, identical: false, firstDifference: 12 },
    revokedBy: { index: 8, id: EVIL, time: EVIL },
  } as const;
  if (kind === 'feature-pipeline-promotion') {
    return { ...common, kind, pipeline: { name: EVIL, digest: EVIL, outputContract: EVIL } };
  }
  return {
    ...common,
    kind,
    model: {
      name: EVIL,
      digest: EVIL,
      class: EVIL,
      hyperparameterFamily: EVIL,
      inputContract: EVIL,
      featurePipeline: EVIL,
    },
    challenger: {
      against: { kind: EVIL, digest: EVIL, entry: EVIL },
      evaluationSet: EVIL,
      metrics: { candidate: { [EVIL]: 0.81 }, challenger: { [EVIL]: 0.79 } },
      report: EVIL,
    },
    explanations: [{ kind: EVIL, digest: EVIL, name: EVIL, mediaType: EVIL }],
    dataset: { label: EVIL, digest: EVIL, rows: 10, format: EVIL },
  };
}

const evilPolicy: Policy = {
  version: 1,
  description: EVIL,
  defaults: { tier: EVIL, psi: { material: 0.25 }, oncallRole: EVIL, contexts: [EVIL] },
  tiers: { [EVIL]: { description: EVIL, committee: { roles: [EVIL], quorum: 2 } } },
  models: { [EVIL]: { tier: EVIL, oncallRole: EVIL, contexts: [EVIL] } },
};

const PAGES: readonly (readonly [string, () => string])[] = [
  ['sign-in', () => renderSignInPage({ notice: EVIL })],
  ['enrol', () => renderEnrolPage({ identity: EVIL, name: EVIL, expiresAt: EVIL, invite: EVIL })],
  [
    'inbox',
    () =>
      renderInboxPage({
        identity: EVIL,
        now: TIME,
        drafts: [
          {
            id: EVIL,
            model: EVIL,
            context: EVIL,
            route: EVIL,
            tier: EVIL,
            requester: EVIL,
            createdAt: EVIL,
            age: EVIL,
          },
        ],
      }),
  ],
  ...(['open', 'sealed', 'rejected'] as const).map(
    (status) =>
      [
        `review (${status})`,
        () =>
          renderReviewPage({
            identity: EVIL.toUpperCase(),
            rpId: EVIL,
            draft: {
              id: EVIL,
              status,
              view: VIEW,
              requester: EVIL,
              model: EVIL,
              context: EVIL,
              route: EVIL,
              tier: EVIL,
              reasons: [EVIL],
              requirement: EVIL,
              approvals: [{ identity: EVIL, roles: [EVIL], time: EVIL }],
              createdAt: EVIL,
              closedBy: EVIL,
              closedReason: EVIL,
            },
          }),
      ] as const,
  ),
  ...(['model-promotion', 'feature-pipeline-promotion'] as const).flatMap((kind) =>
    [true, false].map(
      (ok) =>
        [
          `event (${kind}, ${ok ? 'verified' : 'failing'})`,
          () => renderEventPage(evilEvent(kind, ok)),
        ] as const,
    ),
  ),
  [
    'models',
    () =>
      renderModelsPage({
        identity: EVIL,
        models: [
          {
            name: EVIL,
            versions: [
              {
                digest: EVIL,
                class: EVIL,
                promotions: [
                  {
                    entry: { index: 3, id: EVIL, time: EVIL },
                    context: EVIL,
                    route: { materiality: EVIL, tier: EVIL },
                    revokedBy: { index: 4, id: EVIL, time: EVIL },
                  },
                ],
                deployments: [
                  {
                    entry: { index: 5, id: EVIL, time: EVIL },
                    context: EVIL,
                    decision: 'deny',
                    reasons: [EVIL],
                    requestedBy: EVIL,
                  },
                ],
              },
            ],
          },
        ],
        deployments: { from: 0, to: 5, perVersion: 20 },
      }),
  ],
  [
    'ledger (proof)',
    () =>
      renderLedgerPage({
        identity: EVIL,
        entries: [{ index: 0, id: EVIL, time: EVIL, kind: EVIL }],
        from: 0,
        limit: 1,
        size: 3,
        checkpoint: EVIL,
        prove: {
          index: 0,
          proof: { index: 0, size: 3, entryId: EVIL, leafHash: EVIL, rootHash: EVIL, hashes: [EVIL] },
        },
      }),
  ],
  [
    'ledger (proof error)',
    () =>
      renderLedgerPage({
        identity: EVIL,
        entries: [{ index: 2, id: EVIL, time: EVIL, kind: EVIL }],
        from: 2,
        limit: 1,
        size: 3,
        checkpoint: EVIL,
        prove: { index: 9, error: EVIL },
      }),
  ],
  [
    'entry',
    () =>
      renderEntryPage({
        identity: EVIL,
        entry: { index: 1, id: EVIL, time: EVIL, kind: EVIL },
        statement: EVIL,
      }),
  ],
  [
    'policy',
    () =>
      renderPolicyPage({
        identity: EVIL,
        policy: {
          version: 2,
          digest: EVIL,
          appliedBy: EVIL,
          appliedAt: EVIL,
          entry: { index: 1, id: EVIL, time: EVIL },
          text: EVIL,
          format: 'yaml',
          document: evilPolicy,
        },
      }),
  ],
  ['error', () => renderErrorPage({ status: 404, code: EVIL, message: EVIL, identity: EVIL })],
];

describe('every page', () => {
  it.each(PAGES)('%s renders a whole document inside the CSP, hostile strings escaped', (_name, render) => {
    const html = render();
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<link rel="stylesheet" href="/assets/signet.css">');
    expect(html.match(/<main id="main">/g)).toHaveLength(1);
    expectCspSafe(html);
    expectEscaped(html);
  });

  it('the checks catch what they are for', () => {
    expect(() => expectCspSafe('<p style="color:red">x</p>')).toThrow();
    expect(() => expectCspSafe('<img src="x" onerror="alert(1)">')).toThrow();
    expect(() => expectCspSafe('<script>alert(1)</script>')).toThrow();
    expect(() => expectCspSafe('<iframe sandbox="allow-scripts" src="/views/x"></iframe>')).toThrow();
    expect(() => expectCspSafe('<a href="//evil.example/">x</a>')).toThrow();
    expect(() => parseTags('<p>1 < 2</p>')).toThrow();
    expect(() =>
      expectCspSafe('<p title="a onclick=b">x</p><script src="/assets/passkey.js" defer></script>'),
    ).not.toThrow();
  });
});
