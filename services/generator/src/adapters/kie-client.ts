import { FormData, request } from 'undici';
import { z } from 'zod';

/** KIE.AI answered with an error: HTTP status and the body's business code and message (reference §1.5). */
export class KieApiError extends Error {
  override readonly name = 'KieApiError';
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

// KIE bodies carry `msg`, some documented copies say `message`: accept either.
const envelope = z.object({
  code: z.number().int(),
  msg: z.string().optional(),
  message: z.string().optional(),
  data: z.unknown().optional(),
});

const createTaskData = z.object({ taskId: z.string().min(1) });
const uploadData = z.object({ downloadUrl: z.url() });
const taskData = z.object({
  taskId: z.string(),
  state: z.enum(['waiting', 'queuing', 'generating', 'success', 'fail']),
  resultJson: z.string().nullish(),
  failCode: z.string().nullish(),
  failMsg: z.string().nullish(),
});
const resultJson = z.object({ resultUrls: z.array(z.url()).min(1) });

export type TaskRecord =
  | { state: 'waiting' | 'queuing' | 'generating' }
  | { state: 'success'; videoUrl: string }
  | { state: 'fail'; failCode: string; failMsg: string };

export interface KieClientOptions {
  baseUrl: string;
  uploadBaseUrl: string;
  timeoutMs: number;
}

/** The KIE.AI market jobs and file upload APIs, every answer validated before use. Each call names its key. */
export class KieClient {
  constructor(private readonly options: KieClientOptions) {}

  /** Uploads a file through the upload API and returns the URL the video model can fetch it from. */
  async uploadFile(apiKey: string, bytes: Uint8Array, fileName: string, mimeType: string): Promise<string> {
    const form = new FormData();
    form.set('file', new Blob([bytes], { type: mimeType }), fileName);
    form.set('uploadPath', 'neurocards/photos');
    form.set('fileName', fileName);
    const data = await this.call(
      apiKey,
      `${this.options.uploadBaseUrl}/api/file-stream-upload`,
      'POST',
      form,
    );
    return parseData(uploadData, data).downloadUrl;
  }

  /** Creates a generation task; the task id is all KIE returns now, the result comes later. */
  async createTask(
    apiKey: string,
    body: { model: string; input: Record<string, unknown>; callBackUrl?: string },
  ): Promise<string> {
    const data = await this.call(
      apiKey,
      `${this.options.baseUrl}/api/v1/jobs/createTask`,
      'POST',
      JSON.stringify(body),
    );
    return parseData(createTaskData, data).taskId;
  }

  /** The state of a task; on success the first result URL (resultJson is a JSON string inside the JSON). */
  async getTask(apiKey: string, taskId: string): Promise<TaskRecord> {
    const url = `${this.options.baseUrl}/api/v1/jobs/recordInfo?taskId=${encodeURIComponent(taskId)}`;
    const task = parseData(taskData, await this.call(apiKey, url, 'GET'));
    if (task.state === 'success') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(task.resultJson ?? '');
      } catch {
        throw new KieApiError(200, 200, `task ${taskId} succeeded with unreadable resultJson`);
      }
      const result = resultJson.safeParse(parsed);
      if (!result.success) throw new KieApiError(200, 200, `task ${taskId} succeeded without result URLs`);
      return { state: 'success', videoUrl: result.data.resultUrls[0] as string };
    }
    if (task.state === 'fail') {
      return { state: 'fail', failCode: task.failCode ?? '', failMsg: task.failMsg ?? 'generation failed' };
    }
    return { state: task.state };
  }

  private async call(
    apiKey: string,
    url: string,
    method: 'GET' | 'POST',
    body?: string | FormData,
  ): Promise<unknown> {
    const response = await request(url, {
      method,
      body,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
      },
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
    const text = await response.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KieApiError(
        response.statusCode,
        response.statusCode,
        `non-JSON answer (${text.slice(0, 120)})`,
      );
    }
    const parsed = envelope.safeParse(json);
    if (!parsed.success) {
      throw new KieApiError(response.statusCode, response.statusCode, 'answer without a business code');
    }
    const { code, msg, message, data } = parsed.data;
    if (response.statusCode >= 400 || code !== 200) {
      throw new KieApiError(response.statusCode, code, msg ?? message ?? `HTTP ${response.statusCode}`);
    }
    return data;
  }
}

function parseData<T>(schema: z.ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data);
  if (!result.success) throw new KieApiError(200, 200, `unexpected data: ${result.error.issues[0]?.message}`);
  return result.data;
}
