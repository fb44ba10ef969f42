import { describe, expect, it } from 'vitest';
import { Batches, type BatchRunner, writeInBatches } from './batches.js';

/** A runner that records its batches (one item alone is a batch of one) and finishes each only when told to. */
function gatedRunner<I>() {
  const batches: I[][] = [];
  const gates: Array<() => void> = [];
  const held = async (items: I[]) => {
    batches.push(items);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((item) => `done ${String(item)}`);
  };
  const runner: BatchRunner<I, string> = {
    together: held,
    alone: async (item) => (await held([item]))[0] as string,
  };
  const openNext = async () => {
    for (let tries = 0; gates.length === 0 && tries < 100; tries++) await Promise.resolve();
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, runner, openNext };
}

describe('Batches', () => {
  it('runs an item at once when a slot is free, and gathers those that come while the slots are busy', async () => {
    const { batches, runner, openNext } = gatedRunner<number>();
    const sizes: number[] = [];
    const queue = new Batches(runner, { maxBatch: 10, maxInFlight: 1, onBatch: (size) => sizes.push(size) });
    const results = [1, 2, 3, 4].map((n) => queue.add(n));
    expect(batches).toEqual([[1]]);
    await openNext();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    await openNext();
    expect(await Promise.all(results)).toEqual(['done 1', 'done 2', 'done 3', 'done 4']);
    expect(sizes).toEqual([1, 3]);
  });

  it('keeps batches within maxBatch and runs maxInFlight of them at once', async () => {
    const { batches, runner, openNext } = gatedRunner<number>();
    const queue = new Batches(runner, { maxBatch: 2, maxInFlight: 2 });
    const results = [1, 2, 3, 4, 5, 6].map((n) => queue.add(n));
    expect(batches).toEqual([[1], [2]]);
    await openNext();
    expect(batches).toEqual([[1], [2], [3, 4]]);
    for (let i = 0; i < 3; i++) await openNext();
    expect(batches.at(-1)).toEqual([5, 6]);
    expect(await Promise.all(results)).toHaveLength(6);
  });

  it('never runs two items of one key at once, and keeps their order', async () => {
    const { batches, runner, openNext } = gatedRunner<string>();
    const queue = new Batches(runner, { maxBatch: 10, maxInFlight: 2, keyOf: (item) => item.split(':')[0] });
    const results = ['a:1', 'a:2', 'b:1', 'a:3', 'c:1'].map((item) => queue.add(item));
    // a:1 and b:1 each find a free slot; a:2 waits for a:1, and a:3 must not overtake a:2.
    expect(batches).toEqual([['a:1'], ['b:1']]);
    await openNext(); // a:1 done
    expect(batches.at(-1)).toEqual(['a:2', 'c:1']);
    await openNext(); // b:1 done: a:3 still waits, as a:2 runs
    expect(batches).toHaveLength(3);
    await openNext(); // a:2 done
    expect(batches.at(-1)).toEqual(['a:3']);
    await openNext();
    expect(await Promise.all(results)).toHaveLength(5);
  });

  it('runs the items of a failed batch again alone, so each caller meets only its own outcome', async () => {
    const alone: number[] = [];
    const queue = new Batches<number, number>(
      {
        together: async () => {
          throw new Error('the batch failed');
        },
        alone: async (n) => {
          alone.push(n);
          if (n % 2 === 1) throw new Error(`odd ${n}`);
          return n * 10;
        },
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map((n) => queue.add(n)));

    expect(outcomes).toEqual([
      { status: 'rejected', reason: new Error('odd 1') },
      { status: 'fulfilled', value: 20 },
      { status: 'rejected', reason: new Error('odd 3') },
      { status: 'fulfilled', value: 40 },
    ]);
    // 1 went alone at once; 2, 3 and 4 failed together, then went one by one.
    expect(alone).toEqual([1, 2, 3, 4]);
  });

  it('treats a batch that returns the wrong number of values as failed', async () => {
    const queue = new Batches<number, number>(
      { together: async () => [0], alone: async (n) => n },
      { maxBatch: 10, maxInFlight: 1 },
    );
    expect(await Promise.all([1, 2, 3].map((n) => queue.add(n)))).toEqual([1, 2, 3]);
  });

  it('rejects an item whose runner throws before returning a promise, and goes on with the next', async () => {
    const queue = new Batches<number, number>(
      {
        together: async (items) => items,
        alone: (n) => {
          if (n === 1) throw new Error('thrown at once');
          return Promise.resolve(n);
        },
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    await expect(queue.add(1)).rejects.toThrow('thrown at once');
    expect(await queue.add(2)).toBe(2);
  });
});

describe('writeInBatches', () => {
  it('writes rows that come together in one call', async () => {
    const calls: number[][] = [];
    const write = writeInBatches<number>(
      async (rows) => {
        calls.push([...rows]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
      { maxInFlight: 1 },
    );
    await Promise.all([1, 2, 3, 4].map(write));
    expect(calls).toEqual([[1], [2, 3, 4]]);
  });

  it('writes the rows of a failed batch again one by one, so only the bad row fails', async () => {
    const calls: number[][] = [];
    const write = writeInBatches<number>(
      async (rows) => {
        calls.push([...rows]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (rows.includes(3)) throw new Error('row 3 is bad');
      },
      { maxInFlight: 1 },
    );
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(write));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });
});
