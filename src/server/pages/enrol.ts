// The enrolment page, reached from a one-time invitation link: the invited person creates a passkey
// for the identity the invitation names. The invitation token travels in a data- attribute that the
// passkey script reads; it is never put in a URL the page builds.
import { markup } from '../../review/html.js';
import { facts, statusRegion, time } from './fragments.js';
import { page } from './layout.js';
import { PASSKEY_SCRIPT_PATH } from './paths.js';

export interface EnrolPageData {
  /**
   * The identity the passkey is enrolled for, e.g. `bob@bank.example`; absent when the invitation travels
   * in the link's fragment (which the server never sees): the script then finds it from the invitation.
   */
  readonly identity?: string;
  /** The display name the invitation gives, if any. */
  readonly name?: string;
  /** When the invitation expires, RFC 3339. */
  readonly expiresAt?: string;
  /**
   * The invitation token, posted back by the script to /auth/enrol/options and /auth/enrol/verify; empty:
   * the script reads it from the link's fragment.
   */
  readonly invite: string;
}

/** The enrolment page. The button starts disabled; the passkey script enables it when passkeys work. */
export function renderEnrolPage(data: EnrolPageData): string {
  const body = markup`<h1>Create your passkey</h1>
<p>This invitation enrols a passkey for the identity below. Your approvals and rejections will be
signed with it, and the signatures are sealed in the ledger under this identity.</p>
${facts([
  [
    'Identity',
    data.identity === undefined
      ? 'the one your invitation link names'
      : markup`<strong>${data.identity}</strong>`,
  ],
  ['Name', data.name],
  ['Invitation expires', data.expiresAt === undefined ? 'as your invitation says' : time(data.expiresAt)],
])}
<p><button type="button" class="approve" data-signet-action="enrol" data-invite="${data.invite}" disabled>Create a passkey</button></p>
<noscript><p class="notice notice-warn">Passkeys need JavaScript: turn it on for this site to create one.</p></noscript>
${statusRegion()}
<p class="hint">The link works once. If this is not your identity, close this page and tell the administrator who sent it.</p>`;
  return page({ title: 'Create your passkey', body, scripts: [PASSKEY_SCRIPT_PATH] });
}
