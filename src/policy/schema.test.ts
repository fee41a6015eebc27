import { readFileSync } from 'node:fs';

import Ajv2020Module from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import type { Checked, Problem } from '../promotion/inputs.js';
import { effectivePolicy, requirementFor } from './effective.js';
import {
  checkBands,
  MAX_POLICY_BYTES,
  parsePolicy,
  POLICY_PUBLISHED_SCHEMAS,
  POLICY_SCHEMA,
  type Policy,
  type PolicyFormat,
} from './schema.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const json = (value: unknown): Uint8Array => utf8(JSON.stringify(value));

function valueOf<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new Error(`expected a value, got ${JSON.stringify(checked.problems)}`);
  return checked.value;
}

function problemsOf<T>(checked: Checked<T>): readonly Problem[] {
  if (checked.ok) throw new Error(`expected problems, got ${JSON.stringify(checked.value)}`);
  return checked.problems;
}

const EXAMPLE_YAML = readFileSync(new URL('./example-policy.yaml', import.meta.url));

// A small valid document as data; the invalid cases below each change one thing in a copy of it.
const VALID = {
  version: 1,
  defaults: {
    bands: { auc: { absolute: { down: 0.02, up: 0.05 } }, ks: { relative: { down: 0.05 } } },
    committeeBands: { auc: { absolute: { down: 0.03 } } },
    psi: { warn: 0.1, material: 0.25 },
    tier: 'standard',
    oncallRole: 'oncall',
    contexts: ['retail-credit/uk'],
  },
  tiers: {
    standard: { committee: { roles: ['model-risk', 'credit-risk'], quorum: 2 } },
    high: { committee: { roles: ['model-risk'], quorum: 3 } },
  },
  models: {
    'credit-scorecard': { tier: 'high', bands: { auc: { absolute: { down: 0.01 } } } },
  },
};

type Doc = typeof VALID & Record<string, unknown>;
const edit = (change: (doc: Doc) => void): unknown => {
  const doc = structuredClone(VALID) as Doc;
  change(doc);
  return doc;
};
const asRecord = (value: unknown): Record<string, unknown> => value as Record<string, unknown>;

