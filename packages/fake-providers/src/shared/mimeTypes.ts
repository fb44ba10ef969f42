import { extname } from 'node:path';

const mimeByExtension: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.json': 'application/json',
};

/** Guesses a mime type from a file name, falling back to application/octet-stream. */
export function mimeTypeOf(fileName: string): string {
  return mimeByExtension[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

/** The extension for a mime type ('.bin' when unknown). */
export function extensionOf(mimeType: string): string {
  for (const [extension, type] of Object.entries(mimeByExtension)) if (type === mimeType) return extension;
  return '.bin';
}
