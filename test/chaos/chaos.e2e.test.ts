import { randomInt } from 'node:crypto';
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  type AnyNewEvent,
  type BusNames,
  busNames,
  type DomainEvent,
  newEvent,
  streamIds,
} from '@neurocards/contracts';
import {
  FakeKie,
  FakeOpenAI,
  FakeTelegram,
  fixturePaths,
  kieContentPolicyMessages,
  kieFaults,
  openaiFaults,
  seededRandom,
  telegramFaults,
} from '@neurocards/fake-providers';
import { connectNats, type NatsConnection } from '@neurocards/runtime/bus';
import { createPool, EventStore, inTransaction } from '@neurocards/runtime/event-store';
import { orderRequests, waitFor } from '@neurocards/runtime/testing';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeadLetters } from '../../packages/ops/src/dead-letters.js';
import { OwnNats, OwnPostgres } from '../support/own-infra.js';
import { type Instance, Supervisor } from '../support/supervisor.js';
import {
  balanceMismatches,
  checkCredits,
  type Outcome,
  outcomeOf,
  readStreams,
  settledJobs,
  statusMismatches,
} from './checks.js';

// The chaos suite. At least CHAOS_JOBS jobs run through all five services (two generator, two billing and two
// delivery replicas, every process a relay candidate) on a PostgreSQL and a NATS server of this test's own,
// while the fakes fail calls at random (temporary, user violation, rate limit, delivery errors), random
// processes are SIGKILLed (the relay leader and a generator replica among them), NATS and PostgreSQL crash
// and come back, and events on the bus are published again, while they are handled and later in newest-first
// bursts. Sellers also pay for credits now and then. The test supervises the services like a container
// restart policy. Afterwards every job must be in exactly one terminal state, the credit invariants of
// DESIGN §5 must hold on every ledger, rm must agree with the event store, and every dead letter must carry
// its reason. Every random choice comes from CHAOS_SEED (printed), so a run can be
// replayed; process timing still varies between runs. See docs/chaos.md.

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};
const SEED = env('CHAOS_SEED', randomInt(1, 2 ** 31 - 1));
const JOBS = env('CHAOS_JOBS', 200);
const CHAOS_MS = env('CHAOS_SECONDS', 60) * 1000;
const KILLS = env('CHAOS_KILLS', 10);
const NATS_RESTARTS = env('CHAOS_NATS_RESTARTS', 1);
const PG_RESTARTS = env('CHAOS_PG_RESTARTS', 1);
const SETTLE_MS = env('CHAOS_SETTLE_SECONDS', 150) * 1000;
/** Chance that a fault tick (every 250 ms) injects one provider fault. */
const FAULT_RATE = env('CHAOS_FAULT_RATE', 0.4);
/** Chance that an event on the bus is published again while it is being handled. */
const COPY_RATE = env('CHAOS_COPY_RATE', 0.1);

