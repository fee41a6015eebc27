import { describe, expect, it } from 'vitest';

import { escapeHtml, markup, trustedHtml, type HtmlValue } from './html.js';

describe('the escaping template', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
  });

  it('escapes interpolated strings in text and attributes, keeps markup, joins arrays', () => {
    const inner = markup`<b>${'<i>'}</b>`;
    expect(markup`<p title="${'"x"'}">${'<script>'}${inner}${['<', markup`<br>`]}</p>`.toString()).toBe(
      '<p title="&quot;x&quot;">&lt;script&gt;<b>&lt;i&gt;</b>&lt;<br></p>',
    );
    expect(markup`${trustedHtml('<hr>')}`.toString()).toBe('<hr>');
  });

  it('refuses a value that is neither text nor markup', () => {
    const sneaky = 1.5 as unknown as HtmlValue;
    expect(() => markup`${sneaky}`).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    // A look-alike object is not markup.
    const forged = { toString: () => '<script>' } as unknown as HtmlValue;
    expect(() => markup`${forged}`).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
