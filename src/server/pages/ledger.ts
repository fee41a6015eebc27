// The ledger page: a page of entries, the current signed checkpoint, and an inclusion proof for an
// entry on request (GET /ledger?prove=N), with what an auditor needs to check it by hand.
import { markup, type SafeHtml } from '../../review/html.js';
import { code, count, entryLink, facts, tableWrap, time, type EntryLinkView } from './fragments.js';
import { page } from './layout.js';
import { LEDGER_PATH, entryPath, ledgerPath } from './paths.js';

export interface LedgerEntryRow extends EntryLinkView {
  /** The entry kind: `model-promotion`, `role-grant`, `deployment`, ... */
  readonly kind: string;
}

/** An RFC 9162 inclusion proof (`InclusionProof` from the log use case has these fields). */
export interface InclusionProofView {
  readonly index: number;
  readonly size: number;
  readonly entryId: string;
  /** Hex. */
  readonly leafHash: string;
  /** Hex. */
  readonly rootHash: string;
  /** The audit path, hex, leaf to root. */
  readonly hashes: readonly string[];
}

export interface LedgerPageData {
  readonly identity?: string;
  /** The entries of this page, in index order. */
  readonly entries: readonly LedgerEntryRow[];
  /** The index of the first entry of this page. */
  readonly from: number;
  /** Entries per page. */
  readonly limit: number;
  /** The ledger's size (number of entries). */
  readonly size: number;
  /** The current checkpoint: the signed note text, as `signet log checkpoint` prints it. */
  readonly checkpoint: string;
  /** The proof asked for with ?prove=N: the proof, or why there is none. */
  readonly prove?:
    | { readonly index: number; readonly proof: InclusionProofView }
    | { readonly index: number; readonly error: string };
}

export function renderLedgerPage(data: LedgerPageData): string {
  const body = markup`<h1>Ledger</h1>
<p class="muted">Every entry, append-only, in a Merkle tree (RFC 9162) whose signed checkpoint is below. Anyone can check an entry's inclusion with the proof this page gives.</p>
${renderEntries(data)}
<section id="checkpoint" aria-labelledby="checkpoint-heading">
<h2 id="checkpoint-heading">Current checkpoint</h2>
<p class="muted">The signed tree head (C2SP tlog-checkpoint, signed note). Keep a copy: <code>signet verify --checkpoint FILE</code> later proves the log only grew.</p>
<pre>${data.checkpoint}</pre>
</section>
${renderProve(data)}`;
  return page({ title: 'Ledger', identity: data.identity, active: 'ledger', body });
}

function renderEntries(data: LedgerPageData): SafeHtml {
  const { entries, from, size } = data;
  const limit = Math.max(1, data.limit);
  if (entries.length === 0) {
    return markup`<p class="muted">No entries on this page.</p>\n${renderPagination(from, limit, size)}`;
  }
  const first = entries[0]?.index ?? from;
  const last = entries[entries.length - 1]?.index ?? from;
  const rows = entries.map(
    (e) =>
      markup`<tr><td class="num">${entryLink(e)}</td><td>${e.kind}</td><td>${time(e.time)}</td><td><a href="${entryPath(e.index)}">${code(e.id)}</a></td></tr>\n`,
  );
  return markup`${tableWrap(markup`<table>
<caption>Entries ${count(first)} to ${count(last)} of ${count(size)} (indexes from 0)</caption>
<thead><tr><th scope="col" class="num">Index</th><th scope="col">Kind</th><th scope="col">Log time</th><th scope="col">Id</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`)}
${renderPagination(from, limit, size)}`;
}

function renderPagination(from: number, limit: number, size: number): SafeHtml {
  const links: SafeHtml[] = [];
  if (from > 0) {
    links.push(markup`<a href="${ledgerPath({ from: 0 })}" rel="first">First</a>`);
    links.push(markup`<a href="${ledgerPath({ from: Math.max(0, from - limit) })}" rel="prev">Previous</a>`);
  }
  if (from + limit < size) {
    links.push(markup`<a href="${ledgerPath({ from: from + limit })}" rel="next">Next</a>`);
    const lastPage = Math.max(0, Math.floor((size - 1) / limit) * limit);
    links.push(markup`<a href="${ledgerPath({ from: lastPage })}" rel="last">Latest</a>`);
  }
  return links.length === 0
    ? markup``
    : markup`<nav class="pagination" aria-label="Ledger pages">${links}</nav>`;
}

function renderProve(data: LedgerPageData): SafeHtml {
  const max = data.size === 0 ? '0' : count(data.size - 1);
  const value = data.prove === undefined ? '' : count(data.prove.index, 'an entry index');
  let result: SafeHtml | string = '';
  if (data.prove !== undefined) {
    result =
      'error' in data.prove
        ? markup`<p class="notice notice-bad">No proof for entry ${value}: ${data.prove.error}</p>`
        : renderProof(data.prove.proof);
  }
  return markup`<section id="prove" aria-labelledby="prove-heading">
<h2 id="prove-heading">Inclusion proof</h2>
<form class="inline-form" method="get" action="${LEDGER_PATH}">
<div>
<label for="prove-index">Entry index</label>
<input type="number" id="prove-index" name="prove" min="0" max="${max}" step="1" required value="${value}">
</div>
<button type="submit" class="secondary">Prove inclusion</button>
</form>
${result}
</section>`;
}

function renderProof(proof: InclusionProofView): SafeHtml {
  const hashes =
    proof.hashes.length === 0
      ? markup`<p class="muted">No hashes: the tree has one entry, whose leaf hash is the root.</p>`
      : markup`<ol start="0">\n${proof.hashes.map((h) => markup`<li>${code(h)}</li>\n`)}</ol>`;
  return markup`<div class="card">
<h3>Entry ${entryLink({ index: proof.index, id: proof.entryId })} in the tree of size ${count(proof.size, 'a tree size')}</h3>
${facts([
  ['Entry id', code(proof.entryId)],
  ['Leaf hash', code(proof.leafHash)],
  ['Root hash', code(proof.rootHash)],
])}
<h4>Audit path, leaf to root</h4>
${hashes}
<p class="hint">Check it as RFC 9162 §2.1.3.2 says (docs/formats.md shows it by hand), or run <code>signet log prove inclusion ${count(proof.index)}</code> and <code>signet verify</code>. The root hash must be the checkpoint's (there in base64).</p>
</div>`;
}
