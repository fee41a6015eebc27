// RFC 9162 §2.1 Merkle tree: hashing, roots, inclusion and consistency proofs, and their verification.
//
// Storage model. A store keeps every *perfect aligned subtree* hash as a node (level, index) covering the
// leaves [index·2^level, (index+1)·2^level); level 0 holds the leaf hashes. Once the last leaf of such a
// node is appended its hash never changes (the log is append-only), so the nodes stored today also serve
// roots and proofs for every older tree size. The RFC's recursive definitions split a tree of n leaves at
// the largest power of two k < n (§2.1.1), so every subtree they name is an aligned range of leaves:
// either perfect (one stored node) or "ragged" (its right edge is the tree's right edge). A ragged range
// is the binary decomposition of its width into perfect nodes, folded right to left.
//
// This module therefore separates *which stored nodes are needed* from *how to combine them*
// (transparency-dev/merkle `proof.Inclusion` returning `Nodes` + `Rehash`, and `compact.Range`): a `Plan`
// names O(log n) nodes that an adapter fetches in one batch, and `assemble` turns their hashes into the
// result. Nothing here does I/O.
//
// Sizes and indices are JS numbers (safe integers); arithmetic uses `*`, `/` and `%` by powers of two,
// never 32-bit bitwise operators.
import { createHash } from 'node:crypto';

import { InputError, VerificationError } from '../errors.js';
import { equalBytes } from '../signing/digest.js';

/** RFC 9162 §2.1.1 domain separation: a leaf hash is SHA-256(0x00 ‖ entry). */
export const LEAF_HASH_PREFIX = 0x00;
/** RFC 9162 §2.1.1 domain separation: an interior node hash is SHA-256(0x01 ‖ left ‖ right). */
export const NODE_HASH_PREFIX = 0x01;

const HASH_SIZE = 32;
// 2^52 is the widest perfect subtree inside a tree of at most Number.MAX_SAFE_INTEGER (2^53 - 1) leaves.
const MAX_LEVEL = 52;
const LEAF_PREFIX_BYTES = Uint8Array.of(LEAF_HASH_PREFIX);
const NODE_PREFIX_BYTES = Uint8Array.of(NODE_HASH_PREFIX);

function sha256Of(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/**
 * The RFC 9162 §2.1.1 leaf hash of an entry's bytes.
 *
 * @example
 * ```ts
 * const leafHash = hashLeaf(envelopeBytes); // SHA-256(0x00 ‖ envelopeBytes)
 * ```
 */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  return sha256Of(LEAF_PREFIX_BYTES, entry);
}

/**
 * The RFC 9162 §2.1.1 hash of an interior node from its two children.
 *
 * @example
 * ```ts
 * const parent = hashChildren(hashLeaf(a), hashLeaf(b)); // SHA-256(0x01 ‖ left ‖ right)
 * ```
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Of(NODE_PREFIX_BYTES, left, right);
}

/**
 * The root of the empty tree, MTH({}) = SHA-256() (RFC 9162 §2.1.1). Do not mutate; functions here
 * return fresh copies.
 *
 * @example
 * ```ts
 * toDigest(EMPTY_ROOT); // 'sha256:e3b0c442…b855'
 * ```
 */
export const EMPTY_ROOT: Uint8Array = emptyRoot();
// A private copy, so that a caller mutating the exported EMPTY_ROOT changes no verification.
const EMPTY_ROOT_COPY = emptyRoot();

function emptyRoot(): Uint8Array {
  return sha256Of();
}

/**
 * A stored perfect subtree: leaves [index·2^level, (index+1)·2^level); level 0 is the leaf hashes.
 *
 * @example
 * ```ts
 * const node: NodeId = { level: 2, index: 1 }; // the hash over leaves 4..7
 * ```
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/**
 * Which stored nodes to fetch, and a pure function that turns their hashes (in the same order) into the
 * result. `assemble` throws `INVALID_ARGUMENT` when given the wrong number of hashes.
 *
 * @example
 * ```ts
 * const plan = inclusionProofPlan(5, 1_000_000);
 * const proof = plan.assemble(await store.fetchNodes(plan.nodes)); // one batch, O(log n) nodes
 * ```
 */
export interface Plan<T> {
  readonly nodes: readonly NodeId[];
  assemble(hashes: readonly Uint8Array[]): T;
}

/** A node that becomes perfect when a leaf is appended, with the two children it is hashed from. */
export interface CompletedNode {
  readonly node: NodeId;
  readonly left: NodeId;
  readonly right: NodeId;
}

