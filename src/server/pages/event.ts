// The event page: a sealed promotion (of a model or of a feature pipeline) with its fields, the result
// of the same verification the gate runs, and the replay — the stored review document shown from its
// digest in a sandboxed iframe, and whether re-rendering it from the sealed inputs gave the same bytes.
// Pure: the caller verifies and replays; this page only shows the results, and shows "verified" only
// when every check passed and no failure reason was given (it fails closed).
import { markup, type HtmlValue, type SafeHtml } from '../../review/html.js';
import {
  MISSING,
  checkResult,
  code,
  count,
  entryIdLink,
  entryLink,
  facts,
  identityText,
  listOr,
  metricText,
  optionalCode,
  routeBadge,
  tableWrap,
  time,
  verdict,
  type CheckView,
  type EntryLinkView,
  type IdentityView,
} from './fragments.js';
import { page } from './layout.js';
import { viewPath } from './paths.js';

/** The route as sealed (`RouteRef`). */
export interface EventRoute {
  readonly materiality: 'low' | 'material';
  readonly tier: string;
  readonly reasons: readonly string[];
  /** Object digest of the policy the route was decided by; absent before any policy. */
  readonly policy?: string;
}

/** A sealed approval (`Approval`) with the verification of its signature and authority. */
export interface EventApproval {
  readonly identity: IdentityView;
  readonly roles: readonly string[];
  /** The role-grant entry that gave the authority. */
  readonly grant: string;
  /** The identity-key entry that bound the signing key. */
  readonly key: string;
  /** Digest of the signed approval statement. */
  readonly statement: string;
  readonly signature: { readonly scheme: string; readonly keyId: string };
  readonly verification: {
    /** The signature over the statement, with the key bound to the identity. */
    readonly signature: CheckView;
    /** A role the route accepts, held at the ledger position signed at and at the seal. */
    readonly authority: CheckView;
  };
}

export interface EventVerification {
  /** The log's signature on the entry. */
  readonly logSignature: CheckView;
  /** Inclusion under the current signed checkpoint. */
  readonly inclusion: CheckView & {
    readonly checkpointSize: number;
    /** The checkpoint's root hash as shown to auditors (hex or base64). */
    readonly rootHash: string;
  };
  /** The requester's signature over the draft inputs. */
  readonly request?: CheckView;
  /** Every sealed object present with its digest. */
  readonly objects?: CheckView;
  /** Every failure found (`Reason` from the gate); empty when the event verifies. */
  readonly reasons: readonly { readonly code: string; readonly message: string }[];
}

/** Replay: the stored review document re-rendered from the sealed inputs (`ReplayResult` has these fields). */
export interface EventReplay {
  /** Whether the document could be rendered again at all (objects missing or corrupt: no). */
  readonly rendered: boolean;
  readonly identical: boolean;
  /** The first differing byte offset, when it differs. */
  readonly firstDifference?: number;
}

interface EventCommon {
  readonly identity?: string;
  /** The promotion's own entry. */
  readonly entry: EntryLinkView;
  readonly route: EventRoute;
  readonly context: string;
  /** Entry id of the previous promotion of the same model (or pipeline). */
  readonly previous?: string;
  readonly request: { readonly document: string; readonly author: IdentityView };
  readonly approvals: readonly EventApproval[];
  readonly view: { readonly digest: string; readonly renderer: string };
  readonly verification: EventVerification;
  /** Absent: replay was not run for this page. */
  readonly replay?: EventReplay;
  /** The revocation entry that withdrew this promotion, if any. */
  readonly revokedBy?: EntryLinkView;
}

export interface ModelPromotionEvent extends EventCommon {
  readonly kind: 'model-promotion';
  readonly model: {
    readonly name: string;
    readonly digest: string;
    readonly class: string;
    readonly hyperparameterFamily?: string;
    /** Object digest of the input contract. */
    readonly inputContract?: string;
    /** Entry id of the feature-pipeline promotion the model consumes. */
    readonly featurePipeline?: string;
  };
  readonly challenger: {
    readonly against: { readonly kind: string; readonly digest: string; readonly entry?: string };
    readonly evaluationSet: string;
    readonly metrics: {
      readonly candidate: Readonly<Record<string, number>>;
      readonly challenger: Readonly<Record<string, number>>;
    };
    readonly report?: string;
  };
  readonly explanations: readonly {
    readonly kind: string;
    readonly digest: string;
    readonly name?: string;
    readonly mediaType?: string;
  }[];
  readonly dataset: {
    readonly label: string;
    readonly digest: string;
    readonly rows?: number;
    readonly format?: string;
  };
}