const random = seededRandom(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) =>
  process.stdout.write(`[chaos ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
const t0 = Date.now();

const KIE_KEYS = Array.from({ length: 8 }, (_, i) => `kie-chaos-key-${i + 1}`);
const PREFIX = 'chaos';

let postgres: OwnPostgres;
let nats: OwnNats;
let databaseUrl: string;
let pool: Pool;
let store: EventStore;
let telegram: FakeTelegram;
let kie: FakeKie;
let openai: FakeOpenAI;
let supervisor: Supervisor;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const names: BusNames = busNames(PREFIX);

/** What the test did, for the summary. */
const tally = {
  kills: new Map<string, number>(),
  infra: [] as string[],
  faults: new Map<string, number>(),
  duplicated: 0,
  rawDuplicates: 0,
  liveCopies: 0,
  faultsSkipped: 0,
  bursts: 0,
  actionErrors: [] as string[],
};
const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

beforeAll(async () => {
  log(`seed ${SEED} (replay with CHAOS_SEED=${SEED}); ${JOBS} jobs, ${CHAOS_MS / 1000} s of chaos`);
  postgres = await OwnPostgres.create('chaos');
  nats = await OwnNats.create('chaos');
  databaseUrl = await postgres.createDatabase('neurocards_chaos');
  pool = createPool({ connectionString: databaseUrl, max: 4, applicationName: 'chaos-test' });
  store = new EventStore(pool);
  telegram = await FakeTelegram.start();
  kie = await FakeKie.start({ apiKeys: KIE_KEYS, taskDurationMs: 800, rateLimit: false });
  openai = await FakeOpenAI.start();
  nc = await connectNats(nats.url, 'chaos-test');
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);

  const common = {
    DATABASE_URL: databaseUrl,
    NATS_URL: nats.url,
    BUS_PREFIX: PREFIX,
    LOG_LEVEL: 'info',
    DATABASE_POOL_SIZE: '6',
    SHUTDOWN_TIMEOUT_MS: '10000',
    CONSUMER_RETRY_DELAYS_MS: '500,2000,5000,10000',
  };
  const bot = { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.url };
  supervisor = new Supervisor({ log });
  // Billing first: it applies the event store's migrations; the others start together.
  await supervisor.add('billing', { ...common, JOB_TIMEOUT: '10m', SWEEP_INTERVAL: '5s' }, 'chaos-billing-1');
  const generator = {
    ...common,
    ...bot,
    KIE_API_KEYS: KIE_KEYS.join(','),
    KIE_BASE_URL: kie.url,
    KIE_UPLOAD_BASE_URL: kie.url,
    KIE_RATE_LIMIT: '1000/10s',
    KIE_POLL_INTERVAL: '300ms',
    KIE_POLL_MAX_INTERVAL: '1s',
    KIE_POLL_TIMEOUT: '30s',
    KIE_HTTP_TIMEOUT: '5s',
    OPENAI_API_KEY: 'sk-chaos',
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_TIMEOUT: '2s',
    GENERATOR_LEASE: '5s',
    GENERATOR_CONCURRENCY: '16',
  };
  const delivery = {
    ...common,
    ...bot,
    TELEGRAM_GLOBAL_RATE: '1000',
    TELEGRAM_CHAT_RATE: '20',
    TELEGRAM_TIMEOUT: '10s',
    VIDEO_DOWNLOAD_TIMEOUT: '10s',
    DELIVERY_RETRY_DELAYS: '200ms,500ms,1s',
    OUTBOX_POLL_INTERVAL: '200ms',
  };
  await Promise.all([
    supervisor.add('billing', { ...common, JOB_TIMEOUT: '10m', SWEEP_INTERVAL: '5s' }, 'chaos-billing-2'),
    supervisor.add('generator', generator, 'chaos-generator-1'),
    supervisor.add('generator', generator, 'chaos-generator-2'),
    supervisor.add('delivery', delivery, 'chaos-delivery-1'),
    supervisor.add('delivery', delivery, 'chaos-delivery-2'),
    supervisor.add('projector', common, 'chaos-projector'),
    supervisor.add('bot-gateway', { ...common, ...bot }, 'chaos-gateway'),
  ]);
  log(`${supervisor.instances.length} processes ready`);
}, 180_000);

afterAll(async () => {
  await supervisor?.stopAll();
  await nc?.close().catch(() => {});
  await pool?.end().catch(() => {});
  await Promise.all([telegram?.close(), kie?.close(), openai?.close()]);
  await nats?.destroy();
  await postgres?.destroy();
});

// ------------------------------------------------------------------------------------------ sellers and jobs

interface Job {
  jobId: string;
  orderId: string;
  userId: number;
  product: string;
}

/** Sellers with 2 free credits and 0–8 granted ones, so some orders are rejected for want of credits. */
async function registerSellers(count: number): Promise<number[]> {
  const sellers = Array.from({ length: count }, (_, i) => 9_100_000 + i);
  const grants = new Map(sellers.map((id) => [id, Math.floor(random() * 9)]));
  await inTransaction(pool, async (client) => {
    for (const userId of sellers) {
      const events: AnyNewEvent[] = [
        newEvent(
          'UserRegistered',
          { userId, chatId: userId, username: null, firstName: 'Chaos', language: 'en', referrerId: null },
          { correlationId: streamIds.user(userId) },
        ),
      ];
      const amount = grants.get(userId) ?? 0;
      if (amount > 0)
        events.push(
          newEvent(
            'CreditsGrantRequested',
            { userId, adminId: 1, amount, reason: 'chaos' },
            { correlationId: streamIds.user(userId) },
          ),
        );
      await store.append(streamIds.user(userId), events, { expectedVersion: 'no_stream', client });
    }
  });
  const wanted = sellers.filter((id) => (grants.get(id) ?? 0) > 0).length;
  await waitFor(
    'billing to credit every seller',
    async () => {
      const { rows } = await pool.query<{ free: number; granted: number }>(
        `SELECT count(*) FILTER (WHERE type = 'FreeCreditsGranted')::int AS free,
                count(*) FILTER (WHERE type = 'CreditsGranted')::int AS granted
         FROM es.events WHERE stream_id LIKE 'credits-%'`,
      );
      return rows[0]?.free === sellers.length && rows[0]?.granted === wanted;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return sellers;
}

/** Appends one order (1–3 jobs) as the gateway does, retrying through outages; a retry is a no-op once stored. */
async function placeOrder(
  userId: number,
  size: number,
  photo: { file_id: string; file_unique_id: string },
  n: number,
) {
  const requests = orderRequests({
    userId,
    size,
    product: `Chaos product ${n}`,
    photo: { fileId: photo.file_id, fileUniqueId: photo.file_unique_id },
  }).map((request, i) => {
    // Each job names its own product, so its video can be found in the chat.
    request.data.product = `Chaos product ${n + i}`;
    return request;
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await inTransaction(pool, async (client) => {
        for (const request of requests)
          await store.append(streamIds.job(request.data.jobId), [request], {
            expectedVersion: 'no_stream',
            client,
          });
      });
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
  return requests.map(
    (r): Job => ({ jobId: r.data.jobId, orderId: r.data.orderId, userId, product: r.data.product }),
  );
}

interface Payment {
  userId: number;
  chargeId: string;
}

/** A Telegram Stars payment for 5 credits, recorded as the gateway records it, retried through outages. */
async function pay(userId: number, chargeId: string): Promise<Payment> {
  const received = newEvent(
    'PaymentReceived',
    { userId, chargeId, stars: 250, payload: 'pkg:p5:5:250' },
    { correlationId: streamIds.payment(chargeId) },
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await store.append(streamIds.payment(chargeId), [received], { expectedVersion: 'no_stream' });
      return { userId, chargeId };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

async function creditedCharges(db: Pool, chargeIds: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(DISTINCT data->>'chargeId')::int AS n FROM es.events
     WHERE type = 'CreditsPurchased' AND data->>'chargeId' = ANY($1)`,
    [chargeIds],
  );
  return rows[0]?.n ?? 0;
}

