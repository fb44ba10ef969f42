#!/usr/bin/env node
// `pnpm ops <command>`: the runbook's tasks against a running system (docs/ops.md).
import { ConfigError } from '@neurocards/runtime/shell';
import { parseCommand, UsageError, usage } from './args.js';
import { runCommand } from './commands.js';
import { loadOpsConfig } from './config.js';

async function main(argv: string[]): Promise<number> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${usage()}`);
    return 64; // EX_USAGE
  }
  if (!command) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  let config: ReturnType<typeof loadOpsConfig>;
  try {
    config = loadOpsConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`ops: ${error.message}`);
    return 78; // EX_CONFIG
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  return runCommand(command, config, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => console.error(line),
    signal: stop.signal,
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`ops: ${error instanceof Error ? error.message : String(error)}`);
    // undefined_table: the database is reachable but holds no event store.
    if ((error as { code?: unknown }).code === '42P01') {
      console.error('ops: is DATABASE_URL the database the services use? It has no event store (schema es).');
    }
    process.exitCode = 1;
  },
);
