import { parseArgs } from 'node:util';
import { z } from 'zod';

/** A command line that cannot be run: exit code 64 (EX_USAGE) with the usage text. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

// A consumer is one subject token of `<prefix>.dlq.<consumer>`: no dots, spaces or wildcards.
const consumerName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'a durable consumer name such as billing--GenerationRequested');
const count = (max: number) => z.coerce.number().int().min(1).max(max);

const commands = {
  'dlq:list': {
    usage: 'dlq:list [--consumer <durable>] [--limit <n>] [--json]',
    summary: 'parked messages with their consumer, event, reason and when they were parked',
    options: { consumer: 'string', limit: 'string', json: 'boolean' },
    positionals: [],
    schema: z.object({
      consumer: consumerName.optional(),
      limit: count(100_000).default(100),
      json: z.boolean().default(false),
    }),
  },
  'dlq:replay': {
    usage: 'dlq:replay (--event-id <uuid> | --all) [--consumer <durable>]',
    summary: 'publish parked events again on their original subject, then remove them from the dead letters',
    options: { consumer: 'string', 'event-id': 'string', all: 'boolean', json: 'boolean' },
    positionals: [],
    schema: z
      .object({
        consumer: consumerName.optional(),
        'event-id': z.uuid().optional(),
        all: z.boolean().default(false),
        json: z.boolean().default(false),
      })
      .refine((value) => value.all !== (value['event-id'] !== undefined), {
        message: 'name the messages: either --event-id <uuid> or --all (with --consumer to narrow it)',
      }),
  },
  'dlq:purge': {
    usage: 'dlq:purge [--consumer <durable>] --yes',
    summary: 'delete parked messages for good (all, or one consumer’s); without --yes only counts them',
    options: { consumer: 'string', yes: 'boolean', json: 'boolean' },
    positionals: [],
    schema: z.object({
      consumer: consumerName.optional(),
      yes: z.boolean().default(false),
      json: z.boolean().default(false),
    }),
  },
  'projections:rebuild': {
    usage: 'projections:rebuild <users|jobs|ledger|payments|all>',
    summary:
      'rebuild read models from the event store (the projector’s rebuild), safe beside a running projector',
    options: {},
    positionals: ['projection'],
    schema: z.object({ projection: z.string().regex(/^[a-z,]+$/, 'a projection name or all') }),
  },
  'events:tail': {
    usage: 'events:tail [--limit <n>] [--follow] [--json]',
    summary: 'the latest events of the whole log, oldest first; --follow keeps printing new ones',
    options: { limit: 'string', follow: 'boolean', json: 'boolean' },
    positionals: [],
    schema: z.object({
      limit: count(10_000).default(20),
      follow: z.boolean().default(false),
      json: z.boolean().default(false),
    }),
  },
  'stream:show': {
    usage: 'stream:show <streamId> [--json]',
    summary: 'every event of one stream (job-<id>, credits-<userId>, user-<userId>, payment-<chargeId>)',
    options: { json: 'boolean' },
    positionals: ['streamId'],
    schema: z.object({ streamId: z.string().min(1).max(200), json: z.boolean().default(false) }),
  },
  status: {
    usage: 'status [--json]',
    summary: 'relay and projection checkpoints against the log, consumers’ pending counts, dead-letter depth',
    options: { json: 'boolean' },
    positionals: [],
    schema: z.object({ json: z.boolean().default(false) }),
  },
} as const;

type Commands = typeof commands;
export type CommandName = keyof Commands;

/** A parsed command line: the command's name and its validated options. */
export type OpsCommand = {
  [Name in CommandName]: { name: Name; options: z.infer<Commands[Name]['schema']> };
}[CommandName];

/** The text `pnpm ops` prints for help and after a usage error. */
export function usage(): string {
  const lines = Object.values(commands).map((command) => `  ${command.usage}\n      ${command.summary}`);
  return [
    'usage: pnpm ops <command> [options]',
    '',
    ...lines,
    '',
    'Reads DATABASE_URL, NATS_URL and BUS_PREFIX like the services (docs/ops.md).',
  ].join('\n');
}

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

/**
 * Parses `argv` (without node and the script) into a command.
 * @returns undefined when help was asked for.
 * @throws UsageError naming what is wrong.
 */
export function parseCommand(argv: readonly string[]): OpsCommand | undefined {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return undefined;
  if (!isCommandName(name)) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  const spec = commands[name];
  const optionTypes = Object.fromEntries(
    Object.entries(spec.options).map(([option, type]) => [option, { type }]),
  ) as Record<string, { type: 'string' | 'boolean' }>;

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options: optionTypes, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`);
  }
  const expected: readonly string[] = spec.positionals;
  if (parsed.positionals.length !== expected.length) {
    throw new UsageError(`${name}: expected ${expected.length ? expected.join(' ') : 'no arguments'}`);
  }
  const input: Record<string, unknown> = { ...parsed.values };
  expected.forEach((key, index) => {
    input[key] = parsed.positionals[index];
  });
  const result = spec.schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.');
      if (!key) return issue.message;
      return `${expected.includes(key) ? `<${key}>` : `--${key}`}: ${issue.message}`;
    });
    throw new UsageError(`${name}: ${problems.join('; ')}`);
  }
  return { name, options: result.data } as OpsCommand;
}
