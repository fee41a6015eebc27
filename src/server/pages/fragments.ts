// Small pieces the pages share: fact lists, entry links, badges, verdicts, times. Every string that
// reaches them may be hostile (a model name, a reason, an identity) and goes through the escaping
// template; numbers go through format.ts, never through the locale.
import { formatCount, formatSigned, formatValue } from '../../review/format.js';
import { markup, type HtmlValue, type SafeHtml } from '../../review/html.js';
import { entryPath } from './paths.js';

/** The id of the aria-live region the passkey script writes its progress and errors to. */
export const STATUS_REGION_ID = 'signet-status';

/** Shown where a value is absent. */
export const MISSING = '—';

/** A ledger entry as pages link to it. */
export interface EntryLinkView {
  readonly index: number;
  readonly id: string;
  /** The log time, RFC 3339 UTC as the log assigned it. */
  readonly time: string;
}

/** An identity as sealed in an event (`IdentityRef`): who, vouched for by which issuer. */
export interface IdentityView {
  readonly issuer: string;
  readonly subject: string;
  readonly name?: string;
}

/** One verification step's result; `detail` says why it failed (or what was checked). */
export interface CheckView {
  readonly ok: boolean;
  readonly detail?: string;
}

/** `[term, value]`; an undefined value leaves the row out. */
export type Fact = readonly [string, HtmlValue | undefined];

/** A definition list of facts, in order. */
export function facts(rows: readonly Fact[]): SafeHtml {
  const items = rows
    .filter((row): row is readonly [string, HtmlValue] => row[1] !== undefined)
    .map(([term, value]) => markup`<dt>${term}</dt><dd>${value}</dd>\n`);
  return markup`<dl class="facts">\n${items}</dl>`;
}

export function code(text: string): SafeHtml {
  return markup`<code>${text}</code>`;
}

/** A digest in <code>, or undefined when there is none (the fact is left out). */
export function optionalCode(text: string | undefined): SafeHtml | undefined {
  return text === undefined ? undefined : code(text);
}

export function count(value: number, what?: string): string {
  return formatCount(value, what);
}

/** An entry link by index: `#12`, with the id in the title. */
export function entryLink(entry: Pick<EntryLinkView, 'index' | 'id'>): SafeHtml {
  return markup`<a href="${entryPath(entry.index)}" title="${entry.id}">#${count(entry.index, 'an entry index')}</a>`;
}

/** An entry link by id only (sealed fields name entries by id): the id in <code>. */
export function entryIdLink(id: string): SafeHtml {
  return markup`<a href="${entryPath(id)}"><code>${id}</code></a>`;
}

/** A time the log assigned, shown as written (UTC), machine-readable for assistive technology. */
export function time(iso: string): SafeHtml {
  return markup`<time datetime="${iso}">${iso}</time>`;
}

const ROUTE_CLASSES: Readonly<Record<string, string>> = { low: 'route-low', material: 'route-material' };

/** `low` or `material`, coloured; any other value is shown plainly. */
export function routeBadge(materiality: string): SafeHtml {
  const cls = Object.hasOwn(ROUTE_CLASSES, materiality) ? ROUTE_CLASSES[materiality] : undefined;
  return cls === undefined
    ? markup`<span class="badge">${materiality}</span>`
    : markup`<span class="badge ${cls}">${materiality}</span>`;
}

/** A verdict word with its colour: the word carries the meaning, the colour only repeats it. */
export function verdict(ok: boolean, okText = 'verified', failText = 'failed'): SafeHtml {
  return ok
    ? markup`<span class="badge verdict-ok">✓ ${okText}</span>`
    : markup`<span class="badge verdict-failed">✗ ${failText}</span>`;
}

/** A check's verdict followed by its detail, if any. */
export function checkResult(check: CheckView, okText = 'verified', failText = 'failed'): SafeHtml {
  const detail = check.detail === undefined ? '' : markup` <span class="muted">${check.detail}</span>`;
  return markup`${verdict(check.ok, okText, failText)}${detail}`;
}

/** `Name <subject>` (or the subject alone), then the issuer, muted. */
export function identityText(identity: IdentityView): SafeHtml {
  const who = identity.name === undefined ? identity.subject : `${identity.name} <${identity.subject}>`;
  return markup`${who} <span class="muted">(issuer ${identity.issuer})</span>`;
}

/** The live region the passkey script reports to (progress politely, errors as text). */
export function statusRegion(): SafeHtml {
  return markup`<p id="${STATUS_REGION_ID}" class="status" role="status" aria-live="polite"></p>`;
}

/** A metric value for a table cell, or "—" when absent or not a finite number. */
export function metricText(value: number | undefined, signed = false): string {
  if (value === undefined || !Number.isFinite(value)) return MISSING;
  return signed ? formatSigned(value) : formatValue(value);
}

/** A list, or a muted sentence when it is empty. */
export function listOr(items: readonly HtmlValue[], empty: string): SafeHtml {
  return items.length === 0
    ? markup`<p class="muted">${empty}</p>`
    : markup`<ul class="plain">\n${items.map((item) => markup`<li>${item}</li>\n`)}</ul>`;
}

/** Wraps a wide table so it scrolls on its own on a narrow screen. */
export function tableWrap(table: SafeHtml): SafeHtml {
  return markup`<div class="table-wrap">\n${table}\n</div>`;
}
