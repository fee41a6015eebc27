// The review page: the stored review document, byte-exact, in a sandboxed iframe served from its digest,
// the digest beside it, and the decision. The iframe's sandbox grants nothing (no allow-scripts, no
// allow-same-origin): the document runs no script and gets an opaque origin even if its bytes were
// hostile. Approve and Reject are passkey ceremonies run by the script at PASSKEY_SCRIPT_PATH, which
// reads the draft, the view digest and the relying party id from data- attributes and refuses to sign
// a statement about any other view than the one shown here.
import { markup, type HtmlValue, type SafeHtml } from '../../review/html.js';
import { code, entryIdLink, facts, listOr, routeBadge, statusRegion, time } from './fragments.js';
import { page } from './layout.js';
import { PASSKEY_SCRIPT_PATH, draftPath, signInPath, viewPath } from './paths.js';

/** The id of the <code> that shows the view digest (tests and the Approve button's description read it). */
export const VIEW_DIGEST_ID = 'view-digest';

export interface ReviewApproval {
  readonly identity: string;
  /** The roles the approval counts under. */
  readonly roles?: readonly string[];
  /** When it was given (RFC 3339), if known. */
  readonly time?: string;
}

/**
 * A draft as the review page shows it. A `DraftRow` from the draft store supplies every field but
 * `requirement`, `approvals`, `kind`, `reasons` and `closedReason`.
 */
export interface ReviewDraft {
  readonly id: string;
  readonly status: 'open' | 'sealed' | 'rejected';
  /** The digest of the stored review document: what an approval signs. */
  readonly view: string;
  readonly requester: string;
  /** The model's (or feature pipeline's) name. */
  readonly model: string;
  readonly context: string;
  /** `low` or `material`. */
  readonly route: string;
  readonly tier: string;
  /** Default `model`. */
  readonly kind?: 'model' | 'pipeline';
  /** Why the route is what it is, from the router. */
  readonly reasons?: readonly string[];
  /** What the route needs, in words (`describeRequirement`): "2 approvals by distinct holders of model-risk". */
  readonly requirement: string;
  /** The approvals stored so far. */
  readonly approvals: readonly ReviewApproval[];
  readonly createdAt?: string;
  /** The entry that closed the draft (the promotion or the rejection), by id. */
  readonly closedBy?: string;
  /** A rejection's reason. */
  readonly closedReason?: string;
}

export interface ReviewPageData {
  /** The signed-in viewer; absent: the page asks them to sign in before deciding. */
  readonly identity?: string;
  /** The WebAuthn relying party id the approval ceremony uses (the site's domain). */
  readonly rpId: string;
  readonly draft: ReviewDraft;
}

export function renderReviewPage(data: ReviewPageData): string {
  const { draft } = data;
  const decision = renderDecision(data);
  const what = draft.kind === 'pipeline' ? 'feature-pipeline promotion' : 'model promotion';
  const body = markup`<header>
<p class="kicker">Review of a ${what}</p>
<h1>${draft.model}</h1>
${renderSummary(draft)}
</header>
<div class="review-layout">
<section aria-labelledby="document-heading">
<h2 id="document-heading">Review document</h2>
<iframe sandbox src="${viewPath(draft.view)}" title="Review document" class="review-frame" referrerpolicy="no-referrer"></iframe>
</section>
<aside class="review-side" aria-labelledby="sign-heading">
<h2 id="sign-heading">What a decision signs</h2>
<p>An approval or a rejection signs the SHA-256 digest of exactly the document shown:</p>
<code id="${VIEW_DIGEST_ID}" class="digest">${draft.view}</code>
<p class="hint"><a href="${viewPath(draft.view)}">Open the document on its own</a>: <code>sha256sum</code> of the file prints this digest.</p>
${decision.html}
</aside>
</div>`;
  return page({
    title: `Review: ${draft.model}`,
    identity: data.identity,
    active: 'inbox',
    body,
    scripts: decision.interactive ? [PASSKEY_SCRIPT_PATH] : [],
  });
}

