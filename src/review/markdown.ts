// The approval request's Markdown, rendered safely: raw HTML is escaped as text (`html: false`), bare
// URLs stay text (`linkify: false`), and a link becomes a link only for http(s) and mailto (everything
// else — javascript:, data:, vbscript:, relative paths — stays visible as the text the author wrote).
// Markdown images are shown as text: the page is self-contained and CSP would block them anyway.
import MarkdownIt from 'markdown-it';

import { escapeHtml, trustedHtml, type SafeHtml } from './html.js';

// markdown-it hands validateLink the destination after entity decoding and percent-encoding
// (normalizeLink), so `&#106;avascript:` and `JAVASCRIPT:` arrive here as `javascript:` / `JAVASCRIPT:`.
const LINKABLE = /^(?:https?:|mailto:)/i;

const markdown = new MarkdownIt('default', {
  html: false,
  linkify: false,
  typographer: false,
  breaks: false,
  xhtmlOut: false,
});
markdown.validateLink = (url: string): boolean => LINKABLE.test(url);

markdown.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  // noreferrer also implies noopener.
  tokens[idx]?.attrSet('rel', 'noreferrer');
  return self.renderToken(tokens, idx, options);
};

markdown.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  if (token === undefined) return '';
  const alt = self.renderInlineAsText(token.children ?? [], options, env);
  const src = token.attrGet('src') ?? '';
  return `<span class="md-image">[image: ${escapeHtml(alt)} — ${escapeHtml(src)}]</span>`;
};

// Headings go two levels down (# → h3 … capped at h6): the request sits under the page's own h2
// sections, and a "# Route" written in the request must not look like the page's Route section.
const HEADING_SHIFT = 2;
const shiftHeading = (tag: string): string => `h${Math.min(6, Number(tag.slice(1)) + HEADING_SHIFT)}`;
markdown.renderer.rules.heading_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  if (token !== undefined) token.tag = shiftHeading(token.tag);
  return self.renderToken(tokens, idx, options);
};
markdown.renderer.rules.heading_close = markdown.renderer.rules.heading_open;

/** The request Markdown as an HTML fragment (audited: markdown-it with the rules above). */
export function renderMarkdown(source: string): SafeHtml {
  return trustedHtml(markdown.render(source, {}));
}
