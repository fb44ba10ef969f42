import { type AnyNewEvent, newEvent, streamIds } from '@neurocards/contracts';
import { FakeFileHost, FakeTelegram, fixturePaths } from '@neurocards/fake-providers';
import { EventStore, inTransaction } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  orderRequests,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { Api, InputFile } from 'grammy';
import { formatRate, printTable, rateOver } from './measure.js';
import { startServiceProcess } from './service-process.js';

export interface DeliveryResult {
  deliveriesPerSecond: number;
  bareUploadsPerSecond: number;
  ratioToBareUploads: number;
  bigVideos: number;
  bigVideoBytes: number;
  idleRssMb: number;
  peakRssMb: number;
}

const CONCURRENCY = 16;

/**
 * Delivery as its own process against a fake Telegram answering at once: finished jobs per second from
 * VideoReady to VideoDelivered (download, multipart upload, events), beside bare grammY uploads of the
 * same file at the same concurrency, measured in the same run. Then peak RSS while `bigVideos` videos of
 * `bigVideoBytes` each are sent at once: the files stream through, they are never held in memory.
 */
export async function deliveryBenchmark(
  durationMs: number,
  bigVideos = 20,
  bigVideoBytes = 50_000_000,
): Promise<DeliveryResult> {
  const db = await createTestDatabase('bench_delivery', 20);
  const bus = await createTestBus('benchdlv');
  const telegram = await FakeTelegram.start({ recordCalls: false });
  const files = await FakeFileHost.start();
  const store = new EventStore(db.pool);
  const delivery = await startServiceProcess('delivery', {
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl,
    BUS_PREFIX: bus.prefix,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    CONSUMER_CONCURRENCY: String(Math.max(CONCURRENCY, bigVideos)),
    // The throughput of the pipeline, not Telegram's flood limits (25/s by default), is measured here.
    TELEGRAM_GLOBAL_RATE: '1000000',
  });
  const delivered = async () =>
    (await db.pool.query(`SELECT count(*)::int AS n FROM es.events WHERE type = 'VideoDelivered'`)).rows[0]
      .n as number;
  let nextChat = 6_000_000;
  /** Appends `count` finished jobs (request + VideoReady), each to its own chat. */
  const finishJobs = async (count: number, videoUrl: string) => {
    await inTransaction(db.pool, async (client) => {
      for (let i = 0; i < count; i++) {
        const [request] = orderRequests({ userId: nextChat++, product: 'Bench product' });
        if (!request) throw new Error('no request');
        const { jobId, userId } = request.data;
        const events: AnyNewEvent[] = [
          request,
          newEvent(
            'VideoReady',
            { jobId, userId, videoUrl, model: 'kling-2.6/image-to-video', taskId: `t-${jobId}` },
            { correlationId: jobId },
          ),
        ];
        await store.append(streamIds.job(jobId), events, { expectedVersion: 'no_stream', client });
      }
    });
  };
  try {
    // Memory first, on the fresh process: big videos at once.
    const idleRss = await delivery.metric('process_resident_memory_bytes');
    const big = files.add('big.mp4', { video: { sizeBytes: bigVideoBytes } });
    const bigBefore = await delivered();
    await finishJobs(bigVideos, big);
    let peakRss = idleRss;
    await waitFor(
      `${bigVideos} big videos delivered`,
      async () => {
        peakRss = Math.max(peakRss, await delivery.metric('process_resident_memory_bytes'));
        return (await delivered()) >= bigBefore + bigVideos;
      },
      { timeoutMs: 300_000, intervalMs: 100 },
    );

    // Bare uploads: grammY straight to the fake, the same file, the same concurrency.
    const api = new Api(telegram.token, { apiRoot: telegram.url });
    let chat = 1;
    const bare = await rateOver(durationMs, CONCURRENCY, async () => {
      await api.sendVideo(chat++, new InputFile(fixturePaths.sampleVideo, 'video.mp4'), {
        supports_streaming: true,
      });
      return 1;
    });

    // The pipeline: jobs keep arriving faster than they go, for the same time.
    const sample = files.add('sample.mp4');
    const before = await delivered();
    const started = performance.now();
    const feeding = (async () => {
      while (performance.now() - started < durationMs) {
        const backlog = nextChat - 6_000_000 - ((await delivered()) - before);
        if (backlog < 400) await finishJobs(200, sample);
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await feeding;
    const seconds = (performance.now() - started) / 1000;
    const pipelineRate = ((await delivered()) - before) / seconds;
    await waitFor('the backlog to clear', async () => (await delivered()) >= nextChat - 6_000_000, {
      timeoutMs: 120_000,
      intervalMs: 200,
    });

    const result: DeliveryResult = {
      deliveriesPerSecond: pipelineRate,
      bareUploadsPerSecond: bare.perSecond,
      ratioToBareUploads: pipelineRate / bare.perSecond,
      bigVideos,
      bigVideoBytes,
      idleRssMb: idleRss / 2 ** 20,
      peakRssMb: peakRss / 2 ** 20,
    };
    printTable('Delivery: one replica, fake Telegram answering at once', [
      ['bare grammY uploads of the sample video', formatRate(bare.perSecond), `${CONCURRENCY} at once`],
      ['deliveries, VideoReady to VideoDelivered', formatRate(pipelineRate), 'download, upload, events'],
      ['ratio', `${(result.ratioToBareUploads * 100).toFixed(0)}%`],
      ['RSS of the replica, idle', `${result.idleRssMb.toFixed(0)} MB`],
      [
        `peak RSS, ${bigVideos} videos of ${(bigVideoBytes / 1e6).toFixed(0)} MB at once`,
        `${result.peakRssMb.toFixed(0)} MB`,
        'target < 200 MB',
      ],
    ]);
    return result;
  } finally {
    await delivery.stop();
    await Promise.all([telegram.close(), files.close()]);
    await bus.destroy();
    await db.drop();
  }
}
