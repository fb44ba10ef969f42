import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Waiters } from '../shared/waiters.js';
import type { KieCallbackDelivery } from './kieTypes.js';

/** base64(HMAC-SHA256(taskId + "." + timestamp, hmacKey)), the X-Webhook-Signature of KIE callbacks. */
export function kieCallbackSignature(taskId: string, timestampSeconds: string, hmacKey: string): string {
  return createHmac('sha256', hmacKey).update(`${taskId}.${timestampSeconds}`).digest('base64');
}

/** Options of the callback sender. */
export interface KieCallbackOptions {
  hmacKey: () => string | undefined;
  now: () => number;
  /** Abort a callback POST after this long (default 15 s). */
  timeoutMs: number;
  /** POST attempts per callback (KIE's retry policy is unverified; default 1). */
  attempts: number;
  retryDelayMs: number;
}

/** POSTs task results to `callBackUrl`, signed when an HMAC key is set, and records every attempt. */
export class KieCallbackSender {
  /** Every attempt with status or error. */
  readonly deliveries: KieCallbackDelivery[] = [];
  private readonly inFlight = new AbortController();
  private readonly waiters = new Waiters<KieCallbackDelivery>();
  // Plain node:http with kept-alive connections: fetch costs several times more CPU per POST, and the
  // benchmarks run this fake on the cores they measure.
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly options: KieCallbackOptions) {}

  /** Sends one callback, retrying up to `attempts` times on a non-2xx answer or network error. */
  async send(taskId: string, url: string, body: unknown): Promise<void> {
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      const delivery = await this.post(taskId, url, body);
      if (delivery.status !== undefined && delivery.status >= 200 && delivery.status < 300) return;
      if (this.inFlight.signal.aborted) return;
      if (attempt < this.options.attempts) await new Promise((r) => setTimeout(r, this.options.retryDelayMs));
    }
  }

  /** Resolves with the first attempt (past or future) for the task. */
  waitFor(taskId: string, timeoutMs: number): Promise<KieCallbackDelivery> {
    const existing = this.deliveries.find((delivery) => delivery.taskId === taskId);
    if (existing) return Promise.resolve(existing);
    return this.waiters.wait(
      (delivery) => delivery.taskId === taskId,
      timeoutMs,
      () => `waitForCallback(${taskId}) timed out after ${timeoutMs} ms`,
    );
  }

  /** Aborts POSTs in flight and rejects pending waits. */
  close(): void {
    this.inFlight.abort();
    this.agent.destroy();
    this.waiters.rejectAll('FakeKie closed');
  }

  private async post(taskId: string, url: string, body: unknown): Promise<KieCallbackDelivery> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const hmacKey = this.options.hmacKey();
    if (hmacKey) {
      const timestamp = String(Math.floor(this.options.now() / 1000));
      headers['x-webhook-timestamp'] = timestamp;
      headers['x-webhook-signature'] = kieCallbackSignature(taskId, timestamp, hmacKey);
    }
    const delivery: KieCallbackDelivery = { taskId, url, body, headers, at: this.options.now() };
    try {
      delivery.status = await postJson(this.agent, url, headers, JSON.stringify(body), {
        signal: AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    this.deliveries.push(delivery);
    this.waiters.offer(delivery);
    return delivery;
  }
}

/** POSTs a JSON body and resolves with the status once the answer has been read to its end. */
function postJson(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
  { signal }: { signal: AbortSignal },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers, signal }, (res) => {
      res.on('error', reject);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.resume();
    });
    req.on('error', reject);
    req.end(body);
  });
}
