import { randomBytes } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { EventEnvelope } from '@neurocards/contracts';
import { writeInBatches } from '@neurocards/runtime/event-store';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import type { GeneratorConfig } from '../config.js';
import { JOB_DUE, jobSignals } from './job-signals.js';

/**
 * A reserved credit is the go-ahead for a job: it is put on the generator's schedule (generator.jobs) and the
 * message is acknowledged at once. The scheduler does the work, so a long wait on the video model never
 * holds a message, and a replica that dies loses nothing.
 */
@Controller()
export class GenerationController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<GeneratorConfig>) {}

  @EventPattern<string>('CreditReserved')
  async onCreditReserved(@Payload() reserved: EventEnvelope<'CreditReserved'>) {
    const { jobId, userId } = reserved.data;
    await this.schedule({ jobId, userId });
    jobSignals.emit(JOB_DUE);
  }

  /**
   * Jobs reserved at once are scheduled in one statement, idempotent by itself: a copy of the event finds
   * the row and changes nothing, so the inbox's transaction would only add round trips.
   */
  private readonly schedule = writeInBatches<{ jobId: string; userId: number }>(async (jobs) => {
    await this.service.pool.query({
      name: 'nc_generator_schedule',
      text: `INSERT INTO generator.jobs (job_id, user_id, callback_token)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[]) ON CONFLICT (job_id) DO NOTHING`,
      values: [
        jobs.map((job) => job.jobId),
        jobs.map((job) => job.userId),
        jobs.map(() => randomBytes(24).toString('base64url')),
      ],
    });
  });
}
