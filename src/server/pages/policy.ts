// The policy page: the materiality policy in force, as applied (version, digest, who and when), the
// document itself, and a summary of what it asks of approvers: the on-call role of the low path and the
// committee of each risk tier on the material path.
import type { Policy, PolicySection } from '../../policy/index.js';
import { markup, type SafeHtml } from '../../review/html.js';
import { MISSING, code, count, entryLink, facts, tableWrap, time, type EntryLinkView } from './fragments.js';
import { page } from './layout.js';

export interface AppliedPolicyView {
  /** The policy's version in the log: 1 for the first applied, then 2, ... */
  readonly version: number;
  /** Object digest of the stored policy document. */
  readonly digest: string;
  /** The admin who applied it. */
  readonly appliedBy: string;
  /** The log time of the policy entry, RFC 3339. */
  readonly appliedAt: string;
  /** The policy entry. */
  readonly entry?: EntryLinkView;
  /** The document as text: the stored canonical JSON (pretty-printed by the caller) or the YAML applied. */
  readonly text: string;
  /** Default `json`. */
  readonly format?: 'json' | 'yaml';
  /** The parsed document, for the summary. */
  readonly document: Policy;
}

export interface PolicyPageData {
  readonly identity?: string;
  /** Absent: no policy has been applied yet. */
  readonly policy?: AppliedPolicyView;
}

export function renderPolicyPage(data: PolicyPageData): string {
  const body =
    data.policy === undefined
      ? markup`<h1>Materiality policy</h1>
<p class="notice">No materiality policy is in force. Until an admin applies one (<code>signet policy apply FILE</code>), every promotion needs one approval by a holder of the approver role, and must name its challenger.</p>`
      : renderPolicy(data.policy);
  return page({ title: 'Policy', identity: data.identity, active: 'policy', body });
}

function list(values: readonly string[] | undefined): string | undefined {
  if (values === undefined) return undefined;
  return values.length === 0 ? 'none' : values.join(', ');
}

function renderPolicy(policy: AppliedPolicyView): SafeHtml {
  const doc = policy.document;
  const description =
    doc.description === undefined ? '' : markup`<p class="pre-text">${doc.description}</p>\n`;
  return markup`<h1>Materiality policy, version ${count(policy.version, 'a policy version')}</h1>
${description}${facts([
    ['Digest', code(policy.digest)],
    ['Applied by', policy.appliedBy],
    ['Applied at', time(policy.appliedAt)],
    ['Entry', policy.entry === undefined ? undefined : entryLink(policy.entry)],
  ])}
<section id="summary" aria-labelledby="summary-heading">
<h2 id="summary-heading">Who approves</h2>
<p>The <strong>low</strong> path needs one approval by a holder of the on-call role for the model. The <strong>material</strong> path needs the committee of the model's risk tier: a quorum of distinct people, each holding one of its roles; the requester never counts.</p>
${facts([
  ['On-call role (default)', code(doc.defaults.oncallRole)],
  ['Risk tier (default)', doc.defaults.tier],
  ['Deployment contexts (default)', list(doc.defaults.contexts)],
  ['Feature pipeline required (default)', doc.defaults.requireFeaturePipeline === true ? 'yes' : 'no'],
])}
${renderTiers(doc)}
${renderModelSections(doc)}
</section>
<section id="document" aria-labelledby="document-heading">
<h2 id="document-heading">The document (${policy.format === 'yaml' ? 'YAML' : 'JSON'})</h2>
<pre>${policy.text}</pre>
</section>`;
}

function renderTiers(doc: Policy): SafeHtml {
  const names = Object.keys(doc.tiers).sort();
  const rows = names.map((name) => {
    const tier = doc.tiers[name];
    if (tier === undefined) return '';
    return markup`<tr><th scope="row">${name}</th><td>${tier.description ?? MISSING}</td><td>${tier.committee.roles.join(', ')}</td><td class="num">${count(tier.committee.quorum, 'a quorum')}</td></tr>\n`;
  });
  return tableWrap(markup`<table>
<caption>Risk tiers and their committees</caption>
<thead><tr><th scope="col">Tier</th><th scope="col">Description</th><th scope="col">Committee roles</th><th scope="col" class="num">Quorum</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`);
}

function renderModelSections(doc: Policy): SafeHtml {
  const models = doc.models ?? {};
  const names = Object.keys(models).sort();
  if (names.length === 0) return markup`<p class="muted">Every model follows the defaults.</p>`;
  const cell = (value: string | undefined): SafeHtml =>
    value === undefined ? markup`<td class="muted">default</td>` : markup`<td>${value}</td>`;
  const rows = names.map((name) => {
    const section: PolicySection | undefined = models[name];
    if (section === undefined) return '';
    const pipeline =
      section.requireFeaturePipeline === undefined
        ? undefined
        : section.requireFeaturePipeline
          ? 'yes'
          : 'no';
    return markup`<tr><th scope="row">${name}</th>${cell(section.tier)}${cell(section.oncallRole)}${cell(list(section.contexts))}${cell(pipeline)}</tr>\n`;
  });
  return tableWrap(markup`<table>
<caption>Models with their own section (a key given replaces the default)</caption>
<thead><tr><th scope="col">Model</th><th scope="col">Tier</th><th scope="col">On-call role</th><th scope="col">Contexts</th><th scope="col">Feature pipeline required</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`);
}
