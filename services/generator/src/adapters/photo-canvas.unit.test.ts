import { readFile } from 'node:fs/promises';
import { fixturePaths } from '@neurocards/fake-providers';
import sharp, { type Colour, type Sharp, type Stats } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { toVerticalCanvas } from './photo-canvas.js';
import { PhotoError } from './telegram-files.js';

type Rgb = [number, number, number];

// stats() reads the input, not the result of the pipeline, so the region is encoded first.
async function statsOf(image: Sharp): Promise<Stats> {
  return sharp(await image.png().toBuffer()).stats();
}

async function meanOf(image: Sharp): Promise<Rgb> {
  const { channels } = await statsOf(image);
  return [channels[0]?.mean ?? 0, channels[1]?.mean ?? 0, channels[2]?.mean ?? 0];
}

async function stdevOf(image: Sharp): Promise<number> {
  const { channels } = await statsOf(image);
  return Math.max(...channels.slice(0, 3).map((channel) => channel.stdev));
}

/** Mean absolute difference between horizontally adjacent pixels: low for blurred images. */
async function neighbourStep(image: Sharp): Promise<number> {
  const { data, info } = await sharp(await image.png().toBuffer())
    .raw()
    .toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = info.channels; i < data.length; i++) {
    sum += Math.abs((data[i] ?? 0) - (data[i - info.channels] ?? 0));
  }
  return sum / data.length;
}

async function pixel(bytes: Buffer, left: number, top: number): Promise<Rgb> {
  return meanOf(sharp(bytes).extract({ left, top, width: 4, height: 4 }));
}

function expectClose(actual: Rgb, expected: Rgb, tolerance: number): void {
  actual.forEach((value, channel) => {
    expect(Math.abs(value - (expected[channel] ?? 0))).toBeLessThanOrEqual(tolerance);
  });
}

async function expectPhotoError(promise: Promise<unknown>, code: PhotoError['code']): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(PhotoError);
  expect((error as PhotoError).code).toBe(code);
}

const solid = (width: number, height: number, background: Colour) =>
  sharp({ create: { width, height, channels: 3, background } });

