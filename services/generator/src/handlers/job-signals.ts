import { EventEmitter } from 'node:events';

/** In-process nudges for the scheduler: a new job or a callback means "look now", not after the idle pause. */
export const jobSignals = new EventEmitter();
export const JOB_DUE = 'job-due';
