/** Rough token count (4 characters per token), enough for a realistic `usage` block. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** How the assistant's turn ends. */
export type OpenAIFinish =
  | { kind: 'stop'; text: string }
  | { kind: 'refusal'; text: string }
  | { kind: 'length'; text: string };

/** A `chat.completion` object as the API returns it. */
export function chatCompletionBody(
  id: string,
  created: number,
  model: string,
  promptText: string,
  finish: OpenAIFinish,
) {
  const completionTokens = estimateTokens(finish.text);
  const promptTokens = estimateTokens(promptText);
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: finish.kind === 'refusal' ? null : finish.text,
          refusal: finish.kind === 'refusal' ? finish.text : null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: finish.kind === 'length' ? 'length' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_fake00001',
  };
}

/** A `response` object of the Responses API as it returns it. */
export function responseBody(
  id: string,
  created: number,
  request: Record<string, unknown>,
  promptText: string,
  finish: OpenAIFinish,
) {
  const outputTokens = estimateTokens(finish.text);
  const inputTokens = estimateTokens(promptText);
  const content =
    finish.kind === 'refusal'
      ? [{ type: 'refusal', refusal: finish.text }]
      : [{ type: 'output_text', text: finish.text, annotations: [], logprobs: [] }];
  const incomplete = finish.kind === 'length';
  return {
    id: `resp_${id}`,
    object: 'response',
    created_at: created,
    status: incomplete ? 'incomplete' : 'completed',
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: request.model,
    output: [
      {
        id: `msg_${id}`,
        type: 'message',
        status: incomplete ? 'incomplete' : 'completed',
        role: 'assistant',
        content,
      },
    ],
    parallel_tool_calls: true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: request.top_p ?? 1,
    truncation: 'disabled',
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
    user: null,
    metadata: request.metadata ?? {},
  };
}

/** The `{error:{message,type,param,code}}` body of an OpenAI API error. */
export function openAIErrorBody(
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
) {
  return { error: { message, type, param, code } };
}