describe('toVerticalCanvas', () => {
  let product: Buffer;

  beforeAll(async () => {
    product = await readFile(fixturePaths.productPhoto);
  });

  it('turns the 1024×768 fixture into a 1080×1920 JPEG without metadata', async () => {
    const canvas = await toVerticalCanvas(product);
    expect(canvas).toMatchObject({ mimeType: 'image/jpeg', width: 1080, height: 1920 });
    const metadata = await sharp(canvas.bytes).metadata();
    expect(metadata).toMatchObject({
      format: 'jpeg',
      width: 1080,
      height: 1920,
      channels: 3,
      hasAlpha: false,
    });
    expect(metadata.exif).toBeUndefined();
    expect(metadata.icc).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
  });

  it('keeps the photo sharp in the centre over a smooth blurred background', async () => {
    const { bytes } = await toVerticalCanvas(product);
    // 1024×768 fits as 1080×810, centred: rows 555 to 1364.
    const centre = await meanOf(sharp(bytes).extract({ left: 0, top: 555, width: 1080, height: 810 }));
    const original = await meanOf(sharp(product));
    expectClose(centre, original, 4);
    const middle = await meanOf(sharp(bytes).extract({ left: 270, top: 758, width: 540, height: 404 }));
    const originalMiddle = await meanOf(
      sharp(product).extract({ left: 256, top: 192, width: 512, height: 384 }),
    );
    expectClose(middle, originalMiddle, 6);

    // The colour bars become soft gradients: neighbouring pixels differ far less than in the photo.
    const topBand = sharp(bytes).extract({ left: 0, top: 0, width: 1080, height: 400 });
    expect(await neighbourStep(topBand)).toBeLessThan((await neighbourStep(sharp(product))) / 3);
  });

  it('blurs fine detail out of the background', async () => {
    const noise = Buffer.from(
      Array.from({ length: 800 * 600 * 3 }, (_, i) => ((i * 2654435761) >>> 24) & 255),
    );
    const photo = await sharp(noise, { raw: { width: 800, height: 600, channels: 3 } })
      .png()
      .toBuffer();
    expect(await stdevOf(sharp(photo))).toBeGreaterThan(60);
    const { bytes } = await toVerticalCanvas(photo);
    expect(await stdevOf(sharp(bytes).extract({ left: 0, top: 0, width: 1080, height: 400 }))).toBeLessThan(
      8,
    );
    expect(
      await stdevOf(sharp(bytes).extract({ left: 200, top: 800, width: 680, height: 320 })),
    ).toBeGreaterThan(25);
  });

  it('darkens the background', async () => {
    const { bytes } = await toVerticalCanvas(await solid(800, 600, '#c8c8c8').jpeg().toBuffer());
    const [red] = await meanOf(sharp(bytes).extract({ left: 0, top: 0, width: 1080, height: 300 }));
    expect(red).toBeGreaterThan(130);
    expect(red).toBeLessThan(170);
    const [centreRed] = await pixel(bytes, 538, 958);
    expect(centreRed).toBeGreaterThan(190);
  });

  it('flattens a PNG with alpha onto the background', async () => {
    const square = await solid(80, 80, '#ff0000').png().toBuffer();
    const png = await sharp({
      create: { width: 600, height: 400, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .composite([{ input: square, left: 260, top: 160 }])
      .png()
      .toBuffer();
    const { bytes } = await toVerticalCanvas(png);
    const metadata = await sharp(bytes).metadata();
    expect(metadata).toMatchObject({ format: 'jpeg', width: 1080, height: 1920, hasAlpha: false });
    const [r, g, b] = await pixel(bytes, 538, 958);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
    // Transparent areas show the light background instead of turning black.
    for (const [left, top] of [
      [10, 700],
      [10, 10],
    ] as const) {
      const corner = await pixel(bytes, left, top);
      for (const value of corner) expect(value).toBeGreaterThan(120);
    }
  });

  it('accepts a WebP photo', async () => {
    const webp = await sharp(product).webp({ quality: 80 }).toBuffer();
    const canvas = await toVerticalCanvas(webp);
    expect(await sharp(canvas.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 1080, height: 1920 });
  });

  it('accepts a greyscale 16-bit PNG and outputs colour', async () => {
    const png = await solid(500, 500, '#808080').greyscale().png().toColourspace('grey16').toBuffer();
    const canvas = await toVerticalCanvas(png);
    expect(await sharp(canvas.bytes).metadata()).toMatchObject({ width: 1080, height: 1920, channels: 3 });
  });

  it('honours another canvas size', async () => {
    const canvas = await toVerticalCanvas(product, { width: 720, height: 1280 });
    expect(canvas).toMatchObject({ width: 720, height: 1280 });
    expect(await sharp(canvas.bytes).metadata()).toMatchObject({ width: 720, height: 1280 });
  });

  it('refuses a photo whose shorter side is below the minimum', async () => {
    await expectPhotoError(toVerticalCanvas(await solid(100, 100, '#336699').png().toBuffer()), 'TOO_SMALL');
    await expectPhotoError(
      toVerticalCanvas(await solid(1200, 200, '#336699').jpeg().toBuffer()),
      'TOO_SMALL',
    );
    await expectPhotoError(toVerticalCanvas(product, { minSidePx: 800 }), 'TOO_SMALL');
  });

  it('refuses files that are not JPEG, PNG or WebP', async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    const gif = await solid(400, 400, '#ff0000').gif().toBuffer();
    const pdf = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');
    for (const bytes of [random, gif, pdf, Buffer.alloc(0)]) {
      await expectPhotoError(toVerticalCanvas(bytes), 'NOT_AN_IMAGE');
    }
  });

  it('refuses a truncated JPEG', async () => {
    await expectPhotoError(toVerticalCanvas(product.subarray(0, product.length / 2)), 'NOT_AN_IMAGE');
  });

  it('applies the EXIF orientation', async () => {
    // Stored landscape, red on the left and blue on the right; orientation 6 shows it turned a quarter
    // clockwise: a portrait photo, red on top and blue below.
    const blue = await solid(200, 300, '#0000ff').png().toBuffer();
    const stored = await solid(400, 300, '#ff0000')
      .composite([{ input: blue, left: 200, top: 0 }])
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(stored).metadata()).orientation).toBe(6);

    const { bytes } = await toVerticalCanvas(stored);
    // 300×400 upright fits as 1080×1440, rows 240 to 1679.
    const top = await pixel(bytes, 538, 500);
    const bottom = await pixel(bytes, 538, 1400);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
    expect((await sharp(bytes).metadata()).orientation).toBeUndefined();
  });
});
