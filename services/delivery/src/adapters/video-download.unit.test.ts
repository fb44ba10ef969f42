import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeFileHost, fixturePaths } from '@neurocards/fake-providers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadVideo, MemoryBudget, VideoDownloadError } from './video-download.js';

const sample = readFileSync(fixturePaths.sampleVideo);
let host: FakeFileHost;
let tmpDir: string;

beforeAll(async () => {
  host = await FakeFileHost.start();
  tmpDir = mkdtempSync(join(tmpdir(), 'nc-download-test-'));
});
afterAll(async () => {
  await host.close();
  rmSync(tmpDir, { recursive: true, force: true });
});
afterEach(() => {
  // Every path out leaves the temporary directory as it found it.
  expect(readdirSync(tmpDir)).toEqual([]);
});

const limits = (memory?: MemoryBudget) => ({ maxBytes: 10 * 1024 * 1024, timeoutMs: 10_000, tmpDir, memory });

describe('downloadVideo', () => {
  it('holds a small video in memory while the budget allows, and gives the budget back', async () => {
    const memory = new MemoryBudget(1024 * 1024);
    const video = await downloadVideo(host.add('small.mp4'), limits(memory));
    expect(Buffer.isBuffer(video.source)).toBe(true);
    expect(Buffer.compare(video.source as Buffer, sample)).toBe(0);
    expect(video.bytes).toBe(sample.length);
    expect(memory.usedBytes).toBe(sample.length);
    expect(readdirSync(tmpDir)).toEqual([]);
    await video.remove();
    await video.remove();
    expect(memory.usedBytes).toBe(0);
  });

  it('streams to a temporary file without a budget, when the video is large, or when the budget is spent', async () => {
    // Four videos of the sample's size in flight spend this budget.
    const spent = new MemoryBudget(4 * sample.length);
    const held = Array.from({ length: 4 }, () => spent.take(sample.length));
    expect(held.every(Boolean)).toBe(true);
    const cases = [
      { memory: undefined, name: 'no-budget.mp4', size: undefined },
      { memory: new MemoryBudget(0), name: 'zero-budget.mp4', size: undefined },
      // More than a quarter of the budget: one video may not take it all.
      { memory: new MemoryBudget(4 * 1024 * 1024), name: 'large.mp4', size: 1024 * 1024 + 1 },
      { memory: spent, name: 'spent.mp4', size: undefined },
    ];
    for (const { memory, name, size } of cases) {
      const url = host.add(name, size ? { video: { sizeBytes: size } } : {});
      const video = await downloadVideo(url, limits(memory));
      expect(typeof video.source, name).toBe('string');
      const path = video.source as string;
      expect(readFileSync(path).length, name).toBe(size ?? sample.length);
      await video.remove();
      expect(existsSync(path), name).toBe(false);
    }
    for (const giveBack of held) giveBack?.();
    expect(spent.usedBytes).toBe(0);
  });

  it('fails clearly on a status, a page instead of a video, an oversized video and a cut connection, leaving nothing behind', async () => {
    const memory = new MemoryBudget(1024 * 1024);
    const failures: Array<[string, string, number | undefined]> = [];
    const urls = [
      host.add('gone.mp4', { status: 404 }),
      host.add('page.mp4', { contentType: 'text/html' }),
      host.add('huge.mp4', { video: { sizeBytes: 11 * 1024 * 1024 } }),
      host.add('cut.mp4', { cutFirst: 1 }),
    ];
    for (const url of urls) {
      const error = await downloadVideo(url, limits(memory)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VideoDownloadError);
      const { code, status } = error as VideoDownloadError;
      failures.push([url.split('/').at(-1) ?? '', code, status]);
    }
    expect(failures).toEqual([
      ['gone.mp4', 'HTTP', 404],
      ['page.mp4', 'NOT_A_VIDEO', undefined],
      ['huge.mp4', 'TOO_LARGE', undefined],
      ['cut.mp4', 'NETWORK', undefined],
    ]);
    expect(memory.usedBytes).toBe(0);
  });
});
