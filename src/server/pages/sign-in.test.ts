import { describe, expect, it } from 'vitest';

import { renderEnrolPage } from './enrol.js';
import { renderSignInPage } from './sign-in.js';

describe('the sign-in page', () => {
  it('has the passkey button (enabled by the script), a noscript note and the status region', () => {
    const html = renderSignInPage({ notice: 'Sign in to review this draft.' });
    expect(html).toContain(
      '<button type="button" class="approve" data-signet-action="signin" disabled>Sign in with a passkey</button>',
    );
    expect(html).toMatch(/<noscript>.*Passkeys need JavaScript.*<\/noscript>/);
    expect(html).toContain('<script src="/assets/passkey.js" defer></script>');
    expect(html).toContain('id="signet-status"');
    expect(html).toContain('Sign in to review this draft.');
    expect(renderSignInPage()).not.toContain('class="notice"');
  });
});

describe('the enrolment page', () => {
  it('names the identity and the expiry, and carries the invitation in a data attribute only', () => {
    const html = renderEnrolPage({
      identity: 'bob@bank.example',
      expiresAt: '2026-11-03T09:00:00Z',
      invite: 'tok&en',
    });
    expect(html).toContain('<strong>bob@bank.example</strong>');
    expect(html).toContain('<time datetime="2026-11-03T09:00:00Z">2026-11-03T09:00:00Z</time>');
    expect(html).toContain(
      'data-signet-action="enrol" data-invite="tok&amp;en" disabled>Create a passkey</button>',
    );
    expect(html.match(/tok&amp;en/g)).toHaveLength(1);
    expect(html).toContain('<script src="/assets/passkey.js" defer></script>');
    expect(html).toContain('<noscript>');
  });
});
