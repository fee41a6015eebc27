// Inputs every in-process promotion fixture writes: an approval request with the four sections the
// request check requires, and a tiny SVG explanation.
export const REQUEST = [
  '# Credit scorecard',
  '',
  '## Justification',
  'Better separation on the holdout.',
  '## Scope',
  'Retail credit in the UK.',
  '## Intended deployment',
  'Nightly batch scoring.',
  '## Known limitations',
  'Thin files are under-represented.',
  '',
].join('\n');

export const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"><rect width="3" height="1"/></svg>\n';
