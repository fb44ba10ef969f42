import { jobsProjection } from './jobs.js';
import { ledgerProjection } from './ledger.js';
import { paymentsProjection } from './payments.js';
import type { Projection } from './projection.js';
import { usersProjection } from './users.js';

/** Every projection the projector keeps, each with its own checkpoint. */
export const projections: readonly Projection[] = [
  usersProjection,
  jobsProjection,
  ledgerProjection,
  paymentsProjection,
];

/** The projections a name stands for: one by its name, or every one for `all`. */
export function projectionsNamed(name: string): Projection[] {
  if (name === 'all') return [...projections];
  const found = projections.find((projection) => projection.name === name);
  if (!found) {
    throw new Error(
      `unknown projection ${JSON.stringify(name)}: one of ${projections.map((p) => p.name).join(', ')} or all`,
    );
  }
  return [found];
}
