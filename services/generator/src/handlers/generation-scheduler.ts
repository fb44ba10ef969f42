import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type DomainEvent, streamIds } from '@neurocards/contracts';
import { EVENT_COLUMNS, toEvents } from '@neurocards/runtime/event-store';
import { LoopWorker, withWorkContext } from '@neurocards/runtime/shell';
import pg from 'pg';
import { Counter, Gauge } from 'prom-client';
import type { ProviderState } from '../adapters/provider-state.js';
import { JOB_DUE, jobSignals } from './job-signals.js';
import { type JobRow, runJobStep, type StepDependencies, type StepOutcome } from './job-steps.js';

/** A leased job with what its first step starts from (see `claim`). */
interface ClaimedJob {
  row: JobRow;
  stream: DomainEvent[];
  providers: ProviderState;
}

/** Pause after a step that threw (a conflict with another replica, PostgreSQL away…). */
const ERROR_RETRY_MS = 5000;
const IDLE_POLL_MS = 250;
/** Steps due at once (the prompt, then the submission) run back to back under one lease, at most this many. */
const MAX_CHAINED_STEPS = 4;

/**
 * Runs job steps whose time has come, at most GENERATOR_CONCURRENCY at once per replica. Work lives in
 * generator.jobs, not in memory: a replica leases due rows with FOR UPDATE SKIP LOCKED, keeps the lease
 * fresh while a step runs, and writes back when the next step is due. A replica that dies holds its rows
 * only until their lease runs out; then any other replica carries on from the job stream.
 */
export class GenerationScheduler extends LoopWorker {
  readonly name = 'generation-scheduler';
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly running = new Set<Promise<void>>();
  private readonly steps: Counter;
  private readonly open: Gauge;
  private readonly wake = () => this.sleeper.wake();