// ------------------------------------------------------------------------------------------------- chaos

/**
 * One provider fault, chosen by the seed: the next matching call of the fake fails this way. A fake that
 * still has two faults waiting gets no more: faults queued while no call comes (every KIE key cooling
 * down) would otherwise all fall on the first calls after, and keep the keys cooling for minutes.
 */
function injectFault(): void {
  const faults: Array<[string, () => void]> = [
    ['kie create 500 (temporary)', () => kie.failNextCreate(kieFaults.serverError())],
    ['kie create 455 maintenance (temporary)', () => kie.failNextCreate(kieFaults.maintenance())],

    [
      'kie task failed: internal error (temporary)',
      () => kie.failNextTasks({ failCode: '500', failMsg: 'Internal server error' }),
    ],
    [
      'kie task failed: people in photo (user violation)',
      () => kie.failNextTasks({ failCode: '400', failMsg: kieContentPolicyMessages.photorealisticPeople }),
    ],
    [
      'kie task failed: content policy (user violation)',
      () => kie.failNextTasks({ failCode: '400', failMsg: kieContentPolicyMessages.contentPolicy }),
    ],
    ['openai 500', () => openai.failNext(openaiFaults.serverError())],
    ['openai 429', () => openai.failNext(openaiFaults.rateLimited(1))],
    ['telegram sendVideo 500', () => telegram.failNext('sendVideo', telegramFaults.internalServerError())],
    [
      'telegram sendVideo connection reset',
      () => telegram.failNext('sendVideo', telegramFaults.connectionReset()),
    ],
    [
      'telegram sendVideo 429 retry_after 1',
      () => telegram.failNext('sendVideo', telegramFaults.tooManyRequests(1)),
    ],
    ['telegram sendVideo 403 blocked', () => telegram.failNext('sendVideo', telegramFaults.blockedByUser())],
    [
      'telegram sendMessage 500',
      () => telegram.failNext('sendMessage', telegramFaults.internalServerError()),
    ],
  ];
  // A 429 cools its key for a minute (the generator's policy), so rate limits are a rarer draw: with every
  // key cooling, jobs wait 60 s and then 120 s, past what the bounded run gives the last jobs.
  const [name, inject] =
    random() < 0.03
      ? (['kie create 429 (rate limit)', () => kie.failNextCreate(kieFaults.rateLimited())] as const)
      : pick(faults);
  const waiting = name.startsWith('kie create')
    ? kie.pendingFaults.create
    : name.startsWith('kie task')
      ? kie.pendingFaults.task
      : name.startsWith('openai')
        ? openai.pendingFaults
        : telegram.pendingFaults(name.split(' ')[1]);
  if (waiting >= 2) {
    tally.faultsSkipped++;
    return;
  }
  inject();
  bump(tally.faults, name);
}

