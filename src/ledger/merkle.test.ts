import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError, type ErrorCode } from '../errors.js';
import { sha256 } from '../signing/digest.js';
import {
  EMPTY_ROOT,
  LEAF_HASH_PREFIX,
  MemoryTree,
  NODE_HASH_PREFIX,
  appendPlan,
  consistencyProofPlan,
  hashChildren,
  hashLeaf,
  inclusionProofPlan,
  nodesCompletedByAppend,
  rootFromInclusionProof,
  rootPlan,
  verifyConsistency,
  verifyInclusion,
  type NodeId,
  type Plan,
} from './merkle.js';

// ---- vectors (test/vectors/merkle-*.json, transcribed from transparency-dev/merkle)

interface VectorFile<I, E> {
  readonly title: string;
  readonly source: string;
  readonly cases: readonly { readonly title: string; readonly input: I; readonly expected: E }[];
}

function loadVectors<I, E>(name: string): VectorFile<I, E> {
  return JSON.parse(
    readFileSync(new URL(`../../test/vectors/${name}`, import.meta.url), 'utf8'),
  ) as VectorFile<I, E>;
}

type TreeCase =
  | { input: { leaf: string }; expected: { leafHash: string } }
  | { input: { leafInputs: string[] }; expected: { nodes: string[][] } }
  | { input: { leafInputs: string[] }; expected: { root: string; compactRange: string[] } };

const treeVectors = loadVectors<TreeCase['input'], TreeCase['expected']>('merkle-tree.json');
const inclusionVectors = loadVectors<
  { index: number; size: number; leafHash: string },
  { proof: string[]; root: string }
>('merkle-inclusion.json');
const consistencyVectors = loadVectors<
  { oldSize: number; newSize: number },
  { proof: string[]; oldRoot: string; newRoot: string }
>('merkle-consistency.json');

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

// The 8 leaf inputs of the reference tree: the case whose expected value lists every node.
const referenceLeafInputs = treeVectors.cases.flatMap(({ input, expected }) =>
  'nodes' in expected && 'leafInputs' in input ? [input.leafInputs] : [],
)[0];
if (referenceLeafInputs?.length !== 8) throw new Error('merkle-tree.json lacks the 8 leaf inputs');

function treeOf(entries: readonly Uint8Array[]): MemoryTree {
  const tree = new MemoryTree();
  for (const entry of entries) tree.append(hashLeaf(entry));
  return tree;
}

const referenceTree = treeOf(referenceLeafInputs.map(unhex));

// ---- the naive reference, transcribed from RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1
// D[a:b] is the half-open range of leaf inputs; MTH is memoised so that 2,048-leaf trees stay fast.

class Reference {
  readonly #memo = new Map<string, Uint8Array>();

  constructor(readonly d: readonly Uint8Array[]) {}

  static largestPowerOfTwoBelow(n: number): number {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }

  /** MTH(D[a:b]). */
  mth(a: number, b: number): Uint8Array {
    const key = `${a}:${b}`;
    let hash = this.#memo.get(key);
    if (hash === undefined) {
      const n = b - a;
      const entry = this.d[a];
      if (n === 0) hash = sha256(new Uint8Array());
      else if (n === 1 && entry !== undefined) hash = hashLeaf(entry);
      else {
        const k = Reference.largestPowerOfTwoBelow(n);
        hash = hashChildren(this.mth(a, a + k), this.mth(a + k, b));
      }
      this.#memo.set(key, hash);
    }
    return hash;
  }

  /** PATH(m, D[a:b]), m relative to a. */
  path(m: number, a: number, b: number): Uint8Array[] {
    const n = b - a;
    if (n === 1) return [];
    const k = Reference.largestPowerOfTwoBelow(n);
    if (m < k) return [...this.path(m, a, a + k), this.mth(a + k, b)];
    return [...this.path(m - k, a + k, b), this.mth(a, a + k)];
  }

  /** PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true). */
  proof(m: number, n: number): Uint8Array[] {
    return this.subproof(m, 0, n, true);
  }