/**
 * The level ≥ 1 nodes that become perfect when the leaf at `index` is appended, bottom-up, each with its
 * two children. Every `left` child was stored before this append; each `right` child is the new leaf
 * (level 0) or the node just before it in the list. There are as many as trailing 1 bits of `index`,
 * so an append stores O(1) nodes amortised and O(log n) at worst.
 *
 * @example
 * ```ts
 * store(0, index, leafHash);
 * for (const { node, left, right } of nodesCompletedByAppend(index)) {
 *   store(node.level, node.index, hashChildren(fetch(left), fetch(right)));
 * }
 * ```
 */
export function nodesCompletedByAppend(index: number): CompletedNode[] {
  assertCount(index, 'index');
  const size = index + 1;
  if (!Number.isSafeInteger(size)) {
    throw new InputError('OUT_OF_RANGE', `a tree cannot grow past ${Number.MAX_SAFE_INTEGER} leaves`);
  }
  const completed: CompletedNode[] = [];
  // The node (level, i) is complete exactly when the size is a multiple of its width 2^level.
  for (let level = 1; size % 2 ** level === 0; level++) {
    const nodeIndex = size / 2 ** level - 1;
    completed.push({
      node: { level, index: nodeIndex },
      left: { level: level - 1, index: 2 * nodeIndex },
      right: { level: level - 1, index: 2 * nodeIndex + 1 },
    });
  }
  return completed;
}

/**
 * A plan that appends the leaf at `index`: it fetches the left children of the nodes the append completes
 * (see `nodesCompletedByAppend`) and assembles every node to store, the leaf first.
 *
 * @example
 * ```ts
 * const plan = appendPlan(size, hashLeaf(entry));
 * for (const { node, hash } of plan.assemble(fetch(plan.nodes))) store(node, hash);
 * ```
 */
export function appendPlan(
  index: number,
  leafHash: Uint8Array,
): Plan<{ readonly node: NodeId; readonly hash: Uint8Array }[]> {
  assertHash(leafHash, 'leaf hash', 'INVALID_DIGEST');
  const completed = nodesCompletedByAppend(index);
  return {
    nodes: completed.map(({ left }) => left),
    assemble(hashes) {
      assertFetched(hashes, completed.length);
      const stored = [{ node: { level: 0, index }, hash: leafHash }];
      let right = leafHash;
      completed.forEach(({ node }, i) => {
        right = hashChildren(fetched(hashes, i), right);
        stored.push({ node, hash: right });
      });
      return stored;
    },
  };
}

/**
 * A plan for the Merkle Tree Hash of the first `size` leaves (RFC 9162 §2.1.1): at most log2(size)
 * stored nodes, one per 1 bit of `size` (transparency-dev/merkle `compact.Range`).
 *
 * @example
 * ```ts
 * const plan = rootPlan(size);
 * const root = plan.assemble(fetch(plan.nodes));
 * ```
 */
export function rootPlan(size: number): Plan<Uint8Array> {
  assertCount(size, 'size');
  if (size === 0) return planOfRanges([], () => emptyRoot());
  return planOfRanges([{ start: 0, end: size }], (roots) => fetched(roots, 0));
}

/**
 * A plan for the inclusion proof of the leaf at `index` in the tree of `size` leaves: PATH(index, D[size])
 * of RFC 9162 §2.1.3.1, deepest sibling first. Throws `OUT_OF_RANGE` unless index < size.
 *
 * @example
 * ```ts
 * const plan = inclusionProofPlan(index, size);
 * const proof = plan.assemble(fetch(plan.nodes));
 * verifyInclusion(leafHash, index, size, proof, root);
 * ```
 */
export function inclusionProofPlan(index: number, size: number): Plan<Uint8Array[]> {
  assertCount(index, 'index');
  assertCount(size, 'size');
  if (index >= size) {
    throw new InputError('OUT_OF_RANGE', `leaf index ${index} is not in a tree of size ${size}`, {
      details: { index, size },
    });
  }
  return planOfRanges(inclusionRanges(index, size), (hashes) => hashes);
}

/**
 * A plan for the consistency proof between the trees of `oldSize` and `newSize` leaves: PROOF(oldSize,
 * D[newSize]) of RFC 9162 §2.1.4.1. The proof is empty when oldSize is 0 or equals newSize. Throws
 * `OUT_OF_RANGE` unless oldSize ≤ newSize.
 *
 * @example
 * ```ts
 * const plan = consistencyProofPlan(oldSize, newSize);
 * const proof = plan.assemble(fetch(plan.nodes));
 * verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof);
 * ```
 */
