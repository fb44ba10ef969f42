import { describe, expect, it } from 'vitest';
import { parseUpdate } from './telegram-updates.js';

describe('webhook bodies', () => {
  it('are updates only as JSON objects with a non-negative integer update_id', () => {
    const body = (text: string) => Buffer.from(text);
    expect(parseUpdate(body('{"update_id": 7, "message": {"text": "hi"}}'))).toMatchObject({ update_id: 7 });
    for (const bad of [
      '{"update_id": 7, "mess',
      '[1]',
      'null',
      '42',
      '{}',
      '{"update_id": "7"}',
      '{"update_id": -1}',
    ])
      expect(parseUpdate(body(bad)), bad).toBeUndefined();
  });
});
