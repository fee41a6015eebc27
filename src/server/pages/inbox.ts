// The inbox: drafts waiting for the signed-in approver, with their route, tier and age. Pure: the age
// is computed from each draft's `createdAt` and a `now` the caller passes (never the clock in here),
// unless the caller gives the age text itself.
import { markup } from '../../review/html.js';
import { MISSING, code, routeBadge, tableWrap } from './fragments.js';
import { page } from './layout.js';
import { draftPath } from './paths.js';

/** One waiting draft. A `DraftRow` from the draft store has every field but `age`. */
export interface InboxDraft {
  readonly id: string;
  /** The model's (or feature pipeline's) name. */
  readonly model: string;
  /** The deployment context. */
  readonly context: string;
  /** `low` or `material`. */
  readonly route: string;
  readonly tier: string;
  readonly requester: string;
  /** Wall-clock creation time, RFC 3339 (for the inbox only: never evidence). */
  readonly createdAt: string;
  /** The age as text; when absent it is computed from `createdAt` and the page's `now`. */
  readonly age?: string;
}

export interface InboxPageData {
  readonly identity: string;
  readonly drafts: readonly InboxDraft[];
  /** Open drafts left out because they need a role the signed-in identity does not hold. */
  readonly othersWaiting?: number;
  /** The time the page is rendered at, RFC 3339 or epoch milliseconds; needed unless every draft has an `age`. */
  readonly now?: string | number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(n: number, unit: string): string {
  return `${String(n)} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * How long ago `createdAt` was at `now`, in words, locale-free: "just now", "5 minutes", "3 hours",
 * "2 days". "—" when either time cannot be read; a `createdAt` after `now` (clock skew) reads "just now".
 *
 * @example
 * formatAge('2026-11-02T09:00:00Z', '2026-11-02T12:30:00Z'); // '3 hours'
 */
export function formatAge(createdAt: string, now: string | number): string {
  const start = Date.parse(createdAt);
  const end = typeof now === 'number' ? now : Date.parse(now);
  if (!Number.isFinite(start) || !Number.isFinite(end)) return MISSING;
  const elapsed = end - start;
  if (elapsed < MINUTE) return 'just now';
  if (elapsed < HOUR) return plural(Math.floor(elapsed / MINUTE), 'minute');
  if (elapsed < DAY) return plural(Math.floor(elapsed / HOUR), 'hour');
  return plural(Math.floor(elapsed / DAY), 'day');
}

function ageOf(draft: InboxDraft, now: string | number | undefined): string {
  if (draft.age !== undefined) return draft.age;
  return now === undefined ? MISSING : formatAge(draft.createdAt, now);
}

export function renderInboxPage(data: InboxPageData): string {
  const rows = data.drafts.map(
    (d) => markup`<tr>
<th scope="row"><a href="${draftPath(d.id)}">${code(d.id)}</a></th>
<td>${d.model}</td>
<td>${d.context}</td>
<td>${routeBadge(d.route)}</td>
<td>${d.tier}</td>
<td>${d.requester}</td>
<td><time datetime="${d.createdAt}" title="${d.createdAt}">${ageOf(d, data.now)}</time></td>
</tr>
`,
  );
  const content =
    data.drafts.length === 0
      ? markup`<p class="muted">Nothing is waiting for you.</p>`
      : tableWrap(markup`<table>
<caption>Drafts waiting for your decision</caption>
<thead><tr><th scope="col">Draft</th><th scope="col">Model</th><th scope="col">Context</th><th scope="col">Route</th><th scope="col">Tier</th><th scope="col">Requested by</th><th scope="col">Age</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`);
  const others = data.othersWaiting ?? 0;
  const elsewhere =
    others === 0
      ? ''
      : markup`<p class="muted">${plural(others, 'other open draft')} ${others === 1 ? 'needs' : 'need'} a role you do not hold, and ${others === 1 ? 'is' : 'are'} not listed here.</p>`;
  const body = markup`<h1>Waiting for you</h1>
<p class="muted">Drafts whose route you may approve: it needs a role you hold for that model. Open one to read its review document and decide.</p>
${content}
${elsewhere}`;
  return page({ title: 'Inbox', identity: data.identity, active: 'inbox', body });
}