export function consistencyProofPlan(oldSize: number, newSize: number): Plan<Uint8Array[]> {
  assertCount(oldSize, 'old size');
  assertCount(newSize, 'new size');
  assertOrdered(oldSize, newSize);
  // §2.1.4.1 defines PROOF(m, D[n]) for 0 < m < n; SUBPROOF(m, D[m], true) is empty, and the empty tree
  // is a prefix of every tree, so both edge cases have the empty proof.
  if (oldSize === 0 || oldSize === newSize) return planOfRanges([], (hashes) => hashes);
  return planOfRanges(consistencyRanges(oldSize, newSize), (hashes) => hashes);
}

/**
 * Recomputes the root from a leaf hash and its inclusion proof (RFC 9162 §2.1.3.2). The proof is
 * attacker-controlled: throws `INVALID_PROOF`/`INVALID_DIGEST` for a hash that is not 32 bytes,
 * `INVALID_ARGUMENT`/`OUT_OF_RANGE` for a bad index or size, and `PROOF_FAILED` for a proof with the
 * wrong number of hashes.
 *
 * @example
 * ```ts
 * const root = rootFromInclusionProof(leafHash, index, size, proof);
 * ```
 */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  assertCount(index, 'index');
  assertCount(size, 'size');
  assertHash(leafHash, 'leaf hash', 'INVALID_DIGEST');
  assertProof(proof);
  // Step 1.
  if (index >= size) {
    throw new InputError('OUT_OF_RANGE', `leaf index ${index} is not in a tree of size ${size}`, {
      details: { index, size },
    });
  }
  // Steps 2–4: fn walks up from the leaf, sn from the last leaf; where fn == sn the leaf's ancestor is
  // the right edge of the tree, which has no right sibling, so levels are skipped until it has one.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw proofFailed('inclusion proof has too many hashes', { index, size });
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5 (the root comparison is the caller's).
  if (sn !== 0) throw proofFailed('inclusion proof has too few hashes', { index, size });
  return r;
}

/**
 * Verifies that `leafHash` is the leaf at `index` of the tree of `size` leaves with root `root`
 * (RFC 9162 §2.1.3.2). Returns nothing on success; throws `ROOT_MISMATCH` or `PROOF_FAILED`
 * (VerificationError), or an InputError for malformed input (see `rootFromInclusionProof`).
 *
 * @example
 * ```ts
 * verifyInclusion(hashLeaf(entry), index, checkpoint.size, proof, checkpoint.root);
 * ```
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  assertHash(root, 'root', 'INVALID_DIGEST');
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  if (!equalBytes(computed, root)) {
    throw new VerificationError('ROOT_MISMATCH', `the inclusion proof does not lead to the given root`, {
      details: { index, size },
    });
  }
}

/**
 * Verifies that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of `newSize`
 * leaves with root `newRoot` (RFC 9162 §2.1.4.2). When the sizes are equal the proof must be empty and
 * the roots equal; when oldSize is 0 the proof must be empty and oldRoot must be the empty root
 * (§2.1.1). Throws `ROOT_MISMATCH` or `PROOF_FAILED` (VerificationError), or an InputError for
 * malformed input (`INVALID_PROOF`, `INVALID_DIGEST`, `INVALID_ARGUMENT`, `OUT_OF_RANGE`).
 *
 * @example
 * ```ts
 * verifyConsistency(trusted.size, latest.size, trusted.root, latest.root, proof);
 * ```
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  assertCount(oldSize, 'old size');
  assertCount(newSize, 'new size');
  assertHash(oldRoot, 'old root', 'INVALID_DIGEST');
  assertHash(newRoot, 'new root', 'INVALID_DIGEST');
  assertProof(proof);
  assertOrdered(oldSize, newSize);
  const details = { oldSize, newSize };

  if (oldSize === 0 || oldSize === newSize) {
    // Outside §2.1.4.2's 0 < m < n: the proof is empty (§2.1.4.1), and whatever can be checked without
    // one must hold: a tree equals itself, and the tree of size 0 has the root SHA-256() (§2.1.1).
    if (proof.length !== 0) throw proofFailed('the consistency proof must be empty for these sizes', details);
    if (oldSize === 0 && !equalBytes(oldRoot, EMPTY_ROOT_COPY)) {
      throw rootMismatch('old', 'the old root is not the root of the empty tree', details);
    }
    if (oldSize === newSize && !equalBytes(oldRoot, newRoot)) {
      throw rootMismatch('new', 'two trees of the same size have different roots', details);
    }
    return;
  }

  // Step 1.
  if (proof.length === 0) throw proofFailed('the consistency proof is empty', details);
  // Step 2: when oldSize is a power of two its root is a node of the new tree, which PROOF omits.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  // Step 3.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // Step 4: skip the levels where the old tree's last leaf is a right child.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Steps 5–6: fr rebuilds the old root and sr the new root from the same path.
  let fr = fetched(path, 0);
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) throw proofFailed('the consistency proof has too many hashes', details);
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  if (sn !== 0) throw proofFailed('the consistency proof has too few hashes', details);
  if (!equalBytes(fr, oldRoot)) throw rootMismatch('old', 'the proof does not lead to the old root', details);
  if (!equalBytes(sr, newRoot)) throw rootMismatch('new', 'the proof does not lead to the new root', details);
}

/**
 * An in-memory tree that stores every perfect subtree hash, for tools that hold every leaf (the memory
 * ledger, the standalone verifier, tests): O(log n) append, and roots and proofs at any size up to the
 * current one, through the same plans a database adapter runs.
 *
 * @example
 * ```ts
 * const tree = new MemoryTree();
 * for (const entry of entries) tree.append(hashLeaf(entry));
 * verifyInclusion(tree.leafHash(3), 3, tree.size, tree.inclusionProof(3), tree.root());
 * ```
 */
