import { readdirSync, readFileSync } from 'node:fs';

import Ajv2020Module from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import {
  assertNoProblems,
  assertProposalInputs,
  collectProblems,
  detectExplanation,
  formatProblem,
  MAX_EXPLANATION_BYTES,
  MAX_JSON_INPUT_BYTES,
  MAX_PROBLEMS_PER_INPUT,
  MAX_REQUEST_BYTES,
  parseHyperparameters,
  parseInputContract,
  parseMetrics,
  parseShapValues,
  PUBLISHED_SCHEMAS,
  type Checked,
  type Problem,
  type ProposalInputParts,
  type SourcedProblem,
} from './inputs.js';
import { POLICY_PUBLISHED_SCHEMAS } from '../policy/index.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const json = (value: unknown): Uint8Array => utf8(JSON.stringify(value));

const DATASET = `sha256:${'a'.repeat(64)}`;
const OTHER_DATASET = `sha256:${'b'.repeat(64)}`;

function valueOf<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new Error(`expected a value, got ${JSON.stringify(checked.problems)}`);
  return checked.value;
}

function problemsOf<T>(checked: Checked<T>): readonly Problem[] {
  if (checked.ok) throw new Error(`expected problems, got ${JSON.stringify(checked.value)}`);
  return checked.problems;
}

const pathsOf = <T>(checked: Checked<T>): string[] => problemsOf(checked).map((p) => p.path);

/** The coded error a call throws; a non-coded throw or no throw fails the test. */
function errorOf(fn: () => unknown): { code: string; problems: SourcedProblem[]; message: string } {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return {
      code: error.code,
      message: error.message,
      problems: (error.details?.['problems'] ?? []) as SourcedProblem[],
    };
  }
  throw new Error('expected an error');
}

// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = new Uint8Array(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  ),
);
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
const SHAP = {
  feature_names: ['age', 'income'],
  values: [
    [0.1, -0.2],
    [0.3, 0],
  ],
  base_values: 0.5,
};
const REQUEST = [
  '# Promote churn-v7',
  '## Justification',
  'Better recall.',
  '## Scope',
  'Retail.',
  '## Intended deployment',
  'Batch scoring.',
  '## Known limitations',
  'Young customers.',
].join('\n');
const METRICS = { dataset: DATASET, candidate: { auc: 0.91, f1: 0.7 }, challenger: { auc: 0.89, f1: 0.72 } };

describe('published schemas', () => {
  const dir = new URL('../../schemas/', import.meta.url);

  it('schemas/ holds exactly the schemas the code validates with, byte for byte in meaning', () => {
    // Every file in schemas/ is published by one module: these four here, the policy's by src/policy.
    expect(readdirSync(dir).sort()).toEqual(
      [...Object.keys(PUBLISHED_SCHEMAS), ...Object.keys(POLICY_PUBLISHED_SCHEMAS)].sort(),
    );
    for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
      expect(JSON.parse(readFileSync(new URL(file, dir), 'utf8')), file).toEqual(schema);
    }
  });

  it('each is a draft 2020-12 schema with an $id, a title and a description, valid under strict ajv', () => {
    const ajv = new Ajv2020Module.default({ strict: true, allowUnionTypes: true });
    for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
      expect(schema.$schema, file).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.$id, file).toBe(`https://signet.dev/schemas/${file.replace('.schema.json', '.json')}`);
      expect(schema.title.length, file).toBeGreaterThan(0);
      expect(schema.description.length, file).toBeGreaterThan(0);
      expect(ajv.validateSchema(schema), file).toBe(true);
      expect(() => ajv.compile(schema), file).not.toThrow();
    }
  });
});

