/** Which endpoint a request hit. */
export type OpenAIApi = 'chat.completions' | 'responses';

/** A request as the responder sees it. */
export interface OpenAIRequest {
  api: OpenAIApi;
  model: string;
  /** The parsed JSON body. */
  body: Record<string, unknown>;
  /** Text of the last user message (text parts joined). */
  lastUserText: string;
  /** All text sent (system, user, instructions), for usage numbers. */
  promptText: string;
  /** The JSON schema of response_format / text.format, when structured output was asked for. */
  schema?: Record<string, unknown>;
  schemaName?: string;
  /** True when plain JSON (json_object) or a schema was asked for. */
  wantsJson: boolean;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      const record = part as { type?: string; text?: unknown };
      return typeof record.text === 'string' ? record.text : '';
    })
    .filter(Boolean)
    .join('\n');
}

interface Turn {
  role: string;
  text: string;
}

function turnsOf(api: OpenAIApi, body: Record<string, unknown>): Turn[] {
  const items = api === 'chat.completions' ? body.messages : body.input;
  const turns: Turn[] = [];
  if (api === 'responses' && typeof body.instructions === 'string') {
    turns.push({ role: 'system', text: body.instructions });
  }
  if (typeof items === 'string') {
    turns.push({ role: 'user', text: items });
  } else if (Array.isArray(items)) {
    for (const item of items as { role?: unknown; content?: unknown }[]) {
      if (typeof item?.role === 'string') turns.push({ role: item.role, text: textOf(item.content) });
    }
  }
  return turns;
}

/** Reads what the fake needs from a chat.completions or responses body. */
export function describeRequest(api: OpenAIApi, body: Record<string, unknown>): OpenAIRequest {
  const turns = turnsOf(api, body);
  const lastUser = [...turns].reverse().find((turn) => turn.role === 'user');
  const format =
    api === 'chat.completions'
      ? (body.response_format as
          | { type?: string; json_schema?: { name?: string; schema?: unknown } }
          | undefined)
      : ((body.text as { format?: { type?: string; name?: string; schema?: unknown } } | undefined)?.format as
          | { type?: string; name?: string; schema?: unknown }
          | undefined);
  const request: OpenAIRequest = {
    api,
    model: typeof body.model === 'string' ? body.model : '',
    body,
    lastUserText: lastUser?.text ?? '',
    promptText: turns.map((turn) => turn.text).join('\n'),
    wantsJson: format?.type === 'json_schema' || format?.type === 'json_object',
  };
  if (format?.type === 'json_schema') {
    const holder =
      api === 'chat.completions'
        ? (format as { json_schema?: { name?: string; schema?: unknown } }).json_schema
        : format;
    const schema = (holder as { schema?: unknown } | undefined)?.schema;
    if (typeof schema === 'object' && schema !== null) request.schema = schema as Record<string, unknown>;
    const name = (holder as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string') request.schemaName = name;
  }
  return request;
}
