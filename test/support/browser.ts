import { mkdirSync, writeFileSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import sharp from 'sharp';

/** Headless Chromium: Debian's (scripts/setup.sh installs it for `npm test`), or `CHROMIUM_PATH`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** What a screenshot shows: distinct colours, and the share of pixels that are not (near) white. */
export interface ScreenshotStats {
  colours: number;
  inkShare: number;
}

/**
 * Decodes a PNG screenshot and counts what is drawn on it, so a test can tell a page from a blank one. The
 * PNG is kept as test-results/<name>.png, to look at when the test fails.
 */
export async function screenshotStats(png: Buffer, name: string): Promise<ScreenshotStats> {
  mkdirSync('test-results', { recursive: true });
  writeFileSync(`test-results/${name}.png`, png);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  let ink = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const [r, g, b] = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 240 || g < 240 || b < 240) ink++;
  }
  return { colours: colours.size, inkShare: ink / (info.width * info.height) };
}