describe('the published policy schema', () => {
  it('schemas/policy.v1.schema.json is the schema the code validates with', () => {
    for (const [file, schema] of Object.entries(POLICY_PUBLISHED_SCHEMAS)) {
      const published: unknown = JSON.parse(
        readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8'),
      );
      expect(published, file).toEqual(schema);
    }
  });

  it('is a draft 2020-12 schema with its $id, valid under strict ajv', () => {
    const ajv = new Ajv2020Module.default({ strict: true });
    expect(POLICY_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(POLICY_SCHEMA.$id).toBe('https://signet.dev/schemas/policy.v1.json');
    expect(ajv.validateSchema(POLICY_SCHEMA)).toBe(true);
    expect(() => ajv.compile(POLICY_SCHEMA)).not.toThrow();
  });
});

describe('parsePolicy: valid documents', () => {
  it('parses the annotated example policy', () => {
    const policy = valueOf(parsePolicy(EXAMPLE_YAML, 'yaml'));
    expect(policy.version).toBe(1);
    expect(Object.keys(policy.tiers)).toEqual(['standard', 'high']);
    expect(policy.models?.['credit-scorecard']?.tier).toBe('high');
    expect(valueOf(parsePolicy(EXAMPLE_YAML, 'auto'))).toEqual(policy);
  });

  it('reads the same document from YAML and from JSON', () => {
    const fromJson = valueOf(parsePolicy(json(VALID), 'json'));
    expect(fromJson).toEqual(VALID);
    const yaml = [
      'version: 1',
      'defaults:',
      '  bands: { auc: { absolute: { down: 0.02, up: 0.05 } }, ks: { relative: { down: 0.05 } } }',
      '  committeeBands: { auc: { absolute: { down: 0.03 } } }',
      '  psi: { warn: 0.10, material: 0.25 }',
      '  tier: standard',
      '  oncallRole: oncall',
      '  contexts: [retail-credit/uk]',
      'tiers:',
      '  standard: { committee: { roles: [model-risk, credit-risk], quorum: 2 } }',
      '  high: { committee: { roles: [model-risk], quorum: 3 } }',
      'models:',
      '  credit-scorecard: { tier: high, bands: { auc: { absolute: { down: 0.01 } } } }',
    ].join('\n');
    expect(valueOf(parsePolicy(utf8(yaml), 'yaml'))).toEqual(fromJson);
    expect(valueOf(parsePolicy(utf8(yaml), 'auto'))).toEqual(fromJson);
    expect(valueOf(parsePolicy(json(VALID), 'auto'))).toEqual(fromJson);
  });

  it('allows YAML anchors and aliases to share bands', () => {
    const yaml = `
version: 1
defaults:
  bands: &bands { auc: { absolute: { down: 0.02 } } }
  psi: { material: 0.25 }
  tier: standard
  oncallRole: oncall
  contexts: [retail-credit/uk]
tiers: { standard: { committee: { roles: [model-risk], quorum: 1 } } }
models:
  churn: { committeeBands: *bands }
`;
    const policy = valueOf(parsePolicy(utf8(yaml), 'yaml'));
    expect(policy.models?.['churn']?.committeeBands).toEqual({ auc: { absolute: { down: 0.02 } } });
  });

  it('accepts $schema naming this version', () => {
    const doc = { $schema: 'https://signet.dev/schemas/policy.v1.json', ...VALID };
    expect(parsePolicy(json(doc), 'json').ok).toBe(true);
  });
});

describe('parsePolicy: each kind of invalid document, with its path', () => {
  const cases: { title: string; doc: unknown; path: string; message: RegExp }[] = [
    { title: 'another version', doc: edit((d) => (d.version = 2)), path: '/version', message: /must be 1/ },
    {
      title: 'no defaults',
      doc: edit((d) => delete asRecord(d).defaults),
      path: '/defaults',
      message: /is required/,
    },
    {
      title: 'an unknown key',
      doc: edit((d) => (d.extra = true)),
      path: '/extra',
      message: /is not allowed here/,
    },
    {
      title: 'another version of $schema',
      doc: edit((d) => (d.$schema = 'https://signet.dev/schemas/policy.v2.json')),
      path: '/$schema',
      message: /must be "https:\/\/signet.dev\/schemas\/policy.v1.json"/,
    },
    {
      title: 'a negative limit in a model section',
      doc: edit((d) => (d.models['credit-scorecard'].bands.auc.absolute.down = -0.01)),
      path: '/models/credit-scorecard/bands/auc/absolute/down',
      message: /must be >= 0/,
    },
    {
      title: 'a limit that is not a number',
      doc: edit((d) => (asRecord(d.defaults.bands.auc.absolute).down = '0.02')),
      path: '/defaults/bands/auc/absolute/down',
      message: /must be number/,
    },
    {
      title: 'a direction other than down or up',
      doc: edit((d) => (asRecord(d.defaults.bands.auc.absolute).sideways = 0.1)),
      path: '/defaults/bands/auc/absolute/sideways',
      message: /is not allowed here/,
    },
    {
      title: 'limits with no direction',
      doc: edit((d) => (asRecord(d.defaults.bands.auc).absolute = {})),
      path: '/defaults/bands/auc/absolute',
      message: /must NOT have fewer than 1 properties/,
    },
    {
      title: 'a band with neither absolute nor relative limits',
      doc: edit((d) => (asRecord(d.defaults.bands).auc = {})),
      path: '/defaults/bands/auc',
      message: /must NOT have fewer than 1 properties/,
    },
    {
      title: 'a quorum of 0',
      doc: edit((d) => (d.tiers.high.committee.quorum = 0)),
      path: '/tiers/high/committee/quorum',
      message: /must be >= 1/,
    },
    {
      title: 'a quorum that is not whole',
      doc: edit((d) => (d.tiers.high.committee.quorum = 1.5)),
      path: '/tiers/high/committee/quorum',
      message: /must be integer/,
    },
    {
      title: 'a committee role named twice',
      doc: edit((d) => (d.tiers.standard.committee.roles = ['model-risk', 'model-risk'])),
      path: '/tiers/standard/committee/roles/1',
      message: /duplicates \/tiers\/standard\/committee\/roles\/0/,
    },
    {
      title: 'a committee with no roles',
      doc: edit((d) => (d.tiers.standard.committee.roles = [])),
      path: '/tiers/standard/committee/roles',
      message: /must NOT have fewer than 1 items/,
    },
    {
      title: 'no on-call role',
      doc: edit((d) => delete asRecord(d.defaults).oncallRole),
      path: '/defaults/oncallRole',
      message: /is required/,
    },
    {
      title: 'no tiers',
      doc: edit((d) => (asRecord(d).tiers = {})),
      path: '/tiers',
      message: /must NOT have fewer than 1 properties/,
    },
    {
      title: 'a model name the register command would refuse',
      doc: edit((d) => (asRecord(d.models)['bad name'] = {})),
      path: '/models/bad name',
      message: /is not a valid name: "bad name" must match pattern/,
    },
    {
      title: 'a context that is not a context name',
      doc: edit((d) => (d.defaults.contexts = ['Retail Credit'])),
      path: '/defaults/contexts/0',
      message: /must match pattern/,
    },
    {
      title: 'a PSI threshold of 0',
      doc: edit((d) => (d.defaults.psi.material = 0)),
      path: '/defaults/psi/material',
      message: /must be > 0/,
    },
    {
      title: 'a tier that is not defined (semantic)',
      doc: edit((d) => (d.models['credit-scorecard'].tier = 'gold')),
      path: '/models/credit-scorecard/tier',
      message: /^names the tier "gold", which \/tiers does not define \(defined: high, standard\)$/,
    },
    {
      title: 'a default tier that is not defined (semantic)',
      doc: edit((d) => (d.defaults.tier = 'gold')),
      path: '/defaults/tier',
      message: /names the tier "gold"/,
    },
    {
      title: 'a warning threshold above the material one (semantic)',
      doc: edit((d) => (d.defaults.psi.warn = 0.3)),
      path: '/defaults/psi/warn',
      message: /^is 0.3, above psi.material 0.25: the warning must come first$/,
    },
  ];

  it.each(cases)('$title → $path', ({ doc, path, message }) => {
    const problems = problemsOf(parsePolicy(json(doc), 'json'));
    expect(problems.map((p) => p.path)).toContain(path);
    expect(problems.find((p) => p.path === path)?.message).toMatch(message);
  });

  it('reports every problem at once', () => {
    const doc = edit((d) => {
      d.version = 2;
      d.tiers.high.committee.quorum = 0;
    });
    expect(problemsOf(parsePolicy(json(doc), 'json')).map((p) => p.path)).toEqual([
      '/version',
      '/tiers/high/committee/quorum',
    ]);
  });
});

describe('parsePolicy: strict YAML and JSON', () => {
  const base = 'psi: { material: 0.25 }\ntier: standard\noncallRole: oncall\ncontexts: [retail-credit/uk]';
  const doc = (defaults: string, rest = ''): string =>
    `version: 1\ndefaults:\n${`${base}\n${defaults}`.replace(/^/gm, '  ')}\ntiers: { standard: { committee: { roles: [model-risk], quorum: 1 } } }\n${rest}`;

  it('the base document is valid', () => {
    expect(valueOf(parsePolicy(utf8(doc('')), 'yaml')).defaults.tier).toBe('standard');
  });

  const cases: {
    title: string;
    text: string;
    format?: PolicyFormat;
    path: string | RegExp;
    message: RegExp;
  }[] = [
    {
      title: 'a duplicate top-level key',
      text: `${doc('')}version: 1\n`,
      path: '/version',
      message: /^is a duplicate key$/,
    },
    {
      title: 'a duplicate nested key',
      text: doc('bands:\n  auc: { absolute: { down: 0.02 } }\n  auc: { absolute: { down: 0.5 } }'),
      path: '/defaults/bands/auc',
      message: /^is a duplicate key$/,
    },
    {
      title: 'a duplicate key in a flow mapping',
      text: doc('bands: { auc: { absolute: { down: 0.02, down: 0.5 } } }'),
      path: '/defaults/bands/auc/absolute/down',
      message: /^is a duplicate key$/,
    },
    {
      title: 'a standard tag',
      text: doc('requireFeaturePipeline: !!bool true'),
      path: '/defaults/requireFeaturePipeline',
      message: /has the tag tag:yaml.org,2002:bool: tags are not allowed/,
    },
    {
      title: 'a tag that would make a Buffer',
      text: doc('oncallRole: !!binary b25jYWxs').replace('  oncallRole: oncall\n', ''),
      path: '/defaults/oncallRole',
      message: /tags are not allowed/,
    },
    {
      title: 'a custom tag',
      text: doc('oncallRole: !role oncall').replace('  oncallRole: oncall\n', ''),
      path: /^line \d+, column \d+$/,
      message: /Unresolved tag: !role/,
    },
    {
      title: 'a merge key',
      text: doc('', 'models:\n  churn:\n    <<: { tier: standard }\n'),
      path: '/models/churn/<<',
      message: /is a merge key/,
    },
    {
      title: 'an alias bomb',
      text: doc(
        '',
        'x0: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nx1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nx2: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n',
      ),
      path: '',
      message: /Excessive alias count/,
    },
    {
      title: 'an alias to no anchor',
      text: doc('', 'models: { churn: *nowhere }\n'),
      path: /^(line \d+, column \d+)?$/,
      message: /alias|anchor/i,
    },
    { title: 'a syntax error', text: 'version: [1\n', path: /^line \d+, column \d+$/, message: /./ },
    {
      title: 'two documents',
      text: `${doc('')}---\nversion: 1\n`,
      path: /^line \d+, column \d+$/,
      message: /multiple documents/,
    },
    {
      title: 'a YAML 1.1 boolean, which YAML 1.2 reads as a string',
      text: doc('requireFeaturePipeline: yes'),
      path: '/defaults/requireFeaturePipeline',
      message: /must be boolean/,
    },
    {
      title: 'an infinite number',
      text: doc('bands: { auc: { absolute: { down: .inf } } }'),
      path: '/defaults/bands/auc/absolute/down',
      message: /must be number/,
    },
    {
      title: 'a duplicate key in JSON',
      text: JSON.stringify(VALID).replace('{"version":1,', '{"version":1,"version":1,'),
      format: 'json',
      path: '$.version',
      message: /duplicate key "version"/,
    },
    {
      title: 'YAML read as JSON',
      text: doc(''),
      format: 'json',
      path: '',
      message: /is not valid JSON/,
    },
    {
      title: 'a flow mapping at the top, which auto reads as JSON',
      text: '{ version: 1 }',
      format: 'auto',
      path: '',
      message: /is not valid JSON/,
    },
  ];

  it.each(cases)('refuses $title', ({ text, format, path, message }) => {
    const problems = problemsOf(parsePolicy(utf8(text), format ?? 'yaml'));
    const problem = problems.find((p) => (typeof path === 'string' ? p.path === path : path.test(p.path)));
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem?.message).toMatch(message);
  });

  it('refuses bytes that are not UTF-8, and documents over the size limit', () => {
    expect(problemsOf(parsePolicy(new Uint8Array([0xff, 0xfe, 0x00]), 'yaml'))).toEqual([
      { path: '', message: 'is not valid UTF-8' },
    ]);
    const big = new Uint8Array(MAX_POLICY_BYTES + 1).fill(0x20);
    expect(problemsOf(parsePolicy(big, 'auto'))[0]?.message).toMatch(/over the limit/);
  });

  it('refuses an empty document', () => {
    expect(problemsOf(parsePolicy(utf8(''), 'yaml'))).toEqual([{ path: '', message: 'must be object' }]);
  });
});

