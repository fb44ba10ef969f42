import { describe, expect, it } from 'vitest';
import { invoicePayload, packageForPayment, parseCreditPackages, parseInvoicePayload } from './packages.js';

const packages = parseCreditPackages('p5:5:250,p15:15:690');

describe('invoice payloads', () => {
  it('carry the package terms and the seller, and read back the same', () => {
    const payload = invoicePayload({ id: 'p5', credits: 5, stars: 250 }, 7_123_456_789);
    expect(payload).toBe('pkg:p5:5:250:u7123456789');
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(128); // Telegram's limit
    expect(parseInvoicePayload(payload)).toEqual({ id: 'p5', credits: 5, stars: 250, userId: 7_123_456_789 });
  });

  it('older payloads without the seller still read', () => {
    expect(parseInvoicePayload('pkg:p15:15:690')).toEqual({ id: 'p15', credits: 15, stars: 690 });
  });

  it('anything else is not ours', () => {
    for (const payload of ['', 'pkg:p5', 'pkg:p5:5:250:x1', 'buy 5 stars', 'pkg:p5:5:250:u12;drop'])
      expect(parseInvoicePayload(payload)).toBeUndefined();
  });

  it('a payment buys what its invoice said, or the package of its price', () => {
    expect(packageForPayment(packages, 'pkg:old:6:250:u1', 250)).toEqual({
      id: 'old',
      credits: 6,
      stars: 250,
    });
    expect(packageForPayment(packages, 'something else', 690)).toEqual({
      id: 'p15',
      credits: 15,
      stars: 690,
    });
    expect(() => packageForPayment(packages, 'something else', 1)).toThrow(/matches no package/);
  });
});
