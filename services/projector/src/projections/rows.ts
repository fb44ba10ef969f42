import type { PoolClient } from 'pg';
import { isNewFor, type ProjectedEvent, type Watermarked, watermark } from '../domain/position.js';

export type Queryable = Pick<PoolClient, 'query'>;

/**
 * Loads the rows of `table` whose `keyColumn` is among `keys`, as plain JSON objects keyed by the key's
 * string form; `timestampColumns` come back in the form of event times. One round trip for any number of keys.
 */
export async function loadRows<Row>(
  db: Queryable,
  table: string,
  keyColumn: string,
  keyType: 'bigint' | 'uuid' | 'text',
  keys: readonly string[],
  timestampColumns: readonly string[] = [],
): Promise<Map<string, Row>> {
  const rows = new Map<string, Row>();
  if (keys.length === 0) return rows;
  const result = await db.query<{ row: string }>(
    `SELECT row_to_json(t)::text AS row FROM ${table} t WHERE ${keyColumn} = ANY($1::${keyType}[])`,
    [keys],
  );
  for (const { row } of result.rows) {
    const parsed = JSON.parse(row) as Record<string, unknown>;
    // PostgreSQL writes `…+00:00` with as many fraction digits as needed; events carry toISOString's form.
    for (const column of timestampColumns) {
      const value = parsed[column];
      if (typeof value === 'string') parsed[column] = new Date(value).toISOString();
    }
    rows.set(String(parsed[keyColumn]), parsed as Row);
  }
  return rows;
}

/**
 * Writes many rows in one statement: the rows travel as one JSON array and PostgreSQL maps its keys to the
 * columns. `replace` overwrites a row with the same key; `ignore` keeps the stored one.
 */
export async function writeRows<Row>(
  db: Queryable,
  table: string,
  keyColumns: readonly string[],
  columns: readonly string[],
  rows: readonly Row[],
  onConflict: 'replace' | 'ignore',
): Promise<void> {
  if (rows.length === 0) return;
  const list = columns.join(', ');
  const update = columns.filter((column) => !keyColumns.includes(column));
  const conflict =
    onConflict === 'ignore'
      ? 'DO NOTHING'
      : `DO UPDATE SET (${update.join(', ')}) = ROW(${update.map((c) => `excluded.${c}`).join(', ')})`;
  await db.query(
    `INSERT INTO ${table} (${list})
     SELECT ${list} FROM json_populate_recordset(null::${table}, $1::json)
     ON CONFLICT (${keyColumns.join(', ')}) ${conflict}`,
    [JSON.stringify(rows)],
  );
}

export interface KeyedFold<Row extends Watermarked> {
  /** The rows (by key) an event concerns. */
  keysOf(event: ProjectedEvent['event']): readonly string[];
  /** The row after the event; the same object (or undefined) when the event changes nothing. */
  evolve(row: Row | undefined, event: ProjectedEvent['event'], key: string): Row | undefined;
  /** Called after each change, for rows a projection derives beside the main one. */
  changed?(key: string, before: Row | undefined, after: Row, event: ProjectedEvent['event']): void;
}

/** The keys a batch concerns, each once. */
export function keysOfBatch<Row extends Watermarked>(
  batch: readonly ProjectedEvent[],
  fold: KeyedFold<Row>,
): string[] {
  return [...new Set(batch.flatMap(({ event }) => fold.keysOf(event)))];
}

/**
 * Folds a batch over loaded rows in memory. An event at or before a row's watermark is skipped, so a batch
 * applied twice changes nothing. Returns the keys of the rows that changed.
 */
export function foldBatch<Row extends Watermarked>(
  batch: readonly ProjectedEvent[],
  rows: Map<string, Row>,
  fold: KeyedFold<Row>,
): Set<string> {
  const changed = new Set<string>();
  for (const { event, position } of batch) {
    for (const key of fold.keysOf(event)) {
      const before = rows.get(key);
      if (!isNewFor(before, position)) continue;
      const after = fold.evolve(before, event, key);
      if (!after || after === before) continue;
      Object.assign(after, watermark(position));
      rows.set(key, after);
      changed.add(key);
      fold.changed?.(key, before, after, event);
    }
  }
  return changed;
}

/** The rows of `keys`, in order; every key must be in `rows`. */
export function rowsOf<Row>(rows: Map<string, Row>, keys: Iterable<string>): Row[] {
  return [...keys].map((key) => rows.get(key) as Row);
}

/** A read-model table with one row per key, as a keyed projection writes it. */
export interface KeyedTable<Row> {
  /** The table's name without its schema. */
  table: string;
  key: string;
  keyType: 'bigint' | 'uuid' | 'text';
  columns: readonly string[];
  timestamps?: readonly string[];
  /** Applied to each changed row just before it is written (derived columns). */
  finish?(row: Row): Row;
}

/** Loads the rows a batch concerns (one query), folds the batch over them and writes the changed ones (one). */
export async function foldIntoTable<Row extends Watermarked>(
  db: Queryable,
  schema: string,
  batch: readonly ProjectedEvent[],
  table: KeyedTable<Row>,
  fold: KeyedFold<Row>,
): Promise<void> {
  const name = `${schema}.${table.table}`;
  const keys = keysOfBatch(batch, fold);
  const rows = await loadRows<Row>(db, name, table.key, table.keyType, keys, table.timestamps);
  const changed = rowsOf(rows, foldBatch(batch, rows, fold));
  await writeRows(
    db,
    name,
    [table.key],
    table.columns,
    table.finish ? changed.map(table.finish) : changed,
    'replace',
  );
}
