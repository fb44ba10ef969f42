import type pg from 'pg';
import { simpleQueries } from './postgres.js';

/**
 * How a batch runs. `together` runs every item of it in one go (one statement, one transaction): all of it
 * happens or none, and it returns one value per item, in order. When it throws, or when the batch holds one
 * item, `alone` runs each item by itself, so each caller meets only its own outcome.
 */
export interface BatchRunner<I, O> {
  together(items: I[]): Promise<O[]>;
  alone(item: I): Promise<O>;
}

export interface BatchesOptions<I> {
  /** Items in one batch at most. */
  maxBatch: number;
  /** Batches running at once. */
  maxInFlight: number;
  /**
   * Items with the same key never run at once, in one batch or in two: the second waits for the first
   * (and keeps its place ahead of later items of that key). Items without a key are never held back.
   */
  keyOf?: (item: I) => string | undefined;
  /** Told the size of every batch as it starts (a metric). */
  onBatch?: (size: number) => void;
}

interface Waiting<I, O> {
  item: I;
  key: string | undefined;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Natural batching: an item that finds a free batch slot runs at once, alone, and items that come while the
 * slots are busy wait and go together in the next batch. An idle service pays no delay, and a busy one
 * makes one round trip for many items instead of one each, with batches as large as the load. A batch
 * that fails has undone itself (see `BatchRunner`), and its items run again one by one: an item that
 * cannot be done fails only its own caller.
 */
export class Batches<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private readonly busyKeys = new Set<string>();
  private inFlight = 0;

  constructor(
    private readonly runner: BatchRunner<I, O>,
    private readonly options: BatchesOptions<I>,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, key: this.options.keyOf?.(item), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      this.options.onBatch?.(batch.length);
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        for (const { key } of batch) if (key !== undefined) this.busyKeys.delete(key);
        this.pump();
      });
    }
  }

  /** The next batch: waiting items in order, skipping those whose key is running or taken already. */
  private takeBatch(): Waiting<I, O>[] {
    const batch: Waiting<I, O>[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < this.waiting.length && batch.length < this.options.maxBatch; ) {
      const entry = this.waiting[i] as Waiting<I, O>;
      const { key } = entry;
      if (key !== undefined) {
        // Seen once, a key is closed for the rest of this batch: a later item must not overtake an earlier.
        const held = this.busyKeys.has(key) || seen.has(key);
        seen.add(key);
        if (held) {
          i++;
          continue;
        }
        this.busyKeys.add(key);
      }
      batch.push(entry);
      this.waiting.splice(i, 1);
    }
    return batch;
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const values = await this.runner.together(batch.map((entry) => entry.item));
        if (values.length !== batch.length)
          throw new Error(`a batch of ${batch.length} gave ${values.length} values`);
        for (const [i, entry] of batch.entries()) entry.resolve(values[i] as O);
        return;
      } catch {
        // Undone whole: each item runs again alone, below, and meets its own error if it has one.
      }
    }
    await Promise.all(
      batch.map(async (entry) => {
        try {
          entry.resolve(await this.runner.alone(entry.item));
        } catch (error) {
          entry.reject(error);
        }
      }),
    );
  }
}

/**
 * One statement for many rows: `write` gets every row added while earlier writes were running (natural
 * batching) and must be idempotent per row. When a batch fails, each of its rows is written again alone,
 * so a row that cannot be written fails only its own caller. Returns the function that adds one row and
 * resolves once it is written.
 */
export function writeInBatches<R>(
  write: (rows: readonly R[]) => Promise<unknown>,
  options: { maxBatch?: number; maxInFlight?: number } = {},
): (row: R) => Promise<void> {
  const batches = new Batches<R, void>(
    {
      together: async (rows) => {
        await write(rows);
        return rows.map(() => undefined);
      },
      alone: async (row) => {
        await write([row]);
      },
    },
    // One batch at a time: two would insert rows of overlapping keys in different orders and could deadlock.
    { maxBatch: options.maxBatch ?? 100, maxInFlight: options.maxInFlight ?? 1 },
  );
  return (row) => batches.add(row);
}

/**
 * Round trips shared by concurrent callers. `run(statements)` is what one simple query of `statements`
 * would be: they commit together or not at all, and one result comes back per statement. Calls made while
 * others are on their way go to PostgreSQL together, as one simple query and one transaction (natural
 * batching): a service with many jobs in flight makes one round trip where it made one each. When a batch
 * fails (one caller's statement failed, or the database is away) each call runs again alone, so every
 * caller sees its own outcome, exactly as without batching. Statements are plain SQL with their values
 * quoted (`pg.escapeLiteral`), one statement per string.
 */
export class StatementBatches {
  private readonly batches: Batches<readonly string[], pg.QueryResult[]>;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    options: { maxBatch?: number; maxInFlight?: number; onBatch?: (size: number) => void } = {},
  ) {
    const alone = (statements: readonly string[]) => simpleQueries(this.pool, statements.join(';\n'));
    this.batches = new Batches(
      { together: (calls) => this.together(calls), alone },
      {
        maxBatch: options.maxBatch ?? 64,
        maxInFlight: options.maxInFlight ?? 1,
        onBatch: options.onBatch,
      },
    );
  }

  run(statements: readonly string[]): Promise<pg.QueryResult[]> {
    if (statements.length === 0) return Promise.resolve([]);
    return this.batches.add(statements);
  }

  private async together(calls: (readonly string[])[]): Promise<pg.QueryResult[][]> {
    const statements = calls.flat();
    const results = await simpleQueries(this.pool, statements.join(';\n'));
    if (results.length !== statements.length)
      throw new Error(`${statements.length} statements gave ${results.length} results`);
    let at = 0;
    return calls.map((call) => {
      at += call.length;
      return results.slice(at - call.length, at);
    });
  }
}
