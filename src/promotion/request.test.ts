import { describe, expect, it } from 'vitest';

import type { Checked } from './inputs.js';
import { parseRequest, REQUEST_SECTIONS, type ParsedRequest } from './request.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const VALID = `# Promote churn-v7 to retail scoring

## Justification
AUC up 0.02 on the holdout.

## Scope
Retail customers only.

### Out of scope
Business accounts.

## Intended deployment
The nightly batch scorer.

## Known limitations
Under-represents customers younger than 21.

## Appendix
Links.
`;

function problemsOf(checked: Checked<ParsedRequest>): readonly { path: string; message: string }[] {
  if (checked.ok) throw new Error('expected problems, got a request');
  return checked.problems;
}

function valueOf(checked: Checked<ParsedRequest>): ParsedRequest {
  if (!checked.ok) throw new Error(`expected a request, got ${JSON.stringify(checked.problems)}`);
  return checked.value;
}

describe('parseRequest', () => {
  it('reads the four sections and the title, keeping sub-sections and ignoring extra sections', () => {
    const request = valueOf(parseRequest(utf8(VALID)));
    expect(request.markdown).toBe(VALID);
    expect(request.title).toBe('Promote churn-v7 to retail scoring');
    expect(request.sections).toEqual({
      Justification: 'AUC up 0.02 on the holdout.',
      Scope: 'Retail customers only.\n\n### Out of scope\nBusiness accounts.',
      'Intended deployment': 'The nightly batch scorer.',
      'Known limitations': 'Under-represents customers younger than 21.',
    });
  });

  it('matches headings of level 1 to 3 case-insensitively after trimming, with closing #s', () => {
    const text =
      '#  JUSTIFICATION  #\na\n##scope is not a heading\n## scope ##\nb\n###   Intended   Deployment\nc\n' +
      '   ## known limitations\nd\n';
    const request = valueOf(parseRequest(utf8(text)));
    expect(request.title).toBeUndefined();
    expect(request.sections.Scope).toBe('b');
    expect(request.sections['Intended deployment']).toBe('c');
    expect(request.sections['Known limitations']).toBe('d');
  });

  it('accepts setext headings, CRLF line ends and a leading BOM', () => {
    const text =
      '\uFEFFJustification\r\n=============\r\na\r\n\r\nScope\r\n-----\r\nb\r\n\r\n' +
      'Intended deployment\r\n---\r\nc\r\n\r\nKnown limitations\r\n---\r\nd\r\n';
    const request = valueOf(parseRequest(utf8(text)));
    expect(request.sections).toEqual({
      Justification: 'a',
      Scope: 'b',
      'Intended deployment': 'c',
      'Known limitations': 'd',
    });
    // The text to render is the one checked: without the BOM, before which no heading would be one.
    expect(request.markdown).toBe(text.slice(1));
  });

  it('names each missing section', () => {
    const problems = problemsOf(
      parseRequest(utf8('## Justification\nBecause.\n#### Scope\nlevel 4 does not count\n')),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'section "Scope"',
      'section "Intended deployment"',
      'section "Known limitations"',
    ]);
    expect(problems[0]?.message).toMatch(/missing/);
  });

  it('refuses an empty document with all four sections missing', () => {
    expect(problemsOf(parseRequest(new Uint8Array()))).toHaveLength(REQUEST_SECTIONS.length);
  });

  it('counts whitespace, HTML comments and sub-headings alone as empty', () => {
    const text = [
      '## Justification',
      '   ',
      '## Scope',
      '<!-- Which customers, which products? -->',
      '<!--',
      'still a comment',
      '-->',
      '## Intended deployment',
      '### Where',
      '',
      '## Known limitations',
      'Some.',
    ].join('\n');
    const problems = problemsOf(parseRequest(utf8(text)));
    expect(problems).toEqual([
      { path: 'section "Justification"', message: 'is empty (line 1)' },
      { path: 'section "Scope"', message: 'is empty (line 3)' },
      { path: 'section "Intended deployment"', message: 'is empty (line 8)' },
    ]);
  });

  it('refuses a section given twice, naming its lines', () => {
    const text = VALID + '\n### Scope\nAgain.\n';
    const problems = problemsOf(parseRequest(utf8(text)));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('section "Scope"');
    expect(problems[0]?.message).toMatch(/2 times \(lines 6, 21\)/);
  });

  it('does not take headings inside fenced code, a list item or a block quote', () => {
    const text = [
      '## Justification',
      '```markdown',
      '## Scope',
      'in a fence',
      '```',
      '- ## Intended deployment',
      '',
      '> ## Known limitations',
      '~~~~',
      '## Known limitations',
      '~~~',
      'still fenced',
      '~~~~',
    ].join('\n');
    const problems = problemsOf(parseRequest(utf8(text)));
    expect(problems.map((p) => p.path)).toEqual([
      'section "Scope"',
      'section "Intended deployment"',
      'section "Known limitations"',
    ]);
  });

  it('takes a heading between <!-- and --> lines, as the renderer (raw HTML off) shows it', () => {
    const text = VALID.replace('## Scope', '<!--\n## Scope').replace(
      'Retail customers only.',
      'Retail.\n-->',
    );
    expect(valueOf(parseRequest(utf8(text))).sections.Scope).toMatch(/^Retail\.\n-->/);
  });

  it('ends a section at the next required section even when it is nested deeper', () => {
    const text = '# Justification\n### Scope\nb\n## Intended deployment\nc\n## Known limitations\nd\n';
    const problems = problemsOf(parseRequest(utf8(text)));
    expect(problems).toEqual([{ path: 'section "Justification"', message: 'is empty (line 1)' }]);
  });

  it('does not read a list item or a thematic break as a setext heading', () => {
    const text = '## Justification\n- Scope\n---\n\n---\n---\n' + VALID.slice(VALID.indexOf('## Scope'));
    const request = valueOf(parseRequest(utf8(text)));
    expect(request.sections.Justification).toBe('- Scope\n---\n\n---\n---');
  });

  it('refuses invalid UTF-8', () => {
    const bytes = new Uint8Array([...utf8('## Justification\n'), 0xc3, 0x28]);
    expect(problemsOf(parseRequest(bytes))).toEqual([{ path: '', message: 'is not valid UTF-8' }]);
  });
});
