import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeHttpServer, type ListenOptions, sendJson, sleep } from '../shared/fakeHttpServer.js';
import { FaultScript } from '../shared/faultScript.js';
import { bearerToken, MalformedBodyError, readJsonObject } from '../shared/requestBody.js';
import { sampleFromJsonSchema } from './jsonSchemaSample.js';
import type { OpenAIFault } from './openaiFaults.js';
import { chatCompletionBody, type OpenAIFinish, openAIErrorBody, responseBody } from './openaiReplies.js';
import { describeRequest, type OpenAIApi, type OpenAIRequest } from './openaiRequests.js';

/** Produces the assistant text: a string is sent as is, an object is JSON-encoded. */
export type OpenAIResponder = (request: OpenAIRequest) => string | object | Promise<string | object>;

/** Construction options of FakeOpenAI. */
export interface FakeOpenAIOptions extends ListenOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get 401. */
  apiKey?: string;
  /** Produces the content (default: `defaultOpenAIResponder`). */
  responder?: OpenAIResponder;
  /** Delay before every answer (default 0). */
  latencyMs?: number;
  /** Record every request for `requests` (default true). */
  recordRequests?: boolean;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/** One recorded request. */
export interface OpenAIRecordedRequest extends OpenAIRequest {
  authorization: string | undefined;
  at: number;
  status: number;
}

/**
 * The default content: a value satisfying the requested JSON schema, built from the last user message;
 * without a schema, `{"prompt": "Vertical product video: <last user message>"}`.
 */
export const defaultOpenAIResponder: OpenAIResponder = (request) =>
  request.schema
    ? (sampleFromJsonSchema(request.schema, request.lastUserText) as object)
    : { prompt: `Vertical product video: ${request.lastUserText}` };

const routes: Record<string, OpenAIApi> = {
  '/v1/chat/completions': 'chat.completions',
  '/chat/completions': 'chat.completions',
  '/v1/responses': 'responses',
  '/responses': 'responses',
};

/**
 * A fake OpenAI API serving `POST /v1/chat/completions` and `POST /v1/responses` with realistic objects, so the
 * `openai` SDK's `chat.completions.parse` and `responses.parse` work against it. Use `baseURL: fake.baseURL`.
 */
export class FakeOpenAI extends FakeHttpServer {
  /** The content producer; may be replaced at any time. */
  responder: OpenAIResponder;
  /** Delay before every answer; may be changed at any time. */
  latencyMs: number;
  /** Recorded requests in arrival order. */
  readonly requests: OpenAIRecordedRequest[] = [];
  private readonly faults = new FaultScript<OpenAIApi, OpenAIFault>();
  private readonly options: FakeOpenAIOptions;
  private counter = 0;

  constructor(options: FakeOpenAIOptions = {}) {
    super(options);
    this.options = options;
    this.responder = options.responder ?? defaultOpenAIResponder;
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** Creates and starts a fake in one call. */
  static async start(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
    const fake = new FakeOpenAI(options);
    await fake.start();
    return fake;
  }

  /** The value for the SDK's `baseURL` option (`<url>/v1`). */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** The next `fault.times` (default 1) matching requests misbehave (see `openaiFaults`). */
  failNext(fault: OpenAIFault): void {
    this.faults.add(fault, (api) => fault.api === undefined || fault.api === api, fault.times ?? 1);
  }

  /** Programmed faults not used yet (Infinity for permanent ones). */
  get pendingFaults(): number {
    return this.faults.pending;
  }

  /** Forgets programmed faults. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Recorded requests of one endpoint. */
  requestsTo(api: OpenAIApi): OpenAIRecordedRequest[] {
    return this.requests.filter((request) => request.api === api);
  }

  protected override failureBody(message: string): object {
    return openAIErrorBody(message, 'server_error', null);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake.local').pathname;
    const api = req.method === 'POST' ? routes[path] : undefined;
    const headers = { 'x-request-id': `req_fake${++this.counter}`, 'openai-processing-ms': '1' };
    const error = (status: number, body: object, extra: Record<string, string> = {}) =>
      sendJson(res, status, body, { ...headers, ...extra });
    let body: Record<string, unknown>;
    try {
      body = await readJsonObject(req, 32 * 1024 * 1024);
    } catch (failure) {
      if (!(failure instanceof MalformedBodyError)) throw failure;
      return error(
        400,
        openAIErrorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null),
      );
    }
    if (!api) {
      return error(
        404,
        openAIErrorBody(`Invalid URL (${req.method} ${path})`, 'invalid_request_error', null),
      );
    }
    const request = describeRequest(api, body);
    const authorization = bearerToken(req);
    const record = (status: number) => {
      if (this.options.recordRequests ?? true) {
        this.requests.push({ ...request, authorization, at: (this.options.now ?? Date.now)(), status });
      }
    };
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    if (this.options.apiKey !== undefined && authorization !== this.options.apiKey) {
      record(401);
      const message = `Incorrect API key provided: ${String(authorization ?? '').slice(0, 7)}***.`;
      return error(401, openAIErrorBody(message, 'invalid_request_error', 'invalid_api_key'));
    }
    if (body.stream === true) {
      record(400);
      return error(
        400,
        openAIErrorBody('Streaming is not supported by FakeOpenAI.', 'invalid_request_error', null, 'stream'),
      );
    }
    const fault = this.faults.take(api);
    if (fault?.kind === 'error') {
      record(fault.status);
      const retry: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return error(
        fault.status,
        openAIErrorBody(fault.message, fault.type, fault.code, fault.param ?? null),
        retry,
      );
    }
    if (fault?.kind === 'hang') {
      record(0);
      return; // the socket stays open until the client aborts or the fake closes
    }
    if (fault?.kind === 'delay') await sleep(fault.ms);
    const finish = await this.finish(request, fault);
    const created = Math.floor((this.options.now ?? Date.now)() / 1000);
    const id = `fake${String(this.counter).padStart(8, '0')}`;
    record(200);
    const reply =
      api === 'chat.completions'
        ? chatCompletionBody(id, created, request.model, request.promptText, finish)
        : responseBody(id, created, body, request.promptText, finish);
    sendJson(res, 200, reply, headers);
  }

  private async finish(request: OpenAIRequest, fault: OpenAIFault | undefined): Promise<OpenAIFinish> {
    if (fault?.kind === 'refusal') return { kind: 'refusal', text: fault.message };
    const produced = await this.responder(request);
    const text = typeof produced === 'string' ? produced : JSON.stringify(produced);
    if (fault?.kind === 'malformed')
      return { kind: 'stop', text: text.slice(0, Math.max(1, Math.floor(text.length / 2))) };
    if (fault?.kind === 'truncated')
      return { kind: 'length', text: text.slice(0, Math.floor(text.length / 2)) };
    return { kind: 'stop', text };
  }
}
