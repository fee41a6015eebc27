import { describe, expect, it } from 'vitest';

import { renderLedgerPage, type LedgerPageData } from './ledger.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const CHECKPOINT = 'bank.example/log\n57\nq83vEjRWeJA=\n\n— bank.example/log AbCd\n';

const data = (over: Partial<LedgerPageData> = {}): LedgerPageData => ({
  entries: [
    { index: 20, kind: 'role-grant', time: '2026-11-02T09:15:00.000Z', id: D('0') },
    { index: 21, kind: 'model-promotion', time: '2026-11-02T09:16:00.000Z', id: D('1') },
  ],
  from: 20,
  limit: 2,
  size: 57,
  checkpoint: CHECKPOINT,
  ...over,
});

describe('the ledger page', () => {
  it('lists entries with index, kind, time and an id linking to /ledger/{index}', () => {
    const html = renderLedgerPage(data());
    expect(html).toContain('<a href="/ledger/21" title="' + D('1') + '">#21</a>');
    expect(html).toContain('<td>model-promotion</td>');
    expect(html).toContain('<time datetime="2026-11-02T09:16:00.000Z">');
    expect(html).toContain(`<a href="/ledger/21"><code>${D('1')}</code></a>`);
    expect(html).toContain('Entries 20 to 21 of 57');
  });

  it('links to the pages around this one', () => {
    const html = renderLedgerPage(data());
    expect(html).toContain('<a href="/ledger?from=0" rel="first">First</a>');
    expect(html).toContain('<a href="/ledger?from=18" rel="prev">Previous</a>');
    expect(html).toContain('<a href="/ledger?from=22" rel="next">Next</a>');
    expect(html).toContain('<a href="/ledger?from=56" rel="last">Latest</a>');
    const first = renderLedgerPage(data({ from: 0, size: 2 }));
    expect(first).not.toContain('rel="prev"');
    expect(first).not.toContain('rel="next"');
    // A nonsensical page size does not divide by zero.
    expect(renderLedgerPage(data({ limit: 0 }))).toContain('<a href="/ledger?from=21" rel="next">Next</a>');
  });

  it('shows the checkpoint text as text', () => {
    expect(renderLedgerPage(data())).toContain(`<pre>${CHECKPOINT}</pre>`);
  });

  it('has a form asking for an inclusion proof, and shows the proof', () => {
    const html = renderLedgerPage(
      data({
        prove: {
          index: 21,
          proof: {
            index: 21,
            size: 57,
            entryId: D('1'),
            leafHash: 'ab',
            rootHash: 'cd',
            hashes: ['01', '02'],
          },
        },
      }),
    );
    expect(html).toContain('<form class="inline-form" method="get" action="/ledger">');
    expect(html).toContain(
      '<input type="number" id="prove-index" name="prove" min="0" max="56" step="1" required value="21">',
    );
    expect(html).toContain('in the tree of size 57');
    expect(html).toContain('<dt>Leaf hash</dt><dd><code>ab</code></dd>');
    expect(html).toContain('<dt>Root hash</dt><dd><code>cd</code></dd>');
    expect(html).toContain('<ol start="0">\n<li><code>01</code></li>\n<li><code>02</code></li>\n</ol>');
    const error = renderLedgerPage(
      data({ prove: { index: 99, error: 'index 99 is beyond the tree size 57' } }),
    );
    expect(error).toContain('No proof for entry 99: index 99 is beyond the tree size 57');
    expect(renderLedgerPage(data())).not.toContain('Audit path');
  });
});