describe('parseInputContract', () => {
  const features = [
    { name: 'age', type: 'integer', description: 'years' },
    { name: 'segment', type: 'category', categories: ['retail', 'business'] },
    { name: 'income', type: 'number' },
    { name: 'email_opt_in', type: 'boolean' },
    { name: 'city', type: 'string' },
  ];

  it('accepts the object form, with its own $schema', () => {
    const contract = { $schema: 'https://signet.dev/schemas/input-contract.v1.json', features };
    expect(valueOf(parseInputContract(json(contract)))).toEqual({ features });
  });

  it('accepts a bare array of features and reads it as the object form', () => {
    expect(valueOf(parseInputContract(json(features)))).toEqual({ features });
  });

  const invalid: readonly [string, unknown, readonly string[]][] = [
    ['not an object or array', 'features', ['']],
    ['no features', {}, ['/features']],
    ['an unknown top-level key', { features, version: 2 }, ['/version']],
    [
      'another schema version',
      { $schema: 'https://signet.dev/schemas/input-contract.v2.json', features },
      ['/$schema'],
    ],
    ['an empty list', { features: [] }, ['/features']],
    ['a feature with no name or type', [{}], ['/0/name', '/0/type']],
    ['an empty name', [{ name: '', type: 'number' }], ['/0/name']],
    ['an unknown type', [{ name: 'x', type: 'float' }], ['/0/type']],
    ['an unknown feature key', [{ name: 'x', type: 'number', unit: 'cm' }], ['/0/unit']],
    ['categories on a non-category feature', [{ name: 'x', type: 'string', categories: ['a'] }], ['/0/type']],
    [
      'a repeated category',
      [{ name: 'x', type: 'category', categories: ['a', 'b', 'a'] }],
      ['/0/categories/2'],
    ],
    ['a repeated name', { features: [...features, { name: 'age', type: 'number' }] }, ['/features/5/name']],
  ];
  for (const [title, value, paths] of invalid) {
    it(`refuses ${title}, naming the path`, () => {
      expect(pathsOf(parseInputContract(json(value)))).toEqual(paths);
    });
  }

  it('says both forms are accepted when given neither', () => {
    expect(problemsOf(parseInputContract(json('features')))).toEqual([
      { path: '', message: 'must be an object with "features" or an array of features' },
    ]);
  });

  it('says which feature a repeated name repeats', () => {
    const problems = problemsOf(parseInputContract(json([...features, { name: 'city', type: 'string' }])));
    expect(problems).toEqual([{ path: '/5/name', message: 'duplicates the name "city" of /4' }]);
  });
});

describe('parseMetrics', () => {
  it('accepts a valid metrics file', () => {
    const metrics = { ...METRICS, higherIsBetter: { auc: true, f1: true } };
    expect(valueOf(parseMetrics(json(metrics)))).toEqual(metrics);
  });

  const invalid: readonly [string, unknown, readonly string[]][] = [
    ['an array', [METRICS], ['']],
    ['a missing dataset', { ...METRICS, dataset: undefined }, ['/dataset']],
    ['a dataset that is not a digest', { ...METRICS, dataset: `sha256:${'A'.repeat(64)}` }, ['/dataset']],
    ['a missing challenger', { ...METRICS, challenger: undefined }, ['/challenger']],
    ['no metric', { ...METRICS, candidate: {}, challenger: {} }, ['/candidate', '/challenger']],
    ['a metric that is not a number', { ...METRICS, candidate: { auc: '0.9', f1: 0.7 } }, ['/candidate/auc']],
    // A bad key is named by its own pointer (RFC 6901: the empty key is `/candidate/`).
    ['an empty metric name', { ...METRICS, candidate: { ...METRICS.candidate, '': 1 } }, ['/candidate/']],
    ['an unknown key', { ...METRICS, notes: 'x' }, ['/notes']],
    ['higherIsBetter not boolean', { ...METRICS, higherIsBetter: { auc: 1 } }, ['/higherIsBetter/auc']],
    [
      'higherIsBetter naming no metric',
      { ...METRICS, higherIsBetter: { 'r/2': true } },
      ['/higherIsBetter/r~12'],
    ],
    ['a metric on one side only', { ...METRICS, challenger: { auc: 0.8 } }, ['/challenger']],
  ];
  for (const [title, value, paths] of invalid) {
    it(`refuses ${title}, naming the path`, () => {
      expect(pathsOf(parseMetrics(json(value)))).toEqual(paths);
    });
  }

  it('says what is wrong in words', () => {
    const problems = problemsOf(parseMetrics(json({ ...METRICS, candidate: { auc: 'x', f1: 1 } })));
    expect(problems).toEqual([{ path: '/candidate/auc', message: 'must be number' }]);
  });

  it('refuses JSON with a duplicate key or a lone surrogate, and invalid UTF-8', () => {
    const duplicate = `{"dataset":"${DATASET}","dataset":"${OTHER_DATASET}","candidate":{"a":1},"challenger":{"a":1}}`;
    expect(pathsOf(parseMetrics(utf8(duplicate)))).toEqual(['$.dataset']);
    const surrogate = `{"dataset":"${DATASET}","candidate":{"\\ud800":1},"challenger":{"a":1}}`;
    expect(problemsOf(parseMetrics(utf8(surrogate)))[0]?.message).toMatch(/lone surrogate/);
    expect(problemsOf(parseMetrics(new Uint8Array([0x7b, 0xff, 0x7d])))[0]?.message).toMatch(/UTF-8/);
    expect(problemsOf(parseMetrics(utf8('{"auc": NaN}')))[0]?.message).toMatch(/not valid JSON/);
  });

  it('refuses a file over the size limit, naming the limit', () => {
    const bytes = new Uint8Array(MAX_JSON_INPUT_BYTES + 1).fill(0x20);
    expect(problemsOf(parseMetrics(bytes))[0]?.message).toMatch(
      /over the limit of 16777216 bytes \(16 MiB\)/,
    );
  });

  it('lists at most MAX_PROBLEMS_PER_INPUT problems and counts the rest', () => {
    const candidate = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`m${i}`, 'x']));
    const problems = problemsOf(parseMetrics(json({ ...METRICS, candidate })));
    expect(problems).toHaveLength(MAX_PROBLEMS_PER_INPUT + 1);
    expect(problems.at(-1)?.message).toMatch(/and \d+ more problems/);
  });
});

