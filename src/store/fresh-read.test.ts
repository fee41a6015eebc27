// coalesceReads: concurrent callers share reads, and no caller gets a read sent before it called.
import { describe, expect, it } from 'vitest';

import { coalesceReads } from './fresh-read.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A store whose reads wait until the test settles them, in order. */
function heldStore() {
  const reads: { key: string; answer: Deferred<string> }[] = [];
  const read = (key: string): Promise<string> => {
    const answer = deferred<string>();
    reads.push({ key, answer });
    return answer.promise;
  };
  return { reads, read };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('coalesceReads', () => {
  it('callers that arrive together share one read', async () => {
    const store = heldStore();
    const find = coalesceReads(store.read);
    const answers = Promise.all(Array.from({ length: 50 }, () => find('t')));
    await turn();
    expect(store.reads).toHaveLength(1);
    store.reads[0]!.answer.resolve('live');
    expect(await answers).toEqual(Array.from({ length: 50 }, () => 'live'));
  });

  it('a caller never gets the answer of a read sent before it called: it waits for the next read', async () => {
    const store = heldStore();
    const find = coalesceReads(store.read);
    const early = find('t');
    await turn();
    expect(store.reads).toHaveLength(1);
    // The token is revoked now; the read in flight was sent before.
    const late = [find('t'), find('t'), find('t')];
    await turn();
    expect(store.reads).toHaveLength(1); // the next read waits for the one in flight
    store.reads[0]!.answer.resolve('live');
    expect(await early).toBe('live');
    await turn();
    expect(store.reads).toHaveLength(2); // one read for the three late callers
    store.reads[1]!.answer.resolve('revoked');
    expect(await Promise.all(late)).toEqual(['revoked', 'revoked', 'revoked']);
  });

  it('keys are read apart', async () => {
    const store = heldStore();
    const find = coalesceReads(store.read);
    const a = find('a');
    const b = find('b');
    await turn();
    expect(store.reads.map((r) => r.key)).toEqual(['a', 'b']);
    store.reads[1]!.answer.resolve('B');
    store.reads[0]!.answer.resolve('A');
    expect([await a, await b]).toEqual(['A', 'B']);
  });

  it('a failed read fails its own callers only; the next call reads again', async () => {
    const store = heldStore();
    const find = coalesceReads(store.read);
    const failing = [find('t'), find('t')];
    await turn();
    const after = find('t');
    store.reads[0]!.answer.reject(new Error('connection lost'));
    for (const p of failing) await expect(p).rejects.toThrow('connection lost');
    await turn();
    expect(store.reads).toHaveLength(2);
    store.reads[1]!.answer.resolve('live');
    expect(await after).toBe('live');
  });

  it('an idle key reads afresh: nothing is kept once its reads settle', async () => {
    let reads = 0;
    const find = coalesceReads(async (key: string) => `${key}:${++reads}`);
    expect(await find('t')).toBe('t:1');
    expect(await find('t')).toBe('t:2');
    expect(await find('t')).toBe('t:3');
  });

  it("with a key function, calls with one key share a read made with the first caller's arguments", async () => {
    const seen: number[] = [];
    const find = coalesceReads(
      async (args: { key: string; n: number }) => {
        seen.push(args.n);
        return `${args.key}:${args.n}`;
      },
      (args) => args.key,
    );
    const answers = await Promise.all([
      find({ key: 'a', n: 1 }),
      find({ key: 'a', n: 2 }),
      find({ key: 'b', n: 3 }),
    ]);
    expect(answers).toEqual(['a:1', 'a:1', 'b:3']);
    expect(seen).toEqual([1, 3]);
  });
});