  /** SUBPROOF(m, D[a:b], flag), m relative to a. */
  subproof(m: number, a: number, b: number, flag: boolean): Uint8Array[] {
    const n = b - a;
    if (m === n) return flag ? [] : [this.mth(a, b)];
    const k = Reference.largestPowerOfTwoBelow(n);
    if (m <= k) return [...this.subproof(m, a, a + k, flag), this.mth(a + k, b)];
    return [...this.subproof(m - k, a + k, b, false), this.mth(a, a + k)];
  }
}

// Runs a plan against a tree, checking that every node it asks for is complete at `size`: an adapter
// only has those nodes when it answers for an older size.
function runAt<T>(tree: MemoryTree, plan: Plan<T>, size: number): T {
  for (const { level, index } of plan.nodes) {
    expect((index + 1) * 2 ** level, `node (${level}, ${index}) at size ${size}`).toBeLessThanOrEqual(size);
  }
  return plan.assemble(plan.nodes.map((id) => tree.node(id)));
}

// ---- mutation probes (transparency-dev/merkle proof/verify_test.go, cmd/proofgen)

const SOME_HASH = unhex('abacaba000000000000000000000000000000000000000000060061e00123456');
const NOT_A_HASH = new TextEncoder().encode('WrongLeaf');
const GEOMETRY: ErrorCode[] = ['INVALID_ARGUMENT', 'OUT_OF_RANGE', 'PROOF_FAILED', 'ROOT_MISMATCH'];

interface Probe {
  readonly desc: string;
  readonly codes: readonly ErrorCode[];
  readonly run: () => void;
}

function flipBit(proof: readonly Uint8Array[], i: number): Uint8Array[] {
  return proof.map((hash, j) => (j === i ? hash.map((byte, b) => (b === 0 ? byte ^ 8 : byte)) : hash));
}

function proofEdits(proof: readonly Uint8Array[], roots: readonly Uint8Array[]) {
  const edits: { desc: string; codes: ErrorCode[]; proof: Uint8Array[] }[] = [];
  proof.forEach((_, i) => {
    edits.push({ desc: `proof[${i}] bit flipped`, codes: ['ROOT_MISMATCH'], proof: flipBit(proof, i) });
    edits.push({ desc: `proof[${i}] removed`, codes: ['PROOF_FAILED'], proof: proof.toSpliced(i, 1) });
  });
  for (let i = 0; i <= proof.length; i++) {
    edits.push({
      desc: `hash inserted at ${i}`,
      codes: ['PROOF_FAILED'],
      proof: proof.toSpliced(i, 0, SOME_HASH),
    });
  }
  edits.push({ desc: 'trailing garbage', codes: ['INVALID_PROOF'], proof: [...proof, new Uint8Array()] });
  edits.push({ desc: 'preceding garbage', codes: ['INVALID_PROOF'], proof: [new Uint8Array(), ...proof] });
  roots.forEach((root, r) => {
    edits.push({ desc: `trailing root ${r}`, codes: ['PROOF_FAILED'], proof: [...proof, root] });
    edits.push({ desc: `preceding root ${r}`, codes: ['PROOF_FAILED'], proof: [root, ...proof] });
  });
  return edits;
}

