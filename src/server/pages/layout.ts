// The frame every page of the web UI shares: one HTML document with the nav and a main element. Pure:
// data in, a string out. The server sends every page under
//   Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;
//   frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'
// so a page holds no inline script, no style attribute and no event-handler attribute: styles come from
// SIGNET_CSS at STYLESHEET_PATH and behaviour from same-origin script files only.
import { SignetError } from '../../errors.js';
import { markup, type SafeHtml } from '../../review/html.js';
import { INBOX_PATH, LEDGER_PATH, MODELS_PATH, POLICY_PATH, STYLESHEET_PATH, signInPath } from './paths.js';

/** The sections the nav links to; `active` marks the current one. */
export type NavKey = 'inbox' | 'models' | 'ledger' | 'policy';

const NAV: readonly { readonly key: NavKey; readonly label: string; readonly href: string }[] = [
  { key: 'inbox', label: 'Inbox', href: INBOX_PATH },
  { key: 'models', label: 'Models', href: MODELS_PATH },
  { key: 'ledger', label: 'Ledger', href: LEDGER_PATH },
  { key: 'policy', label: 'Policy', href: POLICY_PATH },
];

export interface PageInput {
  /** The document title, before " · Signet". */
  readonly title: string;
  /** The signed-in identity; absent: the nav offers "Sign in". */
  readonly identity?: string | undefined;
  readonly active?: NavKey | undefined;
  /** The content of <main>. */
  readonly body: SafeHtml;
  /** Same-origin script paths (such as PASSKEY_SCRIPT_PATH), loaded with `defer`. */
  readonly scripts?: readonly string[];
}

