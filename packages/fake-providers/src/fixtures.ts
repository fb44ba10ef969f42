import { fileURLToPath } from 'node:url';

/** Absolute paths of the fixture files shipped with this package (same layout in src/ and dist/). */
export const fixturePaths = {
  /** A 1024×768 JPEG product photo (25 631 bytes). */
  productPhoto: fileURLToPath(new URL('../fixtures/product.jpg', import.meta.url)),
  /** A short vertical MP4 (28 468 bytes), served as the KIE result video. */
  sampleVideo: fileURLToPath(new URL('../fixtures/sample-vertical.mp4', import.meta.url)),
} as const;