export interface PipelinePromotionEvent extends EventCommon {
  readonly kind: 'feature-pipeline-promotion';
  readonly pipeline: {
    readonly name: string;
    /** The pipeline code's digest. */
    readonly digest: string;
    /** Object digest of the output contract. */
    readonly outputContract: string;
  };
}

export type EventPageData = ModelPromotionEvent | PipelinePromotionEvent;

/** Whether the event verifies: every check passed and no reason was given. */
export function isVerified(v: EventVerification, approvals: readonly EventApproval[]): boolean {
  const checks: CheckView[] = [v.logSignature, v.inclusion];
  if (v.request !== undefined) checks.push(v.request);
  if (v.objects !== undefined) checks.push(v.objects);
  for (const a of approvals) checks.push(a.verification.signature, a.verification.authority);
  return v.reasons.length === 0 && checks.every((c) => c.ok);
}

export function renderEventPage(data: EventPageData): string {
  const name = data.kind === 'model-promotion' ? data.model.name : data.pipeline.name;
  const what = data.kind === 'model-promotion' ? 'Model promotion' : 'Feature-pipeline promotion';
  const ok = isVerified(data.verification, data.approvals);
  const revoked =
    data.revokedBy === undefined
      ? ''
      : markup`<p class="notice notice-bad">Revoked by entry ${entryLink(data.revokedBy)} at ${time(data.revokedBy.time)}: the gate denies it.</p>\n`;
  const fields: SafeHtml[] =
    data.kind === 'model-promotion'
      ? [
          renderModel(data.model),
          renderChallenger(data.challenger),
          renderRequest(data.request),
          renderApprovals(data.approvals),
          renderExplanations(data.explanations),
          renderDataset(data.dataset),
        ]
      : [renderPipeline(data.pipeline), renderRequest(data.request), renderApprovals(data.approvals)];
  const body = markup`<header>
<p class="kicker">${what}</p>
<h1>${name}</h1>
${facts([
  ['Entry', markup`${entryLink(data.entry)} ${code(data.entry.id)}`],
  ['Sealed at', time(data.entry.time)],
  ['Context', data.context],
  ['Previous promotion', data.previous === undefined ? 'none (the first)' : entryIdLink(data.previous)],
  ['Verification', verdict(ok)],
])}
</header>
${revoked}${renderVerification(data.verification, data.approvals, ok)}
${renderRoute(data.route)}
${fields.map((f) => markup`${f}\n`)}${renderReplay(data.view, data.replay)}`;
  return page({ title: `${what}: ${name}`, identity: data.identity, active: 'ledger', body });
}

