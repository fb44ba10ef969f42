import type { GenerationErrorClass } from '@neurocards/contracts';

// A first cut of the classification table of DESIGN §6; the generator issue turns it into the full table.
const USER_VIOLATION_PATTERNS = [
  /photorealistic people/i,
  /violate our (guardrails|content policies)/i,
  /blocked by our moderation/i,
];

/** Classifies a failed task or a refused API call by the provider's code and message. */
export function classifyFailure(code: number | string, message: string): GenerationErrorClass {
  if (USER_VIOLATION_PATTERNS.some((pattern) => pattern.test(message))) return 'USER_VIOLATION';
  const numeric = Number(code);
  if (numeric === 429) return 'RATE_LIMIT';
  if ([401, 402, 433].includes(numeric)) return 'BILLING';
  if (numeric === 455 || numeric >= 500 || /temporarily paused|busy|timeout/i.test(message))
    return 'TEMPORARY';
  return 'UNKNOWN';
}
