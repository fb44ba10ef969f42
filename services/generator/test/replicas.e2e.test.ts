import { type DomainEvent, streamIds } from '@neurocards/contracts';
import { FakeKie, FakeTelegram, fixturePaths, kieContentPolicyMessages } from '@neurocards/fake-providers';
import { EventStore } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcess, startService, stopProcess } from '../../../test/support/system.js';
import { orderVideo, richSeller, terminal } from './jobs.js';

// Three generator replicas against a KIE.AI that takes seconds per task and fails some; one replica is
// killed with SIGKILL in the middle of the run.

const JOBS = 30;
const seller = 4_300_001;
let db: TestDatabase;
let bus: TestBus;
let store: EventStore;
let telegram: FakeTelegram;
let kie: FakeKie;
let billing: RunningProcess;
const generators: RunningProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('generator_replicas', 20);
  bus = await createTestBus('genrep');
  store = new EventStore(db.pool);
  telegram = await FakeTelegram.start();
  kie = await FakeKie.start({
    apiKeys: ['kie-replica-key-1'],
    taskDurationMs: 2500,
    randomFailures: {
      seed: 11,
      taskFailureRate: 0.2,
      failCode: '400',
      failMsg: kieContentPolicyMessages.photorealisticPeople,
    },
  });
  const common = { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix, LOG_LEVEL: 'info' };
  billing = await startService('billing', common, 'replicas-billing');
  for (const n of [1, 2, 3]) {
    generators.push(
      await startService(
        'generator',
        {
          ...common,
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.url,
          KIE_API_KEYS: 'kie-replica-key-1',
          KIE_BASE_URL: kie.url,
          KIE_UPLOAD_BASE_URL: kie.url,
          KIE_POLL_INTERVAL: '300ms',
          KIE_POLL_MAX_INTERVAL: '1s',
          GENERATOR_CONCURRENCY: '4',
          GENERATOR_LEASE: '3s',
        },
        `replicas-generator-${n}`,
      ),
    );
  }
  await richSeller(store, seller);
});

afterAll(async () => {
  for (const running of [...generators, billing]) if (running) await stopProcess(running);
  await Promise.all([telegram?.close(), kie?.close()]);
  await bus?.destroy();
  await db?.drop();
});

async function stepsOf(replica: RunningProcess): Promise<number> {
  const metrics = await (await fetch(`${replica.url}/metrics`)).text();
  return [...metrics.matchAll(/^nc_generator_steps_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

const count = async (type: string) =>
  (await db.pool.query('SELECT count(*)::int AS n FROM es.events WHERE type = $1', [type])).rows[0]
    .n as number;

describe('generator replicas', () => {
  it('spread the work, survive a SIGKILL mid-run, and end every job exactly once', async () => {
    const photo = telegram.registerFile({ path: fixturePaths.productPhoto });
    const jobIds = await Promise.all(
      Array.from({ length: JOBS }, (_, i) => orderVideo(store, seller, photo, `Product ${i}`)),
    );

    await waitFor(
      'a third of the jobs submitted',
      async () => (await count('GenerationSubmitted')) >= JOBS / 3,
      { timeoutMs: 120_000 },
    );
    const [victim, ...survivors] = generators as [RunningProcess, ...RunningProcess[]];
    const victimSteps = await stepsOf(victim);
    const { rows: held } = await db.pool.query<{ job_id: string }>(
      `SELECT job_id FROM generator.jobs WHERE lease_owner LIKE $1`,
      [`%-${victim.child.pid}-%`],
    );
    victim.child.kill('SIGKILL');

    const histories = await waitFor(
      'every job to end',
      async () => {
        const all = await Promise.all(jobIds.map((jobId) => store.readStream(streamIds.job(jobId))));
        return all.every((events) => terminal(events).length > 0) ? all : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 250 },
    ).catch(async (error: unknown) => {
      // Say where the unfinished jobs stand, so a failure on a loaded machine explains itself.
      const { rows } = await db.pool.query(
        `SELECT j.job_id, j.done, j.next_run_at, j.lease_owner, j.lease_until, j.polls,
                (SELECT string_agg(type, ',' ORDER BY stream_version) FROM es.events WHERE stream_id = 'job-' || j.job_id) AS events
         FROM generator.jobs j WHERE NOT j.done`,
      );
      const scheduled = (await db.pool.query('SELECT count(*)::int AS n FROM generator.jobs')).rows[0].n;
      throw new Error(
        `${(error as Error).message}; ${scheduled}/${JOBS} scheduled; unfinished: ${JSON.stringify(rows, null, 1)}`,
      );
    });

    // Work was spread: the killed replica and both survivors ran steps.
    expect(victimSteps).toBeGreaterThan(0);
    for (const replica of survivors) expect(await stepsOf(replica)).toBeGreaterThan(0);
    // The jobs the killed replica held were carried on by the others.
    for (const { job_id } of held) {
      expect(terminal(histories[jobIds.indexOf(job_id)] as DomainEvent[])).toHaveLength(1);
    }

    for (const events of histories) {
      expect(terminal(events)).toHaveLength(1);
      // A created task is polled to its end and never created again: no submission follows a submission.
      const generation = events.filter((e) =>
        ['GenerationSubmitted', 'GenerationAttemptFailed', 'VideoReady'].includes(e.type),
      );
      generation.forEach((event, i) => {
        if (event.type === 'GenerationSubmitted')
          expect(generation[i + 1]?.type).not.toBe('GenerationSubmitted');
      });
    }
    // Every task KIE created is on a job stream; a kill between createTask's answer and the append could
    // leave one unrecorded task at most (there is no way to ask KIE for it).
    const recorded = new Set(
      histories.flat().flatMap((e) => (e.type === 'GenerationSubmitted' ? [e.data.taskId] : [])),
    );
    const orphans = kie.createdTasks.filter((task) => !recorded.has(task.taskId));
    expect(orphans.length).toBeLessThanOrEqual(1);

    // Every failed job was refunded exactly once, and nothing else was.
    const failed = histories.filter((events) => terminal(events)[0]?.type === 'GenerationFailed').length;
    expect(failed).toBeGreaterThan(0); // the fake fails about one task in five
    await waitFor('the refunds', async () => (await count('CreditRefunded')) === failed, {
      timeoutMs: 30_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await count('CreditRefunded')).toBe(failed);
    expect(await count('VideoReady')).toBe(JOBS - failed);
  });
});