function renderVerification(
  v: EventVerification,
  approvals: readonly EventApproval[],
  ok: boolean,
): SafeHtml {
  const approverRows = approvals.map(
    (a) =>
      markup`<tr><th scope="row">${a.identity.subject}</th><td>${checkResult(a.verification.signature)}</td><td>${checkResult(a.verification.authority, 'held')}</td></tr>\n`,
  );
  const approverTable =
    approvals.length === 0
      ? markup`<p class="notice notice-bad">No approvals are sealed in this event.</p>`
      : tableWrap(markup`<table>
<caption>Each approver</caption>
<thead><tr><th scope="col">Approver</th><th scope="col">Signature</th><th scope="col">Authority</th></tr></thead>
<tbody>
${approverRows}</tbody>
</table>`);
  // The failure reasons; a failed check that no reason mentions is listed by its own detail, so a
  // "failed" verdict always says why.
  const failedChecks: HtmlValue[] = [];
  const note = (check: CheckView | undefined, what: string): void => {
    if (check !== undefined && !check.ok) failedChecks.push(`${what}: ${check.detail ?? 'failed'}`);
  };
  if (v.reasons.length === 0) {
    note(v.logSignature, 'log signature');
    note(v.inclusion, 'inclusion proof');
    note(v.request, "requester's signature");
    note(v.objects, 'sealed objects');
    for (const a of approvals) {
      note(a.verification.signature, `signature of ${a.identity.subject}`);
      note(a.verification.authority, `authority of ${a.identity.subject}`);
    }
  }
  const reasons = [...v.reasons.map((r) => markup`${code(r.code)} ${r.message}`), ...failedChecks];
  const overall = ok
    ? markup`<p class="notice notice-ok"><strong>Verified.</strong> Every check the gate runs passed.</p>`
    : markup`<div class="notice notice-bad"><p><strong>Not verified.</strong> The gate denies this promotion:</p>
${listOr(reasons, 'a check failed.')}
</div>`;
  return markup`<section id="verification" aria-labelledby="verification-heading">
<h2 id="verification-heading">Verification</h2>
${overall}
${facts([
  ['Log signature', checkResult(v.logSignature)],
  [
    'Inclusion proof',
    markup`${checkResult(v.inclusion)}<br>against the checkpoint of size ${count(v.inclusion.checkpointSize, 'a tree size')}, root hash ${code(v.inclusion.rootHash)}`,
  ],
  ["Requester's signature", v.request === undefined ? undefined : checkResult(v.request)],
  ['Sealed objects', v.objects === undefined ? undefined : checkResult(v.objects, 'present and intact')],
])}
${approverTable}
</section>`;
}

function renderRoute(route: EventRoute): SafeHtml {
  return markup`<section id="route" aria-labelledby="route-heading">
<h2 id="route-heading">Route</h2>
${facts([
  ['Materiality', routeBadge(route.materiality)],
  ['Tier', route.tier],
  ['Policy', route.policy === undefined ? 'none in force (one approver needed)' : code(route.policy)],
])}
<h3>Why this route</h3>
${listOr(route.reasons, 'No reasons were given.')}
</section>`;
}

function renderModel(model: ModelPromotionEvent['model']): SafeHtml {
  return markup`<section id="model" aria-labelledby="model-heading">
<h2 id="model-heading">Model</h2>
${facts([
  ['Name', model.name],
  ['Digest', code(model.digest)],
  ['Class', model.class],
  ['Hyperparameter family', model.hyperparameterFamily],
  ['Input contract', optionalCode(model.inputContract)],
  ['Feature pipeline', model.featurePipeline === undefined ? undefined : entryIdLink(model.featurePipeline)],
])}
</section>`;
}

function renderPipeline(pipeline: PipelinePromotionEvent['pipeline']): SafeHtml {
  return markup`<section id="pipeline" aria-labelledby="pipeline-heading">
<h2 id="pipeline-heading">Feature pipeline</h2>
${facts([
  ['Name', pipeline.name],
  ['Code digest', code(pipeline.digest)],
  ['Output contract', code(pipeline.outputContract)],
])}
</section>`;
}

function metricOf(values: Readonly<Record<string, number>>, name: string): number | undefined {
  // hasOwn: a metric named "constructor" must not pick up Object.prototype.constructor.
  return Object.hasOwn(values, name) ? values[name] : undefined;
}

function renderChallenger(challenger: ModelPromotionEvent['challenger']): SafeHtml {
  const { candidate, challenger: other } = challenger.metrics;
  // Sorted by UTF-16 code unit, as the review document sorts them.
  const names = [...new Set([...Object.keys(candidate), ...Object.keys(other)])].sort();
  const rows = names.map((name) => {
    const a = metricOf(candidate, name);
    const b = metricOf(other, name);
    const delta = a === undefined || b === undefined ? undefined : a - b;
    return markup`<tr><th scope="row">${name}</th><td class="num">${metricText(a)}</td><td class="num">${metricText(b)}</td><td class="num">${metricText(delta, true)}</td></tr>\n`;
  });
  const table =
    names.length === 0
      ? markup`<p class="muted">No metrics were sealed.</p>`
      : tableWrap(markup`<table>
<caption>Metrics on the evaluation set (delta = candidate − challenger)</caption>
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Candidate</th><th scope="col" class="num">Challenger</th><th scope="col" class="num">Delta</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`);
  const against = challenger.against;
  return markup`<section id="challenger" aria-labelledby="challenger-heading">
<h2 id="challenger-heading">Challenger comparison</h2>
${facts([
  ['Against', against.kind],
  ['Challenger digest', code(against.digest)],
  ['Incumbent promotion', against.entry === undefined ? undefined : entryIdLink(against.entry)],
  ['Evaluation set', code(challenger.evaluationSet)],
  ['Metrics report', optionalCode(challenger.report)],
])}
${table}
</section>`;
}