async function relayLeader(): Promise<Instance | undefined> {
  for (const instance of supervisor.instances)
    if ((await supervisor.metric(instance, 'nc_relay_leader')) === 1) return instance;
  return undefined;
}

async function kill(target: 'relay-leader' | 'generator' | 'any'): Promise<void> {
  let victim: Instance | undefined;
  if (target === 'relay-leader') {
    victim = await waitFor('a relay leader', relayLeader, { timeoutMs: 15_000, intervalMs: 200 }).catch(
      () => undefined,
    );
    if (!victim) tally.actionErrors.push('no relay leader found to kill; killed a random process instead');
  } else if (target === 'generator') {
    victim = pick(supervisor.instances.filter((instance) => instance.service === 'generator'));
  }
  victim ??= pick(supervisor.instances);
  supervisor.kill(victim, target === 'any' ? undefined : target);
  bump(tally.kills, target === 'relay-leader' ? `${victim.label} (relay leader)` : victim.label);
}

/**
 * Reads the last events on the bus and publishes a random half of them again, newest first: some through
 * JetStream with a fresh message id (so the duplicate window cannot drop them), some as plain NATS
 * publishes. Every consumer must drop them through its inbox.
 */
async function duplicateBurst(): Promise<void> {
  const info = await jsm.streams.info(names.eventStream);
  const last = info.state.last_seq;
  if (last === 0) return;
  const window = 80;
  const reader = await js.consumers.get(names.eventStream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, last - window + 1),
  });
  const picked: Array<{ subject: string; data: Uint8Array; seq: number }> = [];
  try {
    const messages = await reader.fetch({ max_messages: window, expires: 2000 });
    for await (const msg of messages) {
      if (random() < 0.5) picked.push({ subject: msg.subject, data: msg.data, seq: msg.seq });
      if (msg.info.pending === 0) {
        messages.stop();
        break;
      }
    }
  } finally {
    await reader.delete().catch(() => false);
  }
  tally.bursts++;
  for (const copy of picked.reverse()) {
    const raw = random() < 0.5;
    await publishCopy(copy.subject, copy.data, `burst-${copy.seq}-${tally.bursts}`, raw);
    if (raw) tally.rawDuplicates++;
    else tally.duplicated++;
  }
  await nc.flush();
}

const COPY_HEADER = 'Nc-Chaos-Copy';

/** Publishes a copy of an event: through JetStream with a fresh message id, or as a plain NATS publish. */
async function publishCopy(subject: string, data: Uint8Array, id: string, raw: boolean): Promise<void> {
  const h = natsHeaders();
  h.set(COPY_HEADER, id);
  if (raw) nc.publish(subject, data, { headers: h });
  else await js.publish(subject, data, { msgID: `chaos-copy-${id}`, headers: h });
}

/**
 * Copies events as they reach the bus: each original has a CHAOS_COPY_RATE chance to be published again
 * within 0–300 ms, while the services are still handling the original. Its own generator (seed + 1) keeps
 * the chaos plan's draws apart from how many events there are.
 */
async function copyLive(stop: () => boolean): Promise<void> {
  const draw = seededRandom(SEED + 1);
  const reader = await js.consumers.get(names.eventStream, { deliver_policy: DeliverPolicy.New });
  const messages = await reader.consume({ max_messages: 256 });
  const pending: Promise<void>[] = [];
  const stopper = setInterval(() => {
    if (stop()) messages.stop();
  }, 200);
  try {
    for await (const msg of messages) {
      if (msg.headers?.get(COPY_HEADER)) continue;
      if (draw() >= COPY_RATE) continue;
      const delay = Math.floor(draw() * 300);
      const raw = draw() < 0.5;
      const { subject, data, seq } = msg;
      pending.push(
        sleep(delay)
          .then(() => publishCopy(subject, data, `live-${seq}`, raw))
          .then(() => {
            tally.liveCopies++;
          })
          .catch(() => {}), // NATS is down: this copy is lost, the next ones go
      );
    }
  } finally {
    clearInterval(stopper);
    await Promise.all(pending);
    await reader.delete().catch(() => false);
  }
}