function inclusionProbes(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Probe[] {
  const probe = (desc: string, codes: readonly ErrorCode[], ...args: Parameters<typeof verifyInclusion>) => ({
    desc,
    codes,
    run: () => verifyInclusion(...args),
  });
  const geometry = [
    ['index - 1', index - 1, size],
    ['index + 1', index + 1, size],
    ['index ^ 2', index % 4 < 2 ? index + 2 : index - 2, size],
    ['size * 2', index, size * 2],
    ['size / 2', index, Math.floor(size / 2)],
  ] as const;
  return [
    ...geometry
      .filter(([, i, s]) => i !== index || s !== size)
      .map(([desc, i, s]) => probe(desc, GEOMETRY, leafHash, i, s, proof, root)),
    probe('wrong leaf', ['ROOT_MISMATCH'], SOME_HASH, index, size, proof, root),
    probe('malformed leaf', ['INVALID_DIGEST'], NOT_A_HASH, index, size, proof, root),
    probe('empty root', ['ROOT_MISMATCH'], leafHash, index, size, proof, EMPTY_ROOT),
    probe('random root', ['ROOT_MISMATCH'], leafHash, index, size, proof, SOME_HASH),
    probe('malformed root', ['INVALID_DIGEST'], leafHash, index, size, proof, NOT_A_HASH),
    ...proofEdits(proof, [root]).map((e) => probe(e.desc, e.codes, leafHash, index, size, e.proof, root)),
  ];
}

function consistencyProbes(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): Probe[] {
  const probe = (
    desc: string,
    codes: readonly ErrorCode[],
    ...args: Parameters<typeof verifyConsistency>
  ) => ({
    desc,
    codes,
    run: () => verifyConsistency(...args),
  });
  // The empty tree is consistent with every tree, whatever its size or root: nothing to probe there.
  const anyNewTree = oldSize === 0;
  const geometry = [
    ['oldSize - 1', oldSize - 1, newSize],
    ['oldSize + 1', oldSize + 1, newSize],
    ['oldSize ^ 2', oldSize % 4 < 2 ? oldSize + 2 : oldSize - 2, newSize],
    ...(anyNewTree
      ? []
      : ([
          ['newSize * 2', oldSize, newSize * 2],
          ['newSize / 2', oldSize, Math.floor(newSize / 2)],
        ] as const)),
  ] as const;
  const wrongRoots: [string, Uint8Array, Uint8Array][] = [
    ['wrong old root', SOME_HASH, newRoot],
    ['swapped roots', newRoot, oldRoot],
    ...(anyNewTree ? [] : ([['wrong new root', oldRoot, SOME_HASH]] as [string, Uint8Array, Uint8Array][])),
  ];
  return [
    ...geometry
      .filter(([, o, n]) => o !== oldSize || n !== newSize)
      .map(([desc, o, n]) => probe(desc, GEOMETRY, o, n, oldRoot, newRoot, proof)),
    ...wrongRoots
      .filter(([, o, n]) => hex(o) !== hex(oldRoot) || hex(n) !== hex(newRoot))
      .map(([desc, o, n]) => probe(desc, ['ROOT_MISMATCH'], oldSize, newSize, o, n, proof)),
    probe('malformed old root', ['INVALID_DIGEST'], oldSize, newSize, NOT_A_HASH, newRoot, proof),
    probe('malformed new root', ['INVALID_DIGEST'], oldSize, newSize, oldRoot, NOT_A_HASH, proof),
    ...(proof.length > 0
      ? [probe('empty proof', ['PROOF_FAILED'], oldSize, newSize, oldRoot, newRoot, [])]
      : []),
    ...proofEdits(proof, [oldRoot, newRoot]).map((e) =>
      probe(e.desc, e.codes, oldSize, newSize, oldRoot, newRoot, e.proof),
    ),
  ];
}

/** Every probe must throw a coded error with one of its expected codes; returns the ones that did not. */
function survivors(probes: readonly Probe[]): string[] {
  return probes.flatMap(({ desc, codes, run }) => {
    try {
      run();
      return [`${desc}: verified`];
    } catch (error) {
      if (!isSignetError(error)) return [`${desc}: uncoded ${String(error)}`];
      return codes.includes(error.code) ? [] : [`${desc}: ${error.code}`];
    }
  });
}

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    return isSignetError(error) ? error.code : `uncoded ${String(error)}`;
  }
}

// ---- tests

describe('hashing (RFC 9162 §2.1.1)', () => {
  it('uses the RFC domain-separation prefixes and the empty root', () => {
    expect(LEAF_HASH_PREFIX).toBe(0x00);
    expect(NODE_HASH_PREFIX).toBe(0x01);
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hashLeaf(new Uint8Array([1, 2]))).toEqual(sha256(new Uint8Array([0, 1, 2])));
    expect(hashChildren(new Uint8Array([1]), new Uint8Array([2]))).toEqual(sha256(new Uint8Array([1, 1, 2])));
  });

  it('is not affected by a caller mutating EMPTY_ROOT', () => {
    const saved = EMPTY_ROOT[0] ?? 0;
    EMPTY_ROOT[0] = saved ^ 1;
    try {
      expect(hex(new MemoryTree().root())).toBe(
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
      expect(() =>
        verifyConsistency(0, 0, sha256(new Uint8Array()), sha256(new Uint8Array()), []),
      ).not.toThrow();
    } finally {
      EMPTY_ROOT[0] = saved;
    }
  });
});

