// Which open drafts wait for whom: the inbox page and the API's `waitingForMe` answer alike. A draft waits
// for an identity when it is open, they did not request it, they have not approved its current view, and
// they hold — now, for that model or feature pipeline — a role its route needs. Approving checks
// authority again, at the position the approval is recorded; this only decides what to show.
import type { AuthorityState } from '../authority/state.js';
import type { DraftRow } from '../store/drafts.js';
import { loadAuthority } from './authority.js';
import { openAnyDraft } from './draft-kinds.js';
import type { Home } from './home.js';
import { requirementOfSealedRoute } from './policy.js';

/** What a draft is for `identity`: waiting for them, needing a role they do not hold, or neither. */
export type DraftForIdentity = 'waiting' | 'needs-another-role' | 'not-waiting';

/** The authority and the position drafts are judged at: read once for a whole list. */
export interface WaitingContext {
  readonly authority: AuthorityState;
  readonly position: { readonly size: number; readonly time: string };
}

export async function waitingContext(home: Home, now: number = Date.now()): Promise<WaitingContext> {
  const authority = await loadAuthority(home);
  return { authority, position: { size: await home.ledger.size(), time: new Date(now).toISOString() } };
}

/** The model or pipeline a draft is for, and the roles its route needs (undefined: unreadable). */
export interface DraftNeeds {
  readonly name: string;
  readonly roles: readonly string[] | undefined;
}

/**
 * `needs`: what the caller already read of the draft (its subject's name and its requirement's roles);
 * read here when absent.
 */
export async function draftFor(
  home: Home,
  row: DraftRow,
  identity: string,
  context: WaitingContext,
  needs?: DraftNeeds,
): Promise<DraftForIdentity> {
  if (row.status !== 'open' || row.requester === identity) return 'not-waiting';
  const approvals = await home.drafts.listApprovals(row.id);
  if (approvals.some((a) => a.identity === identity && a.view === row.view)) return 'not-waiting';
  const { name, roles } = needs ?? (await needsOf(home, row.id));
  // A draft whose requirement cannot be read (its sealed policy is missing) counts as theirs: its review
  // page shows the problem.
  if (roles === undefined) return 'waiting';
  const { authority, position } = context;
  return roles.some((role) => authority.grantAt(identity, role, name, position) !== undefined)
    ? 'waiting'
    : 'needs-another-role';
}

async function needsOf(home: Home, draftId: string): Promise<DraftNeeds> {
  const opened = await openAnyDraft(home, draftId);
  const name = opened.subject.name;
  try {
    return { name, roles: (await requirementOfSealedRoute(home, opened.route, name)).roles };
  } catch {
    return { name, roles: undefined };
  }
}
