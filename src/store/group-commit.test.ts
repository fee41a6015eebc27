// Group commit: a batch takes everything queued since the last one started, up to the cap; each item
// settles with its own outcome; a failed commit rejects its whole batch and the queue goes on; nothing
// waits for a timer when the queue is idle.
import { describe, expect, it } from 'vitest';

import { createGroupCommit, createOpenAheadCommit, takeMerged, type Outcome } from './group-commit.js';

/** A commit that records its batches and waits for `release` before settling each. */
function recorder(settle: (items: readonly number[]) => readonly Outcome<string>[]) {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const commit = async (items: readonly number[]) => {
    batches.push([...items]);
    await new Promise<void>((resolve) => releases.push(resolve));
    return settle(items);
  };
  return { batches, releases, commit };
}

const ok = (items: readonly number[]) => items.map((n) => ({ ok: true as const, value: `#${n}` }));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('starts after one turn of the event loop when idle, and batches what arrives meanwhile and while a commit is in flight', async () => {
    const { batches, releases, commit } = recorder(ok);
    const group = createGroupCommit(commit);
    const first = group.submit(1);
    // Not on a microtask: what arrives before the next turn of the event loop joins the batch.
    await Promise.resolve();
    await Promise.resolve();
    expect(batches).toEqual([]);
    const early = group.submit(1.5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 1.5]]);
    const rest = [2, 3, 4].map((n) => group.submit(n));
    releases.shift()!();
    expect(await first).toBe('#1');
    expect(await early).toBe('#1.5');
    await tick();
    expect(batches).toEqual([
      [1, 1.5],
      [2, 3, 4],
    ]);
    releases.shift()!();
    expect(await Promise.all(rest)).toEqual(['#2', '#3', '#4']);
    await group.drained();
  });

  it('submissions in one synchronous stretch share the first batch; the cap splits the rest', async () => {
    const { batches, releases, commit } = recorder(ok);
    const group = createGroupCommit(commit, 3);
    const all = [1, 2, 3, 4, 5, 6, 7].map((n) => group.submit(n));
    for (let i = 0; i < 3; i++) {
      while (releases.length === 0) await tick();
      releases.shift()!();
    }
    expect(await Promise.all(all)).toEqual(['#1', '#2', '#3', '#4', '#5', '#6', '#7']);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('each item settles with its own outcome', async () => {
    const group = createGroupCommit(async (items: readonly number[]) =>
      items.map((n): Outcome<number> =>
        n % 2 ? { ok: true, value: n * 10 } : { ok: false, error: new Error(`bad ${n}`) },
      ),
    );
    const settled = await Promise.allSettled([1, 2, 3].map((n) => group.submit(n)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      10,
      'bad 2',
      30,
    ]);
  });

  it('a failed commit rejects every item of its batch, and the next batch still runs', async () => {
    let calls = 0;
    const group = createGroupCommit(async (items: readonly number[]) => {
      calls += 1;
      if (calls === 1) throw new Error('transaction failed');
      return ok(items);
    });
    const failed = await Promise.allSettled([1, 2].map((n) => group.submit(n)));
    expect(failed.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ message: 'transaction failed' });
    expect(await group.submit(3)).toBe('#3');
  });

  it('an outcome missing from the commit rejects with STORE_FAILURE rather than hanging', async () => {
    const group = createGroupCommit(async () => [] as Outcome<string>[]);
    await expect(group.submit(1)).rejects.toMatchObject({ code: 'STORE_FAILURE' });
  });

  it('refuses a cap that is not a positive integer', () => {
    expect(() => createGroupCommit(async () => [], 0)).toThrow(RangeError);
    expect(() => createGroupCommit(async () => [], 1.5)).toThrow(RangeError);
  });

  describe('pipelined', () => {
    it("hands each turn's appends over without waiting for the batch before to commit", async () => {
      const { batches, releases, commit } = recorder(ok);
      const group = createGroupCommit(commit, 256, { pipeline: true });
      const first = [1, 2].map((n) => group.submit(n));
      await tick();
      expect(batches).toEqual([[1, 2]]);
      // The first batch has not committed: a non-pipelined queue would hold these back.
      const second = group.submit(3);
      await tick();
      const third = [4, 5].map((n) => group.submit(n));
      await tick();
      expect(batches).toEqual([[1, 2], [3], [4, 5]]);
      let drained = false;
      const draining = group.drained().then(() => (drained = true));
      releases.shift()!();
      expect(await Promise.all(first)).toEqual(['#1', '#2']);
      releases.shift()!();
      expect(await second).toBe('#3');
      await tick();
      expect(drained).toBe(false);
      releases.shift()!();
      expect(await Promise.all(third)).toEqual(['#4', '#5']);
      await draining;
      expect(drained).toBe(true);
    });

    it('a failed batch rejects only its own items; the batches handed over after it still settle', async () => {
      let calls = 0;
      const group = createGroupCommit(
        async (items: readonly number[]) => {
          calls += 1;
          if (calls === 1) throw new Error('disk full');
          return ok(items);
        },
        256,
        { pipeline: true },
      );
      const failing = expect(group.submit(1)).rejects.toThrow('disk full');
      await tick();
      const next = group.submit(2);
      await failing;
      expect(await next).toBe('#2');
      await group.drained();
    });

    it('drained waits for a batch submitted while it was waiting', async () => {
      const { releases, commit } = recorder(ok);
      const group = createGroupCommit(commit, 256, { pipeline: true });
      const a = group.submit(1);
      await tick();
      let drained = false;
      const draining = group.drained().then(() => (drained = true));
      const b = group.submit(2);
      await tick();
      releases.shift()!();
      await a;
      await tick();
      expect(drained).toBe(false);
      releases.shift()!();
      await b;
      await draining;
      expect(drained).toBe(true);
    });
  });

  it('takeMerged takes the first batch whatever its size, then whole batches while they fit', () => {
    const b = (seq: number, n: number) => ({ seq, items: Array.from({ length: n }, () => seq) });
    const queue = [b(1, 300), b(2, 1), b(3, 2)];
    expect(takeMerged(queue, 256).map((x) => x.seq)).toEqual([1]);
    expect(takeMerged(queue, 256).map((x) => x.seq)).toEqual([2, 3]);
    expect(queue).toEqual([]);
    const full = [b(1, 100), b(2, 156), b(3, 1)];
    expect(takeMerged(full, 256).map((x) => x.seq)).toEqual([1, 2]);
    expect(full.map((x) => x.seq)).toEqual([3]);
    expect(takeMerged([], 256)).toEqual([]);
  });
});

