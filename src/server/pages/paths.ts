// The URLs the pages link to and the scripts call, in one place, so the server's routes and the pages
// cannot drift apart silently. Every dynamic path segment is percent-encoded here; the escaping template
// then escapes the whole URL for its attribute.

/** Served with SIGNET_CSS. */
export const STYLESHEET_PATH = '/assets/signet.css';
/** Served with PASSKEY_CLIENT_JS. */
export const PASSKEY_SCRIPT_PATH = '/assets/passkey.js';

export const INBOX_PATH = '/inbox';
export const MODELS_PATH = '/models';
export const LEDGER_PATH = '/ledger';
export const POLICY_PATH = '/policy';
export const SIGN_IN_PATH = '/signin';

/** The review page of a draft. */
export function draftPath(id: string): string {
  return `/drafts/${encodeURIComponent(id)}`;
}

/** A stored review document, served byte-exact by its digest (shown in a sandboxed iframe). */
export function viewPath(digest: string): string {
  return `/views/${encodeURIComponent(digest)}`;
}

/** One ledger entry, by index or by id (the server reads either, like `signet show`). */
export function entryPath(ref: number | string): string {
  return `${LEDGER_PATH}/${encodeURIComponent(String(ref))}`;
}

/** A page of the ledger starting at `from`, and optionally an inclusion proof for entry `prove`. */
export function ledgerPath(query: { readonly from?: number; readonly prove?: number } = {}): string {
  const params = new URLSearchParams();
  if (query.from !== undefined) params.set('from', String(query.from));
  if (query.prove !== undefined) params.set('prove', String(query.prove));
  const search = params.toString();
  return search === '' ? LEDGER_PATH : `${LEDGER_PATH}?${search}`;
}

/** The sign-in page, returning to `next` (a same-origin path) afterwards. */
export function signInPath(next?: string): string {
  return next === undefined ? SIGN_IN_PATH : `${SIGN_IN_PATH}?next=${encodeURIComponent(next)}`;
}

/** A model's population-shift monitor page, in one context or the first monitored one. */
export function monitorPath(model: string, context?: string): string {
  const path = `${MODELS_PATH}/${encodeURIComponent(model)}/monitor`;
  return context === undefined ? path : `${path}?context=${encodeURIComponent(context)}`;
}
