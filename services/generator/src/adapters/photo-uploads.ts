import type { Pool } from 'pg';

// Bump when the canvas changes (size, background), so older uploads are not reused for the new look.
const CANVAS_VERSION = 1;

/**
 * The seller's photo, turned into the 9:16 canvas and uploaded to KIE, by Telegram's file_unique_id: the
 * jobs of one order, and "Another one with this product", share one photo, so it is downloaded, drawn and
 * uploaded once. KIE keeps uploads for a day or more (reference §1.7 gives 24 h to 3 days), so an upload is
 * reused for `reuseMs` only. Within a replica, jobs asking for the same photo at once wait for one upload.
 */
export class PhotoUploads {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly pool: Pool,
    private readonly reuseMs: number,
  ) {}

  async urlFor(fileUniqueId: string, upload: () => Promise<string>): Promise<string> {
    const key = `${CANVAS_VERSION}:${fileUniqueId}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const work = this.lookUpOrUpload(key, upload).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }

  private async lookUpOrUpload(key: string, upload: () => Promise<string>): Promise<string> {
    const { rows } = await this.pool.query<{ image_url: string }>(
      `SELECT image_url FROM generator.photo_uploads
       WHERE photo_key = $1 AND uploaded_at > now() - $2 * interval '1 millisecond'`,
      [key, this.reuseMs],
    );
    if (rows[0]) return rows[0].image_url;
    const url = await upload();
    await this.pool.query(
      `INSERT INTO generator.photo_uploads (photo_key, image_url) VALUES ($1, $2)
       ON CONFLICT (photo_key) DO UPDATE SET image_url = excluded.image_url, uploaded_at = now()`,
      [key, url],
    );
    return url;
  }
}
