import { describe, expect, it } from 'vitest';

import { renderEntryPage } from './entry.js';
import { errorTitle, renderErrorPage } from './error.js';

describe('the error page', () => {
  it('shows the status, the code and the message', () => {
    const html = renderErrorPage({ status: 404, code: 'NOT_FOUND', message: 'no draft d-1' });
    expect(html).toContain('<title>Not found · Signet</title>');
    expect(html).toContain('<h1>Not found</h1>');
    expect(html).toContain('<dt>Status</dt><dd>404</dd>');
    expect(html).toContain('<dt>Code</dt><dd><code>NOT_FOUND</code></dd>');
    expect(html).toContain('no draft d-1');
  });

  it('titles every status', () => {
    expect(errorTitle(401)).toBe('Sign in needed');
    expect(errorTitle(503)).toBe('Something went wrong');
    expect(errorTitle(418)).toBe('Error');
    expect(errorTitle(Number.NaN)).toBe('Error');
  });
});

describe('the entry page', () => {
  it('shows the stamp, the statement, and a link to prove inclusion', () => {
    const html = renderEntryPage({
      entry: {
        index: 3,
        kind: 'role-grant',
        time: '2026-11-02T09:15:00.000Z',
        id: `sha256:${'1'.repeat(64)}`,
      },
      statement: '{\n  "predicate": "<x>"\n}',
    });
    expect(html).toContain('<h1>#3: role-grant</h1>');
    expect(html).toContain('<a href="/ledger?prove=3#prove">');
    expect(html).toContain('<pre>{\n  &quot;predicate&quot;: &quot;&lt;x&gt;&quot;\n}</pre>');
  });
});
