import { Transform, type TransformCallback } from 'node:stream';

const headerEnd = Buffer.from('\r\n\r\n');
const maxHeaderBytes = 16 * 1024;

/**
 * grammY writes part headers as `content-disposition:form-data;name="x";filename=<raw name>`, with the name
 * unquoted and in raw UTF-8. The real Bot API accepts that, but busboy drops a part whose unquoted filename has
 * a space, non-ASCII letter or `(`. This stream rewrites such a filename into RFC 5987 form
 * (`filename*=utf-8''<percent-encoded>`) in part headers only: a header block is the text between a boundary
 * line and the first blank line, so file content is passed through untouched.
 */
export class MultipartFilenameShim extends Transform {
  private readonly marker: Buffer;
  private pending: Buffer = Buffer.alloc(0);
  private inHeader = false;

  constructor(boundary: string) {
    super();
    this.marker = Buffer.from(`--${boundary}\r\n`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.process();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending.length > 0) this.push(this.pending);
    callback();
  }

  private process(): void {
    for (;;) {
      if (!this.inHeader) {
        const index = this.pending.indexOf(this.marker);
        if (index === -1) {
          // Keep a tail that may hold the start of a marker split across chunks.
          const keep = Math.min(this.pending.length, this.marker.length - 1);
          if (this.pending.length > keep) this.push(this.pending.subarray(0, this.pending.length - keep));
          this.pending = this.pending.subarray(this.pending.length - keep);
          return;
        }
        const end = index + this.marker.length;
        this.push(this.pending.subarray(0, end));
        this.pending = this.pending.subarray(end);
        this.inHeader = true;
      }
      const end = this.pending.indexOf(headerEnd);
      if (end === -1) {
        if (this.pending.length <= maxHeaderBytes) return;
        this.inHeader = false; // not a header block after all; pass it through
        continue;
      }
      this.push(quoteFilename(this.pending.subarray(0, end + headerEnd.length)));
      this.pending = this.pending.subarray(end + headerEnd.length);
      this.inHeader = false;
    }
  }
}

/** Rewrites an unquoted `filename=` of a content-disposition header line; other headers stay as they are. */
export function quoteFilename(header: Buffer): Buffer {
  const text = header.toString('utf8');
  const fixed = text.replace(
    /^(content-disposition:[^\r\n]*?;\s*)filename=(?!")([^\r\n]*)/im,
    (_match, prefix: string, name: string) => `${prefix}filename*=utf-8''${encodeAttrValue(name.trim())}`,
  );
  return fixed === text ? header : Buffer.from(fixed, 'utf8');
}

/** Percent-encodes everything outside RFC 5987 attr-char (stricter than encodeURIComponent). */
function encodeAttrValue(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The boundary parameter of a multipart content type, if any. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2];
}
