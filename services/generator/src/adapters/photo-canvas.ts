import sharp, { type Metadata } from 'sharp';
import { PhotoError } from './telegram-files.js';

/** A JPEG ready to hand to the video model. */
export interface CanvasImage {
  bytes: Buffer;
  mimeType: 'image/jpeg';
  width: number;
  height: number;
}

/** Canvas size and the smallest photo side we accept. */
export interface CanvasOptions {
  width?: number;
  height?: number;
  minSidePx?: number;
}

const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp']);
// The background is blurred at a quarter of the canvas size and scaled up: the same look as blurring at full
// size with sigma 30, at a fraction of the cost.
const BACKGROUND_SCALE = 4;
const BACKGROUND_SIGMA = 30;
const BACKGROUND_BRIGHTNESS = 0.75;
// Transparent areas of cut-out product photos are meant to sit on white.
const TRANSPARENT_BACKDROP = '#ffffff';
const JPEG_QUALITY = 88;

/**
 * Puts a product photo on a vertical canvas (1080×1920 by default) for image-to-video models: the photo fits
 * centred, over a blurred, darkened copy of itself that covers the canvas. EXIF orientation is applied and
 * metadata is stripped. A smaller photo is scaled up until it touches the canvas edges: the product filling
 * the frame matters more to the video model than the softness of a moderate upscale.
 */
export async function toVerticalCanvas(photo: Buffer, options: CanvasOptions = {}): Promise<CanvasImage> {
  const width = options.width ?? 1080;
  const height = options.height ?? 1920;
  const minSide = options.minSidePx ?? 256;

  const metadata = await readMetadata(photo);
  if (!metadata || !ACCEPTED_FORMATS.has(metadata.format)) {
    throw new PhotoError('NOT_AN_IMAGE', 'the file is not a JPEG, PNG or WebP image');
  }
  const { width: photoWidth, height: photoHeight } = metadata.autoOrient;
  if (Math.min(photoWidth, photoHeight) < minSide) {
    throw new PhotoError(
      'TOO_SMALL',
      `the photo is ${photoWidth}×${photoHeight}, at least ${minSide} px needed`,
    );
  }

  try {
    const [background, foreground] = await Promise.all([
      blurredBackground(photo, width, height),
      fittedForeground(photo, width, height),
    ]);
    // Compositing the raw foreground keeps its alpha, so transparent parts blend onto the background and the
    // JPEG encoder gets an opaque image.
    const bytes = await sharp(background.data, { raw: background.info })
      .resize(width, height, { fit: 'fill' })
      .composite([{ input: foreground.data, raw: foreground.info, gravity: 'centre' }])
      .jpeg({ quality: JPEG_QUALITY })
      .toBuffer();
    return { bytes, mimeType: 'image/jpeg', width, height };
  } catch (error) {
    // The header was fine but the pixels were not (truncated or corrupt file).
    throw new PhotoError('NOT_AN_IMAGE', `the photo could not be decoded: ${(error as Error).message}`);
  }
}

async function readMetadata(photo: Buffer): Promise<Metadata | undefined> {
  try {
    return await sharp(photo).metadata();
  } catch {
    return undefined; // sharp throws on empty or unrecognised input, synchronously for an empty buffer
  }
}

interface RawImage {
  data: Buffer;
  info: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
}

async function blurredBackground(photo: Buffer, width: number, height: number): Promise<RawImage> {
  const { data, info } = await sharp(photo)
    .rotate()
    .resize(Math.round(width / BACKGROUND_SCALE), Math.round(height / BACKGROUND_SCALE), { fit: 'cover' })
    .flatten({ background: TRANSPARENT_BACKDROP })
    .toColourspace('srgb')
    .blur(BACKGROUND_SIGMA / BACKGROUND_SCALE)
    .linear(BACKGROUND_BRIGHTNESS, 0)
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, info: { width: info.width, height: info.height, channels: info.channels } };
}

async function fittedForeground(photo: Buffer, width: number, height: number): Promise<RawImage> {
  const { data, info } = await sharp(photo)
    .rotate()
    .resize(width, height, { fit: 'inside' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, info: { width: info.width, height: info.height, channels: info.channels } };
}
