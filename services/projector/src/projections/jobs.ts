import {
  evolveJob,
  type JobErrorRow,
  type JobRow,
  jobColumns,
  jobErrorColumns,
  jobErrorOf,
  jobOf,
  jobTimestamps,
  withDurations,
} from '../domain/jobs.js';
import type { Projection } from './projection.js';
import { foldBatch, type KeyedFold, keysOfBatch, loadRows, rowsOf, writeRows } from './rows.js';

/** rm.jobs (status, timeline, durations) and rm.job_errors (every failed attempt and final failure). */
export const jobsProjection: Projection = {
  name: 'jobs',
  tables: ['jobs', 'job_errors'],
  async apply(db, schema, batch) {
    const errors: JobErrorRow[] = [];
    const fold: KeyedFold<JobRow> = {
      keysOf: (event) => {
        const jobId = jobOf(event);
        return jobId ? [jobId] : [];
      },
      evolve: (row, event) => evolveJob(row, event),
      changed(_key, before, _after, event) {
        const error = before && jobErrorOf(before, event);
        if (error) errors.push(error);
      },
    };
    const table = `${schema}.jobs`;
    const keys = keysOfBatch(batch, fold);
    const rows = await loadRows<JobRow>(db, table, 'job_id', 'uuid', keys, jobTimestamps);
    const changed = foldBatch(batch, rows, fold);
    await writeRows(db, table, ['job_id'], jobColumns, rowsOf(rows, changed).map(withDurations), 'replace');
    await writeRows(db, `${schema}.job_errors`, ['event_id'], jobErrorColumns, errors, 'ignore');
  },
};
