// The models page: for each model name, its versions (by digest), the promotion events of each version
// with their route and context, and the latest deployments the gate decided for it (a bounded number,
// from the log's latest entries: the gate appends one entry per request; the ledger page has them all).
import { markup, type SafeHtml } from '../../review/html.js';
import { code, entryLink, routeBadge, tableWrap, time, verdict, type EntryLinkView } from './fragments.js';
import { page } from './layout.js';
import { monitorPath } from './paths.js';

export interface ModelPromotionSummary {
  readonly entry: EntryLinkView;
  readonly context: string;
  readonly route: { readonly materiality: string; readonly tier: string };
  /** The revocation entry, when the promotion was withdrawn. */
  readonly revokedBy?: EntryLinkView;
}

export interface ModelDeploymentSummary {
  /** The deployment entry the gate appended before answering. */
  readonly entry: EntryLinkView;
  readonly context: string;
  readonly decision: 'allow' | 'deny';
  /** Why a deployment was denied. */
  readonly reasons?: readonly string[];
  /** Who asked, as the server authenticated them; absent for `signet gate` run on the home. */
  readonly requestedBy?: string;
}

export interface ModelVersionSummary {
  /** The model artefact's content digest. */
  readonly digest: string;
  readonly class?: string;
  readonly promotions: readonly ModelPromotionSummary[];
  readonly deployments: readonly ModelDeploymentSummary[];
}

export interface ModelSummary {
  readonly name: string;
  /** Newest first is the natural order; shown as given. */
  readonly versions: readonly ModelVersionSummary[];
}

/** Which gate decisions the page lists: at most `perVersion` per version, among entries `from`–`to`. */
export interface DeploymentWindow {
  readonly from: number;
  /** The last entry looked at; below `from` when the log is empty. */
  readonly to: number;
  readonly perVersion: number;
}

export interface ModelsPageData {
  readonly identity?: string;
  readonly models: readonly ModelSummary[];
  readonly deployments: DeploymentWindow;
}

export function renderModelsPage(data: ModelsPageData): string {
  const content =
    data.models.length === 0
      ? markup`<p class="muted">No model has been promoted yet.</p>`
      : data.models.map((model) => renderModel(model, data.deployments));
  const body = markup`<h1>Models</h1>
<p class="muted">Each model's versions by content digest, the promotions sealed for them and the latest deployments the gate decided for each (at most ${String(data.deployments.perVersion)}, newest first, among ${scope(data.deployments)}). The gate appends an entry for every decision: the <a href="/ledger">ledger</a> has all of them.</p>
${content}`;
  return page({ title: 'Models', identity: data.identity, active: 'models', body });
}

/** The entries the gate decisions were looked for in, in words. */
function scope(window: DeploymentWindow): string {
  if (window.to < window.from) return 'the entries of the log (none yet)';
  return window.from === 0
    ? `all ${window.to + 1} entries of the log`
    : `entries #${window.from}–#${window.to} of the log`;
}

function renderModel(model: ModelSummary, window: DeploymentWindow): SafeHtml {
  const versions =
    model.versions.length === 0
      ? markup`<p class="muted">No versions.</p>\n`
      : model.versions.map((v) => renderVersion(v, window));
  return markup`<section class="model" aria-label="${model.name}">
<h2>${model.name}</h2>
<p><a href="${monitorPath(model.name)}">Population-shift monitor</a></p>
${versions}</section>
`;
}

function renderVersion(version: ModelVersionSummary, window: DeploymentWindow): SafeHtml {
  const promotions =
    version.promotions.length === 0
      ? markup`<p class="muted">No promotion sealed for this version.</p>`
      : tableWrap(markup`<table>
<caption>Promotions</caption>
<thead><tr><th scope="col">Entry</th><th scope="col">Sealed at</th><th scope="col">Context</th><th scope="col">Route</th><th scope="col">Tier</th><th scope="col">Status</th></tr></thead>
<tbody>
${version.promotions.map(
  (p) =>
    markup`<tr><td>${entryLink(p.entry)}</td><td>${time(p.entry.time)}</td><td>${p.context}</td><td>${routeBadge(p.route.materiality)}</td><td>${p.route.tier}</td><td>${
      p.revokedBy === undefined
        ? 'in force'
        : markup`${verdict(false, '', 'revoked')} by ${entryLink(p.revokedBy)}`
    }</td></tr>\n`,
)}</tbody>
</table>`);
  const deployments =
    version.deployments.length === 0
      ? markup`<p class="muted">No deployment was asked for among ${scope(window)}.</p>`
      : tableWrap(markup`<table>
<caption>Deployments (gate decisions): the latest ${String(window.perVersion)}, newest first, among ${scope(window)}</caption>
<thead><tr><th scope="col">Entry</th><th scope="col">Time</th><th scope="col">Context</th><th scope="col">Requested by</th><th scope="col">Decision</th><th scope="col">Reasons</th></tr></thead>
<tbody>
${version.deployments.map(
  (d) =>
    markup`<tr><td>${entryLink(d.entry)}</td><td>${time(d.entry.time)}</td><td>${d.context}</td><td>${d.requestedBy ?? markup`<span class="muted">signet gate on the home</span>`}</td><td>${decisionBadge(d.decision)}</td><td>${(d.reasons ?? []).map((r) => markup`<span class="pre-text">${r}</span><br>`)}</td></tr>\n`,
)}</tbody>
</table>`);
  const cls = version.class === undefined ? '' : markup` <span class="muted">${version.class}</span>`;
  return markup`<div class="card">
<h3>Version ${code(version.digest)}${cls}</h3>
${promotions}
${deployments}
</div>
`;
}

function decisionBadge(decision: 'allow' | 'deny'): SafeHtml {
  return decision === 'allow'
    ? markup`<span class="badge decision-allow">✓ allow</span>`
    : markup`<span class="badge decision-deny">✗ deny</span>`;
}
