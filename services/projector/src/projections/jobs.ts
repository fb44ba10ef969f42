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
import { foldIntoTable, type KeyedFold, type KeyedTable, writeRows } from './rows.js';

const jobsTable: KeyedTable<JobRow> = {
  table: 'jobs',
  key: 'job_id',
  keyType: 'uuid',
  columns: jobColumns,
  timestamps: jobTimestamps,
  finish: withDurations,
};

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
    await foldIntoTable(db, schema, batch, jobsTable, fold);
    await writeRows(db, `${schema}.job_errors`, ['event_id'], jobErrorColumns, errors, 'ignore');
  },
};