describe('parseHyperparameters', () => {
  it('accepts any JSON object', () => {
    const value = { learning_rate: 0.1, layers: [64, 32], nested: { a: null, b: 'x' } };
    expect(valueOf(parseHyperparameters(json(value)))).toEqual(value);
    expect(valueOf(parseHyperparameters(json({})))).toEqual({});
  });

  it('refuses anything else', () => {
    for (const value of [[], 1, 'x', null]) {
      expect(problemsOf(parseHyperparameters(json(value)))).toEqual([
        { path: '', message: 'must be object' },
      ]);
    }
    expect(pathsOf(parseHyperparameters(utf8('{"a":1,"a":2}')))).toEqual(['$.a']);
  });
});

describe('parseShapValues', () => {
  it('accepts feature names and a rows × features matrix, with base values and data', () => {
    const value = {
      ...SHAP,
      base_values: [0.5, 0.5],
      data: [
        [30, 'x'],
        [41, null],
      ],
    };
    expect(valueOf(parseShapValues(json(value)))).toEqual(value);
  });

  const invalid: readonly [string, unknown, readonly string[]][] = [
    ['no feature names', { values: SHAP.values }, ['/feature_names']],
    ['repeated feature names', { ...SHAP, feature_names: ['a', 'a'] }, ['/feature_names/1']],
    [
      'a row of the wrong length',
      {
        ...SHAP,
        values: [
          [1, 2],
          [1, 2, 3],
        ],
      },
      ['/values/1'],
    ],
    ['a value that is not a number', { ...SHAP, values: [[1, '2']] }, ['/values/0/1']],
    ['a one-dimensional values array', { ...SHAP, values: [1, 2] }, ['/values/0', '/values/1']],
    ['no rows', { ...SHAP, values: [] }, ['/values']],
    ['one base value per row, wrongly counted', { ...SHAP, base_values: [1] }, ['/base_values']],
    ['base values of the wrong type', { ...SHAP, base_values: 'x' }, ['/base_values']],
    ['data of another shape', { ...SHAP, data: [[1]] }, ['/data', '/data/0']],
    ['an unknown key', { ...SHAP, clustering: [] }, ['/clustering']],
  ];
  for (const [title, value, paths] of invalid) {
    it(`refuses ${title}, naming the path`, () => {
      expect(pathsOf(parseShapValues(json(value)))).toEqual(paths);
    });
  }
});

