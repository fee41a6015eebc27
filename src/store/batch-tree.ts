// The tree update for a batch of appends, in one pass: which stored nodes to read (the frontier of the
// old size: one perfect subtree per 1 bit of it, RFC 9162 §2.1.1's decomposition), every node the batch
// completes (each leaf, then the nodes it completes, bottom-up: the order the PostgreSQL node trigger
// needs, each after its children), and the root of the new size for the batch's one checkpoint.
//
// Why the frontier suffices: appending the leaf at `i` completes the nodes at the trailing 1 bits of `i`,
// and their left children are the frontier nodes of size `i` at those levels (transparency-dev/merkle
// `compact.Range`). The frontier of each size inside the batch is made of the old size's frontier and
// nodes the batch itself completed, and so is the frontier of the new size, whose nodes are the root's.
// Pure: an adapter fetches `plan.nodes` and stores what `assemble` returns.
import { StoreError } from '../errors.js';
import { hashChildren, nodesCompletedByAppend, rootPlan, type NodeId, type Plan } from '../ledger/merkle.js';

export interface StoredNode {
  readonly node: NodeId;
  readonly hash: Uint8Array;
}

export interface BatchTreeUpdate {
  /** Every node to store, leaves included, each after its children. */
  readonly nodes: readonly StoredNode[];
  /** The root hash of the tree of `start + leafHashes.length` leaves. */
  readonly root: Uint8Array;
}

/** The perfect subtrees that make up a tree of `size` leaves, left to right. */
export function frontierOf(size: number): NodeId[] {
  const nodes: NodeId[] = [];
  let offset = 0;
  for (let level = Math.floor(Math.log2(Math.max(size, 1))) + 1; level >= 0; level--) {
    const width = 2 ** level;
    if (offset + width <= size) {
      nodes.push({ level, index: offset / width });
      offset += width;
    }
  }
  return nodes;
}

/**
 * A plan that appends `leafHashes` at indices `start`, `start + 1`, …: it reads the frontier of `start`.
 *
 * @example
 * ```ts
 * const plan = batchAppendPlan(size, sealed.map((e) => e.leafHash));
 * const { nodes, root } = plan.assemble(fetch(plan.nodes));
 * ```
 */
export function batchAppendPlan(start: number, leafHashes: readonly Uint8Array[]): Plan<BatchTreeUpdate> {
  const frontier = frontierOf(start);
  return {
    nodes: frontier,
    assemble(hashes) {
      if (hashes.length !== frontier.length) {
        throw new StoreError(
          'STORE_FAILURE',
          `the tree frontier has ${frontier.length} nodes, ${hashes.length} were read`,
        );
      }
      const known = new Map<string, Uint8Array>();
      const keyOf = (id: NodeId): string => `${id.level}/${id.index}`;
      const get = (id: NodeId): Uint8Array => {
        const hash = known.get(keyOf(id));
        if (!hash) {
          throw new StoreError(
            'STORE_FAILURE',
            `tree node (level ${id.level}, index ${id.index}) is unknown`,
          );
        }
        return hash;
      };
      frontier.forEach((id, i) => known.set(keyOf(id), hashes[i]!));
      const nodes: StoredNode[] = [];
      const store = (node: NodeId, hash: Uint8Array): void => {
        known.set(keyOf(node), hash);
        nodes.push({ node, hash });
      };
      leafHashes.forEach((leafHash, k) => {
        const index = start + k;
        store({ level: 0, index }, leafHash);
        for (const { node, left, right } of nodesCompletedByAppend(index)) {
          store(node, hashChildren(get(left), get(right)));
        }
      });
      const end = rootPlan(start + leafHashes.length);
      return { nodes, root: end.assemble(end.nodes.map(get)) };
    },
  };
}
