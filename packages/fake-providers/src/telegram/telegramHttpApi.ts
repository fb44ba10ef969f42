import type { IncomingMessage, ServerResponse } from 'node:http';
import { destroyConnection, sendJson, sleep } from '../shared/fakeHttpServer.js';
import type { FaultScript } from '../shared/faultScript.js';
import { readMultipart } from '../shared/multipartUpload.js';
import { BodyTooLargeError, drainBody, mediaType, parseFormOrJson, readBody } from '../shared/requestBody.js';
import { TelegramApiError, type TelegramFault, telegramDescriptions } from './telegramErrors.js';
import { TelegramParams } from './telegramParams.js';
import type { MethodHandler, TelegramState } from './telegramState.js';
import type { TelegramTelemetry } from './telegramTelemetry.js';

/** Settings of the HTTP layer that tests may change while the fake runs. */
export interface TelegramHttpSettings {
  latencyMs: number;
  uploadDir: string | undefined;
  maxUploadBytes: number;
  uploadHeadBytes: number;
}

/** Routes `/bot<token>/<method>` and `/file/bot<token>/<path>` requests to the method handlers. */
export class TelegramHttpApi {
  private readonly methods = new Map<string, { name: string; handler: MethodHandler }>();

  constructor(
    private readonly token: string,
    private readonly state: TelegramState,
    private readonly telemetry: TelegramTelemetry,
    private readonly faults: FaultScript<string, TelegramFault>,
    readonly settings: TelegramHttpSettings,
    methodGroups: Record<string, MethodHandler>[],
  ) {
    for (const group of methodGroups) {
      for (const [name, handler] of Object.entries(group))
        this.methods.set(name.toLowerCase(), { name, handler });
    }
  }

  /** Handles one HTTP request end to end. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    if (url.pathname.startsWith('/file/bot')) return this.serveFile(url.pathname, req, res);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return drainAndAnswer(req, res, new TelegramApiError(404, telegramDescriptions.notFound));
    const [, token = '', calledName = ''] = match;
    if (token !== this.token) {
      return drainAndAnswer(req, res, new TelegramApiError(401, telegramDescriptions.unauthorized));
    }
    if (this.settings.latencyMs > 0) await sleep(this.settings.latencyMs);
    const entry = this.methods.get(calledName.toLowerCase());
    const method = entry?.name ?? calledName;
    const fault = this.faults.take(method);
    if (fault && 'network' in fault) {
      this.telemetry.record(method, new TelegramParams({}), { ok: false, description: 'network fault' });
      return destroyConnection(req, res);
    }
    let params: TelegramParams;
    try {
      params = await this.readParams(req, url);
    } catch (error) {
      const answer =
        error instanceof BodyTooLargeError
          ? new TelegramApiError(413, telegramDescriptions.requestEntityTooLarge)
          : new TelegramApiError(400, "Bad Request: can't parse request body");
      return this.answer(res, method, new TelegramParams({}), answer);
    }
    if (fault) {
      await sleep(fault.delayMs ?? 0);
      const parameters = fault.retry_after === undefined ? undefined : { retry_after: fault.retry_after };
      return this.answer(
        res,
        method,
        params,
        new TelegramApiError(fault.error_code, fault.description, parameters),
      );
    }
    if (!entry)
      return this.answer(res, method, params, new TelegramApiError(404, telegramDescriptions.methodNotFound));
    try {
      this.answer(res, method, params, await entry.handler(this.state, { params, res }));
    } catch (error) {
      if (!(error instanceof TelegramApiError)) throw error;
      this.answer(res, method, params, error);
    }
  }

  private async readParams(req: IncomingMessage, url: URL): Promise<TelegramParams> {
    const query = Object.fromEntries(url.searchParams);
    const { maxUploadBytes, uploadHeadBytes, uploadDir } = this.settings;
    const type = mediaType(req);
    if (type === 'multipart/form-data') {
      const body = await readMultipart(req, {
        maxBytes: maxUploadBytes,
        headBytes: uploadHeadBytes,
        ...(uploadDir ? { saveDir: uploadDir } : {}),
      });
      if (body.tooLarge) throw new BodyTooLargeError(maxUploadBytes);
      return new TelegramParams({ ...query, ...body.fields }, body.files);
    }
    const body = await readBody(req, maxUploadBytes);
    return new TelegramParams({ ...query, ...parseFormOrJson(body, type) });
  }

  private answer(res: ServerResponse, method: string, params: TelegramParams, outcome: unknown): void {
    if (outcome instanceof TelegramApiError) {
      this.telemetry.record(method, params, {
        ok: false,
        error_code: outcome.error_code,
        description: outcome.description,
      });
      sendJson(res, outcome.error_code, outcome.toBody());
      return;
    }
    this.telemetry.record(method, params, { ok: true });
    sendJson(res, 200, { ok: true, result: outcome });
  }

  private async serveFile(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const prefix = `/file/bot${this.token}/`;
    const filePath = pathname.startsWith(prefix)
      ? decodeURIComponent(pathname.slice(prefix.length))
      : undefined;
    if (filePath === undefined || !this.state.files.serve(filePath, res)) {
      await drainAndAnswer(req, res, new TelegramApiError(404, telegramDescriptions.notFound));
    }
  }
}

async function drainAndAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  error: TelegramApiError,
): Promise<void> {
  await drainBody(req);
  sendJson(res, error.error_code, error.toBody());
}