  constructor(private readonly deps: StepDependencies) {
    super();
    const { registry } = deps.service.metrics;
    this.steps = new Counter({
      name: 'nc_generator_steps_total',
      help: 'Job steps run by this replica, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.open = new Gauge({
      name: 'nc_generator_jobs_open',
      help: 'Jobs not finished yet, across all replicas (waiting on the video model included)',
      registers: [registry],
      collect: async () => {
        const { rows } = await deps.service.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM generator.jobs WHERE NOT done',
        );
        this.open.set(rows[0]?.n ?? 0);
      },
    });
  }

  override start(): void {
    jobSignals.on(JOB_DUE, this.wake);
    super.start();
  }

  /** Stops claiming, lets running steps finish and hands their rows back. */
  override async stop(): Promise<void> {
    jobSignals.off(JOB_DUE, this.wake);
    await super.stop();
  }

  protected async loop(): Promise<void> {
    const { config, logger } = this.deps.service;
    while (!this.stopping) {
      try {
        const free = config.GENERATOR_CONCURRENCY - this.running.size;
        const rows = free > 0 ? await this.claim(free) : [];
        for (const row of rows) this.track(this.step(row));
        if (this.running.size >= config.GENERATOR_CONCURRENCY) await Promise.race(this.running);
        else if (rows.length === 0) await this.sleeper.sleep(IDLE_POLL_MS);
      } catch (error) {
        logger.error({ err: error }, 'scheduler could not claim jobs; retrying');
        await this.sleeper.sleep(1000);
      }
    }
    await Promise.all(this.running);
  }

  private track(task: Promise<void>): void {
    this.running.add(task);
    task.finally(() => this.running.delete(task));
  }

  private async step({ row: claimed, stream: read, providers }: ClaimedJob): Promise<void> {
    const { logger, config } = this.deps.service;
    const jobId = claimed.job_id;
    const renew = setInterval(
      () => void this.renew(jobId).catch(() => {}),
      Math.max(1000, config.GENERATOR_LEASE / 3),
    );
    // What the next step and the write-back see: polls and the uploaded photo carry over between steps.
    let row = claimed;
    let outcome: StepOutcome;
    try {
      outcome = await withWorkContext({ correlationId: jobId }, async () => {
        // A step whose successor is due now hands straight on: no write-back, no new claim, no wait, and
        // no read of the stream when the step knows how it left it.
        let stream: readonly DomainEvent[] | undefined = read;
        let known: ProviderState | undefined = providers;
        for (let step = 1; ; step++) {
          const next = await runJobStep(this.deps, row, { stream, providers: known });
          this.steps.inc({ outcome: next.done ? 'done' : 'continue' });
          if (next.done || next.runInMs > 0 || next.append || step >= MAX_CHAINED_STEPS || this.stopping)
            return next;
          row = { ...row, polls: next.polls ?? row.polls, image_url: next.imageUrl ?? row.image_url };
          stream = next.stream;
          // A step that returns its stream only added to it (the prompt). Any other may have paused a
          // model or cooled a key, so the step after it reads the provider state again.
          if (!stream) known = undefined;
        }
      });
    } catch (error) {
      logger.warn({ err: error, jobId }, 'job step failed; will retry');
      this.steps.inc({ outcome: 'error' });
      outcome = { done: false, runInMs: ERROR_RETRY_MS };
    } finally {
      clearInterval(renew);
    }
    await this.release(row, outcome).catch(async (error: unknown) => {
      // Its events are not stored (another replica moved the job on, PostgreSQL is away): the step runs again.
      if (outcome.append) logger.warn({ err: error, jobId }, 'could not record a job step; will retry');
      await this.release(row, { done: false, runInMs: ERROR_RETRY_MS }).catch((again: unknown) => {
        logger.error({ err: again, jobId }, 'could not release a job; its lease will expire');
      });
    });
    // A next step due sooner than the idle pause should not wait for it.
    if (!outcome.done && outcome.runInMs < IDLE_POLL_MS) setTimeout(this.wake, outcome.runInMs).unref();
  }

  /**
   * Leases up to `limit` due jobs, and reads in the same statement what their next step starts from: each
   * job's stream and the provider state (paused models, cooling keys). The stream is read with the
   * statement's snapshot, which an append committed while the rows were being locked can postdate: the
   * step's append at the read version then fails, and the step runs again.
   */
  private async claim(limit: number): Promise<ClaimedJob[]> {
    const { pool, config } = this.deps.service;
    const { rows } = await pool.query<
      JobRow & { paused_models: string[]; cooling_keys: string[]; event_id: string | null }
    >({
      name: 'nc_generator_claim',
      text: `WITH claimed AS (
         UPDATE generator.jobs SET lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond'
         WHERE job_id IN (
           SELECT job_id FROM generator.jobs
           WHERE NOT done AND next_run_at <= now() AND (lease_until IS NULL OR lease_until < now())
           ORDER BY next_run_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING job_id, polls, callback_token, image_url, now()::text AS claimed_at)
       SELECT claimed.*,
         ARRAY(SELECT model FROM generator.model_health WHERE paused_until > now()) AS paused_models,
         ARRAY(SELECT key_id FROM generator.key_cooldowns WHERE until > now()) AS cooling_keys,
         ${EVENT_COLUMNS}
       FROM claimed LEFT JOIN es.events ON es.events.stream_id = $4 || claimed.job_id::text
       ORDER BY claimed.job_id, es.events.stream_version`,
      values: [this.workerId, config.GENERATOR_LEASE, limit, streamIds.job('')],
    });
    // One row per event of each claimed job (the job's columns repeated), in stream order.
    const jobs = new Map<string, { row: JobRow; events: typeof rows }>();
    for (const row of rows) {
      const { job_id, polls, callback_token, image_url, claimed_at } = row;
      const job = jobs.get(job_id) ?? {
        row: { job_id, polls, callback_token, image_url, claimed_at },
        events: [],
      };
      if (row.event_id !== null) job.events.push(row);
      jobs.set(job_id, job);
    }
    const providers: ProviderState = {
      pausedModels: new Set(rows[0]?.paused_models),
      coolingKeys: new Set(rows[0]?.cooling_keys),
    };
    return [...jobs.values()].map(({ row, events }) => ({
      row,
      stream: toEvents({ rows: events }),
      providers,
    }));
  }

  private async renew(jobId: string): Promise<void> {
    await this.deps.service.pool.query({
      name: 'nc_generator_renew',
      text: `UPDATE generator.jobs SET lease_until = now() + $3 * interval '1 millisecond'
       WHERE job_id = $1 AND lease_owner = $2`,
      values: [jobId, this.workerId, this.deps.service.config.GENERATOR_LEASE],
    });
  }

  /**
   * Writes the job back: when its next step is due, with the polls and the uploaded photo carried over,
   * and the lease given up. Events the step left go to the store in the same round trip and transaction.
   */
  private async release(row: JobRow, outcome: StepOutcome): Promise<void> {
    const runInMs = outcome.done ? 0 : outcome.runInMs;
    const polls = outcome.done ? row.polls : (outcome.polls ?? row.polls);
    const imageUrl = outcome.done ? row.image_url : (outcome.imageUrl ?? row.image_url);
    const { escapeLiteral: q } = pg;
    // A callback that came while the step ran made the job due after the claim: that stays, or the
    // callback would be lost and the job would wait for its next poll. Plain SQL, values quoted: it
    // travels in one message with the events' append.
    const writeBack = `UPDATE generator.jobs SET done = ${outcome.done}, polls = ${Number(polls)},
         image_url = ${imageUrl === null ? 'NULL' : q(imageUrl)}, lease_owner = NULL, lease_until = NULL,
         updated_at = now(),
         next_run_at = CASE WHEN next_run_at > ${q(row.claimed_at)}::timestamptz
                            THEN least(next_run_at, now() + ${Number(runInMs)} * interval '1 millisecond')
                            ELSE now() + ${Number(runInMs)} * interval '1 millisecond' END
       WHERE job_id = ${q(row.job_id)}::uuid AND lease_owner = ${q(this.workerId)}`;
    const { store, statements } = this.deps.service;
    if (!outcome.append) {
      await statements.run([writeBack]);
      return;
    }
    const { streamId, events, expectedVersion } = outcome.append;
    await store.appendWith(streamId, events, { expectedVersion, alongside: [writeBack] });
  }
}
