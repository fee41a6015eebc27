// An escaping template for the review document (hono `html`): every interpolated string goes through
// the one `escapeHtml`, in text and in attributes alike. Markup that is not escaped is a `SafeHtml`,
// made only by this template or by `trustedHtml` for an audited fragment (the Markdown renderer's
// output). Numbers are not accepted: they must be formatted by `format.ts`, never by the locale.
//
// The tag is deliberately not called `html`: Prettier reformats templates tagged `html` as embedded
// HTML, and then the bytes of every review document would depend on the formatter's version.
import { SignetError } from '../errors.js';

// Set by SafeHtml's static block: only this module can create markup.
let createSafeHtml: (markup: string) => SafeHtml;

/** Markup that is already safe to place in the document. Nominal: a plain object cannot pass for it. */
export class SafeHtml {
  readonly #markup: string;

  private constructor(markup: string) {
    this.#markup = markup;
  }

  static {
    createSafeHtml = (markup) => new SafeHtml(markup);
  }

  toString(): string {
    return this.#markup;
  }
}

export type HtmlValue = string | SafeHtml | readonly HtmlValue[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * Tagged template: the literal parts are markup, each interpolation is escaped unless it is SafeHtml;
 * arrays are concatenated. Example: markup`<td title="${name}">${cell}</td>`.
 */
export function markup(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) {
    out += renderValue(values[i]) + (strings[i + 1] ?? '');
  }
  return createSafeHtml(out);
}

/** Marks an audited fragment as markup. Keep the callers few and say why each is safe. */
export function trustedHtml(markup: string): SafeHtml {
  return createSafeHtml(markup);
}

function renderValue(value: HtmlValue | undefined): string {
  if (typeof value === 'string') return escapeHtml(value);
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(renderValue).join('');
  // The types forbid it; a number or undefined here would be formatted by chance, not by rule.
  throw new SignetError('INTERNAL', `the review template got a ${typeof value}, not a string or markup`);
}