export class MemoryTree {
  // levels[level][index]: dense, since nodes are completed left to right.
  readonly #levels: Uint8Array[][] = [];

  get size(): number {
    return this.#levels[0]?.length ?? 0;
  }

  /** Appends a leaf hash (see `hashLeaf`) and returns its index. */
  append(leafHash: Uint8Array): number {
    const index = this.size;
    const plan = appendPlan(index, leafHash);
    for (const { node, hash } of plan.assemble(this.#fetch(plan.nodes))) {
      (this.#levels[node.level] ??= []).push(Uint8Array.from(hash));
    }
    return index;
  }

  leafHash(index: number): Uint8Array {
    return this.node({ level: 0, index });
  }

  /** The stored hash of a perfect subtree; `OUT_OF_RANGE` if it is not complete yet. */
  node(id: NodeId): Uint8Array {
    assertCount(id.level, 'level');
    assertCount(id.index, 'index');
    return fetched(this.#fetch([id]), 0);
  }

  root(size: number = this.size): Uint8Array {
    return this.run(rootPlan(this.#withinSize(size)));
  }

  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    return this.run(inclusionProofPlan(index, this.#withinSize(size)));
  }

  consistencyProof(oldSize: number, newSize: number = this.size): Uint8Array[] {
    return this.run(consistencyProofPlan(oldSize, this.#withinSize(newSize)));
  }

  /** Fetches a plan's nodes from this tree and assembles the result. */
  run<T>(plan: Plan<T>): T {
    return plan.assemble(this.#fetch(plan.nodes));
  }

  #withinSize(size: number): number {
    assertCount(size, 'size');
    if (size > this.size) {
      throw new InputError('OUT_OF_RANGE', `size ${size} is beyond the tree's ${this.size} leaves`, {
        details: { size, treeSize: this.size },
      });
    }
    return size;
  }

  // Copies, so that a caller mutating a returned hash cannot corrupt the tree.
  #fetch(nodes: readonly NodeId[]): Uint8Array[] {
    return nodes.map(({ level, index }) => {
      const hash = this.#levels[level]?.[index];
      if (hash === undefined) {
        throw new InputError('OUT_OF_RANGE', `node (${level}, ${index}) is not in the tree yet`, {
          details: { level, index, treeSize: this.size },
        });
      }
      return Uint8Array.from(hash);
    });
  }
}

// ---- plans from leaf ranges

/** Leaves [start, end), always aligned: start is a multiple of a power of two ≥ end - start. */
interface LeafRange {
  readonly start: number;
  readonly end: number;
}

// RFC 9162 §2.1.3.1 PATH(m, D[n]), unrolled: split at the largest power of two k < n and keep the
// sibling subtree's range. Only the first time the path turns left can the sibling be ragged; inside
// that left subtree everything is perfect, so the plan fetches at most 2·log2(n) nodes.
function inclusionRanges(index: number, size: number): LeafRange[] {
  const siblings: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const split = start + largestPowerOfTwoBelow(end - start);
    if (index < split) {
      siblings.push({ start: split, end });
      end = split;
    } else {
      siblings.push({ start, end: split });
      start = split;
    }
  }
  return siblings.reverse(); // PATH lists the deepest sibling first.
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b), unrolled for 0 < m < n, with m = oldSize - start measured in
// the current subtree [start, end). As for PATH, at most one element (the right sibling where the
// recursion first goes left) is ragged, so the plan fetches at most 2·log2(n) nodes.
function consistencyRanges(oldSize: number, newSize: number): LeafRange[] {
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = newSize;
  let haveOldRoot = true; // b: whether the old root is this subtree's root (so the verifier has it).
  while (end !== oldSize) {
    const split = start + largestPowerOfTwoBelow(end - start);
    if (oldSize <= split) {
      ranges.push({ start: split, end });
      end = split;
    } else {
      ranges.push({ start, end: split });
      start = split;
      haveOldRoot = false;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}: a subtree of the old tree the verifier cannot compute.
  if (!haveOldRoot) ranges.push({ start, end });
  return ranges.reverse();
}

// Each range becomes the perfect nodes that decompose it, fetched in one batch and folded back.
function planOfRanges<T>(ranges: readonly LeafRange[], finish: (hashes: Uint8Array[]) => T): Plan<T> {
  const groups = ranges.map(({ start, end }) => perfectNodes(start, end));
  const nodes = groups.flat();
  return {
    nodes,
    assemble(hashes) {
      assertFetched(hashes, nodes.length);
      let offset = 0;
      return finish(
        groups.map((group) => {
          const part = hashes.slice(offset, offset + group.length);
          offset += group.length;
          return foldRight(part);
        }),
      );
    },
  };
}

// An aligned range of width w is the perfect subtrees of the 1 bits of w, largest (leftmost) first;
// each is aligned to its own width because the range start is aligned to a power of two ≥ w.
function perfectNodes(start: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  let position = start;
  for (let level = MAX_LEVEL; level >= 0 && position < end; level--) {
    const width = 2 ** level;
    if (end - position >= width) {
      nodes.push({ level, index: position / width });
      position += width;
    }
  }
  return nodes;
}

// §2.1.1 MTH(D[n]) = HASH(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])) with k the largest power of two < n: the
// first perfect node is D[0:k] and the rest decompose D[k:n] the same way, hence the right fold.
function foldRight(hashes: readonly Uint8Array[]): Uint8Array {
  let acc = fetched(hashes, hashes.length - 1);
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(fetched(hashes, i), acc);
  return acc;
}

// ---- arithmetic on safe integers (no 32-bit bitwise operators)

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

// ---- validation of untrusted input

function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${what} must be a non-negative safe integer, got ${String(value)}`,
    );
  }
}

function assertOrdered(oldSize: number, newSize: number): void {
  if (oldSize > newSize) {
    throw new InputError('OUT_OF_RANGE', `old size ${oldSize} is larger than new size ${newSize}`, {
      details: { oldSize, newSize },
    });
  }
}

function assertHash(value: unknown, what: string, code: 'INVALID_DIGEST' | 'INVALID_PROOF'): void {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    const shown = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new InputError(code, `${what} must be a ${HASH_SIZE}-byte SHA-256 hash, got ${shown}`);
  }
}

// Proofs arrive from the network or from files: check the shape before hashing anything.
function assertProof(proof: unknown): void {
  if (!Array.isArray(proof)) throw new InputError('INVALID_PROOF', 'a proof must be an array of hashes');
  proof.forEach((hash: unknown, i) => assertHash(hash, `proof hash ${i}`, 'INVALID_PROOF'));
}

function assertFetched(hashes: readonly Uint8Array[], expected: number): void {
  if (hashes.length !== expected) {
    throw new InputError('INVALID_ARGUMENT', `the plan needs ${expected} node hashes, got ${hashes.length}`);
  }
  hashes.forEach((hash, i) => assertHash(hash, `node hash ${i}`, 'INVALID_DIGEST'));
}

// Indexing under noUncheckedIndexedAccess, where the length was already checked.
function fetched(hashes: readonly Uint8Array[], i: number): Uint8Array {
  const hash = hashes[i];
  if (hash === undefined) throw new Error(`unreachable: hash ${i} of ${hashes.length}`);
  return hash;
}

function proofFailed(message: string, details: Record<string, unknown>): VerificationError {
  return new VerificationError('PROOF_FAILED', message, { details });
}

function rootMismatch(
  which: 'old' | 'new',
  message: string,
  details: Record<string, unknown>,
): VerificationError {
  return new VerificationError('ROOT_MISMATCH', message, { details: { ...details, root: which } });
}