describe(`vectors: ${treeVectors.title}`, () => {
  it.each(treeVectors.cases.map((c) => [c.title, c] as const))('%s', (_, { input, expected }) => {
    if ('leafHash' in expected && 'leaf' in input) {
      expect(hex(hashLeaf(unhex(input.leaf)))).toBe(expected.leafHash);
    } else if ('nodes' in expected && 'leafInputs' in input) {
      const tree = treeOf(input.leafInputs.map(unhex));
      const stored = expected.nodes.map((level, l) =>
        level.map((_, index) => hex(tree.node({ level: l, index }))),
      );
      expect(stored).toEqual(expected.nodes);
      expect(() => tree.node({ level: 4, index: 0 })).toThrow(
        expect.objectContaining({ code: 'OUT_OF_RANGE' }),
      );
    } else if ('root' in expected && 'leafInputs' in input) {
      const size = input.leafInputs.length;
      expect(hex(treeOf(input.leafInputs.map(unhex)).root())).toBe(expected.root);
      // The same root at an older size of a larger tree, from the nodes a store holds now.
      expect(hex(referenceTree.root(size))).toBe(expected.root);
      // rootPlan fetches exactly the compact range (transparency-dev/merkle CompactTrees).
      const plan = rootPlan(size);
      expect(plan.nodes.map((id) => hex(referenceTree.node(id)))).toEqual(expected.compactRange);
    } else {
      throw new Error('unknown vector case');
    }
  });
});

describe(`vectors: ${inclusionVectors.title}`, () => {
  it.each(inclusionVectors.cases.map((c) => [c.title, c] as const))('%s', (_, { input, expected }) => {
    const { index, size } = input;
    const leafHash = unhex(input.leafHash);
    const proof = expected.proof.map(unhex);
    const root = unhex(expected.root);
    expect(hex(referenceTree.leafHash(index))).toBe(input.leafHash);
    expect(runAt(referenceTree, inclusionProofPlan(index, size), size).map(hex)).toEqual(expected.proof);
    expect(hex(rootFromInclusionProof(leafHash, index, size, proof))).toBe(expected.root);
    expect(() => verifyInclusion(leafHash, index, size, proof, root)).not.toThrow();
    expect(survivors(inclusionProbes(leafHash, index, size, proof, root))).toEqual([]);
  });
});

describe(`vectors: ${consistencyVectors.title}`, () => {
  it.each(consistencyVectors.cases.map((c) => [c.title, c] as const))('%s', (_, { input, expected }) => {
    const { oldSize, newSize } = input;
    const proof = expected.proof.map(unhex);
    const [oldRoot, newRoot] = [unhex(expected.oldRoot), unhex(expected.newRoot)];
    expect(hex(referenceTree.root(oldSize))).toBe(expected.oldRoot);
    expect(hex(referenceTree.root(newSize))).toBe(expected.newRoot);
    expect(runAt(referenceTree, consistencyProofPlan(oldSize, newSize), newSize).map(hex)).toEqual(
      expected.proof,
    );
    expect(() => verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)).not.toThrow();
    expect(survivors(consistencyProbes(oldSize, newSize, oldRoot, newRoot, proof))).toEqual([]);
  });
});