describe('effectivePolicy', () => {
  const policy = valueOf(parsePolicy(EXAMPLE_YAML, 'yaml'));

  it('lays a model section over the defaults, key by key, each key replacing the default as a whole', () => {
    expect(effectivePolicy(policy, 'credit-scorecard')).toEqual({
      modelName: 'credit-scorecard',
      tier: 'high',
      committee: { roles: ['model-risk'], quorum: 3 },
      // The model's bands replace the defaults' whole: no ks band for this model.
      bands: { auc: { absolute: { down: 0.01, up: 0.03 } }, brier: { absolute: { up: 0.005 } } },
      committeeBands: policy.defaults.committeeBands,
      psi: { warn: 0.1, material: 0.25 },
      oncallRole: 'oncall',
      contexts: ['retail-credit/uk', 'retail-credit/ie'],
      requireFeaturePipeline: true,
    });
    const churn = effectivePolicy(policy, 'churn');
    expect(churn.oncallRole).toBe('ml-oncall');
    expect(churn.committeeBands).toEqual({});
    expect(churn.bands).toEqual(policy.defaults.bands);
  });

  it('gives a model with no section the defaults, even one named like an Object property', () => {
    for (const name of ['fraud', 'constructor', '__proto__', 'toString']) {
      const effective = effectivePolicy(policy, name);
      expect(effective.tier, name).toBe('standard');
      expect(effective.committee, name).toEqual({ roles: ['model-risk', 'credit-risk'], quorum: 2 });
      expect(effective.requireFeaturePipeline, name).toBe(false);
    }
  });

  it('throws INVALID_ARGUMENT for a tier a policy built in code does not define', () => {
    const broken = { ...policy, defaults: { ...policy.defaults, tier: 'gold' } } satisfies Policy;
    expect(codeOf(() => effectivePolicy(broken, 'fraud'))).toBe('INVALID_ARGUMENT');
  });
});