describe('detectExplanation', () => {
  it('tells a PNG by its signature, whatever its name', () => {
    expect(valueOf(detectExplanation('plot.svg', PNG))).toEqual({ kind: 'png', mediaType: 'image/png' });
    expect(problemsOf(detectExplanation('plot.png', PNG.subarray(0, 10)))[0]?.message).toMatch(/IHDR/);
  });

  it('tells an SVG by its root element, after a prolog', () => {
    const svg = { kind: 'svg', mediaType: 'image/svg+xml' };
    expect(valueOf(detectExplanation('a.svg', utf8(SVG)))).toEqual(svg);
    const prolog =
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by matplotlib -->\n' +
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" ' +
      '[ <!ENTITY gt ">"> ]>\n';
    expect(valueOf(detectExplanation('a.svg', utf8(prolog + SVG)))).toEqual(svg);
  });

  it('still classifies an SVG with a script as svg: it is only ever shown as an image', () => {
    const scripted =
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>';
    expect(valueOf(detectExplanation('a.svg', utf8(scripted))).kind).toBe('svg');
  });

  it('tells HTML by its doctype or html root', () => {
    const html = { kind: 'html', mediaType: 'text/html; charset=utf-8' };
    expect(valueOf(detectExplanation('r.html', utf8('<!DOCTYPE html>\n<title>x</title>')))).toEqual(html);
    expect(
      valueOf(detectExplanation('r.html', utf8('<!-- shap force plot -->\n<html lang="en"></html>'))),
    ).toEqual(html);
    expect(valueOf(detectExplanation('r.html', utf8('  <!doctype HTML><html>')))).toEqual(html);
  });

  it('reads JSON as SHAP values and returns them', () => {
    expect(valueOf(detectExplanation('shap.json', json(SHAP)))).toEqual({
      kind: 'shap-json',
      mediaType: 'application/json',
      shap: SHAP,
    });
  });

  it('refuses JSON that is not SHAP values, naming the path', () => {
    expect(pathsOf(detectExplanation('shap.json', json({ ...SHAP, values: [[1], [1, 2]] })))).toEqual([
      '/values/0',
    ]);
    expect(pathsOf(detectExplanation('shap.json', utf8('{"feature_names":[],"feature_names":[]}')))).toEqual([
      '$.feature_names',
    ]);
    expect(problemsOf(detectExplanation('shap.json', utf8('{"values":"\\udc00"}')))[0]?.message).toMatch(
      /lone surrogate/,
    );
  });

  it('refuses other content, empty files, and binary that is not PNG', () => {
    for (const bytes of [
      utf8('just text'),
      utf8('<div>fragment</div>'),
      utf8('<?xml version="1.0"?><rss/>'),
      new Uint8Array(),
      new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
    ]) {
      expect(problemsOf(detectExplanation('x', bytes))).toHaveLength(1);
    }
  });

  it('refuses a file over the size limit, naming the limit', () => {
    const bytes = new Uint8Array(MAX_EXPLANATION_BYTES + 1);
    bytes.set(PNG);
    expect(problemsOf(detectExplanation('big.png', bytes))).toEqual([
      {
        path: '',
        message: `is ${MAX_EXPLANATION_BYTES + 1} bytes, over the limit of 67108864 bytes (64 MiB) for an explanation`,
      },
    ]);
  });

  it('refuses a name that is empty or holds control characters', () => {
    expect(problemsOf(detectExplanation('', PNG))).toHaveLength(1);
    expect(problemsOf(detectExplanation('a\u202Egnp.html', PNG))).toHaveLength(1);
  });
});