describe('edge cases and malformed input', () => {
  const root1 = referenceTree.root(1);
  const root8 = referenceTree.root(8);

  it('rejects sizes and indices that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(codeOf(() => rootPlan(bad))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => inclusionProofPlan(bad, 8))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => inclusionProofPlan(0, bad))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => consistencyProofPlan(bad, 8))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => consistencyProofPlan(0, bad))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => nodesCompletedByAppend(bad))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => rootFromInclusionProof(root1, bad, 1, []))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => verifyInclusion(root1, 0, bad, [], root1))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => verifyConsistency(bad, 8, root1, root8, []))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => verifyConsistency(1, bad, root1, root8, []))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => referenceTree.root(bad))).toBe('INVALID_ARGUMENT');
    }
    expect(codeOf(() => nodesCompletedByAppend(Number.MAX_SAFE_INTEGER))).toBe('OUT_OF_RANGE');
  });

  it('rejects out-of-range positions', () => {
    expect(codeOf(() => inclusionProofPlan(8, 8))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => inclusionProofPlan(0, 0))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => consistencyProofPlan(9, 8))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => referenceTree.root(9))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => referenceTree.inclusionProof(0, 9))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => referenceTree.consistencyProof(1, 9))).toBe('OUT_OF_RANGE');
    // transparency-dev/merkle TestVerifyInclusion: index/size pairs that hold no leaf.
    for (const [index, size] of [
      [0, 0],
      [1, 0],
      [2, 1],
    ] as const) {
      expect(codeOf(() => verifyInclusion(SOME_HASH, index, size, [], EMPTY_ROOT))).toBe('OUT_OF_RANGE');
    }
    expect(codeOf(() => verifyInclusion(SOME_HASH, 0, 1, [], EMPTY_ROOT))).toBe('ROOT_MISMATCH');
  });

  it('rejects proofs that are not arrays of 32-byte hashes', () => {
    const notAnArray = 'proof' as unknown as Uint8Array[];
    const notBytes = ['00'.repeat(32)] as unknown as Uint8Array[];
    expect(codeOf(() => verifyInclusion(root1, 0, 2, notAnArray, root8))).toBe('INVALID_PROOF');
    expect(codeOf(() => verifyInclusion(root1, 0, 2, notBytes, root8))).toBe('INVALID_PROOF');
    expect(codeOf(() => verifyInclusion(root1, 0, 2, [new Uint8Array(33)], root8))).toBe('INVALID_PROOF');
    expect(codeOf(() => verifyConsistency(1, 8, root1, root8, notAnArray))).toBe('INVALID_PROOF');
    expect(codeOf(() => verifyConsistency(1, 8, root1, root8, [new Uint8Array(31)]))).toBe('INVALID_PROOF');
    // transparency-dev/merkle TestVerifyInclusionSingleEntry: an empty hash is malformed, not just wrong.
    const data = hashLeaf(new TextEncoder().encode('data'));
    expect(() => verifyInclusion(data, 0, 1, [], data)).not.toThrow();
    expect(codeOf(() => verifyInclusion(new Uint8Array(), 0, 1, [], data))).toBe('INVALID_DIGEST');
    expect(codeOf(() => verifyInclusion(data, 0, 1, [], new Uint8Array()))).toBe('INVALID_DIGEST');
  });

  it('handles consistency with the empty tree and between equal sizes', () => {
    // Equal sizes: the proof is empty and the roots must be equal.
    expect(consistencyProofPlan(5, 5).nodes).toEqual([]);
    expect(() => verifyConsistency(8, 8, root8, root8, [])).not.toThrow();
    expect(codeOf(() => verifyConsistency(8, 8, root8, root1, []))).toBe('ROOT_MISMATCH');
    expect(codeOf(() => verifyConsistency(8, 8, root8, root8, [EMPTY_ROOT]))).toBe('PROOF_FAILED');
    // The empty tree is a prefix of every tree; its root is SHA-256() whatever comes after.
    expect(consistencyProofPlan(0, 5).nodes).toEqual([]);
    expect(() => verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).not.toThrow();
    expect(() => verifyConsistency(0, 8, EMPTY_ROOT, root8, [])).not.toThrow();
    expect(codeOf(() => verifyConsistency(0, 0, SOME_HASH, SOME_HASH, []))).toBe('ROOT_MISMATCH');
    expect(codeOf(() => verifyConsistency(0, 8, root1, root8, []))).toBe('ROOT_MISMATCH');
    expect(codeOf(() => verifyConsistency(0, 8, EMPTY_ROOT, root8, [EMPTY_ROOT]))).toBe('PROOF_FAILED');
    // transparency-dev/merkle TestVerifyConsistency: time travel and an empty proof for 0 < m < n.
    expect(codeOf(() => verifyConsistency(1, 0, root1, EMPTY_ROOT, []))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => verifyConsistency(1, 2, root1, referenceTree.root(2), []))).toBe('PROOF_FAILED');
  });

  it('checks the number of hashes handed to assemble', () => {
    const plan = inclusionProofPlan(3, 8);
    const hashes = plan.nodes.map((id) => referenceTree.node(id));
    expect(codeOf(() => plan.assemble(hashes.slice(1)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => plan.assemble([...hashes, SOME_HASH]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => plan.assemble([new Uint8Array(3), ...hashes.slice(1)]))).toBe('INVALID_DIGEST');
    expect(codeOf(() => rootPlan(0).assemble([SOME_HASH]))).toBe('INVALID_ARGUMENT');
    expect(rootPlan(0).assemble([])).toEqual(EMPTY_ROOT);
  });

  it('hands out copies, so that mutating a proof does not corrupt the tree', () => {
    const tree = treeOf(referenceLeafInputs.map(unhex));
    const [first] = tree.inclusionProof(0);
    first?.fill(0);
    expect(tree.root()).toEqual(root8);
  });
});

