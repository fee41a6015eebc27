// The difference between two input contracts, as the materiality rules and the feature-pipeline
// promotion report it. Any difference is a change of the feature set (seed: "any change to the input
// contract auto-routes to material"); only descriptions are ignored. Pure.
import { compareText } from './schema.js';

/** A feature as the rules compare it: the input contract's feature, description aside. */
export interface ContractFeature {
  readonly name: string;
  readonly type: string;
  readonly categories?: readonly string[];
}

export interface ContractDiff {
  readonly added: readonly ContractFeature[];
  readonly removed: readonly ContractFeature[];
  readonly retyped: readonly { readonly name: string; readonly from: string; readonly to: string }[];
  /** A category feature whose allowed values changed (same type). */
  readonly recategorised: readonly {
    readonly name: string;
    readonly from: readonly string[];
    readonly to: readonly string[];
  }[];
  /** Whether the features both contracts have are taken in another order. */
  readonly reordered: boolean;
}

/**
 * How `after` differs from `before`: features added, removed, retyped, recategorised, and whether the
 * features kept are in another order (a model that takes its inputs by position reads other columns).
 * Lists are in code-unit order of feature name.
 */
export function diffContracts(
  before: { readonly features: readonly ContractFeature[] },
  after: { readonly features: readonly ContractFeature[] },
): ContractDiff {
  const old = byName(before.features);
  const now = byName(after.features);
  const added = [...now.values()].filter((f) => !old.has(f.name));
  const removed = [...old.values()].filter((f) => !now.has(f.name));
  const retyped: { name: string; from: string; to: string }[] = [];
  const recategorised: { name: string; from: readonly string[]; to: readonly string[] }[] = [];
  for (const [name, was] of old) {
    const is = now.get(name);
    if (is === undefined) continue;
    if (was.type !== is.type) retyped.push({ name, from: was.type, to: is.type });
    else if (!sameList(was.categories ?? [], is.categories ?? [])) {
      recategorised.push({ name, from: was.categories ?? [], to: is.categories ?? [] });
    }
  }
  const keptBefore = before.features.map((f) => f.name).filter((n) => now.has(n));
  const keptAfter = after.features.map((f) => f.name).filter((n) => old.has(n));
  const byFeatureName = (a: { name: string }, b: { name: string }): number => compareText(a.name, b.name);
  return {
    added: added.sort(byFeatureName),
    removed: removed.sort(byFeatureName),
    retyped: retyped.sort(byFeatureName),
    recategorised: recategorised.sort(byFeatureName),
    reordered: !sameList(keptBefore, keptAfter),
  };
}

export function isEmptyDiff(diff: ContractDiff): boolean {
  return (
    diff.added.length === 0 &&
    diff.removed.length === 0 &&
    diff.retyped.length === 0 &&
    diff.recategorised.length === 0 &&
    !diff.reordered
  );
}

/**
 * The diff as short phrases: `added income (number)`, `removed age (integer)`, `retyped tenure: integer →
 * number`, `recategorised segment: [retail, business] → [retail]`, `reordered the features kept`.
 */
export function describeDiff(diff: ContractDiff): string[] {
  return [
    ...diff.added.map((f) => `added ${f.name} (${f.type})`),
    ...diff.removed.map((f) => `removed ${f.name} (${f.type})`),
    ...diff.retyped.map((r) => `retyped ${r.name}: ${r.from} → ${r.to}`),
    ...diff.recategorised.map(
      (r) => `recategorised ${r.name}: [${r.from.join(', ')}] → [${r.to.join(', ')}]`,
    ),
    ...(diff.reordered ? ['reordered the features kept'] : []),
  ];
}

// A duplicated name (which the input-contract parser refuses) keeps its first occurrence.
function byName(features: readonly ContractFeature[]): Map<string, ContractFeature> {
  const map = new Map<string, ContractFeature>();
  for (const feature of features) if (!map.has(feature.name)) map.set(feature.name, feature);
  return map;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