describe('assertProposalInputs', () => {
  const valid = {
    dataset: DATASET,
    metrics: json(METRICS),
    request: utf8(REQUEST),
    inputContract: json([{ name: 'age', type: 'integer' }]),
    hyperparameters: json({ depth: 6 }),
    explanations: [
      { name: 'summary.png', bytes: PNG },
      { name: 'shap.json', bytes: json(SHAP) },
    ],
  } satisfies ProposalInputParts;

  it('returns every input parsed', () => {
    const inputs = assertProposalInputs(valid);
    expect(inputs.dataset).toBe(DATASET);
    expect(inputs.metrics.candidate).toEqual(METRICS.candidate);
    expect(inputs.request.sections.Scope).toBe('Retail.');
    expect(inputs.inputContract).toEqual({ features: [{ name: 'age', type: 'integer' }] });
    expect(inputs.hyperparameters).toEqual({ depth: 6 });
    expect(inputs.explanations.map((e) => [e.name, e.kind])).toEqual([
      ['summary.png', 'png'],
      ['shap.json', 'shap-json'],
    ]);
  });

  it('leaves out the optional inputs when they are not given', () => {
    const { dataset, metrics, request, explanations } = valid;
    const inputs = assertProposalInputs({ dataset, metrics, request, explanations });
    expect('inputContract' in inputs).toBe(false);
    expect('hyperparameters' in inputs).toBe(false);
  });

  it('reports four things wrong in one error with four problems, each with its source', () => {
    const error = errorOf(() =>
      assertProposalInputs({
        ...valid,
        dataset: OTHER_DATASET,
        request: utf8(REQUEST.replace('Retail.', '<!-- todo -->')),
        inputContract: json([{ type: 'integer' }]),
        explanations: [{ name: 'notes.txt', bytes: utf8('see the wiki') }],
      }),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.problems).toHaveLength(4);
    expect(error.problems.map(formatProblem)).toEqual([
      '--request: section "Scope" is empty (line 4)',
      '--input-contract: /0/name is required',
      '--explanation notes.txt: is not a PNG, an SVG, an HTML page or SHAP values JSON (told by content, not by name)',
      `--dataset: the metrics were computed on ${DATASET} but --dataset is ${OTHER_DATASET}`,
    ]);
    expect(error.message.split('\n')).toEqual([
      'the proposal has 4 problems:',
      ...error.problems.map((p) => `- ${formatProblem(p)}`),
    ]);
  });

  it('reports schema problems of the metrics with their paths', () => {
    const error = errorOf(() =>
      assertProposalInputs({ ...valid, metrics: json({ ...METRICS, candidate: { auc: 'high', f1: 0.7 } }) }),
    );
    expect(error.problems).toEqual([
      { source: '--metrics', path: '/candidate/auc', message: 'must be number' },
    ]);
  });

  it('compares the metrics dataset with --dataset', () => {
    const error = errorOf(() => assertProposalInputs({ ...valid, dataset: OTHER_DATASET }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.problems).toEqual([
      {
        source: '--dataset',
        path: '',
        message: `the metrics were computed on ${DATASET} but --dataset is ${OTHER_DATASET}`,
      },
    ]);
    expect(error.message).toBe(
      `the proposal has 1 problem:\n- --dataset: the metrics were computed on ${DATASET} but --dataset is ${OTHER_DATASET}`,
    );
  });

  it('reports every missing input at once', () => {
    const error = errorOf(() => assertProposalInputs({}));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.problems.map((p) => p.source)).toEqual([
      '--dataset',
      '--metrics',
      '--request',
      '--explanation',
    ]);
    expect(error.message).toMatch(/^the proposal has 4 problems:\n- --dataset: is required\n/);
  });

  it('refuses a --dataset that is not a digest, oversized inputs and repeated explanation names', () => {
    const error = errorOf(() =>
      assertProposalInputs({
        ...valid,
        dataset: 'train.csv',
        request: new Uint8Array(MAX_REQUEST_BYTES + 1).fill(0x61),
        explanations: [
          { name: 'a.png', bytes: PNG },
          { name: 'a.png', bytes: PNG },
        ],
      }),
    );
    expect(error.problems.map((p) => p.source)).toEqual(['--dataset', '--request', '--explanation a.png']);
    expect(error.problems[1]?.message).toMatch(/over the limit of 1048576 bytes \(1 MiB\) for a request/);
  });
});

describe('collectProblems', () => {
  it('returns the value of a good check and labels the problems of a bad one', () => {
    const problems: SourcedProblem[] = [];
    expect(collectProblems(problems, '--hyperparameters', parseHyperparameters(json({ a: 1 })))).toEqual({
      a: 1,
    });
    expect(collectProblems(problems, '--hyperparameters', parseHyperparameters(json([])))).toBeUndefined();
    expect(problems).toEqual([{ source: '--hyperparameters', path: '', message: 'must be object' }]);
    expect(() => assertNoProblems([])).not.toThrow();
    expect(errorOf(() => assertNoProblems(problems)).code).toBe('INVALID_ARGUMENT');
  });
});
