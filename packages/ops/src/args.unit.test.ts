import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError, usage } from './args.js';
import { loadOpsConfig } from './config.js';

describe('parseCommand', () => {
  it('reads each command with its defaults', () => {
    expect(parseCommand(['dlq:list'])).toEqual({
      name: 'dlq:list',
      options: { limit: 100, json: false },
    });
    expect(parseCommand(['events:tail', '--follow', '--limit', '5'])).toEqual({
      name: 'events:tail',
      options: { limit: 5, follow: true, json: false },
    });
    expect(parseCommand(['stream:show', 'job-42', '--json'])).toEqual({
      name: 'stream:show',
      options: { streamId: 'job-42', json: true },
    });
    expect(parseCommand(['projections:rebuild', 'all'])).toEqual({
      name: 'projections:rebuild',
      options: { projection: 'all' },
    });
    expect(parseCommand(['status'])).toEqual({ name: 'status', options: { json: false } });
  });

  it('takes a consumer and a limit for dlq:list, and refuses a consumer that is not one subject token', () => {
    expect(parseCommand(['dlq:list', '--consumer', 'billing--GenerationRequested', '--limit=3'])).toEqual({
      name: 'dlq:list',
      options: { consumer: 'billing--GenerationRequested', limit: 3, json: false },
    });
    expect(() => parseCommand(['dlq:list', '--consumer', 'nc.dlq.>'])).toThrow(/--consumer/);
    expect(() => parseCommand(['dlq:list', '--limit', '0'])).toThrow(/--limit/);
    expect(() => parseCommand(['dlq:list', '--limit', 'many'])).toThrow(/--limit/);
  });

  it('makes dlq:replay name its messages: one event id, or --all', () => {
    const eventId = '0190d6b4-7c1e-7a3b-9c2d-1e2f3a4b5c6d';
    expect(parseCommand(['dlq:replay', '--event-id', eventId])).toMatchObject({
      name: 'dlq:replay',
      options: { 'event-id': eventId, all: false },
    });
    expect(parseCommand(['dlq:replay', '--all', '--consumer', 'delivery--VideoReady'])).toMatchObject({
      options: { all: true, consumer: 'delivery--VideoReady' },
    });
    expect(() => parseCommand(['dlq:replay'])).toThrow(/--event-id <uuid> or --all/);
    expect(() => parseCommand(['dlq:replay', '--all', '--event-id', eventId])).toThrow(/either/);
    expect(() => parseCommand(['dlq:replay', '--event-id', 'not-a-uuid'])).toThrow(/--event-id/);
  });

  it('purges only with --yes, and says so otherwise', () => {
    expect(parseCommand(['dlq:purge'])).toMatchObject({ options: { yes: false } });
    expect(parseCommand(['dlq:purge', '--yes', '--consumer', 'x--Y'])).toMatchObject({
      options: { yes: true, consumer: 'x--Y' },
    });
  });

  it('refuses unknown commands, unknown options, missing and extra arguments', () => {
    expect(() => parseCommand(['dlq:lsit'])).toThrow(UsageError);
    expect(() => parseCommand(['status', '--verbose'])).toThrow(/status: .*verbose/);
    expect(() => parseCommand(['stream:show'])).toThrow(/expected streamId/);
    expect(() => parseCommand(['projections:rebuild', 'users', 'jobs'])).toThrow(/expected projection/);
    expect(() => parseCommand(['status', 'now'])).toThrow(/expected no arguments/);
    expect(() => parseCommand(['projections:rebuild', 'Users!'])).toThrow(/<projection>/);
  });

  it('answers help with no command, and the usage names every command', () => {
    expect(parseCommand([])).toBeUndefined();
    expect(parseCommand(['--help'])).toBeUndefined();
    for (const name of [
      'dlq:list',
      'dlq:replay',
      'dlq:purge',
      'projections:rebuild',
      'events:tail',
      'stream:show',
      'status',
    ]) {
      expect(usage()).toContain(name);
    }
  });
});

describe('loadOpsConfig', () => {
  it('uses the services’ names and defaults, and names a bad variable', () => {
    expect(loadOpsConfig({})).toEqual({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/neurocards',
      NATS_URL: 'nats://127.0.0.1:4222',
      BUS_PREFIX: 'nc',
    });
    expect(() => loadOpsConfig({ DATABASE_URL: 'mysql://db/x', BUS_PREFIX: 'NC' })).toThrow(
      /DATABASE_URL[\s\S]*BUS_PREFIX|BUS_PREFIX[\s\S]*DATABASE_URL/,
    );
  });
});