describe('appending', () => {
  it('lists the nodes an append completes, bottom-up, with their children', () => {
    expect(nodesCompletedByAppend(0)).toEqual([]);
    expect(nodesCompletedByAppend(2)).toEqual([]);
    expect(nodesCompletedByAppend(1)).toEqual([
      { node: { level: 1, index: 0 }, left: { level: 0, index: 0 }, right: { level: 0, index: 1 } },
    ]);
    expect(nodesCompletedByAppend(5)).toEqual([
      { node: { level: 1, index: 2 }, left: { level: 0, index: 4 }, right: { level: 0, index: 5 } },
    ]);
    expect(nodesCompletedByAppend(7)).toEqual([
      { node: { level: 1, index: 3 }, left: { level: 0, index: 6 }, right: { level: 0, index: 7 } },
      { node: { level: 2, index: 1 }, left: { level: 1, index: 2 }, right: { level: 1, index: 3 } },
      { node: { level: 3, index: 0 }, left: { level: 2, index: 0 }, right: { level: 2, index: 1 } },
    ]);
    expect(nodesCompletedByAppend(2 ** 40 - 1)).toHaveLength(40);
  });

  it('computes every stored node from the children stored before it (appendPlan)', () => {
    const plan = appendPlan(7, referenceTree.leafHash(7));
    expect(plan.nodes).toEqual([
      { level: 0, index: 6 },
      { level: 1, index: 2 },
      { level: 2, index: 0 },
    ]);
    const stored = plan.assemble(plan.nodes.map((id) => referenceTree.node(id)));
    expect(stored.map(({ node }) => node)).toEqual([
      { level: 0, index: 7 },
      { level: 1, index: 3 },
      { level: 2, index: 1 },
      { level: 3, index: 0 },
    ]);
    expect(stored.map(({ hash }) => hex(hash))).toEqual(
      stored.map(({ node }) => hex(referenceTree.node(node))),
    );
    expect(codeOf(() => appendPlan(0, NOT_A_HASH))).toBe('INVALID_DIGEST');
    expect(codeOf(() => new MemoryTree().append(new Uint8Array(31)))).toBe('INVALID_DIGEST');
  });
});