// A path on this origin: one leading slash, not "//" or "/\" (which browsers read as another host).
const SAME_ORIGIN_PATH = /^\/(?![/\\])[^\s"'<>]*$/;

/**
 * The whole HTML document of a page.
 *
 * @example
 * page({ title: 'Inbox', identity: 'bob@bank.example', active: 'inbox', body: markup`<h1>Inbox</h1>` });
 */
export function page(input: PageInput): string {
  const scripts = (input.scripts ?? []).map((src) => {
    if (!SAME_ORIGIN_PATH.test(src)) {
      throw new SignetError(
        'INTERNAL',
        `a page script must be a same-origin path, got ${JSON.stringify(src)}`,
      );
    }
    return markup`<script src="${src}" defer></script>\n`;
  });
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${input.title} · Signet</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
${scripts}</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
${renderNav(input.active, input.identity)}
</header>
<main id="main">
${input.body}
</main>
</body>
</html>
`.toString();
}

function renderNav(active: NavKey | undefined, identity: string | undefined): SafeHtml {
  const links = NAV.map(({ key, label, href }) =>
    key === active
      ? markup`<li><a href="${href}" aria-current="page">${label}</a></li>\n`
      : markup`<li><a href="${href}">${label}</a></li>\n`,
  );
  const who =
    identity === undefined
      ? markup`<p class="who"><a href="${signInPath()}">Sign in</a></p>`
      : markup`<p class="who">Signed in as <strong>${identity}</strong></p>`;
  return markup`<nav aria-label="Main">
<a class="brand" href="${INBOX_PATH}">Signet</a>
<ul class="nav-links">
${links}</ul>
${who}
</nav>`;
}

/**
 * The stylesheet of every page, served at STYLESHEET_PATH. System fonts only; colours meet WCAG AA
 * contrast on their backgrounds (text #1f2328 and links #0550ae on white, white on the button colours);
 * focus is always visible; state is never shown by colour alone (a word goes with it).
 */
export const SIGNET_CSS = `/* Signet web UI */
:root {
  --text: #1f2328;
  --muted: #57606a;
  --border: #d0d7de;
  --surface: #f6f8fa;
  --link: #0550ae;
  --focus: #0969da;
  --ok: #1a7f37;
  --ok-bg: #dafbe1;
  --bad: #cf222e;
  --bad-bg: #ffebe9;
  --warn-bg: #fff8c5;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}

*,
*::before,
*::after {
  box-sizing: border-box;
}

body {
  margin: 0;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 1rem;
  line-height: 1.5;
  color: var(--text);
  background: #fff;
}

a {
  color: var(--link);
}

:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
}

.skip-link {
  position: absolute;
  left: 0.5rem;
  top: -3rem;
  padding: 0.5rem 1rem;
  background: #fff;
  border: 2px solid var(--focus);
  z-index: 10;
}

.skip-link:focus {
  top: 0.5rem;
}

/* Header and nav */
.site-header {
  border-bottom: 1px solid var(--border);
  background: var(--surface);
}

.site-header nav {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.5rem 1.5rem;
  max-width: 72rem;
  margin: 0 auto;
  padding: 0.6rem 1.5rem;
}

.brand {
  font-weight: 700;
  font-size: 1.15rem;
  color: var(--text);
  text-decoration: none;
}

.nav-links {
  display: flex;
  flex-wrap: wrap;
  gap: 0.25rem 1rem;
  margin: 0;
  padding: 0;
  list-style: none;
}

.nav-links a {
  display: inline-block;
  padding: 0.2rem 0.1rem;
  text-decoration: none;
}

.nav-links a:hover,
.nav-links a[aria-current="page"] {
  text-decoration: underline;
  text-underline-offset: 0.3em;
}

.nav-links a[aria-current="page"] {
  font-weight: 600;
  color: var(--text);
}

.who {
  margin: 0 0 0 auto;
  color: var(--muted);
  overflow-wrap: anywhere;
}

.who strong {
  color: var(--text);
}

main {
  max-width: 72rem;
  margin: 0 auto;
  padding: 1.5rem;
}

/* Text */
h1 {
  margin: 0 0 1rem;
  font-size: 1.6rem;
  overflow-wrap: anywhere;
}

h2 {
  margin: 2rem 0 0.5rem;
  padding-bottom: 0.2rem;
  border-bottom: 1px solid var(--border);
  font-size: 1.25rem;
  overflow-wrap: anywhere;
}

h3 {
  margin: 1.25rem 0 0.5rem;
  font-size: 1.05rem;
  overflow-wrap: anywhere;
}

p {
  margin: 0.5rem 0;
}

.muted {
  color: var(--muted);
}

.kicker {
  margin: 0;
  color: var(--muted);
  font-size: 0.8rem;
  letter-spacing: 0.08em;
  text-transform: uppercase;
}

code,
pre {
  font-family: var(--mono);
  font-size: 0.875em;
}

code {
  overflow-wrap: anywhere;
}

pre {
  margin: 0.5rem 0;
  padding: 0.75rem 1rem;
  overflow-x: auto;
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: 6px;
  white-space: pre;
}

.pre-text {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}

/* Facts as a definition list */
dl.facts {
  display: grid;
  grid-template-columns: max-content minmax(0, 1fr);
  gap: 0.25rem 1rem;
  margin: 0.5rem 0;
}

dl.facts dt {
  font-weight: 600;
  color: var(--muted);
}

dl.facts dd {
  margin: 0;
  overflow-wrap: anywhere;
}

/* Tables */
.table-wrap {
  overflow-x: auto;
}

table {
  border-collapse: collapse;
  margin: 0.5rem 0;
  width: 100%;
}

caption {
  text-align: left;
  font-weight: 600;
  padding: 0.25rem 0;
}

th,
td {
  border: 1px solid var(--border);
  padding: 0.35rem 0.6rem;
  text-align: left;
  vertical-align: top;
}

thead th {
  background: var(--surface);
}

td.num,
th.num {
  text-align: right;
  font-variant-numeric: tabular-nums;
  white-space: nowrap;
}

/* Badges: a word and a colour, never the colour alone */
.badge {
  display: inline-block;
  padding: 0 0.5rem;
  border: 1px solid currentColor;
  border-radius: 999px;
  font-size: 0.85em;
  font-weight: 600;
  white-space: nowrap;
}

.route-low,
.verdict-ok,
.decision-allow {
  color: var(--ok);
  background: var(--ok-bg);
}

.route-material,
.verdict-failed,
.decision-deny {
  color: var(--bad);
  background: var(--bad-bg);
}

/* Population-shift monitor: levels and charts */
.level-warn {
  color: #7d4e00;
  background: var(--warn-bg);
}

.level-insufficient {
  color: #57606a;
  background: #f6f8fa;
}

svg.psi-chart {
  max-width: 100%;
  height: auto;
}

.better {
  color: var(--ok);
}

.worse {
  color: var(--bad);
}

/* Notices */
.notice {
  margin: 1rem 0;
  padding: 0.75rem 1rem;
  border: 1px solid var(--border);
  border-left-width: 4px;
  border-radius: 6px;
  background: var(--surface);
}

.notice-ok {
  border-color: var(--ok);
  background: var(--ok-bg);
}

.notice-bad {
  border-color: var(--bad);
  background: var(--bad-bg);
}

.notice-warn {
  border-color: #9a6700;
  background: var(--warn-bg);
}

/* The live region the passkey script writes to */
.status:empty {
  display: none;
}

.status {
  margin: 1rem 0;
  padding: 0.5rem 1rem;
  border-left: 4px solid var(--focus);
  background: var(--surface);
}

.status[data-kind="error"] {
  border-left-color: var(--bad);
  background: var(--bad-bg);
}

/* Forms and buttons */
label {
  display: block;
  font-weight: 600;
  margin: 0.75rem 0 0.25rem;
}

textarea,
input[type="number"],
input[type="text"] {
  font: inherit;
  padding: 0.4rem 0.5rem;
  border: 1px solid #6e7781;
  border-radius: 6px;
  max-width: 100%;
}

textarea {
  width: 100%;
  min-height: 5rem;
  resize: vertical;
}

.hint {
  margin: 0.25rem 0;
  color: var(--muted);
  font-size: 0.9em;
}

button {
  font: inherit;
  font-weight: 600;
  padding: 0.45rem 1.1rem;
  border: 1px solid #1f2328;
  border-radius: 6px;
  color: #fff;
  background: #24292f;
  cursor: pointer;
}

button.approve {
  background: var(--ok);
  border-color: #116329;
}

button.reject {
  background: var(--bad);
  border-color: #a40e26;
}

button.secondary {
  color: var(--text);
  background: var(--surface);
  border-color: #6e7781;
}

button:disabled {
  cursor: not-allowed;
  opacity: 0.6;
}

.inline-form {
  display: flex;
  flex-wrap: wrap;
  align-items: flex-end;
  gap: 0.5rem 1rem;
}

.inline-form label {
  margin: 0;
}

.actions {
  display: flex;
  flex-wrap: wrap;
  gap: 1.5rem;
  align-items: flex-start;
}

.actions > * {
  flex: 1 1 20rem;
}

.pagination {
  display: flex;
  gap: 1.5rem;
  margin: 0.75rem 0;
}

/* The review page: the stored document beside its digest */
.review-layout {
  display: grid;
  grid-template-columns: minmax(0, 1fr) 18rem;
  gap: 1.5rem;
  align-items: start;
}

@media (max-width: 60rem) {
  .review-layout {
    grid-template-columns: minmax(0, 1fr);
  }
}

.review-frame {
  display: block;
  width: 100%;
  height: 80vh;
  min-height: 30rem;
  border: 2px solid var(--border);
  border-radius: 6px;
  background: #fff;
}

.review-side {
  position: sticky;
  top: 1rem;
}

.digest {
  display: block;
  padding: 0.5rem;
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: 6px;
  overflow-wrap: anywhere;
}

.card {
  margin: 1rem 0;
  padding: 0.75rem 1rem;
  border: 1px solid var(--border);
  border-radius: 6px;
}

.card > h3:first-child,
.card > h2:first-child {
  margin-top: 0;
}

ul.plain {
  margin: 0.25rem 0;
  padding-left: 1.25rem;
}

@media print {
  .site-header,
  .skip-link,
  .actions {
    display: none;
  }
}
`;
