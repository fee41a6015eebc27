// The review document of a feature-pipeline promotion: the approver's screen for the code that computes
// a model's features. Same rules as the model review (render.ts): rendered only from the draft's sealed
// inputs, deterministic bytes, no script, every string through the escaping template.
import type { PipelineRef } from '../promotion/pipeline.js';
import type { IdentityRef, RouteRef } from '../promotion/types.js';
import type { Digest } from '../signing/digest.js';
import { markup, type HtmlValue, type SafeHtml } from './html.js';
import {
  assertHashes,
  code,
  codeRow,
  renderContext,
  renderRequest,
  renderRoute,
  row,
  STYLE,
} from './render.js';

/** Names this renderer; sealed with the view digest. Bump it when the bytes for the same input change. */
export const PIPELINE_RENDERER_VERSION = 'signet-pipeline-review/1';

export interface PipelineReviewInput {
  readonly draft: string;
  readonly pipeline: PipelineRef;
  readonly context: string;
  readonly request: {
    readonly markdown: string;
    readonly digest: Digest;
    readonly author: IdentityRef;
  };
  /** The output contract's features, as parsed from the object `pipeline.outputContract`. */
  readonly outputContract: {
    readonly features: readonly {
      readonly name: string;
      readonly type: string;
      readonly categories?: readonly string[];
    }[];
  };
  readonly route: RouteRef;
  /** Entry id of the previous promotion of this pipeline. */
  readonly previous?: Digest;
}

/**
 * Renders the review document of a feature-pipeline promotion as UTF-8 HTML bytes. Pure and
 * deterministic. Throws VerificationError DIGEST_MISMATCH when the request text does not hash to its
 * digest.
 */
export function renderPipelineReview(input: PipelineReviewInput): Uint8Array {
  assertHashes(new TextEncoder().encode(input.request.markdown), input.request.digest, 'the request text');
  const sections: HtmlValue[] = [
    markup`<header>
<p class="kicker">Review of a feature-pipeline promotion</p>
<h1>${input.pipeline.name}</h1>
<dl>
${row('Draft', code(input.draft))}${row('Renderer', code(PIPELINE_RENDERER_VERSION))}</dl>
</header>`,
    renderRoute(input.route),
    renderPipeline(input.pipeline, input.previous),
    renderContract(input.outputContract),
    renderContext(input.context),
    renderRequest(input.request),
    renderDigests(input),
  ];
  const page = markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="${PIPELINE_RENDERER_VERSION}">
<title>Review of a feature-pipeline promotion: ${input.pipeline.name}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.map((s) => markup`${s}\n`)}</body>
</html>
`;
  return new TextEncoder().encode(page.toString());
}

function renderPipeline(pipeline: PipelineRef, previous: Digest | undefined): SafeHtml {
  return markup`<section id="pipeline">
<h2>Feature pipeline</h2>
<dl>
${row('Name', pipeline.name)}${row('Code digest', code(pipeline.digest))}${row('Output contract', code(pipeline.outputContract))}${codeRow('Previous promotion (entry)', previous)}</dl>
</section>`;
}

function renderContract(contract: PipelineReviewInput['outputContract']): SafeHtml {
  const rows = contract.features.map(
    (f) =>
      markup`<tr><td><code>${f.name}</code></td><td>${f.type}</td><td>${f.categories === undefined ? '' : f.categories.join(', ')}</td></tr>\n`,
  );
  return markup`<section id="output-contract">
<h2>Output contract</h2>
<p class="muted">The features this pipeline produces, in order: what the models that consume it are fed.</p>
<table>
<thead><tr><th scope="col">Feature</th><th scope="col">Type</th><th scope="col">Categories</th></tr></thead>
<tbody>
${rows}</tbody>
</table>
</section>`;
}

function renderDigests(input: PipelineReviewInput): SafeHtml {
  const entries: (readonly [string, string | undefined])[] = [
    ['route policy', input.route.policy],
    ['pipeline code', input.pipeline.digest],
    ['pipeline manifest', input.pipeline.manifest],
    ['output contract', input.pipeline.outputContract],
    ['pipeline registration', input.pipeline.registration],
    ['previous promotion (entry)', input.previous],
    ['request document', input.request.digest],
  ];
  const rows = entries
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .map(([what, digest]) => markup`<tr><th scope="row">${what}</th><td><code>${digest}</code></td></tr>\n`);
  return markup`<footer id="digests">
<h2>Digests</h2>
<table class="digests">
<tbody>
${rows}</tbody>
</table>
<p class="muted">Rendered by ${PIPELINE_RENDERER_VERSION} for draft ${input.draft}.</p>
</footer>`;
}
