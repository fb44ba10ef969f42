import { describe, expect, it } from 'vitest';
import { busNames, streamCategory, streamIds } from './names.js';

describe('busNames', () => {
  it('derives stream, subject and durable names from the prefix', () => {
    const names = busNames('nc');
    expect(names.eventStream).toBe('NC_EVENTS');
    expect(names.eventSubject('GenerationRequested')).toBe('nc.evt.GenerationRequested');
    expect(names.deadLetterSubject('billing--GenerationRequested')).toBe(
      'nc.dlq.billing--GenerationRequested',
    );
    expect(names.durableName('billing', 'GenerationRequested')).toBe('billing--GenerationRequested');
  });

  it('refuses prefixes that would break subject or stream names', () => {
    for (const bad of ['', 'NC', 'a.b', 'a b', 'a>', '1abc']) expect(() => busNames(bad)).toThrow(/prefix/);
  });
});

describe('streamIds', () => {
  it('builds ids whose category is the stream kind', () => {
    expect(streamCategory(streamIds.credits(7))).toBe('credits');
    expect(streamCategory(streamIds.job('0b6f9c1e-2a57-4c55-b7a3-7f0e5b1f7c11'))).toBe('job');
    expect(streamIds.payment('tg_charge_1')).toBe('payment-tg_charge_1');
  });
});