function renderSummary(draft: ReviewDraft): SafeHtml {
  const approvals = listOr(
    draft.approvals.map((a) => approvalText(a)),
    'None yet.',
  );
  const reasons =
    draft.reasons === undefined || draft.reasons.length === 0
      ? undefined
      : markup`<ul class="plain">\n${draft.reasons.map((r) => markup`<li>${r}</li>\n`)}</ul>`;
  return facts([
    ['Draft', code(draft.id)],
    ['Context', draft.context],
    ['Route', routeBadge(draft.route)],
    ['Why this route', reasons],
    ['Tier', draft.tier],
    ['Requested by', draft.requester],
    ['Requested at', draft.createdAt === undefined ? undefined : time(draft.createdAt)],
    ['Needs', draft.requirement],
    ['Approvals so far', approvals],
  ]);
}

function approvalText(approval: ReviewApproval): HtmlValue {
  const roles =
    approval.roles === undefined || approval.roles.length === 0 ? '' : ` (${approval.roles.join(', ')})`;
  const at = approval.time === undefined ? '' : markup`, ${time(approval.time)}`;
  return markup`${approval.identity}${roles}${at}`;
}

function renderDecision(data: ReviewPageData): { html: SafeHtml; interactive: boolean } {
  const { draft, identity } = data;
  const heading = markup`<h2 id="decide-heading">Decision</h2>`;
  const section = (content: SafeHtml): SafeHtml =>
    markup`<section class="decision" aria-labelledby="decide-heading">\n${heading}\n${content}\n</section>`;

  if (draft.status !== 'open') {
    const entry = draft.closedBy === undefined ? '' : markup` as entry ${entryIdLink(draft.closedBy)}`;
    const content =
      draft.status === 'sealed'
        ? markup`<p class="notice notice-ok">Sealed: the approvals met the requirement and the promotion was sealed${entry}.</p>`
        : markup`<p class="notice notice-bad">Rejected${entry}.</p>${
            draft.closedReason === undefined
              ? ''
              : markup`\n<p>Reason:</p>\n<p class="pre-text">${draft.closedReason}</p>`
          }`;
    return { html: section(content), interactive: false };
  }
  if (identity === undefined) {
    const content = markup`<p><a href="${signInPath(draftPath(draft.id))}">Sign in</a> to approve or reject this draft.</p>`;
    return { html: section(content), interactive: false };
  }
  if (identity === draft.requester) {
    const content = markup`<p class="notice">You requested this promotion: you cannot approve your own request. Another approver must decide.</p>`;
    return { html: section(content), interactive: false };
  }
  if (draft.approvals.some((a) => a.identity === identity)) {
    const content = markup`<p class="notice notice-ok">You have approved this draft. It is sealed when the approvals meet what the route needs.</p>`;
    return { html: section(content), interactive: false };
  }
  // The controls start disabled: the script enables them once it knows passkeys work here.
  const attributes = markup`data-draft="${draft.id}" data-view="${draft.view}" data-rp-id="${data.rpId}"`;
  const content = markup`<div class="actions">
<div>
<p><button type="button" class="approve" data-signet-action="approve" ${attributes} aria-describedby="${VIEW_DIGEST_ID}" disabled>Approve</button></p>
<p class="hint">You will confirm with your passkey.</p>
</div>
<form class="reject-form" method="post" data-signet-action="reject" ${attributes}>
<label for="reject-reason">Reason for rejecting</label>
<textarea id="reject-reason" name="reason" required maxlength="4000" aria-describedby="reject-hint"></textarea>
<p id="reject-hint" class="hint">Required. It is sealed in the rejection entry with your signature.</p>
<p><button type="submit" class="reject" disabled>Reject</button></p>
</form>
</div>
<noscript><p class="notice notice-warn">Approving and rejecting use your passkey, which needs JavaScript.</p></noscript>
${statusRegion()}`;
  return { html: section(content), interactive: true };
}
