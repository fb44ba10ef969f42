import { randomUUID } from 'node:crypto';
import { timeOrderedUuid } from '@neurocards/contracts';
import type { Pool } from 'pg';

// A synthetic but valid history for the projector benchmarks: sellers register, get free credits, order
// videos (most delivered, one in ten failing after a retry and refunded) and some buy credits. Every event
// fits its schema, so the projections do their full work on it.

interface Row {
  stream: string;
  type: string;
  data: unknown;
  correlation: string;
}

const model = 'kling-2.6/image-to-video';

function* sellerHistory(userId: number): Generator<Row> {
  const credits = `credits-${userId}`;
  yield {
    stream: `user-${userId}`,
    type: 'UserRegistered',
    data: {
      userId,
      chatId: userId,
      username: `seller${userId}`,
      firstName: 'Seller',
      language: 'ru',
      referrerId: userId % 5 === 0 ? userId - 1 : null,
    },
    correlation: `user-${userId}`,
  };
  yield { stream: credits, type: 'FreeCreditsGranted', data: { userId, amount: 2 }, correlation: credits };
  if (userId % 4 === 0) {
    const chargeId = `charge-${userId}`;
    yield {
      stream: `payment-${chargeId}`,
      type: 'PaymentReceived',
      data: { userId, chargeId, stars: 250, payload: 'p5' },
      correlation: chargeId,
    };
    yield {
      stream: credits,
      type: 'CreditsPurchased',
      data: { userId, chargeId, packageId: 'p5', stars: 250, credits: 5 },
      correlation: chargeId,
    };
  }
  for (let n = 0; n < 4; n++) {
    const jobId = randomUUID();
    const job = `job-${jobId}`;
    const ref = { userId, jobId };
    yield {
      stream: job,
      type: 'GenerationRequested',
      data: {
        ...ref,
        orderId: jobId,
        orderJobIds: [jobId],
        chatId: userId,
        language: 'ru',
        photo: { fileId: 'photo', fileUniqueId: 'photo-u' },
        product: 'Ceramic mug, 350 ml',
        templateId: 'studio',
        wishes: null,
        model,
        cost: 1,
      },
      correlation: jobId,
    };
    yield {
      stream: credits,
      type: 'CreditReserved',
      data: { ...ref, orderId: jobId, amount: 1, expiresAt: '2026-11-01T10:30:00.000Z' },
      correlation: jobId,
    };
    yield {
      stream: job,
      type: 'PromptPrepared',
      data: { ...ref, prompt: 'A mug on a table', source: 'model' },
      correlation: jobId,
    };
    yield {
      stream: job,
      type: 'GenerationSubmitted',
      data: { ...ref, attempt: 1, model, taskId: `t-${jobId}`, keyId: 'k1' },
      correlation: jobId,
    };
    if ((userId + n) % 10 === 0) {
      const failure = { ...ref, errorClass: 'USER_VIOLATION', code: '400', message: 'people in the photo' };
      yield {
        stream: job,
        type: 'GenerationAttemptFailed',
        data: { ...failure, attempt: 1, model, retryAt: null },
        correlation: jobId,
      };
      yield { stream: job, type: 'GenerationFailed', data: { ...failure, attempts: 1 }, correlation: jobId };
      yield {
        stream: credits,
        type: 'CreditRefunded',
        data: { ...ref, amount: 1, reason: 'generation_failed' },
        correlation: jobId,
      };
      continue;
    }
    yield {
      stream: job,
      type: 'VideoReady',
      data: { ...ref, videoUrl: 'https://files.example/v.mp4', model, taskId: `t-${jobId}` },
      correlation: jobId,
    };
    yield {
      stream: job,
      type: 'VideoDelivered',
      data: { ...ref, messageId: 1, bytes: 1_000_000, sentAs: 'video' },
      correlation: jobId,
    };
    yield { stream: credits, type: 'CreditCaptured', data: { ...ref, amount: 1 }, correlation: jobId };
  }
}

/**
 * Stores `count` events of the synthetic history straight into es.events, 10,000 rows per statement, spread
 * over 60 days of event time. Returns how long it took.
 */
export async function storeHistory(pool: Pool, count: number): Promise<{ seconds: number }> {
  const started = performance.now();
  const versions = new Map<string, number>();
  const from = Date.parse('2026-09-01T00:00:00.000Z');
  const step = (60 * 86_400_000) / count;
  let columns: unknown[][] = [[], [], [], [], [], [], []];
  const flush = async () => {
    if (columns[0]?.length === 0) return;
    await pool.query(
      `INSERT INTO es.events (stream_id, stream_version, event_id, type, schema_version, data, correlation_id, occurred_at)
       SELECT s, v, e, t, 1, d, c, o
       FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::jsonb[], $6::text[], $7::timestamptz[])
         AS x(s, v, e, t, d, c, o)`,
      columns,
    );
    columns = [[], [], [], [], [], [], []];
  };
  let stored = 0;
  for (let userId = 9_000_001; stored < count; userId++) {
    for (const row of sellerHistory(userId)) {
      if (stored >= count) break;
      const version = (versions.get(row.stream) ?? 0) + 1;
      versions.set(row.stream, version);
      const values = [
        row.stream,
        version,
        timeOrderedUuid(),
        row.type,
        JSON.stringify(row.data),
        row.correlation,
        new Date(from + stored * step).toISOString(),
      ];
      values.forEach((value, i) => {
        columns[i]?.push(value);
      });
      stored += 1;
      if ((columns[0]?.length ?? 0) >= 10_000) await flush();
    }
    // Streams of finished sellers are never appended to again.
    if (versions.size > 50_000) versions.clear();
  }
  await flush();
  return { seconds: (performance.now() - started) / 1000 };
}