describe('generative: plans over a node store agree with the RFC reference', () => {
  const MAX_SIZE = 2048;
  const entries = Array.from({ length: MAX_SIZE }, (_, i) => new TextEncoder().encode(`entry ${i}`));
  const reference = new Reference(entries);
  const tree = treeOf(entries);

  it('stores the MTH of every perfect subtree, and gives the MTH root at every size', () => {
    for (let level = 0; 2 ** level <= MAX_SIZE; level++) {
      for (let index = 0; (index + 1) * 2 ** level <= MAX_SIZE; index++) {
        const node: NodeId = { level, index };
        expect(tree.node(node)).toEqual(reference.mth(index * 2 ** level, (index + 1) * 2 ** level));
      }
    }
    for (let size = 0; size <= MAX_SIZE; size++) {
      expect(runAt(tree, rootPlan(size), size), `size ${size}`).toEqual(reference.mth(0, size));
    }
  });

  it('produces inclusion proofs equal to PATH that verify and resist every probe', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_SIZE }), fc.nat(), (size, seed) => {
        const index = seed % size;
        const proof = runAt(tree, inclusionProofPlan(index, size), size);
        expect(proof).toEqual(reference.path(index, 0, size));
        const root = reference.mth(0, size);
        const leafHash = tree.leafHash(index);
        verifyInclusion(leafHash, index, size, proof, root);
        expect(survivors(inclusionProbes(leafHash, index, size, proof, root))).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('produces consistency proofs equal to PROOF that verify and resist every probe', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_SIZE }), fc.nat(), (newSize, seed) => {
        const oldSize = seed % (newSize + 1);
        const proof = runAt(tree, consistencyProofPlan(oldSize, newSize), newSize);
        expect(proof).toEqual(oldSize === 0 ? [] : reference.proof(oldSize, newSize));
        const [oldRoot, newRoot] = [reference.mth(0, oldSize), reference.mth(0, newSize)];
        verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof);
        expect(survivors(consistencyProbes(oldSize, newSize, oldRoot, newRoot, proof))).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('covers every index pair of the small trees exhaustively', () => {
    for (let size = 1; size <= 64; size++) {
      const root = reference.mth(0, size);
      for (let index = 0; index < size; index++) {
        const proof = tree.inclusionProof(index, size);
        expect(proof).toEqual(reference.path(index, 0, size));
        verifyInclusion(tree.leafHash(index), index, size, proof, root);
      }
      for (let oldSize = 1; oldSize <= size; oldSize++) {
        const proof = tree.consistencyProof(oldSize, size);
        expect(proof).toEqual(reference.proof(oldSize, size));
        verifyConsistency(oldSize, size, reference.mth(0, oldSize), root, proof);
      }
    }
  });
});

describe('node fetches stay logarithmic', () => {
  // Plain checks (no expect per node), so that thousands of plans stay fast.
  function problemsOf(plan: Plan<unknown>, size: number, bound: number): string[] {
    const problems: string[] = [];
    if (plan.nodes.length > bound) problems.push(`${plan.nodes.length} nodes > ${bound}`);
    for (const { level, index } of plan.nodes) {
      const valid = Number.isSafeInteger(index) && index >= 0 && Number.isSafeInteger(level) && level >= 0;
      if (!valid || (index + 1) * 2 ** level > size)
        problems.push(`node (${level}, ${index}) at size ${size}`);
    }
    if (new Set(plan.nodes.map(({ level, index }) => `${level}:${index}`)).size !== plan.nodes.length) {
      problems.push('a node fetched twice');
    }
    return problems;
  }

  it.each([1_000_000, 1_048_575, 1_048_576, 1_048_577, Number.MAX_SAFE_INTEGER])('at size %d', (size) => {
    const bound = Math.floor(2 * Math.log2(size));
    let powerOfTwo = 1;
    while (powerOfTwo * 2 <= size) powerOfTwo *= 2;
    const samples = fc.sample(fc.integer({ min: 0, max: size - 1 }), { numRuns: 1000, seed: 42 });
    const indices = [0, 1, 2, size - 2, size - 1, powerOfTwo - 2, powerOfTwo - 1, ...samples];
    const problems = problemsOf(rootPlan(size), size, Math.ceil(Math.log2(size)));
    let most = 0;
    for (const index of indices) {
      const plan = inclusionProofPlan(index, size);
      problems.push(...problemsOf(plan, size, bound).map((p) => `inclusion ${index}: ${p}`));
      most = Math.max(most, plan.nodes.length);
    }
    for (const oldSize of indices.map((i) => i + 1)) {
      const plan = consistencyProofPlan(oldSize, size);
      problems.push(...problemsOf(plan, size, bound).map((p) => `consistency ${oldSize}: ${p}`));
      most = Math.max(most, plan.nodes.length);
    }
    expect(problems).toEqual([]);
    expect(most).toBeGreaterThanOrEqual(Math.floor(Math.log2(size)));
  });
});