function renderRequest(request: EventCommon['request']): SafeHtml {
  return markup`<section id="request" aria-labelledby="request-heading">
<h2 id="request-heading">Approval request</h2>
${facts([
  ['Document digest', code(request.document)],
  ['Requested by', identityText(request.author)],
])}
</section>`;
}

function renderApprovals(approvals: readonly EventApproval[]): SafeHtml {
  const items = approvals.map(
    (a, i) => markup`<div class="card">
<h3>Approval ${count(i + 1)}: ${a.identity.subject}</h3>
${facts([
  ['Identity', identityText(a.identity)],
  ['Roles', a.roles.length === 0 ? MISSING : a.roles.join(', ')],
  ['Grant entry', entryIdLink(a.grant)],
  ['Key entry', entryIdLink(a.key)],
  ['Signature scheme', a.signature.scheme],
  ['Key id', code(a.signature.keyId)],
  ['Statement digest', code(a.statement)],
  [
    'Verification',
    markup`signature ${checkResult(a.verification.signature)}; authority ${checkResult(a.verification.authority, 'held')}`,
  ],
])}
</div>
`,
  );
  return markup`<section id="approvals" aria-labelledby="approvals-heading">
<h2 id="approvals-heading">Approvals</h2>
${approvals.length === 0 ? markup`<p class="muted">None.</p>\n` : items}</section>`;
}

function renderExplanations(explanations: ModelPromotionEvent['explanations']): SafeHtml {
  const rows = explanations.map(
    (e) =>
      markup`<tr><td>${e.name ?? MISSING}</td><td>${e.kind}</td><td>${e.mediaType ?? MISSING}</td><td>${code(e.digest)}</td></tr>\n`,
  );
  const content =
    explanations.length === 0
      ? markup`<p class="muted">None were sealed.</p>`
      : tableWrap(markup`<table>
<thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Media type</th><th scope="col">Digest</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`);
  return markup`<section id="explanations" aria-labelledby="explanations-heading">
<h2 id="explanations-heading">Explanations</h2>
${content}
</section>`;
}

function renderDataset(dataset: ModelPromotionEvent['dataset']): SafeHtml {
  return markup`<section id="dataset" aria-labelledby="dataset-heading">
<h2 id="dataset-heading">Evaluation dataset</h2>
${facts([
  ['Label', markup`${dataset.label} <span class="muted">(a hint; the digest is the identity)</span>`],
  ['Digest', code(dataset.digest)],
  ['Format', dataset.format],
  ['Rows', dataset.rows === undefined ? MISSING : count(dataset.rows, 'dataset rows')],
])}
</section>`;
}

function replayVerdict(replay: EventReplay | undefined): SafeHtml {
  if (replay === undefined) return markup`<p class="muted">Replay was not run for this page.</p>`;
  if (!replay.rendered) {
    return markup`<p>Replayed: ${verdict(false, '', 'could not be rendered again')} <span class="muted">(sealed objects are missing or corrupt)</span></p>`;
  }
  if (replay.identical) return markup`<p>Replayed: ${verdict(true, 'identical')}</p>`;
  const where =
    replay.firstDifference === undefined
      ? 'differs'
      : `differs at byte ${count(replay.firstDifference, 'a byte offset')}`;
  return markup`<p>Replayed: ${verdict(false, '', where)}</p>`;
}

function renderReplay(view: EventCommon['view'], replay: EventReplay | undefined): SafeHtml {
  return markup`<section id="replay" aria-labelledby="replay-heading">
<h2 id="replay-heading">Replay: the screen the approvers saw</h2>
${facts([
  ['View digest', markup`<code id="event-view-digest">${view.digest}</code>`],
  ['Renderer', code(view.renderer)],
])}
${replayVerdict(replay)}
<iframe sandbox src="${viewPath(view.digest)}" title="Stored review document" class="review-frame" referrerpolicy="no-referrer"></iframe>
</section>
`;
}
