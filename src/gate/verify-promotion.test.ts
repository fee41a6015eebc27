import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { parsePolicy, type Policy } from '../policy/index.js';
import type { RouteRef } from '../promotion/types.js';
import { digestOfBytes } from '../signing/digest.js';
import { APPROVER_REQUIREMENT, describeRequirement, requirementOfRoute } from './verify-promotion.js';

const bytes = readFileSync(new URL('../policy/example-policy.yaml', import.meta.url));
const checked = parsePolicy(bytes, 'yaml');
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
const policy: Policy = checked.value;
const digest = digestOfBytes(new TextEncoder().encode('the example policy'));
const route = (materiality: 'low' | 'material', tier: string): RouteRef => ({
  materiality,
  tier,
  reasons: [],
  policy: digest,
});

describe('requirementOfRoute', () => {
  it('a route sealed before any policy needs one holder of the approver role', () => {
    const legacy: RouteRef = { materiality: 'material', tier: 'standard', reasons: ['no policy'] };
    expect(requirementOfRoute(legacy, 'churn', undefined)).toEqual(APPROVER_REQUIREMENT);
    expect(requirementOfRoute(legacy, 'churn', policy)).toEqual({
      kind: 'approver',
      roles: ['approver'],
      quorum: 1,
    });
  });

  it("low: one holder of the model's on-call role; material: the committee of the sealed tier", () => {
    expect(requirementOfRoute(route('low', 'standard'), 'credit', policy)).toEqual({
      kind: 'oncall',
      roles: ['oncall'],
      quorum: 1,
    });
    expect(requirementOfRoute(route('low', 'standard'), 'churn', policy).roles).toEqual(['ml-oncall']);
    expect(requirementOfRoute(route('material', 'standard'), 'churn', policy)).toEqual({
      kind: 'committee',
      roles: ['model-risk', 'credit-risk'],
      quorum: 2,
    });
    // The sealed tier decides, not the model's tier in the policy.
    expect(requirementOfRoute(route('material', 'high'), 'churn', policy)).toEqual({
      kind: 'committee',
      roles: ['model-risk'],
      quorum: 3,
    });
    expect(describeRequirement(requirementOfRoute(route('material', 'standard'), 'x', policy))).toBe(
      '2 approvals by distinct holders of model-risk or credit-risk',
    );
  });

  it('refuses a route that names a policy it is not given, or a tier the policy lacks', () => {
    expect(() => requirementOfRoute(route('low', 'standard'), 'credit', undefined)).toThrow(
      /could not be read/,
    );
    expect(() => requirementOfRoute(route('material', 'gold'), 'credit', policy)).toThrow(/no tier "gold"/);
  });
});
