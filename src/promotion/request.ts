// The approval request: a Markdown text written by the requester, with four required sections. The bytes
// are attacker-controlled (anyone may propose) and are sealed as given; this module only checks that the
// sections an approver needs are there and say something.
//
// What counts as a heading is decided by markdown-it with the block options of the review renderer
// (src/review/markdown.ts: `default` preset, `html: false`), so a section is found exactly when the
// approver sees its heading: nothing in a code block counts, and, as raw HTML is shown as text there, a
// heading between `<!--` and `-->` lines counts too. Only top-level headings open sections (not one
// inside a list item or a block quote).
import MarkdownIt from 'markdown-it';

import type { Problem, Checked } from './inputs.js';

/** The sections every request must have, each exactly once and non-empty. */
export const REQUEST_SECTIONS = [
  'Justification',
  'Scope',
  'Intended deployment',
  'Known limitations',
] as const;

export type RequestSectionName = (typeof REQUEST_SECTIONS)[number];

/** Headings of these levels may open a required section. */
export const MAX_SECTION_HEADING_LEVEL = 3;

export interface ParsedRequest {
  /**
   * The text as decoded (UTF-8, a leading BOM removed): render this, so the approver sees the headings
   * that were checked (markdown-it reads a BOM before `## Scope` as paragraph text).
   */
  readonly markdown: string;
  /** Each required section's Markdown body as written (trimmed; comments and sub-headings kept). */
  readonly sections: Readonly<Record<RequestSectionName, string>>;
  /** The text of a leading level-1 heading that is not a required section, if any. */
  readonly title?: string;
}

interface Heading {
  readonly level: number;
  readonly text: string;
  /** 0-based index of the heading's first line (the text line of a setext heading). */
  readonly start: number;
  /** 0-based index of the first line after the heading. */
  readonly end: number;
}

const UTF8_BOM = '\uFEFF';
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
// Keep `html` equal to the renderer's: with raw HTML off, an HTML block is a paragraph of text.
const markdown = new MarkdownIt('default', { html: false });

/**
 * Checks an approval request: UTF-8 Markdown (a leading BOM is ignored) whose headings of level 1–3
 * include each of REQUEST_SECTIONS exactly once (matched case-insensitively after trimming), each with
 * some text other than whitespace, HTML comments and sub-headings. Other sections are allowed. A
 * section runs to the next heading of the same or a higher level, or to the next required section.
 *
 * @example
 * parseRequest(new TextEncoder().encode('## Justification\nWhy.\n## Scope\n...'));
 * // { ok: false, problems: [{ path: 'section "Scope"', message: 'is empty (line 3)' }, ...] }
 */
export function parseRequest(bytes: Uint8Array): Checked<ParsedRequest> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { ok: false, problems: [{ path: '', message: 'is not valid UTF-8' }] };
  }
  if (text.startsWith(UTF8_BOM)) text = text.slice(UTF8_BOM.length);
  const lines = text.split(/\r\n|\r|\n/);
  const headings = findHeadings(text);

  const problems: Problem[] = [];
  const sections: Partial<Record<RequestSectionName, string>> = {};
  for (const name of REQUEST_SECTIONS) {
    const path = `section ${JSON.stringify(name)}`;
    const found = headings
      .map((heading, index) => ({ heading, index }))
      .filter(({ heading }) => heading.level <= MAX_SECTION_HEADING_LEVEL && sectionOf(heading) === name);
    const first = found[0];
    if (first === undefined) {
      problems.push({ path, message: `is missing: add a heading "## ${name}"` });
      continue;
    }
    if (found.length > 1) {
      const at = found.map(({ heading }) => heading.start + 1).join(', ');
      problems.push({ path, message: `appears ${found.length} times (lines ${at}); keep one` });
      continue;
    }
    const body = sectionBody(lines, headings, first.index);
    if (isBlank(body, headings, first.index)) {
      problems.push({ path, message: `is empty (line ${first.heading.start + 1})` });
      continue;
    }
    sections[name] = body.join('\n').trim();
  }
  if (problems.length > 0) return { ok: false, problems };

  const lead = headings[0];
  const title =
    lead?.level === 1 && sectionOf(lead) === undefined && lead.text !== '' ? lead.text : undefined;
  const value: ParsedRequest = {
    markdown: text,
    sections: sections as Record<RequestSectionName, string>,
    ...(title === undefined ? {} : { title }),
  };
  return { ok: true, value };
}

function sectionOf(heading: Heading): RequestSectionName | undefined {
  const key = heading.text.replace(/\s+/g, ' ').trim().toLowerCase();
  return REQUEST_SECTIONS.find((name) => name.toLowerCase() === key);
}

/** The lines of the section opened by headings[index], up to the heading that closes it. */
function sectionBody(lines: readonly string[], headings: readonly Heading[], index: number): string[] {
  const open = headings[index];
  if (open === undefined) return [];
  const close = headings
    .slice(index + 1)
    .find(
      (h) => h.level <= open.level || (h.level <= MAX_SECTION_HEADING_LEVEL && sectionOf(h) !== undefined),
    );
  return lines.slice(open.end, close?.start ?? lines.length);
}

/** True when the body holds nothing but whitespace, HTML comments and sub-headings. */
function isBlank(body: readonly string[], headings: readonly Heading[], index: number): boolean {
  const open = headings[index];
  if (open === undefined) return true;
  const subHeadingLines = new Set<number>();
  for (const h of headings.slice(index + 1)) {
    for (let line = h.start; line < h.end; line++) subHeadingLines.add(line - open.end);
  }
  const kept = body.filter((_, i) => !subHeadingLines.has(i)).join('\n');
  return kept.replace(HTML_COMMENT, '').trim() === '';
}

function findHeadings(text: string): Heading[] {
  const tokens = markdown.parse(text, {});
  const headings: Heading[] = [];
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open' || token.level !== 0 || token.map === null) return;
    headings.push({
      level: Number(token.tag.slice(1)),
      text: (tokens[i + 1]?.content ?? '').trim(),
      start: token.map[0],
      end: token.map[1],
    });
  });
  return headings;
}

/**
 * The first line of every request `signet promote` generates from the numbers: whoever reads the review
 * document sees that no person wrote it, and a material route refuses it (propose, approve and seal).
 */
export const GENERATED_REQUEST_MARKER =
  '_This request was generated by `signet promote` from the numbers below; no person wrote it._';

/**
 * Whether a request's bytes (attacker-controlled) start with GENERATED_REQUEST_MARKER, after a leading
 * BOM and whitespace, which a renderer would not show either. Bytes that are not UTF-8 are not a
 * generated request (parseRequest refuses them anyway).
 */
export function isGeneratedRequest(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return false;
  }
  if (text.startsWith(UTF8_BOM)) text = text.slice(UTF8_BOM.length);
  return text.trimStart().startsWith(GENERATED_REQUEST_MARKER);
}
