import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type HttpRoute, type ServiceContext, send } from '@neurocards/runtime/shell';
import pg from 'pg';
import { z } from 'zod';
import type { GeneratorConfig } from '../config.js';
import { JOB_DUE, jobSignals } from './job-signals.js';

const { escapeLiteral } = pg;
const BODY_LIMIT = 256 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_CLOCK_SKEW_S = 300;

const callbackBody = z.object({ data: z.object({ taskId: z.string().min(1) }).passthrough() }).passthrough();

/**
 * KIE's completion callback: POST /kie/callback/<jobId>/<token>. The per-job token is unguessable and, when
 * KIE_WEBHOOK_HMAC_KEY is set, the signature must match (reference §1.4). A valid callback only makes the
 * job due now: the scheduler then asks recordInfo, so a forged or lost callback can change nothing, and
 * polling stays the fallback.
 */
export function kieCallbackRoute(service: ServiceContext<GeneratorConfig>): HttpRoute {
  return {
    method: 'POST',
    path: '/kie/callback/*',
    async handle(req, res) {
      const [, , , jobId = '', token = ''] = new URL(req.url ?? '/', 'http://localhost').pathname.split('/');
      // Checked here, not by PostgreSQL: the statement shares its round trip with other jobs', and one that
      // fails makes the whole batch run again call by call.
      if (!UUID.test(jobId) || !/^[A-Za-z0-9_-]{16,200}$/.test(token))
        return send(res, 404, { error: 'unknown callback' });
      const raw = await readBody(req, BODY_LIMIT).catch(() => undefined);
      if (raw === undefined) return send(res, 413, { error: 'body too large' });
      let parsed: z.infer<typeof callbackBody>;
      try {
        parsed = callbackBody.parse(JSON.parse(raw));
      } catch {
        return send(res, 400, { error: 'not a KIE callback body' });
      }
      const hmacKey = service.config.KIE_WEBHOOK_HMAC_KEY;
      if (hmacKey && !validSignature(req, parsed.data.taskId, hmacKey)) {
        service.logger.warn({ jobId }, 'KIE callback with a bad signature refused');
        return send(res, 401, { error: 'bad signature' });
      }
      // Checks the token and makes the job due in one statement. The digests are compared, not the tokens,
      // so how long the comparison takes tells nothing about the token. A finished job keeps its schedule.
      // Plain SQL (the job id is checked above, the token quoted), to share a round trip with other jobs'.
      const [due] = await service.statements.run([
        `UPDATE generator.jobs SET next_run_at = CASE WHEN done THEN next_run_at ELSE now() END
          WHERE job_id = ${escapeLiteral(jobId)}::uuid
            AND sha256(convert_to(callback_token, 'UTF8')) = sha256(convert_to(${escapeLiteral(token)}, 'UTF8'))`,
      ]);
      if (due?.rowCount !== 1) return send(res, 404, { error: 'unknown callback' });
      jobSignals.emit(JOB_DUE);
      send(res, 200, { ok: true });
    },
  };
}

/** `X-Webhook-Signature` = base64(HMAC-SHA256(taskId + "." + timestamp)), with a fresh `X-Webhook-Timestamp`. */
export function validSignature(req: IncomingMessage, taskId: string, hmacKey: string): boolean {
  const timestamp = String(req.headers['x-webhook-timestamp'] ?? '');
  const signature = String(req.headers['x-webhook-signature'] ?? '');
  if (!/^\d{9,11}$/.test(timestamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > MAX_CLOCK_SKEW_S) return false;
  const expected = createHmac('sha256', hmacKey).update(`${taskId}.${timestamp}`).digest('base64');
  return sameText(expected, signature);
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(new Error('body too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
