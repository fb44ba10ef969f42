import OpenAI, {
  APIConnectionTimeoutError,
  AuthenticationError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakeOpenAI } from './fakeOpenAI.js';
import { openaiFaults } from './openaiFaults.js';

const VideoPrompt = z.object({ prompt: z.string() });
const Storyboard = z.object({
  title: z.string().max(20),
  mood: z.enum(['calm', 'energetic']),
  shots: z.array(z.object({ seconds: z.number().int().min(2), caption: z.string().nullable() })).min(2),
});

describe('FakeOpenAI', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  beforeEach(async () => {
    fake = await FakeOpenAI.start({ apiKey: 'sk-test' });
    client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('works with chat.completions.parse and zodResponseFormat', async () => {
    const completion = await client.chat.completions.parse({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Write a video prompt.' },
        { role: 'user', content: 'red sneakers on white background' },
      ],
      response_format: zodResponseFormat(VideoPrompt, 'video_prompt'),
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.parsed).toEqual({
      prompt: 'Vertical product video: red sneakers on white background',
    });
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    const [recorded] = fake.requests;
    expect(recorded).toMatchObject({
      api: 'chat.completions',
      schemaName: 'video_prompt',
      authorization: 'sk-test',
    });
  });

  it('works with responses.parse and zodTextFormat, honouring the schema', async () => {
    const response = await client.responses.parse({
      model: 'gpt-4.1-mini',
      instructions: 'Plan a storyboard.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'a ceramic mug' }] }],
      text: { format: zodTextFormat(Storyboard, 'storyboard') },
    });
    expect(response.object).toBe('response');
    const parsed = response.output_parsed;
    expect(Storyboard.parse(parsed)).toEqual(parsed);
    expect(parsed?.shots).toHaveLength(2);
    expect(parsed?.title.length).toBeLessThanOrEqual(20);
    expect(response.output_text).toBe(JSON.stringify(parsed));
  });

  it('uses a programmable responder', async () => {
    fake.responder = (request) => ({ prompt: `custom:${request.lastUserText.toUpperCase()}` });
    const response = await client.responses.parse({
      model: 'gpt-4.1-mini',
      input: 'mug',
      text: { format: zodTextFormat(VideoPrompt, 'video_prompt') },
    });
    expect(response.output_parsed).toEqual({ prompt: 'custom:MUG' });
  });

  it('answers errors in the OpenAI shape as typed SDK errors', async () => {
    const wrongKey = new OpenAI({ apiKey: 'sk-wrong', baseURL: fake.baseURL, maxRetries: 0 });
    const unauthorized = await wrongKey.chat.completions
      .create({ model: 'm', messages: [] })
      .catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(AuthenticationError);
    expect(unauthorized).toMatchObject({
      status: 401,
      code: 'invalid_api_key',
      type: 'invalid_request_error',
    });

    fake.failNext(openaiFaults.rateLimited(2));
    const limited = await client.responses.create({ model: 'm', input: 'x' }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers?.get('retry-after')).toBe('2');

    fake.failNext({ ...openaiFaults.serverError(), api: 'chat.completions' });
    await expect(client.responses.create({ model: 'm', input: 'x' })).resolves.toBeDefined();
    await expect(client.chat.completions.create({ model: 'm', messages: [] })).rejects.toBeInstanceOf(
      InternalServerError,
    );
  });

  it('injects malformed JSON, refusals, truncation and hangs', async () => {
    const parse = () =>
      client.chat.completions.parse({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        response_format: zodResponseFormat(VideoPrompt, 'video_prompt'),
      });
    fake.failNext(openaiFaults.malformedJson());
    await expect(parse()).rejects.toBeInstanceOf(SyntaxError);

    fake.failNext(openaiFaults.refusal('no'));
    const refused = await parse();
    expect(refused.choices[0]?.message).toMatchObject({ refusal: 'no', parsed: null });

    fake.failNext(openaiFaults.truncated());
    await expect(parse()).rejects.toThrow(/length limit/i);

    fake.failNext(openaiFaults.hang());
    const impatient = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0, timeout: 150 });
    await expect(impatient.responses.create({ model: 'm', input: 'x' })).rejects.toBeInstanceOf(
      APIConnectionTimeoutError,
    );
  });
});
