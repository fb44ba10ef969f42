import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, sleep } from '../shared/fakeHttpServer.js';
import { bearerToken, drainBody, MalformedBodyError, readJsonObject } from '../shared/requestBody.js';
import { createTask, credit, downloadUrl, type KieState, kieError, recordInfo } from './kieJobsApi.js';
import { serveResultVideo } from './kieResultVideo.js';
import type { KieCall, KieReplyCall } from './kieTypes.js';
import type { KieUploadStore } from './kieUploads.js';

type Reply = { httpStatus: number; body: object };

const jsonLimit = 1024 * 1024;

/** Renames `msg` to `message` when the fake is set to the alternative doc spelling. */
export function withMessageField(body: object, field: 'msg' | 'message'): Record<string, unknown> {
  const payload: Record<string, unknown> = { ...body };
  if (field === 'message' && 'msg' in payload) {
    payload.message = payload.msg;
    delete payload.msg;
  }
  return payload;
}

/** Routes the jobs API, the upload API and the file routes of FakeKie, recording every call. */
export class KieHttpApi {
  /** Recorded calls in arrival order. */
  readonly recorded: KieCall[] = [];

  constructor(
    private readonly state: KieState,
    private readonly uploads: KieUploadStore,
    private readonly recordCalls: boolean,
  ) {}

  /** Handles one HTTP request end to end. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    const path = url.pathname;
    if (this.state.settings.latencyMs > 0) await sleep(this.state.settings.latencyMs);
    if ((req.method === 'GET' || req.method === 'HEAD') && path.startsWith('/files/')) {
      return this.serveResult(path.slice('/files/'.length), req, res);
    }
    if (req.method === 'GET' && path.startsWith('/uploads/')) {
      if (!this.uploads.serve(decodeURIComponent(path.slice('/uploads/'.length)), res)) notFound(res);
      return;
    }
    const apiKey = bearerToken(req);
    const call = { req, res, path, apiKey };
    if (!apiKey || !this.state.apiKeys.has(apiKey)) {
      await drainBody(req);
      return this.reply(call, undefined, kieError(this.state, 401, 'You do not have access permissions'));
    }
    try {
      await this.route(call, apiKey, url);
    } catch (error) {
      if (!(error instanceof MalformedBodyError)) throw error;
      this.reply(call, undefined, kieError(this.state, 422, error.message, 400));
    }
  }

  private async route(call: CallContext, apiKey: string, url: URL): Promise<void> {
    const { req } = call;
    const route = `${req.method} ${call.path}`;
    switch (route) {
      case 'POST /api/v1/jobs/createTask': {
        const body = await readJsonObject(req, jsonLimit);
        if (this.malformed(call, body, { route: 'createTask', body })) return;
        const created = createTask(this.state, apiKey, body);
        const { createReplyDelayMs } = this.state.settings;
        if (createReplyDelayMs > 0) await sleep(createReplyDelayMs);
        return this.reply(call, body, created);
      }
      case 'GET /api/v1/jobs/recordInfo': {
        const taskId = url.searchParams.get('taskId');
        const task = taskId ? this.state.tasks.get(taskId) : undefined;
        if (this.malformed(call, undefined, { route: 'recordInfo', task })) {
          if (task) task.polls += 1;
          return;
        }
        return this.reply(call, undefined, recordInfo(this.state, taskId));
      }
      case 'GET /api/v1/chat/credit':
        return this.reply(call, undefined, credit(this.state));
      case 'POST /api/v1/common/download-url': {
        const body = await readJsonObject(req, jsonLimit);
        return this.reply(call, body, downloadUrl(this.state, body));
      }
      case 'POST /api/file-stream-upload':
        return this.reply(call, undefined, await this.uploads.streamUpload(req));
      case 'POST /api/file-base64-upload': {
        const body = await readJsonObject(req, 150 * 1024 * 1024);
        const recorded = { ...body, base64Data: `<${String(body.base64Data ?? '').length} chars>` };
        return this.reply(call, recorded, await this.uploads.base64Upload(body));
      }
      case 'POST /api/file-url-upload': {
        const body = await readJsonObject(req, jsonLimit);
        return this.reply(call, body, await this.uploads.urlUpload(body));
      }
      default:
        await drainBody(req);
        return this.reply(call, undefined, kieError(this.state, 404, `Not found: ${route}`, 404));
    }
  }

  /** Sends a programmed malformed reply instead of the real answer, if one matches; true when it did. */
  private malformed(call: CallContext, body: unknown, context: KieReplyCall): boolean {
    const fault = this.state.malformedReplies.take(context);
    if (!fault) return false;
    const content = typeof fault.body === 'function' ? fault.body(context) : fault.body;
    const text = typeof content === 'string' ? content : JSON.stringify(content);
    const status = fault.httpStatus ?? 200;
    this.record(call, body, status, undefined);
    call.res.writeHead(status, {
      'content-type':
        fault.contentType ?? (typeof content === 'string' ? 'text/html; charset=utf-8' : 'application/json'),
      'content-length': Buffer.byteLength(text),
    });
    call.res.end(text);
    return true;
  }

  private reply(call: CallContext, body: unknown, reply: Reply): void {
    const payload = withMessageField(reply.body, this.state.settings.messageField);
    this.record(call, body, reply.httpStatus, typeof payload.code === 'number' ? payload.code : undefined);
    sendJson(call.res, reply.httpStatus, payload);
  }

  /** Keeps the call and how it was answered, when calls are recorded. */
  private record(call: CallContext, body: unknown, httpStatus: number, code: number | undefined): void {
    if (!this.recordCalls) return;
    const { req, path, apiKey } = call;
    this.recorded.push({
      method: req.method ?? 'GET',
      path,
      apiKey,
      body,
      at: this.state.now(),
      httpStatus,
      code,
    });
  }

  private async serveResult(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const task = this.state.tasks.get(name.replace(/\.mp4$/, ''));
    if (!task || this.state.tasks.stateOf(task) !== 'success') return notFound(res);
    await serveResultVideo(this.state.settings.resultVideo, req, res);
  }
}

interface CallContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  apiKey: string | undefined;
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('Not Found');
}