describe('requirementFor', () => {
  const policy = valueOf(parsePolicy(EXAMPLE_YAML, 'yaml'));

  it('low: one approval by the on-call role of the model; material: the committee of the sealed tier', () => {
    expect(requirementFor(policy, 'churn', { materiality: 'low', tier: 'standard' })).toEqual({
      kind: 'oncall',
      role: 'ml-oncall',
      quorum: 1,
    });
    expect(requirementFor(policy, 'credit-scorecard', { materiality: 'material', tier: 'high' })).toEqual({
      kind: 'committee',
      roles: ['model-risk'],
      quorum: 3,
    });
    expect(requirementFor(policy, 'credit-scorecard', { materiality: 'material', tier: 'standard' })).toEqual(
      {
        kind: 'committee',
        roles: ['model-risk', 'credit-risk'],
        quorum: 2,
      },
    );
  });

  it('throws INVALID_ARGUMENT for a sealed tier the policy does not define', () => {
    expect(codeOf(() => requirementFor(policy, 'churn', { materiality: 'material', tier: 'gold' }))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('checkBands', () => {
  it('accepts bands and names the path of what is wrong in sealed ones', () => {
    expect(valueOf(checkBands({ auc: { absolute: { down: 0.02 } } }))).toEqual({
      auc: { absolute: { down: 0.02 } },
    });
    expect(problemsOf(checkBands({ auc: { absolute: { down: -1 } } }))).toEqual([
      { path: '/auc/absolute/down', message: 'must be >= 0' },
    ]);
    expect(problemsOf(checkBands([])).map((p) => p.path)).toEqual(['']);
  });
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isSignetError(error)) return error.code;
    throw error;
  }
  throw new Error('expected an error');
}