type Action = { at: number; name: string; run: () => Promise<void> };

/** The seeded plan: kills, infrastructure restarts and duplicate bursts at times within the chaos phase. */
function plan(): Action[] {
  const actions: Action[] = [];
  const within = (from: number, to: number) => Math.floor(CHAOS_MS * (from + random() * (to - from)));
  for (let i = 0; i < KILLS; i++) {
    const target = i === 0 ? 'relay-leader' : i === 1 ? 'generator' : random() < 0.2 ? 'relay-leader' : 'any';
    actions.push({ at: within(0.05, 0.9), name: `kill ${target}`, run: () => kill(target) });
  }
  for (let i = 0; i < NATS_RESTARTS; i++) {
    const crash = random() < 0.5;
    const downMs = 500 + Math.floor(random() * 2000);
    actions.push({
      at: within((i + 0.2) / (NATS_RESTARTS + 0.5), (i + 0.6) / (NATS_RESTARTS + 0.5)),
      name: `NATS ${crash ? 'crash' : 'stop'}, ${downMs} ms down`,
      run: async () => {
        await nats.restart({ crash, downMs });
        tally.infra.push(`NATS ${crash ? 'SIGKILL' : 'SIGTERM'}, down ${downMs} ms`);
      },
    });
  }
  for (let i = 0; i < PG_RESTARTS; i++) {
    const crash = random() < 0.6;
    const downMs = 500 + Math.floor(random() * 2000);
    actions.push({
      at: within((i + 0.4) / (PG_RESTARTS + 0.5), (i + 0.8) / (PG_RESTARTS + 0.5)),
      name: `PostgreSQL ${crash ? 'crash' : 'stop'}, ${downMs} ms down`,
      run: async () => {
        await postgres.restart({ crash, downMs });
        tally.infra.push(`PostgreSQL ${crash ? 'immediate (crash)' : 'fast'} stop, down ${downMs} ms`);
      },
    });
  }
  for (let at = 4000 + Math.floor(random() * 4000); at < CHAOS_MS; at += 6000 + Math.floor(random() * 6000))
    actions.push({ at, name: 'duplicate burst', run: duplicateBurst });
  return actions.sort((a, b) => a.at - b.at);
}

// ------------------------------------------------------------------------------------------------- test