/**
 * Open-ahead steps: each `open` waits for `grant(error?)` (the lock), each commit records its session and
 * items and waits for `release`.
 */
function openAhead() {
  const grants: ((error?: Error) => void)[] = [];
  const commits: { session: number; items: number[] }[] = [];
  const releases: (() => void)[] = [];
  let sessions = 0;
  const steps = {
    open: () =>
      new Promise<number>((resolve, reject) => {
        const session = ++sessions;
        grants.push((error) => (error ? reject(error) : resolve(session)));
      }),
    commit: async (session: number, items: readonly number[]) => {
      commits.push({ session, items: [...items] });
      await new Promise<void>((resolve) => releases.push(resolve));
      return ok(items);
    },
  };
  return { grants, commits, releases, steps, opened: () => sessions };
}

describe('open-ahead group commit', () => {
  it('takes its batch once the lock is held, and opens the next transaction while one commits', async () => {
    const { grants, commits, releases, steps, opened } = openAhead();
    const group = createOpenAheadCommit(steps);
    const first = group.submit(1);
    expect(opened()).toBe(1);
    // Queued while the transaction waits for the lock: taken by it, no second transaction opened.
    const more = [2, 3].map((n) => group.submit(n));
    expect(opened()).toBe(1);
    grants.shift()!();
    await tick();
    expect(commits).toEqual([{ session: 1, items: [1, 2, 3] }]);
    expect(opened()).toBe(1);
    // While batch 1 commits, the next append opens transaction 2, which takes the lock and its batch
    // before batch 1 has settled here.
    const later = [4, 5].map((n) => group.submit(n));
    expect(opened()).toBe(2);
    grants.shift()!();
    await tick();
    expect(commits).toEqual([
      { session: 1, items: [1, 2, 3] },
      { session: 2, items: [4, 5] },
    ]);
    releases.shift()!();
    releases.shift()!();
    expect(await Promise.all([first, ...more, ...later])).toEqual(['#1', '#2', '#3', '#4', '#5']);
    await group.drained();
    expect(opened()).toBe(2);
  });

  it('what is left over the cap opens the next transaction at once', async () => {
    const { grants, commits, releases, steps } = openAhead();
    const group = createOpenAheadCommit(steps, 2);
    const all = [1, 2, 3, 4, 5].map((n) => group.submit(n));
    for (let i = 0; i < 3; i++) {
      while (grants.length === 0) await tick();
      grants.shift()!();
      await tick();
    }
    expect(commits.map((c) => c.items)).toEqual([[1, 2], [3, 4], [5]]);
    for (const release of releases) release();
    expect(await Promise.all(all)).toEqual(['#1', '#2', '#3', '#4', '#5']);
  });

  it('an open that fails rejects the appends waiting for it (up to the cap); the rest open again', async () => {
    const { grants, commits, releases, steps } = openAhead();
    const group = createOpenAheadCommit(steps, 2);
    const failed = [1, 2].map((n) => expect(group.submit(n)).rejects.toThrow('lock timeout'));
    const third = group.submit(3);
    grants.shift()!(new Error('lock timeout'));
    await Promise.all(failed);
    expect(grants).toHaveLength(1);
    grants.shift()!();
    await tick();
    expect(commits).toEqual([{ session: 2, items: [3] }]);
    releases.shift()!();
    expect(await third).toBe('#3');
  });

  it('a failed commit rejects its own batch only; drained waits for the opening and the committing', async () => {
    const grants: (() => void)[] = [];
    const group = createOpenAheadCommit({
      open: () => new Promise<void>((resolve) => grants.push(resolve)),
      commit: async (_session, items: readonly number[]) => {
        if (items.includes(1)) throw new Error('disk full');
        await tick();
        return ok(items);
      },
    });
    const failing = expect(group.submit(1)).rejects.toThrow('disk full');
    grants.shift()!();
    await failing;
    const next = group.submit(2);
    let drained = false;
    const draining = group.drained().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    grants.shift()!();
    expect(await next).toBe('#2');
    await draining;
    expect(drained).toBe(true);
  });

  it('refuses a cap that is not a positive integer', () => {
    const steps = { open: async () => 0, commit: async () => [] };
    expect(() => createOpenAheadCommit(steps, 0)).toThrow(RangeError);
  });
});
