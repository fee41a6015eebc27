// /v1/docs: the OpenAPI document as one server-rendered page — every operation with its parameters,
// request body and responses, and every schema, references linked. No script, no external asset; every
// value goes through hono's escaping `html` template.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

import {
  operationsOf,
  type JsonSchema,
  type OpenApiDocument,
  type Operation,
  type ResponseObject,
} from './openapi.js';

/** The page's own Content-Security-Policy: inline styles only. */
export const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const COMPONENT_REF = '#/components/schemas/';

/** `html`, which is synchronous for everything this page renders. */
function h(strings: TemplateStringsArray, ...values: unknown[]): HtmlEscapedString {
  const out = html(strings, ...values);
  if (out instanceof Promise) throw new Error('the docs page rendered asynchronously');
  return out;
}

export function renderDocs(document: OpenApiDocument): string {
  const operations = operationsOf(document);
  const byTag = document.tags.map((tag) => ({
    tag,
    operations: operations.filter((o) => o.operation.tags[0] === tag.name),
  }));
  const page = h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${document.info.title} HTTP API ${document.info.version}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem 2rem; color: #1a1a1a; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f5f5f4; padding: .6rem .8rem; overflow-x: auto; border-radius: 4px; }
section.op { border-top: 1px solid #ddd; padding: .6rem 0; }
.method { display: inline-block; min-width: 3.5rem; font-weight: 700; text-transform: uppercase; }
.public { color: #555; font-size: 13px; }
table { border-collapse: collapse; margin: .4rem 0; }
th, td { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; vertical-align: top; }
nav ul { columns: 2; }
</style>
</head>
<body>
<h1>${document.info.title} HTTP API <small>${document.info.version}</small></h1>
<p>${document.info.description}</p>
<p>The machine-readable document: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI ${document.openapi}).</p>
<nav><ul>${operations.map(
    ({ method, path, operation }) =>
      h`<li><a href="#${operation.operationId}"><span class="method">${method}</span> <code>${path}</code></a></li>`,
  )}</ul></nav>
${byTag.map(
  ({ tag, operations: ops }) => h`<h2 id="tag-${tag.name}">${tag.name}</h2><p>${tag.description}</p>
${ops.map(({ method, path, operation }) => renderOperation(method, path, operation))}`,
)}
<h2 id="schemas">Schemas</h2>
${Object.entries(document.components.schemas).map(
  ([name, schema]) =>
    h`<section class="op" id="schema-${name}"><h3><code>${name}</code></h3>${schema.description ? h`<p>${schema.description}</p>` : ''}<pre>${renderJson(schema, 0)}</pre></section>`,
)}
</body>
</html>
`;
  return page.toString();
}

function renderOperation(method: string, path: string, operation: Operation): HtmlEscapedString {
  const isPublic = operation.security !== undefined && operation.security.length === 0;
  const body = operation.requestBody;
  return h`<section class="op" id="${operation.operationId}">
<h3><span class="method">${method}</span> <code>${path}</code></h3>
<p>${operation.summary}. <span class="public">${isPublic ? 'Public.' : 'Needs an API token or a session.'}</span> <code>${operation.operationId}</code></p>
${operation.description ? h`<p>${operation.description}</p>` : ''}
${
  operation.parameters && operation.parameters.length > 0
    ? h`<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>${operation.parameters.map(
        (p) =>
          h`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${renderJson(p.schema, -1)}</code></td><td>${p.description}</td></tr>`,
      )}</table>`
    : ''
}
${
  body
    ? h`<p>Request body${body.required ? '' : ' (optional)'}: ${body.description}</p>${Object.entries(
        body.content,
      ).map(([type, media]) => h`<p><code>${type}</code></p><pre>${renderJson(media.schema, 0)}</pre>`)}`
    : ''
}
<table><tr><th>status</th><th>description</th><th>body</th></tr>${Object.entries(operation.responses).map(
    ([status, response]) => renderResponse(status, response),
  )}</table>
</section>`;
}

function renderResponse(status: string, response: ResponseObject): HtmlEscapedString {
  const contents = Object.entries(response.content ?? {});
  const headers = Object.entries(response.headers ?? {});
  return h`<tr><td>${status}</td><td>${response.description}${headers.map(
    ([name, header]) => h`<br><code>${name}</code>: ${header.description}`,
  )}</td><td>${contents.map(([type, media]) => h`<code>${type}</code> <code>${renderJson(media.schema, -1)}</code>`)}</td></tr>`;
}

/** JSON, indented from `depth` (or on one line when depth < 0), with component references linked. */
function renderJson(value: unknown, depth: number): HtmlEscapedString {
  const inline = depth < 0;
  const pad = (d: number): string => (inline ? '' : '\n' + '  '.repeat(d));
  if (Array.isArray(value)) {
    if (value.length === 0) return h`[]`;
    const items = value.map(
      (item, i) =>
        h`${pad(depth + 1)}${renderJson(item, inline ? -1 : depth + 1)}${i < value.length - 1 ? (inline ? ', ' : ',') : ''}`,
    );
    return h`[${items}${pad(depth)}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as JsonSchema);
    if (entries.length === 0) return h`{}`;
    const items = entries.map(([key, inner], i) => {
      const rendered =
        key === '$ref' && typeof inner === 'string' && inner.startsWith(COMPONENT_REF)
          ? h`<a href="#schema-${inner.slice(COMPONENT_REF.length)}">${JSON.stringify(inner)}</a>`
          : renderJson(inner, inline ? -1 : depth + 1);
      return h`${pad(depth + 1)}${JSON.stringify(key)}: ${rendered}${i < entries.length - 1 ? (inline ? ', ' : ',') : ''}`;
    });
    return h`{${items}${pad(depth)}}`;
  }
  return h`${JSON.stringify(value)}`;
}