describe('chaos', () => {
  it(`${JOBS} jobs end in exactly one terminal state, with the ledgers, rm and dead letters consistent`, {
    timeout: 120_000 + CHAOS_MS + SETTLE_MS + 120_000,
  }, async () => {
    const photo = telegram.registerFile({ path: fixturePaths.productPhoto });
    const sellers = await registerSellers(Math.max(10, Math.ceil(JOBS / 4)));
    log(`${sellers.length} sellers credited`);

    // The order of jobs (who orders how many) comes from the seed, before the chaos plan draws.
    const orderPlan: Array<{ userId: number; size: number }> = [];
    for (let planned = 0; planned < JOBS; ) {
      const size = Math.min(JOBS - planned, pick([1, 1, 1, 2, 3]));
      orderPlan.push({ userId: pick(sellers), size });
      planned += size;
    }
    // A Stars payment before about one order in ten: each must be credited exactly once.
    const paymentPlan = new Set(orderPlan.flatMap((_, i) => (random() < 0.1 ? [i] : [])));
    const actions = plan();
    // Provider faults fall while orders arrive: later, with few jobs left, queued faults would pile onto
    // the retries of the same few jobs.
    const faultTicks = Math.floor((CHAOS_MS * 0.6) / 250);
    const faultDraws = Array.from({ length: faultTicks }, () => random() < FAULT_RATE);

    const jobs: Job[] = [];
    const payments: Payment[] = [];
    const started = Date.now();
    let chaosOver = false;
    const feeding = (async () => {
      // Orders arrive over the first 60 % of the chaos phase.
      const spacing = (CHAOS_MS * 0.6) / orderPlan.length;
      for (const [i, order] of orderPlan.entries()) {
        const due = started + i * spacing - Date.now();
        if (due > 0) await sleep(due);
        if (paymentPlan.has(i)) payments.push(await pay(order.userId, `chaos-charge-${i}`));
        jobs.push(...(await placeOrder(order.userId, order.size, photo, jobs.length)));
      }
    })();
    const copying = copyLive(() => chaosOver).catch((error: unknown) => {
      tally.actionErrors.push(`live copies: ${String(error)}`);
    });
    const faulting = (async () => {
      for (const draw of faultDraws) {
        if (chaosOver) break;
        if (draw) injectFault();
        await sleep(250);
      }
    })();
    const chaos = (async () => {
      for (const action of actions) {
        const due = started + action.at - Date.now();
        if (due > 0) await sleep(due);
        log(action.name);
        await action.run().catch((error: unknown) => {
          tally.actionErrors.push(`${action.name}: ${String(error)}`);
          log(`${action.name} failed: ${String(error)}`);
        });
      }
    })();
    await Promise.all([feeding, chaos]);
    chaosOver = true;
    await Promise.all([faulting, copying]);
    log(`chaos over: ${jobs.length} jobs placed; waiting for every job to end`);
    expect(jobs).toHaveLength(JOBS);

    // Faults still queued would hit the retries of the last jobs forever; the chaos phase is over.
    kie.clearFaults();
    openai.clearFaults();
    telegram.clearFaults();
    const jobIds = jobs.map((job) => job.jobId);
    const chargeIds = payments.map((payment) => payment.chargeId);
    await waitFor(
      'every job to be settled and every payment credited',
      async () =>
        (await settledJobs(pool, jobIds)) === JOBS &&
        (await creditedCharges(pool, chargeIds)) === chargeIds.length,
      { timeoutMs: SETTLE_MS, intervalMs: 1000 },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await unsettledReport(jobIds)}`);
    });
    const settledAfter = (Date.now() - started) / 1000;
    log(`every job settled, ${settledAfter.toFixed(0)} s after the first order`);
    // Every process is back and ready: nothing is left in a crash loop.
    await supervisor.allReady(60_000);

    // ---------------------------------------------------------------- the event store
    const users = [...new Set(jobs.map((job) => job.userId))];
    // Late effects (a capture after a delivery) settle within a moment; read after the last one.
    await sleep(1000);
    const creditStreams = await readStreams(pool, sellers.map(streamIds.credits));
    const jobStreams = await readStreams(pool, jobIds.map(streamIds.job));
    const orders = new Map<string, string[]>();
    for (const job of jobs) orders.set(job.orderId, [...(orders.get(job.orderId) ?? []), job.jobId]);
    checkCredits(creditStreams, orders);
    // Every payment credited exactly once, to its payer (DESIGN §5).
    for (const { userId, chargeId } of payments) {
      const credited = (creditStreams.get(streamIds.credits(userId)) ?? []).filter(
        (e) => e.type === 'CreditsPurchased' && e.data.chargeId === chargeId,
      );
      expect(credited, `payment ${chargeId}`).toHaveLength(1);
    }
    const outcomes = new Map<string, Outcome>();
    for (const job of jobs)
      outcomes.set(
        job.jobId,
        outcomeOf(
          job.jobId,
          jobStreams.get(streamIds.job(job.jobId)) ?? [],
          creditStreams.get(streamIds.credits(job.userId)) ?? [],
        ),
      );

    // Every final failure has a cause the test injected: user violations and blocked chats at most as
    // often as they were injected, retries given up only for the classes whose faults fell; a failure of
    // another class (UNKNOWN, BILLING) is something the system did to itself.
    const finalFailures = new Map<string, number>();
    for (const events of jobStreams.values())
      for (const event of events)
        if (event.type === 'GenerationFailed' || event.type === 'DeliveryFailed') {
          const code = event.type === 'GenerationFailed' ? event.data.code : event.data.reason;
          bump(finalFailures, `${event.type} ${event.data.errorClass} (${code.slice(0, 60)})`);
        }
    const failuresOf = (prefix: string) =>
      sum(new Map([...finalFailures].filter(([key]) => key.startsWith(prefix))));
    const injected = (fragment: string) =>
      sum(new Map([...tally.faults].filter(([key]) => key.includes(fragment))));
    const explained = [
      'GenerationFailed USER_VIOLATION',
      'GenerationFailed TEMPORARY',
      'GenerationFailed RATE_LIMIT',
      'DeliveryFailed BLOCKED',
      'DeliveryFailed TEMPORARY',
      'DeliveryFailed RATE_LIMIT',
    ];
    expect([...finalFailures.keys()].filter((key) => !explained.some((ok) => key.startsWith(ok)))).toEqual(
      [],
    );
    expect(failuresOf('GenerationFailed USER_VIOLATION')).toBeLessThanOrEqual(injected('user violation'));
    expect(failuresOf('DeliveryFailed BLOCKED')).toBeLessThanOrEqual(injected('403 blocked'));

    // ---------------------------------------------------------------- the read models
    const ledgers = new Map<number, DomainEvent[]>(
      sellers.map((id) => [id, creditStreams.get(streamIds.credits(id)) ?? []]),
    );
    let mismatches: string[] = [];
    await waitFor(
      'rm to agree with the event store',
      async () => {
        mismatches = [
          ...(await balanceMismatches(pool, ledgers)),
          ...(await statusMismatches(pool, outcomes)),
        ];
        return mismatches.length === 0;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch(() => undefined);
    expect(mismatches.slice(0, 10)).toEqual([]);

    // ---------------------------------------------------------------- the bus: dead letters
    const letters = await listDeadLetters({ js, jsm, names }, { limit: 100_000 });
    const withoutReason = letters.filter(
      (letter) => !letter.reasonCode || !letter.reason || !letter.consumer || !letter.parkedAt,
    );
    expect(withoutReason.map((letter) => letter.sequence)).toEqual([]);

    // ---------------------------------------------------------------- what the sellers saw
    // Every video that reached a chat, by the product its caption names, with when Telegram took it.
    const sends = new Map<string, number[]>();
    for (const call of [...telegram.calls('sendVideo'), ...telegram.calls('sendDocument')]) {
      const product = call.ok ? /Chaos product \d+/.exec(String(call.params.caption ?? ''))?.[0] : undefined;
      if (product) sends.set(product, [...(sends.get(product) ?? []), call.at]);
    }
    const deliveryKills = supervisor.events
      .filter((event) => event.what === 'killed' && event.instance.startsWith('chaos-delivery'))
      .map((event) => event.at);
    const resent: string[] = [];
    for (const job of jobs) {
      const times = (sends.get(job.product) ?? []).sort((a, b) => a - b);
      const outcome = outcomes.get(job.jobId);
      if (outcome === 'delivered' || outcome === 'expired_delivered_free')
        expect(times.length, `${job.product} (${job.jobId}) delivered but not in the chat`).toBeGreaterThan(
          0,
        );
      if (outcome === 'rejected' || outcome === 'generation_failed')
        expect(times, `${job.product} (${job.jobId}) ${outcome} but a video was sent`).toEqual([]);
      if (times.length > 1) {
        // Delivery is at least once only across a crash: a delivery process killed between Telegram's
        // answer and the append of the outcome. Any other second copy is a bug.
        const first = times[0] as number;
        const last = times.at(-1) as number;
        const explained = deliveryKills.some((at) => at >= first - 1000 && at <= last);
        expect(
          explained,
          `${job.product} (${job.jobId}) sent ${times.length} times without a delivery crash`,
        ).toBe(true);
        resent.push(job.product);
      }
    }

    // ---------------------------------------------------------------- summary
    const outcomeCounts = new Map<string, number>();
    for (const outcome of outcomes.values()) bump(outcomeCounts, outcome);
    const crashes = supervisor.instances
      .filter((instance) => instance.crashes > 0)
      .map((instance) => `${instance.label} ×${instance.crashes}`);
    const failedStarts = supervisor.instances
      .filter((instance) => instance.failedStarts > 0)
      .map((instance) => `${instance.label} ×${instance.failedStarts}`);
    const restarts = supervisor.instances.reduce((sum, instance) => sum + instance.restarts, 0);
    const lettersByConsumer = new Map<string, number>();
    for (const letter of letters) bump(lettersByConsumer, `${letter.consumer} ${letter.reasonCode}`);
    const slowest = await slowestJobs(jobIds, 3);
    const lines = [
      `seed ${SEED} (CHAOS_SEED=${SEED} replays the plan)`,
      `jobs ${JOBS} in ${orders.size} orders of ${users.length} sellers, ${payments.length} Stars payments; all settled ${settledAfter.toFixed(0)} s after the first order`,
      `outcomes: ${format(outcomeCounts)}`,
      `final failures: ${format(finalFailures) || 'none'}`,
      `kills (SIGKILL): ${format(tally.kills)}`,
      `infrastructure: ${tally.infra.join('; ') || 'none'}`,
      `restarts by the supervisor: ${restarts}; crashed on their own while running: ${crashes.join(', ') || 'none'}; failed to start (a server down): ${failedStarts.join(', ') || 'none'}`,
      `provider faults injected (${sum(tally.faults)}; ${tally.faultsSkipped} not, two of their kind waiting): ${format(tally.faults)}`,
      `bus copies: ${tally.liveCopies} while the originals were handled; ${tally.duplicated} re-published with new ids and ${tally.rawDuplicates} raw in ${tally.bursts} newest-first bursts`,
      `dead letters: ${letters.length}${letters.length ? ` (${format(lettersByConsumer)})` : ''}`,
      `videos sent more than once to a chat (each after a delivery process was killed mid-send): ${resent.length}`,
      `chaos actions that failed: ${tally.actionErrors.join('; ') || 'none'}`,
      'slowest jobs (seconds after the request):',
      ...slowest.map((line) => `  ${line}`),
    ];
    process.stdout.write(`\nChaos summary\n${lines.map((line) => `  ${line}`).join('\n')}\n\n`);
    if (KILLS > 0) expect(tally.kills.size).toBeGreaterThan(0);
  });
});

function format(map: ReadonlyMap<string, number>): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');
}

function sum(map: ReadonlyMap<string, number>): number {
  return [...map.values()].reduce((a, b) => a + b, 0);
}

/** The jobs that took longest from request to settlement, each with its events' seconds after the request. */
async function slowestJobs(jobIds: readonly string[], count: number): Promise<string[]> {
  const { rows } = await pool.query<{ job_id: string; seconds: number; timeline: string }>(
    `WITH job AS (
       SELECT data->>'jobId' AS job_id, min(recorded_at) FILTER (WHERE type = 'GenerationRequested') AS requested
       FROM es.events WHERE data->>'jobId' = ANY($1) GROUP BY 1)
     SELECT job.job_id, extract(epoch FROM max(e.recorded_at) - job.requested)::float AS seconds,
            string_agg(e.type || ' ' || round(extract(epoch FROM e.recorded_at - job.requested)::numeric, 1),
                       ', ' ORDER BY e.recorded_at) AS timeline
     FROM job JOIN es.events e ON e.data->>'jobId' = job.job_id
     GROUP BY job.job_id, job.requested ORDER BY seconds DESC LIMIT $2`,
    [jobIds, count],
  );
  return rows.map((row) => `${row.job_id} ${row.seconds.toFixed(0)} s: ${row.timeline}`);
}

/** Where the unsettled jobs stand, so a failure explains itself. */
async function unsettledReport(jobIds: readonly string[]): Promise<string> {
  const { rows } = await pool.query(
    `WITH settled AS (
       SELECT DISTINCT data->>'jobId' AS job_id FROM es.events
       WHERE type IN ('CreditReservationRejected', 'CreditCaptured', 'CreditRefunded') AND data->>'jobId' = ANY($1))
     SELECT r.data->>'jobId' AS job_id,
            (SELECT string_agg(type, ',' ORDER BY stream_version) FROM es.events WHERE stream_id = r.stream_id) AS job,
            (SELECT string_agg(type, ',' ORDER BY global_position) FROM es.events
              WHERE stream_id = 'credits-' || (r.data->>'userId') AND data->>'jobId' = r.data->>'jobId') AS credits,
            (SELECT row_to_json(g) FROM generator.jobs g WHERE g.job_id::text = r.data->>'jobId') AS scheduled
     FROM es.events r WHERE r.type = 'GenerationRequested' AND r.data->>'jobId' = ANY($1)
       AND r.data->>'jobId' NOT IN (SELECT job_id FROM settled)
     LIMIT 20`,
    [jobIds],
  );
  return `unsettled jobs (first 20): ${JSON.stringify(rows, null, 1)}`;
}
