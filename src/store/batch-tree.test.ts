// The tree update for a batch: for every old size and batch length, the nodes stored and the root are
// exactly those of appending the leaves one at a time (MemoryTree), and only the frontier is read.
import { describe, expect, it } from 'vitest';

import { hashLeaf, MemoryTree, type NodeId } from '../ledger/merkle.js';
import { batchAppendPlan, frontierOf } from './batch-tree.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const leaf = (i: number): Uint8Array => hashLeaf(new TextEncoder().encode(`leaf ${i}`));

describe('batch tree update', () => {
  it('the frontier of a size is its binary decomposition, left to right', () => {
    expect(frontierOf(0)).toEqual([]);
    expect(frontierOf(1)).toEqual([{ level: 0, index: 0 }]);
    expect(frontierOf(6)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
    ]);
    expect(frontierOf(13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(frontierOf(2 ** 40)).toEqual([{ level: 40, index: 0 }]);
  });

  it('matches appending one leaf at a time, for every start below 48 and batches of 1 to 34', () => {
    const whole = new MemoryTree();
    for (let i = 0; i < 82; i++) whole.append(leaf(i));
    for (let start = 0; start < 48; start++) {
      for (let length = 1; length <= 34; length++) {
        const plan = batchAppendPlan(
          start,
          Array.from({ length }, (_, k) => leaf(start + k)),
        );
        expect(plan.nodes).toEqual(frontierOf(start));
        const { nodes, root } = plan.assemble(plan.nodes.map((id) => whole.node(id)));
        expect(hex(root)).toBe(hex(whole.root(start + length)));
        // Exactly the nodes completed by these appends, each once, each after its children.
        const expected: NodeId[] = [];
        for (let level = 0; 2 ** level <= start + length; level++) {
          const width = 2 ** level;
          for (let index = Math.floor(start / width); (index + 1) * width <= start + length; index++) {
            if ((index + 1) * width > start) expected.push({ level, index });
          }
        }
        const key = (id: NodeId) => `${id.level}/${id.index}`;
        expect(nodes.map((n) => key(n.node)).sort()).toEqual(expected.map(key).sort());
        const seen = new Set<string>();
        for (const { node, hash } of nodes) {
          expect(hex(hash)).toBe(hex(whole.node(node)));
          if (node.level > 0) {
            for (const child of [2 * node.index, 2 * node.index + 1]) {
              const id = { level: node.level - 1, index: child };
              if ((child + 1) * 2 ** id.level > start) expect(seen.has(key(id))).toBe(true);
            }
          }
          seen.add(key(node));
        }
      }
    }
  });

  it('refuses a frontier read of the wrong length', () => {
    const plan = batchAppendPlan(5, [leaf(5)]);
    expect(() => plan.assemble([])).toThrow(expect.objectContaining({ code: 'STORE_FAILURE' }));
  });
});
