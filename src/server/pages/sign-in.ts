// The sign-in page: one button that signs in with a passkey (the script at PASSKEY_SCRIPT_PATH does the
// ceremony and returns to the `next` query parameter when it is a same-origin path).
import { markup } from '../../review/html.js';
import { statusRegion } from './fragments.js';
import { page } from './layout.js';
import { PASSKEY_SCRIPT_PATH } from './paths.js';

export interface SignInPageData {
  /** Shown above the button, e.g. "You have been signed out." or "Sign in to review this draft." */
  readonly notice?: string;
}

/** The sign-in page. The button starts disabled; the passkey script enables it when passkeys work. */
export function renderSignInPage(data: SignInPageData = {}): string {
  const notice = data.notice === undefined ? '' : markup`<p class="notice">${data.notice}</p>\n`;
  const body = markup`<h1>Sign in</h1>
${notice}<p>Signet signs you in with a passkey: the one you created from your invitation link.</p>
<p><button type="button" class="approve" data-signet-action="signin" disabled>Sign in with a passkey</button></p>
<noscript><p class="notice notice-warn">Passkeys need JavaScript: turn it on for this site to sign in.</p></noscript>
${statusRegion()}
<p class="hint">No passkey yet? Ask an administrator for an invitation link.</p>`;
  return page({ title: 'Sign in', body, scripts: [PASSKEY_SCRIPT_PATH] });
}
