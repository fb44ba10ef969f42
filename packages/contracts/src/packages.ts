import { z } from 'zod';

/** A pack of credits sold for Telegram Stars. */
export interface CreditPackage {
  id: string;
  credits: number;
  stars: number;
}

/**
 * Parses CREDIT_PACKAGES: `id:credits:stars` entries separated by commas, e.g. `p5:5:250,p20:20:900`.
 * @throws Error naming the bad entry.
 */
export function parseCreditPackages(spec: string): CreditPackage[] {
  const packages = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^([a-z0-9_-]{1,32}):(\d{1,6}):(\d{1,7})$/i.exec(entry);
      if (!match) throw new Error(`bad package "${entry}": expected id:credits:stars`);
      const [, id = '', credits = '0', stars = '0'] = match;
      if (Number(credits) < 1 || Number(stars) < 1)
        throw new Error(`package "${entry}" must cost and give at least 1`);
      return { id, credits: Number(credits), stars: Number(stars) };
    });
  if (new Set(packages.map((p) => p.id)).size !== packages.length)
    throw new Error('package ids must be unique');
  if (packages.length === 0) throw new Error('at least one package is required');
  return packages;
}

/** What an invoice sold, as its payload says. */
export interface InvoiceTerms extends CreditPackage {
  /** The seller the invoice was sent to (absent in payloads written before it was added). */
  userId?: number;
}

/**
 * The invoice payload the gateway writes and Telegram hands back with the payment (≤ 128 bytes):
 * `pkg:<id>:<credits>:<stars>:u<userId>`.
 */
export function invoicePayload(pack: CreditPackage, userId?: number): string {
  const terms = `pkg:${pack.id}:${pack.credits}:${pack.stars}`;
  return userId === undefined ? terms : `${terms}:u${userId}`;
}

/** Reads an invoice payload; undefined for anything that is not one of ours. */
export function parseInvoicePayload(payload: string): InvoiceTerms | undefined {
  const match = /^pkg:([a-z0-9_-]{1,32}):(\d{1,6}):(\d{1,7})(?::u(\d{1,16}))?$/i.exec(payload);
  if (!match) return undefined;
  const terms: InvoiceTerms = { id: match[1] ?? '', credits: Number(match[2]), stars: Number(match[3]) };
  if (match[4] !== undefined) terms.userId = Number(match[4]);
  return terms;
}

/**
 * What a payment buys. The payload names the package and its terms as invoiced (a user cannot change it);
 * those terms hold even if the package list changed since. A payload from elsewhere is matched by price.
 * @throws Error when nothing matches: the payment must then be credited by hand, and the dead letter says so.
 */
export function packageForPayment(
  packages: readonly CreditPackage[],
  payload: string,
  stars: number,
): CreditPackage {
  const terms = parseInvoicePayload(payload);
  if (terms && terms.stars === stars) return { id: terms.id, credits: terms.credits, stars };
  const byPrice = packages.find((pack) => pack.stars === stars);
  if (byPrice) return byPrice;
  throw new Error(`payment of ${stars} Stars with payload "${payload}" matches no package`);
}

/** CREDIT_PACKAGES as billing and the gateway read it: `id:credits:stars`, comma-separated. */
export const creditPackagesSchema = z
  .string()
  .default('p5:5:250,p15:15:690,p50:50:2000')
  .transform((spec, ctx) => {
    try {
      return parseCreditPackages(spec);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
