import { describe, expect, it } from 'vitest';

import { markup } from '../../review/html.js';
import { SIGNET_CSS, page } from './layout.js';

describe('page', () => {
  it('is a whole document: charset, title, stylesheet, nav, one main', () => {
    const html = page({ title: 'Inbox <1>', body: markup`<h1>Hi</h1>` });
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">/);
    expect(html).toContain('<title>Inbox &lt;1&gt; · Signet</title>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/signet.css">');
    expect(html).toContain('<main id="main">\n<h1>Hi</h1>\n</main>');
    expect(html).toContain('<a class="skip-link" href="#main">Skip to content</a>');
    for (const [label, href] of [
      ['Inbox', '/inbox'],
      ['Models', '/models'],
      ['Ledger', '/ledger'],
      ['Policy', '/policy'],
    ]) {
      expect(html).toContain(`<a href="${href}">${label}</a>`);
    }
    expect(html).not.toContain('<script');
  });

  it('marks the active section and says who is signed in', () => {
    const html = page({ title: 't', identity: 'bob@bank.example', active: 'ledger', body: markup`` });
    expect(html).toContain('<a href="/ledger" aria-current="page">Ledger</a>');
    expect(html.match(/aria-current/g)).toHaveLength(1);
    expect(html).toContain('Signed in as <strong>bob@bank.example</strong>');
    expect(html).not.toContain('>Sign in</a>');
    expect(page({ title: 't', body: markup`` })).toContain('<a href="/signin">Sign in</a>');
  });

  it('loads same-origin scripts only, deferred, never inline', () => {
    const html = page({ title: 't', body: markup``, scripts: ['/assets/passkey.js'] });
    expect(html).toContain('<script src="/assets/passkey.js" defer></script>');
    for (const bad of [
      '//evil.example/x.js',
      '/\\evil.example/x.js',
      'https://evil.example/x.js',
      'javascript:alert(1)',
      'x.js',
      '/a b.js',
      '/"x.js',
    ]) {
      expect(() => page({ title: 't', body: markup``, scripts: [bad] })).toThrow(
        expect.objectContaining({ code: 'INTERNAL' }),
      );
    }
  });
});

describe('SIGNET_CSS', () => {
  it('loads nothing from elsewhere and keeps focus visible', () => {
    expect(SIGNET_CSS).not.toMatch(/@import|url\(|@font-face/);
    expect(SIGNET_CSS).toContain(':focus-visible');
    expect(SIGNET_CSS).not.toMatch(/outline:\s*(none|0)/);
  });
});
