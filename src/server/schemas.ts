// JSON Schema validation against the OpenAPI document (ajv, draft 2020-12): the server checks request
// bodies with the schemas it publishes, and the tests check responses with the same document. The
// document's `#/components/schemas/X` references are rewritten to one registered schema's `$defs`.
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';

import { InputError } from '../errors.js';
import { capProblems, problemsOfAjv } from '../promotion/schema-problems.js';
import type { JsonSchema, OpenApiDocument } from './openapi.js';

const ROOT_ID = 'urn:signet:openapi';
const COMPONENT_REF = '#/components/schemas/';
const MAX_PROBLEMS = 20;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface SchemaValidator {
  /** A validator for a schema of the document (it may reference `#/components/schemas/…`). */
  compile(schema: JsonSchema): ValidateFunction;
  /**
   * Checks a request body against `schema`; InputError INVALID_ARGUMENT listing every problem at its
   * JSON pointer (`details.problems`) otherwise.
   */
  assertBody<T>(schema: JsonSchema, value: unknown): asserts value is T;
}

export function createSchemaValidator(document: OpenApiDocument): SchemaValidator {
  const ajv = new Ajv2020Module.default({ strict: true, allErrors: true });
  ajv.addFormat('date-time', RFC3339);
  ajv.addSchema({ $id: ROOT_ID, $defs: rewriteRefs(document.components.schemas) as object });
  const cache = new Map<JsonSchema, ValidateFunction>();
  const compile = (schema: JsonSchema): ValidateFunction => {
    let validate = cache.get(schema);
    if (!validate) {
      validate = ajv.compile(rewriteRefs(schema) as object);
      cache.set(schema, validate);
    }
    return validate;
  };
  return {
    compile,
    assertBody<T>(schema: JsonSchema, value: unknown): asserts value is T {
      const validate = compile(schema);
      if (validate(value)) return;
      const problems = capProblems(problemsOfAjv(validate.errors), MAX_PROBLEMS);
      const lines = problems.map((p) => `- ${p.path === '' ? '(body)' : p.path} ${p.message}`);
      throw new InputError(
        'INVALID_ARGUMENT',
        `the request body has ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}:\n${lines.join('\n')}`,
        { details: { problems } },
      );
    },
  };
}

/** A copy of `value` with every component reference pointing into the registered root schema. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' && inner.startsWith(COMPONENT_REF)
        ? `${ROOT_ID}#/$defs/${inner.slice(COMPONENT_REF.length)}`
        : rewriteRefs(inner),
    ]),
  );
}
