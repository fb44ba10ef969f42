import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boundaryOf, MultipartFilenameShim } from './multipartFilenameShim.js';

async function throughShim(body: Buffer, chunkSize: number): Promise<string> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkSize) chunks.push(body.subarray(i, i + chunkSize));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(new MultipartFilenameShim('XyZ')))
    out.push(chunk as Buffer);
  return Buffer.concat(out).toString('utf8');
}

describe('MultipartFilenameShim', () => {
  const content = 'payload\r\ncontent-disposition:form-data;name="evil";filename=not a header\r\n\r\nend';
  const body = Buffer.from(
    '--XyZ\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n42' +
      '\r\n--XyZ\r\ncontent-disposition:form-data;name="abc";filename=моё видео (1).mp4\r\n' +
      `content-type:application/octet-stream\r\n\r\n${content}` +
      '\r\n--XyZ--\r\n',
  );
  const expected = body
    .toString('utf8')
    .replace('filename=моё видео (1).mp4', `filename*=utf-8''${encodeURIComponent('моё видео ')}%281%29.mp4`);

  it('quotes unquoted filenames in part headers only, whatever the chunking', async () => {
    for (const chunkSize of [1, 3, 7, 64, 4096]) {
      expect(await throughShim(body, chunkSize), `chunk size ${chunkSize}`).toBe(expected);
    }
    expect(expected).toContain(content);
  });

  it('reads the boundary of a content type', () => {
    expect(boundaryOf('multipart/form-data; boundary=----abc')).toBe('----abc');
    expect(boundaryOf('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(boundaryOf('application/json')).toBeUndefined();
  });
});
